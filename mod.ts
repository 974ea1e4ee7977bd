/**
 * Flotilla: a Raft framework for TypeScript that speaks the Redis protocol.
 *
 * Write a state machine, open a node, and get a replicated, fault-tolerant server that
 * `redis-cli`, ioredis and node-redis talk to unchanged, on Deno, Bun and Node.
 *
 * @example
 * ```ts ignore
 * import { type Applier, type Command, type Machine, open, type ReplyWriter } from "@flotilla/flotilla";
 *
 * class Counter implements Machine {
 *   value = 0;
 *   command(applier: Applier, conn: ReplyWriter | null, cmd: Command) {
 *     return applier.apply(conn, cmd, () => ++this.value, (value) => conn?.writeInt(value ?? 0));
 *   }
 *   async snapshot(writer: SnapshotWriter) { await writer.write(String(this.value)); }
 *   async restore(reader: SnapshotReader) {
 *     this.value = Number(new TextDecoder().decode(await reader.readAll()));
 *   }
 * }
 *
 * const node = await open({ machine: new Counter(), addr: ":7481", dir: "data" });
 * ```
 *
 * @module
 */

export { open } from "./adapters/open.ts";
export type { Node, NodeState } from "./lib/server/node.ts";
export {
  decodeMembership,
  encodeMembership,
  type Entry,
  ENTRY_MEMBERSHIP,
  ENTRY_NO_OP,
  ENTRY_NORMAL,
  type HardState,
  type InitialState,
  type Membership,
  type MembershipChange,
  type MembershipRecord,
  MemoryStorage,
  type Message,
  type MessageType,
  type ProposeResult,
  type RaftConfig,
  RaftNode,
  type RaftStatus,
  Random,
  type ReadState,
  type Ready,
  type RequestResult,
  type Role,
  type SnapshotChunk,
  type SnapshotMeta,
  type SoftState,
  type Storage,
} from "./lib/raft/mod.ts";
export type { ConnectionInfo, Level, OpenOptions } from "./lib/server/options.ts";
export type {
  Applier,
  Command,
  Machine,
  MaybePromise,
  ReplyWriter,
  SnapshotReader,
  SnapshotWriter,
} from "./lib/server/machine.ts";
export {
  UnknownCommandError,
  VerbatimReplyError,
  WrongArgumentCountError,
} from "./lib/server/reply_error.ts";
export {
  Conn,
  ReplyQueue,
  type ReplyQueueOptions,
  RespDecoder,
  type RespDecoderOptions,
  RespEncoder,
  type RespEncoderOptions,
  type RespProtocol,
} from "./lib/resp/mod.ts";
export {
  type CommandHandler,
  type CommandInfo,
  type CommandSpec,
  CommandTable,
  createCommandTable,
  type HelloInfo,
  serve,
  type ServeOptions,
  type Server,
  Session,
  type SessionOptions,
} from "./lib/server/mod.ts";
export { globMatch, type GlobMatchOptions } from "./lib/server/glob.ts";
export {
  type DamagedSnapshot,
  EntryType,
  HardStateFile,
  type LogEntry,
  MemoryLog,
  type RaftLog,
  type RecoveryReport,
  SegmentedLog,
  type SegmentedLogOptions,
  type SnapshotReader as StoredSnapshotReader,
  SnapshotStore,
  type SnapshotWriter as StoredSnapshotWriter,
  type SyncPolicy,
} from "./lib/log/mod.ts";
export type { Logger, LogLevel, LogOutput } from "./lib/server/logger.ts";
export {
  LogCorruptionError,
  type LogCorruptionErrorOptions,
  NotLeaderError,
  RespSyntaxError,
  type RespSyntaxErrorOptions,
  RuntimeError,
  type RuntimeErrorCode,
  type RuntimeErrorOptions,
} from "./lib/errors.ts";
export type {
  Connection,
  ConnectionHandlers,
  ConnectOptions,
  FileHandle,
  FileInfo,
  FileSystem,
  Listener,
  ListenOptions,
  OpenOptions as FileOpenOptions,
  Runtime,
} from "./lib/runtime.ts";

/**
 * Flotilla: a Raft framework for TypeScript that speaks the Redis protocol.
 *
 * Write a state machine, open a node, and get a replicated, fault-tolerant server that
 * `redis-cli`, ioredis and node-redis talk to unchanged, on Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { RespSyntaxError } from "@flotilla/flotilla";
 * const error = new RespSyntaxError("invalid bulk length", 4);
 * console.log(error.offset);
 * ```
 *
 * @module
 */

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
  OpenOptions,
  Runtime,
} from "./lib/runtime.ts";

/**
 * The pure Raft core: {@linkcode RaftNode} (inputs `tick`, `step`, `propose`, `readIndex`,
 * `proposeMembership`, `transferLeadership`; output `ready()`/`advance()`), the
 * {@linkcode Storage} port it reads the persisted log through, and {@linkcode MemoryStorage}.
 * No I/O, no clock, no global randomness: a seed replays a run exactly.
 *
 * @example
 * ```ts
 * import { MemoryStorage, RaftNode, Random } from "./mod.ts";
 *
 * const storage = new MemoryStorage({ voters: ["a"], learners: [] });
 * const node = new RaftNode({ id: "a", storage, random: new Random(1) });
 * for (let i = 0; i < 30 && node.softState().role !== "leader"; i++) {
 *   node.tick();
 *   while (node.hasReady()) {
 *     const ready = node.ready();
 *     storage.append(ready.entries);
 *     if (ready.hardState) storage.setHardState(ready.hardState);
 *     node.advance();
 *   }
 * }
 * console.log(node.softState().role); // "leader"
 * ```
 *
 * @module
 */

export { type RaftConfig, resolveConfig, type ResolvedConfig } from "./config.ts";
export { LogView } from "./log_view.ts";
export {
  applyMembershipChange,
  decodeMembership,
  encodeMembership,
  type MembershipChange,
  sameMembership,
} from "./membership.ts";
export { MemoryStorage } from "./memory_storage.ts";
export { createMessage, type Message, type MessageFields, type MessageType } from "./messages.ts";
export { type ProposeResult, RaftNode, type RaftStatus, type RequestResult } from "./node.ts";
export { Inflights, Progress } from "./progress.ts";
export { quorumIndex, voteResult } from "./quorum.ts";
export { type PendingRead, ReadOnly } from "./read_only.ts";
export type { ReadState, Ready, Role, SoftState } from "./ready.ts";
export { Random } from "./random.ts";
export type { InitialState, Storage } from "./storage.ts";
export {
  type Entry,
  ENTRY_MEMBERSHIP,
  ENTRY_NO_OP,
  ENTRY_NORMAL,
  entryBytes,
  type HardState,
  type Membership,
  type MembershipRecord,
  type SnapshotChunk,
  type SnapshotMeta,
} from "./types.ts";

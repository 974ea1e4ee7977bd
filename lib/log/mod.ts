/**
 * The Raft log on disk and in memory, plus the hard-state file and snapshot store.
 *
 * @example
 * ```ts
 * import { MemoryLog } from "./mod.ts";
 * const log = new MemoryLog();
 * await log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array([42]) }]);
 * console.log(log.lastIndex()); // 1
 * ```
 *
 * @module
 */

export { crc32c } from "./crc32c.ts";
export { HardStateFile } from "./hard_state_file.ts";
export { MemoryLog } from "./memory_log.ts";
export { type RecoveryReport, SegmentedLog, type SegmentedLogOptions } from "./segmented_log.ts";
export {
  type DamagedSnapshot,
  type SnapshotReader,
  SnapshotStore,
  type SnapshotWriter,
} from "./snapshot_store.ts";
export {
  EntryType,
  type HardState,
  type LogEntry,
  type Membership,
  type RaftLog,
  type SnapshotMeta,
  type SyncPolicy,
} from "./types.ts";

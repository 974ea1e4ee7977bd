/**
 * The shapes shared by the log, the Raft core and the server: entries, hard state, snapshot
 * metadata and the {@linkcode RaftLog} interface that both {@linkcode SegmentedLog} and
 * {@linkcode MemoryLog} implement.
 *
 * @module
 */

// One definition of the shapes the core, the log and the server share.
export type { HardState, Membership, SnapshotMeta } from "../raft/types.ts";

/**
 * Entry types, stored as one byte: 0 a normal command, 1 the no-op a leader appends first in its
 * term, 2 a membership change (payload opaque to the log).
 *
 * @example
 * ```ts
 * import { EntryType } from "./types.ts";
 * console.log(EntryType.noop); // 1
 * ```
 */
export const EntryType = { normal: 0, noop: 1, membership: 2 } as const;

/** One Raft log entry. `type` is one of {@linkcode EntryType} (0–255 are storable). */
export interface LogEntry {
  /** Position in the log, from 1. */
  index: number;
  /** Term of the leader that created it. */
  term: number;
  /** 0 normal, 1 no-op, 2 membership (see {@linkcode EntryType}). */
  type: number;
  /** The payload. The log keeps a reference: do not mutate it after appending. */
  data: Uint8Array;
}

/**
 * When appended bytes are made durable. `"always"`: an append resolves after its bytes are
 * fdatasynced (group commit: appends made while a sync is running share the next one).
 * `"everysec"`: a background sync once a second and on close. `"never"`: the OS decides.
 */
export type SyncPolicy = "always" | "everysec" | "never";

/**
 * The Raft log. Indexes are contiguous; an empty log has `firstIndex() === lastIndex() + 1`.
 * Ranges are half-open: `entries(from, to)` returns `[from, to)`.
 *
 * Reads of positions (`firstIndex`, `lastIndex`, `term`, `cachedEntries`) are synchronous and
 * see every append at once, before its promise resolves: the promise reports durability.
 *
 * @example
 * ```ts
 * import { MemoryLog } from "./memory_log.ts";
 * const log = new MemoryLog();
 * await log.append([{ index: 1, term: 1, type: 1, data: new Uint8Array() }]);
 * console.log(log.lastIndex(), log.term(1)); // 1 1
 * ```
 */
export interface RaftLog {
  /** Index of the first entry (snapshot index + 1 when empty). */
  firstIndex(): number;
  /** Index of the last entry (the snapshot index when empty; 0 for a fresh log). */
  lastIndex(): number;
  /**
   * Term of the entry at `index`, or of the compaction point `firstIndex() - 1`; undefined
   * for indexes outside `[firstIndex() - 1, lastIndex()]`.
   */
  term(index: number): number | undefined;
  /** The entry at `index`; `RangeError` outside `[firstIndex(), lastIndex()]`. */
  entry(index: number): Promise<LogEntry>;
  /**
   * Entries `[from, to)`, stopping before the total payload plus per-entry overhead exceeds
   * `maxBytes` (but at least one entry when `from < to`). `RangeError` unless
   * `firstIndex() <= from <= to <= lastIndex() + 1`.
   */
  entries(from: number, to: number, maxBytes?: number): Promise<LogEntry[]>;
  /** Like `entries`, from memory only: undefined unless every entry wanted is cached. */
  cachedEntries(from: number, to: number, maxBytes?: number): LogEntry[] | undefined;
  /**
   * Appends a batch; the first index must be `lastIndex() + 1` and the rest contiguous
   * (`RangeError` otherwise). Visible at once; resolves as the sync policy promises.
   */
  append(entries: readonly LogEntry[]): Promise<void>;
  /**
   * Like `append`, but when the policy waits for no fsync and nothing is queued ahead, the
   * batch is written before this returns and the result is undefined: no promise at all on
   * the hot path of durability low and medium. Otherwise it returns `append`'s promise.
   * A failed synchronous write throws.
   */
  appendNow(entries: readonly LogEntry[]): Promise<void> | undefined;
  /** Appends without waiting for durability whatever the policy; `sync()` makes it durable. */
  appendBuffered(entries: readonly LogEntry[]): void;
  /** Writes and fdatasyncs everything appended so far. */
  sync(): Promise<void>;
  /** Drops every entry after `index` (`firstIndex() - 1 <= index <= lastIndex()`). Durable. */
  truncateBack(index: number): Promise<void>;
  /**
   * Drops every entry before `index`, which becomes the first
   * (`firstIndex() <= index <= lastIndex() + 1`). Durable.
   */
  truncateFront(index: number): Promise<void>;
  /**
   * Drops the whole log after a snapshot `(index, term)` was installed: afterwards
   * `lastIndex() === index`, `term(index) === term` and the next append is `index + 1`.
   */
  reset(index: number, term: number): Promise<void>;
  /** Syncs what the policy owes and releases files. */
  close(): Promise<void>;
}

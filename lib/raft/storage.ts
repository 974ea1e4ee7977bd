/**
 * The synchronous storage port through which the Raft core reads the persisted log (etcd's
 * Storage idea). The core never writes it: the application persists what `Ready` hands out.
 *
 * @module
 */

import type { Entry, HardState, MembershipRecord, SnapshotMeta } from "./types.ts";

/**
 * What a node recovers on start: the last persisted hard state and every membership entry in
 * the log after the snapshot (in index order; the snapshot's own membership comes from
 * {@linkcode Storage.snapshot}).
 *
 * @example
 * ```ts
 * import type { InitialState } from "./storage.ts";
 * const state: InitialState = { hardState: { term: 0, vote: "", commit: 0 }, memberships: [] };
 * ```
 */
export interface InitialState {
  /** Last persisted term, vote and commit. */
  hardState: HardState;
  /** Membership entries in the log after the snapshot, ascending by index. */
  memberships: MembershipRecord[];
}

/**
 * Read access to the persisted log. Every method is synchronous and cheap; a method that
 * returns `undefined` for "not in memory right now" makes the core retry on a later tick or
 * heartbeat — it is never taken for compaction.
 *
 * Indices: the log holds `firstIndex()..lastIndex()`; the snapshot covers everything up to
 * `firstIndex() - 1` (an empty log has `lastIndex() === firstIndex() - 1`).
 *
 * @example
 * ```ts ignore
 * import { MemoryStorage } from "./memory_storage.ts";
 * const storage: Storage = new MemoryStorage();
 * storage.term(storage.lastIndex());
 * ```
 */
export interface Storage {
  /** Hard state and membership history, read once when the node starts. */
  initialState(): InitialState;
  /** First index still in the log (snapshot index + 1). */
  firstIndex(): number;
  /** Last index in the log (the snapshot index when the log is empty). */
  lastIndex(): number;
  /** Term of the entry at `index` for `firstIndex() - 1 <= index <= lastIndex()`, else undefined. */
  term(index: number): number | undefined;
  /**
   * Entries in `[from, to)`, at most `maxBytes` of them (payload + 24 bytes each) but always at
   * least one; `undefined` when they are not in memory now (the caller retries later).
   */
  entries(from: number, to: number, maxBytes: number): Entry[] | undefined;
  /** Metadata of the latest snapshot (index 0, term 0 before the first). */
  snapshot(): SnapshotMeta;
  /**
   * Up to `maxBytes` bytes of the latest snapshot's data from `offset`; a chunk shorter than
   * `maxBytes` (possibly empty) is the last. `undefined`: not readable now, retry later.
   */
  snapshotChunk(offset: number, maxBytes: number): Uint8Array | undefined;
}

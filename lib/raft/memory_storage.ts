/**
 * An in-memory {@linkcode Storage} for tests and the simulator, with the write side the
 * application would have on disk (append with suffix truncation, hard state, snapshots).
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { decodeMembership } from "./membership.ts";
import type { InitialState, Storage } from "./storage.ts";
import {
  type Entry,
  ENTRY_MEMBERSHIP,
  entryBytes,
  type HardState,
  type Membership,
  type SnapshotChunk,
  type SnapshotMeta,
} from "./types.ts";

/**
 * Log, hard state and snapshot in memory. `entries()` never answers "retry later" unless
 * `cacheMiss` says so (the simulator uses it to mimic a cold disk cache).
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./memory_storage.ts";
 * const storage = new MemoryStorage({ voters: ["a", "b", "c"], learners: [] });
 * storage.append([{ index: 1, term: 1, type: 0, data: new Uint8Array() }]);
 * storage.lastIndex(); // 1
 * ```
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = { term: 0, vote: "", commit: 0 };
  #snapshot: SnapshotMeta;
  #snapshotData: Uint8Array = new Uint8Array();
  /** Entries after the snapshot: `#entries[i].index === #snapshot.index + 1 + i`. */
  #entries: Entry[] = [];
  /** Incoming snapshot being assembled from chunks. */
  #incoming: { meta: SnapshotMeta; parts: Uint8Array[]; bytes: number } | undefined;
  /** When set and returning true, `entries()` answers undefined ("not in memory"). */
  cacheMiss: ((from: number, to: number) => boolean) | undefined;

  /**
   * Creates an empty log.
   *
   * @param bootstrap Membership of a brand-new cluster (the snapshot at index 0).
   */
  constructor(bootstrap: Membership = { voters: [], learners: [] }) {
    this.#snapshot = { index: 0, term: 0, membership: bootstrap };
  }

  /** Hard state and membership records, as a restarting node reads them. */
  initialState(): InitialState {
    const memberships = this.#entries
      .filter((entry) => entry.type === ENTRY_MEMBERSHIP)
      .map((entry) => ({ index: entry.index, membership: decodeMembership(entry.data) }));
    return { hardState: { ...this.#hardState }, memberships };
  }

  /** First index in the log. */
  firstIndex(): number {
    return this.#snapshot.index + 1;
  }

  /** Last index in the log. */
  lastIndex(): number {
    return this.#snapshot.index + this.#entries.length;
  }

  /** Term at `index`, or undefined outside `firstIndex() - 1 ..lastIndex()`. */
  term(index: number): number | undefined {
    if (index === this.#snapshot.index) return this.#snapshot.term;
    return this.#entries[index - this.#snapshot.index - 1]?.term;
  }

  /** Entries in `[from, to)` up to `maxBytes` (at least one). */
  entries(from: number, to: number, maxBytes: number): Entry[] | undefined {
    assert(from >= this.firstIndex() && to <= this.lastIndex() + 1, "entries out of range");
    assert(from < to, "empty entries range");
    if (this.cacheMiss?.(from, to) === true) return undefined;
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = from; index < to; index++) {
      const entry = this.#entries[index - this.#snapshot.index - 1] as Entry;
      bytes += entryBytes(entry);
      if (result.length > 0 && bytes > maxBytes) break;
      result.push(entry);
    }
    return result;
  }

  /** Latest snapshot metadata. */
  snapshot(): SnapshotMeta {
    return this.#snapshot;
  }

  /** A chunk of the latest snapshot's data. */
  snapshotChunk(offset: number, maxBytes: number): Uint8Array | undefined {
    assert(offset >= 0 && offset <= this.#snapshotData.length, "snapshot offset out of range");
    return this.#snapshotData.subarray(offset, offset + maxBytes);
  }

  /** The latest snapshot's data. */
  snapshotData(): Uint8Array {
    return this.#snapshotData;
  }

  /** The persisted hard state. */
  hardState(): HardState {
    return { ...this.#hardState };
  }

  /** Persists the hard state. */
  setHardState(hardState: HardState): void {
    assert(hardState.term >= this.#hardState.term, "term went backwards");
    this.#hardState = { ...hardState };
  }

  /** Appends entries, first truncating everything from `entries[0].index` on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.#snapshot.index, "append at or below the snapshot");
    assert(first.index <= this.lastIndex() + 1, "append leaves a gap");
    this.#entries.length = first.index - this.#snapshot.index - 1;
    for (const entry of entries) this.#entries.push(entry);
  }

  /** Drops the last `count` entries (a torn write in the simulator). */
  dropLast(count: number): void {
    assert(count >= 0 && count <= this.#entries.length, "cannot drop that many");
    this.#entries.length -= count;
  }

  /** Records an application snapshot at `index` and drops the log up to `keepFrom - 1`. */
  createSnapshot(index: number, membership: Membership, data: Uint8Array): void {
    assert(
      index > this.#snapshot.index && index <= this.lastIndex(),
      "snapshot index out of range",
    );
    const term = this.term(index);
    assert(term !== undefined, "snapshot term unknown");
    this.#entries = this.#entries.slice(index - this.#snapshot.index);
    this.#snapshot = { index, term, membership };
    this.#snapshotData = data;
  }

  /** Writes one incoming chunk; installs the snapshot (resetting the log) on the last one. */
  receiveChunk(chunk: SnapshotChunk): void {
    if (chunk.offset === 0) this.#incoming = { meta: chunk.meta, parts: [], bytes: 0 };
    const incoming = this.#incoming;
    assert(
      incoming !== undefined && incoming.bytes === chunk.offset,
      "snapshot chunk out of order",
    );
    incoming.parts.push(chunk.data.slice());
    incoming.bytes += chunk.data.length;
    if (!chunk.done) return;
    const data = new Uint8Array(incoming.bytes);
    let at = 0;
    for (const part of incoming.parts) {
      data.set(part, at);
      at += part.length;
    }
    this.#snapshot = chunk.meta;
    this.#snapshotData = data;
    this.#entries = [];
    this.#incoming = undefined;
  }

  /** A deep copy of what is persisted (the simulator keeps it across a crash). */
  clone(): MemoryStorage {
    const copy = new MemoryStorage(this.#snapshot.membership);
    copy.#hardState = { ...this.#hardState };
    copy.#snapshot = this.#snapshot;
    copy.#snapshotData = this.#snapshotData;
    copy.#entries = [...this.#entries];
    return copy;
  }
}

/**
 * The core's view of the log: persisted entries read through {@linkcode Storage}, plus the
 * "unstable" tail not yet persisted (and an incoming snapshot not yet installed). Everything
 * below `#offset` comes from storage; everything from `#offset` on comes from the tail.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { Storage } from "./storage.ts";
import { type Entry, entryBytes, type SnapshotMeta } from "./types.ts";

/**
 * Storage plus the unpersisted tail, with the index arithmetic Raft needs.
 *
 * @example
 * ```ts
 * import { LogView } from "./log_view.ts";
 * import { MemoryStorage } from "./memory_storage.ts";
 * const log = new LogView(new MemoryStorage());
 * log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array() }]);
 * log.lastIndex(); // 1
 * ```
 */
export class LogView {
  readonly #storage: Storage;
  /** Unpersisted entries; the first has index `#offset`. */
  #entries: Entry[] = [];
  #offset: number;
  /** Snapshot received but not yet installed by the application. */
  #snapshot: SnapshotMeta | undefined;
  /** Tail entries up to this index were handed to the application for persisting. */
  #inProgress: number;

  /**
   * Creates a view over `storage` with an empty unstable tail.
   *
   * @param storage The persisted log.
   */
  constructor(storage: Storage) {
    this.#storage = storage;
    this.#offset = storage.lastIndex() + 1;
    this.#inProgress = this.#offset - 1;
    assert(storage.firstIndex() <= this.#offset, "storage first index beyond last + 1");
  }

  /** First index whose entry is available. */
  firstIndex(): number {
    if (this.#snapshot !== undefined) return this.#snapshot.index + 1;
    return this.#storage.firstIndex();
  }

  /** Last index in the log. */
  lastIndex(): number {
    const last = this.#entries[this.#entries.length - 1];
    if (last !== undefined) return last.index;
    return this.#offset - 1;
  }

  /** Last index that is persisted and still part of this log. */
  stableIndex(): number {
    return this.#offset - 1;
  }

  /** Term of the entry at `index`; undefined if compacted or beyond the end. */
  term(index: number): number | undefined {
    if (index >= this.#offset) return this.#entries[index - this.#offset]?.term;
    if (this.#snapshot !== undefined) {
      return index === this.#snapshot.index ? this.#snapshot.term : undefined;
    }
    return this.#storage.term(index);
  }

  /** Term of the last entry. */
  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, "last term must be known");
    return term;
  }

  /** True if the entry at `index` has `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** The election restriction (§5.4.1): is a log ending at (index, term) at least as new? */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /**
   * Entries in `[from, to)`, capped at `maxBytes` but at least one; undefined if storage
   * cannot serve them right now.
   */
  entries(from: number, to: number, maxBytes: number): Entry[] | undefined {
    assert(from >= this.firstIndex() && to <= this.lastIndex() + 1, `bad range [${from}, ${to})`);
    if (from >= to) return [];
    let result: Entry[] = [];
    if (from < this.#offset) {
      const stored = this.#storage.entries(from, Math.min(to, this.#offset), maxBytes);
      if (stored === undefined || stored.length === 0) return undefined;
      result = stored;
      if (from + stored.length < Math.min(to, this.#offset) || to <= this.#offset) return result;
    }
    let bytes = result.reduce((sum, entry) => sum + entryBytes(entry), 0);
    for (let index = Math.max(from, this.#offset); index < to; index++) {
      const entry = this.#entries[index - this.#offset];
      assert(entry !== undefined && entry.index === index, "unstable tail has a gap");
      bytes += entryBytes(entry);
      if (result.length > 0 && bytes > maxBytes) break;
      result.push(entry);
    }
    return result;
  }

  /**
   * First index where `entries` disagree with the log (by term), or the first index beyond the
   * log if they only extend it; 0 if every entry is already present.
   */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /** Appends entries, first dropping any suffix from `entries[0].index` on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index <= this.lastIndex() + 1, "append leaves a gap");
    assert(first.index >= this.firstIndex(), "append below the first index");
    if (first.index >= this.#offset) {
      this.#entries.length = first.index - this.#offset;
    } else {
      this.#entries = [];
      this.#offset = first.index;
    }
    this.#inProgress = Math.min(this.#inProgress, first.index - 1);
    for (const entry of entries) this.#entries.push(entry);
  }

  /** True while a received snapshot is not yet installed by the application. */
  hasPendingSnapshot(): boolean {
    return this.#snapshot !== undefined;
  }

  /** True if there are tail entries (or a snapshot) not yet handed out for persisting. */
  hasUnstable(): boolean {
    return this.lastIndex() > this.#inProgress;
  }

  /** Hands out the tail entries not yet handed out and marks them in progress. */
  takeUnstable(): Entry[] {
    const from = Math.max(this.#inProgress + 1, this.#offset);
    const taken = this.#entries.slice(from - this.#offset);
    this.#inProgress = this.lastIndex();
    return taken;
  }

  /**
   * The application persisted everything handed out (and installed `installed`, the snapshot
   * it was handed, if any): forget it from the tail.
   */
  stableTo(installed: SnapshotMeta | undefined): void {
    if (installed !== undefined && installed === this.#snapshot) this.#snapshot = undefined;
    const stable = this.#inProgress;
    if (stable < this.#offset) return;
    this.#entries = this.#entries.slice(stable + 1 - this.#offset);
    this.#offset = stable + 1;
    assert(this.#offset <= this.lastIndex() + 1, "stable offset beyond the log");
  }

  /** Replaces the whole log by a snapshot received from the leader (not yet installed). */
  restore(meta: SnapshotMeta): void {
    assert(meta.index >= this.firstIndex() - 1, "restoring an older snapshot");
    this.#snapshot = meta;
    this.#entries = [];
    this.#offset = meta.index + 1;
    this.#inProgress = meta.index;
  }
}

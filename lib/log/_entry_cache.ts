/**
 * A byte-bounded cache of the most recent log entries, contiguous by index, so the Raft core can
 * replicate fresh entries without awaiting the disk. Entries not yet written are never evicted.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { LogEntry } from "./types.ts";

/**
 * What an entry counts for against `maxBytes` limits beyond its payload: the size of a version-1
 * record header, kept as the contract (FORMAT.md) when records shrank to 13 or 21 bytes.
 */
export const ENTRY_ALLOWANCE_BYTES = 25;

/** Bytes an entry counts for against `maxBytes` limits: payload plus the allowance. */
export function entryBytes(entry: LogEntry): number {
  return entry.data.byteLength + ENTRY_ALLOWANCE_BYTES;
}

/**
 * What an entry costs the cache in memory beyond its payload: the entry object, the typed-array
 * view of its data and its slot. Counting only payload bytes let 8 MiB of 30-byte SETs hold
 * some 280,000 entries, about 40 MiB of heap.
 */
const ENTRY_OVERHEAD_BYTES = 160;

/** Memory an entry is charged against the cache's bound. */
function cachedBytes(entry: LogEntry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Recent entries `[first, first + size)`, at most `bytesMax` bytes of them (plus pinned). */
export class EntryCache {
  #entries: LogEntry[] = [];
  /**
   * What each entry is charged, beside it: eviction walks the oldest entries, whose objects
   * are long out of the CPU caches, and reading their payload lengths cost two cache misses
   * each (a tenth of a 128-byte append).
   */
  #charges: number[] = [];
  #head = 0;
  #first = 0;
  #bytes = 0;
  readonly #bytesMax: number;

  /** @param bytesMax Bound on the bytes kept (entries newer than `evict`'s pin may exceed it). */
  constructor(bytesMax: number) {
    assert(bytesMax >= 0, "cache bound");
    this.#bytesMax = bytesMax;
  }

  /** Index of the first cached entry (meaningless when empty). */
  get first(): number {
    return this.#first;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Adds the next entry; a gap (index not `last + 1`) restarts the cache. */
  push(entry: LogEntry): void {
    this.#startAt(entry.index);
    const charge = cachedBytes(entry);
    this.#entries.push(entry);
    this.#charges.push(charge);
    this.#bytes += charge;
  }

  /** Adds consecutive entries (a checked batch) after the last one, as `push` each would. */
  pushAll(entries: readonly LogEntry[]): void {
    const count = entries.length;
    if (count === 0) return;
    assert(entries[count - 1]!.index === entries[0]!.index + count - 1, "a consecutive batch");
    this.#startAt(entries[0]!.index);
    const list = this.#entries;
    const charges = this.#charges;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const entry = entries[i]!;
      const charge = cachedBytes(entry);
      list.push(entry);
      charges.push(charge);
      bytes += charge;
    }
    this.#bytes += bytes;
  }

  /** Drops the oldest entries while over the bound, but none at or after `pinnedFrom`. */
  evict(pinnedFrom: number): void {
    const charges = this.#charges;
    while (this.#bytes > this.#bytesMax && this.size > 0 && this.#first < pinnedFrom) {
      this.#bytes -= charges[this.#head]!;
      this.#head++;
      this.#first++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#charges = charges.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The cached entry at `index`, if any. */
  get(index: number): LogEntry | undefined {
    const offset = index - this.#first;
    if (offset < 0 || offset >= this.size) return undefined;
    return this.#entries[this.#head + offset];
  }

  /** Forgets entries after `index`. */
  truncateAfter(index: number): void {
    while (this.size > 0 && this.#first + this.size - 1 > index) {
      this.#entries.pop();
      this.#bytes -= this.#charges.pop()!;
    }
  }

  /** Forgets entries before `index`. */
  dropBefore(index: number): void {
    while (this.size > 0 && this.#first < index) {
      this.#bytes -= this.#charges[this.#head]!;
      this.#head++;
      this.#first++;
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries = [];
    this.#charges = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /** Restarts the cache at `index` unless that is the next index. */
  #startAt(index: number): void {
    if (this.size === 0 || index !== this.#first + this.size) {
      this.clear();
      this.#first = index;
    }
  }

  /** Entries `[from, to)` within `maxBytes` (at least one), or undefined if any is missing. */
  slice(from: number, to: number, maxBytes: number): LogEntry[] | undefined {
    if (from >= to) return [];
    if (from < this.#first || to > this.#first + this.size) return undefined;
    return takeWithin(this.#entries, this.#head + from - this.#first, to - from, maxBytes);
  }
}

/** Up to `count` entries from `list[start]` whose bytes fit `maxBytes` (always at least one). */
export function takeWithin(
  list: readonly LogEntry[],
  start: number,
  count: number,
  maxBytes: number,
): LogEntry[] {
  const out: LogEntry[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const entry = list[start + i]!;
    bytes += entryBytes(entry);
    if (bytes > maxBytes && out.length > 0) break;
    out.push(entry);
  }
  return out;
}

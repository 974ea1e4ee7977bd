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

/** Slots a cache starts with; it doubles as needed (a power of two, for the index mask). */
const SLOTS_INITIAL = 1024;

/**
 * Recent entries `[first, first + size)`, at most `bytesMax` bytes of them (plus pinned), in a
 * ring of slots: adding a batch is a store per entry and evicting one a load, where pushing to
 * growing arrays and compacting them cost three times as much for 128-byte entries.
 */
export class EntryCache {
  #slots: (LogEntry | undefined)[] = new Array(SLOTS_INITIAL);
  /**
   * What each slot's entry is charged, beside it: eviction walks the oldest entries, whose
   * objects are long out of the CPU caches, and reading their payload lengths cost two cache
   * misses each (a tenth of a 128-byte append).
   */
  #charges = new Int32Array(SLOTS_INITIAL);
  #mask = SLOTS_INITIAL - 1;
  /** Slot of the first entry. */
  #head = 0;
  #size = 0;
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
    return this.#size;
  }

  /** Adds the next entry; a gap (index not `last + 1`) restarts the cache. */
  push(entry: LogEntry): void {
    this.pushAll([entry]);
  }

  /** Adds consecutive entries (a checked batch) after the last one, as `push` each would. */
  pushAll(entries: readonly LogEntry[]): void {
    const count = entries.length;
    if (count === 0) return;
    assert(entries[count - 1]!.index === entries[0]!.index + count - 1, "a consecutive batch");
    if (this.#size === 0 || entries[0]!.index !== this.#first + this.#size) {
      // An empty ring is reused as it is (with cacheBytesMax 0 it empties after every write).
      if (this.#size > 0) this.clear();
      this.#first = entries[0]!.index;
    }
    this.#reserve(count);
    const slots = this.#slots;
    const charges = this.#charges;
    const mask = this.#mask;
    let at = this.#head + this.#size;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const entry = entries[i]!;
      const charge = cachedBytes(entry);
      slots[at & mask] = entry;
      charges[at & mask] = charge;
      bytes += charge;
      at++;
    }
    this.#size += count;
    this.#bytes += bytes;
  }

  /** Drops the oldest entries while over the bound, but none at or after `pinnedFrom`. */
  evict(pinnedFrom: number): void {
    while (this.#bytes > this.#bytesMax && this.#size > 0 && this.#first < pinnedFrom) {
      this.#dropFirst();
    }
  }

  /** The cached entry at `index`, if any. */
  get(index: number): LogEntry | undefined {
    const offset = index - this.#first;
    if (offset < 0 || offset >= this.#size) return undefined;
    return this.#slots[(this.#head + offset) & this.#mask];
  }

  /** Forgets entries after `index`. */
  truncateAfter(index: number): void {
    while (this.#size > 0 && this.#first + this.#size - 1 > index) {
      const at = (this.#head + this.#size - 1) & this.#mask;
      this.#bytes -= this.#charges[at]!;
      this.#slots[at] = undefined;
      this.#size--;
    }
  }

  /** Forgets entries before `index`. */
  dropBefore(index: number): void {
    while (this.#size > 0 && this.#first < index) this.#dropFirst();
  }

  /** Forgets everything. */
  clear(): void {
    this.#slots = new Array(SLOTS_INITIAL);
    this.#charges = new Int32Array(SLOTS_INITIAL);
    this.#mask = SLOTS_INITIAL - 1;
    this.#head = 0;
    this.#size = 0;
    this.#bytes = 0;
  }

  /** Entries `[from, to)` within `maxBytes` (at least one), or undefined if any is missing. */
  slice(from: number, to: number, maxBytes: number): LogEntry[] | undefined {
    if (from >= to) return [];
    if (from < this.#first || to > this.#first + this.#size) return undefined;
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let index = from; index < to; index++) {
      const entry = this.#slots[(this.#head + index - this.#first) & this.#mask]!;
      bytes += entryBytes(entry);
      if (bytes > maxBytes && out.length > 0) break;
      out.push(entry);
    }
    return out;
  }

  #dropFirst(): void {
    const head = this.#head;
    this.#bytes -= this.#charges[head]!;
    this.#slots[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#first++;
    this.#size--;
  }

  /** Makes room for `count` more entries: a bigger ring, the entries moved to its start. */
  #reserve(count: number): void {
    const capacity = this.#mask + 1;
    if (this.#size + count <= capacity) return;
    let grown = capacity * 2;
    while (grown < this.#size + count) grown *= 2;
    const slots: (LogEntry | undefined)[] = new Array(grown);
    const charges = new Int32Array(grown);
    for (let i = 0; i < this.#size; i++) {
      const at = (this.#head + i) & this.#mask;
      slots[i] = this.#slots[at];
      charges[i] = this.#charges[at]!;
    }
    this.#slots = slots;
    this.#charges = charges;
    this.#mask = grown - 1;
    this.#head = 0;
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

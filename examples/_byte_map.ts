/**
 * A hash map keyed by byte strings, for the clone's keyspace: lookups take the key as the
 * request's bytes, so a GET or an overwriting SET never builds a key string.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** Below this length String.fromCharCode beats setting up a Buffer (about 100 ns either way). */
const FROM_CHAR_CODE_BYTES_MAX = 31;

/**
 * Bytes as a string of one char per byte (code points 0-255). TextDecoder's "latin1" is really
 * windows-1252, which maps 0x80-0x9f elsewhere and would not round-trip; Buffer's "latin1" is
 * ISO-8859-1, one code point per byte, and native: measured on Deno 2.9 and Bun 1.4, 100 ns for
 * 100 bytes, 190 ns for 1 KiB and 750 ns for 8 KiB, where `String.fromCharCode.apply` over the
 * bytes takes 300 ns, 3.4 µs and 26 µs. The string is a copy: it keeps no view of `bytes`.
 *
 * @example
 * ```ts
 * import { byteString } from "./_byte_map.ts";
 * byteString(new Uint8Array([0x6b, 0xff])); // "k\xff"
 * ```
 */
export function byteString(bytes: Uint8Array): string {
  const b = bytes;
  // Up to eight bytes, a call with that many arguments: `apply` turns the bytes into an argument
  // list first, which took 30-50 ns on Deno and 85-130 ns on Bun for a 3- to 8-byte value
  // (redis-benchmark's SET sends 3 bytes), against 10-15 and 28-46 ns this way. A loop of
  // `+=` was as fast to build but made a rope, slower to read back on Bun.
  switch (b.length) {
    case 0:
      return "";
    case 1:
      return fromCharCode(b[0]!);
    case 2:
      return fromCharCode(b[0]!, b[1]!);
    case 3:
      return fromCharCode(b[0]!, b[1]!, b[2]!);
    case 4:
      return fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!);
    case 5:
      return fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!);
    case 6:
      return fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!);
    case 7:
      return fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!);
    case 8:
      return fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
  }
  if (b.length <= FROM_CHAR_CODE_BYTES_MAX) {
    return fromCharCode.apply(null, b as unknown as number[]);
  }
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}

const fromCharCode = String.fromCharCode;

/**
 * Writes a one-char-per-byte string into `target` at `at`; returns the end offset.
 *
 * @example
 * ```ts
 * import { putByteString } from "./_byte_map.ts";
 * const target = new Uint8Array(2);
 * putByteString(target, 0, "k\xff"); // 2; target is [0x6b, 0xff]
 * ```
 */
export function putByteString(target: Uint8Array, at: number, value: string): number {
  for (let i = 0; i < value.length; i++) target[at++] = value.charCodeAt(i);
  return at;
}

/**
 * HalfSipHash-1-3 of `bytes` under the 64-bit key `k0`, `k1`, as a signed 32-bit integer.
 *
 * HalfSipHash is the 32-bit-word member of the SipHash family (Aumasson and Bernstein), built for
 * hash tables fed by an attacker (Linux's `hsiphash` is this 1-3 variant on 32-bit machines,
 * and SipHash-1-3 on 64-bit ones). Unkeyed hashes (FNV-1a) and seeded ones with seed-independent collisions
 * (MurmurHash2/3, CityHash: "Hash-flooding DoS reloaded", 2012) let a client precompute keys
 * that all collide; with a secret key they cannot. All of it is 32-bit adds, xors and rotations,
 * which JavaScript engines run on untagged integers: 20-40 ns for a 16-byte key here.
 *
 * @example
 * ```ts
 * import { hashBytes } from "./_byte_map.ts";
 * const hash = hashBytes(new TextEncoder().encode("key:000000012345"), 1, 2);
 * hash === hashBytes(new TextEncoder().encode("key:000000012345"), 1, 2); // true
 * ```
 */
export function hashBytes(bytes: Uint8Array, k0: number, k1: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  const length = bytes.length;
  // Every whole 4-byte word, then one final word of the 0-3 leftover bytes and the length.
  const words = (length >>> 2) + 1;
  for (let word = 1, at = 0; word <= words; word++, at += 4) {
    const m = word < words ? wordAt(bytes, at) : finalWord(bytes, at, length);
    v3 ^= m;
    v0 = (v0 + v1) | 0, v1 = (v1 << 5) | (v1 >>> 27), v1 ^= v0, v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0, v3 = (v3 << 8) | (v3 >>> 24), v3 ^= v2;
    v0 = (v0 + v3) | 0, v3 = (v3 << 7) | (v3 >>> 25), v3 ^= v0;
    v2 = (v2 + v1) | 0, v1 = (v1 << 13) | (v1 >>> 19), v1 ^= v2, v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let round = 0; round < 3; round++) {
    v0 = (v0 + v1) | 0, v1 = (v1 << 5) | (v1 >>> 27), v1 ^= v0, v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0, v3 = (v3 << 8) | (v3 >>> 24), v3 ^= v2;
    v0 = (v0 + v3) | 0, v3 = (v3 << 7) | (v3 >>> 25), v3 ^= v0;
    v2 = (v2 + v1) | 0, v1 = (v1 << 13) | (v1 >>> 19), v1 ^= v2, v2 = (v2 << 16) | (v2 >>> 16);
  }
  return v1 ^ v3;
}

/** The little-endian 32-bit word at `at`. */
function wordAt(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/** SipHash's last word: the 0-3 bytes left from `at` in its low end, the length's low byte on top. */
function finalWord(bytes: Uint8Array, at: number, length: number): number {
  return (length << 24) | tailWord(bytes, at, length);
}

/** The bytes from `at` to `length` (fewer than four) as a little-endian word, zero-padded. */
function tailWord(bytes: Uint8Array, at: number, length: number): number {
  const left = length - at;
  let m = 0;
  if (left > 2) m |= bytes[at + 2]! << 16;
  if (left > 1) m |= bytes[at + 1]! << 8;
  if (left > 0) m |= bytes[at]!;
  return m;
}

/** The up to four bytes from `at` as a little-endian word, zero-padded past `length`. */
function packedWord(bytes: Uint8Array, at: number, length: number): number {
  return at + 4 <= length ? wordAt(bytes, at) : tailWord(bytes, at, length);
}

/** Whether the one-char-per-byte string `text` holds exactly `bytes` (of the same length). */
function sameBytes(text: string, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (text.charCodeAt(i) !== bytes[i]) return false;
  return true;
}

/** A fresh secret hash key (two 32-bit words). */
function randomSeed(): Uint32Array {
  return crypto.getRandomValues(new Uint32Array(2));
}

/** The process's hash key: what the hashes are depends on nothing a client can see or guess. */
const PROCESS_SEED = randomSeed();

/**
 * A slot is SLOT_WORDS 32-bit words of one Int32Array: the key's hash (0 for an empty slot),
 * its length, and its first INLINE_BYTES_MAX bytes packed four to a word. A key that fits is
 * compared against these words, in the cache line the probe already loaded, and needs no string.
 */
const SLOT_WORDS = 8;
const HASH = 0;
const LENGTH = 1;
const BYTES = 2;
/** Keys up to this long live in their slot; `key:000000012345` takes 16. */
const INLINE_BYTES_MAX = (SLOT_WORDS - BYTES) * 4;
/** Smallest table, in slots (a power of two, as every capacity is). */
const CAPACITY_MIN = 8;
/**
 * An insert this many slots or more past its home slot means the table is being flooded (its
 * hash key leaked, say): rehash everything under a fresh key. At the load kept here (at most
 * one half), random hashes give a longest displacement of about 50 on an 8M-slot table; 128 is
 * out of reach by chance.
 */
const DISPLACEMENT_MAX = 128;

/** Options for {@linkcode ByteMap}. */
export interface ByteMapOptions {
  /**
   * The 64-bit hash key as two 32-bit words; a fresh one is drawn if the table is flooded.
   * Default: the process's own, drawn from `crypto.getRandomValues` at start. For tests.
   */
  seed?: readonly [number, number];
}

/** What {@linkcode ByteMap.stats} reports: the table's shape, for tests and benchmarks. */
export interface ByteMapStats {
  /** Slots in the table. */
  capacity: number;
  /** The longest distance of an entry from its home slot. */
  displacementMax: number;
  /** How many times a flood made the table pick a new hash key. */
  reseeds: number;
}

/**
 * A hash map from byte strings to values, for keys a client controls: `get`, `set` and `delete`
 * take the key as a `Uint8Array` (a view into a request is fine: it is read, never kept), hash
 * the bytes with a keyed HalfSipHash ({@linkcode hashBytes}), and compare bytes only against
 * entries whose stored hash and length match. A `Map<string, V>` needs a fresh string per
 * request, which V8 must build, hash and compare through a slow path.
 *
 * The table is open addressing with linear probing, at most half full, with backward-shift
 * deletion (no tombstones, so probe runs stay as short as the live keys make them). A slot is a
 * 32-byte record in one Int32Array: hash, length and, for keys up to 24 bytes, the key itself,
 * so that a probe touches one cache line and no string. Longer keys are kept beside the table
 * as one-char-per-byte strings (made on insert only: about 100 ns, where a fresh Uint8Array
 * costs 300-500 ns on Deno, each getting its own off-heap store). Values sit in a plain array.
 * The price is memory: 100k keys take 262,144 slots, 8.4 MB of records plus two 2 MB arrays;
 * with 4-byte values, 15 MB against 9.4 MB for a Map with its key strings (Deno 2.9).
 *
 * Hash flooding: a client chooses the keys, and with a fixed hash could send keys that all
 * land in one probe run, making every operation O(n). The hash key here is secret, drawn per
 * process from `crypto.getRandomValues`, so probe runs are those of a random function: at most
 * half full, a hit probes 1.5 slots on average and a miss 2.5, and the longest displacement
 * on an 8M-slot table is about 50. Should an insert still land 128 slots or more from home
 * (the key leaked, say), the table draws a fresh key and rehashes everything, once per flood.
 *
 * Iteration order is the table's, and changes as it grows; the map must not be changed while
 * an iterator over it is in use.
 *
 * @example
 * ```ts
 * import { ByteMap } from "./_byte_map.ts";
 * const utf8 = new TextEncoder();
 * const map = new ByteMap<string>();
 * map.set(utf8.encode("mykey"), "my value");
 * map.get(utf8.encode("mykey")); // "my value"
 * map.delete(utf8.encode("mykey")); // true
 * map.size; // 0
 * ```
 */
export class ByteMap<V> {
  #table = new Int32Array(CAPACITY_MIN * SLOT_WORDS);
  #longKeys = emptySlots<string>(CAPACITY_MIN);
  #values = emptySlots<V>(CAPACITY_MIN);
  #mask = CAPACITY_MIN - 1;
  #size = 0;
  #k0: number;
  #k1: number;
  #reseeds = 0;
  /** Room to unpack one key: for rehashing and iteration. */
  #scratch = new Uint8Array(INLINE_BYTES_MAX);
  /**
   * Views of the scratch space by length, for inline-sized keys: a snapshot walks every key,
   * and a fresh view each (about 100 bytes of heap on V8) was a fifth of what writes allocate.
   */
  #scratchViews: (Uint8Array | undefined)[] = new Array(INLINE_BYTES_MAX + 1).fill(undefined);

  constructor(options: ByteMapOptions = {}) {
    const seed = options.seed ?? PROCESS_SEED;
    this.#k0 = seed[0]! | 0;
    this.#k1 = seed[1]! | 0;
  }

  /** The number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value stored under `key`, or undefined. */
  get(key: Uint8Array): V | undefined {
    const slot = this.#find(key, this.#hash(key));
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Whether `key` has an entry. */
  has(key: Uint8Array): boolean {
    return this.#find(key, this.#hash(key)) >= 0;
  }

  /** Stores `value` under `key`; the key's bytes are copied only if it is new. */
  set(key: Uint8Array, value: V): this {
    const hash = this.#hash(key);
    const slot = this.#find(key, hash);
    if (slot >= 0) {
      this.#values[slot] = value;
      return this;
    }
    const free = ~slot;
    this.#fill(free, hash, key, value);
    this.#size++;
    const capacity = this.#mask + 1;
    if (this.#size * 2 > capacity) this.#resize(capacity * 2);
    else if (((free - hash) & this.#mask) >= DISPLACEMENT_MAX) this.#reseed();
    return this;
  }

  /** Removes `key`'s entry; returns whether there was one. */
  delete(key: Uint8Array): boolean {
    const slot = this.#find(key, this.#hash(key));
    if (slot < 0) return false;
    this.#removeAt(slot);
    this.#size--;
    // Shrink at one eighth full, to a quarter: far enough from the growth point not to thrash.
    const capacity = this.#mask + 1;
    if (this.#size * 8 < capacity && capacity > CAPACITY_MIN) this.#resize(capacity / 2);
    return true;
  }

  /** Removes every entry and returns the table to its smallest size. */
  clear(): void {
    this.#table = new Int32Array(CAPACITY_MIN * SLOT_WORDS);
    this.#longKeys = emptySlots(CAPACITY_MIN);
    this.#values = emptySlots(CAPACITY_MIN);
    this.#mask = CAPACITY_MIN - 1;
    this.#size = 0;
  }

  /** The keys, as one-char-per-byte strings, in table order. */
  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** The values, in table order (no key strings made). */
  *values(): IterableIterator<V> {
    const table = this.#table;
    for (let slot = 0; slot <= this.#mask; slot++) {
      if (table[slot * SLOT_WORDS + HASH] !== 0) yield this.#values[slot] as V;
    }
  }

  /** `[key, value]` pairs (keys as one-char-per-byte strings), in table order. */
  *entries(): IterableIterator<[string, V]> {
    const table = this.#table;
    for (let slot = 0; slot <= this.#mask; slot++) {
      if (table[slot * SLOT_WORDS + HASH] === 0) continue;
      yield [byteString(this.#keyBytes(table, this.#longKeys, slot)), this.#values[slot] as V];
    }
  }

  /**
   * Visits entries in table order from position `from` (0 to start) while `visit` returns true,
   * and returns the position to resume from, or -1 once every entry was visited. The key is a
   * view of scratch space, valid only during the call; no strings or pairs are made, so a
   * snapshot can copy 100k keys without an allocation each. The map must not change between
   * calls that resume one walk.
   */
  scan(from: number, visit: (key: Uint8Array, value: V) => boolean): number {
    const table = this.#table;
    const longKeys = this.#longKeys;
    const values = this.#values;
    for (let slot = from; slot <= this.#mask; slot++) {
      if (table[slot * SLOT_WORDS + HASH] === 0) continue;
      if (!visit(this.#keyBytes(table, longKeys, slot), values[slot] as V)) return slot;
    }
    return -1;
  }

  /** The same as {@linkcode ByteMap.entries}. */
  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** The table's shape: capacity, longest displacement, reseeds. Walks the whole table. */
  stats(): ByteMapStats {
    const table = this.#table;
    let displacementMax = 0;
    for (let slot = 0; slot <= this.#mask; slot++) {
      const hash = table[slot * SLOT_WORDS + HASH]!;
      if (hash !== 0) displacementMax = Math.max(displacementMax, (slot - hash) & this.#mask);
    }
    return { capacity: this.#mask + 1, displacementMax, reseeds: this.#reseeds };
  }

  /** The key's hash under this table's key; never 0, which marks an empty slot. */
  #hash(key: Uint8Array): number {
    const hash = hashBytes(key, this.#k0, this.#k1);
    return hash === 0 ? 1 : hash;
  }

  /**
   * The slot holding `key`, or, when it is absent, `~slot` of the empty slot that ends its
   * probe run (where an insert goes). The table is never full, so the run ends.
   */
  #find(key: Uint8Array, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const length = key.length;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const at = slot * SLOT_WORDS;
      const stored = table[at + HASH]!;
      if (stored === 0) return ~slot;
      if (stored === hash && table[at + LENGTH] === length && this.#holds(slot, key)) return slot;
    }
  }

  /** Whether `slot`, whose hash and length match, holds `key`. */
  #holds(slot: number, key: Uint8Array): boolean {
    const length = key.length;
    if (length > INLINE_BYTES_MAX) return sameBytes(this.#longKeys[slot]!, key);
    const table = this.#table;
    for (let at = 0, word = slot * SLOT_WORDS + BYTES; at < length; at += 4, word++) {
      if (table[word] !== packedWord(key, at, length)) return false;
    }
    return true;
  }

  /** Writes a new entry into the empty `slot`. */
  #fill(slot: number, hash: number, key: Uint8Array, value: V): void {
    const table = this.#table;
    const length = key.length;
    const first = slot * SLOT_WORDS;
    table[first + HASH] = hash;
    table[first + LENGTH] = length;
    if (length > INLINE_BYTES_MAX) this.#longKeys[slot] = byteString(key);
    else {
      for (let at = 0, word = first + BYTES; at < length; at += 4, word++) {
        table[word] = packedWord(key, at, length);
      }
    }
    this.#values[slot] = value;
  }

  /** The key in `slot` of the given table as bytes, in scratch space (valid until the next call). */
  #keyBytes(table: Int32Array, longKeys: (string | undefined)[], slot: number): Uint8Array {
    const first = slot * SLOT_WORDS;
    const length = table[first + LENGTH]!;
    if (length > this.#scratch.length) {
      this.#scratch = new Uint8Array(length * 2);
      this.#scratchViews.fill(undefined);
    }
    const scratch = this.#scratch;
    if (length > INLINE_BYTES_MAX) {
      putByteString(scratch, 0, longKeys[slot]!);
      return scratch.subarray(0, length);
    }
    for (let i = 0; i < length; i++) {
      scratch[i] = table[first + BYTES + (i >>> 2)]! >>> ((i & 3) * 8);
    }
    return this.#scratchViews[length] ??= scratch.subarray(0, length);
  }

  /**
   * Empties `slot` by backward shift: each later entry of the run that may move back (its home
   * is not between the hole and itself, cyclically) fills the hole, which moves to where it was.
   * Every entry stays reachable from its home, with no tombstones left behind.
   */
  #removeAt(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let hole = slot;
    for (let next = (hole + 1) & mask;; next = (next + 1) & mask) {
      const hash = table[next * SLOT_WORDS + HASH]!;
      if (hash === 0) break;
      // The entry at `next` stays if its home lies cyclically in (hole, next].
      if (((next - hash) & mask) < ((next - hole) & mask)) continue;
      this.#move(table, this.#longKeys, this.#values, next, hole);
      hole = next;
    }
    table[hole * SLOT_WORDS + HASH] = 0;
    this.#longKeys[hole] = undefined;
    this.#values[hole] = undefined;
  }

  /** Copies the entry in slot `from` of the given arrays into slot `to` of this table. */
  #move(
    table: Int32Array,
    longKeys: (string | undefined)[],
    values: (V | undefined)[],
    from: number,
    to: number,
  ): void {
    const target = this.#table;
    for (let word = 0; word < SLOT_WORDS; word++) {
      target[to * SLOT_WORDS + word] = table[from * SLOT_WORDS + word]!;
    }
    this.#longKeys[to] = longKeys[from];
    this.#values[to] = values[from];
  }

  /** Moves every entry into a fresh table of `capacity` slots, by the hashes already stored. */
  #resize(capacity: number): void {
    this.#rebuild(capacity, false);
  }

  /**
   * Draws a fresh hash key and rehashes every entry under it into a fresh table of the same
   * size. An attacker who made the old key's probe runs long knows nothing of the new one.
   */
  #reseed(): void {
    const seed = randomSeed();
    this.#k0 = seed[0]! | 0;
    this.#k1 = seed[1]! | 0;
    this.#reseeds++;
    this.#rebuild(this.#mask + 1, true);
  }

  /**
   * Moves every entry into a fresh table of `capacity` slots: by the hash stored with it, or,
   * with `rehash` (after a reseed), by its key's hash under the current hash key.
   */
  #rebuild(capacity: number, rehash: boolean): void {
    const table = this.#table;
    const longKeys = this.#longKeys;
    const values = this.#values;
    const slots = this.#mask + 1;
    this.#table = new Int32Array(capacity * SLOT_WORDS);
    this.#longKeys = emptySlots(capacity);
    this.#values = emptySlots(capacity);
    this.#mask = capacity - 1;
    for (let slot = 0; slot < slots; slot++) {
      const stored = table[slot * SLOT_WORDS + HASH]!;
      if (stored === 0) continue;
      const hash = rehash ? this.#hash(this.#keyBytes(table, longKeys, slot)) : stored;
      const free = this.#freeSlot(hash);
      this.#move(table, longKeys, values, slot, free);
      if (rehash) this.#table[free * SLOT_WORDS + HASH] = hash;
    }
  }

  /** The empty slot that ends `hash`'s probe run, for an entry known to be absent. */
  #freeSlot(hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    let slot = hash & mask;
    while (table[slot * SLOT_WORDS + HASH] !== 0) slot = (slot + 1) & mask;
    return slot;
  }
}

/**
 * An array of `capacity` undefined slots. Filled rather than pushed: a pushed array keeps its
 * growth slack (8 MB for 262,144 slots on Deno, against 2 MB), and V8 reads a filled one,
 * which it still counts as holey, as fast.
 */
function emptySlots<T>(capacity: number): (T | undefined)[] {
  return new Array<T | undefined>(capacity).fill(undefined);
}

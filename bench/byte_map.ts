/**
 * The clone's keyspace, alone: ns per operation of `ByteMap<string>` (keyed by the request's
 * bytes) against the `Map<string, string>` it replaced (keyed by a fresh string made from them),
 * on a 100k-key table. Keys are what `redis-benchmark -r 100000` sends (`key:000000012345`),
 * read as fresh views into a request buffer in random order, as the decoder hands them out.
 *
 *     deno run -A bench/byte_map.ts      bun bench/byte_map.ts      node bench/byte_map.ts
 *
 * Each case runs ROUNDS times; the table shows the median and the fastest round.
 *
 * @module
 */

import { ByteMap, byteString, hashBytes } from "../examples/_byte_map.ts";

/** The clone's key string before ByteMap: one String.fromCharCode.apply over the bytes. */
function text(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

const KEYS = 100_000;
const OPERATIONS = 1_000_000;
const ROUNDS = 7;
const KEY_BYTES = 16;
const VALUE = "xxx";

/** `key:` and the index in twelve digits, as redis-benchmark's `__rand_int__` makes them. */
function keyBytes(target: Uint8Array, at: number, index: number): void {
  const text = `key:${String(index).padStart(12, "0")}`;
  for (let i = 0; i < KEY_BYTES; i++) target[at + i] = text.charCodeAt(i);
}

/** A buffer of `count` keys back to back, the index of each given by `pick(i)`. */
function requests(count: number, pick: (i: number) => number): Uint8Array {
  const buffer = new Uint8Array(count * KEY_BYTES);
  for (let i = 0; i < count; i++) keyBytes(buffer, i * KEY_BYTES, pick(i));
  return buffer;
}

/** A fixed pseudo-random sequence (xorshift32), so every runtime sees the same keys. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const next = random(12345);
const inOrder = requests(KEYS, (i) => i);
const shuffled = requests(KEYS, permutation(KEYS));
const hits = requests(OPERATIONS, () => Math.floor(next() * KEYS));
const misses = requests(OPERATIONS, () => KEYS + Math.floor(next() * KEYS));

function permutation(count: number): (i: number) => number {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return (i) => order[i]!;
}

/** The operations each contender offers, all taking the key as request bytes. */
interface Contender {
  name: string;
  make(): unknown;
  set(map: unknown, key: Uint8Array): void;
  get(map: unknown, key: Uint8Array): unknown;
  delete(map: unknown, key: Uint8Array): boolean;
}

const byteMap: Contender = {
  name: "ByteMap",
  make: () => new ByteMap<string>(),
  set: (map, key) => void (map as ByteMap<string>).set(key, VALUE),
  get: (map, key) => (map as ByteMap<string>).get(key),
  delete: (map, key) => (map as ByteMap<string>).delete(key),
};

const stringMap: Contender = {
  name: "Map+text()",
  make: () => new Map<string, string>(),
  set: (map, key) => void (map as Map<string, string>).set(text(key), VALUE),
  get: (map, key) => (map as Map<string, string>).get(text(key)),
  delete: (map, key) => (map as Map<string, string>).delete(text(key)),
};

let sink = 0;

/** Runs `operation` over every key in `buffer` (a fresh view each); returns ns per key. */
function pass(buffer: Uint8Array, operation: (key: Uint8Array) => unknown): number {
  const count = buffer.length / KEY_BYTES;
  const started = performance.now();
  for (let at = 0; at < buffer.length; at += KEY_BYTES) {
    if (operation(buffer.subarray(at, at + KEY_BYTES)) !== undefined) sink++;
  }
  return (performance.now() - started) * 1e6 / count;
}

/** ns per operation for each case, one round. */
function round(contender: Contender): Record<string, number> {
  const map = contender.make();
  const insert = pass(inOrder, (key) => contender.set(map, key));
  return {
    "insert (grows)": insert,
    "set (overwrite)": pass(hits, (key) => contender.set(map, key)),
    "get (hit)": pass(hits, (key) => contender.get(map, key)),
    "get (miss)": pass(misses, (key) => contender.get(map, key)),
    "delete": pass(shuffled, (key) => contender.delete(map, key)),
  };
}

/** Reference costs the map operations include or avoid. */
function references(): Record<string, number> {
  const seed = [0x12345678, 0x9abcdef0];
  return {
    "text() of the key": pass(hits, (key) => text(key).length),
    "byteString of the key": pass(hits, (key) => byteString(key).length),
    "hashBytes of the key": pass(hits, (key) => hashBytes(key, seed[0]!, seed[1]!)),
    "subarray view only": pass(hits, (key) => key.length),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function collect(measure: () => Record<string, number>): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, ns] of Object.entries(measure())) {
      runs.set(name, [...(runs.get(name) ?? []), ns]);
    }
  }
  return runs;
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
// Interleaved rounds, so that a noisy moment on a shared machine hits both alike.
const results = new Map<string, Map<string, number[]>>([
  [byteMap.name, new Map()],
  [stringMap.name, new Map()],
]);
for (let i = 0; i < ROUNDS; i++) {
  for (const contender of [byteMap, stringMap]) {
    for (const [name, ns] of Object.entries(round(contender))) {
      const runs = results.get(contender.name)!;
      runs.set(name, [...(runs.get(name) ?? []), ns]);
    }
  }
}

const cell = (runs: number[]) =>
  `${median(runs).toFixed(0)} (${Math.min(...runs).toFixed(0)})`.padStart(14);
console.log(
  `${KEYS.toLocaleString("en-US")}-key table on ${runtime}, ns/op, median (best) of ${ROUNDS}`,
);
console.log(
  `${"case".padEnd(22)} ${byteMap.name.padStart(14)} ${stringMap.name.padStart(14)} ${
    "ratio".padStart(6)
  }`,
);
for (const [name, runs] of results.get(byteMap.name)!) {
  const other = results.get(stringMap.name)!.get(name)!;
  const ratio = (median(other) / median(runs)).toFixed(1);
  console.log(`${name.padEnd(22)} ${cell(runs)} ${cell(other)} ${`${ratio}×`.padStart(6)}`);
}
for (const [name, runs] of collect(references)) console.log(`${name.padEnd(22)} ${cell(runs)}`);
if (sink === 0) console.log("(nothing found: the benchmark is broken)");

/**
 * ByteMap against a plain Map over random operation sequences (every byte value, the empty key,
 * keys either side of the inline limit, long keys, tiny tables where everything collides), its
 * hash against the HalfSipHash reference, and growth, shrinking, deletion and flooding cases.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ByteMap, byteString, hashBytes, putByteString } from "./_byte_map.ts";

/** A small seeded generator (mulberry32): each seed replays the same run. */
function random(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

const rotl = (x: number, b: number) => ((x << b) | (x >>> (32 - b))) >>> 0;

/**
 * HalfSipHash with 32-bit output, written from the reference (`halfsiphash.c`) one byte at a
 * time, for any number of compression and finalization rounds: the oracle for hashBytes.
 */
function halfSipHash(key: Uint8Array, message: Uint8Array, cRounds: number, dRounds: number) {
  const k0 = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
  const k1 = (key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24) >>> 0;
  const v = [k0, k1, (0x6c796765 ^ k0) >>> 0, (0x74656462 ^ k1) >>> 0];
  const round = () => {
    v[0] = (v[0]! + v[1]!) >>> 0, v[1] = rotl(v[1]!, 5), v[1] = (v[1] ^ v[0]) >>> 0;
    v[0] = rotl(v[0], 16);
    v[2] = (v[2]! + v[3]!) >>> 0, v[3] = rotl(v[3]!, 8), v[3] = (v[3] ^ v[2]) >>> 0;
    v[0] = (v[0] + v[3]) >>> 0, v[3] = rotl(v[3], 7), v[3] = (v[3] ^ v[0]) >>> 0;
    v[2] = (v[2] + v[1]) >>> 0, v[1] = rotl(v[1], 13), v[1] = (v[1] ^ v[2]) >>> 0;
    v[2] = rotl(v[2], 16);
  };
  const absorb = (m: number) => {
    v[3] = (v[3]! ^ m) >>> 0;
    for (let i = 0; i < cRounds; i++) round();
    v[0] = (v[0]! ^ m) >>> 0;
  };
  const whole = message.length - (message.length % 4);
  for (let at = 0; at < whole; at += 4) {
    absorb(
      (message[at]! | message[at + 1]! << 8 | message[at + 2]! << 16 |
        message[at + 3]! << 24) >>> 0,
    );
  }
  let last = (message.length & 0xff) * 2 ** 24;
  for (let i = whole; i < message.length; i++) last += message[i]! * 2 ** (8 * (i - whole));
  absorb(last >>> 0);
  v[2] = (v[2]! ^ 0xff) >>> 0;
  for (let i = 0; i < dRounds; i++) round();
  return (v[1]! ^ v[3]!) >>> 0;
}

/** The reference implementation's vectors_hsip32: key 00..07, message 00..(i-1). */
const HALFSIPHASH_2_4_VECTORS = [
  [0xa9, 0x35, 0x9f, 0x5b],
  [0x27, 0x47, 0x5a, 0xb8],
  [0xfa, 0x62, 0xa6, 0x03],
  [0x8a, 0xfe, 0xe7, 0x04],
  [0x2a, 0x6e, 0x46, 0x89],
  [0xc5, 0xfa, 0xb6, 0x69],
  [0x58, 0x63, 0xfc, 0x23],
  [0x8b, 0xcf, 0x63, 0xc5],
];

const SEED = [0x03020100, 0x07060504] as const;

/**
 * Drives a ByteMap and a Map<string, V> with the same operations and checks that they agree.
 * Keys reach the ByteMap as views at an offset into one buffer that is scribbled over after
 * every operation, so a map that kept a view instead of copying would fail.
 */
class Checker {
  readonly map: ByteMap<number>;
  readonly model = new Map<string, number>();
  readonly #buffer = new Uint8Array(8192);

  constructor(map = new ByteMap<number>()) {
    this.map = map;
  }

  #view(key: Uint8Array): Uint8Array {
    const at = 3 + (key.length % 5);
    this.#buffer.set(key, at);
    return this.#buffer.subarray(at, at + key.length);
  }

  #scribble(): void {
    this.#buffer.fill(0xa5);
  }

  set(key: Uint8Array, value: number): void {
    this.map.set(this.#view(key), value);
    this.#scribble();
    this.model.set(byteString(key), value);
    assert.equal(this.map.size, this.model.size);
  }

  delete(key: Uint8Array): void {
    const deleted = this.map.delete(this.#view(key));
    this.#scribble();
    assert.equal(deleted, this.model.delete(byteString(key)), "delete's result");
    assert.equal(this.map.size, this.model.size);
  }

  get(key: Uint8Array): void {
    const view = this.#view(key);
    assert.equal(this.map.get(view), this.model.get(byteString(key)), "get");
    assert.equal(this.map.has(view), this.model.has(byteString(key)), "has");
  }

  /** Every entry, both ways: iteration yields exactly the model's entries. */
  all(): void {
    const entries = [...this.map.entries()];
    assert.equal(entries.length, this.model.size);
    assert.deepEqual(new Map(entries), this.model);
    for (const [key, value] of this.model) {
      const bytes = new Uint8Array(key.length);
      putByteString(bytes, 0, key);
      assert.equal(this.map.get(bytes), value);
    }
    const { capacity, displacementMax } = this.map.stats();
    assert.ok(this.map.size * 2 <= capacity, "at most half full");
    assert.ok(displacementMax < 128, `displacement ${displacementMax}`);
  }
}

/** Random bytes of every value 0..255. */
function bytes(next: (below: number) => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => next(256));
}

/** Runs `steps` random operations over keys drawn by `key`. */
function randomRun(
  seed: number,
  steps: number,
  key: (next: (below: number) => number) => Uint8Array,
) {
  const next = random(seed);
  const checker = new Checker();
  for (let step = 0; step < steps; step++) {
    const roll = next(100);
    if (roll < 45) checker.set(key(next), step);
    else if (roll < 70) checker.delete(key(next));
    else checker.get(key(next));
    if (step % 997 === 0) checker.all();
  }
  checker.all();
  return checker;
}

/**
 * Two of the keys `make(0)`, `make(1)`, ... `make(count - 1)` whose 32-bit hashes are equal
 * (of different lengths, if asked), and the hash key that makes them so: a birthday search,
 * over hash keys 1, 2, ... until one gives a collision (2^16 keys give one about even odds).
 */
function collision(make: (i: number) => Uint8Array, count: number, lengthsDiffer: boolean) {
  for (let k0 = 1;; k0++) {
    const seen = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const key = make(i);
      const hash = hashBytes(key, k0, 0x5eed);
      const other = seen.get(hash);
      if (other !== undefined && (!lengthsDiffer || make(other).length !== key.length)) {
        return { seed: [k0, 0x5eed] as const, a: make(other), b: key };
      }
      seen.set(hash, i);
    }
  }
}

describe("byteString", () => {
  test("one char per byte, every byte value, at every short length and either side of the Buffer threshold", () => {
    const next = random(3);
    for (
      const length of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 31, 32, 33, 100, 256, 8192, 8193, 100_000]
    ) {
      const source = new Uint8Array(length + 5);
      source.set(bytes(next, length), 5);
      if (length >= 256) { for (let i = 0; i < 256; i++) source[5 + i] = i; }
      const view = source.subarray(5);
      const text = byteString(view);
      const expected = Array.from(view, (byte) => String.fromCharCode(byte)).join("");
      source.fill(0);
      assert.equal(text, expected, `length ${length}`);
      const back = new Uint8Array(length);
      assert.equal(putByteString(back, 0, text), length);
      assert.deepEqual(back, Uint8Array.from(expected, (char) => char.charCodeAt(0)));
    }
  });
});

describe("hashBytes", () => {
  test("the oracle gives the reference HalfSipHash-2-4 vectors", () => {
    const key = Uint8Array.from({ length: 8 }, (_, i) => i);
    HALFSIPHASH_2_4_VECTORS.forEach((expected, length) => {
      const message = Uint8Array.from({ length }, (_, i) => i);
      const hash = halfSipHash(key, message, 2, 4);
      assert.deepEqual([hash & 0xff, hash >>> 8 & 0xff, hash >>> 16 & 0xff, hash >>> 24], expected);
    });
  });

  test("is HalfSipHash-1-3 for every length and byte value", () => {
    const next = random(7);
    for (let trial = 0; trial < 2000; trial++) {
      const key = bytes(next, 8);
      const message = bytes(next, trial % 70);
      const k0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
      const k1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
      assert.equal(hashBytes(message, k0, k1) >>> 0, halfSipHash(key, message, 1, 3));
    }
  });

  test("spreads redis-benchmark's keys evenly over the low bits", () => {
    const buckets = new Uint32Array(1024);
    for (let i = 0; i < 102_400; i++) {
      const key = new TextEncoder().encode(`key:${String(i).padStart(12, "0")}`);
      buckets[hashBytes(key, SEED[0], SEED[1]) & 1023]!++;
    }
    // 100 per bucket expected; a uniform hash stays within about 5 standard deviations (50).
    assert.ok(Math.max(...buckets) < 150 && Math.min(...buckets) > 50, `${Math.max(...buckets)}`);
  });
});

describe("ByteMap", () => {
  test("agrees with Map on a tiny table: six keys, so every probe run collides", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const keys = [
        new Uint8Array(0),
        ...Array.from({ length: 5 }, (_, i) => bytes(random(seed * 31 + i), i * 7)),
      ];
      const checker = randomRun(seed, 3000, (next) => keys[next(keys.length)]!);
      assert.ok(checker.map.stats().capacity <= 16);
    }
  });

  test("agrees with Map on keys of every byte value, either side of the inline limit", () => {
    for (let seed = 1; seed <= 10; seed++) {
      // Few enough distinct keys that overwrites and deletes of present keys happen often.
      const pool = Array.from({ length: 400 }, (_, i) => bytes(random(seed * 1000 + i), i % 40));
      randomRun(seed, 20_000, (next) => pool[next(pool.length)]!);
    }
  });

  test("agrees with Map on long keys that differ only at the end", () => {
    const prefix = bytes(random(99), 3000);
    const pool = Array.from({ length: 50 }, (_, i) => {
      const key = new Uint8Array(prefix.length - (i % 3));
      key.set(prefix.subarray(0, key.length));
      key[key.length - 1] = i;
      return key;
    });
    randomRun(5, 5000, (next) => pool[next(pool.length)]!);
  });

  test("scan visits every entry once across resumed walks, with the key's bytes", () => {
    const map = new ByteMap<number>();
    const expected = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const key = bytes(random(i + 7), i % 50);
      map.set(key, i);
      expected.set(byteString(key), i);
    }
    const seen = new Map<string, number>();
    let walks = 0;
    for (let cursor = 0; cursor >= 0; walks++) {
      let budget = 37;
      cursor = map.scan(cursor, (key, value) => {
        if (budget-- === 0) return false;
        assert.ok(!seen.has(byteString(key)), "visited twice");
        seen.set(byteString(key), value);
        return true;
      });
    }
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.equal(walks, Math.ceil(expected.size / 37));
  });

  test("grows while inserting, shrinks while deleting, and clear() starts over", () => {
    const checker = new Checker();
    const key = (i: number) => new TextEncoder().encode(`key:${String(i).padStart(12, "0")}`);
    for (let i = 0; i < 50_000; i++) checker.set(key(i), i);
    checker.all();
    assert.equal(checker.map.stats().capacity, 131_072);
    for (let i = 0; i < 49_990; i++) checker.delete(key(i));
    checker.all();
    assert.ok(checker.map.stats().capacity <= 64);
    checker.map.clear();
    checker.model.clear();
    checker.all();
    assert.equal(checker.map.stats().capacity, 8);
    checker.set(key(1), 1);
    checker.all();
  });

  test("keys whose full hashes collide stay apart", () => {
    const counter = (key: Uint8Array, at: number, i: number, bytes: number) => {
      for (let b = 0; b < bytes; b++) key[at + b] = i >>> (8 * b);
      return key;
    };
    const prefix = (length: number) => Uint8Array.from({ length }, (_, i) => 0x61 + (i % 26));
    const families: [string, (i: number) => Uint8Array, number][] = [
      // Inline keys that differ only in their last whole word, or only in a partial one.
      ["16 bytes, last word", (i) => counter(prefix(16), 12, i, 4), 150_000],
      ["14 bytes, last half word", (i) => counter(prefix(14), 12, i, 2), 65_536],
      ["3 bytes", (i) => counter(prefix(3), 0, i, 3), 150_000],
      // Long keys that differ only in their first bytes.
      ["40 bytes, first word", (i) => counter(prefix(40), 0, i, 4), 150_000],
      // Different lengths (compared inline, a shorter key reads as zero-padded).
      ["lengths 5 to 8", (i) => counter(new Uint8Array(5 + (i & 3)), 0, i >>> 2, 3), 150_000],
      ["lengths 23 to 26", (i) => counter(prefix(23 + (i & 3)), 0, i >>> 2, 3), 150_000],
    ];
    for (const [name, make, count] of families) {
      const { seed, a, b } = collision(make, count, name.startsWith("lengths"));
      const checker = new Checker(new ByteMap<number>({ seed }));
      checker.set(a, 1);
      checker.get(b);
      checker.set(b, 2);
      checker.get(a);
      checker.delete(a);
      checker.get(b);
      checker.set(a, 3);
      checker.delete(b);
      checker.get(a);
      checker.get(b);
      checker.all();
      assert.notDeepEqual(a, b, name);
    }
  });

  test("backward-shift deletion across the end of the table", () => {
    // Keys whose home is the last slot of an 8-slot table: their run wraps round to slot 0.
    const homes = (home: number, count: number) => {
      const found: Uint8Array[] = [];
      for (let i = 0; found.length < count; i++) {
        const key = new TextEncoder().encode(`w${i}`);
        if ((hashBytes(key, SEED[0], SEED[1]) & 7) === home) found.push(key);
      }
      return found;
    };
    const [first, second] = homes(7, 2);
    const [third] = homes(0, 1);
    // Either order fills slots 7, 0 and 1; each deletion must pull the rest back round the end.
    for (const order of [[first!, second!, third!], [third!, first!, second!]]) {
      for (const victim of order) {
        const checker = new Checker(new ByteMap<number>({ seed: SEED }));
        order.forEach((key, i) => checker.set(key, i));
        assert.equal(checker.map.stats().capacity, 8);
        checker.delete(victim);
        checker.all();
        for (const key of order) checker.get(key);
      }
    }
    const checker = new Checker(new ByteMap<number>({ seed: SEED }));
    for (const key of [third!, first!, second!]) checker.set(key, 0);
    assert.equal(checker.map.stats().displacementMax, 2, "second sits two past its home");
  });

  test("a flood of keys with one home slot makes the table rehash under a fresh key", () => {
    // Keys an attacker who knew the seed would send: all with the same low 10 hash bits,
    // so one home slot in any table of up to 1024 slots (200 keys take 512).
    const flood: Uint8Array[] = [];
    for (let i = 0; flood.length < 200; i++) {
      const key = new TextEncoder().encode(`flood:${i}`);
      if ((hashBytes(key, SEED[0], SEED[1]) & 1023) === 0) flood.push(key);
    }
    const checker = new Checker(new ByteMap<number>({ seed: SEED }));
    flood.forEach((key, i) => checker.set(key, i));
    assert.equal(checker.map.stats().reseeds, 1);
    checker.all();
  });

  test("stores any value, undefined included, and iterates keys and values alike", () => {
    const map = new ByteMap<string | undefined>();
    const utf8 = new TextEncoder();
    map.set(utf8.encode("a"), undefined);
    map.set(new Uint8Array([0, 255]), "b");
    assert.equal(map.has(utf8.encode("a")), true);
    assert.equal(map.get(utf8.encode("a")), undefined);
    assert.deepEqual(new Map(map), new Map([["a", undefined], ["\x00\xff", "b"]]));
    assert.deepEqual(new Set(map.keys()), new Set(["a", "\x00\xff"]));
    assert.deepEqual(new Set(map.values()), new Set([undefined, "b"]));
  });
});

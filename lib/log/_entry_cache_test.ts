import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EntryCache } from "./_entry_cache.ts";
import { makeEntries, makeEntry } from "../../tests/_support/log_conformance.ts";

/** What a 16-byte entry is charged: payload plus `ENTRY_OVERHEAD_BYTES` (160). */
const CHARGE = 16 + 160;

describe("EntryCache", () => {
  test("pushAll keeps what push would, and eviction honours the bound and the pin", () => {
    const one = new EntryCache(10 * CHARGE);
    const all = new EntryCache(10 * CHARGE);
    const entries = makeEntries(1, 31, 1);
    for (const entry of entries) one.push(entry);
    all.pushAll(entries.slice(0, 7));
    all.pushAll([]);
    all.pushAll(entries.slice(7));
    for (const cache of [one, all]) {
      cache.evict(25); // entries 25.. are pinned, so more than ten may stay
      assert.equal(cache.first, 21);
      assert.equal(cache.size, 10);
      cache.evict(Infinity);
      assert.equal(cache.first, 21);
      assert.equal(cache.slice(21, 31, Infinity)?.length, 10);
      assert.equal(cache.get(20), undefined);
    }
  });

  test("a batch after a gap restarts the cache", () => {
    const cache = new EntryCache(1 << 20);
    cache.pushAll(makeEntries(1, 5, 1));
    cache.pushAll(makeEntries(9, 12, 2));
    assert.equal(cache.first, 9);
    assert.equal(cache.size, 3);
  });

  test("charges follow the entries through truncation, dropping and the ring's growth", () => {
    const cache = new EntryCache(100 * CHARGE);
    cache.pushAll(makeEntries(1, 3001, 1)); // 3,000 entries: the ring grows from 1,024 slots
    cache.evict(Infinity);
    assert.equal(cache.size, 100);
    assert.equal(cache.first, 2901);
    cache.truncateAfter(2950);
    cache.dropBefore(2911);
    assert.equal(cache.first, 2911);
    assert.equal(cache.size, 40);
    // With 40 entries charged, sixty more fit before eviction starts again.
    cache.pushAll(makeEntries(2951, 3011, 1));
    cache.evict(Infinity);
    assert.equal(cache.first, 2911);
    cache.push(makeEntry(3011, 1));
    cache.evict(Infinity);
    assert.equal(cache.first, 2912);
    assert.equal(cache.size, 100);
  });

  test("entries stay in order when the ring wraps and when it grows while wrapped", () => {
    const cache = new EntryCache(1 << 30);
    const all = makeEntries(1, 5001, 1);
    cache.pushAll(all.slice(0, 1000));
    cache.dropBefore(901); // the first live slot is now far into the ring
    for (let from = 1000; from < 5000; from += 700) cache.pushAll(all.slice(from, from + 700));
    assert.equal(cache.first, 901);
    assert.equal(cache.size, 4100);
    for (const index of [901, 1024, 1025, 2048, 3333, 5000]) {
      assert.equal(cache.get(index), all[index - 1]);
    }
    const slice = cache.slice(1020, 1030, Infinity)!;
    assert.deepEqual(
      slice.map((entry) => entry.index),
      makeEntries(1020, 1030, 1).map((e) => e.index),
    );
    cache.truncateAfter(1500);
    assert.equal(cache.get(1501), undefined);
    assert.equal(cache.get(1500), all[1499]);
  });
});

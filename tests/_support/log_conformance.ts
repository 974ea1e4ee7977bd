/**
 * Test-only: behaviour every {@linkcode RaftLog} must show, run against both implementations.
 * `reopen` returns the same log reopened from its storage (or the same object in memory).
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogEntry, RaftLog } from "../../lib/log/types.ts";

/** A deterministic entry: payload bytes derived from index and term. */
export function makeEntry(index: number, term: number, size = 16, type = 0): LogEntry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type, data };
}

/** Entries `[from, to)` all of `term`. */
export function makeEntries(from: number, to: number, term: number, size = 16): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i < to; i++) out.push(makeEntry(i, term, size, i % 3));
  return out;
}

/** Asserts two entry lists are equal field by field. */
export function assertEntries(actual: readonly LogEntry[], expected: readonly LogEntry[]): void {
  assert.equal(actual.length, expected.length, "entry count");
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.deepEqual(
      { index: a.index, term: a.term, type: a.type, data: [...a.data] },
      { index: e.index, term: e.term, type: e.type, data: [...e.data] },
    );
  }
}

/** Defines the shared tests. */
export function conformance(
  name: string,
  create: () => Promise<{ log: RaftLog; reopen: (log: RaftLog) => Promise<RaftLog> }>,
): void {
  test(`${name}: a fresh log is empty`, async () => {
    const { log } = await create();
    assert.equal(log.firstIndex(), 1);
    assert.equal(log.lastIndex(), 0);
    assert.equal(log.term(0), 0);
    assert.equal(log.term(1), undefined);
    assert.deepEqual(await log.entries(1, 1), []);
    await assert.rejects(() => log.entry(1), RangeError);
    await log.close();
  });

  test(`${name}: appends are visible at once and read back`, async () => {
    const { log, reopen } = await create();
    const batch = makeEntries(1, 6, 1);
    const done = log.append(batch);
    assert.equal(log.lastIndex(), 5);
    assert.equal(log.term(5), 1);
    await done;
    await log.append(makeEntries(6, 11, 2));
    assertEntries(await log.entries(1, 11), [...batch, ...makeEntries(6, 11, 2)]);
    assertEntries([await log.entry(7)], [makeEntry(7, 2, 16, 7 % 3)]);
    assertEntries(log.cachedEntries(3, 8)!, await log.entries(3, 8));
    const again = await reopen(log);
    assert.equal(again.lastIndex(), 10);
    assert.equal(again.term(6), 2);
    assert.equal(again.term(5), 1);
    assertEntries(await again.entries(1, 11), [...batch, ...makeEntries(6, 11, 2)]);
    await again.close();
  });

  test(`${name}: misuse is a RangeError`, async () => {
    const { log } = await create();
    await log.append(makeEntries(1, 4, 2));
    assert.throws(() => log.appendBuffered([makeEntry(5, 2)]), RangeError);
    assert.throws(() => log.appendBuffered([makeEntry(4, 1)]), RangeError);
    assert.throws(() => log.appendBuffered([makeEntry(4, 2), makeEntry(6, 2)]), RangeError);
    assert.equal(log.lastIndex(), 3);
    await assert.rejects(() => log.entries(0, 2), RangeError);
    await assert.rejects(() => log.entries(2, 5), RangeError);
    assert.throws(() => log.cachedEntries(3, 2), RangeError);
    await assert.rejects(() => log.truncateBack(4), RangeError);
    await assert.rejects(() => log.truncateFront(5), RangeError);
    await log.close();
  });

  test(`${name}: maxBytes bounds a read but returns at least one entry`, async () => {
    const { log } = await create();
    await log.append(makeEntries(1, 11, 1, 100));
    assert.equal((await log.entries(1, 11, 1)).length, 1);
    assert.equal((await log.entries(1, 11, 3 * 125)).length, 3);
    assert.equal((await log.entries(1, 11, 3 * 125 - 1)).length, 2);
    assert.equal(log.cachedEntries(1, 11, 250)!.length, 2);
    await log.close();
  });

  test(`${name}: truncateBack drops a suffix, durably`, async () => {
    const { log, reopen } = await create();
    await log.append(makeEntries(1, 11, 1));
    await log.truncateBack(6);
    assert.equal(log.lastIndex(), 6);
    assert.equal(log.term(7), undefined);
    await log.append(makeEntries(7, 9, 3));
    const again = await reopen(log);
    assert.equal(again.lastIndex(), 8);
    assertEntries(await again.entries(1, 9), [...makeEntries(1, 7, 1), ...makeEntries(7, 9, 3)]);
    await again.truncateBack(0);
    assert.equal(again.lastIndex(), 0);
    const third = await reopen(again);
    assert.equal(third.lastIndex(), 0);
    await third.append(makeEntries(1, 3, 4));
    assert.equal(third.term(2), 4);
    await third.close();
  });

  test(`${name}: truncateFront drops a prefix and keeps the term before it`, async () => {
    const { log, reopen } = await create();
    await log.append([...makeEntries(1, 6, 1), ...makeEntries(6, 11, 2)]);
    await log.truncateFront(7);
    assert.equal(log.firstIndex(), 7);
    assert.equal(log.term(6), 2);
    assert.equal(log.term(5), undefined);
    await assert.rejects(() => log.entry(6), RangeError);
    const again = await reopen(log);
    assert.equal(again.firstIndex(), 7);
    assert.equal(again.lastIndex(), 10);
    assert.equal(again.term(6), 2);
    assertEntries(await again.entries(7, 11), makeEntries(7, 11, 2));
    await again.truncateFront(11);
    assert.equal(again.firstIndex(), 11);
    assert.equal(again.lastIndex(), 10);
    assert.equal(again.term(10), 2);
    const third = await reopen(again);
    assert.equal(third.firstIndex(), 11);
    assert.equal(third.term(10), 2);
    await third.append(makeEntries(11, 13, 3));
    assert.equal(third.lastIndex(), 12);
    await third.close();
  });

  test(`${name}: reset drops the log for a snapshot beyond it`, async () => {
    const { log, reopen } = await create();
    await log.append(makeEntries(1, 11, 1));
    await log.reset(50, 4);
    assert.equal(log.firstIndex(), 51);
    assert.equal(log.lastIndex(), 50);
    assert.equal(log.term(50), 4);
    assert.equal(log.term(10), undefined);
    await log.append(makeEntries(51, 54, 5));
    const again = await reopen(log);
    assert.equal(again.firstIndex(), 51);
    assert.equal(again.term(50), 4);
    assertEntries(await again.entries(51, 54), makeEntries(51, 54, 5));
    await again.reset(3, 1);
    assert.equal(again.lastIndex(), 3);
    const third = await reopen(again);
    assert.equal(third.lastIndex(), 3);
    assert.equal(third.term(3), 1);
    await third.close();
  });
}

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogView } from "./log_view.ts";
import { MemoryStorage } from "./memory_storage.ts";
import type { Entry } from "./types.ts";

function entry(index: number, term: number): Entry {
  return { index, term, type: 0, data: new Uint8Array(4) };
}

describe("LogView", () => {
  test("serves stored and unstable entries as one log", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1)]);
    const log = new LogView(storage);
    log.append([entry(3, 2)]);
    assert.equal(log.lastIndex(), 3);
    assert.deepEqual(log.entries(1, 4, 1 << 20)?.map((e) => e.index), [1, 2, 3]);
    assert.ok(log.isUpToDate(3, 2));
    assert.equal(log.isUpToDate(9, 1), false);
  });

  test("hands out unstable entries once, and forgets them when persisted", () => {
    const storage = new MemoryStorage();
    const log = new LogView(storage);
    log.append([entry(1, 1), entry(2, 1)]);
    const taken = log.takeUnstable();
    assert.equal(taken.length, 2);
    assert.equal(log.hasUnstable(), false);
    storage.append(taken);
    log.stableTo(undefined);
    assert.equal(log.stableIndex(), 2);
  });

  test("a conflict inside the handed-out range is handed out again", () => {
    const storage = new MemoryStorage();
    const log = new LogView(storage);
    log.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    log.takeUnstable();
    log.append([entry(2, 2)]); // arrives before the application finished persisting
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    log.stableTo(undefined);
    assert.equal(log.stableIndex(), 1);
    assert.deepEqual(log.takeUnstable().map((e) => [e.index, e.term]), [[2, 2]]);
  });

  test("an answer of 'not in memory' from storage is passed on as undefined", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1)]);
    storage.cacheMiss = () => true;
    assert.equal(new LogView(storage).entries(1, 2, 100), undefined);
  });
});

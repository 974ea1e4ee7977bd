import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeMembership } from "./membership.ts";
import { MemoryStorage } from "./memory_storage.ts";
import type { Entry } from "./types.ts";

function entry(
  index: number,
  term: number,
  type = 0,
  data: Uint8Array = new Uint8Array(10),
): Entry {
  return { index, term, type, data };
}

describe("MemoryStorage", () => {
  test("appends, truncates a conflicting suffix and compacts behind a snapshot", () => {
    const storage = new MemoryStorage({ voters: ["a"], learners: [] });
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2)]);
    assert.equal(storage.lastIndex(), 2);
    assert.equal(storage.term(2), 2);
    storage.createSnapshot(1, { voters: ["a"], learners: [] }, new Uint8Array([7]));
    assert.equal(storage.firstIndex(), 2);
    assert.equal(storage.term(1), 1);
    assert.equal(storage.term(0), undefined);
    assert.deepEqual(storage.snapshotChunk(0, 10), new Uint8Array([7]));
  });

  test("caps entries by bytes but returns at least one", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    assert.equal(storage.entries(1, 4, 1)?.length, 1);
    assert.equal(storage.entries(1, 4, 70)?.length, 2);
  });

  test("reports membership entries to a restarting node", () => {
    const storage = new MemoryStorage({ voters: ["a"], learners: [] });
    const membership = { voters: ["a", "b"], learners: [] };
    storage.append([entry(1, 1), entry(2, 1, 2, encodeMembership(membership))]);
    assert.deepEqual(storage.initialState().memberships, [{ index: 2, membership }]);
  });

  test("assembles chunks and installs the snapshot", () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1)]);
    const meta = { index: 9, term: 3, membership: { voters: ["a"], learners: [] } };
    storage.receiveChunk({ meta, offset: 0, data: new Uint8Array([1, 2]), done: false });
    storage.receiveChunk({ meta, offset: 2, data: new Uint8Array([3]), done: true });
    assert.deepEqual(storage.snapshotData(), new Uint8Array([1, 2, 3]));
    assert.equal(storage.firstIndex(), 10);
    assert.equal(storage.lastIndex(), 9);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApplyQueue } from "./apply_queue.ts";
import type { Entry } from "../raft/types.ts";

const entry = (index: number): Entry => ({ index, term: 1, type: 0, data: new Uint8Array() });
const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("ApplyQueue", () => {
  test("applies batches in order, one at a time", async () => {
    const applied: number[] = [];
    let concurrent = 0;
    const queue = new ApplyQueue({
      apply: async (entries) => {
        concurrent++;
        assert.equal(concurrent, 1, "two batches applied at once");
        await later();
        applied.push(...entries.map((e) => e.index));
        concurrent--;
      },
      failed: (error) => assert.fail(String(error)),
    });
    await queue.push([entry(1), entry(2)]);
    await queue.push([entry(3)]);
    await queue.drained();
    assert.deepEqual(applied, [1, 2, 3]);
  });

  test("pause holds applying until released; pushing still returns at once", async () => {
    const applied: number[] = [];
    const queue = new ApplyQueue({
      apply: (entries) => {
        applied.push(...entries.map((e) => e.index));
        return Promise.resolve();
      },
      failed: (error) => assert.fail(String(error)),
    });
    const release = await queue.pause();
    await queue.push([entry(1)]);
    await later();
    assert.deepEqual(applied, []);
    release();
    await queue.drained();
    assert.deepEqual(applied, [1]);
  });

  test("push waits when the queue is over its bound", async () => {
    let unblock!: () => void;
    const gate = new Promise<void>((resolve) => (unblock = resolve));
    const queue = new ApplyQueue({
      apply: () => gate,
      failed: (error) => assert.fail(String(error)),
      waitingMax: 2,
    });
    await queue.push([entry(1), entry(2)]);
    let pushed = false;
    const third = queue.push([entry(3)]).then(() => (pushed = true));
    await later();
    assert.equal(pushed, false);
    unblock();
    await third;
    assert.equal(pushed, true);
  });

  test("a failing apply is reported and stops the queue", async () => {
    const errors: unknown[] = [];
    const queue = new ApplyQueue({
      apply: () => Promise.reject(new Error("boom")),
      failed: (error) => errors.push(error),
    });
    await queue.push([entry(1)]);
    await queue.drained();
    assert.equal(errors.length, 1);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApplyQueue } from "./apply_queue.ts";
import type { Entry } from "../raft/types.ts";

const entry = (index: number): Entry => ({ index, term: 1, type: 0, data: new Uint8Array() });
const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("ApplyQueue", () => {
  test("a synchronous batch is applied before push returns; push returns nothing", () => {
    const applied: number[] = [];
    const queue = new ApplyQueue({
      apply: (entries) => {
        applied.push(...entries.map((e) => e.index));
        return undefined;
      },
      failed: (error) => assert.fail(String(error)),
    });
    assert.equal(queue.push([entry(1), entry(2)]), undefined);
    assert.deepEqual(applied, [1, 2]);
    assert.equal(queue.waiting, 0);
  });

  test("a batch pushed while an async one runs waits for it, then follows in order", async () => {
    const applied: number[] = [];
    let release!: () => void;
    const queue = new ApplyQueue({
      apply: (entries) => {
        if (entries[0]!.index === 1) {
          return new Promise<void>((resolve) => (release = resolve)).then(() => {
            applied.push(1);
          });
        }
        applied.push(...entries.map((e) => e.index));
        return undefined;
      },
      failed: (error) => assert.fail(String(error)),
    });
    queue.push([entry(1)]);
    queue.push([entry(2)]);
    assert.deepEqual(applied, []);
    release();
    await queue.drained();
    assert.deepEqual(applied, [1, 2]);
  });

  test("a batch that throws synchronously fails the queue", () => {
    const failures: unknown[] = [];
    const queue = new ApplyQueue({
      apply: () => {
        throw new Error("machine broke");
      },
      failed: (error) => void failures.push(error),
    });
    queue.push([entry(1)]);
    assert.equal(failures.length, 1);
    queue.push([entry(2)]);
    assert.equal(failures.length, 1, "a failed queue applies nothing more");
  });

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
    const third = queue.push([entry(3)])!.then(() => (pushed = true));
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

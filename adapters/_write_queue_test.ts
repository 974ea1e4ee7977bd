import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Waiters, WRITE_COALESCE_BYTES, WriteQueue } from "./_write_queue.ts";

describe("WriteQueue", () => {
  test("merges small chunks up to the coalescing limit, in order", () => {
    const queue = new WriteQueue();
    for (let index = 0; index < 100; index++) queue.push(new Uint8Array(1000).fill(index));
    queue.push(new Uint8Array(0));
    assert.equal(queue.bytes, 100_000);
    const first = queue.next()!;
    assert.equal(first.byteLength, Math.floor(WRITE_COALESCE_BYTES / 1000) * 1000);
    assert.equal(first[0], 0);
    assert.equal(first[first.byteLength - 1], first.byteLength / 1000 - 1);
    assert.equal(queue.next(), first, "next is stable until consume");
  });

  test("resumes inside a chunk after a partial write", () => {
    const queue = new WriteQueue();
    const big = new Uint8Array(100_000).map((_, index) => index & 255);
    queue.push(big);
    queue.push(new Uint8Array([7, 7]));
    assert.equal(queue.next(), big, "a large head is written as is");
    queue.consume(99_999);
    assert.equal(queue.bytes, 3);
    assert.deepEqual(queue.next(), new Uint8Array([99_999 & 255, 7, 7]));
    queue.consume(3);
    assert.equal(queue.bytes, 0);
    assert.equal(queue.next(), undefined);
    assert.throws(() => queue.consume(1), RangeError);
  });

  test("keeps order across many pushes and consumes", () => {
    const queue = new WriteQueue();
    let pushed = 0;
    let consumed = 0;
    for (let round = 0; round < 5000; round++) {
      queue.push(new Uint8Array([pushed++ & 255]));
      if (round % 3 === 0) {
        const chunk = queue.next()!;
        for (const value of chunk) assert.equal(value, consumed++ & 255);
        queue.consume(chunk.byteLength);
      }
    }
    assert.equal(queue.bytes, pushed - consumed);
    queue.clear();
    assert.equal(queue.bytes, 0);
  });
});

describe("Waiters", () => {
  test("resolveAll settles every pending wait once", async () => {
    const waiters = new Waiters();
    let settled = 0;
    const all = [waiters.wait(), waiters.wait()].map((promise) => promise.then(() => settled++));
    waiters.resolveAll();
    await Promise.all(all);
    assert.equal(settled, 2);
    waiters.resolveAll();
  });
});

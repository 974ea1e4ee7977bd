import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createFlushScheduler } from "./flush_scheduler.ts";

describe("createFlushScheduler", () => {
  test("flushes asked for in one task run together in a later task", async () => {
    const flushes = createFlushScheduler();
    try {
      const ran: string[] = [];
      flushes.schedule(() => ran.push("a"));
      flushes.schedule(() => ran.push("b"));
      const third = new Promise<void>((resolve) => flushes.schedule(resolve));
      await Promise.resolve();
      assert.deepEqual(ran, [], "ran within the same task");
      await third;
      assert.deepEqual(ran, ["a", "b"]);
    } finally {
      flushes.close();
    }
  });

  test("held flushes run in a microtask after release, after reactions queued before it", async () => {
    const flushes = createFlushScheduler();
    try {
      const ran: string[] = [];
      flushes.hold();
      flushes.schedule(() => ran.push("flush"));
      const settled = Promise.resolve().then(() => ran.push("reaction"));
      flushes.release();
      assert.deepEqual(ran, []);
      await settled;
      await Promise.resolve();
      assert.deepEqual(ran, ["reaction", "flush"]);
    } finally {
      flushes.close();
    }
  });

  test("release with nothing held or pending runs nothing; a later flush still runs", async () => {
    const flushes = createFlushScheduler();
    try {
      const ran: string[] = [];
      flushes.release();
      flushes.hold();
      flushes.release();
      await new Promise<void>((resolve) => flushes.schedule(resolve));
      assert.deepEqual(ran, []);
    } finally {
      flushes.close();
    }
  });

  test("close runs what is pending, and later flushes run at once", () => {
    const flushes = createFlushScheduler();
    const ran: string[] = [];
    flushes.hold();
    flushes.schedule(() => ran.push("held"));
    flushes.close();
    assert.deepEqual(ran, ["held"]);
    flushes.schedule(() => ran.push("after"));
    assert.deepEqual(ran, ["held", "after"]);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Inflights, Progress } from "./progress.ts";

const limits = { maxCount: 2, maxBytes: 1000 };

describe("Inflights", () => {
  test("bounds messages and bytes and frees by index", () => {
    const window = new Inflights(2, 150);
    window.add(3, 100);
    assert.equal(window.full(), false);
    window.add(5, 100);
    assert.equal(window.full(), true);
    window.freeTo(3);
    assert.equal(window.count, 1);
    window.freeFirstOne();
    assert.equal(window.count, 0);
  });
});

describe("Progress", () => {
  test("probe sends one append at a time; a success moves to replicate", () => {
    const progress = new Progress(11, limits);
    assert.equal(progress.isPaused(), false);
    progress.probeSent = true;
    assert.equal(progress.isPaused(), true);
    assert.equal(progress.maybeUpdate(10), true);
    progress.becomeReplicate();
    assert.equal(progress.next, 11);
  });

  test("a rejection backs off to the hint but never below match + 1", () => {
    const progress = new Progress(21, limits);
    progress.match = 5;
    assert.equal(progress.maybeDecrease(20, 8), true);
    assert.equal(progress.next, 8);
    assert.equal(progress.maybeDecrease(20, 8), false, "stale rejection");
    assert.equal(progress.maybeDecrease(7, 1), true);
    assert.equal(progress.next, 6);
  });

  test("snapshot state waits; the follower resumes after the snapshot", () => {
    const progress = new Progress(3, limits);
    progress.becomeSnapshot(50);
    assert.equal(progress.isPaused(), true);
    progress.maybeUpdate(50);
    progress.becomeProbe();
    assert.equal(progress.next, 51);
  });
});

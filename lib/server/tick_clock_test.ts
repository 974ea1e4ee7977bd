import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TickClock } from "./tick_clock.ts";

describe("TickClock", () => {
  test("counts whole periods, carrying the remainder, and caps a long gap", () => {
    let now = 1000;
    const clock = new TickClock(100, 25, () => now);
    assert.equal(clock.due(), 0);
    now += 99;
    assert.equal(clock.due(), 0);
    now += 1;
    assert.equal(clock.due(), 1);
    now += 250;
    assert.equal(clock.due(), 2);
    now += 50; // with the 50 ms carried over: one more period
    assert.equal(clock.due(), 1);
    now += 60_000; // a stopped process: 600 periods, capped
    assert.equal(clock.due(), 25);
    assert.equal(clock.due(), 0, "the capped periods are consumed, not owed");
  });

  test("is overdue once the ticks lag the clock by two periods", () => {
    let now = 0;
    const clock = new TickClock(100, 25, () => now);
    now = 199;
    assert.equal(clock.overdue(), false);
    now = 200;
    assert.equal(clock.overdue(), true);
    clock.due();
    assert.equal(clock.overdue(), false);
  });
});

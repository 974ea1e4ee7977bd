import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "./random.ts";

describe("Random", () => {
  test("equal seeds give equal sequences; ranges stay in bounds", () => {
    const a = new Random(99);
    const b = new Random(99);
    for (let i = 0; i < 100; i++) {
      const value = a.range(10, 20);
      assert.equal(value, b.range(10, 20));
      assert.ok(value >= 10 && value < 20);
    }
    assert.notEqual(new Random(1).next(), new Random(2).next());
    assert.throws(() => new Random(Number.NaN), RangeError);
  });
});

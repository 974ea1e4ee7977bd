import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ReadOnly } from "./read_only.ts";

describe("ReadOnly", () => {
  test("releases reads in order up to the confirmed one, and stays bounded", () => {
    const reads = new ReadOnly(2);
    assert.ok(reads.add("r1", 5, "a", "a"));
    assert.ok(reads.add("r2", 6, "b", "a"));
    assert.equal(reads.add("r3", 7, "a", "a"), false, "full");
    assert.equal(reads.ack("r2", "c")?.acks.size, 2);
    assert.deepEqual(reads.release("r2").map((r) => r.context), ["r1", "r2"]);
    assert.equal(reads.size, 0);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { quorumIndex, voteResult } from "./quorum.ts";

describe("quorumIndex", () => {
  test("is the index a majority has reached", () => {
    const match = new Map([["a", 9], ["b", 3], ["c", 5], ["d", 7], ["e", 1]]);
    assert.equal(quorumIndex(["a", "b", "c", "d", "e"], (id) => match.get(id) ?? 0), 5);
    assert.equal(quorumIndex(["a", "b"], (id) => match.get(id) ?? 0), 3);
    assert.equal(quorumIndex(["a"], (id) => match.get(id) ?? 0), 9);
  });
});

describe("voteResult", () => {
  test("wins with a majority, loses when a majority is out of reach", () => {
    const voters = ["a", "b", "c", "d"];
    assert.equal(voteResult(voters, new Map([["a", true], ["b", true]])), "pending");
    assert.equal(voteResult(voters, new Map([["a", true], ["b", true], ["c", true]])), "won");
    assert.equal(voteResult(voters, new Map([["a", false], ["b", false]])), "lost");
    assert.equal(voteResult(voters, new Map([["x", true], ["y", true], ["a", true]])), "pending");
  });
});

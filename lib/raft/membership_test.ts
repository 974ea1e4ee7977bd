import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  applyMembershipChange,
  decodeMembership,
  encodeMembership,
  sameMembership,
} from "./membership.ts";

describe("membership", () => {
  test("encodes and decodes the whole membership", () => {
    const membership = { voters: ["b", "a"], learners: ["c"] };
    assert.deepEqual(decodeMembership(encodeMembership(membership)), {
      voters: ["a", "b"],
      learners: ["c"],
    });
    assert.throws(() => decodeMembership(new TextEncoder().encode("[1]")), TypeError);
  });

  test("changes one server at a time", () => {
    const base = { voters: ["a", "b"], learners: ["c"] };
    assert.deepEqual(applyMembershipChange(base, { kind: "addVoter", id: "c" }), {
      voters: ["a", "b", "c"],
      learners: [],
    });
    assert.deepEqual(applyMembershipChange(base, { kind: "addLearner", id: "b" }), {
      voters: ["a"],
      learners: ["b", "c"],
    });
    assert.equal(applyMembershipChange(base, { kind: "addVoter", id: "a" }), undefined);
    const single = { voters: ["a"], learners: [] };
    assert.equal(applyMembershipChange(single, { kind: "remove", id: "a" }), undefined);
    assert.ok(sameMembership(base, { voters: ["b", "a"], learners: ["c"] }));
  });
});

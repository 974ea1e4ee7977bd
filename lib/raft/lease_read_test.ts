import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage } from "./memory_storage.ts";
import { RaftNode } from "./node.ts";
import { Random } from "./random.ts";
import type { RaftConfig } from "./config.ts";

/** Runs Ready passes (persisting into storage) until nothing is left. */
function settle(node: RaftNode, storage: MemoryStorage): void {
  while (node.hasReady()) {
    const ready = node.ready();
    storage.append(ready.entries);
    if (ready.hardState) storage.setHardState(ready.hardState);
    node.advance();
  }
}

function single(config: Partial<RaftConfig> = {}): { node: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage({ voters: ["a"], learners: [] });
  const node = new RaftNode({ id: "a", storage, random: new Random(7), ...config });
  return { node, storage };
}

describe("RaftNode.leaseReadIndex", () => {
  test("undefined until the leader has committed an entry of its term", () => {
    const { node, storage } = single();
    assert.equal(node.leaseReadIndex(), undefined, "a follower has no read index");
    for (let i = 0; i < 100 && node.softState().role !== "leader"; i++) {
      node.tick();
      settle(node, storage);
    }
    assert.equal(node.softState().role, "leader");
    const index = node.leaseReadIndex();
    assert.ok(index !== undefined && index >= 1, "the sole voter reads at its commit index");
    assert.equal(index, node.hardState().commit);
  });

  test("a leader of several voters without a lease (safe reads) must use readIndex", () => {
    const storage = new MemoryStorage({ voters: ["a", "b", "c"], learners: [] });
    const node = new RaftNode({ id: "a", storage, random: new Random(3), readOnly: "safe" });
    assert.equal(node.leaseReadIndex(), undefined);
  });
});

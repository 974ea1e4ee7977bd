// The Ready loop's scheduling: synchronous passes run back to back without a promise, a hook's
// promise suspends the pass (and what must wait for the persist), a failing hook stops it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage } from "../raft/memory_storage.ts";
import type { Message } from "../raft/messages.ts";
import { RaftNode } from "../raft/node.ts";
import { Random } from "../raft/random.ts";
import type { Entry } from "../raft/types.ts";
import { RaftDriver, type RaftDriverHooks } from "./raft_driver.ts";

/** A one-node cluster's core that has elected itself and committed its no-op. */
function soloLeader(): { raft: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage({ voters: ["n1"], learners: [] });
  const raft = new RaftNode({ id: "n1", storage, random: new Random(7), electionTicks: 10 });
  for (let i = 0; i < 30 && raft.softState().role !== "leader"; i++) raft.tick();
  assert.equal(raft.softState().role, "leader");
  return { raft, storage };
}

interface Recorder {
  hooks: RaftDriverHooks;
  applied: number[];
  sent: Message[][];
  failures: unknown[];
}

function recorder(storage: MemoryStorage, persist?: () => Promise<void> | undefined): Recorder {
  const applied: number[] = [];
  const sent: Message[][] = [];
  const failures: unknown[] = [];
  const hooks: RaftDriverHooks = {
    beforePass: () => {},
    send: (messages) => void sent.push(messages),
    persistEntries: (entries: Entry[]) => {
      storage.append(entries);
      return persist?.();
    },
    persistHardState: (state) => {
      storage.setHardState(state);
      return undefined;
    },
    persistSnapshotChunks: () => undefined,
    apply: (entries) => {
      for (const entry of entries) applied.push(entry.index);
      return undefined;
    },
    reads: () => {},
    softState: () => {},
    failed: (error) => void failures.push(error),
  };
  return { hooks, applied, sent, failures };
}

describe("RaftDriver", () => {
  test("passes whose hooks finish synchronously run back to back in one deferred call", () => {
    const { raft, storage } = soloLeader();
    const record = recorder(storage);
    const deferred: (() => void)[] = [];
    const driver = new RaftDriver({
      raft,
      hooks: record.hooks,
      defer: (run) => deferred.push(run),
    });
    driver.schedule();
    driver.schedule();
    assert.equal(deferred.length, 1, "calls before the run share it");
    deferred.shift()!();
    const noop = record.applied.at(-1)!;
    const placed = raft.propose(new Uint8Array([1]));
    assert.ok(placed.ok);
    driver.schedule();
    assert.equal(deferred.length, 1);
    deferred.shift()!();
    // Persisted, acknowledged, committed and applied: two passes, all inside that one call.
    assert.deepEqual(record.applied.slice(-1), [noop + 1]);
    assert.equal(raft.hasReady(), false);
    assert.equal(record.failures.length, 0);
  });

  test("a persist that returns a promise holds the rest of the pass until it settles", async () => {
    const { raft, storage } = soloLeader();
    let release!: () => void;
    let gated = false;
    const record = recorder(storage, () => {
      if (!gated) return undefined;
      return new Promise<void>((resolve) => (release = resolve));
    });
    const driver = new RaftDriver({ raft, hooks: record.hooks });
    driver.schedule();
    await driver.idle();
    const before = record.applied.length;
    gated = true;
    raft.propose(new Uint8Array([2]));
    driver.schedule();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(record.applied.length, before, "applied before its entry was persisted");
    assert.equal(raft.hasReady(), false, "a second Ready was handed out before advance()");
    gated = false;
    release();
    await driver.idle();
    assert.equal(record.applied.length, before + 1);
  });

  test("a hook that throws stops the driver and reports the error", async () => {
    const { raft, storage } = soloLeader();
    const record = recorder(storage, () => {
      throw new Error("disk on fire");
    });
    const driver = new RaftDriver({ raft, hooks: record.hooks });
    raft.propose(new Uint8Array([3]));
    driver.schedule();
    await driver.idle();
    assert.equal(record.failures.length, 1);
    assert.match(String(record.failures[0]), /disk on fire/);
    const applied = record.applied.length;
    raft.propose(new Uint8Array([4]));
    driver.schedule();
    await driver.idle();
    assert.equal(record.applied.length, applied, "a stopped driver ran another pass");
  });

  test("a persist promise that rejects stops the driver", async () => {
    const { raft, storage } = soloLeader();
    const record = recorder(storage, () => Promise.reject(new Error("EIO")));
    const driver = new RaftDriver({ raft, hooks: record.hooks });
    raft.propose(new Uint8Array([5]));
    driver.schedule();
    await driver.idle();
    assert.equal(record.failures.length, 1);
    assert.match(String(record.failures[0]), /EIO/);
  });
});

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

/**
 * A two-voter cluster, run by hand until one node is elected: for what a leader does with a
 * follower to replicate to.
 */
function leaderOfTwo(): { raft: RaftNode; storage: MemoryStorage } {
  const membership = { voters: ["n1", "n2"], learners: [] };
  const storages = { n1: new MemoryStorage(membership), n2: new MemoryStorage(membership) };
  const nodes = {
    n1: new RaftNode({ id: "n1", storage: storages.n1, random: new Random(3), electionTicks: 10 }),
    n2: new RaftNode({ id: "n2", storage: storages.n2, random: new Random(4), electionTicks: 10 }),
  };
  const leader = () =>
    (["n1", "n2"] as const).find((id) => nodes[id].softState().role === "leader");
  /** Runs both nodes' Readies, delivering messages, until neither has work. */
  const settle = () => {
    while (nodes.n1.hasReady() || nodes.n2.hasReady()) {
      for (const id of ["n1", "n2"] as const) {
        const node = nodes[id];
        if (!node.hasReady()) continue;
        const ready = node.ready();
        if (ready.hardState !== undefined) storages[id].setHardState(ready.hardState);
        if (ready.entries.length > 0) storages[id].append(ready.entries);
        for (const message of [...ready.messages, ...ready.messagesAfterPersist]) {
          nodes[message.to as "n1" | "n2"].step(message);
        }
        node.advance();
      }
    }
  };
  for (let round = 0; round < 200 && leader() === undefined; round++) {
    nodes.n1.tick();
    nodes.n2.tick();
    settle();
  }
  settle(); // the new leader's no-op acknowledged: the follower takes appends freely
  const id = leader();
  assert.ok(id !== undefined, "a leader within 200 ticks");
  return { raft: nodes[id], storage: storages[id] };
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

  test("a leader hands its appends to the transport before it persists them", () => {
    // What lets the framework fsync on the loop's own thread at durability high
    // (`blockingSync`): the follower's copy is already in the kernel's socket buffer.
    const { raft, storage } = leaderOfTwo();
    const events: string[] = [];
    const record = recorder(storage);
    const hooks: RaftDriverHooks = {
      ...record.hooks,
      send: (messages) => {
        for (const message of messages) {
          if (message.type === "append" && message.entries.length > 0) {
            events.push(`send ${message.entries.at(-1)!.index}`);
          }
        }
      },
      persistEntries: (entries) => {
        events.push(`persist ${entries.at(-1)!.index}`);
        return record.hooks.persistEntries(entries);
      },
    };
    const deferred: (() => void)[] = [];
    const driver = new RaftDriver({ raft, hooks, defer: (run) => deferred.push(run) });
    const placed = raft.propose(new Uint8Array([9]));
    assert.ok(placed.ok);
    driver.schedule();
    deferred.shift()!();
    const index = raft.lastIndex();
    assert.deepEqual(events.filter((event) => event.endsWith(` ${index}`)), [
      `send ${index}`,
      `persist ${index}`,
    ]);
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

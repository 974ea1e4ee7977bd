// Unit tests of RaftNode driven message by message: the rules of Figure 2 that the cluster
// tests cannot pin down exactly (Figure 8's commit rule, the election restriction, persist
// before acknowledge).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage } from "./memory_storage.ts";
import { createMessage, type Message } from "./messages.ts";
import { RaftNode } from "./node.ts";
import { Random } from "./random.ts";
import type { Entry } from "./types.ts";

const FIVE = ["s1", "s2", "s3", "s4", "s5"];

function entry(index: number, term: number): Entry {
  return { index, term, type: 0, data: new Uint8Array([index]) };
}

const storages = new WeakMap<RaftNode, MemoryStorage>();

function nodeWith(id: string, entries: Entry[], term: number, voters = FIVE): RaftNode {
  const storage = new MemoryStorage({ voters, learners: [] });
  storage.append(entries);
  storage.setHardState({ term, vote: "", commit: 0 });
  const node = new RaftNode({ id, storage, random: new Random(1), electionTicks: 10 });
  storages.set(node, storage);
  return node;
}

/** Hands out one Ready, persists it as the application would, and acknowledges it. */
function flush(node: RaftNode) {
  const ready = node.ready();
  persist(node, ready);
  node.advance();
  return ready;
}

function persist(node: RaftNode, ready: ReturnType<RaftNode["ready"]>): void {
  const storage = storages.get(node)!;
  storage.append(ready.entries);
  if (ready.hardState) storage.setHardState(ready.hardState);
}

function makeLeader(node: RaftNode, voters: string[]): void {
  const term = node.softState().term;
  node.step(createMessage("timeoutNow", voters[1]!, node.id, term));
  flush(node);
  for (const voter of voters.slice(1, 3)) {
    node.step(createMessage("voteResponse", voter, node.id, term + 1));
  }
  assert.equal(node.softState().role, "leader");
}

function appendAck(from: string, to: string, term: number, index: number): Message {
  return createMessage("appendResponse", from, to, term, { index });
}

describe("commit rule (Figure 8)", () => {
  test("a fresh only voter campaigns on its first tick; one of several waits its timeout", () => {
    const alone = nodeWith("s1", [], 0, ["s1"]);
    alone.tick();
    assert.equal(alone.softState().role, "leader");
    const many = nodeWith("s1", [], 0, ["s1", "s2", "s3"]);
    many.tick();
    assert.equal(many.softState().role, "follower");
    for (let i = 0; i < 20; i++) many.tick();
    assert.notEqual(many.softState().role, "follower");
  });

  test("an only voter that may be inside a leader's lease waits it out first", () => {
    // Restarted with a term: it may have acknowledged a leader just before, so it waits one
    // election timeout (10 ticks), not a randomized one.
    const restarted = nodeWith("s1", [entry(1, 1)], 1, ["s1"]);
    for (let i = 0; i < 9; i++) restarted.tick();
    assert.equal(restarted.softState().role, "follower");
    restarted.tick();
    restarted.tick();
    assert.equal(restarted.softState().role, "leader");
  });

  test("an entry of an earlier term is not committed by counting replicas", () => {
    const node = nodeWith("s1", [entry(1, 1), entry(2, 2)], 3);
    makeLeader(node, FIVE);
    const term = node.softState().term;
    assert.equal(node.lastIndex(), 3, "the no-op was appended at 3");
    flush(node); // the leader persists its no-op
    node.step(appendAck("s2", "s1", term, 2));
    node.step(appendAck("s3", "s1", term, 2));
    assert.equal(node.hardState().commit, 0, "entry 2 (term 2) is on a majority, not committed");
    node.step(appendAck("s2", "s1", term, 3));
    node.step(appendAck("s3", "s1", term, 3));
    assert.equal(node.hardState().commit, 3, "the current-term entry commits, and 2 with it");
  });

  test("an uncommitted entry of an earlier term can be overwritten", () => {
    const node = nodeWith("s5", [entry(1, 1), entry(2, 2)], 2);
    node.step(createMessage("append", "s4", "s5", 3, {
      index: 1,
      logTerm: 1,
      entries: [entry(2, 3)],
      commit: 1,
    }));
    assert.equal(node.termAt(2), 3);
    const ready = flush(node);
    assert.equal(ready.entries[0]?.index, 2, "the app truncates after 1 and appends");
  });

  test("the leader counts itself toward commit only after persisting", () => {
    const node = nodeWith("s1", [], 0, ["s1"]);
    node.step(createMessage("timeoutNow", "s2", "s1", 0));
    assert.equal(node.softState().role, "leader");
    const ready = node.ready();
    assert.equal(ready.entries.length, 1);
    assert.equal(node.hardState().commit, 0, "not committed before the persist");
    persist(node, ready);
    node.advance();
    assert.equal(node.hardState().commit, 1);
    const status = node.status();
    assert.equal(status.soft.role, "leader");
    assert.equal(status.progress["s1"]?.match, 1);
  });
});

describe("election restriction (§5.4.1)", () => {
  test("a voter refuses a candidate whose log is less up to date", () => {
    const node = nodeWith("s2", [entry(1, 1), entry(2, 2)], 2);
    for (let i = 0; i < 12; i++) node.tick(); // past the start-up vote guard
    flush(node);
    node.step(createMessage("vote", "s3", "s2", 5, { index: 9, logTerm: 1 }));
    let ready = flush(node);
    assert.equal(ready.messagesAfterPersist[0]?.reject, true);
    node.step(createMessage("vote", "s4", "s2", 6, { index: 2, logTerm: 2 }));
    ready = flush(node);
    assert.equal(ready.messagesAfterPersist[0]?.reject, false);
    assert.equal(ready.hardState?.vote, "s4");
  });

  test("one vote per term", () => {
    const node = nodeWith("s2", [], 1);
    for (let i = 0; i < 12; i++) node.tick();
    node.step(createMessage("vote", "s3", "s2", 2, {}));
    node.step(createMessage("vote", "s4", "s2", 2, {}));
    const ready = flush(node);
    assert.deepEqual(ready.messagesAfterPersist.map((m) => m.reject), [false, true]);
  });
});

describe("persist before acknowledge", () => {
  test("a follower's append acknowledgement waits for the persist", () => {
    const node = nodeWith("s2", [], 1);
    node.step(
      createMessage("append", "s1", "s2", 1, { index: 0, logTerm: 0, entries: [entry(1, 1)] }),
    );
    const ready = flush(node);
    assert.equal(ready.messages.length, 0);
    assert.equal(ready.messagesAfterPersist[0]?.type, "appendResponse");
    assert.equal(ready.mustSync, true);
  });

  test("a candidate's vote requests follow its persisted self-vote", () => {
    const node = nodeWith("s1", [], 1);
    node.step(createMessage("timeoutNow", "s2", "s1", 1));
    const ready = flush(node);
    assert.equal(ready.hardState?.vote, "s1");
    assert.equal(ready.messagesAfterPersist.filter((m) => m.type === "vote").length, 4);
  });

  test("the persisted commit never covers entries written in the same Ready", () => {
    // Found by the simulator (seed 187618): a crash that kept the new hard state but tore the
    // entries written with it left a commit index pointing at a stale entry, then applied it.
    const node = nodeWith("s2", [entry(1, 1), entry(2, 2)], 2);
    node.step(createMessage("append", "s1", "s2", 3, {
      index: 1,
      logTerm: 1,
      entries: [entry(2, 3)],
      commit: 2,
    }));
    const ready = node.ready();
    assert.equal(node.hardState().commit, 2);
    assert.equal(ready.hardState?.commit, 1, "entry 2 (term 3) is not durable yet");
    const storage = storages.get(node)!;
    storage.setHardState(ready.hardState!); // crash: the hard state landed, the entry did not
    const restarted = new RaftNode({ id: "s2", storage, random: new Random(2) });
    const after = restarted.ready();
    assert.deepEqual(after.committedEntries.map((e) => [e.index, e.term]), [[1, 1]]);
  });

  test("a stale-term append is answered with the newer term (so a stale leader steps down)", () => {
    const node = nodeWith("s2", [], 5);
    node.step(createMessage("append", "s1", "s2", 3, {}));
    const ready = flush(node);
    assert.equal(ready.messages[0]?.term, 5);
  });
});

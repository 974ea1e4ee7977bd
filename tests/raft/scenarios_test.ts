// Scenario tests named after the Raft paper's rules, driven through the simulated cluster
// (tests/sim/cluster.ts) with a perfect network unless a test cuts links.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SimCluster } from "../sim/cluster.ts";
import type { NodeOptions } from "../sim/cluster.ts";

function cluster(voters: string[], node: NodeOptions = {}, spares: string[] = []): SimCluster {
  return new SimCluster({ seed: 7, voters, spares, node: { electionTicks: 10, ...node } });
}

function runUntil(c: SimCluster, done: () => boolean, max = 500): void {
  for (let i = 0; i < max; i++) {
    if (done()) return;
    c.step();
  }
  assert.ok(done(), `condition not reached within ${max} steps`);
}

/** Forces `id` to win an election and commit its no-op. */
function elect(c: SimCluster, id: string): void {
  runUntil(c, () => c.leaders().length === 1 && c.leader()!.machine.applied >= 1);
  if (c.leader()!.id !== id) c.campaign(id);
  runUntil(c, () => {
    const node = c.node(id);
    return node.raft.softState().role === "leader" &&
      node.machine.applied >= node.raft.lastIndex() &&
      c.leaders().length === 1;
  });
}

function applied(c: SimCluster, id: string, key: string): string | undefined {
  return c.node(id).machine.values.get(key);
}

describe("leader election", () => {
  test("a cluster elects one leader, which commits a no-op of its term", () => {
    const c = cluster(["a", "b", "c"]);
    runUntil(c, () => c.leaders().length === 1 && c.leader()!.machine.applied >= 1);
    const leader = c.leader()!;
    assert.equal(leader.raft.termAt(1), leader.raft.softState().term);
    for (const id of ["a", "b", "c"]) {
      runUntil(c, () => c.node(id).raft.softState().leader === leader.id);
    }
  });

  test("a stale leader steps down when it meets the newer term", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    const oldTerm = c.node("a").raft.softState().term;
    c.network.isolate(["a"], c.ids);
    runUntil(c, () => c.leaders().some((n) => n.id !== "a"));
    c.network.heal();
    runUntil(c, () => c.node("a").raft.softState().role === "follower");
    assert.ok(c.node("a").raft.softState().term > oldTerm);
  });

  test("pre-vote: a partitioned follower rejoins without disrupting the leader", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    const term = c.node("a").raft.softState().term;
    c.network.isolate(["c"], c.ids);
    for (let i = 0; i < 200; i++) c.step();
    assert.equal(c.node("c").raft.softState().term, term, "pre-vote kept c's term");
    c.network.heal();
    for (let i = 0; i < 50; i++) c.step();
    assert.equal(c.node("a").raft.softState().role, "leader");
    assert.equal(c.node("a").raft.softState().term, term);
    assert.equal(c.node("c").raft.softState().leader, "a");
  });

  test("without pre-vote the same rejoin forces a new term (what pre-vote prevents)", () => {
    const c = cluster(["a", "b", "c"], { preVote: false });
    elect(c, "a");
    const term = c.node("a").raft.softState().term;
    c.network.isolate(["c"], c.ids);
    for (let i = 0; i < 200; i++) c.step();
    assert.ok(c.node("c").raft.softState().term > term);
    c.network.heal();
    runUntil(c, () => c.leaders().length === 1 && c.leader()!.raft.softState().term > term);
  });

  test("check-quorum: a leader cut off from the majority steps down by itself", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    c.network.isolate(["a"], c.ids);
    runUntil(c, () => c.node("a").raft.softState().role !== "leader", 40);
  });
});

describe("log replication", () => {
  test("an entry applied on the leader is applied everywhere", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    assert.ok(c.write("a", "x", "1"));
    runUntil(c, () => ["a", "b", "c"].every((id) => applied(c, id, "x") === "1"));
    assert.equal(c.acked, 1);
  });

  test("a follower's conflicting suffix is overwritten by the new leader's log", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    c.network.isolate(["a"], c.ids);
    for (let i = 0; i < 5; i++) c.write("a", "lost", `${i}`); // never committed
    runUntil(c, () => c.leaders().some((n) => n.id !== "a"));
    const leader = c.leaders().find((n) => n.id !== "a")!;
    assert.ok(c.write(leader.id, "kept", "yes"));
    c.network.heal();
    runUntil(c, () => applied(c, "a", "kept") === "yes");
    assert.equal(applied(c, "a", "lost"), undefined);
    c.checkLogs();
  });

  test("fast back-off repairs a long divergent tail in a few round trips", () => {
    const c = cluster(["a", "b", "c"], { maxMessageBytes: 1 << 20 });
    elect(c, "a");
    c.network.isolate(["a"], c.ids);
    for (let i = 0; i < 300; i++) c.write("a", "lost", `${i}`);
    runUntil(c, () => c.leaders().some((n) => n.id !== "a"));
    c.network.heal();
    const before = c.network.delivered;
    runUntil(c, () =>
      c.node("a").raft.softState().role === "follower" &&
      c.node("a").machine.applied === c.leader()!.machine.applied && c.leader()!.id !== "a");
    // One rejection skips the whole conflicting term instead of 300 one-by-one probes.
    assert.ok(c.network.delivered - before < 120, `${c.network.delivered - before} messages`);
  });

  test("proposeBatch appends many commands as one entry run", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    const raft = c.node("a").raft;
    const before = raft.lastIndex();
    const commands = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`k${i}=v`));
    const result = raft.proposeBatch(commands);
    assert.ok(result.ok);
    assert.equal(result.index, before + 1);
    const ready = raft.ready();
    assert.equal(ready.entries.length, 50);
    const appends = ready.messages.filter((m) => m.type === "append");
    assert.equal(appends.length, 2, "one append per follower");
    c.node("a").storage.append(ready.entries);
    raft.advance();
  });
});

describe("membership", () => {
  test("a learner receives the log, does not vote, and is promoted once caught up", () => {
    const c = cluster(["a", "b", "c"], {}, ["d"]);
    elect(c, "a");
    c.write("a", "x", "1");
    const raft = c.node("a").raft;
    runUntil(c, () => raft.proposeMembership({ kind: "addLearner", id: "d" }).ok);
    runUntil(c, () => applied(c, "d", "x") === "1");
    assert.deepEqual(c.node("d").raft.membership().learners, ["d"]);
    runUntil(c, () => raft.proposeMembership({ kind: "addVoter", id: "d" }).ok);
    runUntil(c, () => c.node("d").raft.membership().voters.includes("d"));
    assert.deepEqual(raft.membership().voters, ["a", "b", "c", "d"]);
  });

  test("a second change waits until the first commits", () => {
    const c = cluster(["a", "b", "c"], {}, ["d", "e"]);
    elect(c, "a");
    const raft = c.node("a").raft;
    assert.ok(raft.proposeMembership({ kind: "addLearner", id: "d" }).ok);
    const second = raft.proposeMembership({ kind: "addLearner", id: "e" });
    assert.equal(second.ok ? "ok" : second.reason, "membershipPending");
  });

  test("a removed leader steps down after the change commits, and the rest elect", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    assert.ok(c.node("a").raft.proposeMembership({ kind: "remove", id: "a" }).ok);
    runUntil(c, () => c.node("a").raft.softState().role === "follower");
    runUntil(c, () => c.leaders().length === 1 && c.leader()!.id !== "a");
    assert.deepEqual(c.leader()!.raft.membership().voters, ["b", "c"]);
  });

  test("a leader that demoted itself and lost contact before the change committed can still be elected", () => {
    // Found by the simulator (seed 66): only the old leader held the change; the other voter
    // needed its vote and it, no voter in its latest membership, never campaigned.
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    const a = c.node("a").raft;
    runUntil(c, () => a.proposeMembership({ kind: "addLearner", id: "c" }).ok);
    runUntil(
      c,
      () =>
        c.node("b").raft.membership().voters.join() === "a,b" &&
        a.hardState().commit === a.lastIndex(),
    );
    c.network.isolate(["a"], c.ids);
    assert.ok(a.proposeMembership({ kind: "addLearner", id: "a" }).ok);
    runUntil(c, () => a.softState().role === "follower"); // check-quorum
    c.network.heal();
    runUntil(c, () => {
      const leader = c.leader();
      return leader?.id === "b" && leader.raft.membership().voters.join() === "b";
    }, 1000);
  });

  test("leadership transfer catches the target up, then it wins", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    for (let i = 0; i < 20; i++) c.write("a", "k", `${i}`);
    assert.ok(c.node("a").raft.transferLeadership("c").ok);
    runUntil(c, () => c.node("c").raft.softState().role === "leader");
    runUntil(c, () => applied(c, "c", "k") === "19");
  });
});

describe("snapshots", () => {
  test("a follower behind the leader's compacted log catches up by chunked InstallSnapshot", () => {
    const c = cluster(["a", "b", "c"], { maxSnapshotChunkBytes: 16 });
    elect(c, "a");
    c.crash("c");
    for (let i = 0; i < 40; i++) c.write("a", `k${i % 5}`, `${i}`);
    runUntil(c, () => applied(c, "a", "k4") === "39" && applied(c, "b", "k4") === "39");
    const a = c.node("a");
    a.storage.createSnapshot(a.machine.applied, a.machine.membership, a.machine.snapshot());
    c.restart("c");
    runUntil(c, () => applied(c, "c", "k4") === "39");
    assert.ok(c.node("c").storage.snapshot().index > 0, "c installed a snapshot");
  });
});

describe("reads", () => {
  test("ReadIndex on a follower is forwarded and served once applied", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    c.write("a", "x", "1");
    runUntil(c, () => c.acked === 1);
    assert.ok(c.read("b", "x"));
    runUntil(c, () => c.readsServed === 1);
  });

  test("a new leader answers reads only after its no-op commits", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    c.campaign("b");
    runUntil(c, () => c.node("b").raft.softState().role === "leader");
    const b = c.node("b").raft;
    const noOp = b.lastIndex();
    assert.ok(b.hardState().commit < noOp, "the no-op is not committed yet");
    const indices: number[] = [];
    c.log = (line) => {
      const match = / readState \S+ index=(\d+)/.exec(line);
      if (match) indices.push(Number(match[1]));
    };
    assert.ok(c.read("b", "x"));
    runUntil(c, () => c.readsServed === 1);
    assert.ok(indices[0]! >= noOp, `read index ${indices[0]} before the no-op ${noOp}`);
  });

  test("a deposed leader's read is never answered", () => {
    const c = cluster(["a", "b", "c"]);
    elect(c, "a");
    c.network.isolate(["a"], c.ids);
    assert.ok(c.read("a", "x"));
    runUntil(c, () => c.leaders().some((n) => n.id !== "a"));
    const leader = c.leaders().find((n) => n.id !== "a")!;
    c.write(leader.id, "x", "new");
    runUntil(c, () => c.acked === 1);
    c.network.heal();
    for (let i = 0; i < 50; i++) c.step();
    assert.equal(c.readsServed, 0);
  });

  test("a leader that demoted itself confirms reads through the remaining voter", () => {
    // Found by the simulator (seed 11862): the sole-voter shortcut answered reads on a leader
    // whose membership had one voter — another node, which had meanwhile been elected.
    const c = cluster(["a", "b", "c"], { checkQuorum: false }, []);
    elect(c, "a");
    const a = c.node("a").raft;
    runUntil(c, () => a.proposeMembership({ kind: "addLearner", id: "c" }).ok);
    runUntil(
      c,
      () =>
        c.node("b").raft.membership().voters.length === 2 && a.hardState().commit === a.lastIndex(),
    );
    c.network.block("b", "a"); // a never learns that its own demotion committed
    assert.ok(a.proposeMembership({ kind: "addLearner", id: "a" }).ok);
    runUntil(c, () => c.node("b").raft.membership().voters.join() === "b");
    c.network.isolate(["a"], c.ids);
    runUntil(c, () => c.node("b").raft.softState().role === "leader");
    assert.ok(c.write("b", "x", "new"));
    runUntil(c, () => c.acked === 1);
    assert.equal(a.softState().role, "leader", "a still believes it leads");
    c.read("a", "x"); // the checker fails the test if a answers with its stale state
    for (let i = 0; i < 30; i++) c.step();
    assert.equal(c.readsServed, 0);
  });

  test("lease reads are answered without a heartbeat round while the lease holds", () => {
    const c = cluster(["a", "b", "c"], { readOnly: "lease" });
    elect(c, "a");
    for (let i = 0; i < 3; i++) c.step();
    const raft = c.node("a").raft;
    assert.ok(raft.readIndex("lease-1").ok);
    const ready = raft.ready();
    assert.equal(ready.readStates.length, 1);
    assert.equal(ready.messages.filter((m) => m.context === "lease-1").length, 0);
    raft.advance();
  });
});

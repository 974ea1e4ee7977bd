/**
 * The framework in one process over real sockets (the runtime's own adapter), memory backend:
 * the node-level commands, AUTH, the connection hooks, and a three-node cluster.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRuntime } from "../../adapters/auto.ts";
import { Clone } from "../../examples/clone.ts";
import { type Node, openNode } from "../../lib/server/node.ts";
import type { OpenOptions } from "../../lib/server/options.ts";
import { request } from "../../lib/server/request.ts";
import type { RespReply } from "../../lib/resp/reply_decoder.ts";
import { freePort, sleep } from "../_support/processes.ts";
import { replyText } from "../_support/reply_text.ts";
import type {
  Applier,
  Command,
  Machine,
  ReplyWriter,
  SnapshotReader,
  SnapshotWriter,
} from "../../lib/server/machine.ts";
import { UnknownCommandError } from "../../lib/server/reply_error.ts";

const runtime = createRuntime();
const text = replyText;

/** A counter that records, for each applied INCR, whether its mutate saw the client's conn. */
class Recorder implements Machine {
  value = 0;
  readonly runs: ("own" | "replay")[] = [];
  command(applier: Applier, conn: ReplyWriter | null, cmd: Command): unknown {
    if (cmd.name !== "incr") throw new UnknownCommandError();
    return applier.apply(conn, cmd, () => {
      this.runs.push(conn === null ? "replay" : "own");
      return ++this.value;
    }, (value) => conn?.writeInt(value ?? 0));
  }
  async snapshot(writer: SnapshotWriter): Promise<void> {
    await writer.write(String(this.value));
  }
  async restore(reader: SnapshotReader): Promise<void> {
    this.value = Number(new TextDecoder().decode(await reader.readAll()));
  }
}

/**
 * Uses what `apply` returns for a write as a promise, the ways a machine may: awaiting it and
 * writing after, `catch`, `finally`, `Promise.resolve` of it.
 */
class PromiseUser implements Machine {
  value = 0;
  readonly finallies: number[] = [];
  command(applier: Applier, conn: ReplyWriter | null, cmd: Command): unknown {
    const increment = () => ++this.value;
    switch (cmd.name) {
      case "incr":
        return applier.apply(conn, cmd, increment, (value) => conn?.writeInt(value ?? 0));
      case "awaited":
        return (async () => {
          const value = await applier.apply(conn, cmd, increment, () => {});
          conn?.writeString(`after ${value}`);
        })();
      case "caught":
        return (applier.apply(conn, cmd, () => {
          throw new Error("boom");
        }, () => {}) as Promise<unknown>).catch((error) =>
          conn?.writeString(`caught ${error.message}`)
        );
      case "finally":
        return (applier.apply(
          conn,
          cmd,
          increment,
          (value) => conn?.writeInt(value ?? 0),
        ) as Promise<
          unknown
        >).finally(() => this.finallies.push(this.value));
      case "resolved":
        return Promise.resolve(applier.apply(conn, cmd, increment, () => {})).then((value) =>
          conn?.writeString(`resolved ${value}`)
        );
      case "failing":
        return applier.apply(conn, cmd, () => {
          throw new Error("mutate failed");
        }, () => conn?.writeString("unreachable"));
      default:
        throw new UnknownCommandError();
    }
  }
  async snapshot(writer: SnapshotWriter): Promise<void> {
    await writer.write(String(this.value));
  }
  async restore(reader: SnapshotReader): Promise<void> {
    this.value = Number(new TextDecoder().decode(await reader.readAll()));
  }
}

async function start(options: Partial<OpenOptions> = {}): Promise<Node> {
  const port = await freePort();
  const node = await openNode({
    machine: new Clone(),
    addr: `127.0.0.1:${port}`,
    backend: "memory",
    logLevel: "quiet",
    electionTimeoutMs: 300,
    heartbeatMs: 50,
    runtime,
    ...options,
  });
  for (let i = 0; i < 200 && node.state() !== "Leader" && options.join === undefined; i++) {
    await sleep(10);
  }
  return node;
}

async function call(node: Node, ...commands: string[][]): Promise<string[]> {
  return (await request(runtime, node.id, commands)).map(text);
}

describe("a node in one process", () => {
  test("Finn's and Uhaha's commands answer in their shapes", async () => {
    const node = await start();
    try {
      assert.equal(node.state(), "Leader");
      const [set, get, leader, state, machine, version, barrier] = await call(
        node,
        ["SET", "a", "1"],
        ["GET", "a"],
        ["RAFTLEADER"],
        ["RAFTSTATE"],
        ["MACHINE"],
        ["VERSION"],
        ["BARRIER"],
      );
      assert.deepEqual([set, get, leader, state, machine], ["OK", "1", node.id, "Leader", "Clone"]);
      assert.match(version!, /^flotilla \d+\.\d+\.\d+$/);
      assert.equal(barrier, "OK");
      const [stats] = await request(runtime, node.id, [["RAFTSTATS"]]);
      const keys = (stats as Uint8Array[]).filter((_, i) => i % 2 === 0).map(text);
      assert.deepEqual(keys, [...keys].sort());
      assert.ok(keys.includes("applied_index") && keys.includes("last_snapshot_index"));
      const [info] = await call(node, ["INFO", "raft"]);
      assert.match(info!, /^# Raft\r\n/);
      assert.match(info!, /raft_state:Leader/);
      const [raftInfo] = await request(runtime, node.id, [["RAFT", "INFO", "*index"]]);
      const infoKeys = (raftInfo as Uint8Array[]).filter((_, i) => i % 2 === 0).map(text);
      assert.deepEqual(infoKeys, [
        "commit_index",
        "applied_index",
        "last_log_index",
        "last_snapshot_index",
      ]);
      const [slots] = await request(runtime, node.id, [["CLUSTER", "SLOTS"]]);
      const [range] = slots as RespReply[][];
      assert.equal(range![0], 0);
      assert.equal(range![1], 16383);
      const [clusterInfo, nodes] = await call(node, ["CLUSTER", "INFO"], ["CLUSTER", "NODES"]);
      assert.match(clusterInfo!, /cluster_state:ok/);
      assert.match(nodes!, /myself,master - 0 0 1 connected 0-16383/);
      const [snapshot, help, bad] = await call(
        node,
        ["RAFTSNAPSHOT"],
        ["RAFT", "HELP"],
        ["RAFT", "NOPE"],
      );
      assert.equal(snapshot, "OK");
      assert.match(help!, /RAFT LEADER/);
      assert.match(bad!, /^-ERR unknown subcommand 'NOPE'/);
      const [again] = await call(node, ["RAFTSNAPSHOT"]);
      assert.equal(again, "-ERR Nothing new to snapshot");
      const [list] = await request(runtime, node.id, [["RAFT", "SNAPSHOT", "LIST"]]);
      assert.equal((list as unknown[]).length, 1);
    } finally {
      await node.close();
    }
    assert.equal(node.state(), "Shutdown");
  });

  test("a pipeline's reads see the writes sent before them on the same connection", async () => {
    for (const consistency of ["low", "medium", "high"] as const) {
      const node = await start({ consistency });
      try {
        const commands: string[][] = [];
        for (let i = 0; i < 50; i++) commands.push(["SET", "k", String(i)], ["GET", "k"]);
        const replies = await call(node, ...commands);
        for (let i = 0; i < 50; i++) {
          assert.equal(replies[2 * i], "OK");
          assert.equal(replies[2 * i + 1], String(i), `${consistency}: GET after SET ${i}`);
        }
      } finally {
        await node.close();
      }
    }
  });

  test("with auth set, every command but AUTH gets NOAUTH until the password is given", async () => {
    const node = await start({ auth: "s3cret" });
    try {
      const [denied, wrong, ok, allowed] = await call(
        node,
        ["SET", "a", "1"],
        ["AUTH", "guess"],
        ["AUTH", "s3cret"],
        ["SET", "a", "1"],
      );
      assert.equal(denied, "-NOAUTH Authentication required.");
      assert.match(wrong!, /^-WRONGPASS/);
      assert.equal(ok, "OK");
      assert.equal(allowed, "OK");
      const [hello] = await request(runtime, node.id, [[
        "HELLO",
        "3",
        "AUTH",
        "default",
        "s3cret",
      ]]);
      assert.ok(hello instanceof Map);
      const open = await start();
      try {
        const [noPassword] = await call(open, ["AUTH", "x"]);
        assert.match(noPassword!, /without any password configured/);
      } finally {
        await open.close();
      }
    } finally {
      await node.close();
    }
  });

  test("connAccept can refuse a client; connClosed hears about every close", async () => {
    const closed: string[] = [];
    let refuse = false;
    const node = await start({
      connAccept: () => !refuse,
      connClosed: (info) => closed.push(info.remoteAddress),
    });
    try {
      assert.deepEqual(await call(node, ["PING"]), ["PONG"]);
      refuse = true;
      await assert.rejects(call(node, ["PING"]));
      for (let i = 0; i < 50 && closed.length === 0; i++) await sleep(10);
      assert.equal(closed.length, 1, "the accepted connection's close was reported");
    } finally {
      await node.close();
    }
  });

  test("what apply returns for a write works as a promise, in a pipeline, in order", async () => {
    const machine = new PromiseUser();
    const node = await start({ machine });
    try {
      const replies = await call(
        node,
        ["INCR"],
        ["AWAITED"],
        ["INCR"],
        ["CAUGHT"],
        ["FINALLY"],
        ["RESOLVED"],
        ["FAILING"],
        ["INCR"],
      );
      assert.deepEqual(replies, [
        "1",
        "after 2",
        "3",
        "caught boom",
        "4",
        "resolved 5",
        "-ERR mutate failed",
        "6",
      ]);
      // Once, after its own write (the rest of the batch may have been applied by then).
      assert.equal(machine.finallies.length, 1);
      assert.ok(machine.finallies[0]! >= 4);
    } finally {
      await node.close();
    }
  });

  test("the receiving node runs the write's own mutate; the others replay it with a null conn", async () => {
    const machines = [new Recorder(), new Recorder(), new Recorder()];
    const first = await start({ machine: machines[0]! });
    const second = await start({ machine: machines[1]!, join: first.id });
    const third = await start({ machine: machines[2]!, join: first.id });
    try {
      for (let i = 0; i < 300 && first.membership().voters.length < 3; i++) await sleep(10);
      assert.deepEqual(await call(first, ["INCR"], ["INCR"], ["INCR"]), ["1", "2", "3"]);
      for (let i = 0; i < 200 && machines[2]!.value < 3; i++) await sleep(10);
      assert.deepEqual(machines[0]!.runs, ["own", "own", "own"]);
      assert.deepEqual(machines[1]!.runs, ["replay", "replay", "replay"]);
      assert.deepEqual(machines[2]!.runs, ["replay", "replay", "replay"]);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });

  test("membership commands refuse what would leave the cluster unable to commit", async () => {
    const node = await start();
    try {
      const dead = `127.0.0.1:${await freePort()}`;
      const replies = await call(
        node,
        ["RAFTADDPEER", ":0"],
        ["RAFTADDPEER", "0.0.0.0:7000"],
        ["RAFT", "SERVER", "ADD", "[::]:7000"],
        ["RAFT", "SERVER", "PROMOTE", dead],
        ["RAFT", "SERVER", "DEMOTE", dead],
        ["RAFT", "SERVER", "DEMOTE", node.id],
        ["RAFTREMOVEPEER", node.id],
        ["RAFT", "SERVER", "ADD", dead, "NONVOTER"],
        ["RAFT", "SERVER", "PROMOTE", dead],
      );
      assert.match(replies[0]!, /^-ERR Invalid peer address ':0': a peer's port must be from 1/);
      assert.match(replies[1]!, /^-ERR Invalid peer address '0\.0\.0\.0:7000': '0\.0\.0\.0' is/);
      assert.match(replies[2]!, /^-ERR Invalid peer address '\[::\]:7000'/);
      // A voter straight from outside would make this one-node cluster need it for a quorum.
      assert.equal(replies[3], "-peer is unknown");
      assert.equal(replies[4], "-peer is unknown");
      assert.match(replies[5]!, /^-ERR 127\.0\.0\.1:\d+ is the only voter/);
      assert.match(replies[6]!, /^-ERR 127\.0\.0\.1:\d+ is the only voter/);
      assert.equal(replies[7], "OK");
      assert.equal(replies[8], `-ERR ${dead} has not caught up with the log yet; try again`);
      assert.deepEqual(node.membership(), { voters: [node.id], learners: [dead] });
      const [set, removed] = await call(node, ["SET", "k", "v"], ["RAFTREMOVEPEER", dead]);
      assert.deepEqual([set, removed], ["OK", "OK"]);
      assert.deepEqual(node.membership(), { voters: [node.id], learners: [] });
    } finally {
      await node.close();
    }
  });

  test("open() on a port in use rejects and leaves nothing running", async () => {
    const first = await start();
    try {
      // On Node a failed start used to leave its flush scheduler's message port open, and the
      // process (this test file too) never exited.
      await assert.rejects(start({ addr: first.id }), /EADDRINUSE|in use/i);
    } finally {
      await first.close();
    }
  });

  test("a node joining with another cluster secret is told the leader cannot reach it", async () => {
    const first = await start({ clusterSecret: "right" });
    const lines: string[] = [];
    const second = await start({
      clusterSecret: "wrong",
      join: first.id,
      logLevel: "warning",
      logOutput: (line) => lines.push(line),
    });
    try {
      // The leader accepts the address (RAFTADDPEER is a client command) but its connections
      // fail the handshake: five election timeouts of 300 ms later the joiner warns.
      for (let i = 0; i < 300 && !lines.some((l) => l.includes("no leader has reached")); i++) {
        await sleep(10);
      }
      const warning = lines.find((line) => line.includes("no leader has reached"));
      assert.ok(warning?.includes("--cluster-secret"), lines.join("\n"));
      assert.equal(second.leader(), undefined);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test("a leader whose event loop was held up past its lease stops serving lease reads", async () => {
    const first = await start();
    const second = await start({ join: first.id });
    const third = await start({ join: first.id });
    const leaseRead = () => (first as unknown as { readNow(): boolean }).readNow();
    try {
      for (let i = 0; i < 300 && first.membership().voters.length < 3; i++) await sleep(10);
      assert.equal(first.membership().voters.length, 3);
      assert.deepEqual(await call(first, ["SET", "k", "v"]), ["OK"]);
      for (let i = 0; i < 200 && !leaseRead(); i++) await sleep(10);
      assert.equal(leaseRead(), true, "a lease once a quorum acknowledged heartbeats");
      // Hold the loop for longer than the 300 ms election timeout: no timer fires meanwhile,
      // so the core counted no ticks, yet the followers could have elected another leader.
      const until = performance.now() + 700;
      while (performance.now() < until) { /* a long synchronous task */ }
      assert.equal(leaseRead(), false, "the lease ran out in wall time");
      // Every node's clock caught up too: the leader heard from no quorum for an election
      // timeout and steps down, and an election follows. The data is all there.
      const nodes = [first, second, third];
      let read: string | undefined;
      for (let i = 0; i < 300 && read !== "v"; i++) {
        await sleep(10);
        const leader = nodes.find((node) => node.state() === "Leader");
        if (leader !== undefined) [read] = await call(leader, ["GET", "k"]);
      }
      assert.equal(read, "v", "a leader again, serving what was written");
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });

  test("three nodes in one process elect, replicate, redirect and transfer leadership", async () => {
    const first = await start({ consistency: "low" });
    const second = await start({ consistency: "low", join: first.id });
    const third = await start({ consistency: "low", join: first.id });
    try {
      for (let i = 0; i < 300 && first.membership().voters.length < 3; i++) await sleep(10);
      assert.equal(first.membership().voters.length, 3);
      assert.deepEqual(await call(first, ["SET", "k", "v"]), ["OK"]);
      for (let i = 0; i < 200 && (await call(third, ["GET", "k"]))[0] !== "v"; i++) await sleep(10);
      assert.deepEqual(await call(third, ["GET", "k"]), ["v"]);
      assert.deepEqual(await call(second, ["SET", "x", "1"]), [`-TRY ${first.id}`]);
      assert.deepEqual(await call(first, ["RAFT", "TRANSFER", second.id]), ["OK"]);
      for (let i = 0; i < 300 && second.state() !== "Leader"; i++) await sleep(10);
      assert.equal(second.state(), "Leader");
      assert.deepEqual(await call(second, ["SET", "after", "transfer"]), ["OK"]);
      const [peers] = await request(runtime, second.id, [["RAFTPEERS"]]);
      const states = (peers as Uint8Array[]).map(text);
      assert.deepEqual(states.filter((_, i) => i % 2 === 1).sort(), [
        "Follower",
        "Follower",
        "Leader",
      ]);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });
});

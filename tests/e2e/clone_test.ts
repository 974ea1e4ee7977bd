/**
 * End-to-end: the Redis clone as real processes on 127.0.0.1, driven by `redis-cli`. The same
 * scenarios run against `deno run examples/clone.ts` and against the executable that
 * `bun build --compile` makes. They run from `deno test` only (under `bun test` they would only
 * repeat the same processes).
 */

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { hasProgram, sleep } from "../_support/processes.ts";
import { type Target, TestCluster, type TestNode, voters, waitFor } from "./_cluster.ts";

const skip = "Bun" in globalThis
  ? "end-to-end tests run under deno test"
  : !hasProgram("redis-cli")
  ? "redis-cli is not installed (apt-get install redis-tools)"
  : false;

/** Sends raw bytes on a fresh connection; resolves with what came back before it closed. */
function rawExchange(port: number, bytes: string | Uint8Array, waitMs = 500): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, waitMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

function keysOf(node: TestNode, pattern = "*"): string[] {
  const out = node.cli("KEYS", pattern);
  return out === "" ? [] : out.split("\n").sort();
}

function scenarios(target: Target): void {
  describe(`clone on ${target}`, { skip }, () => {
    test("the README walk-through: SET, GET, DEL, KEYS and Finn's errors", async () => {
      const cluster = new TestCluster(target);
      try {
        const node = await cluster.add();
        await waitFor(() => node.cli("RAFTSTATE") === "Leader", "a leader");
        assert.equal(node.cli("SET", "mykey", "my value"), "OK");
        assert.equal(node.cli("GET", "mykey"), "my value");
        assert.equal(node.cli("SET", "other", "x"), "OK");
        assert.deepEqual(keysOf(node, "my*"), ["mykey"]);
        assert.deepEqual(keysOf(node, "[mo]*"), ["mykey", "other"]);
        assert.equal(node.cli("DEL", "mykey", "missing"), "1");
        assert.equal(node.cli("GET", "mykey"), "");
        assert.equal(node.cli("PING"), "PONG");
        assert.equal(node.cli("RAFTLEADER"), node.address);
        assert.match(node.cli("FOO"), /ERR unknown command 'FOO'/);
        assert.match(node.cli("GET"), /ERR wrong number of arguments for 'GET' command/);
        assert.match(node.cli("RAFTSTATE", "abc"), /wrong number of arguments/);
        const pipelined = node.cli("--pipe");
        assert.match(pipelined, /errors: 0, replies: 0/);
      } finally {
        await cluster.stop();
      }
    });

    test("a 3-node cluster formed with --join replicates, fails over and restarts", async () => {
      const cluster = new TestCluster(target);
      try {
        const [first, second, third] = await cluster.form(3, ["-consistency", "low"]);
        for (let i = 0; i < 50; i++) assert.equal(first!.cli("SET", `k${i}`, `v${i}`), "OK");
        // Followers serve reads locally at consistency low: the writes reached them.
        await waitFor(() => second!.cli("GET", "k49") === "v49", "replication to node 2");
        await waitFor(() => third!.cli("GET", "k49") === "v49", "replication to node 3");
        assert.match(second!.cli("SET", "x", "1"), new RegExp(`TRY ${first!.address}`));

        // SIGKILL the leader: a new one serves within 5 s with every acknowledged write.
        const killedAt = Date.now();
        await first!.kill();
        const leader = await cluster.leader(5000);
        const failover = Date.now() - killedAt;
        assert.ok(failover < 5000, `failover took ${failover} ms`);
        assert.notEqual(leader, first);
        assert.equal(leader.cli("SET", "after", "failover"), "OK");
        assert.equal(keysOf(leader, "k*").length, 50);

        // The killed node restarts on its directory and catches up.
        await first!.start();
        await waitFor(() => first!.cli("GET", "after") === "failover", "restarted node catch-up");
        assert.equal(keysOf(first!, "k*").length, 50);

        // The whole cluster restarts and keeps its data.
        for (const node of cluster.nodes) await node.kill();
        for (const node of cluster.nodes) await node.start();
        const again = await cluster.leader();
        assert.equal(again.cli("GET", "k7"), "v7");
        assert.equal(again.cli("GET", "after"), "failover");
        assert.equal(keysOf(again, "k*").length, 50);
      } finally {
        await cluster.stop();
      }
    });

    test("a node removed and re-added rejoins; a far-behind node catches up by snapshot", async () => {
      const cluster = new TestCluster(target);
      try {
        const [first, second, third] = await cluster.form(3, ["-consistency", "low"]);
        assert.equal(first!.cli("RAFTREMOVEPEER", third!.address), "OK");
        await waitFor(() => voters(first!) === 2, "two voters after removal");
        assert.match(first!.cli("RAFTREMOVEPEER", "127.0.0.1:1"), /^peer is unknown\s*$/);
        assert.equal(first!.cli("RAFTADDPEER", third!.address), "OK");
        await waitFor(() => voters(first!) === 3, "three voters after re-adding");

        for (let i = 0; i < 300; i++) first!.cli("SET", `s${i}`, `${i}`);
        // Every node compacts, so whichever leads (a loaded machine can see an election) has
        // only a snapshot to offer the new node. Each waits until it has applied the writes.
        for (const node of [first!, second!, third!]) {
          await waitFor(() => node.cli("GET", "s299") === "299", "the writes on every node");
          assert.equal(node.cli("RAFTSNAPSHOT"), "OK");
          assert.equal(node.cli("RAFTSHRINKLOG"), "OK");
        }
        const late = await cluster.add(["-consistency", "low"], first);
        await waitFor(() => late.cli("GET", "s299") === "299", "snapshot catch-up", 15_000);
        const stats = late.cli("RAFTSTATS").split("\n");
        const snapshotIndex = Number(stats[stats.indexOf("last_snapshot_index") + 1]);
        assert.ok(snapshotIndex > 0, "the new node installed a snapshot");
        assert.equal(keysOf(late, "s*").length, 300);
      } finally {
        await cluster.stop();
      }
    });

    test("durability high: SIGKILL right after a burst of acknowledged SETs loses none", async () => {
      const cluster = new TestCluster(target);
      try {
        const node = await cluster.add(["-durability", "high"]);
        await waitFor(() => node.cli("RAFTSTATE") === "Leader", "a leader");
        let input = "";
        for (let i = 0; i < 2000; i++) input += `SET d${i} ${i}\r\n`;
        const { spawnSync } = await import("node:child_process");
        const piped = spawnSync("redis-cli", ["-p", String(node.port), "--pipe"], {
          input,
          encoding: "utf8",
        });
        assert.match(piped.stdout, /errors: 0, replies: 2000/);
        await node.kill();
        await node.start();
        await waitFor(() => node.cli("RAFTSTATE") === "Leader", "a leader after restart");
        assert.equal(keysOf(node, "d*").length, 2000);
        assert.equal(node.cli("GET", "d1999"), "1999");
      } finally {
        await cluster.stop();
      }
    });

    test("malformed input gets an error and leaves the node serving others", async () => {
      const cluster = new TestCluster(target);
      try {
        const node = await cluster.add();
        await waitFor(() => node.cli("RAFTSTATE") === "Leader", "a leader");
        const garbage = await rawExchange(node.port, "*x\r\n");
        assert.match(garbage, /^-ERR Protocol error: invalid multibulk length/);
        const huge = await rawExchange(node.port, "*2\r\n$3\r\nSET\r\n$1073741824\r\n");
        assert.match(huge, /-ERR Protocol error: invalid bulk length/);
        await rawExchange(node.port, "*3\r\n$3\r\nSET\r\n$1\r\na", 100);
        const binary = await rawExchange(node.port, new Uint8Array([0xff, 0x00, 0x2a, 0x0d]));
        assert.ok(binary === "" || binary.startsWith("-ERR"), JSON.stringify(binary));
        // Raft traffic from a plain client is refused and changes nothing.
        assert.match(node.cli("RAFT.MSG", "xyz"), /peer handshake/);
        assert.equal(node.cli("SET", "still", "serving"), "OK");
        assert.equal(node.cli("GET", "still"), "serving");
        await sleep(10);
      } finally {
        await cluster.stop();
      }
    });
  });
}

before(() => {});
scenarios("deno");
scenarios("bun-compiled");
after(() => {});

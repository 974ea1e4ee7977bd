/**
 * Real Redis client libraries against a 3-node clone cluster: ioredis, node-redis, and
 * ioredis's Cluster client following `-MOVED` redirects to the leader by itself. Runs under
 * `bun test` and `node --test` (they load the npm packages from node_modules); the nodes run
 * under Deno.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { createClient } from "redis";
import { hasProgram } from "../_support/processes.ts";
import { TestCluster, waitFor } from "../e2e/_cluster.ts";

const skip = "Deno" in globalThis
  ? "client library tests run under bun test and node --test"
  : !hasProgram("redis-cli")
  ? "redis-cli is not installed"
  : false;

describe("Redis client libraries against the clone", { skip }, () => {
  test("ioredis and node-redis write through the leader and read back", async () => {
    const cluster = new TestCluster("deno");
    try {
      const [leader] = await cluster.form(3);
      const ioredis = new Redis({ port: leader!.port, host: "127.0.0.1", lazyConnect: true });
      await ioredis.connect();
      assert.equal(await ioredis.set("io", "redis"), "OK");
      assert.equal(await ioredis.get("io"), "redis");
      const pipeline = ioredis.pipeline();
      for (let i = 0; i < 100; i++) pipeline.set(`p${i}`, String(i));
      const results = await pipeline.exec();
      assert.equal(results?.length, 100);
      assert.ok(results?.every(([error, reply]) => error === null && reply === "OK"));
      assert.equal(await ioredis.del("p0", "p1", "nope"), 2);
      assert.deepEqual((await ioredis.keys("p9*")).sort(), [
        "p9",
        "p90",
        "p91",
        "p92",
        "p93",
        "p94",
        "p95",
        "p96",
        "p97",
        "p98",
        "p99",
      ]);
      ioredis.disconnect();

      const client = createClient({ url: `redis://127.0.0.1:${leader!.port}` });
      client.on("error", () => {});
      await client.connect();
      assert.equal(await client.set("node", "redis"), "OK");
      assert.equal(await client.get("node"), "redis");
      assert.equal(await client.get("io"), "redis");
      await client.quit();
    } finally {
      await cluster.stop();
    }
  });

  test("ioredis Cluster follows -MOVED from a follower to the leader", async () => {
    const cluster = new TestCluster("deno");
    try {
      const nodes = await cluster.form(3, ["--redirect", "moved"]);
      const follower = nodes[1]!;
      assert.match(follower.cli("SET", "x", "1"), /MOVED 0 /);
      const client = new Cluster([{ host: "127.0.0.1", port: follower.port }], {
        lazyConnect: true,
        enableReadyCheck: false,
      });
      await client.connect();
      assert.equal(await client.set("clustered", "yes"), "OK");
      assert.equal(await client.get("clustered"), "yes");
      await client.quit();
      await waitFor(() => nodes[0]!.cli("GET", "clustered") === "yes", "the write on the leader");
    } finally {
      await cluster.stop();
    }
  });
});

/**
 * A node restarting on a data directory a crash or the disk left in a bad state. Its newest
 * snapshot damaged: an older snapshot stands in where the log still holds the entries after it
 * (nothing lost, the damaged file set aside), and the node refuses to start, naming the file,
 * where it does not. Its hard state behind its log (a crash between the two writes): the node
 * takes the log's term. Opened under another address: a warning says why it stays idle. And
 * a disk that fails under a running node (ENOSPC, EIO): every client gets the error.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime } from "../../adapters/auto.ts";
import { Clone } from "../../examples/clone.ts";
import { LogCorruptionError } from "../../lib/errors.ts";
import { HardStateFile } from "../../lib/log/hard_state_file.ts";
import { FaultFs } from "../_support/fault_fs.ts";
import { type Node, openNode } from "../../lib/server/node.ts";
import type { OpenOptions } from "../../lib/server/options.ts";
import { request } from "../../lib/server/request.ts";
import { freePort, sleep } from "../_support/processes.ts";
import { replyText } from "../_support/reply_text.ts";

const runtime = createRuntime();
const text = replyText;

/** Opens a node on `dir`; its address is its identity, so a restart passes the same `addr`. */
async function start(dir: string, lines: string[], options: Partial<OpenOptions> = {}) {
  const node = await openNode({
    machine: new Clone(),
    dir,
    logLevel: "notice",
    logOutput: (line) => lines.push(line),
    electionTimeoutMs: 300,
    heartbeatMs: 50,
    runtime,
    ...options,
  });
  for (let i = 0; i < 200 && node.state() !== "Leader"; i++) await sleep(10);
  return node;
}

async function call(node: Node, ...commands: string[][]): Promise<string[]> {
  return (await request(runtime, node.id, commands)).map(text);
}

/**
 * Writes k1..k3, snapshotting after each, then overwrites k1: two snapshots kept (at the
 * second and third SET) and one write in the log after the newest.
 */
async function prepare(dir: string, trailingEntries: number): Promise<string> {
  const addr = `127.0.0.1:${await freePort()}`;
  const node = await start(dir, [], { addr, snapshotTrailingEntries: trailingEntries });
  try {
    for (const key of ["k1", "k2", "k3"]) {
      // Apart: in one pipeline the snapshot may run before the SET is applied.
      assert.deepEqual(await call(node, ["SET", key, `${key}-first`]), ["OK"]);
      assert.deepEqual(await call(node, ["RAFTSNAPSHOT"]), ["OK"]);
    }
    assert.deepEqual(await call(node, ["SET", "k1", "k1-last"]), ["OK"]);
  } finally {
    await node.close();
  }
  return addr;
}

const snapshotFiles = (dir: string) => readdirSync(join(dir, "snapshots")).sort();

/** Runs `body` in a fresh temporary directory, removed afterwards whatever happens. */
async function inTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Flips one byte of the newest snapshot, `offset` bytes from its start (negative: its end). */
function damageNewest(dir: string, offset: number): string {
  const names = snapshotFiles(dir).filter((name) => name.endsWith(".snap"));
  assert.equal(names.length, 2);
  const path = join(dir, "snapshots", names[1]!);
  const bytes = readFileSync(path);
  bytes[offset < 0 ? bytes.length + offset : offset]! ^= 0xff;
  writeFileSync(path, bytes);
  return names[1]!;
}

describe("a damaged newest snapshot", () => {
  for (
    const [where, offset] of [["in its data (bad CRC)", -30], ["in its header", 20]] as const
  ) {
    test(`${where}: the older one stands in and the log replays the rest`, async () => {
      await inTempDir("flotilla-snapdamage-", async (dir) => {
        const addr = await prepare(dir, 1000);
        const damaged = damageNewest(dir, offset);
        const lines: string[] = [];
        const node = await start(dir, lines, { addr });
        try {
          assert.deepEqual(await call(node, ["GET", "k1"], ["GET", "k2"], ["GET", "k3"]), [
            "k1-last",
            "k2-first",
            "k3-first",
          ]);
          assert.ok(snapshotFiles(dir).includes(`${damaged}.damaged`), snapshotFiles(dir).join());
          assert.ok(!snapshotFiles(dir).includes(damaged));
          assert.ok(lines.some((line) => line.includes("is damaged")), lines.join("\n"));
          assert.ok(lines.some((line) => line.includes("aside as")), lines.join("\n"));
        } finally {
          await node.close();
        }
      });
    });
  }

  for (const [where, offset] of [["in its data", -30], ["in its header", 20]] as const) {
    test(`${where}, with the log compacted past the older one: the node refuses to start`, async () => {
      await inTempDir("flotilla-snapdamage-", async (dir) => {
        const addr = await prepare(dir, 0);
        const damaged = damageNewest(dir, offset);
        const before = snapshotFiles(dir);
        await assert.rejects(start(dir, [], { addr }), (error: unknown) => {
          assert.ok(error instanceof LogCorruptionError, String(error));
          assert.ok(error.file.endsWith(damaged), error.file);
          return true;
        });
        // Nothing was moved: a later start meets the same refusal, not a quiet loss.
        assert.deepEqual(snapshotFiles(dir), before);
      });
    });
  }
});

describe("a hard state behind the log", () => {
  test("is raised to the log's last term, so the next election is in a later term", async () => {
    await inTempDir("flotilla-hardstate-", async (dir) => {
      const addr = await prepare(dir, 1000);
      const termOf = async (node: Node) => {
        const [stats] = await request(runtime, node.id, [["RAFTSTATS"]]);
        const pairs = (stats as Uint8Array[]).map(text);
        return Number(pairs[pairs.indexOf("term") + 1]);
      };
      // What a crash right after a follower wrote a new term's first entries leaves: the log
      // holds entries of term 1 (this node's own, here), the hard state an older term.
      const file = await HardStateFile.open(runtime.fs, dir);
      await file.save({ term: 0, vote: "", commit: 0 });
      const lines: string[] = [];
      const node = await start(dir, lines, { addr });
      try {
        assert.equal(node.state(), "Leader");
        assert.equal(await termOf(node), 2);
        assert.deepEqual(await call(node, ["GET", "k1"]), ["k1-last"]);
        assert.ok(lines.some((line) => line.includes("adopting it")), lines.join("\n"));
      } finally {
        await node.close();
      }
    });
  });
});

describe("a data directory reopened under another address", () => {
  test("warns that the membership does not name this node", async () => {
    await inTempDir("flotilla-moved-", async (dir) => {
      const addr = await prepare(dir, 1000);
      const lines: string[] = [];
      const node = await start(dir, lines, { addr: `127.0.0.1:${await freePort()}` });
      try {
        assert.notEqual(node.state(), "Leader");
        const warning = lines.find((line) => line.includes("takes no part"));
        assert.ok(warning?.includes(`names ${addr}`), lines.join("\n"));
      } finally {
        await node.close();
      }
    });
  });
});

describe("a storage failure under a running node", () => {
  test("answers the writes in flight, later writes and consistent reads with the error", async () => {
    const fs = new FaultFs();
    const node = await start("data", [], {
      addr: `127.0.0.1:${await freePort()}`,
      runtime: { ...runtime, name: runtime.name, fs },
    });
    try {
      assert.deepEqual(await call(node, ["SET", "a", "1"]), ["OK"]);
      fs.failWhen((op, path) => op === "write" && path.endsWith(".seg"));
      // A pipeline: the SETs reach the log together and fail with it; nothing hangs.
      const replies = await call(node, ["SET", "b", "2"], ["SET", "c", "3"], ["GET", "a"]);
      for (const reply of replies) {
        assert.match(reply, /^-ERR node stopped after a storage failure: Injected write failure/);
      }
      const [later, read] = await call(node, ["SET", "d", "4"], ["GET", "a"]);
      assert.match(later!, /^-ERR node stopped after a storage failure/);
      assert.match(read!, /^-ERR node stopped after a storage failure/);
      assert.equal(node.state(), "Shutdown");
      assert.deepEqual(await call(node, ["PING"]), ["PONG"]);
    } finally {
      await node.close();
    }
  });
});

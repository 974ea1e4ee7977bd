/**
 * The example clone's machine on its own: binary keys and values (every byte value, short and
 * long) survive SET, GET, KEYS and a snapshot/restore round trip unchanged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Clone } from "../../examples/clone.ts";
import { createCommand } from "../../lib/server/applier.ts";
import type { Applier, ReplyWriter } from "../../lib/server/machine.ts";
import { createLogger } from "../../lib/server/logger.ts";

/** Runs mutate at once (as a one-node log would) then respond. */
const applier: Applier = {
  log: createLogger({ level: "quiet" }),
  apply(_conn, _cmd, mutate, respond) {
    const result = mutate === null ? undefined : mutate();
    respond(result as never);
    return result;
  },
};

/** Records replies; bulk bytes are copied, since a writer may reuse its buffer. */
function recorder(): ReplyWriter & { replies: unknown[] } {
  const replies: unknown[] = [];
  return {
    replies,
    writeString: (value) => replies.push(value),
    writeError: (message) => replies.push(new Error(message)),
    writeInt: (value) => replies.push(Number(value)),
    writeBulk: (value) =>
      replies.push(typeof value === "string" ? value : Uint8Array.from(value as Uint8Array)),
    writeNull: () => replies.push(null),
    writeArray: (length) => replies.push(`*${length}`),
  };
}

function run(clone: Clone, conn: ReplyWriter, ...args: (string | Uint8Array)[]): void {
  const bytes = args.map((arg) => typeof arg === "string" ? new TextEncoder().encode(arg) : arg);
  clone.command(applier, conn, createCommand(bytes));
}

/** The machine's keyspace as `[key, value]` pairs sorted by key, to compare two machines. */
function entries(clone: Clone): [string, string][] {
  return [...clone.keys.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

const every = Uint8Array.from({ length: 256 }, (_, i) => i);
const long = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 256);

/** The snapshot's bytes, joined from the chunks it was written in. */
async function snapshotOf(clone: Clone): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await clone.snapshot({
    write: (chunk) => void chunks.push(Uint8Array.from(chunk as Uint8Array)) as never,
  });
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) all.set(chunk, (at += chunk.length) - chunk.length);
  return all;
}

function restoreFrom(clone: Clone, all: Uint8Array): Promise<void> {
  return clone.restore({
    readAll: () => Promise.resolve(all),
    [Symbol.asyncIterator]: async function* () {
      yield all;
    },
  });
}

describe("examples/clone.ts machine", () => {
  test("binary keys and values come back byte for byte", () => {
    const clone = new Clone();
    const conn = recorder();
    run(clone, conn, "SET", every, long);
    run(clone, conn, "SET", "k\x80\x9f", every);
    run(clone, conn, "GET", every);
    run(clone, conn, "GET", "k\x80\x9f");
    run(clone, conn, "GET", "missing");
    assert.deepEqual(conn.replies, ["OK", "OK", long, every, null]);
  });

  test("KEYS matches and returns the raw key bytes", () => {
    const clone = new Clone();
    const conn = recorder();
    run(clone, conn, "SET", new Uint8Array([0x6b, 0x90, 0xff]), "v");
    run(clone, conn, "SET", "other", "v");
    conn.replies.length = 0;
    run(clone, conn, "KEYS", "k*");
    assert.deepEqual(conn.replies, ["*1", new Uint8Array([0x6b, 0x90, 0xff])]);
  });

  test("a snapshot restores into an equal map", async () => {
    const clone = new Clone();
    const conn = recorder();
    run(clone, conn, "SET", every, long);
    for (let i = 0; i < 3000; i++) run(clone, conn, "SET", `key:${i}`, every.subarray(i % 256));
    const restored = new Clone();
    await restoreFrom(restored, await snapshotOf(clone));
    assert.equal(restored.keys.size, 3001);
    assert.deepEqual(entries(restored), entries(clone));
    const check = recorder();
    run(restored, check, "GET", every);
    assert.deepEqual(check.replies, [long]);
  });

  test("a snapshot carries values larger than its 64 KiB pieces", async () => {
    const clone = new Clone();
    const conn = recorder();
    const huge = new Uint8Array(200 * 1024).map((_, i) => i * 7);
    run(clone, conn, "SET", "before", "1");
    run(clone, conn, "SET", "huge", huge);
    run(clone, conn, "SET", "after", "2");
    const restored = new Clone();
    await restoreFrom(restored, await snapshotOf(clone));
    assert.deepEqual(entries(restored), entries(clone));
    const check = recorder();
    run(restored, check, "GET", "huge");
    assert.deepEqual(check.replies, [huge]);
  });

  test("the snapshot format: u32 LE key length, key, u32 LE value length, value", async () => {
    const clone = new Clone();
    run(clone, recorder(), "SET", new Uint8Array([0x6b, 0x00, 0xff]), new Uint8Array([0x76, 0x80]));
    assert.deepEqual(
      await snapshotOf(clone),
      new Uint8Array([3, 0, 0, 0, 0x6b, 0x00, 0xff, 2, 0, 0, 0, 0x76, 0x80]),
    );
    // Two entries as an older build wrote them (a Map, in insertion order): a 30-byte key and
    // an empty one.
    const longKey = new TextEncoder().encode("a-key-longer-than-24-bytes-012");
    const old = new Uint8Array([30, 0, 0, 0, ...longKey, 1, 0, 0, 0, 0x31, 0, 0, 0, 0, 0, 0, 0, 0]);
    const restored = new Clone();
    await restoreFrom(restored, old);
    const check = recorder();
    run(restored, check, "GET", longKey);
    run(restored, check, "GET", new Uint8Array(0));
    assert.deepEqual(check.replies, [new Uint8Array([0x31]), new Uint8Array(0)]);
    assert.deepEqual(entries(restored), [["", ""], ["a-key-longer-than-24-bytes-012", "1"]]);
  });
});

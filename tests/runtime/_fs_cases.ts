/**
 * File-system conformance cases for a {@linkcode Runtime}, in a fresh directory under the OS
 * temp dir that is removed afterwards.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { RuntimeError, type RuntimeErrorCode } from "../../lib/errors.ts";
import type { Runtime } from "../../lib/runtime.ts";

/** Asserts that `promise` rejects with a {@linkcode RuntimeError} carrying `code`. */
async function rejectsWith(promise: Promise<unknown>, code: RuntimeErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${error}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.path !== undefined);
    return true;
  });
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** Registers the file-system cases. */
export function describeFileSystemConformance(runtime: Runtime): void {
  describe(`${runtime.name} runtime: files`, () => {
    const fs = runtime.fs;
    let root = "";
    let counter = 0;
    /** A fresh path under the test's temp dir. */
    const fresh = (name: string): string => `${root}/${counter++}-${name}`;

    before(() => {
      root = mkdtempSync(`${tmpdir()}/flotilla-runtime-`).replaceAll("\\", "/");
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
    });

    test("writeNow writes synchronously, in order with queued operations", async () => {
      const path = fresh("now");
      const file = await fs.open(path, { read: true, write: true, create: true });
      try {
        assert.equal(file.writeNow(text("hello"), 0), true);
        assert.equal(file.writeNow(text("J"), 0), true);
        const buffer = new Uint8Array(5);
        assert.equal(await file.read(buffer, 0), 5);
        assert.deepEqual(buffer, text("Jello"));
        // While a queued operation is in flight it declines, so it never overtakes one.
        const reading = file.read(new Uint8Array(5), 0);
        assert.equal(file.writeNow(text("x"), 0), false);
        await reading;
        assert.equal(file.writeNow(text("Y"), 5), true);
        assert.equal(await file.size(), 6);
      } finally {
        await file.close();
      }
    });

    test("writeNow lands where asked after appends, reads and writes elsewhere", async () => {
      const file = await fs.open(fresh("cursor"), { read: true, write: true, create: true });
      try {
        assert.equal(file.writeNow(text("abc"), 0), true);
        assert.equal(file.writeNow(text("def"), 3), true); // where the last write ended
        assert.equal(await file.read(new Uint8Array(2), 0), 2); // moves the cursor to 2
        assert.equal(file.writeNow(text("ghi"), 6), true);
        await file.write(text("Z"), 1); // an async write moves it too
        assert.equal(file.writeNow(text("jk"), 9), true);
        assert.equal(file.writeNow(text("A"), 0), true); // before the cursor
        assert.equal(file.writeNow(text("lm"), 11), true);
        const buffer = new Uint8Array(13);
        assert.equal(await file.read(buffer, 0), 13);
        assert.deepEqual(buffer, text("AZcdefghijklm"));
      } finally {
        await file.close();
      }
    });

    test("datasyncNow syncs synchronously and declines while an operation is in flight", async () => {
      const path = fresh("syncnow");
      const file = await fs.open(path, { read: true, write: true, create: true });
      try {
        assert.equal(file.writeNow(text("durable"), 0), true);
        assert.equal(file.datasyncNow(), true);
        const reading = file.read(new Uint8Array(7), 0);
        assert.equal(file.datasyncNow(), false, "never overtakes a queued operation");
        await reading;
        assert.equal(file.datasyncNow(), true);
        assert.equal(new TextDecoder().decode(await fs.readFile(path)), "durable");
      } finally {
        await file.close();
      }
      assert.throws(() => file.datasyncNow(), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${error}`);
        return true;
      });
    });

    test("writeNow on a closed handle throws a RuntimeError", async () => {
      const file = await fs.open(fresh("closed"), { read: true, write: true, create: true });
      await file.close();
      assert.throws(() => file.writeNow(text("late"), 0), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${error}`);
        return true;
      });
    });

    test("append, positional read and write, size, sync, datasync", async () => {
      const path = fresh("log");
      const file = await fs.open(path, { read: true, write: true, create: true });
      try {
        assert.equal(await file.size(), 0);
        await file.write(text("hello"), 0);
        await file.write(text(" world"), await file.size());
        await file.datasync();
        assert.equal(await file.size(), 11);
        await file.write(text("J"), 6);
        await file.sync();
        const buffer = new Uint8Array(16);
        assert.equal(await file.read(buffer, 0), 11);
        assert.equal(new TextDecoder().decode(buffer.subarray(0, 11)), "hello Jorld");
        assert.equal(await file.read(buffer.subarray(0, 3), 6), 3);
        assert.equal(new TextDecoder().decode(buffer.subarray(0, 3)), "Jor");
        assert.equal(await file.read(buffer, 11), 0);
        assert.equal(await file.read(buffer, 100), 0);
        // Writing past the end zero-fills the gap.
        await file.write(bytes(9), 14);
        assert.equal(await file.read(buffer, 10), 5);
        assert.deepEqual(buffer.subarray(0, 5), bytes(100, 0, 0, 0, 9));
      } finally {
        await file.close();
      }
      assert.equal(
        new TextDecoder().decode((await fs.readFile(path)).subarray(0, 11)),
        "hello Jorld",
      );
    });

    test("concurrent positional operations on one handle do not race", async () => {
      const path = fresh("concurrent");
      const file = await fs.open(path, { read: true, write: true, create: true });
      try {
        const writes = Array.from({ length: 64 }, (_, index) => {
          return file.write(new Uint8Array(1000).fill(index), index * 1000);
        });
        await Promise.all(writes);
        const buffers = Array.from({ length: 64 }, () => new Uint8Array(1000));
        const counts = await Promise.all(
          buffers.map((buffer, index) => file.read(buffer, index * 1000)),
        );
        assert.deepEqual(counts, buffers.map(() => 1000));
        buffers.forEach((buffer, index) => assert.ok(buffer.every((value) => value === index)));
        // Queued without awaiting: a later datasync and size see the earlier write.
        const write = file.write(bytes(1, 2, 3), 64_000);
        const size = file.size();
        await Promise.all([write, file.datasync()]);
        assert.equal(await size, 64_003);
      } finally {
        await file.close();
      }
    });

    test("truncate cuts and zero-extends", async () => {
      const path = fresh("truncate");
      const file = await fs.open(path, { write: true, read: true, create: true });
      try {
        await file.write(text("0123456789"), 0);
        await file.truncate(4);
        assert.equal(await file.size(), 4);
        await file.truncate(6);
        const buffer = new Uint8Array(10);
        assert.equal(await file.read(buffer, 0), 6);
        assert.deepEqual(buffer.subarray(0, 6), bytes(48, 49, 50, 51, 0, 0));
      } finally {
        await file.close();
      }
      const reopened = await fs.open(path, { write: true, truncate: true });
      assert.equal(await reopened.size(), 0);
      await reopened.close();
      assert.equal((await fs.stat(path)).size, 0);
    });

    test("open without create reads an existing file; write-only handle writes", async () => {
      const path = fresh("modes");
      const writer = await fs.open(path, { write: true, createNew: true });
      await writer.write(text("abc"), 0);
      await writer.close();
      const reader = await fs.open(path, {});
      const buffer = new Uint8Array(3);
      assert.equal(await reader.read(buffer, 0), 3);
      await reader.close();
      assert.deepEqual(await fs.readFile(path), text("abc"));
    });

    test("stat, readDir sorted, mkdir -p, rename replacing, remove, syncDir", async () => {
      const dir = fresh("tree");
      await fs.mkdir(`${dir}/a/b/c`);
      await fs.mkdir(`${dir}/a/b/c`);
      const directory = await fs.stat(`${dir}/a/b`);
      assert.equal(directory.isDirectory, true);
      assert.equal(directory.isFile, false);
      for (
        const name of [
          "bee",
          "a2",
          "10",
          "2",
          "A",
          "00000000000000000010.seg",
          "00000000000000000002.seg",
        ]
      ) {
        const file = await fs.open(`${dir}/a/${name}`, { write: true, create: true });
        await file.close();
      }
      assert.deepEqual(await fs.readDir(`${dir}/a`), [
        "00000000000000000002.seg",
        "00000000000000000010.seg",
        "10",
        "2",
        "A",
        "a2",
        "b",
        "bee",
      ]);
      const info = await fs.stat(`${dir}/a/b/../10`);
      assert.deepEqual(info, { size: 0, isFile: true, isDirectory: false });
      const temp = await fs.open(`${dir}/a/state.tmp`, { write: true, create: true });
      await temp.write(text("term 2"), 0);
      await temp.sync();
      await temp.close();
      const old = await fs.open(`${dir}/a/state`, { write: true, create: true });
      await old.write(text("term 1, stale and longer"), 0);
      await old.close();
      await fs.rename(`${dir}/a/state.tmp`, `${dir}/a/state`);
      await fs.syncDir(`${dir}/a`);
      assert.deepEqual(await fs.readFile(`${dir}/a/state`), text("term 2"));
      await rejectsWith(fs.stat(`${dir}/a/state.tmp`), "ENOENT");
      await fs.remove(`${dir}/a/10`);
      await rejectsWith(fs.stat(`${dir}/a/10`), "ENOENT");
      await fs.remove(`${dir}/a/b/c`);
      assert.deepEqual(await fs.readDir(`${dir}/a/b`), []);
      await fs.remove(dir, { recursive: true });
      await rejectsWith(fs.stat(dir), "ENOENT");
    });

    test("ENOENT: open, stat, readFile, readDir, rename, remove of a missing path", async () => {
      const missing = fresh("missing");
      await rejectsWith(fs.open(missing, { read: true }), "ENOENT");
      await rejectsWith(fs.open(missing, { write: true }), "ENOENT");
      await rejectsWith(fs.open(`${missing}/child`, { write: true, create: true }), "ENOENT");
      await rejectsWith(fs.stat(missing), "ENOENT");
      await rejectsWith(fs.readFile(missing), "ENOENT");
      await rejectsWith(fs.readDir(missing), "ENOENT");
      await rejectsWith(fs.rename(missing, `${missing}2`), "ENOENT");
      await rejectsWith(fs.remove(missing), "ENOENT");
      await rejectsWith(fs.remove(missing, { recursive: true }), "ENOENT");
      await rejectsWith(fs.syncDir(missing), "ENOENT");
    });

    test("EEXIST, ENOTDIR, EISDIR, ENOTEMPTY", async () => {
      const dir = fresh("errors");
      await fs.mkdir(`${dir}/full`);
      const path = `${dir}/file`;
      await (await fs.open(path, { write: true, create: true })).close();
      await (await fs.open(`${dir}/full/entry`, { write: true, create: true })).close();
      await rejectsWith(fs.open(path, { write: true, create: true, createNew: true }), "EEXIST");
      await rejectsWith(fs.mkdir(path), "EEXIST");
      await rejectsWith(fs.open(`${path}/child`, { read: true }), "ENOTDIR");
      await rejectsWith(fs.stat(`${path}/child`), "ENOTDIR");
      await rejectsWith(fs.readDir(path), "ENOTDIR");
      await rejectsWith(fs.mkdir(`${path}/child`), "ENOTDIR");
      await rejectsWith(fs.open(dir, { write: true }), "EISDIR");
      await rejectsWith(fs.readFile(dir), "EISDIR");
      await rejectsWith(fs.rename(path, `${dir}/full`), "EISDIR");
      await rejectsWith(fs.remove(`${dir}/full`), "ENOTEMPTY");
      await fs.remove(`${dir}/full`, { recursive: true });
      await rejectsWith(fs.stat(`${dir}/full`), "ENOENT");
    });

    test("operations on a closed handle fail with a RuntimeError", async () => {
      const file = await fs.open(fresh("closed"), { write: true, create: true });
      await file.close();
      await assert.rejects(file.write(bytes(1), 0), RuntimeError);
      await assert.rejects(file.size(), RuntimeError);
    });

    test("misuse: create or truncate without write is a TypeError", async () => {
      const path = fresh("misuse");
      await assert.rejects(fs.open(path, { read: true, create: true }), TypeError);
      await assert.rejects(fs.open(path, { createNew: true }), TypeError);
      await assert.rejects(fs.open(path, { read: true, truncate: true }), TypeError);
      await rejectsWith(fs.stat(path), "ENOENT");
    });

    test("misuse: a negative position is a RangeError", async () => {
      const file = await fs.open(fresh("range"), { write: true, create: true });
      try {
        await assert.rejects(file.write(bytes(1), -1), RangeError);
        await assert.rejects(file.read(new Uint8Array(1), 0.5), RangeError);
        await assert.rejects(file.truncate(-1), RangeError);
      } finally {
        await file.close();
      }
    });
  });
}

/**
 * The log, hard state and snapshots on the real file system through the runtime's own adapter
 * (adapters/auto.ts), in a temporary directory.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime } from "../../adapters/auto.ts";
import { HardStateFile } from "../../lib/log/hard_state_file.ts";
import { SegmentedLog } from "../../lib/log/segmented_log.ts";
import { SnapshotStore } from "../../lib/log/snapshot_store.ts";
import { assertEntries, conformance, makeEntries } from "../_support/log_conformance.ts";

const root = mkdtempSync(join(tmpdir(), "flotilla-log-"));
const fs = createRuntime().fs;
let counter = 0;
const freshDir = () => `${root}/log${counter++}`;

describe(`log on the real disk (${createRuntime().name})`, () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  conformance("real disk", async () => {
    const dir = freshDir();
    const log = await SegmentedLog.open(fs, dir, { segmentBytesMax: 4096 });
    return {
      log,
      reopen: async (old) => {
        await old.close();
        return await SegmentedLog.open(fs, dir, { segmentBytesMax: 4096 });
      },
    };
  });

  test("many segments, every policy, torn tail cut on reopen", async () => {
    for (const sync of ["always", "everysec", "never"] as const) {
      const dir = freshDir();
      const log = await SegmentedLog.open(fs, dir, { segmentBytesMax: 8192, sync });
      const all = [];
      for (let term = 1; term <= 20; term++) {
        const batch = makeEntries(all.length + 1, all.length + 51, term, 64);
        all.push(...batch);
        await log.append(batch);
      }
      await log.truncateBack(900);
      const tail = makeEntries(901, 906, 21, 64);
      await log.append(tail);
      all.splice(900, all.length, ...tail);
      await log.truncateFront(100);
      await log.close();
      const files = (await fs.readDir(dir)).filter((n) => n.endsWith(".seg"));
      assert.ok(files.length > 5);
      const last = join(dir, files[files.length - 1]!);
      truncateSync(last, statSync(last).size - 10);
      const again = await SegmentedLog.open(fs, dir, { segmentBytesMax: 8192, cacheBytesMax: 0 });
      assert.equal(again.lastIndex(), 904);
      // Entry 905 continues term 21 within its segment: a 13-byte header, no term, 64 B.
      assert.equal(again.report.tornBytes, 13 + 64 - 10);
      assertEntries(await again.entries(100, 905), all.slice(99, 904));
      await again.close();
    }
  });

  test("hard state and snapshots", async () => {
    const dir = freshDir();
    const hard = await HardStateFile.open(fs, dir);
    await hard.save({ term: 3, vote: "n2", commit: 17 });
    assert.deepEqual((await HardStateFile.open(fs, dir)).state, {
      term: 3,
      vote: "n2",
      commit: 17,
    });
    const store = await SnapshotStore.open(fs, `${dir}/snapshots`);
    const data = Uint8Array.from({ length: 3_000_000 }, (_, i) => i & 0xff);
    for (const index of [10, 20, 30]) {
      const writer = await store.create({
        index,
        term: 2,
        membership: { voters: ["a"], learners: [] },
      });
      await writer.write(data);
      await writer.commit();
    }
    const reopened = await SnapshotStore.open(fs, `${dir}/snapshots`);
    assert.deepEqual(reopened.list().map((m) => m.index), [20, 30]);
    assert.equal(await reopened.verify(reopened.latest()!), true);
  });
});

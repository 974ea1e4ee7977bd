import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogCorruptionError } from "../errors.ts";
import { SnapshotStore } from "./snapshot_store.ts";
import { FaultFs } from "../../tests/_support/fault_fs.ts";
import type { SnapshotMeta } from "./types.ts";

const DIR = "data/snapshots";

function meta(index: number, term = 1): SnapshotMeta {
  return { index, term, membership: { voters: ["a", "b"], learners: ["c"] } };
}

function bytesOf(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 13 + i * 7) & 0xff);
}

async function readAll(store: SnapshotStore, m: SnapshotMeta): Promise<Uint8Array> {
  const reader = await store.openReader(m);
  const out = new Uint8Array(reader.size);
  let at = 0;
  for (let chunk = await reader.read(); chunk !== undefined; chunk = await reader.read()) {
    out.set(chunk, at);
    at += chunk.length;
  }
  await reader.close();
  assert.equal(at, reader.size);
  return out;
}

async function save(store: SnapshotStore, m: SnapshotMeta, data: Uint8Array): Promise<void> {
  const writer = await store.create(m);
  for (let i = 0; i < data.length; i += 1000) await writer.write(data.subarray(i, i + 1000));
  await writer.commit();
}

describe("SnapshotStore", () => {
  test("streams a snapshot in and out and keeps the newest two", async () => {
    const fs = new FaultFs();
    const store = await SnapshotStore.open(fs, DIR);
    assert.equal(store.latest(), undefined);
    for (const index of [10, 20, 30]) await save(store, meta(index), bytesOf(index, 2_500_000));
    assert.deepEqual(store.list().map((m) => m.index), [20, 30]);
    const again = await SnapshotStore.open(fs.image(), DIR);
    assert.deepEqual(again.latest(), meta(30));
    assert.deepEqual(await readAll(again, meta(30)), bytesOf(30, 2_500_000));
    assert.equal(await again.verify(meta(20)), true);
    assert.equal((await fs.readDir(DIR)).length, 2);
  });

  test("ignores a half-written or aborted snapshot", async () => {
    const fs = new FaultFs();
    const store = await SnapshotStore.open(fs, DIR);
    await save(store, meta(5), bytesOf(5, 100));
    const writer = await store.create(meta(9));
    await writer.write(bytesOf(9, 100));
    const crashed = await SnapshotStore.open(fs.image(), DIR);
    assert.deepEqual(crashed.list().map((m) => m.index), [5]);
    await writer.abort();
    assert.deepEqual((await fs.readDir(DIR)).length, 1);
  });

  test("detects damaged data as the stream ends", async () => {
    const fs = new FaultFs();
    const store = await SnapshotStore.open(fs, DIR);
    await save(store, meta(7, 3), bytesOf(7, 5000));
    const [name] = await fs.readDir(DIR);
    fs.corrupt(`${DIR}/${name}`, 500, new Uint8Array([1, 2, 3]));
    const again = await SnapshotStore.open(fs, DIR);
    assert.equal(await again.verify(meta(7, 3)), false);
    await assert.rejects(() => readAll(again, meta(7, 3)), LogCorruptionError);
  });

  test("reports a damaged header as damaged(), and setAside renames either kind", async () => {
    const fs = new FaultFs();
    const store = await SnapshotStore.open(fs, DIR);
    await save(store, meta(4, 2), bytesOf(4, 300));
    await save(store, meta(8, 2), bytesOf(8, 300));
    const names = (await fs.readDir(DIR)).sort();
    fs.corrupt(`${DIR}/${names[1]}`, 14, new Uint8Array([0xff])); // inside the JSON metadata
    const again = await SnapshotStore.open(fs, DIR);
    assert.deepEqual(again.list().map((m) => m.index), [4]);
    assert.deepEqual(again.damaged(), [
      { name: names[1], path: `${DIR}/${names[1]}`, index: 8, term: 2 },
    ]);
    assert.deepEqual(await again.damage(meta(4, 2)), undefined);
    // Opening moved nothing: whether an older snapshot may stand in is the caller's call.
    assert.deepEqual((await fs.readDir(DIR)).sort(), names);
    assert.equal(await again.setAside(8, 2), `${names[1]}.damaged`);
    assert.equal(await again.setAside(4, 2), `${names[0]}.damaged`);
    assert.deepEqual([again.list(), again.damaged()], [[], []]);
    assert.deepEqual((await fs.readDir(DIR)).sort(), names.map((n) => `${n}.damaged`));
    await assert.rejects(() => again.setAside(8, 2), RangeError);
    const reopened = await SnapshotStore.open(fs, DIR);
    assert.deepEqual([reopened.list(), reopened.damaged()], [[], []]);
  });

  test("a crash at any step of a save keeps the previous snapshot readable", async () => {
    let points = 0;
    for (let step = 0; step < 16; step++) {
      const fs = new FaultFs();
      const store = await SnapshotStore.open(fs, DIR);
      await save(store, meta(1), bytesOf(1, 3000));
      fs.crashAfter(fs.calls + step);
      const ok = await save(store, meta(2), bytesOf(2, 3000)).then(() => true, () => false);
      for (let torn = 0; torn <= (fs.lastUnsyncedWriteBytes() ?? 0); torn++) {
        points++;
        const after = await SnapshotStore.open(fs.image(torn), DIR);
        const latest = after.latest()!;
        if (ok) assert.equal(latest.index, 2);
        assert.ok(await after.verify(latest), `step ${step}`);
        assert.deepEqual(await readAll(after, latest), bytesOf(latest.index, 3000));
      }
    }
    assert.ok(points >= 16);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogCorruptionError, RuntimeError } from "../errors.ts";
import { SegmentedLog, type SegmentedLogOptions } from "./segmented_log.ts";
import { FaultFs } from "../../tests/_support/fault_fs.ts";
import { writeFileAtomic } from "./_atomic_file.ts";
import { encodeTruncate, TRUNCATE_FILE } from "./_segment_loader.ts";
import {
  assertEntries,
  conformance,
  makeEntries,
  makeEntry,
} from "../../tests/_support/log_conformance.ts";

const DIR = "data/log";

async function openOn(fs: FaultFs, options: SegmentedLogOptions = {}): Promise<SegmentedLog> {
  return await SegmentedLog.open(fs, DIR, { segmentBytesMax: 4096, ...options });
}

async function segmentFiles(fs: FaultFs): Promise<string[]> {
  return (await fs.readDir(DIR)).filter((name) => name.endsWith(".seg"));
}

describe("SegmentedLog", () => {
  conformance("SegmentedLog", async () => {
    let fs = new FaultFs();
    const log = await openOn(fs);
    return {
      log,
      reopen: async (old) => {
        await old.close();
        // A power loss right after close must change nothing.
        fs = fs.image();
        return await openOn(fs);
      },
    };
  });

  test("spreads entries over segments and reads old ones after reopen", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    const all = [];
    for (let term = 1; term <= 5; term++) {
      const batch = makeEntries(all.length + 1, all.length + 41, term, 50);
      all.push(...batch);
      await log.append(batch);
    }
    assert.ok((await segmentFiles(fs)).length >= 4);
    await log.close();
    const again = await openOn(fs.image(), { cacheBytesMax: 0 });
    assert.equal(again.lastIndex(), 200);
    for (let i = 1; i <= 200; i++) assert.equal(again.term(i), all[i - 1]!.term);
    assertEntries(await again.entries(1, 201), all);
    assertEntries(await again.entries(37, 120, 1000), all.slice(36, 36 + 13));
    await again.close();
  });

  test("truncates back across segments and forward by whole segments", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs);
    await log.append(makeEntries(1, 201, 1, 50));
    const before = (await segmentFiles(fs)).length;
    await log.truncateBack(30);
    assert.ok((await segmentFiles(fs)).length < before);
    await log.append(makeEntries(31, 101, 2, 50));
    await log.truncateFront(90);
    assert.equal(log.term(89), 2);
    const files = await segmentFiles(fs);
    assert.ok(files.length <= 3, `whole segments removed: ${files}`);
    assert.ok(!(await fs.readDir(DIR)).includes("truncate"));
    await log.close();
    const again = await openOn(fs.image());
    assert.equal(again.firstIndex(), 90);
    assert.equal(again.lastIndex(), 100);
    assert.equal(again.term(89), 2);
    assertEntries(await again.entries(90, 101), makeEntries(90, 101, 2, 50));
    await again.close();
  });

  test("cuts a torn final record and reports it", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs);
    await log.append(makeEntries(1, 11, 1));
    await log.close();
    const [file] = await segmentFiles(fs);
    const bytes = fs.fileBytes(`${DIR}/${file}`);
    const image = fs.image();
    const handle = await image.open(`${DIR}/${file}`, { write: true });
    await handle.truncate(bytes.length - 5);
    await handle.datasync();
    const again = await openOn(image);
    assert.equal(again.lastIndex(), 9);
    assert.equal(again.report.tornBytes, 41 - 5);
    await again.append([makeEntry(10, 1)]);
    await again.close();
    assert.equal((await openOn(image.image())).lastIndex(), 10);
  });

  test("refuses a bad record before the tail, naming file and offset; repair cuts it", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs);
    await log.append(makeEntries(1, 11, 1));
    await log.close();
    const [file] = await segmentFiles(fs);
    const offset = 32 + 41 * 4;
    fs.corrupt(`${DIR}/${file}`, offset + 30, new Uint8Array([0xee]));
    await assert.rejects(() => openOn(fs.image()), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.equal(error.file, `${DIR}/${file}`);
      assert.equal(error.offset, offset);
      return true;
    });
    const repaired = await openOn(fs.image(), { repair: true });
    assert.equal(repaired.lastIndex(), 4);
    assert.ok(repaired.report.droppedEntries >= 1);
    await repaired.close();
  });

  test("a record with a zeroed sector is a torn write even when later pages survived", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { segmentBytesMax: 1 << 20 });
    await log.append(makeEntries(1, 31, 1, 100));
    await log.close();
    const [file] = await segmentFiles(fs);
    // Zero the sector 512..1024: entry 4 (bytes 407..532) reaches into it, so the write is
    // torn there even though the records after the sector survived.
    fs.corrupt(`${DIR}/${file}`, 512, new Uint8Array(512));
    const again = await openOn(fs.image());
    assert.equal(again.lastIndex(), 3);
    assert.ok(again.report.tornBytes > 0);
    await again.close();
  });

  test("refuses a bad record in a sealed segment", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    await log.append(makeEntries(1, 201, 1, 50));
    await log.close();
    const [file] = await segmentFiles(fs);
    fs.corrupt(`${DIR}/${file}`, 32 + 75 * 3 + 40, new Uint8Array([0x01]));
    const again = await openOn(fs.image(), { cacheBytesMax: 0 });
    // The footer lets open skip the records: the damage shows when they are read.
    await assert.rejects(() => again.entries(1, 10), LogCorruptionError);
    await again.close();
  });

  test("a sealed segment with a bad footer is scanned; a bad record there refuses or repairs", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    await log.append(makeEntries(1, 201, 1, 50));
    await log.close();
    const files = await segmentFiles(fs);
    const first = `${DIR}/${files[0]}`;
    const size = fs.fileBytes(first).length;
    fs.corrupt(first, size - 4, new Uint8Array([9, 9, 9, 9])); // trailer checksum
    const scanned = await openOn(fs.image(), { cacheBytesMax: 0 });
    assert.equal(scanned.report.segmentsScanned, 1);
    assertEntries(await scanned.entries(1, 201), makeEntries(1, 201, 1, 50));
    await scanned.close();
    fs.corrupt(first, 32 + 75 * 10 + 30, new Uint8Array([0x55])); // payload of entry 11
    await assert.rejects(() => openOn(fs.image()), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.equal(error.file, first);
      assert.equal(error.offset, 32 + 75 * 10);
      return true;
    });
    const repaired = await openOn(fs.image(), { repair: true });
    assert.equal(repaired.lastIndex(), 10);
    assert.ok(repaired.report.droppedEntries >= files.length - 1);
    assert.deepEqual((await segmentFiles(fs.image())).length, files.length);
    await repaired.append(makeEntries(11, 13, 2, 50));
    await repaired.close();
  });

  test("an interrupted truncateBack into a sealed segment completes over a torn new footer", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    await log.append(makeEntries(1, 121, 1, 50));
    await log.close();
    const files = await segmentFiles(fs);
    assert.ok(files.length >= 3);
    // truncateBack(30) wrote its intent file, then cut the sealed first segment and wrote the
    // new footer at the cut; power failed: the cut was lost but the footer's first bytes reached
    // the disk over record 31, the first one dropped.
    await writeFileAtomic(fs, DIR, TRUNCATE_FILE, encodeTruncate(30));
    fs.corrupt(`${DIR}/${files[0]}`, 32 + 75 * 30, new Uint8Array([32, 0, 0, 0]));
    const image = fs.image();
    const again = await openOn(image, { cacheBytesMax: 0 });
    assert.equal(again.lastIndex(), 30);
    assertEntries(await again.entries(1, 31), makeEntries(1, 31, 1, 50));
    assert.deepEqual(await segmentFiles(image), [files[0]]);
    await again.append(makeEntries(31, 33, 2, 50));
    await again.close();
    const third = await openOn(image.image(), { cacheBytesMax: 0 });
    assert.equal(third.lastIndex(), 32);
    assert.equal(third.term(32), 2);
    await third.close();
  });

  test("a failed fsync is never acknowledged and stops the log", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs);
    await log.append(makeEntries(1, 3, 1));
    fs.failWhen((op) => op === "datasync");
    await assert.rejects(() => log.append(makeEntries(3, 5, 1)), RuntimeError);
    fs.failWhen(undefined);
    assert.throws(() => log.appendBuffered(makeEntries(5, 6, 1)), RuntimeError);
    await assert.rejects(() => log.sync(), RuntimeError);
    await log.close();
    const again = await openOn(fs.image());
    assert.ok(again.lastIndex() >= 2);
    await again.close();
  });

  for (const op of ["write", "rename", "remove", "syncDir", "truncate"] as const) {
    test(`a failed ${op} surfaces, is not acknowledged, and the reopened log is a valid prefix`, async () => {
      const fs = new FaultFs();
      const log = await openOn(fs, { segmentBytesMax: 512 });
      const all = makeEntries(1, 41, 1, 30);
      await log.append(all.slice(0, 20));
      fs.failWhen((kind) => kind === op);
      const outcome = await (async () => {
        await log.append(all.slice(20, 30));
        await log.truncateBack(25);
        await log.truncateFront(12);
        await log.append(makeEntries(26, 30, 2, 30));
      })().then(() => "ok", (error) => error);
      fs.failWhen(undefined);
      assert.ok(outcome instanceof RuntimeError, `${op}: ${outcome}`);
      assert.equal(outcome.code, "EIO");
      assert.throws(
        () => log.appendBuffered(makeEntries(log.lastIndex() + 1, log.lastIndex() + 2, 3)),
        RuntimeError,
      );
      await log.close();
      const again = await openOn(fs.image());
      const entries = await again.entries(again.firstIndex(), again.lastIndex() + 1);
      assert.ok(again.lastIndex() >= 20, "acknowledged entries survive");
      for (const entry of entries) {
        const expected = entry.term === 1
          ? all[entry.index - 1]!
          : makeEntry(entry.index, 2, 30, entry.index % 3);
        assertEntries([entry], [expected]);
      }
      await again.close();
    });
  }

  test("appends made while a sync runs share one write and one fdatasync", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { segmentBytesMax: 1 << 20 });
    await log.append(makeEntries(1, 2, 1));
    let syncs = 0;
    let writes = 0;
    fs.failWhen((op) => {
      if (op === "datasync") syncs++;
      if (op === "write") writes++;
      return false;
    });
    const pending = [];
    for (let i = 2; i < 102; i++) pending.push(log.append([makeEntry(i, 1)]));
    await Promise.all(pending);
    assert.equal(writes, 1);
    assert.equal(syncs, 1);
    await log.close();
  });

  test('"everysec" syncs in the background; appendBuffered waits for sync()', async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { sync: "everysec", syncIntervalMs: 5 });
    await log.append(makeEntries(1, 4, 1));
    for (let i = 0; i < 400 && (await openOn(fs.image())).lastIndex() < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal((await openOn(fs.image())).lastIndex(), 3);
    log.appendBuffered(makeEntries(4, 6, 1));
    assert.equal(log.lastIndex(), 5);
    await log.sync();
    assert.equal((await openOn(fs.image())).lastIndex(), 5);
    await log.close();
  });

  test("serves reads beyond the cache from disk", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 1500 }); // about 7 entries of 40 B
    await log.append(makeEntries(1, 101, 1, 40));
    assert.equal(log.cachedEntries(1, 101), undefined);
    assert.ok(log.cachedEntries(95, 101) !== undefined);
    assertEntries(await log.entries(1, 101), makeEntries(1, 101, 1, 40));
    await log.close();
  });
});

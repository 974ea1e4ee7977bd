import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogCorruptionError, RuntimeError } from "../errors.ts";
import type { OpenOptions } from "../runtime.ts";
import { SegmentedLog, type SegmentedLogOptions } from "./segmented_log.ts";
import { FaultFs } from "../../tests/_support/fault_fs.ts";
import { writeFileAtomic } from "./_atomic_file.ts";
import { encodeTruncate, TRUNCATE_FILE } from "./_segment_loader.ts";
import { crc32c } from "./crc32c.ts";
import {
  encodeRecord,
  encodeSegmentHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  TERM_BYTES,
  viewOf,
} from "./_record.ts";
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

/**
 * Byte offset of the `k`-th record (from 1) of a segment whose entries share one term and carry
 * `payload` bytes each: the first record stores the term, the others imply it.
 */
function recordOffset(k: number, payload: number): number {
  if (k === 1) return SEGMENT_HEADER_BYTES;
  const first = RECORD_HEADER_BYTES + TERM_BYTES + payload;
  return SEGMENT_HEADER_BYTES + first + (k - 2) * (RECORD_HEADER_BYTES + payload);
}

/** Writes `bytes` as the whole file `path`, durably. */
async function writeFile(fs: FaultFs, path: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(DIR);
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  await handle.write(bytes, 0);
  await handle.datasync();
  await handle.close();
  await fs.syncDir(DIR);
}

/** A segment header as format version 1 wrote it (same layout, version field 1). */
function versionOneHeader(first: number): Uint8Array {
  const header = encodeSegmentHeader(first);
  const view = viewOf(header);
  view.setUint16(4, 1, true);
  view.setUint32(28, crc32c(header, 0, 0, 28), true);
  return header;
}

/** A segment file starting at index 1 made of `records` (entry, stores its term) in order. */
function segmentOf(records: [ReturnType<typeof makeEntry>, boolean][]): Uint8Array {
  const bytes = new Uint8Array(1 << 16);
  const view = viewOf(bytes);
  bytes.set(encodeSegmentHeader(1));
  let at = SEGMENT_HEADER_BYTES;
  for (const [k, [entry, storesTerm]] of records.entries()) {
    at += encodeRecord(bytes, view, at, entry, k, storesTerm);
  }
  return bytes.slice(0, at);
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
    assert.equal(again.report.tornBytes, RECORD_HEADER_BYTES + 16 - 5);
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
    const offset = recordOffset(5, 16);
    fs.corrupt(`${DIR}/${file}`, offset + RECORD_HEADER_BYTES + 2, new Uint8Array([0xee]));
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
    // Zero the sector 512..1024: entry 5 (bytes 492..605) reaches into it, so the write is
    // torn there even though the records after the sector survived.
    assert.ok(recordOffset(5, 100) < 512 && recordOffset(6, 100) > 512);
    fs.corrupt(`${DIR}/${file}`, 512, new Uint8Array(512));
    const again = await openOn(fs.image());
    assert.equal(again.lastIndex(), 4);
    assert.ok(again.report.tornBytes > 0);
    await again.close();
  });

  test("refuses a bad record in a sealed segment", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    await log.append(makeEntries(1, 201, 1, 50));
    await log.close();
    const [file] = await segmentFiles(fs);
    fs.corrupt(`${DIR}/${file}`, recordOffset(4, 50) + 40, new Uint8Array([0x01]));
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
    fs.corrupt(first, recordOffset(11, 50) + 30, new Uint8Array([0x55])); // payload of entry 11
    await assert.rejects(() => openOn(fs.image()), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.equal(error.file, first);
      assert.equal(error.offset, recordOffset(11, 50));
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
    await log.append(makeEntries(1, 161, 1, 50));
    await log.close();
    const files = await segmentFiles(fs);
    assert.ok(files.length >= 3);
    // truncateBack(30) wrote its intent file, then cut the sealed first segment and wrote the
    // new footer at the cut; power failed: the cut was lost but the footer's first bytes reached
    // the disk over record 31, the first one dropped.
    await writeFileAtomic(fs, DIR, TRUNCATE_FILE, encodeTruncate(30));
    fs.corrupt(`${DIR}/${files[0]}`, recordOffset(31, 50), new Uint8Array([32, 0, 0, 0]));
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

  test("a record stores its term only first in its segment and where the term changes", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { segmentBytesMax: 1 << 20, cacheBytesMax: 0 });
    await log.append(makeEntries(1, 4, 1, 10));
    await log.append([...makeEntries(4, 6, 1, 10), ...makeEntries(6, 9, 2, 10)]);
    await log.append(makeEntries(9, 10, 2, 10));
    await log.append(makeEntries(10, 12, 5, 10));
    await log.close();
    const [file] = await segmentFiles(fs);
    const withTerm = 3; // entries 1, 6 and 10
    const size = SEGMENT_HEADER_BYTES + 11 * (RECORD_HEADER_BYTES + 10) + withTerm * TERM_BYTES;
    assert.equal(fs.fileBytes(`${DIR}/${file}`).length, size);
    const again = await openOn(fs.image(), { cacheBytesMax: 0 });
    const expected = [...makeEntries(1, 6, 1, 10), ...makeEntries(6, 10, 2, 10)];
    assertEntries(await again.entries(1, 12), [...expected, ...makeEntries(10, 12, 5, 10)]);
    assert.deepEqual([5, 6, 9, 10].map((i) => again.term(i)), [1, 2, 2, 5]);
    await again.close();
  });

  test("maxBytes counts payload + 25 per entry read from disk, whatever its header", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { cacheBytesMax: 0 });
    // Every entry starts a term, so every record on disk stores one (21-byte headers).
    for (let i = 1; i <= 10; i++) await log.append(makeEntries(i, i + 1, i, 100));
    assert.equal((await log.entries(1, 11, 3 * 125)).length, 3);
    assert.equal((await log.entries(1, 11, 3 * 125 - 1)).length, 2);
    assert.equal((await log.entries(4, 11, 1)).length, 1);
    await log.close();
  });

  test("refuses segments of format version 1 with a precise error, even with repair", async () => {
    for (const files of [1, 2]) {
      for (const repair of [false, true]) {
        const fs = new FaultFs();
        // Version-1 records: 25-byte headers after the segment header (their bytes do not matter).
        const body = new Uint8Array(25 + 16).fill(7);
        await writeFile(fs, `${DIR}/00000000000000000001.seg`, versionOneHeader(1));
        if (files === 2) {
          const older = new Uint8Array(SEGMENT_HEADER_BYTES + body.length);
          older.set(versionOneHeader(1));
          older.set(body, SEGMENT_HEADER_BYTES);
          await writeFile(fs, `${DIR}/00000000000000000001.seg`, older);
          await writeFile(fs, `${DIR}/00000000000000000002.seg`, versionOneHeader(2));
        }
        await assert.rejects(() => openOn(fs, { repair }), (error) => {
          assert.ok(error instanceof LogCorruptionError);
          assert.match(error.message, /format version 1 is not supported/);
          assert.equal(error.file, `${DIR}/00000000000000000001.seg`);
          assert.equal(error.offset, 4);
          return true;
        });
        assert.equal((await segmentFiles(fs)).length, files, "nothing removed");
      }
    }
  });

  test("a record checks out only at its own index, even in the same slot of another segment", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { segmentBytesMax: 400 });
    await log.append(makeEntries(1, 41, 1, 16));
    await log.close();
    const files = await segmentFiles(fs);
    assert.ok(files.length >= 3);
    // Both second records: slot 1, same term and payload size; only the index differs.
    const from = fs.fileBytes(`${DIR}/${files[0]}`);
    const second = from.slice(recordOffset(2, 16), recordOffset(3, 16));
    fs.corrupt(`${DIR}/${files[files.length - 1]}`, recordOffset(2, 16), second);
    await assert.rejects(() => openOn(fs.image(), { segmentBytesMax: 400 }), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.match(error.message, /\(checksum\)/);
      assert.equal(error.offset, recordOffset(2, 16));
      return true;
    });
  });

  test("a segment's first record without its term is corruption", async () => {
    const fs = new FaultFs();
    const bytes = segmentOf([[makeEntry(1, 1), false], [makeEntry(2, 1), false]]);
    await writeFile(fs, `${DIR}/00000000000000000001.seg`, bytes);
    await assert.rejects(() => openOn(fs), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.match(error.message, /\(term\)/);
      assert.equal(error.offset, SEGMENT_HEADER_BYTES);
      return true;
    });
  });

  test("the search for a record after a bad one is bounded: header-like noise is corruption", async () => {
    const fs = new FaultFs();
    const good = segmentOf([[makeEntry(1, 1), true], [makeEntry(2, 1), false]]);
    // A bad third record, then 8 MiB of bytes that all look like headers of slot 3 claiming
    // 4 MiB: ruling them all out would checksum terabytes.
    const noise = new Uint8Array(8 << 20);
    const noiseView = viewOf(noise);
    for (let p = 0; p + RECORD_HEADER_BYTES <= noise.length; p += RECORD_HEADER_BYTES) {
      noiseView.setUint32(p, 0xdeadbeef, true);
      noiseView.setUint32(p + 4, 4 << 20, true);
      noiseView.setUint32(p + 8, 3, true);
    }
    const bad = segmentOf([[makeEntry(1, 1), true], [makeEntry(2, 1), false], [
      makeEntry(3, 1),
      false,
    ]]).subarray(good.length);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    const bytes = new Uint8Array(good.length + bad.length + noise.length);
    bytes.set(good);
    bytes.set(bad, good.length);
    bytes.set(noise, good.length + bad.length);
    await writeFile(fs, `${DIR}/00000000000000000001.seg`, bytes);
    await assert.rejects(() => openOn(fs, { segmentBytesMax: 1 << 24 }), (error) => {
      assert.ok(error instanceof LogCorruptionError);
      assert.equal(error.offset, good.length);
      return true;
    });
    const repaired = await openOn(fs, { segmentBytesMax: 1 << 24, repair: true });
    assert.equal(repaired.lastIndex(), 2);
    await repaired.close();
  });

  test("a disk read overtaken by a truncation and new appends returns the log as it is now", async () => {
    const fs = new FaultFs();
    const gate = { open: Promise.resolve() };
    // Reads wait at the gate, so the truncation lands while one is in flight.
    const gated = new Proxy(fs, {
      get(target, key) {
        if (key === "open") {
          return async (path: string, options: OpenOptions) => {
            const handle = await target.open(path, options);
            return new Proxy(handle, {
              get(h, k) {
                const value = Reflect.get(h, k);
                if (k !== "read") return typeof value === "function" ? value.bind(h) : value;
                return async (buffer: Uint8Array, position: number) => {
                  await gate.open;
                  return await h.read(buffer, position);
                };
              },
            });
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const log = await SegmentedLog.open(gated, DIR, { segmentBytesMax: 1 << 20, cacheBytesMax: 0 });
    await log.append(makeEntries(1, 21, 1, 30));
    let release = () => {};
    gate.open = new Promise((resolve) => {
      release = resolve;
    });
    const reading = log.entries(1, 21);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await log.truncateBack(5);
    await log.append(makeEntries(6, 21, 2, 30));
    release();
    assertEntries(await reading, [...makeEntries(1, 6, 1, 30), ...makeEntries(6, 21, 2, 30)]);
    await log.close();
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

  test('appendNow under "everysec" and "never" writes before it returns, with no promise', async () => {
    for (const sync of ["everysec", "never"] as const) {
      const fs = new FaultFs();
      const log = await openOn(fs, { sync, segmentBytesMax: 1 << 20 });
      await log.append(makeEntries(1, 2, 1)); // creates the segment (its header, its handle)
      let writes = 0;
      let syncs = 0;
      fs.failWhen((op) => {
        if (op === "write") writes++;
        if (op === "datasync") syncs++;
        return false;
      });
      assert.equal(log.appendNow(makeEntries(2, 5, 1)), undefined);
      assert.equal(writes, 1, "written by the time appendNow returned");
      assert.equal(syncs, 0);
      assert.equal(log.lastIndex(), 4);
      assert.equal(fs.lastUnsyncedWriteBytes() !== undefined, true);
      await log.sync();
      assertEntries(await (await openOn(fs.image())).entries(1, 5), makeEntries(1, 5, 1));
      await log.close();
    }
  });

  test('appendNow waits its turn: under "always", and behind queued work, it returns a promise', async () => {
    const fs = new FaultFs();
    const always = await openOn(fs, { sync: "always" });
    await always.append(makeEntries(1, 2, 1));
    const pending = always.appendNow(makeEntries(2, 3, 1));
    assert.ok(pending instanceof Promise, "an fsync to wait for");
    await pending;
    await always.close();

    const other = new FaultFs();
    const log = await openOn(other, { sync: "never" });
    await log.append(makeEntries(1, 4, 1));
    const truncating = log.truncateBack(2);
    const after = log.appendNow(makeEntries(3, 5, 2));
    assert.ok(after instanceof Promise, "queued behind the truncation");
    await Promise.all([truncating, after]);
    assertEntries(await log.entries(1, 5), [...makeEntries(1, 3, 1), ...makeEntries(3, 5, 2)]);
    await log.close();
  });

  test("a failed synchronous write throws and leaves the log unusable", async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { sync: "never" });
    await log.append(makeEntries(1, 2, 1));
    fs.failWhen((op) => op === "write");
    assert.throws(() => log.appendNow(makeEntries(2, 3, 1)), RuntimeError);
    fs.failWhen(() => false);
    assert.throws(() => log.appendNow(makeEntries(3, 4, 1)), RuntimeError);
    await assert.rejects(log.append(makeEntries(3, 4, 1)), RuntimeError);
    await log.close().catch(() => {});
  });

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

  test('blockingSync: an append under "always" syncs on the caller\'s thread; a failed sync is not acknowledged', async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { blockingSync: true, segmentBytesMax: 1 << 20 });
    await log.append(makeEntries(1, 2, 1)); // creates the segment (its sync is a worker's)
    const before = fs.blockingSyncs;
    const pending = [];
    for (let i = 2; i < 12; i++) pending.push(log.append(makeEntries(i, i + 1, 1)));
    await Promise.all(pending);
    assert.equal(fs.blockingSyncs - before, 1, "appends made together share one blocking sync");
    assertEntries(await (await openOn(fs.image())).entries(1, 12), makeEntries(1, 12, 1));
    fs.failWhen((op) => op === "datasync");
    await assert.rejects(() => log.append(makeEntries(12, 14, 1)), RuntimeError);
    fs.failWhen(undefined);
    assert.equal(fs.blockingSyncs - before, 2);
    assert.throws(() => log.appendBuffered(makeEntries(12, 13, 1)), RuntimeError);
    await log.close().catch(() => {});
    const again = await openOn(fs.image());
    assert.ok(again.lastIndex() >= 11, "what was acknowledged survives");
    await again.close();
  });

  test('blockingSync applies to "always" only: "everysec" still syncs on a worker', async () => {
    const fs = new FaultFs();
    const log = await openOn(fs, { sync: "everysec", blockingSync: true });
    await log.append(makeEntries(1, 4, 1));
    await log.sync();
    assert.equal(fs.blockingSyncs, 0);
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

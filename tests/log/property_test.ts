/**
 * Property test: random operation sequences (seeded) run against SegmentedLog on the fault file
 * system and against MemoryLog as the model; after every operation both must agree on positions,
 * terms and contents, including across clean reopens and power losses after acknowledged work.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryLog } from "../../lib/log/memory_log.ts";
import { SegmentedLog, type SegmentedLogOptions } from "../../lib/log/segmented_log.ts";
import type { LogEntry } from "../../lib/log/types.ts";
import { FaultFs } from "../_support/fault_fs.ts";
import { assertEntries } from "../_support/log_conformance.ts";

const DIR = "p/log";
const SEEDS = 24;
const STEPS = 250;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEntry(random: () => number, index: number, term: number): LogEntry {
  const size = random() < 0.1 ? 0 : Math.floor(random() * 200);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = Math.floor(random() * 256);
  return { index, term, type: Math.floor(random() * 3), data };
}

async function compare(log: SegmentedLog, model: MemoryLog, random: () => number): Promise<void> {
  assert.equal(log.firstIndex(), model.firstIndex());
  assert.equal(log.lastIndex(), model.lastIndex());
  for (let i = model.firstIndex() - 2; i <= model.lastIndex() + 1; i++) {
    assert.equal(log.term(i), model.term(i), `term(${i})`);
  }
  const first = model.firstIndex();
  const end = model.lastIndex() + 1;
  const from = first + Math.floor(random() * (end - first + 1));
  const to = from + Math.floor(random() * (end - from + 1));
  const maxBytes = random() < 0.5 ? Infinity : Math.floor(random() * 2000);
  assertEntries(await log.entries(from, to, maxBytes), await model.entries(from, to, maxBytes));
  const cached = log.cachedEntries(from, to, maxBytes);
  if (cached !== undefined) assertEntries(cached, await model.entries(from, to, maxBytes));
}

async function run(seed: number): Promise<void> {
  const random = prng(seed);
  const options: SegmentedLogOptions = {
    sync: random() < 0.7 ? "always" : "never",
    segmentBytesMax: 256 + Math.floor(random() * 4000),
    cacheBytesMax: Math.floor(random() * 3000),
  };
  let fs = new FaultFs();
  let log = await SegmentedLog.open(fs, DIR, options);
  const model = new MemoryLog();
  let term = 1;
  for (let step = 0; step < STEPS; step++) {
    const roll = random();
    const first = model.firstIndex();
    const last = model.lastIndex();
    if (roll < 0.55) {
      if (random() < 0.15) term++;
      const count = 1 + Math.floor(random() * 6);
      const batch: LogEntry[] = [];
      for (let i = 1; i <= count; i++) batch.push(randomEntry(random, last + i, term));
      if (random() < 0.3) {
        log.appendBuffered(batch);
        model.appendBuffered(batch);
      } else {
        await Promise.all([log.append(batch), model.append(batch)]);
      }
    } else if (roll < 0.7) {
      const index = first - 1 + Math.floor(random() * (last - first + 2));
      await Promise.all([log.truncateBack(index), model.truncateBack(index)]);
      term++;
    } else if (roll < 0.78) {
      const index = first + Math.floor(random() * (last - first + 2));
      await Promise.all([log.truncateFront(index), model.truncateFront(index)]);
    } else if (roll < 0.8) {
      const index = last + Math.floor(random() * 20);
      term += 1;
      await Promise.all([log.reset(index, term), model.reset(index, term)]);
      term++;
    } else if (roll < 0.88) {
      await log.close();
      fs = fs.image();
      log = await SegmentedLog.open(fs, DIR, options);
    } else if (roll < 0.93 && options.sync === "always") {
      // Power loss with everything acknowledged: nothing may be missing.
      await log.sync();
      fs = fs.image();
      log = await SegmentedLog.open(fs, DIR, options);
    }
    await compare(log, model, random);
  }
  await log.close();
}

describe("log property test", () => {
  test(`SegmentedLog matches MemoryLog over ${SEEDS} seeds x ${STEPS} random operations`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      try {
        await run(seed);
      } catch (error) {
        throw new Error(`seed ${seed} failed`, { cause: error });
      }
    }
  });
});

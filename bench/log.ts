/**
 * Log benchmark on the real disk (a temp dir; `--dir <path>` to choose; `--rounds`, `--seconds`
 * set the time slices): entries/s and MB/s for
 * 128 B and 1 KiB entries at batch sizes 1, 16 and 256 under each sync policy, next to a raw
 * loop on the same runtime and disk (one write + fdatasync per batch, no framing; and one write
 * per batch without sync as the reference for "never"/"everysec"), then the time to open a
 * 1 GiB log (`--open-gib <n>` to change; 0 skips).
 *
 *   deno run -A bench/log.ts      bun bench/log.ts      node bench/log.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime } from "../adapters/auto.ts";
import { SegmentedLog } from "../lib/log/segmented_log.ts";
import type { LogEntry, SyncPolicy } from "../lib/log/types.ts";

const runtime = createRuntime();
const fs = runtime.fs;
const args = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const argument = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
};
const root = mkdtempSync(join(argument("--dir") ?? tmpdir(), "flotilla-bench-"));
const seconds = Number(argument("--seconds") ?? "0.1");
const rounds = Number(argument("--rounds") ?? "16");
const openGiB = Number(argument("--open-gib") ?? "1");

declare const Deno: { args: string[] } | undefined;
declare const process: { argv: string[] };

let dirCount = 0;
const freshDir = () => `${root}/run${dirCount++}`;

function payloads(size: number): Uint8Array[] {
  return Array.from({ length: 256 }, (_, k) => {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (k * 31 + i) & 0xff;
    return data;
  });
}

interface Result {
  entries: number;
  bytes: number;
  seconds: number;
  /** Entries/s of each time slice, in round order (for the paired per-round ratios). */
  rates: number[];
}

/** One contender: a log under a policy or a raw loop, kept open across its time slices. */
interface Contender {
  name: string;
  /** Appends one batch and waits as the contender promises. */
  step: () => Promise<void>;
  /**
   * Makes what the contender wrote durable, untimed, before the next one starts: the kernel's
   * writeback of a write-only slice (over 100 MB of 128 B batches in 0.2 s) otherwise slowed the
   * fdatasyncs of whichever contender ran next (the log under "always", in this order).
   */
  settle: () => Promise<void>;
  close: () => Promise<void>;
  total: Result;
}

async function logContender(
  policy: SyncPolicy,
  size: number,
  batch: number,
  blockingSync = false,
): Promise<Contender> {
  const log = await SegmentedLog.open(fs, freshDir(), { sync: policy, blockingSync });
  const datas = payloads(size);
  let index = 0;
  return {
    name: blockingSync ? `${policy}, blockingSync` : policy,
    step: async () => {
      const entries: LogEntry[] = new Array(batch);
      for (let i = 0; i < batch; i++) {
        index++;
        entries[i] = { index, term: 1, type: 0, data: datas[index & 255]! };
      }
      await log.append(entries);
    },
    settle: () => log.sync(),
    close: () => log.close(),
    total: { entries: 0, bytes: 0, seconds: 0, rates: [] },
  };
}

async function rawContender(
  size: number,
  batch: number,
  sync: boolean,
  blocking = false,
): Promise<Contender> {
  const dir = freshDir();
  await fs.mkdir(dir);
  const handle = await fs.open(`${dir}/raw`, { read: true, write: true, create: true });
  const buffer = new Uint8Array(size * batch).fill(7);
  let position = 0;
  return {
    name: blocking ? "raw blocking write+fdatasync" : sync ? "raw write+fdatasync" : "raw write",
    step: blocking
      // The same two system calls on the caller's thread (what blockingSync does), awaited
      // once so the loop still yields per batch as the log's does.
      ? async () => {
        if (!handle.writeNow(buffer, position)) await handle.write(buffer, position);
        if (!handle.datasyncNow()) await handle.datasync();
        position += buffer.length;
        await Promise.resolve();
      }
      : async () => {
        await handle.write(buffer, position);
        if (sync) await handle.datasync();
        position += buffer.length;
      },
    settle: () => handle.datasync(),
    close: () => handle.close(),
    total: { entries: 0, bytes: 0, seconds: 0, rates: [] },
  };
}

/** Runs `contender` for one time slice, adding to its totals. */
async function slice(contender: Contender, size: number, batch: number): Promise<void> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let batches = 0;
  while (performance.now() < deadline) {
    await contender.step();
    batches++;
  }
  const elapsed = (performance.now() - started) / 1000;
  contender.total.rates.push(batches * batch / elapsed);
  contender.total.seconds += elapsed;
  contender.total.entries += batches * batch;
  contender.total.bytes += batches * batch * size;
}

const rate = (r: Result) => r.entries / r.seconds;
const mbs = (r: Result) => r.bytes / r.seconds / 1e6;
/**
 * The median and quartiles of the per-round ratios of `log` to `raw`: each round's two slices
 * ran back to back, so the disk's swings (one slice here ran 85k entries/s, the next 670k) hit
 * both sides of a pair more alike than they hit the totals over all rounds.
 */
function pairedRatios(log: Result, raw: Result): { median: number; low: number; high: number } {
  const ratios = log.rates.map((rate, round) => rate / raw.rates[round]!).sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]!;
  return { median: at(0.5), low: at(0.25), high: at(0.75) };
}

const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);

async function throughputTable(): Promise<void> {
  console.log(`\n### Append throughput (${runtime.name}, ${root})\n`);
  console.log(
    `${rounds} rounds; in each, every contender runs ${seconds} s in turn (one \`await` +
      ` append(batch)\` at a time), so load changes hit all alike, and then syncs what it` +
      ` left unsynced (untimed), so none pays for another's writeback; raw write+fdatasync and` +
      ` "always" go first, in alternating order; rates are totals over the rounds. Ratio: "always" (with its` +
      ` fdatasync on a worker thread, the default, or on the caller's with \`blockingSync\`, as the` +
      ` framework runs durability high) against raw write+fdatasync per batch (async calls; with \`blockingSync\`, against the same calls made blocking), the other policies` +
      ` against raw write per batch (no sync). "ratio" is the median of the per-round ratios` +
      ` (each round's pair ran back to back) with the middle half of them in brackets;` +
      ` "total ratio" divides the totals.\n`,
  );
  console.log(
    "| entry | batch | policy | entries/s | MB/s | raw write+fdatasync entries/s (blocking calls for the blockingSync row) | " +
      "raw write-only entries/s | ratio | total ratio |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const size of [128, 1024]) {
    for (const batch of [1, 16, 256]) {
      const rawSync = await rawContender(size, batch, true);
      const rawWrite = await rawContender(size, batch, false);
      const rawBlocking = await rawContender(size, batch, true, true);
      const logs = [];
      for (const policy of ["always", "everysec", "never"] as const) {
        logs.push(await logContender(policy, size, batch));
      }
      const [always, everysec, never] = logs as [Contender, Contender, Contender];
      const blocking = await logContender("always", size, batch, true);
      logs.splice(1, 0, blocking);
      const all = [rawSync, rawBlocking, rawWrite, ...logs];
      for (let round = 0; round < rounds; round++) {
        // The fsyncing pair runs first, in alternating order, so each follows the heavy writers'
        // settle equally often: the raw write-only slice leaves up to 250 MB to write back, and
        // with a fixed order the log under "always" was always the one that ran right after it.
        const pair = round % 2 === 0 ? [rawSync, always] : [always, rawSync];
        const blockingPair = round % 2 === 0 ? [rawBlocking, blocking] : [blocking, rawBlocking];
        for (const contender of [...pair, ...blockingPair, rawWrite, everysec, never]) {
          await slice(contender, size, batch);
          await contender.settle();
        }
      }
      for (const contender of all) await contender.close();
      for (const log of logs) {
        const raw = log === blocking ? rawBlocking : log === always ? rawSync : rawWrite;
        console.log(
          `| ${size} B | ${batch} | ${log.name} | ${fmt(rate(log.total))} | ` +
            `${fmt(mbs(log.total))} | ${
              fmt(rate((log === blocking ? rawBlocking : rawSync).total))
            } | ${fmt(rate(rawWrite.total))} | ` +
            `${ratioCell(pairedRatios(log.total, raw.total))} | ` +
            `${(rate(log.total) / rate(raw.total)).toFixed(2)}× |`,
        );
      }
    }
  }
}

function ratioCell(ratio: { median: number; low: number; high: number }): string {
  return `${ratio.median.toFixed(2)}× [${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)}]`;
}

async function openTable(): Promise<void> {
  if (openGiB <= 0) return;
  const dir = freshDir();
  const total = Math.round(openGiB * 1024 * 1024 * 1024);
  const size = 1024;
  const log = await SegmentedLog.open(fs, dir, { sync: "never" });
  const datas = payloads(size);
  let index = 0;
  const writeStarted = performance.now();
  // 13: a record header that carries the term on (all but the first of a term or segment).
  while (index * (size + 13) < total) {
    const entries: LogEntry[] = [];
    for (let i = 0; i < 256; i++) {
      index++;
      entries.push({ index, term: 1 + (index >> 20), type: 0, data: datas[index & 255]! });
    }
    await log.append(entries);
  }
  await log.close();
  const writeSeconds = (performance.now() - writeStarted) / 1000;
  const openStarted = performance.now();
  const reopened = await SegmentedLog.open(fs, dir);
  const openMs = performance.now() - openStarted;
  const readStarted = performance.now();
  await reopened.entry(1);
  const firstReadMs = performance.now() - readStarted;
  const segments = (await fs.readDir(dir)).filter((n) => n.endsWith(".seg")).length;
  await reopened.close();
  console.log(`\n### Open (${runtime.name})\n`);
  console.log("| log | entries | segments | write (never) | open | first read of entry 1 |");
  console.log("|---|---|---|---|---|---|");
  console.log(
    `| ${openGiB} GiB of 1 KiB entries | ${index.toLocaleString("en-US")} | ${segments} | ` +
      `${writeSeconds.toFixed(1)} s (${fmt(index * size / writeSeconds / 1e6)} MB/s) | ` +
      `${openMs.toFixed(0)} ms | ${firstReadMs.toFixed(1)} ms |`,
  );
}

try {
  await throughputTable();
  await openTable();
} finally {
  rmSync(root, { recursive: true, force: true });
}

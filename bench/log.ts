/**
 * Log benchmark on the real disk (a temp dir; `--dir <path>` to choose): entries/s and MB/s for
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
const seconds = Number(argument("--seconds") ?? "0.4");
const repetitions = Number(argument("--repetitions") ?? "3");
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
}

async function benchLog(policy: SyncPolicy, size: number, batch: number): Promise<Result> {
  const log = await SegmentedLog.open(fs, freshDir(), { sync: policy });
  const datas = payloads(size);
  let index = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const entries: LogEntry[] = new Array(batch);
    for (let i = 0; i < batch; i++) {
      index++;
      entries[i] = { index, term: 1, type: 0, data: datas[index & 255]! };
    }
    await log.append(entries);
  }
  const elapsed = (performance.now() - started) / 1000;
  await log.close();
  return { entries: index, bytes: index * size, seconds: elapsed };
}

async function benchRaw(size: number, batch: number, sync: boolean): Promise<Result> {
  const dir = freshDir();
  await fs.mkdir(dir);
  const handle = await fs.open(`${dir}/raw`, { read: true, write: true, create: true });
  const buffer = new Uint8Array(size * batch).fill(7);
  let position = 0;
  let entries = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    await handle.write(buffer, position);
    if (sync) await handle.datasync();
    position += buffer.length;
    entries += batch;
  }
  const elapsed = (performance.now() - started) / 1000;
  await handle.close();
  return { entries, bytes: entries * size, seconds: elapsed };
}

const rate = (r: Result) => r.entries / r.seconds;
const mbs = (r: Result) => r.bytes / r.seconds / 1e6;
const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);

/** Median by entries/s of `repetitions` runs. */
function median(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => rate(a) - rate(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function throughputTable(): Promise<void> {
  console.log(`\n### Append throughput (${runtime.name}, ${root})\n`);
  console.log(
    `Median of ${repetitions} interleaved runs of ${seconds} s each; one \`await append(batch)\`` +
      ` at a time. Ratio: "always" against the raw write+fdatasync loop, the other policies` +
      ` against the raw write-only loop.\n`,
  );
  console.log(
    "| entry | batch | policy | entries/s | MB/s | raw write+fdatasync entries/s | " +
      "raw write-only entries/s | ratio |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  const policies = ["always", "everysec", "never"] as const;
  for (const size of [128, 1024]) {
    for (const batch of [1, 16, 256]) {
      const runs: Record<string, Result[]> = { sync: [], write: [] };
      for (let r = 0; r < repetitions; r++) {
        runs.sync!.push(await benchRaw(size, batch, true));
        runs.write!.push(await benchRaw(size, batch, false));
        for (const policy of policies) {
          (runs[policy] ??= []).push(await benchLog(policy, size, batch));
        }
      }
      const rawSync = median(runs.sync!);
      const rawWrite = median(runs.write!);
      for (const policy of policies) {
        const result = median(runs[policy]!);
        const raw = policy === "always" ? rawSync : rawWrite;
        console.log(
          `| ${size} B | ${batch} | ${policy} | ${fmt(rate(result))} | ${fmt(mbs(result))} | ` +
            `${fmt(rate(rawSync))} | ${fmt(rate(rawWrite))} | ` +
            `${(rate(result) / rate(raw)).toFixed(2)}× |`,
        );
      }
    }
  }
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
  while (index * (size + 25) < total) {
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

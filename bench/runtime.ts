/**
 * Throughput of the runtime adapters: echo MB/s over loopback in 64 KiB chunks, and a
 * write + datasync loop in µs per operation next to a raw `fdatasyncSync` loop (the reference,
 * measured in the same run on the same disk).
 *
 * `deno run -A bench/runtime.ts` runs itself under Deno, Bun and Node (from node_modules/.bin)
 * and prints one table; `--child` measures the current runtime only and prints JSON.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { createRuntime } from "../adapters/auto.ts";
import type { Connection, Runtime } from "../lib/runtime.ts";

const MiB = 1024 * 1024;
const ECHO_BYTES = 256 * MiB;
const CHUNK_BYTES = 64 * 1024;
const SYNC_OPS = 1000;
const SYNC_WRITE_BYTES = 4096;

interface Result {
  runtime: string;
  echoMegabytesPerSecond: number;
  adapterSyncMicroseconds: number;
  rawSyncMicroseconds: number;
}

/** Streams ECHO_BYTES through an echo server and back; MB/s of payload. */
async function echoThroughput(runtime: Runtime): Promise<number> {
  const listener = await runtime.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
    conn.start({
      data: (chunk) => {
        // Read-side backpressure: stop reading while our echo is backed up.
        if (!conn.write(chunk)) {
          conn.pause();
          conn.drained().then(() => conn.resume());
        }
      },
      end: () => conn.end(),
      close: () => {},
    });
  });
  const client: Connection = await runtime.connect({ hostname: "127.0.0.1", port: listener.port });
  let received = 0;
  const done = Promise.withResolvers<void>();
  client.start({
    data: (chunk) => {
      received += chunk.byteLength;
      if (received >= ECHO_BYTES) done.resolve();
    },
    end: () => {},
    close: () => {},
  });
  const chunk = new Uint8Array(CHUNK_BYTES).fill(7);
  const started = performance.now();
  for (let sent = 0; sent < ECHO_BYTES; sent += CHUNK_BYTES) {
    if (!client.write(chunk)) await client.drained();
  }
  await done.promise;
  const seconds = (performance.now() - started) / 1000;
  client.close();
  await listener.close();
  return ECHO_BYTES / MiB / seconds;
}

/** µs per 4 KiB append + datasync through the adapter. */
async function adapterSync(runtime: Runtime, dir: string): Promise<number> {
  const file = await runtime.fs.open(`${dir}/adapter.log`, { write: true, create: true });
  const data = new Uint8Array(SYNC_WRITE_BYTES).fill(1);
  const started = performance.now();
  for (let op = 0; op < SYNC_OPS; op++) {
    await file.write(data, op * SYNC_WRITE_BYTES);
    await file.datasync();
  }
  const microseconds = ((performance.now() - started) * 1000) / SYNC_OPS;
  await file.close();
  return microseconds;
}

/** The same loop with blocking `node:fs` calls: the floor the disk allows. */
function rawSync(dir: string): number {
  const fd = openSync(`${dir}/raw.log`, "w");
  const data = new Uint8Array(SYNC_WRITE_BYTES).fill(1);
  const started = performance.now();
  for (let op = 0; op < SYNC_OPS; op++) {
    writeSync(fd, data, 0, data.byteLength, op * SYNC_WRITE_BYTES);
    fdatasyncSync(fd);
  }
  const microseconds = ((performance.now() - started) * 1000) / SYNC_OPS;
  closeSync(fd);
  return microseconds;
}

async function measure(): Promise<Result> {
  const runtime = createRuntime();
  const dir = mkdtempSync(`${tmpdir()}/flotilla-bench-`);
  try {
    return {
      runtime: runtime.name,
      echoMegabytesPerSecond: await echoThroughput(runtime),
      // The reference first, so a disk that warms up or slows down does not favour the adapter.
      rawSyncMicroseconds: rawSync(dir),
      adapterSyncMicroseconds: await adapterSync(runtime, dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs this file under each runtime and collects their JSON lines. */
function measureAll(): Result[] {
  const self = fileURLToPath(import.meta.url);
  const bin = fileURLToPath(new URL("../node_modules/.bin/", import.meta.url));
  const commands: [string, string[]][] = [
    [`${bin}deno`, ["run", "-A", self, "--child"]],
    [`${bin}bun`, [self, "--child"]],
    [`${bin}node`, [self, "--child"]],
  ];
  return commands.map(([command, args]) => {
    const child = spawnSync(command, args, { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`${command} failed: ${child.stderr}`);
    return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Result;
  });
}

function printTable(results: Result[]): void {
  console.log(
    `echo: ${ECHO_BYTES / MiB} MiB in ${CHUNK_BYTES / 1024} KiB chunks over loopback; ` +
      `sync: ${SYNC_OPS} × (${SYNC_WRITE_BYTES} B positional write + datasync)`,
  );
  console.log("| runtime | echo MB/s | adapter write+datasync µs/op | raw fdatasyncSync µs/op |");
  console.log("|---------|----------:|-----------------------------:|------------------------:|");
  for (const result of results) {
    console.log(
      `| ${result.runtime.padEnd(7)} | ${result.echoMegabytesPerSecond.toFixed(0).padStart(9)} | ${
        result.adapterSyncMicroseconds.toFixed(0).padStart(28)
      } | ${result.rawSyncMicroseconds.toFixed(0).padStart(23)} |`,
    );
  }
}

if (process.argv.includes("--child")) {
  console.log(JSON.stringify(await measure()));
} else {
  printTable(measureAll());
}

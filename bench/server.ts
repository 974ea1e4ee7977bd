/**
 * The skeleton server (examples/ping.ts) on Deno, Bun and Node against `redis-server`, all
 * measured in the same run by `redis-benchmark -t ping_mbulk -n 200000 -c 50` at `-P 1` and
 * `-P 16`. Rounds are interleaved (every target once per round) and the median is reported, so
 * drift in machine load hits every target alike; the ratio is to `redis-server`'s median.
 *
 *     deno run -A bench/server.ts [--rounds 3] [--requests 200000] [--floor]
 *
 * `--floor` adds, per runtime, a do-nothing `+PONG` server on the same adapter (no decoder,
 * dispatch or reply queue; bench/_pong_floor.ts): the gap to it is what our layers cost. Its
 * PING detection is a byte count, so it answers correctly only to ping_mbulk traffic.
 *
 * Needs redis-server and redis-benchmark on PATH and the runtimes in node_modules/.bin.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "node_modules", ".bin");
const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);

function option(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

const ROUNDS = option("rounds", 3);
const REQUESTS = option("requests", 200_000);
const PIPELINES = [1, 16];
const BASE_PORT = 7700 + Math.floor(Math.random() * 200);

interface Target {
  name: string;
  port: number;
  command: string;
  args: string[];
  child?: ChildProcess;
}

const example = join(root, "examples", "ping.ts");
const targets: Target[] = [
  {
    name: "redis-server",
    port: BASE_PORT,
    command: "redis-server",
    args: ["--port", String(BASE_PORT), "--save", "", "--appendonly", "no"],
  },
  {
    name: "skeleton on deno",
    port: BASE_PORT + 1,
    command: join(bin, "deno"),
    args: ["run", "-A", example, "-p", String(BASE_PORT + 1)],
  },
  {
    name: "skeleton on bun",
    port: BASE_PORT + 2,
    command: join(bin, "bun"),
    args: [example, "-p", String(BASE_PORT + 2)],
  },
  {
    name: "skeleton on node",
    port: BASE_PORT + 3,
    command: join(bin, "node"),
    args: [example, "-p", String(BASE_PORT + 3)],
  },
];

if (argv.includes("--floor")) {
  const floor = join(root, "bench", "_pong_floor.ts");
  const runtimes: [string, string[]][] = [
    ["deno", ["run", "-A", floor]],
    ["bun", [floor]],
    ["node", [floor]],
  ];
  runtimes.forEach(([runtime, args], i) => {
    const port = BASE_PORT + 4 + i;
    targets.push({
      name: `floor on ${runtime}`,
      port,
      command: join(bin, runtime),
      args: [...args, String(port)],
    });
  });
}

function waitReady(port: number): void {
  for (let i = 0; i < 100; i++) {
    const ping = spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" });
    if (ping.stdout?.trim() === "PONG") return;
    spawnSync("sleep", ["0.1"]);
  }
  throw new Error(`Server on port ${port} did not start`);
}

/** One redis-benchmark run; requests per second. */
function benchmark(port: number, pipeline: number): number {
  const run = spawnSync("redis-benchmark", [
    "-p",
    String(port),
    "-t",
    "ping_mbulk",
    "-n",
    String(REQUESTS),
    "-c",
    "50",
    "-P",
    String(pipeline),
    "-q",
  ], { encoding: "utf8", timeout: 120_000 });
  const match = /([0-9.]+) requests per second/.exec(run.stdout ?? "");
  return match ? Number(match[1]) : NaN;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const results = new Map<string, number[]>();
try {
  for (const target of targets) {
    target.child = spawn(target.command, target.args, { stdio: "ignore" });
    waitReady(target.port);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      for (const pipeline of PIPELINES) {
        const key = `${target.name}|${pipeline}`;
        results.set(key, [...(results.get(key) ?? []), benchmark(target.port, pipeline)]);
      }
    }
  }
} finally {
  for (const target of targets) target.child?.kill();
}

console.log(
  `redis-benchmark -t ping_mbulk -n ${REQUESTS} -c 50, median of ${ROUNDS} interleaved rounds`,
);
console.log(
  `${"target".padEnd(18)} ${"P".padStart(3)} ${"req/s".padStart(12)} ${"× redis".padStart(8)}`,
);
for (const pipeline of PIPELINES) {
  const reference = median(results.get(`redis-server|${pipeline}`) ?? []);
  for (const target of targets) {
    const value = median(results.get(`${target.name}|${pipeline}`) ?? []);
    console.log(
      `${target.name.padEnd(18)} ${String(pipeline).padStart(3)} ${
        Math.round(value).toLocaleString("en-US").padStart(12)
      } ${(value / reference).toFixed(2).padStart(8)}`,
    );
  }
}

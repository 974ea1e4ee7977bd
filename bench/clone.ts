/**
 * Benchmark: `redis-benchmark -t set,get -c 50` at pipeline depths 1 and 16 against
 * `redis-server` and against the clone (one node and three; durability and consistency medium
 * and high), in the same run on the same machine, with the ratio to redis-server. Then RSS and
 * data-directory size of a node after 1M SETs over 100 keys.
 *
 *     deno run -A bench/clone.ts [--requests 200000] [--runtime deno,bun] [--quick]
 *
 * The machine is shared and runs vary by ±20%, so redis-server is measured again right before
 * each setup and each ratio is to that adjacent run; the table also gives the server's CPU time
 * per request (utime + stime from /proc), which varies much less than requests per second. A
 * setup at durability high, which fsyncs every write before answering it, is compared with
 * redis-server in its own fsync-every-write mode (`--appendonly yes --appendfsync always`),
 * measured just before it in the same way.
 * Prints one Markdown table per runtime. Needs redis-server and redis-benchmark (Debian's
 * redis-server and redis-tools).
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  freePort,
  runtimeCommand,
  type RuntimeName,
  type ServerProcess,
  sleep,
  startProcess,
  waitForPort,
} from "../tests/_support/processes.ts";
import { redisCli } from "../tests/_support/processes.ts";

interface Setup {
  label: string;
  nodes: number;
  durability: string;
  consistency: string;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const quick = args.includes("--quick");
const requests = Number(option("requests", quick ? "50000" : "200000"));
const runtimes = option("runtime", "deno").split(",") as RuntimeName[];
const fillRequests = quick ? 200_000 : 1_000_000;

const SETUPS: Setup[] = [
  {
    label: "1 node, durability medium, consistency medium",
    nodes: 1,
    durability: "medium",
    consistency: "medium",
  },
  {
    label: "1 node, durability high, consistency medium",
    nodes: 1,
    durability: "high",
    consistency: "medium",
  },
  {
    label: "1 node, durability medium, consistency high",
    nodes: 1,
    durability: "medium",
    consistency: "high",
  },
  {
    label: "3 nodes, durability medium, consistency medium",
    nodes: 3,
    durability: "medium",
    consistency: "medium",
  },
  {
    label: "3 nodes, durability high, consistency high",
    nodes: 3,
    durability: "high",
    consistency: "high",
  },
];

/** One redis-benchmark test: requests per second and the server's CPU µs per request. */
interface Measured {
  rate: number | undefined;
  cpuMicros: number | undefined;
}

/** The four tests of a row, keyed `set1`, `get1`, `set16`, `get16`. */
type Row = Map<string, Measured>;

/** The server's CPU time so far in µs (utime + stime; clock ticks of 10 ms on Linux). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Runs one redis-benchmark test against `port`, the server being process `pid`. */
function benchmark(port: number, pid: number, test: string, pipeline: number): Measured {
  const before = cpuMicros(pid);
  const result = spawnSync("redis-benchmark", [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-t",
    test,
    "-n",
    String(requests),
    "-c",
    "50",
    "-P",
    String(pipeline),
    "-r",
    "100000",
    "-q",
  ], { encoding: "utf8", timeout: 600_000 });
  const used = cpuMicros(pid) - before;
  let rate: number | undefined;
  for (const line of result.stdout.split(/[\r\n]/)) {
    const match = /^\s*(\w+): ([\d.]+) requests per second/.exec(line);
    if (match) rate = Number(match[2]);
  }
  return { rate, cpuMicros: rate === undefined ? undefined : used / requests };
}

/** SET and GET at pipeline depths 1 and 16. */
function measureRow(port: number, pid: number): Row {
  const row: Row = new Map();
  for (const pipeline of [1, 16]) {
    for (const test of ["set", "get"]) {
      row.set(`${test}${pipeline}`, benchmark(port, pid, test, pipeline));
    }
  }
  return row;
}

/**
 * Measures redis-server: without persistence, or with `fsyncAlways` appending every write to
 * its AOF and fsyncing it before the reply (in `dir`), the mode durability high compares with.
 */
async function measureRedis(fsyncAlways = false, dir = tmpdir()): Promise<Row> {
  const port = await freePort();
  const persistence = fsyncAlways
    ? ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  const redis = startProcess("redis-server", [
    "--port",
    String(port),
    "--save",
    "",
    ...persistence,
    "--bind",
    "127.0.0.1",
  ]);
  await waitForPort(port);
  try {
    return measureRow(port, redis.child.pid!);
  } finally {
    await redis.kill("SIGTERM");
  }
}

async function startCluster(
  runtime: RuntimeName,
  setup: Setup,
  dir: string,
): Promise<{ ports: number[]; processes: ServerProcess[] }> {
  const [program, prefix] = runtimeCommand(runtime, "examples/clone.ts");
  const ports: number[] = [];
  const processes: ServerProcess[] = [];
  for (let i = 0; i < setup.nodes; i++) {
    const port = await freePort();
    const flags = [
      ...prefix,
      "-p",
      String(port),
      "-dir",
      join(dir, `n${i}`),
      "-durability",
      setup.durability,
      "-consistency",
      setup.consistency,
      "-loglevel",
      "warning",
      ...(i > 0 ? ["-join", `127.0.0.1:${ports[0]}`] : []),
    ];
    processes.push(startProcess(program, flags));
    await waitForPort(port);
    ports.push(port);
    if (i === 0) await until(() => redisCli(port, ["RAFTSTATE"]) === "Leader");
  }
  await until(() => {
    const info = redisCli(ports[0]!, ["RAFT", "INFO", "num_voters"]).split("\n");
    return Number(info[1]) === setup.nodes;
  });
  return { ports, processes };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if (check()) return;
    } catch { /* starting */ }
    await sleep(50);
  }
  throw new Error("cluster did not form");
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

function duMiB(path: string): number {
  const out = spawnSync("du", ["-sk", path], { encoding: "utf8" }).stdout;
  return Number(out.split("\t")[0]) / 1024;
}

const format = (value: number | undefined): string =>
  value === undefined ? "—" : Math.round(value).toLocaleString("en-US");
const ratio = (value: number | undefined, base: number | undefined): string =>
  value === undefined || base === undefined ? "—" : `${(value / base).toFixed(2)}×`;
const micros = (value: number | undefined): string =>
  value === undefined ? "—" : `${value.toFixed(1)} µs`;
const TESTS = ["set1", "get1", "set16", "get16"];

/** A table cell: rate, ratio to the adjacent redis-server run, server CPU per request. */
function cell(measured: Measured | undefined, base: Measured | undefined): string {
  const rate = measured?.rate;
  const against = base === undefined ? "" : ` (${ratio(rate, base.rate)})`;
  return `${format(rate)}${against}, ${micros(measured?.cpuMicros)}`;
}

/** The mean of the redis-server runs, test by test. */
function meanRow(rows: Row[]): Row {
  const mean: Row = new Map();
  for (const test of TESTS) {
    const values = rows.map((row) => row.get(test)).filter((m) => m?.rate !== undefined);
    const average = (pick: (m: Measured) => number | undefined) =>
      values.length === 0
        ? undefined
        : values.reduce((sum, m) => sum + pick(m!)!, 0) / values.length;
    mean.set(test, { rate: average((m) => m.rate), cpuMicros: average((m) => m.cpuMicros) });
  }
  return mean;
}

/** The clone's table for one runtime, each setup next to a redis-server run just before it. */
async function runtimeTable(runtime: RuntimeName, root: string): Promise<string[]> {
  const lines: string[] = [];
  const redisRows: Row[] = [];
  const redisAlwaysRows: Row[] = [];
  const cloneRows: string[] = [];
  for (const setup of SETUPS) {
    const dir = join(root, `${runtime}-${setup.label.replace(/\W+/g, "-")}`);
    const fsyncAlways = setup.durability === "high";
    let redis: Row;
    if (fsyncAlways) {
      const aofDir = join(root, `${runtime}-aof-${redisAlwaysRows.length}`);
      mkdirSync(aofDir);
      redis = await measureRedis(true, aofDir);
      rmSync(aofDir, { recursive: true, force: true });
      redisAlwaysRows.push(redis);
    } else {
      redis = await measureRedis();
      redisRows.push(redis);
    }
    const cluster = await startCluster(runtime, setup, dir);
    const row = measureRow(cluster.ports[0]!, cluster.processes[0]!.child.pid!);
    for (const child of cluster.processes) await child.kill("SIGKILL");
    const label = fsyncAlways ? `${setup.label} (ratios to fsync-always redis)` : setup.label;
    cloneRows.push(
      `| clone, ${label} | ${TESTS.map((t) => cell(row.get(t), redis.get(t))).join(" | ")} |`,
    );
  }
  const redisMean = meanRow(redisRows);
  const spread = (rows: Row[], test: string) => {
    const rates = rows.map((row) => row.get(test)?.rate ?? 0);
    return `${format(Math.min(...rates))}–${format(Math.max(...rates))}`;
  };
  lines.push(
    `\nredis-benchmark -c 50 -n ${requests} -r 100000; clone on ${runtime}; ${
      new Date().toISOString()
    }; each cell: requests/s (ratio to the redis-server run just before that setup), server CPU per request\n`,
  );
  lines.push("| setup | SET -P 1 | GET -P 1 | SET -P 16 | GET -P 16 |");
  lines.push("|---|---|---|---|---|");
  lines.push(
    `| redis-server (no persistence), mean of ${redisRows.length} runs | ${
      TESTS.map((t) => cell(redisMean.get(t), undefined)).join(" | ")
    } |`,
  );
  lines.push(
    `| redis-server, range of those runs | ${TESTS.map((t) => spread(redisRows, t)).join(" | ")} |`,
  );
  if (redisAlwaysRows.length > 0) {
    const alwaysMean = meanRow(redisAlwaysRows);
    lines.push(
      `| redis-server --appendfsync always, mean of ${redisAlwaysRows.length} runs (range) | ${
        TESTS.map((t) => `${cell(alwaysMean.get(t), undefined)} (${spread(redisAlwaysRows, t)})`)
          .join(" | ")
      } |`,
    );
  }
  lines.push(...cloneRows);
  lines.push(await fillLine(runtime, root));
  return lines;
}

/** Memory and disk after a long write load: 1M SETs over 100 keys on one node. */
async function fillLine(runtime: RuntimeName, root: string): Promise<string> {
  const dir = join(root, `${runtime}-fill`);
  const fill = await startCluster(runtime, SETUPS[0]!, dir);
  const filled = spawnSync("redis-benchmark", [
    "-h",
    "127.0.0.1",
    "-p",
    String(fill.ports[0]),
    "-t",
    "set",
    "-n",
    String(fillRequests),
    "-c",
    "50",
    "-P",
    "16",
    "-r",
    "100",
    "-q",
  ], { encoding: "utf8" });
  const fillRate = /SET: ([\d.]+) requests per second/.exec(filled.stdout)?.[1];
  await sleep(1500);
  const rss = rssMiB(fill.processes[0]!.child.pid!);
  const disk = duMiB(dir);
  for (const child of fill.processes) await child.kill("SIGKILL");
  return `\nAfter ${
    fillRequests.toLocaleString("en-US")
  } SETs over 100 keys (1 node, durability medium, ${
    format(Number(fillRate))
  } SET/s at -P 16): RSS ${rss.toFixed(0)} MiB, data dir ${disk.toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const output: string[] = [];
  try {
    for (const runtime of runtimes) output.push(...await runtimeTable(runtime, root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(output.join("\n"));
}

await main();

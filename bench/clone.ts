/**
 * Benchmark: `redis-benchmark -t set,get -c 50` at pipeline depths 1 and 16 against
 * `redis-server` and against the clone (one node and three; durability and consistency medium
 * and high), in the same run on the same machine, with the ratio to redis-server. Then RSS and
 * data-directory size of a node after 1M SETs over 100 keys.
 *
 *     deno run -A bench/clone.ts [--requests 200000] [--runtime deno|bun|node] [--quick]
 *
 * Prints a Markdown table. Needs redis-server and redis-benchmark (Debian's redis-server and
 * redis-tools).
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
const runtime = option("runtime", "deno") as RuntimeName;
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

/** Runs redis-benchmark and returns requests/s per test name. */
function benchmark(
  port: number,
  pipeline: number,
  tests = "set,get",
  n = requests,
): Map<string, number> {
  const result = spawnSync("redis-benchmark", [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-t",
    tests,
    "-n",
    String(n),
    "-c",
    "50",
    "-P",
    String(pipeline),
    "-r",
    "100000",
    "-q",
  ], { encoding: "utf8", timeout: 600_000 });
  const rates = new Map<string, number>();
  for (const line of result.stdout.split(/[\r\n]/)) {
    const match = /^\s*(\w+): ([\d.]+) requests per second/.exec(line);
    if (match) rates.set(match[1]!.toLowerCase(), Number(match[2]));
  }
  return rates;
}

async function startCluster(
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

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const redisPort = await freePort();
  const redis = startProcess("redis-server", [
    "--port",
    String(redisPort),
    "--save",
    "",
    "--appendonly",
    "no",
    "--bind",
    "127.0.0.1",
  ]);
  await waitForPort(redisPort);
  const baseline = { p1: benchmark(redisPort, 1), p16: benchmark(redisPort, 16) };
  await redis.kill("SIGTERM");

  const rows: string[] = [];
  const add = (label: string, p1: Map<string, number>, p16: Map<string, number>) => {
    rows.push(
      `| ${label} | ${format(p1.get("set"))} (${ratio(p1.get("set"), baseline.p1.get("set"))}) | ` +
        `${format(p1.get("get"))} (${ratio(p1.get("get"), baseline.p1.get("get"))}) | ` +
        `${format(p16.get("set"))} (${ratio(p16.get("set"), baseline.p16.get("set"))}) | ` +
        `${format(p16.get("get"))} (${ratio(p16.get("get"), baseline.p16.get("get"))}) |`,
    );
  };
  add("redis-server (no persistence)", baseline.p1, baseline.p16);
  for (const setup of SETUPS) {
    const dir = join(root, setup.label.replace(/\W+/g, "-"));
    const cluster = await startCluster(setup, dir);
    const p1 = benchmark(cluster.ports[0]!, 1);
    const p16 = benchmark(cluster.ports[0]!, 16);
    for (const child of cluster.processes) await child.kill("SIGKILL");
    add(`clone, ${setup.label}`, p1, p16);
  }

  // Memory and disk after a long write load: 1M SETs over 100 keys on one node.
  const fill = await startCluster(SETUPS[0]!, join(root, "fill"));
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
  const disk = duMiB(join(root, "fill"));
  for (const child of fill.processes) await child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });

  console.log(
    `\nredis-benchmark -c 50 -n ${requests} -r 100000, clone on ${runtime}, ${
      new Date().toISOString()
    }\n`,
  );
  console.log("| setup | SET -P 1 | GET -P 1 | SET -P 16 | GET -P 16 |");
  console.log("|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log(
    `\nAfter ${
      fillRequests.toLocaleString("en-US")
    } SETs over 100 keys (1 node, durability medium, ` +
      `${format(Number(fillRate))} SET/s at -P 16): RSS ${rss.toFixed(0)} MiB, data dir ${
        disk.toFixed(1)
      } MiB`,
  );
}

await main();

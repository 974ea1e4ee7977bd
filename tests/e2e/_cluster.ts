/**
 * End-to-end helpers: start clone nodes as real processes (under Deno, or as the executable
 * `bun build --compile` makes), drive them with `redis-cli`, find the leader, kill and restart.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BIN,
  freePort,
  redisCli,
  ROOT,
  type ServerProcess,
  sleep,
  startProcess,
  waitForPort,
} from "../_support/processes.ts";

/** How a node process is started. */
export type Target = "deno" | "bun-compiled" | "bun" | "node";

/** Path of the clone compiled by `bun build --compile` for the tests. */
export const COMPILED_CLONE: string = join(ROOT, "dist", "clone-test");

let compiled = false;

/** Compiles the clone with Bun once per test process (about a second), never reusing old builds. */
export function compileClone(): void {
  if (compiled) return;
  compiled = true;
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const result = spawnSync(BIN.bun, [
    "build",
    "--compile",
    join(ROOT, "examples", "clone.ts"),
    "--outfile",
    COMPILED_CLONE,
  ], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bun build --compile failed: ${result.stderr}`);
}

function command(target: Target): [string, string[]] {
  const script = join(ROOT, "examples", "clone.ts");
  switch (target) {
    case "deno":
      return [BIN.deno, ["run", "-A", script]];
    case "bun":
      return [BIN.bun, [script]];
    case "node":
      return [BIN.node, [script]];
    case "bun-compiled":
      compileClone();
      return [COMPILED_CLONE, []];
  }
}

/** One node of a test cluster. */
export class TestNode {
  readonly port: number;
  readonly dir: string;
  readonly target: Target;
  readonly flags: string[];
  process: ServerProcess | undefined;

  constructor(target: Target, port: number, dir: string, flags: string[]) {
    this.target = target;
    this.port = port;
    this.dir = dir;
    this.flags = flags;
  }

  /** `host:port`, the node's id. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the process on its data directory; resolves once it listens. */
  async start(extra: string[] = []): Promise<void> {
    const [program, prefix] = command(this.target);
    this.process = startProcess(program, [
      ...prefix,
      "-p",
      String(this.port),
      "-dir",
      this.dir,
      "--election-timeout",
      "600",
      "--heartbeat",
      "60",
      ...this.flags,
      ...extra,
    ]);
    await waitForPort(this.port);
  }

  /** SIGKILLs the process (nothing flushed, nothing closed). */
  async kill(): Promise<void> {
    await this.process?.kill("SIGKILL");
    this.process = undefined;
  }

  /** Runs a command with redis-cli; returns its output. */
  cli(...args: string[]): string {
    return redisCli(this.port, args);
  }

  /** Everything the process printed. */
  output(): string {
    return this.process?.output() ?? "";
  }
}

/** A set of nodes sharing a temporary directory, cleaned up by `stop()`. */
export class TestCluster {
  readonly nodes: TestNode[] = [];
  readonly root: string;
  readonly target: Target;

  constructor(target: Target) {
    this.target = target;
    this.root = mkdtempSync(join(tmpdir(), "flotilla-e2e-"));
  }

  /** Adds and starts a node; `join` is another node to join through. */
  async add(flags: string[] = [], join?: TestNode): Promise<TestNode> {
    const port = await freePort();
    const node = new TestNode(this.target, port, `${this.root}/n${this.nodes.length + 1}`, [
      ...flags,
      ...(join ? ["-join", join.address] : []),
    ]);
    this.nodes.push(node);
    await node.start();
    return node;
  }

  /** Starts `count` nodes, the rest joining the first, and waits for all to be voters. */
  async form(count: number, flags: string[] = []): Promise<TestNode[]> {
    const first = await this.add(flags);
    await waitFor(() => first.cli("RAFTSTATE") === "Leader", "first node to lead");
    for (let i = 1; i < count; i++) await this.add(flags, first);
    await waitFor(() => voters(first) === count, `${count} voters`);
    return this.nodes;
  }

  /** The node that currently says it leads (among running ones). */
  async leader(timeoutMs = 20_000): Promise<TestNode> {
    let found: TestNode | undefined;
    await waitFor(
      () => {
        found = this.nodes.find((node) => node.process && node.cli("RAFTSTATE") === "Leader");
        return found !== undefined;
      },
      "a leader",
      timeoutMs,
    );
    return found!;
  }

  /** Kills every process and removes the directory. */
  async stop(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The number of voters a node reports (`RAFT INFO num_voters`). */
export function voters(node: TestNode): number {
  const lines = node.cli("RAFT", "INFO", "num_voters").split("\n");
  return Number(lines[1] ?? 0);
}

/** Polls `check` every 50 ms until it holds, or throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (check()) return;
    } catch {
      // A node restarting refuses connections for a moment.
    }
    await sleep(50);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

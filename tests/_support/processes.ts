/**
 * Test helpers for process-level tests: start a server under a given runtime, wait until it
 * accepts connections, drive it with `redis-cli`, and kill it. Uses `node:child_process` and
 * `node:net`, which Deno, Bun and Node all provide, so e2e files run under each test runner.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer, Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The pinned binaries from package.json's devDependencies. */
export const BIN: { deno: string; bun: string; node: string } = {
  deno: join(ROOT, "node_modules", ".bin", "deno"),
  bun: join(ROOT, "node_modules", ".bin", "bun"),
  node: join(ROOT, "node_modules", ".bin", "node"),
};

/** A runtime that can run a TypeScript entry point of ours. */
export type RuntimeName = "deno" | "bun" | "node";

/** The command line that runs `script` (relative to the root) under `runtime`. */
export function runtimeCommand(runtime: RuntimeName, script: string): [string, string[]] {
  const path = join(ROOT, script);
  if (runtime === "deno") return [BIN.deno, ["run", "-A", path]];
  return [BIN[runtime], [path]];
}

/** True when a program is on the PATH. */
export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; a small race is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = new Socket();
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`Nothing listening on port ${port} after ${timeoutMs} ms`);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** A running server process with its captured output. */
export interface ServerProcess {
  /** The child process. */
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once it exits. */
  exited: Promise<number | string>;
  /** Sends a signal (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `command args` in the repository root, capturing output. */
export function startProcess(command: string, args: string[]): ServerProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
  child.stderr?.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
  const exited = new Promise<number | string>((done) => {
    child.once("exit", (code, signal) => done(code ?? signal ?? "unknown"));
  });
  return {
    child,
    output: () => text,
    exited,
    kill: (signal: NodeJS.Signals = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `redis-cli -p port args...` and returns its stdout (trailing newline removed). */
export function redisCli(port: number, args: string[], input?: string): string {
  const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
    input,
    encoding: "utf8",
    timeout: 20_000,
  });
  if (result.error) throw result.error;
  return result.stdout.replace(/\n$/, "");
}

/**
 * The RESP server skeleton on 127.0.0.1: PING, ECHO, QUIT, HELLO, COMMAND and CLIENT.
 * Runs on every runtime:
 *
 *     deno run -A examples/ping.ts --port 7481
 *     bun examples/ping.ts -p 7481
 *     node examples/ping.ts -p 7481
 *
 * then `redis-cli -p 7481 PING`. Flags: `-p` / `--port` (default 7481; 0 picks a free port),
 * `--host` (default 127.0.0.1). Prints `listening on host:port` once ready.
 *
 * @module
 */

import { createRuntime } from "../adapters/auto.ts";
import { serve } from "../lib/server/server.ts";

declare const Deno: { args: string[] } | undefined;
declare const process: { argv: string[] } | undefined;

/** Command-line arguments on any runtime. */
function args(): string[] {
  if (typeof Deno !== "undefined") return Deno.args;
  return typeof process !== "undefined" ? process.argv.slice(2) : [];
}

/** Reads `-p 1`, `--port 1`, `-port=1` and `--port=1` style flags. */
function flag(argv: string[], names: string[], fallback: string): string {
  for (let i = 0; i < argv.length; i++) {
    const [name, value] = argv[i]!.split("=", 2);
    if (!names.includes(name!.replace(/^--?/, ""))) continue;
    const found = value ?? argv[i + 1];
    if (found !== undefined) return found;
  }
  return fallback;
}

const argv = args();
const port = Number(flag(argv, ["p", "port"], "7481"));
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Bad port: ${port}`);
const hostname = flag(argv, ["host"], "127.0.0.1");
const runtime = createRuntime();
const server = await serve(runtime, { hostname, port });
console.log(`listening on ${server.hostname}:${server.port} (${runtime.name})`);

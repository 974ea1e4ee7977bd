/**
 * The simulator's command line.
 *
 *   deno run -A tests/sim/main.ts --seed 42          replay one seed, print its stats
 *   deno run -A tests/sim/main.ts --seeds 1000       run seeds 1..1000
 *   deno run -A tests/sim/main.ts --seeds 1000 --from 5001
 *
 * A failing seed prints itself and the process exits 1.
 *
 * @module
 */

import { runSeed } from "./simulation.ts";

interface Process {
  argv: string[];
  exit(code: number): never;
}

const runtimeProcess = (globalThis as unknown as { process?: Process }).process;
const denoArgs = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args;
const args = denoArgs ?? runtimeProcess?.argv.slice(2) ?? [];

function flag(name: string): number | undefined {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value)) throw new RangeError(`--${name} needs an integer`);
  return value;
}

function exit(code: number): void {
  const deno = (globalThis as unknown as { Deno?: { exit(code: number): never } }).Deno;
  if (deno !== undefined) deno.exit(code);
  runtimeProcess?.exit(code);
}

const single = flag("seed");
if (single !== undefined) {
  try {
    const log = args.includes("--trace") ? (line: string) => console.log(line) : undefined;
    console.log(JSON.stringify(runSeed(single, log === undefined ? {} : { log })));
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    exit(1);
  }
} else {
  const count = flag("seeds") ?? 100;
  const from = flag("from") ?? 1;
  const started = Date.now();
  let failures = 0;
  let acked = 0;
  const totals = {
    reads: 0,
    leaders: 0,
    membershipChanges: 0,
    transfers: 0,
    crashes: 0,
    snapshots: 0,
  };
  for (let seed = from; seed < from + count; seed++) {
    try {
      const stats = runSeed(seed);
      acked += stats.acked;
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += stats[key];
    } catch (error) {
      failures++;
      console.error(error instanceof Error ? error.message : error);
    }
    if ((seed - from + 1) % 1000 === 0) {
      console.log(`${seed - from + 1} seeds, ${failures} failed, ${Date.now() - started} ms`);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `seeds ${from}..${from + count - 1}: ${count - failures} passed, ${failures} failed ` +
      `(${acked} acknowledged writes) in ${seconds} s`,
  );
  console.log(`totals: ${JSON.stringify(totals)}`);
  if (failures > 0) exit(1);
}

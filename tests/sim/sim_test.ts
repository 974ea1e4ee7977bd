// The seeded simulator as a test: FLOTILLA_SIM_SEEDS seeds (default 2000), in blocks of 250.
// A failure names its seed; replay it with `deno run -A tests/sim/main.ts --seed N`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runSeed } from "./simulation.ts";

interface EnvHost {
  Deno?: { env: { get(name: string): string | undefined } };
  process?: { env: Record<string, string | undefined> };
}

function seedCount(): number {
  const host = globalThis as unknown as EnvHost;
  const raw = host.Deno?.env.get("FLOTILLA_SIM_SEEDS") ?? host.process?.env.FLOTILLA_SIM_SEEDS;
  const count = raw === undefined ? 2000 : Number(raw);
  assert.ok(Number.isInteger(count) && count > 0, `bad FLOTILLA_SIM_SEEDS: ${raw}`);
  return count;
}

const BLOCK = 250;
const total = seedCount();

describe("simulator", () => {
  for (let from = 1; from <= total; from += BLOCK) {
    const to = Math.min(total, from + BLOCK - 1);
    test(`seeds ${from}..${to} keep every safety property and converge when healed`, () => {
      let acked = 0;
      for (let seed = from; seed <= to; seed++) acked += runSeed(seed).acked;
      assert.ok(acked > 0, "the workload acknowledged writes");
    });
  }

  test("a seed replays exactly", () => {
    assert.deepEqual(runSeed(4242), runSeed(4242));
  });
});

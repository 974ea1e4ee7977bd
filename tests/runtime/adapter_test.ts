/**
 * Runs the conformance suite against the adapter for the runtime running this file, as
 * `adapters/auto.ts` picks it: `deno test -A`, `bun test` and `node --test` each test their own.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRuntime } from "../../adapters/auto.ts";
import { describeRuntimeConformance } from "./_conformance.ts";

const runtime = createRuntime();

test("auto picks the adapter of the running runtime", () => {
  const expected = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  assert.equal(runtime.name, expected);
});

describeRuntimeConformance(runtime);

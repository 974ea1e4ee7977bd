/**
 * The runtime conformance suite: the same cases for every adapter, run by each runtime's own
 * test runner through `node:test` (`deno test`, `bun test`, `node --test`).
 *
 * @module
 */

import type { Runtime } from "../../lib/runtime.ts";
import { describeFileSystemConformance } from "./_fs_cases.ts";
import { describeNetworkConformance } from "./_net_cases.ts";

/**
 * Registers every conformance case for `runtime`.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "../../adapters/auto.ts";
 * describeRuntimeConformance(createRuntime());
 * ```
 */
export function describeRuntimeConformance(runtime: Runtime): void {
  describeNetworkConformance(runtime);
  describeFileSystemConformance(runtime);
}

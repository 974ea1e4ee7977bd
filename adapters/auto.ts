/**
 * Picks the adapter for the runtime this code runs on. Static imports only: a computed
 * dynamic import would break `bun build --compile`, and every adapter loads without side
 * effects on every runtime.
 *
 * @module
 */

import type { Runtime } from "../lib/runtime.ts";
import { createRuntime as createBunRuntime } from "./bun.ts";
import { createRuntime as createDenoRuntime } from "./deno.ts";
import { createRuntime as createNodeRuntime } from "./node.ts";

/** The port this adapter implements, for callers that import only the adapter. */
export type * from "../lib/runtime.ts";
export { RuntimeError, type RuntimeErrorCode, type RuntimeErrorOptions } from "../lib/errors.ts";

/**
 * Creates the adapter for the current runtime: Deno, then Bun, else Node.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "./auto.ts";
 * console.log(createRuntime().name); // "deno", "bun" or "node"
 * ```
 */
export function createRuntime(): Runtime {
  if ("Deno" in globalThis) return createDenoRuntime();
  if ("Bun" in globalThis) return createBunRuntime();
  return createNodeRuntime();
}

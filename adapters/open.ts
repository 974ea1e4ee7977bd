/**
 * `open()` with the runtime adapter picked for you (Deno, Bun or Node). Lives beside the
 * adapters because choosing one is a runtime edge; `lib/` never imports them.
 *
 * @module
 */

import { createRuntime } from "./auto.ts";
import { type Node, openNode } from "../lib/server/node.ts";
import type { OpenOptions } from "../lib/server/options.ts";

/**
 * Opens a Flotilla node: recovers its state from `dir`, listens on `addr` for clients and
 * peers, and joins `join` if given. Resolves once it serves.
 *
 * @example
 * ```ts ignore
 * import { open } from "@flotilla/flotilla";
 * const node = await open({ machine: new MyMachine(), dir: "data", addr: ":7481" });
 * ```
 */
export function open(options: OpenOptions): Promise<Node> {
  return openNode({ ...options, runtime: options.runtime ?? createRuntime() });
}

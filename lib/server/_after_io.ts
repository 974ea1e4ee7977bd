/**
 * Runs a callback once the I/O callbacks of the current event-loop turn have run.
 *
 * Proposals are batched per turn: every request read in one turn should join one Raft pass (one
 * log write, one fsync). A microtask is too early on Bun and Node, which drain microtasks after
 * each socket callback: every request got a pass of its own (measured: 200k SETs from 50
 * clients made 200k passes and 200k log writes on Bun). `setImmediate` runs in the check phase,
 * after the poll phase has delivered everything readable. All three runtimes have it as a
 * global (Deno since 2.0); a runtime without it falls back to a zero timer.
 *
 * @module
 */

type Immediate = (callback: () => void) => unknown;

const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;

/**
 * Runs `callback` after this turn's I/O callbacks.
 *
 * @example
 * ```ts
 * import { afterIo } from "./_after_io.ts";
 * afterIo(() => console.log("after the reads of this turn"));
 * ```
 */
export const afterIo: (callback: () => void) => void = immediate === undefined
  ? (callback) => void setTimeout(callback, 0)
  : (callback) => void immediate(callback);

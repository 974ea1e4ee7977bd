/**
 * Runs a file handle's operations one at a time, in call order, so a positional read never
 * races another on a shared cursor (Deno seeks) and a `datasync` issued after a `write` covers
 * it even when the caller did not await the write.
 *
 * @module
 */

import type { OpenOptions } from "../lib/runtime.ts";

/**
 * A per-handle chain of operations.
 *
 * @example
 * ```ts ignore
 * const queue = new FileQueue();
 * const count = await queue.run(() => readAt(file, buffer, 0));
 * ```
 */
export class FileQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #inFlight = 0;

  /** True when no operation is queued or running (a synchronous one may go now). */
  get idle(): boolean {
    return this.#inFlight === 0;
  }

  /** Runs `operation` after every operation queued before it, whether they failed or not. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    const result = this.#tail.then(operation, operation);
    this.#tail = result.then(this.#settled, this.#settled);
    return result;
  }

  readonly #settled = (): void => {
    this.#inFlight--;
  };
}

/**
 * Checks a file position or size argument: a safe non-negative integer.
 *
 * @example
 * ```ts ignore
 * checkOffset(position, "position");
 * ```
 */
export function checkOffset(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`File ${name} must be a non-negative safe integer, got ${value}`);
  }
}

/**
 * Checks open options: creating or truncating needs `write`. Node would allow a read-only
 * create and Deno refuses it; the port makes it a misuse (`TypeError`) everywhere.
 *
 * @example
 * ```ts ignore
 * checkOpenOptions({ write: true, create: true });
 * ```
 */
export function checkOpenOptions(options: OpenOptions): void {
  if ((options.create || options.createNew || options.truncate) && !options.write) {
    throw new TypeError("Opening with create, createNew or truncate requires write");
  }
}

/**
 * File writes up to this size use the runtime's synchronous call. Into the page cache they take
 * a few microseconds, less than an async call's hop through the thread pool; 1 MiB covers a log
 * batch of 256 KiB entries with framing. Larger writes stay async so the event loop keeps serving.
 */
export const SYNC_WRITE_BYTES_MAX = 1024 * 1024;

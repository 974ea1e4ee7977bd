/**
 * Delivers a connection's events to its {@linkcode ConnectionHandlers} with the guarantees the
 * port promises whatever the runtime does underneath: nothing before `start`, nothing while
 * paused (a chunk already in flight is held until `resume`), `close` exactly once and last, and
 * a throwing handler never escapes into the runtime as an uncaught exception.
 *
 * @module
 */

import type { RuntimeError } from "../lib/errors.ts";
import type { ConnectionHandlers } from "../lib/runtime.ts";

/**
 * Per-connection event gate shared by the three adapters.
 *
 * @example
 * ```ts ignore
 * const delivery = new Delivery((error) => conn.fail(error));
 * delivery.start(handlers);
 * delivery.data(chunk);
 * delivery.close(undefined);
 * ```
 */
export class Delivery {
  #handlers: ConnectionHandlers | undefined;
  #held: Uint8Array[] = [];
  #endHeld = false;
  #endDelivered = false;
  #paused = false;
  #closed = false;
  #closeError: RuntimeError | undefined;
  #onHandlerError: (error: unknown) => void;

  /** @param onHandlerError Called when a data or end handler throws: the adapter closes. */
  constructor(onHandlerError: (error: unknown) => void) {
    this.#onHandlerError = onHandlerError;
  }

  /** True once `start` installed the handlers. */
  get started(): boolean {
    return this.#handlers !== undefined;
  }

  /** True between `pause` and `resume`. */
  get paused(): boolean {
    return this.#paused;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Installs the handlers; delivers whatever arrived or closed before. */
  start(handlers: ConnectionHandlers): void {
    if (this.#handlers !== undefined) throw new TypeError("Connection already started");
    this.#handlers = handlers;
    if (this.#closed) {
      this.#deliverClose();
      return;
    }
    this.#flushHeld();
  }

  /** Holds events from now on. */
  pause(): void {
    this.#paused = true;
  }

  /** Delivers held events and lets new ones through. */
  resume(): void {
    this.#paused = false;
    this.#flushHeld();
  }

  /** Bytes arrived from the peer. */
  data(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#handlers === undefined || this.#paused || this.#held.length > 0) {
      this.#held.push(chunk);
      return;
    }
    this.#call(this.#handlers, chunk);
  }

  /** The peer half-closed. */
  end(): void {
    if (this.#closed || this.#endHeld || this.#endDelivered) return;
    this.#endHeld = true;
    this.#flushHeld();
  }

  /** True when an `end` is waiting for `start` or `resume`. */
  get endPending(): boolean {
    return this.#endHeld;
  }

  /** The connection is gone: reports `close` once, after the current call stack unwinds. */
  close(error: RuntimeError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#held = [];
    if (this.#handlers !== undefined) this.#deliverClose();
  }

  #flushHeld(): void {
    const handlers = this.#handlers;
    while (handlers !== undefined && !this.#paused && !this.#closed) {
      const chunk = this.#held.shift();
      if (chunk !== undefined) {
        this.#call(handlers, chunk);
        continue;
      }
      if (this.#endHeld) {
        this.#endHeld = false;
        this.#endDelivered = true;
        try {
          handlers.end();
        } catch (error) {
          this.#onHandlerError(error);
        }
      }
      return;
    }
  }

  /** True once the handler saw `end`. */
  get endDelivered(): boolean {
    return this.#endDelivered;
  }

  #call(handlers: ConnectionHandlers, chunk: Uint8Array): void {
    try {
      handlers.data(chunk);
    } catch (error) {
      this.#onHandlerError(error);
    }
  }

  #deliverClose(): void {
    const handlers = this.#handlers!;
    const error = this.#closeError;
    queueMicrotask(() => {
      try {
        handlers.close(error);
      } catch (thrown) {
        // Nothing is left to close: report, but never crash the server over one connection.
        console.error("Connection close handler threw", thrown);
      }
    });
  }
}

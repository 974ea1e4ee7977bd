/**
 * Helpers for the network conformance cases: a connection wrapped so a test can await its
 * bytes, its `end` and its `close`.
 *
 * @module
 */

import type { RuntimeError } from "../../lib/errors.ts";
import type { Connection, Runtime } from "../../lib/runtime.ts";

/** A started connection that records what its handlers saw. */
export interface Probe {
  conn: Connection;
  /** Every chunk received, in order. */
  chunks: Uint8Array[];
  /** Total bytes received. */
  received: number;
  /** How many times `end` was delivered. */
  ends: number;
  /** How many times `close` was delivered. */
  closes: number;
  /** Resolves at the first `end`. */
  ended: Promise<void>;
  /** Resolves with the close error at the first `close`. */
  closed: Promise<RuntimeError | undefined>;
  /** Resolves once at least `count` bytes arrived. */
  receivedAtLeast(count: number): Promise<void>;
  /** Everything received, concatenated. */
  bytes(): Uint8Array;
  /** Everything received, as UTF-8 text. */
  text(): string;
}

/** Starts `conn` with recording handlers; `onData` runs after each chunk is recorded. */
export function probe(conn: Connection, onData?: (chunk: Uint8Array) => void): Probe {
  let resolveEnded!: () => void;
  let resolveClosed!: (error: RuntimeError | undefined) => void;
  const waiters: { count: number; resolve: () => void }[] = [];
  const result: Probe = {
    conn,
    chunks: [],
    received: 0,
    ends: 0,
    closes: 0,
    ended: new Promise((resolve) => resolveEnded = resolve),
    closed: new Promise((resolve) => resolveClosed = resolve),
    receivedAtLeast(count: number): Promise<void> {
      if (result.received >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    bytes(): Uint8Array {
      const all = new Uint8Array(result.received);
      let offset = 0;
      for (const chunk of result.chunks) {
        all.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return all;
    },
    text(): string {
      return new TextDecoder().decode(result.bytes());
    },
  };
  conn.start({
    data(chunk) {
      result.chunks.push(chunk);
      result.received += chunk.byteLength;
      for (const waiter of waiters.filter((w) => result.received >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      onData?.(chunk);
    },
    end() {
      result.ends++;
      resolveEnded();
    },
    close(error) {
      result.closes++;
      resolveClosed(error);
    },
  });
  return result;
}

/** Listens on an ephemeral loopback port and hands each connection to `onConnection`. */
export async function listenLoopback(
  runtime: Runtime,
  onConnection: (conn: Connection) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  return await runtime.listen({ hostname: "127.0.0.1", port: 0 }, onConnection);
}

/** An echo server: each connection writes back what it reads and ends when the peer ends. */
export function echo(conn: Connection): void {
  conn.start({
    data: (chunk) => {
      conn.write(chunk);
    },
    end: () => conn.end(),
    close: () => {},
  });
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * `promise`, or a rejection naming `what` after `ms`: a lost event fails its test with a reason
 * instead of hanging the run (Deno's node:test does not enforce a test's `timeout`).
 */
export function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what()} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

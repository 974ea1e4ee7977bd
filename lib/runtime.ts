/**
 * The one port through which `lib/` reaches sockets and files (DESIGN.md §3). Each runtime has
 * an adapter in `adapters/` that implements it with that runtime's own APIs; `lib/` never
 * touches `Deno`, `Bun` or `node:*` directly.
 *
 * Every failure surfaces as a {@linkcode RuntimeError} carrying a POSIX-style code.
 *
 * @module
 */

import type { RuntimeError } from "./errors.ts";

/** Where to listen: `port` 0 asks the system for a free port, reported by the listener. */
export interface ListenOptions {
  /** Interface to bind, e.g. `"127.0.0.1"` or `"0.0.0.0"`. */
  hostname: string;
  /** Port to bind, 0 to 65535; 0 picks a free one. Anything else is a RangeError. */
  port: number;
}

/** Where to connect. */
export interface ConnectOptions {
  /** Host name or address to dial. */
  hostname: string;
  /** Port to dial, 1 to 65535 (else RangeError). */
  port: number;
  /** Give up with `ETIMEDOUT` after this many milliseconds (default: the system's). */
  timeoutMs?: number;
}

/** A bound TCP listener. */
export interface Listener {
  /** The bound interface. */
  readonly hostname: string;
  /** The bound port (the one chosen, when 0 was asked). */
  readonly port: number;
  /** Stops accepting; resolves once the port is free again. Accepted connections stay open. */
  close(): Promise<void>;
}

/** Callbacks a {@linkcode Connection} delivers its events to. */
export interface ConnectionHandlers {
  /**
   * Bytes arrived. From this call on the chunk belongs to the receiver: the adapter never
   * reuses or mutates its memory, so a decoder may keep views into it without copying.
   */
  data(chunk: Uint8Array): void;
  /** The peer half-closed (sent FIN): no more data will arrive; writing may go on. */
  end(): void;
  /**
   * The connection is fully closed; called exactly once. `error` is set when a failure such as
   * `ECONNRESET` closed it, undefined for an orderly close by either side. If a `data` or `end`
   * handler throws, the connection is closed with code `EUNKNOWN` and the thrown value as `cause`.
   */
  close(error: RuntimeError | undefined): void;
}

/**
 * An accepted or dialled TCP connection: a byte stream in both directions, with backpressure
 * on writes (`write` returns false, `drained()` waits) and on reads (`pause`/`resume`).
 * Adapters disable Nagle's algorithm: replies are already batched per event-loop turn.
 */
export interface Connection {
  /** The peer's address as `host:port`. */
  readonly remoteAddress: string;
  /** The local address as `host:port`. */
  readonly localAddress: string;
  /** Bytes queued by `write` and not yet handed to the kernel. */
  readonly bufferedBytes: number;
  /**
   * Installs the handlers and starts reading. Call once; nothing is read before it.
   */
  start(handlers: ConnectionHandlers): void;
  /**
   * Queues bytes to send, in order. The caller must not mutate `bytes` afterwards. Returns
   * false once `bufferedBytes` exceeds the adapter's high-water mark: the caller should wait for
   * {@linkcode Connection.drained} before writing more. Writing after `end()` or close is
   * ignored and returns false; `drained()` after such a refused write resolves no sooner than the
   * next event-loop turn.
   */
  write(bytes: Uint8Array): boolean;
  /** Resolves when every queued byte has been handed to the kernel, or the connection closed. */
  drained(): Promise<void>;
  /** Stops reading until `resume()` (read-side backpressure). */
  pause(): void;
  /** Resumes reading after `pause()`. */
  resume(): void;
  /** Half-closes: sends FIN after the queued bytes; reading goes on until the peer closes. */
  end(): void;
  /**
   * Closes both directions now, dropping queued bytes. Idempotent. As with close(2), the peer
   * sees a reset instead of a FIN if received bytes were left unread.
   */
  close(): void;
}

/** How to open a file. `create`, `createNew` and `truncate` require `write` (else TypeError). */
export interface OpenOptions {
  /** Open for reading. */
  read?: boolean;
  /** Open for writing. */
  write?: boolean;
  /** Create the file if it does not exist. */
  create?: boolean;
  /** Fail with `EEXIST` if the file exists (with `create`). */
  createNew?: boolean;
  /** Truncate to zero length on open. */
  truncate?: boolean;
}

/** Facts about a path. */
export interface FileInfo {
  /** Size in bytes. */
  size: number;
  /** A regular file. */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
}

/**
 * An open file. Positions are byte offsets from the start of the file. Operations on one handle
 * run one at a time, in call order.
 */
export interface FileHandle {
  /**
   * Reads up to `buffer.length` bytes at `position` into `buffer`; resolves to the count read,
   * less than asked only at end of file (0 past it).
   */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** Writes all of `data` at `position` (the file grows as needed). */
  write(data: Uint8Array, position: number): Promise<void>;
  /**
   * Writes all of `data` at `position` synchronously, if no other operation on this handle is
   * in flight; returns false, having done nothing, if one is (or `data` is too large to write
   * without blocking the event loop for long). A write into the page cache takes microseconds,
   * less than an async call's round trip; this lets a caller that needs no fsync skip the
   * promise too. Throws a `RuntimeError` if the write fails.
   */
  writeNow(data: Uint8Array, position: number): boolean;
  /** Sets the file's length, cutting or zero-extending it. */
  truncate(size: number): Promise<void>;
  /** Makes written data durable (fdatasync: data and the metadata needed to read it). */
  datasync(): Promise<void>;
  /**
   * As `datasync`, but on the calling thread: blocks the event loop until the data is durable,
   * as Redis's `appendfsync always` does. Returns false, having done nothing, if another
   * operation on this handle is in flight. Throws a `RuntimeError` if the sync fails.
   */
  datasyncNow(): boolean;
  /** Makes written data and all metadata durable (fsync). */
  sync(): Promise<void>;
  /** The current size in bytes. */
  size(): Promise<number>;
  /** Closes the handle. */
  close(): Promise<void>;
}

/** Every file operation a log needs. Paths use `/` separators. */
export interface FileSystem {
  /** Opens a file; `ENOENT` if it is missing and `create` is not set. */
  open(path: string, options: OpenOptions): Promise<FileHandle>;
  /** Reads a whole (small) file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Facts about a path; `ENOENT` if missing. */
  stat(path: string): Promise<FileInfo>;
  /** The names (not paths) of a directory's entries, sorted. */
  readDir(path: string): Promise<string[]>;
  /** Creates a directory and any missing parents (`mkdir -p`); no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Renames atomically, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or an empty directory; `recursive` removes a tree. `ENOENT` if missing. */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Fsyncs a directory so that entries created, renamed or removed in it are durable. */
  syncDir(path: string): Promise<void>;
}

/**
 * Sockets and files for one runtime. Obtain one from an adapter:
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/deno";
 * const runtime = createRuntime();
 * const listener = await runtime.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
 *   conn.start({ data: (chunk) => conn.write(chunk), end: () => conn.end(), close: () => {} });
 * });
 * console.log(`echo server on port ${listener.port}`);
 * ```
 */
export interface Runtime {
  /** Which runtime this adapter runs on. */
  readonly name: "deno" | "bun" | "node" | "memory";
  /** Binds a TCP listener; `onConnection` receives each accepted connection. */
  listen(options: ListenOptions, onConnection: (conn: Connection) => void): Promise<Listener>;
  /** Opens a TCP connection. */
  connect(options: ConnectOptions): Promise<Connection>;
  /** File operations. */
  readonly fs: FileSystem;
}

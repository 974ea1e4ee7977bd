/**
 * The {@linkcode Runtime} port on Deno: `Deno.listen`, `Deno.connect` and `Deno.open`.
 *
 * Importing this module has no side effects, so it loads under Bun and Node too; only
 * `createRuntime()` touches the `Deno` global.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/deno";
 * const runtime = createRuntime();
 * const listener = await runtime.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
 *   conn.start({ data: (chunk) => conn.write(chunk), end: () => conn.end(), close: () => {} });
 * });
 * ```
 *
 * @module
 */

import { RuntimeError } from "../lib/errors.ts";
import type {
  Connection,
  ConnectionHandlers,
  ConnectOptions,
  FileHandle,
  FileInfo,
  FileSystem,
  Listener,
  ListenOptions,
  OpenOptions,
  Runtime,
} from "../lib/runtime.ts";
import { checkPort, formatAddress } from "./_address.ts";
import { Delivery } from "./_delivery.ts";
import { errorCodeOf, toRuntimeError } from "./_errors.ts";
import { checkOffset, checkOpenOptions, FileQueue, SYNC_WRITE_BYTES_MAX } from "./_file_queue.ts";
import { nextTurn, Waiters, WRITE_HIGH_WATER_BYTES, WriteQueue } from "./_write_queue.ts";

/** Size of each read buffer, which successive reads fill front to back. */
const READ_BYTES = 64 * 1024;
/** A read buffer with less room than this left is retired and a fresh one started. */
const READ_ROOM_MIN = 16 * 1024;

/** The port this adapter implements, for callers that import only the adapter. */
export type * from "../lib/runtime.ts";
export { RuntimeError, type RuntimeErrorCode, type RuntimeErrorOptions } from "../lib/errors.ts";

/**
 * Creates the Deno runtime adapter.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/deno";
 * const file = await createRuntime().fs.open("data/log", { read: true });
 * ```
 */
export function createRuntime(): Runtime {
  return { name: "deno", listen, connect, fs: denoFileSystem };
}

function listen(
  options: ListenOptions,
  onConnection: (conn: Connection) => void,
): Promise<Listener> {
  try {
    checkPort(options.port, true);
  } catch (error) {
    return Promise.reject(error);
  }
  const target = formatAddress(options.hostname, options.port);
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
  } catch (error) {
    return Promise.reject(toRuntimeError(error, "listen on", target));
  }
  const state = { closed: false };
  const accepting = acceptLoop(listener, state, onConnection);
  const address = listener.addr;
  return Promise.resolve({
    hostname: address.hostname,
    port: address.port,
    async close(): Promise<void> {
      if (!state.closed) {
        state.closed = true;
        try {
          listener.close();
        } catch {
          // Already closed.
        }
      }
      // Deno releases the socket only once the pending accept is cancelled; until then the
      // kernel still completes handshakes, and dialers get a reset instead of a refusal.
      await accepting;
    },
  });
}

/** Accepts until the listener closes; a failed accept (EMFILE ...) backs off and retries. */
async function acceptLoop(
  listener: Deno.TcpListener,
  state: { closed: boolean },
  onConnection: (conn: Connection) => void,
): Promise<void> {
  while (!state.closed) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch {
      if (state.closed) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const connection = new DenoConnection(conn);
    try {
      onConnection(connection);
    } catch (error) {
      connection.close();
      console.error("Listener connection handler threw", error);
    }
  }
}

async function connect(options: ConnectOptions): Promise<Connection> {
  checkPort(options.port, false);
  const target = formatAddress(options.hostname, options.port);
  const { timeoutMs } = options;
  const controller = timeoutMs === undefined ? undefined : new AbortController();
  const timer = controller === undefined
    ? undefined
    : setTimeout(() => controller.abort(), timeoutMs);
  try {
    const conn = await Deno.connect({
      hostname: options.hostname,
      port: options.port,
      transport: "tcp",
      ...(controller === undefined ? {} : { signal: controller.signal }),
    });
    return new DenoConnection(conn);
  } catch (error) {
    if (controller?.signal.aborted) {
      throw new RuntimeError("ETIMEDOUT", `Cannot connect to ${target} within ${timeoutMs} ms`, {
        cause: error,
        path: target,
      });
    }
    throw toRuntimeError(error, "connect to", target);
  } finally {
    clearTimeout(timer);
  }
}

/** A `Deno.TcpConn` behind the port: a read loop, a write queue, and the close bookkeeping. */
class DenoConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #conn: Deno.TcpConn;
  #queue = new WriteQueue();
  #drainWaiters = new Waiters();
  #refused = false;
  #delivery: Delivery;
  #readBuffer: Uint8Array | undefined;
  /** Where the next read goes in `#readBuffer`: bytes before it were handed to the receiver. */
  #readOffset = 0;
  #wakeReader: (() => void) | undefined;
  #flushing = false;
  #ending = false;
  #writeEnded = false;
  #readEnded = false;
  #finished = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.remoteAddress = formatAddress(conn.remoteAddr.hostname, conn.remoteAddr.port);
    this.localAddress = formatAddress(conn.localAddr.hostname, conn.localAddr.port);
    this.#delivery = new Delivery((error) => this.#finish(handlerError(error)));
    try {
      conn.setNoDelay(true);
    } catch {
      // A connection reset before this point reports itself on the first read.
    }
  }

  get bufferedBytes(): number {
    return this.#queue.bytes;
  }

  start(handlers: ConnectionHandlers): void {
    this.#delivery.start(handlers);
    if (!this.#finished) void this.#readLoop();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#finished || this.#ending) {
      this.#refused = true;
      return false;
    }
    this.#queue.push(bytes);
    if (!this.#flushing) void this.#flush();
    return this.#queue.bytes <= WRITE_HIGH_WATER_BYTES;
  }

  drained(): Promise<void> {
    // After a refused write, yield a turn first: see `nextTurn`.
    if (this.#refused) return nextTurn().then(() => this.#whenFlushed());
    return this.#whenFlushed();
  }

  #whenFlushed(): Promise<void> {
    if (this.#finished || this.#queue.bytes === 0) return Promise.resolve();
    return this.#drainWaiters.wait();
  }

  pause(): void {
    this.#delivery.pause();
  }

  resume(): void {
    this.#delivery.resume();
    this.#wakeReader?.();
    this.#finishIfDone();
  }

  end(): void {
    if (this.#finished || this.#ending) return;
    this.#ending = true;
    if (!this.#flushing) void this.#closeWrite();
  }

  close(): void {
    this.#finish(undefined);
  }

  async #readLoop(): Promise<void> {
    while (!this.#finished) {
      if (this.#delivery.paused) {
        await new Promise<void>((resolve) => this.#wakeReader = resolve);
        this.#wakeReader = undefined;
        continue;
      }
      let buffer = this.#readBuffer;
      if (buffer === undefined || buffer.byteLength - this.#readOffset < READ_ROOM_MIN) {
        buffer = this.#readBuffer = new Uint8Array(READ_BYTES);
        this.#readOffset = 0;
      }
      const offset = this.#readOffset;
      let count: number | null;
      try {
        count = await this.#conn.read(
          offset === 0 ? buffer : new Uint8Array(buffer.buffer, offset, buffer.byteLength - offset),
        );
      } catch (error) {
        this.#fail(error, "read from");
        return;
      }
      if (this.#finished) return;
      if (count === null) {
        await this.#onEndOfStream();
        return;
      }
      // The receiver owns the bytes it gets, and nothing is ever read over them: the next read
      // goes after them. (A copy of each small read cost 450-570 ns on Deno, whose typed arrays
      // all live off the V8 heap: a backing store allocated and later freed per request at -P 1.)
      this.#readOffset = offset + count;
      this.#delivery.data(new Uint8Array(buffer.buffer, offset, count));
    }
  }

  /**
   * Deno reports a peer's reset (RST) to a reader as end of stream, like a FIN. An empty send
   * tells them apart: it succeeds on a half-closed connection and fails with EPIPE on a reset
   * one. Skipped while a flush is under way: that write fails by itself on a reset connection
   * (and the probe would wait behind it). Once we sent our own FIN the probe cannot work, and a
   * reset then closes quietly.
   */
  async #onEndOfStream(): Promise<void> {
    if (!this.#writeEnded && !this.#flushing) {
      try {
        await this.#conn.write(new Uint8Array(0));
      } catch (error) {
        if (this.#finished) return;
        const reset = new RuntimeError("ECONNRESET", `Connection reset by ${this.remoteAddress}`, {
          cause: error,
          path: this.remoteAddress,
        });
        this.#finish(reset);
        return;
      }
    }
    if (this.#finished) return;
    this.#readEnded = true;
    this.#delivery.end();
    this.#finishIfDone();
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    for (let chunk = this.#queue.next(); chunk !== undefined; chunk = this.#queue.next()) {
      let count: number;
      try {
        count = await this.#conn.write(chunk);
      } catch (error) {
        this.#fail(error, "write to");
        return;
      }
      if (this.#finished) return;
      this.#queue.consume(count);
    }
    this.#flushing = false;
    this.#drainWaiters.resolveAll();
    if (this.#ending) await this.#closeWrite();
  }

  async #closeWrite(): Promise<void> {
    if (this.#writeEnded || this.#finished) return;
    this.#writeEnded = true;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      // The peer may already be gone entirely; that is an orderly enough end for a FIN.
      if (errorCodeOf(error) !== "ECLOSED") this.#fail(error, "half-close");
    }
    this.#finishIfDone();
  }

  /** Both directions ended and the handler saw `end`: the connection closed in good order. */
  #finishIfDone(): void {
    if (this.#readEnded && this.#writeEnded && this.#delivery.endDelivered) {
      this.#finish(undefined);
    }
  }

  #fail(error: unknown, action: string): void {
    if (this.#finished) return;
    this.#finish(toRuntimeError(error, action, this.remoteAddress));
  }

  #finish(error: RuntimeError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    this.#queue.clear();
    this.#drainWaiters.resolveAll();
    this.#wakeReader?.();
    this.#delivery.close(error);
  }
}

/** The error a connection closes with when one of its handlers threw. */
function handlerError(error: unknown): RuntimeError {
  return new RuntimeError("EUNKNOWN", "Connection handler threw", { cause: error });
}

/** A `Deno.FsFile` with positional operations, serialized because they share one cursor. */
class DenoFileHandle implements FileHandle {
  #file: Deno.FsFile;
  #path: string;
  #queue = new FileQueue();
  /**
   * Where the file's cursor is after the last synchronous write, or -1 when unknown: a log
   * appends where its last write ended, and skipping the seek then saves a syscall per write.
   */
  #cursor = -1;

  constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    checkOffset(position, "position");
    return await this.#run("read", async () => {
      this.#cursor = -1;
      await this.#file.seek(position, Deno.SeekMode.Start);
      let total = 0;
      while (total < buffer.byteLength) {
        const count = await this.#file.read(buffer.subarray(total));
        if (count === null) break;
        total += count;
      }
      return total;
    });
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    checkOffset(position, "position");
    if (data.byteLength <= SYNC_WRITE_BYTES_MAX) {
      // A small write lands in the page cache in microseconds; the async op's round trip
      // through Deno's thread pool costs 40-50 µs, more than the write itself. It still runs in
      // queue order, so it never races the shared cursor.
      return await this.#run("write", () => {
        this.#writeAll(data, position);
        return Promise.resolve();
      });
    }
    return await this.#run("write", async () => {
      this.#cursor = -1;
      await this.#file.seek(position, Deno.SeekMode.Start);
      let total = 0;
      while (total < data.byteLength) total += await this.#file.write(data.subarray(total));
    });
  }

  writeNow(data: Uint8Array, position: number): boolean {
    checkOffset(position, "position");
    // Only with nothing in flight: a queued read or write between its seek and its transfer
    // would otherwise have its cursor moved.
    if (!this.#queue.idle || data.byteLength > SYNC_WRITE_BYTES_MAX) return false;
    try {
      this.#writeAll(data, position);
    } catch (error) {
      throw toRuntimeError(error, "write", this.#path);
    }
    return true;
  }

  /** Seek (unless the cursor is already there), then write until all of `data` is written. */
  #writeAll(data: Uint8Array, position: number): void {
    if (this.#cursor !== position) {
      this.#cursor = -1;
      this.#file.seekSync(position, Deno.SeekMode.Start);
    }
    this.#cursor = -1;
    let total = 0;
    while (total < data.byteLength) total += this.#file.writeSync(data.subarray(total));
    this.#cursor = position + total;
  }

  async truncate(size: number): Promise<void> {
    checkOffset(size, "size");
    return await this.#run("truncate", () => this.#file.truncate(size));
  }

  datasync(): Promise<void> {
    return this.#run("datasync", () => this.#file.syncData());
  }

  datasyncNow(): boolean {
    if (!this.#queue.idle) return false;
    try {
      this.#file.syncDataSync();
    } catch (error) {
      throw toRuntimeError(error, "datasync", this.#path);
    }
    return true;
  }

  sync(): Promise<void> {
    return this.#run("sync", () => this.#file.sync());
  }

  size(): Promise<number> {
    return this.#run("stat", async () => (await this.#file.stat()).size);
  }

  close(): Promise<void> {
    return this.#run("close", () => Promise.resolve(this.#file.close()));
  }

  async #run<T>(action: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.#queue.run(operation);
    } catch (error) {
      throw toRuntimeError(error, action, this.#path);
    }
  }
}

/** Runs a path operation, translating its failure. */
async function onPath<T>(action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toRuntimeError(error, action, path);
  }
}

const denoFileSystem: FileSystem = {
  async open(path: string, options: OpenOptions): Promise<FileHandle> {
    checkOpenOptions(options);
    const write = options.write ?? false;
    const read = options.read ?? !write;
    return await onPath("open", path, async () => {
      const file = await Deno.open(path, {
        read,
        write,
        create: options.create ?? false,
        createNew: options.createNew ?? false,
        truncate: options.truncate ?? false,
      });
      return new DenoFileHandle(file, path);
    });
  },
  readFile(path: string): Promise<Uint8Array> {
    return onPath("read", path, () => Deno.readFile(path));
  },
  stat(path: string): Promise<FileInfo> {
    return onPath("stat", path, async () => {
      const info = await Deno.stat(path);
      return { size: info.size, isFile: info.isFile, isDirectory: info.isDirectory };
    });
  },
  readDir(path: string): Promise<string[]> {
    return onPath("read directory", path, async () => {
      const names: string[] = [];
      for await (const entry of Deno.readDir(path)) names.push(entry.name);
      return names.sort();
    });
  },
  mkdir(path: string): Promise<void> {
    return onPath("create directory", path, () => Deno.mkdir(path, { recursive: true }));
  },
  rename(from: string, to: string): Promise<void> {
    return onPath("rename", `${from} to ${to}`, () => Deno.rename(from, to));
  },
  remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    return onPath(
      "remove",
      path,
      () => Deno.remove(path, { recursive: options.recursive ?? false }),
    );
  },
  syncDir(path: string): Promise<void> {
    return onPath("sync directory", path, async () => {
      const directory = await Deno.open(path, { read: true });
      try {
        await directory.sync();
      } finally {
        directory.close();
      }
    });
  },
};

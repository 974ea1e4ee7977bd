/**
 * The {@linkcode Runtime} port on Bun: `Bun.listen` and `Bun.connect` sockets, and
 * `node:fs/promises` for files (Bun has no positional file API of its own).
 *
 * Importing this module has no side effects, so it loads under Deno and Node too; only
 * `createRuntime()`'s methods touch the `Bun` global.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/bun";
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
  Listener,
  ListenOptions,
  Runtime,
} from "../lib/runtime.ts";
import { checkPort, formatAddress } from "./_address.ts";
import { Delivery } from "./_delivery.ts";
import { toRuntimeError } from "./_errors.ts";
import { nodeFileSystem } from "./_node_fs.ts";
import { nextTurn, Waiters, WRITE_HIGH_WATER_BYTES, WriteQueue } from "./_write_queue.ts";

/** The part of Bun's `Socket` this adapter uses (Bun's own types are not available here). */
interface BunSocket {
  /** Per-socket user data: the adapter's connection object. */
  data: BunConnection | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Bytes written to the kernel now (possibly fewer than given); -1 when closed. */
  write(data: Uint8Array): number;
  /** Sends FIN; reading goes on (with `allowHalfOpen`). */
  shutdown(): void;
  /**
   * Closes both directions now (FIN, or RST if unread bytes remain, as `close(2)` does).
   * Not `terminate()`: that always resets, so the peer would see ECONNRESET for an orderly close.
   */
  end(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
}

/** Bun's socket callbacks, shared by every socket of one listener or dial. */
interface BunSocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
  connectError?(socket: BunSocket, error: Error): void;
}

interface BunServer {
  readonly hostname: string;
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

declare const Bun: {
  listen(options: {
    hostname: string;
    port: number;
    allowHalfOpen: boolean;
    socket: BunSocketHandlers;
  }): BunServer;
  connect(options: {
    hostname: string;
    port: number;
    allowHalfOpen: boolean;
    socket: BunSocketHandlers;
  }): Promise<BunSocket>;
};

/** Reads up to this size are copied into a shared off-heap buffer (see `onData`). */
const CARVE_BYTES_MAX = 4096;
/** Size of that shared buffer. */
const CARVE_BUFFER_BYTES = 64 * 1024;

/** The port this adapter implements, for callers that import only the adapter. */
export type * from "../lib/runtime.ts";
export { RuntimeError, type RuntimeErrorCode, type RuntimeErrorOptions } from "../lib/errors.ts";

/**
 * Creates the Bun runtime adapter.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/bun";
 * const file = await createRuntime().fs.open("data/log", { read: true });
 * ```
 */
export function createRuntime(): Runtime {
  return { name: "bun", listen, connect, fs: nodeFileSystem };
}

/** Socket callbacks that forward to the socket's {@linkcode BunConnection}. */
function socketHandlers(onOpen: (connection: BunConnection) => void): BunSocketHandlers {
  return {
    open(socket) {
      // Nothing is read before `start`.
      socket.pause();
      const connection = new BunConnection(socket);
      socket.data = connection;
      onOpen(connection);
    },
    data: (socket, data) => socket.data?.onData(data),
    drain: (socket) => socket.data?.onDrain(),
    end: (socket) => socket.data?.onEnd(),
    close: (socket, error) => socket.data?.onClose(error),
    error: (socket, error) => socket.data?.onError(error),
    connectError: () => {
      // Bun.connect's promise rejects with the same error.
    },
  };
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
  let server: BunServer;
  try {
    server = Bun.listen({
      hostname: options.hostname,
      port: options.port,
      allowHalfOpen: true,
      socket: socketHandlers((connection) => {
        try {
          onConnection(connection);
        } catch (error) {
          connection.close();
          console.error("Listener connection handler threw", error);
        }
      }),
    });
  } catch (error) {
    return Promise.reject(toRuntimeError(error, "listen on", target));
  }
  let stopped = false;
  return Promise.resolve({
    hostname: server.hostname,
    port: server.port,
    close(): Promise<void> {
      if (!stopped) {
        stopped = true;
        // false: stop accepting, keep the accepted connections open.
        server.stop(false);
      }
      return Promise.resolve();
    },
  });
}

async function connect(options: ConnectOptions): Promise<Connection> {
  checkPort(options.port, false);
  const target = formatAddress(options.hostname, options.port);
  let dial: Promise<BunSocket>;
  try {
    dial = Bun.connect({
      hostname: options.hostname,
      port: options.port,
      allowHalfOpen: true,
      socket: socketHandlers(() => {}),
    });
  } catch (error) {
    throw toRuntimeError(error, "connect to", target);
  }
  const { timeoutMs } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    const socket = await Promise.race([dial, timeout]);
    if (socket === undefined) {
      // Too late: close whatever the dial still produces, and swallow its failure.
      dial.then((late) => late.end(), () => {});
      throw new RuntimeError("ETIMEDOUT", `Cannot connect to ${target} within ${timeoutMs} ms`, {
        path: target,
      });
    }
    return socket.data!;
  } catch (error) {
    throw toRuntimeError(error, "connect to", target);
  } finally {
    clearTimeout(timer);
  }
}

/** A Bun socket behind the port: Bun writes what the kernel takes; we queue the rest. */
class BunConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #socket: BunSocket;
  #queue = new WriteQueue();
  #drainWaiters = new Waiters();
  #refused = false;
  #delivery: Delivery;
  #error: RuntimeError | undefined;
  #ending = false;
  #writeEnded = false;
  #readEnded = false;
  #finished = false;
  /** The off-heap buffer small reads are copied into (see `onData`), and where the next goes. */
  #carved: Uint8Array | undefined;
  #carvedOffset = 0;

  constructor(socket: BunSocket) {
    this.#socket = socket;
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.#delivery = new Delivery((error) => {
      this.#fail(new RuntimeError("EUNKNOWN", "Connection handler threw", { cause: error }));
    });
    socket.setNoDelay(true);
  }

  get bufferedBytes(): number {
    return this.#queue.bytes;
  }

  start(handlers: ConnectionHandlers): void {
    this.#delivery.start(handlers);
    if (!this.#finished) this.#socket.resume();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#finished || this.#ending) {
      this.#refused = true;
      return false;
    }
    if (this.#queue.bytes === 0) {
      const written = this.#socket.write(bytes);
      if (written < 0) return false;
      if (written < bytes.byteLength) this.#queue.push(bytes.subarray(written));
    } else {
      this.#queue.push(bytes);
    }
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
    if (!this.#finished) this.#socket.pause();
  }

  resume(): void {
    this.#delivery.resume();
    if (!this.#finished) this.#socket.resume();
    this.#finishIfDone();
  }

  end(): void {
    if (this.#finished || this.#ending) return;
    this.#ending = true;
    if (this.#queue.bytes === 0) this.#shutdown();
  }

  close(): void {
    if (this.#finished) return;
    this.#socket.end();
    this.#finish();
  }

  /**
   * Bun's `data`: a fresh buffer per callback, but a small one lives on the JavaScriptCore heap,
   * and reading its `.buffer` (as we and the RESP decoder do) makes JSC give it an ArrayBuffer of
   * its own, an allocation per read. Small reads are copied into a shared off-heap buffer that
   * successive reads fill front to back (never over bytes handed out); large ones go as they are.
   */
  onData(data: Uint8Array): void {
    const length = data.byteLength;
    if (length > CARVE_BYTES_MAX) {
      this.#delivery.data(new Uint8Array(data.buffer, data.byteOffset, length));
      return;
    }
    let carved = this.#carved;
    if (carved === undefined || this.#carvedOffset + length > carved.byteLength) {
      carved = this.#carved = new Uint8Array(CARVE_BUFFER_BYTES);
      this.#carvedOffset = 0;
    }
    const offset = this.#carvedOffset;
    carved.set(data, offset);
    this.#carvedOffset = offset + length;
    this.#delivery.data(new Uint8Array(carved.buffer, offset, length));
  }

  /** The kernel took bytes: write more of the queue. */
  onDrain(): void {
    if (this.#finished) return;
    for (let chunk = this.#queue.next(); chunk !== undefined; chunk = this.#queue.next()) {
      const written = this.#socket.write(chunk);
      if (written < 0) return;
      this.#queue.consume(written);
      if (written < chunk.byteLength) return;
    }
    this.#drainWaiters.resolveAll();
    if (this.#ending) this.#shutdown();
  }

  onEnd(): void {
    this.#readEnded = true;
    this.#delivery.end();
    this.#finishIfDone();
  }

  onError(error: Error): void {
    this.#error ??= toRuntimeError(error, "use connection to", this.remoteAddress);
  }

  onClose(error: Error | undefined): void {
    if (this.#finished) return;
    if (error !== undefined) {
      this.onError(error);
    } else if (this.#writeEnded && !this.#readEnded) {
      // Once we sent FIN, Bun reports the peer's FIN as a plain close without `end`.
      this.#readEnded = true;
      this.#delivery.end();
    }
    this.#finish();
  }

  #shutdown(): void {
    if (this.#writeEnded || this.#finished) return;
    this.#writeEnded = true;
    // shutdown() sends FIN; careful: Bun's shutdown(true) shuts the read side instead.
    this.#socket.shutdown();
    this.#finishIfDone();
  }

  /** Both directions ended and the handler saw `end`: close in good order. */
  #finishIfDone(): void {
    if (!this.#finished && this.#readEnded && this.#writeEnded && this.#delivery.endDelivered) {
      this.close();
    }
  }

  #fail(error: RuntimeError): void {
    this.#error ??= error;
    this.close();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#queue.clear();
    this.#drainWaiters.resolveAll();
    this.#delivery.close(this.#error);
  }
}

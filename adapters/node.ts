/**
 * The {@linkcode Runtime} port on Node: `node:net` sockets and `node:fs/promises` files.
 *
 * Importing this module has no side effects, so it loads under Deno and Bun too.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/node";
 * const runtime = createRuntime();
 * const listener = await runtime.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
 *   conn.start({ data: (chunk) => conn.write(chunk), end: () => conn.end(), close: () => {} });
 * });
 * ```
 *
 * @module
 */

import * as net from "node:net";
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
import { nextTurn, Waiters, WRITE_HIGH_WATER_BYTES } from "./_write_queue.ts";

/** The port this adapter implements, for callers that import only the adapter. */
export type * from "../lib/runtime.ts";
export { RuntimeError, type RuntimeErrorCode, type RuntimeErrorOptions } from "../lib/errors.ts";

/**
 * Creates the Node runtime adapter.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/node";
 * const file = await createRuntime().fs.open("data/log", { read: true });
 * ```
 */
export function createRuntime(): Runtime {
  return { name: "node", listen, connect, fs: nodeFileSystem };
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
  // pauseOnConnect: nothing is read before `start`; allowHalfOpen: a peer's FIN does not end
  // our side (the port's `end` event lets us keep writing).
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  server.on("connection", (socket: net.Socket) => {
    const connection = new NodeConnection(socket);
    try {
      onConnection(connection);
    } catch (error) {
      connection.close();
      console.error("Listener connection handler threw", error);
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(toRuntimeError(error, "listen on", target));
    server.once("error", onError);
    server.listen({ host: options.hostname, port: options.port, exclusive: true }, () => {
      server.off("error", onError);
      // Errors after listening (EMFILE on accept) are retried by Node; never let them throw.
      server.on("error", () => {});
      const address = server.address() as net.AddressInfo;
      resolve(new NodeListener(server, address.address, address.port));
    });
  });
}

/** A `net.Server`; closing stops accepting and leaves accepted sockets open. */
class NodeListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  #server: net.Server;

  constructor(server: net.Server, hostname: string, port: number) {
    this.#server = server;
    this.hostname = hostname;
    this.port = port;
  }

  close(): Promise<void> {
    // server.close's callback waits for every accepted socket; the port is free right away.
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }
}

function connect(options: ConnectOptions): Promise<Connection> {
  try {
    checkPort(options.port, false);
  } catch (error) {
    return Promise.reject(error);
  }
  const target = formatAddress(options.hostname, options.port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.hostname,
      port: options.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    socket.pause();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(toRuntimeError(error, "connect to", target));
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(new NodeConnection(socket));
    });
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timer = setTimeout(() => {
        socket.off("error", onError);
        socket.on("error", () => {});
        socket.destroy();
        reject(
          new RuntimeError("ETIMEDOUT", `Cannot connect to ${target} within ${timeoutMs} ms`, {
            path: target,
          }),
        );
      }, timeoutMs);
    }
  });
}

/** A `net.Socket` behind the port. Node queues writes itself; we count and watch them. */
class NodeConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #socket: net.Socket;
  #delivery: Delivery;
  #drainWaiters = new Waiters();
  #closeWaiters = new Waiters();
  #refused = false;
  #pendingWrites = 0;
  #error: RuntimeError | undefined;
  #ending = false;
  #finished = false;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = formatAddress(socket.remoteAddress ?? "", socket.remotePort ?? 0);
    this.localAddress = formatAddress(socket.localAddress ?? "", socket.localPort ?? 0);
    this.#delivery = new Delivery((error) => {
      this.#error ??= new RuntimeError("EUNKNOWN", "Connection handler threw", { cause: error });
      this.close();
    });
    socket.setNoDelay(true);
    // Installed now so that an error before `start` is never an uncaught 'error' event.
    socket.on("error", (error: Error) => {
      this.#error ??= toRuntimeError(error, "use connection to", this.remoteAddress);
    });
    socket.on("close", () => this.#onClose());
  }

  get bufferedBytes(): number {
    return this.#finished ? 0 : this.#socket.writableLength;
  }

  start(handlers: ConnectionHandlers): void {
    this.#delivery.start(handlers);
    if (this.#finished) return;
    this.#socket.on("data", (chunk: Uint8Array) => {
      // A Buffer's slice() is a view, Uint8Array's a copy: hand out plain Uint8Arrays. Node
      // allocates a fresh buffer per read, so the memory is the receiver's already.
      this.#delivery.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    this.#socket.on("end", () => this.#delivery.end());
    this.#socket.resume();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#finished || this.#ending || this.#socket.destroyed) {
      this.#refused = true;
      return false;
    }
    this.#pendingWrites++;
    this.#socket.write(bytes, () => this.#onWritten());
    return this.#socket.writableLength <= WRITE_HIGH_WATER_BYTES;
  }

  drained(): Promise<void> {
    // After a refused write, yield a turn first: see `nextTurn`.
    if (this.#refused) return nextTurn().then(() => this.#whenFlushed());
    return this.#whenFlushed();
  }

  #whenFlushed(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    // Destroyed, 'close' not yet emitted: the socket will flush nothing more; wait for close.
    if (this.#socket.destroyed) return this.#closeWaiters.wait();
    if (this.#pendingWrites === 0) return Promise.resolve();
    return this.#drainWaiters.wait();
  }

  pause(): void {
    this.#delivery.pause();
    this.#socket.pause();
  }

  resume(): void {
    this.#delivery.resume();
    if (!this.#finished) this.#socket.resume();
  }

  end(): void {
    if (this.#finished || this.#ending) return;
    this.#ending = true;
    this.#socket.end();
  }

  close(): void {
    this.#socket.destroy();
  }

  /** A write's callback: its bytes reached the kernel (or the socket died). */
  #onWritten(): void {
    this.#pendingWrites--;
    if (this.#pendingWrites === 0) this.#drainWaiters.resolveAll();
  }

  #onClose(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#drainWaiters.resolveAll();
    this.#closeWaiters.resolveAll();
    this.#delivery.close(this.#error);
  }
}

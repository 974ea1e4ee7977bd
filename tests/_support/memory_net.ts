/**
 * An in-memory network for tests: connection pairs and a {@linkcode Runtime} whose `listen` and
 * `connect` meet in a process-local table. Faithful to the {@linkcode Connection} contract:
 * bytes arrive asynchronously (one macrotask per delivery, like a socket read), in order, as
 * chunks the receiver owns; `bufferedBytes` counts what the peer has not yet received; `write`
 * returns false past the high-water mark and `drained()` resolves once the queue is delivered;
 * `pause()` stops delivery (so the writer's buffer grows); `end()` sends FIN after queued bytes;
 * `close()` drops queued bytes; `close` is reported exactly once on each side.
 *
 * @module
 */

import { RuntimeError } from "../../lib/errors.ts";
import type {
  Connection,
  ConnectionHandlers,
  ConnectOptions,
  FileSystem,
  Listener,
  ListenOptions,
  Runtime,
} from "../../lib/runtime.ts";

type Task = () => void;
const setImmediateLike: (task: Task) => void =
  (globalThis as unknown as { setImmediate?: (task: Task) => void }).setImmediate ??
    ((task: Task) => setTimeout(task, 0));

/** Options for memory connections. */
export interface MemoryNetOptions {
  /** `write` returns false once more than this many bytes wait for the peer (default 64 KiB). */
  highWaterMark?: number;
  /** Deliver at most this many bytes per `data` call, splitting writes (default: no split). */
  readBytesMax?: number;
}

/** One end of an in-memory connection. */
export class MemoryConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** How many times `write` was called with a non-empty chunk (for flush-count assertions). */
  writes = 0;
  #peer!: MemoryConnection;
  readonly #highWaterMark: number;
  readonly #readBytesMax: number;
  #handlers: ConnectionHandlers | undefined;
  #outbox: Uint8Array[] = [];
  #buffered = 0;
  #paused = false;
  #pumpScheduled = false;
  #endQueued = false;
  #endSent = false;
  #endReceived = false;
  #closed = false;
  #closeReported = false;
  #drainWaiters: (() => void)[] = [];

  /** Use {@linkcode memoryPair}. */
  constructor(local: string, remote: string, options: MemoryNetOptions) {
    this.localAddress = local;
    this.remoteAddress = remote;
    this.#highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.#readBytesMax = options.readBytesMax ?? Infinity;
  }

  /** Links two ends (called by {@linkcode memoryPair}). */
  static link(a: MemoryConnection, b: MemoryConnection): void {
    a.#peer = b;
    b.#peer = a;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** True once this end has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  start(handlers: ConnectionHandlers): void {
    if (this.#handlers !== undefined) throw new TypeError("start() called twice");
    this.#handlers = handlers;
    this.#peer.#schedulePump();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#endQueued) return false;
    if (bytes.length === 0) return this.#buffered <= this.#highWaterMark;
    this.writes++;
    this.#outbox.push(bytes);
    this.#buffered += bytes.length;
    this.#schedulePump();
    return this.#buffered <= this.#highWaterMark;
  }

  drained(): Promise<void> {
    if (this.#buffered === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#peer.#schedulePump();
  }

  end(): void {
    if (this.#closed || this.#endQueued) return;
    this.#endQueued = true;
    this.#schedulePump();
  }

  close(): void {
    this.#shut(undefined, undefined);
  }

  /** Closes abruptly, as a peer's RST would: the other side sees `ECONNRESET`. */
  reset(): void {
    this.#shut(undefined, new RuntimeError("ECONNRESET", "Connection reset by peer"));
  }

  #shut(own: RuntimeError | undefined, peers: RuntimeError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox = [];
    this.#buffered = 0;
    this.#resolveDrain();
    setImmediateLike(() => this.#reportClose(own));
    this.#peer.#peerClosed(peers);
  }

  #peerClosed(error: RuntimeError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox = [];
    this.#buffered = 0;
    this.#resolveDrain();
    setImmediateLike(() => this.#reportClose(error));
  }

  #reportClose(error: RuntimeError | undefined): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#handlers?.close(error);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediateLike(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Delivers one chunk to the peer per macrotask, as a socket read would. */
  #pump(): void {
    const peer = this.#peer;
    if (this.#closed || peer.#handlers === undefined || peer.#paused) return;
    const chunk = this.#outbox.shift();
    if (chunk !== undefined) {
      let delivered = chunk;
      if (chunk.length > this.#readBytesMax) {
        delivered = chunk.subarray(0, this.#readBytesMax);
        this.#outbox.unshift(chunk.subarray(this.#readBytesMax));
      }
      this.#buffered -= delivered.length;
      if (this.#buffered === 0) this.#resolveDrain();
      if (this.#outbox.length > 0 || this.#endQueued) this.#schedulePump();
      peer.#handlers.data(delivered);
      return;
    }
    if (this.#endQueued && !this.#endSent) {
      this.#endSent = true;
      peer.#endReceived = true;
      peer.#handlers.end();
      // Both directions finished: the connection is over, as TCP would report.
      if (this.#endReceived) this.#shut(undefined, undefined);
    }
  }

  #resolveDrain(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

let nextPort = 40000;

/**
 * Creates a connected pair: what one end writes, the other receives.
 *
 * @example
 * ```ts ignore
 * const [client, server] = memoryPair();
 * ```
 */
export function memoryPair(options: MemoryNetOptions = {}): [MemoryConnection, MemoryConnection] {
  const port = nextPort++;
  const a = new MemoryConnection(`127.0.0.1:${port}`, "127.0.0.1:7481", options);
  const b = new MemoryConnection("127.0.0.1:7481", `127.0.0.1:${port}`, options);
  MemoryConnection.link(a, b);
  return [a, b];
}

const unsupported = (): Promise<never> =>
  Promise.reject(new RuntimeError("EINVAL", "The memory runtime has no file system"));

/** A {@linkcode Runtime} over {@linkcode memoryPair}; the file system is not supported. */
export class MemoryRuntime implements Runtime {
  readonly name = "memory" as const;
  readonly #options: MemoryNetOptions;
  readonly #listeners = new Map<string, (conn: Connection) => void>();
  readonly fs: FileSystem = {
    open: unsupported,
    readFile: unsupported,
    stat: unsupported,
    readDir: unsupported,
    mkdir: unsupported,
    rename: unsupported,
    remove: unsupported,
    syncDir: unsupported,
  };

  /** @param options Applied to every connection. */
  constructor(options: MemoryNetOptions = {}) {
    this.#options = options;
  }

  listen(options: ListenOptions, onConnection: (conn: Connection) => void): Promise<Listener> {
    const port = options.port === 0 ? nextPort++ : options.port;
    const key = `${options.hostname}:${port}`;
    if (this.#listeners.has(key)) {
      return Promise.reject(new RuntimeError("EADDRINUSE", `Address in use: ${key}`));
    }
    this.#listeners.set(key, onConnection);
    const listeners = this.#listeners;
    return Promise.resolve({
      hostname: options.hostname,
      port,
      close: () => {
        listeners.delete(key);
        return Promise.resolve();
      },
    });
  }

  connect(options: ConnectOptions): Promise<MemoryConnection> {
    const key = `${options.hostname}:${options.port}`;
    const onConnection = this.#listeners.get(key);
    if (onConnection === undefined) {
      return Promise.reject(new RuntimeError("ECONNREFUSED", `Connection refused: ${key}`));
    }
    const [client, server] = memoryPair(this.#options);
    setImmediateLike(() => onConnection(server));
    return Promise.resolve(client);
  }
}

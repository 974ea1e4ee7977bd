/**
 * The RESP server skeleton: listen, accept, serve each connection with a {@linkcode Session}.
 *
 * @module
 */

import type { Runtime } from "../runtime.ts";
import type { RespDecoderOptions } from "../resp/decoder.ts";
import { OUTPUT_BYTES_MAX_DEFAULT } from "../resp/reply_queue.ts";
import { createCommandTable } from "./builtins.ts";
import type { CommandTable } from "./command_table.ts";
import { Session } from "./session.ts";

/** Default bound on commands awaiting an asynchronous reply, per connection. */
export const INFLIGHT_MAX_DEFAULT = 1024;

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** Interface to bind (default `127.0.0.1`). */
  hostname?: string;
  /** Port to bind (default 0: any free port, reported as {@linkcode Server.port}). */
  port?: number;
  /** The commands (default: {@linkcode createCommandTable}'s built-ins). */
  commands?: CommandTable;
  /** Request limits (default: Redis's). */
  decoder?: RespDecoderOptions;
  /** Close a connection whose pending output passes this many bytes (default 64 MiB). */
  outputBytesMax?: number;
  /** Stop reading from a connection with this many replies pending (default 1024). */
  inflightMax?: number;
  /**
   * How replies are batched (default `queueMicrotask`). A microtask runs when the current task
   * — the socket read that decoded a batch of pipelined requests — has finished, so every
   * synchronous reply of that batch leaves in one write, with no added latency; a timer
   * (`setTimeout(0)` is clamped to 1 ms or more on some runtimes) would cost latency at pipeline
   * depth 1, and `setImmediate` is not on every runtime's global scope.
   */
  scheduleFlush?: (flush: () => void) => void;
  /** Told about handler exceptions and protocol errors, for logging. */
  onError?: (error: unknown, session: Session) => void;
  /**
   * The error reply (without the leading `-`) for a handler that threw or rejected with
   * `error` while running `command` (its first argument). Default: `ERR <message>`.
   */
  errorReply?: (error: unknown, command: Uint8Array) => string;
  /** Told of each new connection before it is read; return false to close it at once. */
  onConnect?: (session: Session) => boolean;
  /** Told when a connection is gone, with the error that closed it, if any. */
  onDisconnect?: (session: Session, error: unknown) => void;
}

/** A running server. */
export interface Server {
  /** The bound interface. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** The command table (register more commands on it at any time). */
  readonly commands: CommandTable;
  /** Open client connections. */
  readonly connections: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Serves RESP on a TCP port: decodes requests, dispatches them through the command table and
 * answers in order, on any runtime's {@linkcode Runtime}.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "../../adapters/auto.ts";
 * const server = await serve(createRuntime(), { port: 7481 });
 * console.log(`listening on ${server.hostname}:${server.port}`);
 * ```
 */
export async function serve(runtime: Runtime, options: ServeOptions = {}): Promise<Server> {
  const commands = options.commands ?? createCommandTable();
  const sessions = new Set<Session>();
  let nextId = 1;
  const sessionOptions = {
    commands,
    scheduleFlush: options.scheduleFlush ?? queueMicrotask,
    decoder: options.decoder ?? {},
    outputBytesMax: options.outputBytesMax ?? OUTPUT_BYTES_MAX_DEFAULT,
    inflightMax: options.inflightMax ?? INFLIGHT_MAX_DEFAULT,
    onError: options.onError,
    errorReply: options.errorReply,
    onClose: (session: Session, error: unknown) => {
      sessions.delete(session);
      options.onDisconnect?.(session, error);
    },
  };
  const listener = await runtime.listen(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0 },
    (connection) => {
      const session = new Session(connection, nextId++, sessionOptions);
      if (options.onConnect !== undefined && !options.onConnect(session)) {
        connection.close();
        return;
      }
      sessions.add(session);
      session.start();
    },
  );
  return {
    hostname: listener.hostname,
    port: listener.port,
    commands,
    get connections() {
      return sessions.size;
    },
    async close() {
      await listener.close();
      for (const session of sessions) session.close();
      sessions.clear();
    },
  };
}

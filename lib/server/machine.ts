/**
 * What a user implements (a {@linkcode Machine}) and what the framework hands it (an
 * {@linkcode Applier}), with Finn's semantics made async-friendly.
 *
 * ## How a command flows
 * 1. A client's command reaches `machine.command(applier, conn, cmd)` on the node it is
 *    connected to.
 * 2. The machine calls `applier.apply(conn, cmd, mutate, respond)`:
 *    - with a `mutate` (a write): the command's bytes go through the Raft log; when the entry
 *      commits, the node the client is connected to runs the `mutate` it was given (its closure
 *      still holds `conn`), and every other node calls `machine.command(applier, null, cmd)`
 *      again, which calls `apply(null, ...)`, which runs that node's `mutate()` (so does the
 *      receiving node when it replays its log after a restart). On the node the client is
 *      connected to, `respond(result)` then runs with what `mutate` returned. An error thrown by
 *      `mutate` becomes the client's error reply (the entry stays committed: every node ran the
 *      same `mutate` and got the same error, so there is nothing to roll back);
 *    - with `mutate` null (a read): the node checks the read consistency level, then calls
 *      `respond(undefined)` locally, where the machine reads its state.
 * 3. A command that never calls `apply` runs only on the node that received it (node-local
 *    commands: diagnostics, local caches).
 *
 * `mutate` must be deterministic: it runs on every node, in log order, one at a time, and must
 * depend only on the machine's state and the command's arguments (not on `conn`). It may keep
 * views of `cmd.args` until it runs: the framework never reuses the bytes they point into.
 *
 * ## Snapshots and writes
 * `snapshot(writer)` is called between two applied entries. Applying is paused until the
 * promise it returns resolves, so the machine sees a still state while it streams; commands keep
 * being replicated and committed meanwhile and are applied, in order, right after. Nothing is
 * lost, but replies to writes wait for the snapshot: keep `snapshot` fast, or capture a copy of
 * the state synchronously and return quickly.
 *
 * @module
 */

import type { Logger } from "./logger.ts";

/** One command: its arguments as received, the first being the command name. */
export interface Command {
  /** The arguments; `args[0]` is the command name as the client sent it. */
  readonly args: readonly Uint8Array[];
  /** The command name in lower case, for dispatch. */
  readonly name: string;
}

/** The reply methods a machine uses to answer a client (RESP2/RESP3 chosen per connection). */
export interface ReplyWriter {
  /** A simple string: `+OK`. */
  writeString(value: string): void;
  /** An error: `-ERR message` (the caller includes the prefix word). */
  writeError(message: string): void;
  /** An integer: `:42`. */
  writeInt(value: number | bigint): void;
  /** A bulk string. */
  writeBulk(value: Uint8Array | string): void;
  /** The null reply. */
  writeNull(): void;
  /** An array header: the next `length` replies are its elements. */
  writeArray(length: number): void;
}

/** Writes a snapshot's bytes. */
export interface SnapshotWriter {
  /** Appends bytes (a string is written as UTF-8). */
  write(chunk: Uint8Array | string): Promise<void>;
}

/** Reads a snapshot's bytes, as written, in chunks. */
export interface SnapshotReader extends AsyncIterable<Uint8Array> {
  /** Reads everything that is left into one array (convenient for small machines). */
  readAll(): Promise<Uint8Array>;
}

/** What a machine's handler may return: nothing, or a promise of nothing. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Passed to every `machine.command` call: routes a command through the Raft log (`apply`).
 */
export interface Applier {
  /**
   * Runs a command with the framework's replication and consistency rules (see the module
   * doc). `conn` is null when the framework replays a committed entry.
   *
   * Return its result from `command`, or await it. For a write on the node that received it,
   * the result is a promise in all but identity: it has `then`, `catch` and `finally` and
   * settles with what `mutate` returned (or its error), but it is not `instanceof Promise`.
   * The framework learns of its completion without a promise; one is made only if you call
   * `then` (or `await` it), which keeps a write free of promise and microtask costs.
   */
  apply<T>(
    conn: ReplyWriter | null,
    cmd: Command,
    mutate: (() => MaybePromise<T>) | null,
    respond: (result: T | undefined) => MaybePromise<void>,
  ): MaybePromise<T | undefined>;
  /** The node's logger, for the machine's own messages. */
  readonly log: Logger;
}

/**
 * A replicated state machine. Every node holds one and replays the same committed commands
 * through it, so all of them reach the same state.
 *
 * @example
 * ```ts
 * import type { Applier, Command, Machine, ReplyWriter, SnapshotReader, SnapshotWriter } from "./machine.ts";
 *
 * class Counter implements Machine {
 *   value = 0;
 *   command(applier: Applier, conn: ReplyWriter | null, cmd: Command) {
 *     if (cmd.name !== "incr") throw new Error(`unknown command '${cmd.name}'`);
 *     return applier.apply(conn, cmd, () => ++this.value, (value) => conn?.writeInt(value ?? 0));
 *   }
 *   async snapshot(writer: SnapshotWriter) {
 *     await writer.write(String(this.value));
 *   }
 *   async restore(reader: SnapshotReader) {
 *     this.value = Number(new TextDecoder().decode(await reader.readAll()));
 *   }
 * }
 * ```
 */
export interface Machine {
  /** Handles one command (see the module doc); a thrown error becomes the client's reply. */
  command(applier: Applier, conn: ReplyWriter | null, cmd: Command): MaybePromise<unknown>;
  /** Writes the whole state. Applying waits until the returned promise resolves. */
  snapshot(writer: SnapshotWriter): Promise<void>;
  /** Replaces the whole state with a snapshot's. */
  restore(reader: SnapshotReader): Promise<void>;
}

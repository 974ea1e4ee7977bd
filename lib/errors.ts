/**
 * Error classes that callers catch (DESIGN.md §7). Misuse gets the built-ins (`TypeError`,
 * `RangeError`); these are for conditions a program handles.
 *
 * @module
 */

/**
 * Error codes the {@linkcode Runtime} port reports, named as POSIX and Node name them.
 * `EUNKNOWN` stands for anything an adapter cannot map.
 */
export type RuntimeErrorCode =
  | "ENOENT"
  | "EEXIST"
  | "ENOTDIR"
  | "EISDIR"
  | "ENOTEMPTY"
  | "EACCES"
  | "EBADF"
  | "ENOSPC"
  | "EIO"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "EPIPE"
  | "ETIMEDOUT"
  | "EINVAL"
  | "EMFILE"
  | "ENOTFOUND"
  | "EHOSTUNREACH"
  | "ECLOSED"
  | "EUNKNOWN";

/** Options for {@linkcode RuntimeError}. */
export interface RuntimeErrorOptions {
  /** The underlying runtime error. */
  cause?: unknown;
  /** The file path or network address involved, if any. */
  path?: string;
}

/**
 * The one error type the {@linkcode Runtime} port throws, whatever the runtime: a code such as
 * `ENOENT` or `EADDRINUSE`, the path or address involved, and the original error as `cause`.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "./errors.ts";
 * const error = new RuntimeError("ENOENT", "No such file: data/log", { path: "data/log" });
 * console.log(error.code); // "ENOENT"
 * ```
 */
export class RuntimeError extends Error {
  /** The POSIX-style error code. */
  readonly code: RuntimeErrorCode;
  /** The file path or network address involved, if any. */
  readonly path: string | undefined;

  /**
   * Creates a runtime error.
   *
   * @param code The POSIX-style code.
   * @param message Sentence case, no final period.
   * @param options The cause and path.
   */
  constructor(code: RuntimeErrorCode, message: string, options: RuntimeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RuntimeError";
    this.code = code;
    this.path = options.path;
  }
}

/** Options for {@linkcode RespSyntaxError}. */
export interface RespSyntaxErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Malformed RESP input from the wire. `offset` counts bytes from the start of the connection's
 * stream, so a log line can point at the exact byte. The server answers
 * `-ERR Protocol error: <message>` and closes the connection, as Redis does.
 *
 * @example
 * ```ts
 * import { RespSyntaxError } from "./errors.ts";
 * const error = new RespSyntaxError("invalid bulk length", 17);
 * console.log(`${error.message} at byte ${error.offset}`);
 * ```
 */
export class RespSyntaxError extends Error {
  /** Byte offset in the connection's input stream where the problem was found. */
  readonly offset: number;

  /**
   * Creates a protocol error.
   *
   * @param message Redis's wording where one exists (e.g. `invalid bulk length`).
   * @param offset Byte offset in the stream.
   * @param options The cause.
   */
  constructor(message: string, offset: number, options: RespSyntaxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RespSyntaxError";
    this.offset = offset;
  }
}

/** Options for {@linkcode LogCorruptionError}. */
export interface LogCorruptionErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A log or snapshot file holds a bad record somewhere other than a torn tail. Opening refuses
 * rather than silently dropping acknowledged entries; `repair: true` truncates instead.
 *
 * @example
 * ```ts
 * import { LogCorruptionError } from "./errors.ts";
 * const error = new LogCorruptionError("Bad checksum", "data/00000000000000000001.seg", 4096);
 * console.log(error.file, error.offset);
 * ```
 */
export class LogCorruptionError extends Error {
  /** The file holding the bad record. */
  readonly file: string;
  /** Byte offset of the bad record within the file. */
  readonly offset: number;

  /**
   * Creates a corruption error.
   *
   * @param message What is wrong.
   * @param file The file.
   * @param offset The byte offset.
   * @param options The cause.
   */
  constructor(
    message: string,
    file: string,
    offset: number,
    options: LogCorruptionErrorOptions = {},
  ) {
    super(
      `${message} in ${file} at byte ${offset}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "LogCorruptionError";
    this.file = file;
    this.offset = offset;
  }
}

/**
 * A request that only the leader may serve reached a follower. `leader` is the leader's
 * address when known, for a `-TRY host:port` or `-MOVED 0 host:port` reply.
 *
 * @example
 * ```ts
 * import { NotLeaderError } from "./errors.ts";
 * const error = new NotLeaderError("127.0.0.1:7481");
 * console.log(error.leader); // "127.0.0.1:7481"
 * ```
 */
export class NotLeaderError extends Error {
  /** The leader's address, or undefined when no leader is known. */
  readonly leader: string | undefined;

  /**
   * Creates a not-leader error.
   *
   * @param leader The leader's address, if known.
   */
  constructor(leader: string | undefined) {
    super(leader === undefined ? "Leader not known" : `Not the leader; try ${leader}`);
    this.name = "NotLeaderError";
    this.leader = leader;
  }
}

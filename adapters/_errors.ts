/**
 * Maps the errors each runtime throws onto {@linkcode RuntimeError} codes. Pure: it only reads
 * `code` and `name`, so Deno, Bun and Node errors all pass through the same table.
 *
 * @module
 */

import { RuntimeError, type RuntimeErrorCode } from "../lib/errors.ts";

/** Codes that Node, Bun and Deno (2.x sets `code` on most errors) report under our own name. */
const KNOWN_CODES: ReadonlySet<string> = new Set<RuntimeErrorCode>([
  "ENOENT",
  "EEXIST",
  "ENOTDIR",
  "EISDIR",
  "ENOTEMPTY",
  "EACCES",
  "EBADF",
  "ENOSPC",
  "EIO",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EINVAL",
]);

/** Other codes that mean one of ours closely enough for a caller's decision. */
const CODE_ALIASES: Readonly<Record<string, RuntimeErrorCode>> = {
  EPERM: "EACCES",
  EROFS: "EACCES",
  EDQUOT: "ENOSPC",
  EFBIG: "ENOSPC",
  ECONNABORTED: "ECONNRESET",
  ENOTCONN: "ECLOSED",
  ESHUTDOWN: "EPIPE",
  ERR_FS_EISDIR: "EISDIR",
  ERR_SOCKET_CLOSED: "ECLOSED",
  ERR_STREAM_DESTROYED: "ECLOSED",
  ERR_STREAM_WRITE_AFTER_END: "EPIPE",
  ERR_SOCKET_CONNECTION_TIMEOUT: "ETIMEDOUT",
  ERR_SOCKET_BAD_PORT: "EINVAL",
  ERR_INVALID_ARG_VALUE: "EINVAL",
};

/** Deno's error classes (`Deno.errors.*`), by `name`, for errors that carry no `code`. */
const DENO_NAMES: Readonly<Record<string, RuntimeErrorCode>> = {
  NotFound: "ENOENT",
  AlreadyExists: "EEXIST",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
  NotConnected: "ECLOSED",
  BrokenPipe: "EPIPE",
  TimedOut: "ETIMEDOUT",
  BadResource: "EBADF",
  InvalidData: "EINVAL",
  UnexpectedEof: "EIO",
  WriteZero: "EIO",
};

/**
 * The port's code for any thrown value: a known `code`, an alias, a Deno error name, else
 * `EUNKNOWN`.
 *
 * @example
 * ```ts ignore
 * errorCodeOf(Object.assign(new Error("x"), { code: "ENOENT" })); // "ENOENT"
 * ```
 */
export function errorCodeOf(error: unknown): RuntimeErrorCode {
  if (error instanceof RuntimeError) return error.code;
  if (typeof error !== "object" || error === null) return "EUNKNOWN";
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string") {
    if (KNOWN_CODES.has(code)) return code as RuntimeErrorCode;
    const alias = CODE_ALIASES[code];
    if (alias !== undefined) return alias;
  }
  if (typeof name === "string") return DENO_NAMES[name] ?? "EUNKNOWN";
  return "EUNKNOWN";
}

/**
 * Wraps a runtime's error as a {@linkcode RuntimeError}, keeping it as `cause`. A value that
 * is already a `RuntimeError` is returned unchanged.
 *
 * @param error What the runtime threw.
 * @param action What was attempted, e.g. `"open"` or `"connect to"`.
 * @param target The path or `host:port` involved.
 * @example
 * ```ts ignore
 * try { await Deno.open(path); } catch (error) { throw toRuntimeError(error, "open", path); }
 * ```
 */
export function toRuntimeError(error: unknown, action: string, target: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const code = errorCodeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new RuntimeError(code, `Cannot ${action} ${target} (${code}): ${detail}`, {
    cause: error,
    path: target,
  });
}

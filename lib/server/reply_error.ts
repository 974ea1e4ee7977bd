/**
 * Turns an error into the reply a Redis client expects: `-TRY host:port` or
 * `-MOVED 0 host:port` when another node leads, `-ERR leader not known` when none does, and
 * `-ERR message` (or the message as is when it starts with its own code word, like
 * `WRONGTYPE ...`) otherwise. Only the first line of a message is sent.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";

/** How a node redirects clients to its leader. */
export type RedirectMode = "try" | "moved";

/**
 * Thrown by a machine for a command it does not know: `-ERR unknown command 'name'`.
 *
 * @example
 * ```ts
 * import { UnknownCommandError } from "./reply_error.ts";
 * throw new UnknownCommandError("frobnicate");
 * ```
 */
export class UnknownCommandError extends Error {
  /** The command as the client sent it, if the thrower knew it. */
  readonly command: string | undefined;

  /**
   * Creates the error.
   *
   * @param command The command as the client sent it (filled in by the server when omitted).
   */
  constructor(command?: string) {
    super(`unknown command '${command ?? ""}'`);
    this.name = "UnknownCommandError";
    this.command = command;
  }
}

/**
 * Thrown by a machine when a command has the wrong number of arguments:
 * `-ERR wrong number of arguments for 'name' command`.
 *
 * @example
 * ```ts
 * import { WrongArgumentCountError } from "./reply_error.ts";
 * throw new WrongArgumentCountError("set");
 * ```
 */
export class WrongArgumentCountError extends Error {
  /** The command as the client sent it, if the thrower knew it. */
  readonly command: string | undefined;

  /**
   * Creates the error.
   *
   * @param command The command as the client sent it (filled in by the server when omitted).
   */
  constructor(command?: string) {
    super(`wrong number of arguments for '${command ?? ""}' command`);
    this.name = "WrongArgumentCountError";
    this.command = command;
  }
}

/**
 * An error whose message is the whole error reply, with no `ERR` code in front: Finn passes
 * hashicorp/raft's membership errors through this way, so `RAFTREMOVEPEER` of a server not in
 * the cluster answers `-peer is unknown`.
 *
 * @example
 * ```ts
 * import { VerbatimReplyError } from "./reply_error.ts";
 * throw new VerbatimReplyError("peer is unknown"); // the client reads -peer is unknown
 * ```
 */
export class VerbatimReplyError extends Error {
  /**
   * Creates the error.
   *
   * @param message The reply's text (its first line is sent).
   */
  constructor(message: string) {
    super(message);
    this.name = "VerbatimReplyError";
  }
}

/**
 * The error reply text (without the leading `-`) for `error`; `command` names the command for
 * Finn's errors thrown without one.
 */
export function errorReplyText(error: unknown, redirect: RedirectMode, command = ""): string {
  if (error instanceof UnknownCommandError) {
    return `ERR unknown command '${error.command ?? command}'`;
  }
  if (error instanceof WrongArgumentCountError) {
    return `ERR wrong number of arguments for '${error.command ?? command}' command`;
  }
  if (error instanceof NotLeaderError) {
    if (error.leader === undefined) return "ERR leader not known";
    return redirect === "moved" ? `MOVED 0 ${error.leader}` : `TRY ${error.leader}`;
  }
  const message = (error instanceof Error ? error.message : String(error)).split(/\r?\n/)[0]!
    .trim();
  if (error instanceof VerbatimReplyError) return message || "ERR unknown error";
  // A message that starts with its own code (an upper-case word) goes as is, as Redis's do.
  return /^[A-Z][A-Z_-]*( |$)/.test(message) ? message : `ERR ${message || "unknown error"}`;
}

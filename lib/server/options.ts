/**
 * The options of `open()` and their resolution into concrete settings, with every bad value
 * reported by name before anything starts.
 *
 * @module
 */

import type { Runtime } from "../runtime.ts";
import { type Address, formatAddress, parseAddress, parsePeerAddress } from "./address.ts";
import { isLogLevel, type LogLevel, type LogOutput } from "./logger.ts";
import type { Machine } from "./machine.ts";

/** Finn's three levels, for consistency and durability. */
export type Level = "low" | "medium" | "high";

/** Facts about a client connection, for the accept/close hooks. */
export interface ConnectionInfo {
  /** The connection's id. */
  id: number;
  /** The client's address, `host:port`. */
  remoteAddress: string;
}

/** Options for `open()`. Only `machine` is required. */
export interface OpenOptions {
  /** The replicated state machine. */
  machine: Machine;
  /** Data directory (default `"data"`); created if missing. */
  dir?: string;
  /** Address to bind, `host:port` or Finn's `:port` (default `":7481"`, all interfaces). */
  addr?: string;
  /** Address of any member of an existing cluster to join (only used on a fresh node). */
  join?: string;
  /** The address peers should dial (default: the bound address, 127.0.0.1 for all interfaces). */
  advertise?: string;
  /**
   * Read consistency: `"low"` any node serves reads from its own state; `"medium"` (default) the
   * leader serves them while it holds a lease; `"high"` linearizable via ReadIndex.
   */
  consistency?: Level;
  /**
   * Write durability: `"low"` never fsyncs, `"medium"` (default) fsyncs once a second,
   * `"high"` fsyncs before acknowledging (group commit).
   */
  durability?: Level;
  /** `"file"` (default): the log on disk; `"memory"`: nothing persists. */
  backend?: "file" | "memory";
  /** How much to log (default `"notice"`). */
  logLevel?: LogLevel;
  /** Where log lines go (default standard error). */
  logOutput?: LogOutput;
  /** Called for each new client connection; return false to refuse it. */
  connAccept?: (info: ConnectionInfo) => boolean;
  /** Called when a client connection closes, with the error that closed it, if any. */
  connClosed?: (info: ConnectionInfo, error: unknown) => void;
  /** Take a snapshot after this many applied entries (default 100,000). */
  snapshotThreshold?: number;
  /** Entries kept in the log behind a snapshot, for slow followers (default 1,000). */
  snapshotTrailingEntries?: number;
  /** Election timeout in ms (default 1,000); a random extra up to the same again is added. */
  electionTimeoutMs?: number;
  /** Leader heartbeat interval in ms (default 100). */
  heartbeatMs?: number;
  /** `"try"` (default) answers `-TRY host:port`; `"moved"` answers `-MOVED 0 host:port`. */
  redirect?: "try" | "moved";
  /** A password clients must send with `AUTH` first. */
  auth?: string;
  /** A secret peers must prove they know (never sent in clear). */
  clusterSecret?: string;
  /** The runtime adapter (default: detected). */
  runtime?: Runtime;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  machine: Machine;
  dir: string;
  bind: Address;
  advertise: string;
  join: string | undefined;
  consistency: Level;
  durability: Level;
  backend: "file" | "memory";
  logLevel: LogLevel;
  logOutput: LogOutput | undefined;
  connAccept: ((info: ConnectionInfo) => boolean) | undefined;
  connClosed: ((info: ConnectionInfo, error: unknown) => void) | undefined;
  snapshotThreshold: number;
  snapshotTrailingEntries: number;
  electionTicks: number;
  heartbeatTicks: number;
  tickMs: number;
  redirect: "try" | "moved";
  auth: string | undefined;
  clusterSecret: string;
}

const LEVELS: readonly string[] = ["low", "medium", "high"];

/**
 * Applies defaults and checks every option, throwing a TypeError that names the bad one.
 *
 * @example
 * ```ts ignore
 * const settings = resolveOptions({ machine, addr: ":7482", durability: "high" });
 * ```
 */
export function resolveOptions(options: OpenOptions): ResolvedOptions {
  if (typeof options.machine?.command !== "function") {
    throw new TypeError("open() needs a machine with command(), snapshot() and restore()");
  }
  const level = (name: string, value: string | undefined): Level => {
    if (value === undefined) return "medium";
    if (!LEVELS.includes(value)) {
      throw new TypeError(`Invalid ${name} '${value}': use low, medium or high`);
    }
    return value as Level;
  };
  const bind = parseAddress(options.addr ?? ":7481", "0.0.0.0");
  const advertiseHost = bind.hostname === "0.0.0.0" || bind.hostname === "::"
    ? "127.0.0.1"
    : bind.hostname;
  const advertise = options.advertise === undefined
    ? formatAddress({ hostname: advertiseHost, port: bind.port })
    : formatAddress(parsePeerAddress(options.advertise));
  const heartbeatMs = positive("heartbeatMs", options.heartbeatMs ?? 100);
  const electionTimeoutMs = positive("electionTimeoutMs", options.electionTimeoutMs ?? 1000);
  // One tick is the heartbeat interval; the election timeout must span several of them.
  const electionTicks = Math.round(electionTimeoutMs / heartbeatMs);
  if (electionTicks < 3) {
    throw new TypeError("electionTimeoutMs must be at least three heartbeats (heartbeatMs)");
  }
  const logLevel = options.logLevel ?? "notice";
  if (!isLogLevel(logLevel)) throw new TypeError(`Invalid logLevel '${String(logLevel)}'`);
  const backend = options.backend ?? "file";
  if (backend !== "file" && backend !== "memory") {
    throw new TypeError(`Invalid backend '${String(backend)}': use file or memory`);
  }
  const redirect = options.redirect ?? "try";
  if (redirect !== "try" && redirect !== "moved") {
    throw new TypeError(`Invalid redirect '${String(redirect)}': use try or moved`);
  }
  return {
    machine: options.machine,
    dir: options.dir ?? "data",
    bind,
    advertise,
    join: options.join === undefined || options.join === ""
      ? undefined
      : formatAddress(parsePeerAddress(options.join)),
    consistency: level("consistency", options.consistency),
    durability: level("durability", options.durability),
    backend,
    logLevel,
    logOutput: options.logOutput,
    connAccept: options.connAccept,
    connClosed: options.connClosed,
    snapshotThreshold: positive("snapshotThreshold", options.snapshotThreshold ?? 100_000),
    snapshotTrailingEntries: nonNegative(
      "snapshotTrailingEntries",
      options.snapshotTrailingEntries ?? 1000,
    ),
    electionTicks,
    heartbeatTicks: 1,
    tickMs: heartbeatMs,
    redirect,
    auth: options.auth === "" ? undefined : options.auth,
    clusterSecret: options.clusterSecret ?? "",
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, not ${value}`);
  }
  return value;
}

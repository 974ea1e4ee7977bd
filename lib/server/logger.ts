/**
 * The server's log, in Redis's own line format so operators' tooling reads it unchanged:
 * `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`, where the mark is `.` debug, `-` verbose,
 * `*` notice and `#` warning.
 *
 * @module
 */

/** How much to log, from silent to everything (Finn's and the clone's `-loglevel` words). */
export type LogLevel = "quiet" | "warning" | "notice" | "verbose" | "debug";

/** Where log lines go: one call per line, without the trailing newline. */
export type LogOutput = (line: string) => void;

/** A leveled logger; `printf`-style formatting is left to template literals. */
export interface Logger {
  /** Developer detail. */
  debug(message: string): void;
  /** Operational detail. */
  verbose(message: string): void;
  /** Significant events (elections, joins, snapshots). */
  notice(message: string): void;
  /** Something is wrong but the node keeps serving. */
  warning(message: string): void;
  /** True when `level` would be written; guards costly message building. */
  enabled(level: Exclude<LogLevel, "quiet">): boolean;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** The least severe level written (default `"notice"`). */
  level?: LogLevel;
  /** Where lines go (default: standard error via `console.error`). */
  output?: LogOutput;
  /** Process id shown in each line (default 0). */
  pid?: number;
  /** One-letter role shown after the pid (Finn: `N` node, `C` machine, `S` store, `L` transport). */
  role?: string;
  /** The clock, for tests (default `Date.now`). */
  now?: () => number;
}

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, quiet: 4 };
const MARK = { debug: ".", verbose: "-", notice: "*", warning: "#" } as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

/**
 * Creates a {@linkcode Logger} writing Redis-format lines.
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ level: "verbose", output: (line) => lines.push(line), role: "N" });
 * log.notice("Ready to accept connections");
 * log.debug("not written at verbose");
 * console.log(lines.length); // 1
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "notice"];
  const output = options.output ?? ((line: string) => console.error(line));
  const prefix = `${options.pid ?? 0}:${options.role ?? "N"}`;
  const now = options.now ?? Date.now;
  const write = (level: keyof typeof MARK, message: string): void => {
    if (RANK[level] < threshold) return;
    output(`${prefix} ${timestamp(now())} ${MARK[level]} ${message}`);
  };
  return {
    debug: (message) => write("debug", message),
    verbose: (message) => write("verbose", message),
    notice: (message) => write("notice", message),
    warning: (message) => write("warning", message),
    enabled: (level) => RANK[level] >= threshold,
  };
}

/** Redis's timestamp: `27 Nov 2026 23:45:27.123`, in UTC so lines from all nodes line up. */
function timestamp(millis: number): string {
  const date = new Date(millis);
  const pad = (value: number, width = 2): string => String(value).padStart(width, "0");
  return `${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    pad(date.getUTCMilliseconds(), 3);
}

/**
 * The command table: names, arities, flags and handlers.
 *
 * @module
 */

import type { Conn } from "../resp/conn.ts";

/**
 * Handles one command: writes the reply to `conn`, now or later. `args[0]` is the command name
 * as sent; the arguments are views into the received bytes (copy them to keep them past the
 * handler's return, e.g. with `args[1]!.slice()`). A returned promise delays the end of the reply
 * (later commands' replies wait for it); a throw or rejection becomes `-ERR <message>`.
 */
export type CommandHandler = (conn: Conn, args: Uint8Array[]) => void | Promise<void>;

/** What `COMMAND` reports about a command, in Redis's terms. */
export interface CommandInfo {
  /** Lower-case name; subcommands are named `parent|sub`. */
  name: string;
  /**
   * Argument count including the name: `n` means exactly `n`, `-n` at least `n` (Redis's
   * convention). Checked before the handler runs, except for subcommands.
   */
  arity: number;
  /** Redis command flags, e.g. `write`, `readonly`, `fast`, `loading`, `stale`. */
  flags?: string[];
  /** ACL categories, e.g. `@read`, `@fast`, `@connection`. */
  categories?: string[];
  /** Position of the first key argument (0: none). */
  firstKey?: number;
  /** Position of the last key argument (-1: the last argument). */
  lastKey?: number;
  /** Step between key positions. */
  keyStep?: number;
  /** Subcommands, for `COMMAND` output (the parent's handler dispatches them). */
  subcommands?: CommandInfo[];
}

/** A command: its description and its handler. */
export interface CommandSpec extends CommandInfo {
  /** Runs the command. */
  handler: CommandHandler;
}

/** Longest command name we look up; longer ones cannot be registered, so are unknown. */
const NAME_BYTES_MAX = 64;

/**
 * Maps command names, case-insensitively, to their specs, plus an optional fallback for names
 * not in the table. The server checks arity before calling a handler. The framework registers its
 * own commands (and may replace built-ins) with {@linkcode CommandTable.register}.
 *
 * @example
 * ```ts
 * import { CommandTable } from "./command_table.ts";
 * const table = new CommandTable();
 * table.register({
 *   name: "hi",
 *   arity: 1,
 *   flags: ["fast"],
 *   handler: (conn) => conn.writeString("hello"),
 * });
 * console.log(table.get("HI")?.arity); // 1
 * ```
 */
export class CommandTable {
  readonly #commands = new Map<string, CommandSpec>();
  /**
   * The same commands by {@linkcode foldedHash} of their names, for {@linkcode lookup}: a
   * power-of-two array of collision chains indexed by the hash's low bits. (A `Map<number>`
   * lookup was 1.7% of a GET's CPU on V8; an array load is a fraction of that.)
   */
  #buckets: (HashEntry | undefined)[] = [undefined];
  #fallback: CommandHandler | undefined = undefined;

  /** Number of registered commands. */
  get size(): number {
    return this.#commands.size;
  }

  /**
   * The handler for commands not in the table, called without an arity check; undefined (the
   * default) answers `-ERR unknown command 'name'`.
   */
  get fallback(): CommandHandler | undefined {
    return this.#fallback;
  }
  set fallback(handler: CommandHandler | undefined) {
    this.#fallback = handler;
  }

  /**
   * Adds a command, replacing any of the same name.
   *
   * @param spec The command.
   */
  register(spec: CommandSpec): void {
    const name = spec.name.toLowerCase();
    if (name.length === 0 || name.length > NAME_BYTES_MAX || /[^\x21-\x7e]/.test(name)) {
      throw new TypeError(`Bad command name: ${JSON.stringify(spec.name)}`);
    }
    if (!Number.isSafeInteger(spec.arity) || spec.arity === 0) {
      throw new TypeError(`Bad arity for ${name}: ${spec.arity}`);
    }
    this.#commands.set(name, { ...spec, name });
    this.#reindex();
  }

  /**
   * Removes a command.
   *
   * @param name The command's name, any case.
   * @returns Whether it was registered.
   */
  unregister(name: string): boolean {
    const deleted = this.#commands.delete(name.toLowerCase());
    this.#reindex();
    return deleted;
  }

  /**
   * Finds a command by name, any case.
   *
   * @param name The name.
   * @returns The spec, or undefined.
   */
  get(name: string): CommandSpec | undefined {
    return this.#commands.get(name.toLowerCase());
  }

  /**
   * Finds a command by its name as received, ASCII case-folded, without decoding or allocating:
   * a hash of the folded bytes picks candidates whose names are compared byte by byte.
   *
   * @param name The name's bytes (`args[0]`).
   * @returns The spec, or undefined.
   */
  lookup(name: Uint8Array): CommandSpec | undefined {
    if (name.length > NAME_BYTES_MAX) return undefined;
    const buckets = this.#buckets;
    let entry = buckets[foldedHash(name) & (buckets.length - 1)];
    while (entry !== undefined && !sameFolded(entry.bytes, name)) entry = entry.next;
    return entry?.spec;
  }

  /** Rebuilds the hash index (registration is rare; lookups are per request). */
  #reindex(): void {
    let size = 1;
    while (size < this.#commands.size * 4) size *= 2;
    const buckets: (HashEntry | undefined)[] = new Array(size).fill(undefined);
    for (const spec of this.#commands.values()) {
      const bytes = new TextEncoder().encode(spec.name);
      const slot = foldedHash(bytes) & (size - 1);
      buckets[slot] = { bytes, spec, next: buckets[slot] };
    }
    this.#buckets = buckets;
  }

  /** Every registered command, in registration order. */
  list(): CommandSpec[] {
    return [...this.#commands.values()];
  }
}

/** A command in the hash index; `next` chains names whose hashes collide. */
interface HashEntry {
  bytes: Uint8Array;
  spec: CommandSpec;
  next: HashEntry | undefined;
}

/** FNV-1a over ASCII-lower-cased bytes. */
function foldedHash(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    hash = Math.imul(hash ^ (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte), 0x01000193);
  }
  return hash >>> 0;
}

/** Whether `name` equals the lower-case `lower` ignoring ASCII case. */
function sameFolded(lower: Uint8Array, name: Uint8Array): boolean {
  if (lower.length !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const byte = name[i]!;
    if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== lower[i]) return false;
  }
  return true;
}

/**
 * Whether `count` arguments (name included) satisfy `arity` in Redis's convention.
 *
 * @example
 * ```ts
 * import { arityAccepts } from "./command_table.ts";
 * console.log(arityAccepts(-2, 3), arityAccepts(2, 3)); // true false
 * ```
 */
export function arityAccepts(arity: number, count: number): boolean {
  return arity > 0 ? count === arity : count >= -arity;
}

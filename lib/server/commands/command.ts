/**
 * COMMAND, COMMAND COUNT | INFO | DOCS | LIST: what redis-cli and client libraries ask at start.
 *
 * @module
 */

import type { Conn } from "../../resp/conn.ts";
import type { CommandInfo, CommandSpec, CommandTable } from "../command_table.ts";
import { keyword, quoted, text } from "../_text.ts";

const SUBCOMMANDS: CommandInfo[] = [
  { name: "command|count", arity: 2, flags: ["loading", "stale"] },
  { name: "command|info", arity: -2, flags: ["loading", "stale"] },
  { name: "command|docs", arity: -2, flags: ["loading", "stale"] },
  { name: "command|list", arity: -2, flags: ["loading", "stale"] },
];

const ARITY = new Map(SUBCOMMANDS.map((info) => [info.name.slice(8), info.arity]));

function writeStrings(conn: Conn, values: readonly string[]): void {
  conn.writeSet(values.length);
  for (const value of values) conn.writeString(value);
}

/** One command in Redis 7's ten-field shape (RESP2: nested arrays; RESP3: sets for flags). */
function writeInfo(conn: Conn, info: CommandInfo): void {
  const firstKey = info.firstKey ?? 0;
  conn.writeArray(10);
  conn.writeBulk(info.name);
  conn.writeInt(info.arity);
  writeStrings(conn, info.flags ?? []);
  conn.writeInt(firstKey);
  conn.writeInt(info.lastKey ?? firstKey);
  conn.writeInt(info.keyStep ?? (firstKey > 0 ? 1 : 0));
  writeStrings(conn, info.categories ?? []);
  conn.writeSet(0); // tips
  conn.writeArray(0); // key specifications
  const subcommands = info.subcommands ?? [];
  conn.writeArray(subcommands.length);
  for (const subcommand of subcommands) writeInfo(conn, subcommand);
}

function writeInfos(conn: Conn, table: CommandTable, names: Uint8Array[]): void {
  if (names.length === 0) {
    const all = table.list();
    conn.writeArray(all.length);
    for (const spec of all) writeInfo(conn, spec);
    return;
  }
  conn.writeArray(names.length);
  for (const name of names) {
    const spec = table.get(text(name));
    if (spec === undefined) conn.writeNull();
    else writeInfo(conn, spec);
  }
}

function runSubcommand(conn: Conn, table: CommandTable, args: Uint8Array[]): void {
  const sub = keyword(args[1]!);
  const arity = ARITY.get(sub);
  if (arity === undefined) {
    conn.writeError(`ERR unknown subcommand '${quoted(args[1]!)}'. Try COMMAND HELP.`);
  } else if (arity > 0 ? args.length !== arity : args.length < -arity) {
    conn.writeError(`ERR wrong number of arguments for 'command|${sub}' command`);
  } else if (sub === "count") {
    conn.writeInt(table.size);
  } else if (sub === "info") {
    writeInfos(conn, table, args.slice(2));
  } else if (sub === "docs") {
    // redis-cli 7 asks for docs to show hints; none is a valid answer (no hints).
    conn.writeMap(0);
  } else {
    const names = table.list().map((spec) => spec.name);
    conn.writeArray(names.length);
    for (const name of names) conn.writeBulk(name);
  }
}

/**
 * `COMMAND [COUNT | INFO [name ...] | DOCS [name ...] | LIST]` over `table`: enough for
 * redis-cli 7 and the client libraries that introspect the server at start.
 *
 * @example
 * ```ts ignore
 * table.register(commandCommand(table));
 * ```
 */
export function commandCommand(table: CommandTable): CommandSpec {
  return {
    name: "command",
    arity: -1,
    flags: ["loading", "stale"],
    categories: ["@slow", "@connection"],
    subcommands: SUBCOMMANDS,
    handler(conn, args) {
      if (args.length === 1) writeInfos(conn, table, []);
      else runSubcommand(conn, table, args);
    },
  };
}

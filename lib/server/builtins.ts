/**
 * The built-in commands every Flotilla server answers.
 *
 * @module
 */

import { CommandTable } from "./command_table.ts";
import { CLIENT } from "./commands/client.ts";
import { commandCommand } from "./commands/command.ts";
import { ECHO, PING, QUIT } from "./commands/connection.ts";
import { helloCommand, type HelloInfo } from "./commands/hello.ts";

/** Flotilla's version, as `HELLO` reports it by default. */
export const VERSION = "0.1.0";

/**
 * A command table holding the built-ins: `PING`, `ECHO`, `QUIT`, `HELLO`, `COMMAND` and
 * `CLIENT`. Register more commands on it, or replace these.
 *
 * @example
 * ```ts
 * import { createCommandTable } from "./builtins.ts";
 * const table = createCommandTable();
 * table.register({ name: "time", arity: 1, handler: (conn) => conn.writeInt(0) });
 * console.log(table.size); // 7
 * ```
 */
export function createCommandTable(hello: Partial<HelloInfo> = {}): CommandTable {
  const table = new CommandTable();
  for (const spec of [PING, ECHO, QUIT, CLIENT]) table.register(spec);
  table.register(helloCommand({ name: "flotilla", version: VERSION, ...hello }));
  table.register(commandCommand(table));
  return table;
}

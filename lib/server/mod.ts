/**
 * The RESP server: a command table with Redis's connection built-ins (`PING`, `ECHO`, `QUIT`,
 * `HELLO`, `COMMAND`, `CLIENT`), sessions that answer pipelined requests in order, and
 * {@linkcode serve} to run it on any runtime's port.
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "../../adapters/auto.ts";
 * import { createCommandTable, serve } from "./mod.ts";
 * const commands = createCommandTable();
 * commands.register({ name: "time", arity: 1, handler: (conn) => conn.writeInt(Date.now()) });
 * const server = await serve(createRuntime(), { port: 7481, commands });
 * ```
 *
 * @module
 */

export { createCommandTable, VERSION } from "./builtins.ts";
export {
  arityAccepts,
  type CommandHandler,
  type CommandInfo,
  type CommandSpec,
  CommandTable,
} from "./command_table.ts";
export { type HelloInfo } from "./commands/hello.ts";
export { INFLIGHT_MAX_DEFAULT, serve, type ServeOptions, type Server } from "./server.ts";
export { Session, type SessionOptions } from "./session.ts";

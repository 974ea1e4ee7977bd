/**
 * PING, ECHO and QUIT.
 *
 * @module
 */

import type { CommandSpec } from "../command_table.ts";

/** `PING [message]`: `+PONG`, or the message as a bulk string. */
export const PING: CommandSpec = {
  name: "ping",
  arity: -1,
  flags: ["fast", "sentinel"],
  categories: ["@fast", "@connection"],
  handler(conn, args) {
    if (args.length > 2) conn.writeError("ERR wrong number of arguments for 'ping' command");
    else if (args.length === 2) conn.writeBulk(args[1]!);
    else conn.writeString("PONG");
  },
};

/** `ECHO message`: the message as a bulk string. */
export const ECHO: CommandSpec = {
  name: "echo",
  arity: 2,
  flags: ["fast"],
  categories: ["@fast", "@connection"],
  handler(conn, args) {
    conn.writeBulk(args[1]!);
  },
};

/** `QUIT`: `+OK`, then the connection closes once every earlier reply is out. */
export const QUIT: CommandSpec = {
  name: "quit",
  arity: -1,
  flags: ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"],
  categories: ["@fast", "@connection"],
  handler(conn) {
    conn.writeString("OK");
    conn.close();
  },
};

/**
 * CLIENT SETNAME | GETNAME | SETINFO | ID.
 *
 * @module
 */

import type { Conn } from "../../resp/conn.ts";
import type { CommandInfo, CommandSpec } from "../command_table.ts";
import { isValidName, keyword, quoted, text } from "../_text.ts";

const SUBCOMMANDS: CommandInfo[] = [
  { name: "client|id", arity: 2, flags: ["noscript", "loading", "stale"] },
  { name: "client|getname", arity: 2, flags: ["noscript", "loading", "stale"] },
  { name: "client|setname", arity: 3, flags: ["noscript", "loading", "stale"] },
  { name: "client|setinfo", arity: 4, flags: ["noscript", "loading", "stale"] },
];

const ARITY = new Map(SUBCOMMANDS.map((info) => [info.name.slice(7), info.arity]));

function setName(conn: Conn, name: string): void {
  if (!isValidName(name)) {
    conn.writeError("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  if (name === "") conn.attributes.delete("name");
  else conn.attributes.set("name", name);
  conn.writeString("OK");
}

function setInfo(conn: Conn, attribute: string, value: string): void {
  if (attribute !== "lib-name" && attribute !== "lib-ver") {
    conn.writeError(`ERR Unrecognized option '${attribute}'`);
    return;
  }
  if (!isValidName(value)) {
    conn.writeError(`ERR ${attribute} cannot contain spaces, newlines or special characters.`);
    return;
  }
  conn.attributes.set(attribute, value);
  conn.writeString("OK");
}

/** `CLIENT SETNAME name | GETNAME | SETINFO LIB-NAME|LIB-VER value | ID`, as Redis answers. */
export const CLIENT: CommandSpec = {
  name: "client",
  arity: -2,
  flags: ["noscript", "loading", "stale"],
  categories: ["@slow", "@connection"],
  subcommands: SUBCOMMANDS,
  handler(conn, args) {
    const sub = keyword(args[1]!);
    const arity = ARITY.get(sub);
    if (arity === undefined) {
      conn.writeError(`ERR unknown subcommand '${quoted(args[1]!)}'. Try CLIENT HELP.`);
    } else if (args.length !== arity) {
      conn.writeError(`ERR wrong number of arguments for 'client|${sub}' command`);
    } else if (sub === "id") {
      conn.writeInt(conn.id);
    } else if (sub === "getname") {
      const name = conn.attributes.get("name");
      if (name === undefined) conn.writeNull();
      else conn.writeBulk(name);
    } else if (sub === "setname") {
      setName(conn, text(args[2]!));
    } else {
      setInfo(conn, keyword(args[2]!), text(args[3]!));
    }
  },
};

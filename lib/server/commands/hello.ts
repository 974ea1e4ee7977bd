/**
 * HELLO: protocol negotiation.
 *
 * @module
 */

import type { CommandSpec } from "../command_table.ts";
import { isValidName, keyword, parseInteger, text } from "../_text.ts";

/** What `HELLO` reports about the server. */
export interface HelloInfo {
  /** The `server` field (Redis reports `redis`). */
  name: string;
  /** The `version` field. */
  version: string;
  /**
   * Checks `HELLO ... AUTH username password`; absent, only the user `default` is accepted,
   * with any password, as Redis does when no password is set.
   */
  authenticate?: (username: string, password: string) => boolean;
}

/** Parsed options of a HELLO request, or the error to answer. */
interface HelloRequest {
  protocol: 2 | 3 | undefined;
  auth: [string, string] | undefined;
  name: string | undefined;
}

function parseHello(args: Uint8Array[]): HelloRequest | string {
  const request: HelloRequest = { protocol: undefined, auth: undefined, name: undefined };
  if (args.length >= 2) {
    const version = parseInteger(args[1]!);
    if (version === undefined) return "ERR Protocol version is not an integer or out of range";
    if (version !== 2 && version !== 3) return "NOPROTO unsupported protocol version";
    request.protocol = version;
  }
  for (let i = 2; i < args.length; i++) {
    const option = keyword(args[i]!);
    const more = args.length - 1 - i;
    if (option === "auth" && more >= 2) {
      request.auth = [text(args[i + 1]!), text(args[i + 2]!)];
      i += 2;
    } else if (option === "setname" && more >= 1) {
      request.name = text(args[i + 1]!);
      i += 1;
    } else {
      return `ERR Syntax error in HELLO option '${text(args[i]!)}'`;
    }
  }
  return request;
}

/**
 * `HELLO [protover [AUTH username password] [SETNAME clientname]]`: switches the connection to
 * RESP2 or RESP3 and answers, in the new protocol, a map of server facts like Redis's.
 *
 * @example
 * ```ts ignore
 * table.register(helloCommand({ name: "flotilla", version: "0.1.0" }));
 * ```
 */
export function helloCommand(info: HelloInfo): CommandSpec {
  const authenticate = info.authenticate ?? ((username: string) => username === "default");
  return {
    name: "hello",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    categories: ["@fast", "@connection"],
    handler(conn, args) {
      const request = parseHello(args);
      if (typeof request === "string") return conn.writeError(request);
      if (request.auth !== undefined && !authenticate(...request.auth)) {
        return conn.writeError(
          "WRONGPASS invalid username-password pair or user is disabled.",
        );
      }
      if (request.name !== undefined) {
        if (!isValidName(request.name)) {
          return conn.writeError(
            "ERR Client names cannot contain spaces, newlines or special characters.",
          );
        }
        conn.attributes.set("name", request.name);
      }
      if (request.protocol !== undefined) conn.protocol = request.protocol;
      conn.writeMap(7);
      conn.writeBulk("server");
      conn.writeBulk(info.name);
      conn.writeBulk("version");
      conn.writeBulk(info.version);
      conn.writeBulk("proto");
      conn.writeInt(conn.protocol);
      conn.writeBulk("id");
      conn.writeInt(conn.id);
      conn.writeBulk("mode");
      conn.writeBulk("standalone");
      conn.writeBulk("role");
      conn.writeBulk("master");
      conn.writeBulk("modules");
      conn.writeArray(0);
    },
  };
}

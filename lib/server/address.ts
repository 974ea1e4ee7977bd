/**
 * Network addresses as users write them: `host:port`, Finn's `:port` (all interfaces for a
 * bind, this machine for a dial), `[::1]:port`, or a bare port number.
 *
 * @module
 */

/** A parsed address. */
export interface Address {
  /** Host name or IP literal, without brackets. */
  hostname: string;
  /** TCP port, 0 to 65535. */
  port: number;
}

/**
 * Parses an address, throwing a `TypeError` that quotes the input and says what is wrong.
 * A missing host becomes `defaultHost` (default `127.0.0.1`).
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * console.log(parseAddress(":7481")); // { hostname: "127.0.0.1", port: 7481 }
 * console.log(parseAddress("[::1]:7482").hostname); // "::1"
 * ```
 */
export function parseAddress(text: string, defaultHost = "127.0.0.1"): Address {
  const trimmed = text.trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(trimmed)) {
    host = "";
    portText = trimmed;
  } else if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    if (close < 0 || trimmed[close + 1] !== ":") {
      throw new TypeError(`Invalid address '${text}': expected [ipv6]:port`);
    }
    host = trimmed.slice(1, close);
    portText = trimmed.slice(close + 2);
  } else {
    const colon = trimmed.lastIndexOf(":");
    if (colon < 0) throw new TypeError(`Invalid address '${text}': expected host:port`);
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(":")) {
      throw new TypeError(`Invalid address '${text}': write an IPv6 host in brackets, [::1]:port`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new TypeError(`Invalid address '${text}': port must be a number from 0 to 65535`);
  }
  if (host !== "" && !/^[A-Za-z0-9.\-_:%]+$/.test(host)) {
    throw new TypeError(`Invalid address '${text}': bad host name '${host}'`);
  }
  return { hostname: host === "" ? defaultHost : host, port: Number(portText) };
}

/**
 * Parses the address of a peer, one that other nodes dial and that names the node in the
 * membership: as {@linkcode parseAddress}, but port 0 (any free port, for a listener) and the
 * wildcard hosts `0.0.0.0` and `::` (every interface) are refused, since nobody can dial them.
 * A member added under such an address would never answer, and would stay in the membership
 * until removed.
 *
 * @example
 * ```ts
 * import { parsePeerAddress } from "./address.ts";
 * console.log(parsePeerAddress(":7482")); // { hostname: "127.0.0.1", port: 7482 }
 * // parsePeerAddress(":0") throws: a peer's port must be from 1 to 65535
 * ```
 */
export function parsePeerAddress(text: string): Address {
  const address = parseAddress(text);
  if (address.port === 0) {
    throw new TypeError(`Invalid peer address '${text}': a peer's port must be from 1 to 65535`);
  }
  if (address.hostname === "0.0.0.0" || address.hostname === "::") {
    throw new TypeError(
      `Invalid peer address '${text}': '${address.hostname}' is every interface, not a host ` +
        "others can dial",
    );
  }
  return address;
}

/**
 * Formats an address as `host:port`, bracketing IPv6 literals.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * console.log(formatAddress({ hostname: "::1", port: 7481 })); // "[::1]:7481"
 * ```
 */
export function formatAddress(address: Address): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * Per-connection state the node's commands share, kept in the connection's context slot.
 *
 * @module
 */

import type { Conn } from "../../resp/conn.ts";
import type { PeerHandshakeState } from "../peer_handshake.ts";

/** What a node remembers about one client connection. */
export interface ConnectionState {
  /** The client sent the right `AUTH` password (or none is required). */
  authenticated: boolean;
  /** Where the connection stands in the peer handshake. */
  peer: PeerHandshakeState;
  /** Writes proposed on this connection and not yet answered (see the applier). */
  writesInFlight: number;
}

/** The connection's state, created on first use. */
export function connectionState(conn: Conn): ConnectionState {
  let state = conn.context as ConnectionState | undefined;
  if (state === undefined) {
    state = { authenticated: false, peer: { stage: "none" }, writesInFlight: 0 };
    conn.context = state;
  }
  return state;
}

const textDecoder = new TextDecoder();

/** An argument as text. */
export function argText(arg: Uint8Array | undefined): string {
  return arg === undefined ? "" : textDecoder.decode(arg);
}

/** Writes a flat list of key/value pairs as RESP3 map or RESP2 flat array. */
export function writePairs(conn: Conn, pairs: readonly (readonly [string, string])[]): void {
  if (conn.protocol === 3) conn.writeMap(pairs.length);
  else conn.writeArray(pairs.length * 2);
  for (const [key, value] of pairs) {
    conn.writeBulk(key);
    conn.writeBulk(value);
  }
}

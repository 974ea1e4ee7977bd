/**
 * Encodes a request the way clients send it: a RESP array of bulk strings. Nodes use it to
 * talk to each other (joining, the peer handshake, Raft message batches).
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Encodes `args` as one RESP multibulk request, in a single buffer (one write on the socket).
 *
 * @example
 * ```ts
 * import { encodeCommand } from "./command_encoder.ts";
 * const bytes = encodeCommand(["SET", "key", new Uint8Array([1, 2])]);
 * console.log(new TextDecoder().decode(bytes.subarray(0, 4))); // "*3\r\n"
 * ```
 */
export function encodeCommand(args: readonly (Uint8Array | string)[]): Uint8Array {
  const parts = args.map((arg) => (typeof arg === "string" ? encoder.encode(arg) : arg));
  const headers = parts.map((part) => encoder.encode(`$${part.length}\r\n`));
  const head = encoder.encode(`*${parts.length}\r\n`);
  let size = head.length;
  for (let i = 0; i < parts.length; i++) size += headers[i]!.length + parts[i]!.length + 2;
  const out = new Uint8Array(size);
  out.set(head, 0);
  let offset = head.length;
  for (let i = 0; i < parts.length; i++) {
    out.set(headers[i]!, offset);
    offset += headers[i]!.length;
    out.set(parts[i]!, offset);
    offset += parts[i]!.length;
    out[offset++] = 13;
    out[offset++] = 10;
  }
  return out;
}

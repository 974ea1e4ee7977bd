/**
 * How a client command is stored in a log entry: a varint count, then each argument as a varint
 * length and its bytes. Smaller and faster to decode than RESP, and decoding returns views
 * into the entry (no copies).
 *
 * @module
 */

import { ByteReader, ByteWriter } from "./_bytes.ts";

/**
 * Encodes command arguments for a log entry.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommandEntry } from "./command_codec.ts";
 * const bytes = new TextEncoder();
 * const data = encodeCommandEntry([bytes.encode("SET"), bytes.encode("k"), bytes.encode("v")]);
 * console.log(decodeCommand(data).length); // 3
 * ```
 */
export function encodeCommandEntry(args: readonly Uint8Array[]): Uint8Array {
  let size = 8;
  for (const arg of args) size += arg.length + 8;
  const writer = new ByteWriter(size);
  writer.varint(args.length);
  for (const arg of args) writer.blob(arg);
  return writer.bytes();
}

/**
 * Decodes what {@linkcode encodeCommandEntry} wrote; throws RespSyntaxError on bad bytes.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommandEntry } from "./command_codec.ts";
 * const args = decodeCommand(encodeCommandEntry([new Uint8Array([1])]));
 * console.log(args[0]); // Uint8Array [ 1 ]
 * ```
 */
export function decodeCommand(data: Uint8Array): Uint8Array[] {
  const reader = new ByteReader(data);
  const count = reader.length(reader.remaining());
  const args: Uint8Array[] = [];
  for (let i = 0; i < count; i++) args.push(reader.blob());
  if (!reader.atEnd()) throw reader.error("trailing bytes after command");
  return args;
}

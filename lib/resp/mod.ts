/**
 * RESP, the Redis protocol: a streaming decoder for client requests, a reply encoder for every
 * RESP2 and RESP3 type, and the ordered, buffered, bounded reply writer handlers write to.
 * Pure and synchronous: no runtime APIs, no timers.
 *
 * @example
 * ```ts
 * import { RespDecoder, RespEncoder } from "./mod.ts";
 * const decoder = new RespDecoder();
 * decoder.push(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
 * const encoder = new RespEncoder();
 * if (decoder.next() !== undefined) encoder.writeString("PONG");
 * console.log(new TextDecoder().decode(encoder.take())); // "+PONG\r\n"
 * ```
 *
 * @module
 */

export {
  ARGUMENT_COUNT_MAX_DEFAULT,
  BULK_BYTES_MAX_DEFAULT,
  INLINE_BYTES_MAX_DEFAULT,
  REQUEST_BYTES_MAX_DEFAULT,
  RespDecoder,
  type RespDecoderOptions,
} from "./decoder.ts";
export { RespEncoder, type RespEncoderOptions, type RespProtocol } from "./encoder.ts";
export { Conn } from "./conn.ts";
export { OUTPUT_BYTES_MAX_DEFAULT, ReplyQueue, type ReplyQueueOptions } from "./reply_queue.ts";

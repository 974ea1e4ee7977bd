import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RespErrorReply, type RespReply, RespReplyDecoder } from "./reply_decoder.ts";
import { RespSyntaxError } from "../errors.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function decodeAll(text: string, chunkSize = Infinity): RespReply[] {
  const decoder = new RespReplyDecoder();
  const data = bytes(text);
  const replies: RespReply[] = [];
  for (let i = 0; i < data.length; i += chunkSize === Infinity ? data.length : chunkSize) {
    decoder.push(data.subarray(i, i + (chunkSize === Infinity ? data.length : chunkSize)));
    for (let reply = decoder.next(); reply !== undefined; reply = decoder.next()) {
      replies.push(reply);
    }
  }
  return replies;
}

describe("RespReplyDecoder", () => {
  const stream =
    "+OK\r\n-TRY 127.0.0.1:7481\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n" +
    "%1\r\n+proto\r\n:3\r\n_\r\n#t\r\n,1.5\r\n(12345678901234567890\r\n=7\r\ntxt:abc\r\n*-1\r\n";

  test("decodes every RESP2 and RESP3 reply type", () => {
    const replies = decodeAll(stream);
    assert.equal(replies.length, 13);
    assert.equal(replies[0], "OK");
    assert.ok(replies[1] instanceof RespErrorReply);
    assert.equal((replies[1] as RespErrorReply).code, "TRY");
    assert.equal((replies[1] as RespErrorReply).message, "TRY 127.0.0.1:7481");
    assert.equal(replies[2], 42);
    assert.deepEqual(replies[3], bytes("hello"));
    assert.equal(replies[4], null);
    assert.deepEqual(replies[5], [bytes("a"), 1]);
    assert.deepEqual(replies[6], new Map([["proto", 3]]));
    assert.equal(replies[7], null);
    assert.equal(replies[8], true);
    assert.equal(replies[9], 1.5);
    assert.equal(replies[10], 12345678901234567890n);
    assert.deepEqual(replies[11], bytes("abc"));
    assert.equal(replies[12], null);
  });

  test("gives the same replies whatever the chunking", () => {
    const whole = decodeAll(stream);
    for (const size of [1, 2, 3, 7, 16]) assert.deepEqual(decodeAll(stream, size), whole);
  });

  test("rejects malformed replies with a byte offset", () => {
    for (const bad of ["?x\r\n", ":12a\r\n", "$3\r\nabcd\r\n", "*x\r\n", "+OK\n", "$-5\r\n"]) {
      assert.throws(() => decodeAll(bad), (error: unknown) => {
        assert.ok(error instanceof RespSyntaxError, bad);
        assert.ok(error.offset >= 0);
        return true;
      });
    }
  });

  test("enforces the limits", () => {
    const decoder = new RespReplyDecoder({ bulkBytesMax: 4, aggregateLengthMax: 2, depthMax: 2 });
    decoder.push(bytes("$5\r\n"));
    assert.throws(() => decoder.next(), RespSyntaxError);
    const nested = new RespReplyDecoder({ depthMax: 2 });
    nested.push(bytes("*1\r\n*1\r\n*1\r\n:1\r\n"));
    assert.throws(() => nested.next(), RespSyntaxError);
    const wide = new RespReplyDecoder({ aggregateLengthMax: 2 });
    wide.push(bytes("*3\r\n"));
    assert.throws(() => wide.next(), RespSyntaxError);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeCommand } from "./command_encoder.ts";

describe("encodeCommand", () => {
  test("encodes strings and bytes as a multibulk request", () => {
    const bytes = encodeCommand(["SET", "k", new Uint8Array([0, 13, 10])]);
    const expected = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\x00\r\n\r\n";
    assert.deepEqual(bytes, Uint8Array.from(expected, (c) => c.charCodeAt(0)));
  });

  test("encodes an empty argument and UTF-8 text by byte length", () => {
    const text = new TextDecoder().decode(encodeCommand(["", "é"]));
    assert.equal(text, "*2\r\n$0\r\n\r\n$2\r\né\r\n");
  });
});

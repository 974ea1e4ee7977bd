import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RespEncoder, type RespProtocol } from "./encoder.ts";

const text = new TextDecoder();

function encode(protocol: RespProtocol, write: (encoder: RespEncoder) => void): string {
  const encoder = new RespEncoder({ protocol, bufferBytes: 64 });
  write(encoder);
  return text.decode(encoder.take());
}

// [name, write, RESP2 bytes, RESP3 bytes]
const cases: [string, (e: RespEncoder) => void, string, string][] = [
  ["simple string", (e) => e.writeString("OK"), "+OK\r\n", "+OK\r\n"],
  ["simple string, CRLF made spaces", (e) => e.writeString("a\r\nb"), "+a  b\r\n", "+a  b\r\n"],
  ["simple string, UTF-8", (e) => e.writeString("héllo\n"), "+héllo \r\n", "+héllo \r\n"],
  ["error", (e) => e.writeError("ERR bad\nthing"), "-ERR bad thing\r\n", "-ERR bad thing\r\n"],
  ["integer 0", (e) => e.writeInt(0), ":0\r\n", ":0\r\n"],
  ["integer -42", (e) => e.writeInt(-42), ":-42\r\n", ":-42\r\n"],
  ["integer 1000", (e) => e.writeInt(1000), ":1000\r\n", ":1000\r\n"],
  [
    "integer max safe",
    (e) => e.writeInt(2 ** 53 - 1),
    ":9007199254740991\r\n",
    ":9007199254740991\r\n",
  ],
  [
    "integer bigint",
    (e) => e.writeInt(-(2n ** 63n)),
    ":-9223372036854775808\r\n",
    ":-9223372036854775808\r\n",
  ],
  [
    "bulk bytes",
    (e) => e.writeBulk(new Uint8Array([0, 13, 10])),
    "$3\r\n\0\r\n\r\n",
    "$3\r\n\0\r\n\r\n",
  ],
  ["bulk empty", (e) => e.writeBulk(""), "$0\r\n\r\n", "$0\r\n\r\n"],
  ["bulk string UTF-8", (e) => e.writeBulk("é"), "$2\r\né\r\n", "$2\r\né\r\n"],
  ["null", (e) => e.writeNull(), "$-1\r\n", "_\r\n"],
  ["null array", (e) => e.writeNullArray(), "*-1\r\n", "_\r\n"],
  [
    "array",
    (e) => (e.writeArray(2), e.writeInt(1), e.writeBulk("a")),
    "*2\r\n:1\r\n$1\r\na\r\n",
    "*2\r\n:1\r\n$1\r\na\r\n",
  ],
  ["empty array", (e) => e.writeArray(0), "*0\r\n", "*0\r\n"],
  [
    "map",
    (e) => (e.writeMap(1), e.writeBulk("k"), e.writeInt(7)),
    "*2\r\n$1\r\nk\r\n:7\r\n",
    "%1\r\n$1\r\nk\r\n:7\r\n",
  ],
  ["set", (e) => (e.writeSet(1), e.writeBulk("m")), "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"],
  ["push", (e) => (e.writePush(1), e.writeBulk("x")), "*1\r\n$1\r\nx\r\n", ">1\r\n$1\r\nx\r\n"],
  ["double", (e) => e.writeDouble(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"],
  ["double integral", (e) => e.writeDouble(3), "$1\r\n3\r\n", ",3\r\n"],
  ["double exponent", (e) => e.writeDouble(1e300), "$6\r\n1e+300\r\n", ",1e+300\r\n"],
  ["double inf", (e) => e.writeDouble(Infinity), "$3\r\ninf\r\n", ",inf\r\n"],
  ["double -inf", (e) => e.writeDouble(-Infinity), "$4\r\n-inf\r\n", ",-inf\r\n"],
  ["double nan", (e) => e.writeDouble(NaN), "$3\r\nnan\r\n", ",nan\r\n"],
  ["boolean true", (e) => e.writeBoolean(true), ":1\r\n", "#t\r\n"],
  ["boolean false", (e) => e.writeBoolean(false), ":0\r\n", "#f\r\n"],
  [
    "verbatim",
    (e) => e.writeVerbatim("Some string"),
    "$11\r\nSome string\r\n",
    "=15\r\ntxt:Some string\r\n",
  ],
  ["verbatim mkd", (e) => e.writeVerbatim("# x", "mkd"), "$3\r\n# x\r\n", "=7\r\nmkd:# x\r\n"],
  [
    "big number",
    (e) => e.writeBigNumber(3492890328409238509324850943850943825024385n),
    "$43\r\n3492890328409238509324850943850943825024385\r\n",
    "(3492890328409238509324850943850943825024385\r\n",
  ],
  ["big number text", (e) => e.writeBigNumber("-12"), "$3\r\n-12\r\n", "(-12\r\n"],
  ["raw", (e) => e.writeRaw(new TextEncoder().encode("+RAW\r\n")), "+RAW\r\n", "+RAW\r\n"],
];

describe("RespEncoder", () => {
  for (const [name, write, resp2, resp3] of cases) {
    test(`${name}: RESP2 and RESP3 bytes`, () => {
      assert.equal(encode(2, write), resp2);
      assert.equal(encode(3, write), resp3);
    });
  }

  test("every integer digit count round-trips", () => {
    const encoder = new RespEncoder();
    let expected = "";
    for (let value = 1; value < 2 ** 53; value = value * 10 + 7) {
      for (const n of [value - 1, value, -value]) {
        encoder.writeInt(n);
        expected += `:${n}\r\n`;
      }
    }
    assert.equal(text.decode(encoder.take()), expected);
  });

  test("taken bytes stay intact while the encoder goes on writing", () => {
    const encoder = new RespEncoder({ bufferBytes: 64 });
    encoder.writeString("first");
    const first = encoder.take();
    let expected = "";
    for (let i = 0; i < 100; i++) {
      encoder.writeBulk("x".repeat(i));
      expected += `$${i}\r\n${"x".repeat(i)}\r\n`;
    }
    assert.equal(text.decode(first), "+first\r\n");
    assert.equal(text.decode(encoder.take()), expected);
    assert.equal(encoder.take().length, 0);
  });

  test("a lent first buffer is written only inside its view, then left for one of its own", () => {
    const slab = new Uint8Array(48).fill(0xee);
    const encoder = new RespEncoder({ bufferBytes: 64, initialBuffer: slab.subarray(8, 24) });
    encoder.writeString("OK");
    assert.equal(text.decode(slab.subarray(8, 13)), "+OK\r\n");
    encoder.writeBulk("a longer value than the view");
    assert.equal(
      text.decode(encoder.take()),
      "+OK\r\n$28\r\na longer value than the view\r\n",
    );
    assert.ok(slab.subarray(0, 8).every((byte) => byte === 0xee));
    assert.ok(slab.subarray(24).every((byte) => byte === 0xee));
  });

  test("a bulk larger than the buffer gets a buffer of its own", () => {
    const encoder = new RespEncoder({ bufferBytes: 64 });
    const payload = new Uint8Array(1000).fill(0x61);
    encoder.writeBulk(payload);
    assert.equal(text.decode(encoder.take()), `$1000\r\n${"a".repeat(1000)}\r\n`);
  });

  test("truncate drops untaken bytes only", () => {
    const encoder = new RespEncoder();
    encoder.writeString("A");
    const mark = encoder.position;
    encoder.writeArray(2);
    encoder.writeInt(1);
    assert.equal(encoder.truncate(mark), true);
    encoder.writeError("ERR oops");
    assert.equal(text.decode(encoder.take()), "+A\r\n-ERR oops\r\n");
    encoder.writeString("B");
    assert.equal(encoder.truncate(mark), false);
  });

  test("misuse is refused", () => {
    const encoder = new RespEncoder({ protocol: 3 });
    assert.throws(() => encoder.writeInt(1.5), RangeError);
    assert.throws(() => encoder.writeInt(2 ** 60), RangeError);
    assert.throws(() => encoder.writeVerbatim("x", "toolong"), TypeError);
    assert.throws(() => encoder.writeBigNumber("12a"), TypeError);
    assert.throws(() => new RespEncoder({ bufferBytes: 1 }), RangeError);
  });
});

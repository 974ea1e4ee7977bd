import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crc32c, crc32cU64 } from "./crc32c.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time reference, to check the sliced tables. */
function slowCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32c", () => {
  test("known vectors", () => {
    assert.equal(crc32c(text("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of 0xff
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(crc32c(ascending), 0x46dd794e);
  });

  test("matches a bitwise reference at every length and offset", () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= bytes.length; end += 7) {
        assert.equal(crc32c(bytes, 0, start, end), slowCrc32c(bytes.subarray(start, end)));
      }
    }
  });

  test("views at every alignment of their buffer, long enough for the word path", () => {
    const backing = Uint8Array.from({ length: 1200 }, (_, i) => (i * 97 + 13) & 0xff);
    for (let offset = 0; offset < 8; offset++) {
      const view = backing.subarray(offset, offset + 1100);
      for (let start = 0; start < 6; start++) {
        for (const end of [start + 63, start + 64, start + 65, start + 200, 1099, 1100]) {
          assert.equal(crc32c(view, 0, start, end), slowCrc32c(view.subarray(start, end)));
        }
      }
    }
    // Alternating buffers: the cached word view must follow the buffer.
    const other = backing.slice();
    other[500] = other[500]! ^ 1;
    assert.notEqual(crc32c(backing, 0, 0, 1000), crc32c(other, 0, 0, 1000));
    assert.equal(crc32c(backing, 0, 0, 1000), slowCrc32c(backing.subarray(0, 1000)));
  });

  test("follows a view whose resizable buffer grew after it was checksummed", () => {
    const buffer = new ArrayBuffer(64, { maxByteLength: 4096 });
    const view = new Uint8Array(buffer); // length-tracking: grows with the buffer
    view.fill(3);
    assert.equal(crc32c(view), slowCrc32c(view));
    buffer.resize(1024);
    view.fill(5, 64);
    assert.equal(crc32c(view), slowCrc32c(view.slice()));
  });

  test("crc32cU64 is the CRC of a number's eight little-endian bytes", () => {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    for (
      const value of [0, 1, 255, 4711, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]
    ) {
      view.setBigUint64(0, BigInt(value), true);
      assert.equal(crc32cU64(value), slowCrc32c(bytes), `${value}`);
      const tail = text("and then some");
      assert.equal(crc32c(tail, crc32cU64(value)), slowCrc32c(new Uint8Array([...bytes, ...tail])));
    }
  });

  test("continues across chunks", () => {
    const bytes = text("The quick brown fox jumps over the lazy dog");
    const whole = crc32c(bytes);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const first = crc32c(bytes.subarray(0, cut));
      assert.equal(crc32c(bytes, first, cut), whole);
    }
  });
});

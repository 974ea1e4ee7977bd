import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ByteReader, ByteWriter } from "./_bytes.ts";
import { RespSyntaxError } from "../errors.ts";

describe("ByteReader", () => {
  test("reads back blobs as written, as views of the input", () => {
    const writer = new ByteWriter(16);
    writer.blob(new Uint8Array([1, 2, 3]));
    writer.blob(new Uint8Array(0));
    writer.text("hé");
    const bytes = writer.bytes();
    const reader = new ByteReader(bytes);
    const first = reader.blob();
    assert.deepEqual(first, new Uint8Array([1, 2, 3]));
    assert.equal(first.buffer, bytes.buffer);
    assert.equal(reader.blob().length, 0);
    assert.equal(reader.text(), "hé");
    assert.ok(reader.atEnd());
  });

  test("a blob that runs past the end is refused, whatever the cut", () => {
    const writer = new ByteWriter(300);
    writer.blob(new Uint8Array(200).fill(7)); // a two-byte length
    const whole = writer.bytes();
    for (let cut = 0; cut < whole.length; cut++) {
      const reader = new ByteReader(whole.subarray(0, cut));
      assert.throws(() => reader.blob(), RespSyntaxError, `cut at ${cut}`);
    }
    // Within a larger buffer too: the bound is the view's end, not the buffer's.
    const padded = new Uint8Array(whole.length + 8);
    padded.set(whole);
    assert.throws(
      () => new ByteReader(padded.subarray(0, whole.length - 1)).blob(),
      RespSyntaxError,
    );
    assert.equal(new ByteReader(padded.subarray(0, whole.length)).blob().length, 200);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RespSyntaxError } from "../errors.ts";
import { RespDecoder, type RespDecoderOptions } from "./decoder.ts";
import { Prng } from "../../tests/_support/prng.ts";

const utf8 = new TextEncoder();

/** Bytes as a binary string, for readable, exact comparisons. */
function binary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

function fromBinary(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function multibulk(args: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [utf8.encode(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(utf8.encode(`$${arg.length}\r\n`), arg, utf8.encode("\r\n"));
  return concat(parts);
}

/** Splits at random points; `mode` picks 1-byte chunks, small chunks, or few large ones. */
function split(prng: Prng, bytes: Uint8Array, mode: "bytes" | "small" | "large" | "whole") {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = mode === "bytes"
      ? 1
      : mode === "small"
      ? prng.range(1, 16)
      : mode === "large"
      ? prng.range(1, Math.max(1, bytes.length >> 1))
      : bytes.length;
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

interface Outcome {
  frames: string[][];
  /** `offset` right after each frame came out. */
  ends: number[];
  error: { message: string; offset: number } | undefined;
}

/** Feeds the chunks and collects every request, failing the test on a non-RESP exception. */
function decode(chunks: Uint8Array[], options: RespDecoderOptions = {}): Outcome {
  const decoder = new RespDecoder(options);
  const outcome: Outcome = { frames: [], ends: [], error: undefined };
  let calls = 0;
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (let args = decoder.next(); args !== undefined; args = decoder.next()) {
        outcome.frames.push(args.map(binary));
        outcome.ends.push(decoder.offset);
        // Every request consumes at least 3 bytes: no endless loop.
        assert.ok(++calls <= decoder.offset, "more requests than bytes");
      }
    }
  } catch (error) {
    if (!(error instanceof RespSyntaxError)) throw error;
    outcome.error = { message: error.message, offset: error.offset };
  }
  return outcome;
}

function randomArg(prng: Prng): Uint8Array {
  const kind = prng.int(10);
  if (kind === 0) return new Uint8Array(0);
  if (kind === 1) return utf8.encode("\r\n");
  if (kind === 2) return prng.bytes(prng.range(100, 3000));
  const arg = prng.bytes(prng.range(1, 20));
  if (prng.chance(0.3)) arg[prng.int(arg.length)] = 0x0d;
  return arg;
}

function randomCommand(prng: Prng): Uint8Array[] {
  const count = prng.chance(0.05) ? prng.range(50, 300) : prng.range(1, 6);
  return Array.from({ length: count }, () => randomArg(prng));
}

/** An argument as an inline word: bare when safe, else double-quoted with escapes. */
function inlineWord(prng: Prng, arg: Uint8Array): string {
  const plain = arg.length > 0 &&
    arg.every((b) => b > 0x20 && b < 0x7f && b !== 0x22 && b !== 0x27);
  if (plain && prng.chance(0.7)) return binary(arg);
  if (plain && prng.chance(0.5) && !arg.includes(0x5c)) return `'${binary(arg)}'`;
  let word = '"';
  for (const byte of arg) {
    if (byte === 0x22 || byte === 0x5c) word += "\\" + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f) word += String.fromCharCode(byte);
    else word += "\\x" + byte.toString(16).padStart(2, "0");
  }
  return word + '"';
}

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

describe("RespDecoder properties", () => {
  test("random multibulk requests decode equal and in order, however split", () => {
    for (const seed of SEEDS) {
      const prng = new Prng(seed);
      const commands = Array.from({ length: prng.range(1, 40) }, () => randomCommand(prng));
      const frames = commands.map(multibulk);
      const stream = concat(frames);
      const expected = commands.map((command) => command.map(binary));
      const ends: number[] = [];
      frames.reduce((at, frame) => (ends.push(at + frame.length), at + frame.length), 0);
      for (const mode of ["whole", "large", "small", "bytes"] as const) {
        const outcome = decode(split(prng, stream, mode));
        assert.equal(outcome.error, undefined, `seed ${seed} ${mode}`);
        assert.deepEqual(outcome.frames, expected, `seed ${seed} ${mode}`);
        assert.deepEqual(outcome.ends, ends, `seed ${seed} ${mode}`);
      }
    }
  });

  test("random inline requests (bare, quoted, escaped) decode equal, mixed with multibulk", () => {
    for (const seed of SEEDS) {
      const prng = new Prng(seed);
      const expected: string[][] = [];
      const parts: Uint8Array[] = [];
      for (let n = prng.range(1, 30); n > 0; n--) {
        const args = Array.from(
          { length: prng.range(1, 8) },
          () => prng.chance(0.5) ? utf8.encode(`w${prng.int(1000)}`) : prng.bytes(prng.int(12)),
        );
        expected.push(args.map(binary));
        if (prng.chance(0.3)) {
          parts.push(multibulk(args));
          continue;
        }
        const separator = () => prng.pick([" ", "  ", "\t", " \t "]);
        const line = args.map((arg) => inlineWord(prng, arg)).join(separator());
        parts.push(fromBinary(prng.pick(["", " "]) + line + prng.pick(["\r\n", "\n", " \r\n"])));
      }
      const stream = concat(parts);
      for (const mode of ["whole", "small", "bytes"] as const) {
        const outcome = decode(split(prng, stream, mode));
        assert.equal(outcome.error, undefined, `seed ${seed} ${mode}`);
        assert.deepEqual(outcome.frames, expected, `seed ${seed} ${mode}`);
      }
    }
  });

  test("arguments are views into the pushed chunk (no copy) when a request fits in it", () => {
    const chunk = multibulk([utf8.encode("SET"), utf8.encode("key"), new Uint8Array(1000)]);
    const decoder = new RespDecoder();
    decoder.push(chunk);
    const args = decoder.next()!;
    assert.equal(args.length, 3);
    for (const arg of args) assert.equal(arg.buffer, chunk.buffer);
  });

  test("a bulk that straddles chunks is joined once, holding only what arrived", () => {
    const payload = new Prng(7).bytes(1 << 20);
    const stream = multibulk([utf8.encode("SET"), utf8.encode("k"), payload]);
    const decoder = new RespDecoder();
    let buffered = 0;
    for (let at = 0; at < stream.length; at += 4096) {
      const chunk = stream.subarray(at, at + 4096);
      decoder.push(chunk);
      const args = decoder.next();
      if (at + 4096 < stream.length) {
        assert.equal(args, undefined);
        assert.ok(decoder.bufferedBytes >= buffered && decoder.bufferedBytes <= at + 4096);
        buffered = decoder.bufferedBytes;
      } else {
        assert.equal(binary(args![2]!), binary(payload));
      }
    }
  });

  test("a huge declared bulk is refused from its digits, before any payload", () => {
    const decoder = new RespDecoder();
    decoder.push(utf8.encode("*2\r\n$3\r\nGET\r\n$1073741824"));
    assert.throws(() => decoder.next(), {
      name: "RespSyntaxError",
      message: "invalid bulk length",
    });
    const small = new RespDecoder({ bulkBytesMax: 10 });
    small.push(utf8.encode("*1\r\n$11"));
    assert.throws(() => small.next(), (error) => error instanceof RespSyntaxError);
    const ok = new RespDecoder({ bulkBytesMax: 10 });
    ok.push(utf8.encode("*1\r\n$10\r\n0123456789\r\n"));
    assert.equal(ok.next()?.length, 1);
  });

  test("an error sticks: later calls throw the same error", () => {
    const decoder = new RespDecoder();
    decoder.push(utf8.encode("*x\r\n"));
    let first: unknown;
    assert.throws(() => decoder.next(), (error) => (first = error) instanceof RespSyntaxError);
    decoder.push(utf8.encode("PING\r\n"));
    assert.throws(() => decoder.next(), (error) => error === first);
  });

  test("empty inline lines, *0 and *-1 are skipped as Redis does", () => {
    const outcome = decode([utf8.encode("\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n")]);
    assert.deepEqual(outcome.frames, [["PING"]]);
  });

  test("inline quoting follows sdssplitargs", () => {
    const cases: [string, string[]][] = [
      ['set "a b" c', ["set", "a b", "c"]],
      ['"\\x41\\x4a\\x4" \'it\\\'s\' "\\n\\r\\t\\b\\a\\q"', ["AJx4", "it's", "\n\r\t\b\x07q"]],
      ['a"b c"', ["ab c"]],
      ["a'b c'", ["ab c"]],
      ['""', [""]],
      ["''", [""]],
      ["x\x00ignored after NUL", ["x"]],
      ["a\vb\fc", ["a\vb\fc"]],
      ["\va b", ["a", "b"]],
    ];
    for (const [line, args] of cases) {
      const outcome = decode([fromBinary(line + "\r\n")]);
      assert.equal(outcome.error, undefined, JSON.stringify(line));
      assert.deepEqual(outcome.frames, [args], JSON.stringify(line));
    }
  });
});

describe("RespDecoder malformed input", () => {
  const limits: RespDecoderOptions = {
    inlineBytesMax: 16,
    argumentCountMax: 4,
    bulkBytesMax: 8,
    requestBytesMax: 40,
  };
  // [input, message, offset]: each must fail the same way whole and byte by byte.
  const cases: [string, string, number][] = [
    ["*x\r\n", "invalid multibulk length", 0],
    ["*\r\n", "invalid multibulk length", 0],
    ["*01\r\n", "invalid multibulk length", 0],
    ["*-0\r\n", "invalid multibulk length", 0],
    ["*+1\r\n", "invalid multibulk length", 0],
    ["*1 \r\n", "invalid multibulk length", 0],
    ["*1\rX", "invalid multibulk length", 0],
    ["*1\n", "invalid multibulk length", 0],
    ["*5\r\n", "invalid multibulk length", 0],
    ["*99999999999999999999\r\n", "invalid multibulk length", 0],
    ["PING\r\n*1\r\n*1\r\n", "expected '$', got '*'", 10],
    ["*1\r\n:1\r\n", "expected '$', got ':'", 4],
    ["*1\r\nfoo\r\n", "expected '$', got 'f'", 4],
    ["*2\r\n$1\r\na\r\n+OK\r\n", "expected '$', got '+'", 11],
    ["*1\r\n$-1\r\n", "invalid bulk length", 4],
    ["*1\r\n$-5\r\n", "invalid bulk length", 4],
    ["*1\r\n$x\r\n", "invalid bulk length", 4],
    ["*1\r\n$\r\n", "invalid bulk length", 4],
    ["*1\r\n$03\r\n", "invalid bulk length", 4],
    ["*1\r\n$1.5\r\n", "invalid bulk length", 4],
    ["*1\r\n$9\r\n", "invalid bulk length", 4],
    ["*1\r\n$3\r\nabcd\r\n", "expected '\\r\\n' after bulk data", 11],
    ["*1\r\n$3\r\nabc\n\r", "expected '\\r\\n' after bulk data", 11],
    ["*1\r\n$0\r\nXY", "expected '\\r\\n' after bulk data", 8],
    ["*4\r\n$8\r\n12345678\r\n$8\r\n12345678\r\n$8\r\n", "too big request", 32],
    ["0123456789abcdefg\r\n", "too big inline request", 0],
    ["PING\r\n0123456789abcdefgh", "too big inline request", 6],
    ['get "abc\r\n', "unbalanced quotes in request", 0],
    ["get 'abc\r\n", "unbalanced quotes in request", 0],
    ['get "a"b\r\n', "unbalanced quotes in request", 0],
    ["get 'a'b\r\n", "unbalanced quotes in request", 0],
    ['"a\x00"\r\n', "unbalanced quotes in request", 0],
    ['x "\\\r\n', "unbalanced quotes in request", 0],
  ];
  for (const [input, message, offset] of cases) {
    test(`${JSON.stringify(input)} → ${message} at ${offset}`, () => {
      const bytes = fromBinary(input);
      for (const chunks of [[bytes], split(new Prng(1), bytes, "bytes")]) {
        const outcome = decode(chunks, limits);
        assert.deepEqual(outcome.error, { message, offset });
      }
    });
  }

  test("a 16-byte inline line is accepted at the 16-byte limit, split or not", () => {
    const bytes = utf8.encode("0123456789abcdef\r\n");
    for (const chunks of [[bytes], split(new Prng(2), bytes, "bytes")]) {
      assert.deepEqual(decode(chunks, limits).frames, [["0123456789abcdef"]]);
    }
  });

  test("limits must be positive integers", () => {
    assert.throws(() => new RespDecoder({ bulkBytesMax: 0 }), RangeError);
    assert.throws(() => new RespDecoder({ inlineBytesMax: 1.5 }), RangeError);
  });
});

describe("RespDecoder fuzz", () => {
  const alphabet = fromBinary("*$-+:0123456789\r\n\r\n \"'\\xaAz\x00");
  const limits = [{}, { inlineBytesMax: 8, bulkBytesMax: 6, argumentCountMax: 3 }];

  function sameOutcome(bytes: Uint8Array, prng: Prng, options: RespDecoderOptions, label: string) {
    const whole = decode([bytes], options);
    for (const mode of ["small", "bytes"] as const) {
      assert.deepEqual(decode(split(prng, bytes, mode), options), whole, `${label} ${mode}`);
    }
  }

  test("random bytes give requests or RespSyntaxError, the same however split", () => {
    const prng = new Prng(42);
    for (let round = 0; round < 3000; round++) {
      const length = prng.range(0, 64);
      const bytes = new Uint8Array(length);
      const skewed = prng.chance(0.7);
      for (let i = 0; i < length; i++) {
        bytes[i] = skewed ? prng.pick([...alphabet]) : prng.int(256);
      }
      sameOutcome(
        bytes,
        prng,
        prng.pick(limits),
        `round ${round} ${JSON.stringify(binary(bytes))}`,
      );
    }
  });

  test("mutated valid streams give requests or RespSyntaxError, the same however split", () => {
    const prng = new Prng(43);
    for (let round = 0; round < 1500; round++) {
      const commands = Array.from({ length: prng.range(1, 4) }, () => {
        return Array.from({ length: prng.range(1, 3) }, () => prng.bytes(prng.int(6)));
      });
      const bytes = Array.from(concat(commands.map(multibulk)));
      for (let n = prng.range(1, 3); n > 0; n--) {
        const at = prng.int(bytes.length);
        const byte = prng.chance(0.5) ? prng.pick([...alphabet]) : prng.int(256);
        const edit = prng.int(3);
        if (edit === 0) bytes[at] = byte;
        else if (edit === 1) bytes.splice(at, 0, byte);
        else bytes.splice(at, 1);
      }
      const mutated = Uint8Array.from(bytes);
      sameOutcome(
        mutated,
        prng,
        prng.pick(limits),
        `round ${round} ${JSON.stringify(binary(mutated))}`,
      );
    }
  });
});

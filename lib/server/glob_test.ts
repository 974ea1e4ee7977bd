import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { globMatch } from "./glob.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const match = (pattern: string, subject: string, ignoreCase = false): boolean =>
  globMatch(bytes(pattern), bytes(subject), { ignoreCase });

describe("globMatch", () => {
  test("literals, ? and *", () => {
    assert.equal(match("hello", "hello"), true);
    assert.equal(match("hello", "hell"), false);
    assert.equal(match("h?llo", "hallo"), true);
    assert.equal(match("h?llo", "hllo"), false);
    assert.equal(match("h*llo", "hllo"), true);
    assert.equal(match("h*llo", "heeeello"), true);
    assert.equal(match("*", ""), true);
    assert.equal(match("", ""), true);
    assert.equal(match("", "a"), false);
    assert.equal(match("a*b*c", "aXXbYYc"), true);
    assert.equal(match("a*b*c", "aXXbYY"), false);
    assert.equal(match("*.txt", "notes.txt.bak"), false);
  });

  test("sets, negation, ranges and escapes", () => {
    assert.equal(match("h[ae]llo", "hello"), true);
    assert.equal(match("h[ae]llo", "hillo"), false);
    assert.equal(match("h[^e]llo", "hallo"), true);
    assert.equal(match("h[^e]llo", "hello"), false);
    assert.equal(match("h[a-b]llo", "hbllo"), true);
    assert.equal(match("h[a-b]llo", "hcllo"), false);
    assert.equal(match("h[b-a]llo", "hallo"), true, "a reversed range still matches");
    assert.equal(match("h\\*llo", "h*llo"), true);
    assert.equal(match("h\\*llo", "hello"), false);
    assert.equal(match("[\\]]", "]"), true);
    assert.equal(match("[a-]", "-"), true, "a dash before ] is literal");
  });

  test("ignoreCase folds ASCII letters only", () => {
    assert.equal(match("HeLLo", "hello", true), true);
    assert.equal(match("[A-C]x", "bx", true), true);
    assert.equal(match("HeLLo", "hello"), false);
  });

  test("binary subjects match byte by byte", () => {
    const subject = new Uint8Array([0, 255, 13, 10]);
    assert.equal(globMatch(bytes("*"), subject), true);
    assert.equal(globMatch(new Uint8Array([0, 0x3f, 0x2a]), subject), true);
    assert.equal(globMatch(new Uint8Array([1, 0x2a]), subject), false);
  });

  test("agrees with a naive recursive matcher on random patterns", () => {
    // Oracle: the textbook recursion, exponential but fine for short inputs.
    const oracle = (pattern: string, subject: string): boolean => {
      if (pattern.length === 0) return subject.length === 0;
      if (pattern[0] === "*") {
        for (let i = 0; i <= subject.length; i++) {
          if (oracle(pattern.slice(1), subject.slice(i))) return true;
        }
        return false;
      }
      if (subject.length === 0) return false;
      if (pattern[0] === "?" || pattern[0] === subject[0]) {
        return oracle(pattern.slice(1), subject.slice(1));
      }
      return false;
    };
    let state = 12345;
    const next = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const alphabet = "ab*?";
    for (let round = 0; round < 5000; round++) {
      let pattern = "";
      let subject = "";
      for (let i = next(7); i > 0; i--) pattern += alphabet[next(alphabet.length)];
      for (let i = next(8); i > 0; i--) subject += "ab"[next(2)];
      assert.equal(match(pattern, subject), oracle(pattern, subject), `${pattern} ~ ${subject}`);
    }
  });
});

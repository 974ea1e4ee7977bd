/**
 * Redis glob patterns, as `KEYS`, `SCAN MATCH` and `RAFT INFO` use them.
 *
 * @module
 */

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const CARET = 0x5e; // ^
const DASH = 0x2d; // -
const BACKSLASH = 0x5c; // \

/** Options for {@linkcode globMatch}. */
export interface GlobMatchOptions {
  /** Compare ASCII letters case-insensitively. */
  ignoreCase?: boolean;
}

/**
 * Tests `subject` against a Redis glob `pattern`: `*` any run of bytes, `?` one byte,
 * `[abc]` one of a set, `[^a]` anything but, `[a-z]` a range, `\x` the byte `x` literally.
 * Works on bytes, so binary keys match as Redis matches them. Runs in O(pattern × subject)
 * at worst: a `*` only ever backtracks to the most recent star, never exponentially.
 *
 * @example
 * ```ts
 * import { globMatch } from "./glob.ts";
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * console.log(globMatch(bytes("h?llo*"), bytes("hello world"))); // true
 * console.log(globMatch(bytes("h[^e]llo"), bytes("hello"))); // false
 * ```
 */
export function globMatch(
  pattern: Uint8Array,
  subject: Uint8Array,
  options: GlobMatchOptions = {},
): boolean {
  const fold = options.ignoreCase === true;
  let p = 0;
  let s = 0;
  // Where to resume after the most recent `*`: pattern just past it, and the subject position
  // it has swallowed up to so far.
  let starPattern = -1;
  let starSubject = 0;
  while (s < subject.length) {
    const step = p < pattern.length ? matchOne(pattern, p, subject[s]!, fold) : -1;
    if (step === STAR_STEP) {
      starPattern = p + 1;
      starSubject = s;
      p++;
    } else if (step > 0) {
      p += step;
      s++;
    } else if (starPattern >= 0) {
      p = starPattern;
      s = ++starSubject;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}

const STAR_STEP = -2;

/**
 * Matches one pattern element at `p` against `byte`: returns the element's length in the
 * pattern on a match, 0 on a mismatch, or STAR_STEP for a `*`.
 */
function matchOne(pattern: Uint8Array, p: number, byte: number, fold: boolean): number {
  const c = pattern[p]!;
  if (c === STAR) return STAR_STEP;
  if (c === QUESTION) return 1;
  if (c === OPEN) return matchSet(pattern, p, byte, fold);
  if (c === BACKSLASH && p + 1 < pattern.length) {
    return equal(pattern[p + 1]!, byte, fold) ? 2 : 0;
  }
  return equal(c, byte, fold) ? 1 : 0;
}

/** Matches a `[...]` set starting at `p`; an unclosed set runs to the end of the pattern. */
function matchSet(pattern: Uint8Array, p: number, byte: number, fold: boolean): number {
  let i = p + 1;
  const negate = pattern[i] === CARET;
  if (negate) i++;
  let found = false;
  while (i < pattern.length && pattern[i] !== CLOSE) {
    const c = pattern[i]!;
    if (c === BACKSLASH && i + 1 < pattern.length) {
      if (equal(pattern[i + 1]!, byte, fold)) found = true;
      i += 2;
    } else if (i + 2 < pattern.length && pattern[i + 1] === DASH && pattern[i + 2] !== CLOSE) {
      if (inRange(c, pattern[i + 2]!, byte, fold)) found = true;
      i += 3;
    } else {
      if (equal(c, byte, fold)) found = true;
      i++;
    }
  }
  const length = (i < pattern.length ? i + 1 : i) - p;
  return found !== negate ? length : 0;
}

function inRange(from: number, to: number, byte: number, fold: boolean): boolean {
  const low = Math.min(from, to);
  const high = Math.max(from, to);
  if (byte >= low && byte <= high) return true;
  if (!fold) return false;
  const other = swapCase(byte);
  return other >= low && other <= high;
}

function equal(a: number, b: number, fold: boolean): boolean {
  return a === b || (fold && swapCase(a) === b);
}

function swapCase(byte: number): number {
  if (byte >= 0x41 && byte <= 0x5a) return byte + 0x20;
  if (byte >= 0x61 && byte <= 0x7a) return byte - 0x20;
  return byte;
}

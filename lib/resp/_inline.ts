/**
 * Splitting of inline (telnet-style) requests, following Redis's `sdssplitargs`: arguments are
 * separated by white space; `"..."` takes the escapes `\n \r \t \b \a \xHH` and `\<c>`; `'...'`
 * takes `\'` only; a closing quote must be followed by white space or the end of the line; a NUL
 * byte ends the line, as it ends the C string Redis splits.
 *
 * @module
 */

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
const LOWER_X = 0x78;

/** C's isspace() in the "C" locale. */
function isSpace(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CR);
}

/** Value of a hex digit, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

/** What an escaped character stands for inside double quotes. */
function unescape(byte: number): number {
  switch (byte) {
    case 0x6e: // n
      return LF;
    case 0x72: // r
      return CR;
    case 0x74: // t
      return TAB;
    case 0x62: // b
      return 0x08;
    case 0x61: // a
      return 0x07;
    default:
      return byte;
  }
}

/** Result of scanning one quoted run: the position after it, or -1 when unbalanced. */
type QuotedEnd = number;

/** Appends a double-quoted run starting after the opening quote; returns the index after it. */
function scanDoubleQuoted(buf: Uint8Array, i: number, end: number, out: number[]): QuotedEnd {
  while (i < end) {
    const byte = buf[i]!;
    if (byte === 0) return -1;
    if (byte === BACKSLASH && i + 1 < end && buf[i + 1] !== 0) {
      const next = buf[i + 1]!;
      if (next === LOWER_X && i + 3 < end) {
        const high = hexValue(buf[i + 2]!);
        const low = hexValue(buf[i + 3]!);
        if (high >= 0 && low >= 0) {
          out.push(high * 16 + low);
          i += 4;
          continue;
        }
      }
      out.push(unescape(next));
      i += 2;
      continue;
    }
    if (byte === DOUBLE_QUOTE) return closeQuote(buf, i, end);
    out.push(byte);
    i++;
  }
  return -1;
}

/** Appends a single-quoted run starting after the opening quote; returns the index after it. */
function scanSingleQuoted(buf: Uint8Array, i: number, end: number, out: number[]): QuotedEnd {
  while (i < end) {
    const byte = buf[i]!;
    if (byte === 0) return -1;
    if (byte === BACKSLASH && i + 1 < end && buf[i + 1] === SINGLE_QUOTE) {
      out.push(SINGLE_QUOTE);
      i += 2;
      continue;
    }
    if (byte === SINGLE_QUOTE) return closeQuote(buf, i, end);
    out.push(byte);
    i++;
  }
  return -1;
}

/** A closing quote at `i` must be followed by white space or the end of the line. */
function closeQuote(buf: Uint8Array, i: number, end: number): QuotedEnd {
  const after = i + 1;
  if (after < end && buf[after] !== 0 && !isSpace(buf[after]!)) return -1;
  return after;
}

/** Does an unquoted run end at this byte? (sdssplitargs: space, \n, \r, \t, NUL) */
function endsWord(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB || byte === 0;
}

/**
 * Splits `buf[start, end)` into arguments. Unquoted words come out as views into `buf`; words
 * with quotes are copied (their bytes differ from the input). Returns undefined when quotes are
 * unbalanced.
 */
export function splitInline(
  buf: Uint8Array,
  start: number,
  end: number,
): Uint8Array[] | undefined {
  const args: Uint8Array[] = [];
  let i = start;
  for (;;) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end || buf[i] === 0) return args;
    const wordStart = i;
    while (i < end && !endsWord(buf[i]!) && buf[i] !== DOUBLE_QUOTE && buf[i] !== SINGLE_QUOTE) {
      i++;
    }
    if (i >= end || endsWord(buf[i]!)) {
      args.push(buf.subarray(wordStart, i));
      if (i < end && buf[i] === 0) return args;
      i++;
      continue;
    }
    const next = scanQuotedWord(buf, wordStart, i, end, args);
    if (next < 0) return undefined;
    if (next < end && buf[next] === 0) return args;
    i = next + (next < end ? 1 : 0);
  }
}

/**
 * Scans a word that contains quotes: `buf[wordStart, i)` is plain, `buf[i]` opens a quote.
 * Pushes the word and returns the index of the byte that ended it, or -1 when unbalanced.
 */
function scanQuotedWord(
  buf: Uint8Array,
  wordStart: number,
  i: number,
  end: number,
  args: Uint8Array[],
): number {
  const bytes: number[] = Array.from(buf.subarray(wordStart, i));
  const after = buf[i] === DOUBLE_QUOTE
    ? scanDoubleQuoted(buf, i + 1, end, bytes)
    : scanSingleQuoted(buf, i + 1, end, bytes);
  if (after < 0) return -1;
  // Like sdssplitargs, the word ends at its closing quote.
  args.push(Uint8Array.from(bytes));
  return after;
}

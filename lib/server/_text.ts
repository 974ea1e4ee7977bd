/**
 * Small helpers to read command arguments as text.
 *
 * @module
 */

const utf8 = new TextDecoder();

/** An argument as text (UTF-8, invalid bytes replaced). */
export function text(arg: Uint8Array): string {
  return utf8.decode(arg);
}

/** An argument lower-cased, for matching keywords and subcommands. */
export function keyword(arg: Uint8Array): string {
  return utf8.decode(arg).toLowerCase();
}

/** A name as it may appear inside an error message: at most 128 characters, as Redis cuts. */
export function quoted(arg: Uint8Array): string {
  return utf8.decode(arg.subarray(0, 128));
}

/**
 * Parses a base-10 integer as Redis's string2ll does (no spaces, no `+`, no leading zeros);
 * undefined when the text is not one.
 */
export function parseInteger(arg: Uint8Array): number | undefined {
  const value = utf8.decode(arg);
  if (!/^(0|-?[1-9][0-9]{0,15})$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** Redis's rule for client names and library names: printable ASCII without spaces. */
export function isValidName(value: string): boolean {
  return /^[\x21-\x7e]*$/.test(value);
}

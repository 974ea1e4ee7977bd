/**
 * Always-on assertions for programmer errors (DESIGN.md §7). Operating errors — a full disk,
 * a lost peer, bad client bytes — are handled where they occur and never reach these.
 *
 * @module
 */

/** Raised when an internal invariant does not hold: a bug in Flotilla, never a user error. */
export class AssertionError extends Error {
  /** @param message What invariant failed. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/**
 * Throws an {@linkcode AssertionError} unless `condition` holds.
 *
 * @example
 * ```ts
 * assert(1 + 1 === 2, "arithmetic works");
 * ```
 */
export function assert(condition: unknown, message = "Assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Marks a branch that cannot be reached; the `never` parameter makes switches exhaustive.
 *
 * @example
 * ```ts
 * type Role = "leader" | "follower";
 * function describe(role: Role): string {
 *   switch (role) {
 *     case "leader": return "L";
 *     case "follower": return "F";
 *     default: return unreachable(role);
 *   }
 * }
 * ```
 */
export function unreachable(value: never, message = "Unreachable code reached"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

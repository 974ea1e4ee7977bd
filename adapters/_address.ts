/**
 * Formats addresses the way the port reports them.
 *
 * @module
 */

/**
 * Joins a host and a port as `host:port`, bracketing IPv6 literals (`[::1]:7481`) so the last
 * colon always separates the port.
 *
 * @example
 * ```ts ignore
 * formatAddress("127.0.0.1", 7481); // "127.0.0.1:7481"
 * formatAddress("::1", 7481); // "[::1]:7481"
 * ```
 */
export function formatAddress(hostname: string, port: number): string {
  const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return `${host}:${port}`;
}

/**
 * Rejects a port outside 0..65535 (0 only for listening) as misuse, the same on every runtime
 * (Deno, Bun and Node would each fail differently).
 *
 * @example
 * ```ts ignore
 * checkPort(7481, true);
 * ```
 */
export function checkPort(port: number, mayBeZero: boolean): void {
  if (!Number.isInteger(port) || port < (mayBeZero ? 0 : 1) || port > 65535) {
    throw new RangeError(`Port must be an integer in ${mayBeZero ? 0 : 1}..65535, got ${port}`);
  }
}

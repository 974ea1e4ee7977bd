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

/**
 * A raw RESP test client over any {@linkcode Runtime}: sends bytes, waits for exact replies.
 *
 * @module
 */

import type { Connection, Runtime } from "../../lib/runtime.ts";

const utf8 = new TextEncoder();
const latin1 = (bytes: Uint8Array): string => {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
};

/** Encodes a command as a multibulk request. */
export function command(...args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [utf8.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? utf8.encode(arg) : arg;
    parts.push(utf8.encode(`$${bytes.length}\r\n`), bytes, utf8.encode("\r\n"));
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A connected client that collects everything it receives as a binary string. */
export class TestClient {
  readonly connection: Connection;
  /** Received and not yet consumed by `read`. */
  buffer = "";
  ended = false;
  closed = false;
  #wake: (() => void) | undefined;

  constructor(connection: Connection) {
    this.connection = connection;
    connection.start({
      data: (chunk) => {
        this.buffer += latin1(chunk);
        this.#notify();
      },
      end: () => {
        this.ended = true;
        this.#notify();
      },
      close: () => {
        this.closed = true;
        this.#notify();
      },
    });
  }

  /** Dials `port` on `runtime`. */
  static async connect(runtime: Runtime, port: number): Promise<TestClient> {
    return new TestClient(await runtime.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends text (as UTF-8) or bytes. */
  send(data: string | Uint8Array): void {
    this.connection.write(typeof data === "string" ? utf8.encode(data) : data);
  }

  /** Waits until `length` bytes have arrived and returns them (binary string). */
  async read(length: number): Promise<string> {
    await this.#until(() => this.buffer.length >= length || this.closed);
    const out = this.buffer.slice(0, length);
    this.buffer = this.buffer.slice(length);
    return out;
  }

  /** Waits for exactly the text `expected` (length-based) and returns what came. */
  expect(expected: string): Promise<string> {
    return this.read(expected.length);
  }

  /** Waits until the connection is closed or the server half-closed it. */
  async waitClosed(): Promise<void> {
    await this.#until(() => this.closed || this.ended);
  }

  close(): void {
    this.connection.close();
  }

  /** Waits for `done`, failing after 10 s with what arrived (a test never hangs). */
  async #until(done: () => boolean): Promise<void> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#notify();
    }, 10_000);
    try {
      while (!done()) {
        if (timedOut) throw new Error(`Timed out; received ${JSON.stringify(this.buffer)}`);
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

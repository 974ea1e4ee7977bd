/**
 * The outgoing byte queue the Deno and Bun adapters keep per connection (Node's socket keeps
 * its own), and the high-water mark all three adapters share.
 *
 * @module
 */

/**
 * `Connection.write` returns false once this many bytes wait to reach the kernel. 1 MiB holds a
 * large pipelined reply batch or Raft append batch without stalling the writer, while 1,000
 * connections that all stop reading still cost at most about 1 GiB; the kernel's own socket
 * buffer (up to a few MiB on Linux) sits behind it, so a larger mark buys no throughput.
 */
export const WRITE_HIGH_WATER_BYTES = 1024 * 1024;

/** Small queued chunks are merged into one write of at most this many bytes (one syscall). */
export const WRITE_COALESCE_BYTES = 64 * 1024;

/**
 * A FIFO of byte chunks with an exact byte count. Chunks are not copied on `push`; small ones
 * are merged by `next` so that many tiny replies cost one system call.
 *
 * @example
 * ```ts ignore
 * const queue = new WriteQueue();
 * queue.push(bytes);
 * const chunk = queue.next();
 * queue.consume(await conn.write(chunk));
 * ```
 */
export class WriteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;

  /** Bytes queued and not yet consumed. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a chunk (empty chunks are dropped). */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
  }

  /**
   * The bytes to write next: the head chunk, or the head chunks merged into one when they are
   * small. The queue is unchanged until `consume`.
   */
  next(): Uint8Array | undefined {
    const head = this.#chunks[this.#head];
    if (head === undefined) return undefined;
    if (head.byteLength >= WRITE_COALESCE_BYTES / 2) return head;
    let end = this.#head + 1;
    let total = head.byteLength;
    for (; end < this.#chunks.length; end++) {
      const size = this.#chunks[end]!.byteLength;
      if (total + size > WRITE_COALESCE_BYTES) break;
      total += size;
    }
    if (end === this.#head + 1) return head;
    const merged = new Uint8Array(total);
    let offset = 0;
    for (let index = this.#head; index < end; index++) {
      const chunk = this.#chunks[index]!;
      merged.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // Replace the merged run by the one chunk so a partial write can resume inside it.
    this.#chunks.splice(this.#head, end - this.#head, merged);
    return merged;
  }

  /** Drops `count` bytes from the front, after they reached the kernel. */
  consume(count: number): void {
    if (count < 0 || count > this.#bytes) {
      throw new RangeError(`Cannot consume ${count} of ${this.#bytes} queued bytes`);
    }
    this.#bytes -= count;
    while (count > 0) {
      const head = this.#chunks[this.#head]!;
      if (count < head.byteLength) {
        this.#chunks[this.#head] = head.subarray(count);
        return;
      }
      count -= head.byteLength;
      this.#head++;
    }
    this.#compact();
  }

  /** Drops everything (the connection closed). */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /** Reclaims the consumed prefix of the array once it dominates, keeping `shift` O(1). */
  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * Promises that all settle at once, e.g. every `drained()` waiting on one connection.
 *
 * @example
 * ```ts ignore
 * const waiters = new Waiters();
 * const done = waiters.wait();
 * waiters.resolveAll();
 * await done;
 * ```
 */
export class Waiters {
  #resolvers: (() => void)[] = [];

  /** A promise that resolves at the next `resolveAll`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#resolvers.push(resolve));
  }

  /** Resolves every pending promise. */
  resolveAll(): void {
    const resolvers = this.#resolvers;
    this.#resolvers = [];
    for (const resolve of resolvers) resolve();
  }
}

/**
 * Resolves on a later turn of the event loop (a macrotask). `drained()` after a refused write
 * (the connection ended or closed) waits for one, so that a loop such as
 * `while (!closed) if (!conn.write(x)) await conn.drained()` yields to the I/O events that end
 * it instead of spinning on microtasks and starving them.
 *
 * @example
 * ```ts ignore
 * await nextTurn();
 * ```
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

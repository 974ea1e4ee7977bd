/**
 * The file half of the port on `node:fs/promises`, shared by the Node and Bun adapters (Bun
 * has no positional file API of its own). Deno loads it too, without side effects.
 *
 * @module
 */

import * as fs from "node:fs/promises";
import { constants, fdatasyncSync, writeSync } from "node:fs";

import type { FileHandle, FileInfo, FileSystem, OpenOptions } from "../lib/runtime.ts";
import { toRuntimeError } from "./_errors.ts";
import { checkOffset, checkOpenOptions, FileQueue, SYNC_WRITE_BYTES_MAX } from "./_file_queue.ts";

/** A `node:fs/promises` file handle; operations run in call order, one at a time. */
class NodeFileHandle implements FileHandle {
  #handle: fs.FileHandle;
  #path: string;
  #queue = new FileQueue();

  constructor(handle: fs.FileHandle, path: string) {
    this.#handle = handle;
    this.#path = path;
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    checkOffset(position, "position");
    return await this.#run("read", async () => {
      let total = 0;
      while (total < buffer.byteLength) {
        const { bytesRead } = await this.#handle.read(
          buffer,
          total,
          buffer.byteLength - total,
          position + total,
        );
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return total;
    });
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    checkOffset(position, "position");
    if (data.byteLength <= SYNC_WRITE_BYTES_MAX) {
      // A small write lands in the page cache in microseconds; the async call's round trip
      // through the thread pool costs more than the write. It still runs in queue order.
      return await this.#run("write", () => {
        this.#writeAll(data, position);
        return Promise.resolve();
      });
    }
    return await this.#run("write", async () => {
      let total = 0;
      while (total < data.byteLength) {
        const { bytesWritten } = await this.#handle.write(
          data,
          total,
          data.byteLength - total,
          position + total,
        );
        total += bytesWritten;
      }
    });
  }

  writeNow(data: Uint8Array, position: number): boolean {
    checkOffset(position, "position");
    if (!this.#queue.idle || data.byteLength > SYNC_WRITE_BYTES_MAX) return false;
    try {
      this.#writeAll(data, position);
    } catch (error) {
      throw toRuntimeError(error, "write", this.#path);
    }
    return true;
  }

  /** pwrite(2) until all of `data` is written. */
  #writeAll(data: Uint8Array, position: number): void {
    let total = 0;
    while (total < data.byteLength) {
      total += writeSync(this.#handle.fd, data, total, data.byteLength - total, position + total);
    }
  }

  async truncate(size: number): Promise<void> {
    checkOffset(size, "size");
    return await this.#run("truncate", () => this.#handle.truncate(size));
  }

  datasync(): Promise<void> {
    return this.#run("datasync", () => this.#handle.datasync());
  }

  datasyncNow(): boolean {
    if (!this.#queue.idle) return false;
    try {
      fdatasyncSync(this.#handle.fd);
    } catch (error) {
      throw toRuntimeError(error, "datasync", this.#path);
    }
    return true;
  }

  sync(): Promise<void> {
    return this.#run("sync", () => this.#handle.sync());
  }

  size(): Promise<number> {
    return this.#run("stat", async () => (await this.#handle.stat()).size);
  }

  close(): Promise<void> {
    return this.#run("close", () => this.#handle.close());
  }

  async #run<T>(action: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.#queue.run(operation);
    } catch (error) {
      throw toRuntimeError(error, action, this.#path);
    }
  }
}

/** Runs a path operation, translating its failure. */
async function onPath<T>(action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toRuntimeError(error, action, path);
  }
}

/** `open(2)` flags for the port's options; with neither read nor write, read only. */
function openFlags(options: OpenOptions): number {
  const read = options.read ?? false;
  const write = options.write ?? false;
  let flags = write ? (read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY;
  if (options.create || options.createNew) flags |= constants.O_CREAT;
  if (options.createNew) flags |= constants.O_EXCL;
  if (options.truncate) flags |= constants.O_TRUNC;
  return flags;
}

/** Removes one file or one empty directory, as `remove` without `recursive` promises. */
async function removeOne(path: string): Promise<void> {
  const info = await fs.lstat(path);
  if (info.isDirectory()) await fs.rmdir(path);
  else await fs.unlink(path);
}

/** A plain `Uint8Array` view of a Node `Buffer`, so callers never see Buffer semantics. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The port's file operations on `node:fs/promises`.
 *
 * @example
 * ```ts ignore
 * const names = await nodeFileSystem.readDir("data");
 * ```
 */
export const nodeFileSystem: FileSystem = {
  async open(path: string, options: OpenOptions): Promise<FileHandle> {
    checkOpenOptions(options);
    return await onPath("open", path, async () => {
      return new NodeFileHandle(await fs.open(path, openFlags(options), 0o666), path);
    });
  },
  readFile(path: string): Promise<Uint8Array> {
    return onPath("read", path, async () => plainBytes(await fs.readFile(path)));
  },
  stat(path: string): Promise<FileInfo> {
    return onPath("stat", path, async () => {
      const info = await fs.stat(path);
      return { size: info.size, isFile: info.isFile(), isDirectory: info.isDirectory() };
    });
  },
  readDir(path: string): Promise<string[]> {
    return onPath("read directory", path, async () => (await fs.readdir(path)).sort());
  },
  mkdir(path: string): Promise<void> {
    return onPath("create directory", path, async () => {
      await fs.mkdir(path, { recursive: true });
    });
  },
  rename(from: string, to: string): Promise<void> {
    return onPath("rename", `${from} to ${to}`, () => fs.rename(from, to));
  },
  remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    return onPath("remove", path, () => {
      return options.recursive ? fs.rm(path, { recursive: true, force: false }) : removeOne(path);
    });
  },
  syncDir(path: string): Promise<void> {
    return onPath("sync directory", path, async () => {
      const directory = await fs.open(path, constants.O_RDONLY);
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    });
  },
};

/**
 * Test-only: an in-memory {@linkcode FileSystem} that tracks what is durable, injects faults and
 * simulates crashes.
 *
 * Durability follows POSIX: file contents become durable on `datasync`/`sync` of a handle; a
 * directory entry (created, renamed, removed) becomes durable on `syncDir` of its directory.
 * `image()` builds the file system a machine would find after a power loss: durable state only,
 * except that the last unsynced write may survive torn, its first `tornBytes` bytes applied.
 * `crashAfter(n)` freezes the file system before its n-th mutating call: that call and every
 * later one fail, as if the process died there, and `image()` shows the state at that moment.
 *
 * @module
 */

import { RuntimeError } from "../../lib/errors.ts";
import type { FileHandle, FileInfo, FileSystem, OpenOptions } from "../../lib/runtime.ts";

/** The kinds of call a fault predicate sees. */
export type FaultOp =
  | "open"
  | "write"
  | "truncate"
  | "datasync"
  | "sync"
  | "rename"
  | "remove"
  | "syncDir"
  | "mkdir";

interface PendingWrite {
  position: number;
  bytes: Uint8Array;
  /** Global order of writes, to find the last one. */
  sequence: number;
}

class Inode {
  bytes: Uint8Array;
  length: number;
  durable: Uint8Array;
  /** The last write since the last sync (unsynced truncates are simply lost). */
  lastUnsynced: PendingWrite | undefined;

  constructor(durable: Uint8Array) {
    this.bytes = durable.slice();
    this.length = durable.length;
    this.durable = durable.slice();
  }

  content(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  write(position: number, data: Uint8Array): void {
    const end = position + data.length;
    if (end > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(end, this.bytes.length * 2, 64));
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    }
    if (position > this.length) this.bytes.fill(0, this.length, position);
    this.bytes.set(data, position);
    this.length = Math.max(this.length, end);
  }

  truncate(size: number): void {
    if (size > this.length) this.write(size, new Uint8Array(0));
    else {
      this.bytes.fill(0, size, this.length);
      this.length = size;
    }
  }

  sync(): void {
    this.durable = this.content().slice();
    this.lastUnsynced = undefined;
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function normalize(path: string): string {
  return path.replace(/\/+/g, "/").replace(/\/$/, "");
}

/** The fault-injecting, crash-simulating in-memory file system. */
export class FaultFs implements FileSystem {
  #files = new Map<string, Inode>();
  #durableFiles = new Map<string, Inode>();
  #dirs = new Set<string>(["."]);
  #sequence = 0;
  #calls = 0;
  #crashAt = Infinity;
  #frozen: FaultFs | undefined;
  #fail: ((op: FaultOp, path: string) => boolean) | undefined;

  /** Mutating calls made so far. */
  get calls(): number {
    return this.#calls;
  }

  /** Makes calls for which `predicate` returns true fail with `EIO` (undefined: none). */
  failWhen(predicate: ((op: FaultOp, path: string) => boolean) | undefined): void {
    this.#fail = predicate;
  }

  /** Freezes before the `n`-th mutating call (0-based): it and all later calls fail. */
  crashAfter(n: number): void {
    this.#crashAt = n;
  }

  /** Whether `crashAfter` has taken effect. */
  get crashed(): boolean {
    return this.#frozen !== undefined;
  }

  /** Length of the last unsynced write that reached a durable file, or undefined. */
  lastUnsyncedWriteBytes(): number | undefined {
    const source = this.#frozen ?? this;
    return source.#lastUnsynced()?.write.bytes.length;
  }

  /**
   * The file system after a power loss at this moment (or at the crash point): durable state
   * only, plus the first `tornBytes` bytes of the last unsynced write when given.
   */
  image(tornBytes?: number): FaultFs {
    const source = this.#frozen ?? this;
    const fs = new FaultFs();
    fs.#dirs = new Set(source.#dirs);
    const copies = new Map<Inode, Inode>();
    for (const [path, inode] of source.#durableFiles) {
      let copy = copies.get(inode);
      if (copy === undefined) {
        copy = new Inode(inode.durable);
        copies.set(inode, copy);
      }
      fs.#files.set(path, copy);
      fs.#durableFiles.set(path, copy);
    }
    const last = source.#lastUnsynced();
    const target = last === undefined ? undefined : copies.get(last.inode);
    if (last !== undefined && target !== undefined && tornBytes !== undefined && tornBytes > 0) {
      target.write(last.write.position, last.write.bytes.subarray(0, tornBytes));
      target.sync();
    }
    return fs;
  }

  /** Total bytes of a file's current content (test helper). */
  fileBytes(path: string): Uint8Array {
    const inode = this.#files.get(normalize(path));
    if (inode === undefined) throw new RuntimeError("ENOENT", "No such file", { path });
    return inode.content();
  }

  /** Overwrites bytes of a file, durably (to simulate media corruption in tests). */
  corrupt(path: string, position: number, bytes: Uint8Array): void {
    const inode = this.#files.get(normalize(path));
    if (inode === undefined) throw new RuntimeError("ENOENT", "No such file", { path });
    inode.write(position, bytes);
    inode.sync();
  }

  #lastUnsynced(): { inode: Inode; write: PendingWrite } | undefined {
    let found: { inode: Inode; write: PendingWrite } | undefined;
    for (const inode of new Set([...this.#files.values(), ...this.#durableFiles.values()])) {
      const write = inode.lastUnsynced;
      if (write !== undefined && (found === undefined || write.sequence > found.write.sequence)) {
        found = { inode, write };
      }
    }
    // A write to a file whose name is not durable cannot survive a power loss.
    const durable = new Set(this.#durableFiles.values());
    return found !== undefined && durable.has(found.inode) ? found : undefined;
  }

  /** Counts a mutating call; throws when frozen or when a fault is injected. */
  #enter(op: FaultOp, path: string): void {
    if (this.#frozen !== undefined) {
      throw new RuntimeError("EIO", "Simulated crash", { path });
    }
    if (this.#calls === this.#crashAt) {
      this.#frozen = this.#snapshotForCrash();
      throw new RuntimeError("EIO", "Simulated crash", { path });
    }
    this.#calls++;
    if (this.#fail?.(op, path)) throw new RuntimeError("EIO", `Injected ${op} failure`, { path });
  }

  /** A frozen copy sharing nothing mutable with this one, keeping the unsynced-write record. */
  #snapshotForCrash(): FaultFs {
    const fs = new FaultFs();
    fs.#dirs = new Set(this.#dirs);
    const copies = new Map<Inode, Inode>();
    const copyOf = (inode: Inode): Inode => {
      let copy = copies.get(inode);
      if (copy === undefined) {
        copy = new Inode(inode.durable);
        copy.bytes = inode.content().slice();
        copy.length = inode.length;
        copies.set(inode, copy);
      }
      return copy;
    };
    for (const [path, inode] of this.#files) fs.#files.set(path, copyOf(inode));
    for (const [path, inode] of this.#durableFiles) fs.#durableFiles.set(path, copyOf(inode));
    for (const [inode, copy] of copies) copy.lastUnsynced = inode.lastUnsynced;
    return fs;
  }

  #needDir(path: string): void {
    if (!this.#dirs.has(parentOf(path))) {
      throw new RuntimeError("ENOENT", "No such directory", { path });
    }
  }

  open(path: string, options: OpenOptions): Promise<FileHandle> {
    path = normalize(path);
    try {
      let inode = this.#files.get(path);
      if (inode === undefined || options.truncate || options.createNew) {
        if (options.create || options.createNew || options.truncate) this.#enter("open", path);
      }
      if (inode !== undefined && options.createNew) {
        throw new RuntimeError("EEXIST", "File exists", { path });
      }
      if (inode === undefined) {
        if (!options.create && !options.createNew) {
          throw new RuntimeError("ENOENT", "No such file", { path });
        }
        this.#needDir(path);
        inode = new Inode(new Uint8Array(0));
        this.#files.set(path, inode);
      } else if (options.truncate) inode.truncate(0);
      return Promise.resolve(new FaultHandle(this, inode, path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Internal: a handle's call, counted and checked. */
  /** Calls of a handle's `datasyncNow` (the blocking fdatasync), failed ones included. */
  blockingSyncs = 0;

  /** Internal: a handle's operation is starting (counted, may fail or crash). */
  handleCall(op: FaultOp, path: string): void {
    this.#enter(op, path);
  }

  /** Internal: records an unsynced write. */
  noteWrite(inode: Inode, position: number, bytes: Uint8Array): void {
    inode.lastUnsynced = { position, bytes, sequence: this.#sequence++ };
  }

  readFile(path: string): Promise<Uint8Array> {
    const inode = this.#files.get(normalize(path));
    if (inode === undefined) {
      return Promise.reject(new RuntimeError("ENOENT", "No such file", { path }));
    }
    return Promise.resolve(inode.content().slice());
  }

  stat(path: string): Promise<FileInfo> {
    path = normalize(path);
    const inode = this.#files.get(path);
    if (inode !== undefined) {
      return Promise.resolve({ size: inode.length, isFile: true, isDirectory: false });
    }
    if (this.#dirs.has(path)) return Promise.resolve({ size: 0, isFile: false, isDirectory: true });
    return Promise.reject(new RuntimeError("ENOENT", "No such file", { path }));
  }

  readDir(path: string): Promise<string[]> {
    path = normalize(path);
    if (!this.#dirs.has(path)) {
      return Promise.reject(new RuntimeError("ENOENT", "No such directory", { path }));
    }
    const names = new Set<string>();
    for (const file of this.#files.keys()) if (parentOf(file) === path) names.add(nameOf(file));
    for (const dir of this.#dirs) {
      if (dir !== path && parentOf(dir) === path) names.add(nameOf(dir));
    }
    return Promise.resolve([...names].sort());
  }

  mkdir(path: string): Promise<void> {
    path = normalize(path);
    try {
      if (!this.#dirs.has(path)) this.#enter("mkdir", path);
      // Directories are treated as durable at once: the log never relies on more.
      for (let p = path; p !== "." && p !== "" && !this.#dirs.has(p); p = parentOf(p)) {
        this.#dirs.add(p);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  rename(from: string, to: string): Promise<void> {
    from = normalize(from);
    to = normalize(to);
    try {
      this.#enter("rename", from);
      const inode = this.#files.get(from);
      if (inode === undefined) throw new RuntimeError("ENOENT", "No such file", { path: from });
      this.#needDir(to);
      this.#files.delete(from);
      this.#files.set(to, inode);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    path = normalize(path);
    try {
      this.#enter("remove", path);
      if (this.#files.delete(path)) return Promise.resolve();
      if (!this.#dirs.has(path)) throw new RuntimeError("ENOENT", "No such file", { path });
      const inside = [...this.#files.keys()].filter((f) => f.startsWith(`${path}/`));
      if (inside.length > 0 && !options?.recursive) {
        throw new RuntimeError("ENOTEMPTY", "Directory not empty", { path });
      }
      for (const file of inside) this.#files.delete(file);
      for (const dir of [...this.#dirs]) {
        if (dir === path || dir.startsWith(`${path}/`)) this.#dirs.delete(dir);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  syncDir(path: string): Promise<void> {
    path = normalize(path);
    try {
      this.#enter("syncDir", path);
      for (const file of [...this.#durableFiles.keys()]) {
        if (parentOf(file) === path && !this.#files.has(file)) this.#durableFiles.delete(file);
      }
      for (const [file, inode] of this.#files) {
        if (parentOf(file) === path) this.#durableFiles.set(file, inode);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

class FaultHandle implements FileHandle {
  readonly #fs: FaultFs;
  readonly #inode: Inode;
  readonly #path: string;
  #closed = false;

  constructor(fs: FaultFs, inode: Inode, path: string) {
    this.#fs = fs;
    this.#inode = inode;
    this.#path = path;
  }

  #run<T>(op: FaultOp | undefined, body: () => T): Promise<T> {
    try {
      if (this.#closed) throw new RuntimeError("EBADF", "File is closed", { path: this.#path });
      if (op !== undefined) this.#fs.handleCall(op, this.#path);
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.#run(undefined, () => {
      const content = this.#inode.content();
      const n = Math.max(0, Math.min(buffer.length, content.length - position));
      buffer.set(content.subarray(position, position + n));
      return n;
    });
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.#run("write", () => {
      this.#inode.write(position, data);
      this.#fs.noteWrite(this.#inode, position, data.slice());
    });
  }

  /** As `write`, synchronously: every operation here completes at once, so none is in flight. */
  writeNow(data: Uint8Array, position: number): boolean {
    if (this.#closed) throw new RuntimeError("EBADF", "File is closed", { path: this.#path });
    this.#fs.handleCall("write", this.#path);
    this.#inode.write(position, data);
    this.#fs.noteWrite(this.#inode, position, data.slice());
    return true;
  }

  truncate(size: number): Promise<void> {
    return this.#run("truncate", () => this.#inode.truncate(size));
  }

  datasync(): Promise<void> {
    return this.#run("datasync", () => this.#inode.sync());
  }

  /** As `datasync`, synchronously (as `writeNow` is to `write`); counted in `blockingSyncs`. */
  datasyncNow(): boolean {
    if (this.#closed) throw new RuntimeError("EBADF", "File is closed", { path: this.#path });
    this.#fs.blockingSyncs++;
    this.#fs.handleCall("datasync", this.#path);
    this.#inode.sync();
    return true;
  }

  sync(): Promise<void> {
    return this.#run("sync", () => this.#inode.sync());
  }

  size(): Promise<number> {
    return this.#run(undefined, () => this.#inode.length);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

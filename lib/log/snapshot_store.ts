/**
 * Snapshot files: metadata (last included index and term, membership) then the state machine's
 * bytes, written and read as streams so a large snapshot is never whole in memory. Written to a
 * temp file and renamed, CRC-checked, newest two kept. Layout in FORMAT.md.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { LogCorruptionError } from "../errors.ts";
import type { FileHandle, FileSystem } from "../runtime.ts";
import { removeIfExists, TEMP_SUFFIX } from "./_atomic_file.ts";
import { crc32c } from "./crc32c.ts";
import { getU64, setU64, viewOf } from "./_record.ts";
import { readAt } from "./_segment_loader.ts";
import type { SnapshotMeta } from "./types.ts";

const MAGIC = 0x4e534c46; // "FLSN"
const END_MAGIC = 0x45534c46; // "FLSE"
const TRAILER_BYTES = 24;
const META_BYTES_MAX = 1024 * 1024;
/** Bytes buffered before a write, and the size of chunks a reader returns. */
const CHUNK_BYTES = 1024 * 1024;
/** Snapshots kept after a new one commits. */
const KEEP = 2;
const NAME = /^(\d{20})-(\d{20})\.snap$/;
/** Appended to the name of a damaged snapshot set aside (kept for inspection, never read). */
export const DAMAGED_SUFFIX = ".damaged";

/** Streams a new snapshot's bytes into place. */
export interface SnapshotWriter {
  /** The metadata this snapshot carries. */
  readonly meta: SnapshotMeta;
  /** Appends bytes of the state machine's image (copied; the caller may reuse `bytes`). */
  write(bytes: Uint8Array): Promise<void>;
  /** Makes the snapshot durable and visible, then prunes old ones. */
  commit(): Promise<void>;
  /** Discards the partial snapshot. */
  abort(): Promise<void>;
}

/** Streams a stored snapshot's bytes out. */
export interface SnapshotReader {
  /** Its metadata. */
  readonly meta: SnapshotMeta;
  /** Bytes of state-machine data in all. */
  readonly size: number;
  /**
   * The next chunk, or undefined at the end. The last call verifies the CRC and throws
   * {@linkcode LogCorruptionError} on a mismatch.
   */
  read(): Promise<Uint8Array | undefined>;
  /** Releases the file. */
  close(): Promise<void>;
}

/** A snapshot file whose header or trailer failed its checks: what its name says it holds. */
export interface DamagedSnapshot {
  /** The file name. */
  name: string;
  /** The file's path. */
  path: string;
  /** Last included index, from the name. */
  index: number;
  /** Its term, from the name. */
  term: number;
}

interface Stored {
  meta: SnapshotMeta;
  name: string;
  dataStart: number;
  dataBytes: number;
  dataCrc: number;
}

function snapshotName(meta: SnapshotMeta): string {
  return `${String(meta.index).padStart(20, "0")}-${String(meta.term).padStart(20, "0")}.snap`;
}

function encodeHeader(meta: SnapshotMeta): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({
    index: meta.index,
    term: meta.term,
    membership: { voters: meta.membership.voters, learners: meta.membership.learners },
  }));
  if (json.length > META_BYTES_MAX) throw new RangeError("Snapshot metadata exceeds 1 MiB");
  const bytes = new Uint8Array(12 + json.length + 4);
  const view = viewOf(bytes);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, 1, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  view.setUint32(12 + json.length, crc32c(bytes, 0, 0, 12 + json.length), true);
  return bytes;
}

/**
 * The snapshot directory of one node.
 *
 * @example
 * ```ts ignore
 * import { SnapshotStore } from "./snapshot_store.ts";
 * const store = await SnapshotStore.open(runtime.fs, "data/snapshots");
 * const writer = await store.create({ index: 10, term: 2, membership: { voters: ["a"], learners: [] } });
 * await writer.write(new TextEncoder().encode("state"));
 * await writer.commit();
 * const reader = await store.openReader(store.latest()!);
 * for (let chunk = await reader.read(); chunk; chunk = await reader.read()) console.log(chunk);
 * await reader.close();
 * ```
 */
export class SnapshotStore {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #stored: Stored[];
  #damaged: DamagedSnapshot[];

  private constructor(fs: FileSystem, dir: string, stored: Stored[], damaged: DamagedSnapshot[]) {
    this.#fs = fs;
    this.#dir = dir;
    this.#stored = stored;
    this.#damaged = damaged;
  }

  /**
   * Opens (creating) the directory. Half-written snapshots (temp files) are deleted. A complete
   * one whose header or trailer is damaged is not listed but reported by `damaged()` and left in
   * place: whether an older snapshot can stand in for it depends on what the log still holds,
   * which the caller decides (see `setAside`).
   */
  static async open(fs: FileSystem, dir: string): Promise<SnapshotStore> {
    await fs.mkdir(dir);
    const stored: Stored[] = [];
    const damaged: DamagedSnapshot[] = [];
    for (const name of await fs.readDir(dir)) {
      if (name.endsWith(TEMP_SUFFIX)) await fs.remove(`${dir}/${name}`);
      else {
        const match = NAME.exec(name);
        if (match === null) continue;
        const found = await inspect(fs, `${dir}/${name}`, name);
        if (found !== undefined) stored.push(found);
        else {
          const path = `${dir}/${name}`;
          damaged.push({ name, path, index: Number(match[1]), term: Number(match[2]) });
        }
      }
    }
    stored.sort((a, b) => a.meta.index - b.meta.index || a.meta.term - b.meta.term);
    damaged.sort((a, b) => a.index - b.index || a.term - b.term);
    return new SnapshotStore(fs, dir, stored, damaged);
  }

  /** Snapshot files found at open with a damaged header or trailer, oldest first. */
  damaged(): DamagedSnapshot[] {
    return this.#damaged.map((d) => ({ ...d }));
  }

  /**
   * Sets the snapshot at `index`/`term` aside as damaged, listed or found damaged at open:
   * renamed with {@linkcode DAMAGED_SUFFIX} (kept for inspection), listed no more. Returns the
   * new file name.
   */
  async setAside(index: number, term: number): Promise<string> {
    const name = snapshotName({ index, term, membership: { voters: [], learners: [] } });
    const known = this.#stored.some((s) => s.name === name) ||
      this.#damaged.some((d) => d.name === name);
    if (!known) throw new RangeError(`No snapshot at ${index}/${term}`);
    const aside = `${name}${DAMAGED_SUFFIX}`;
    await this.#fs.rename(`${this.#dir}/${name}`, `${this.#dir}/${aside}`);
    await this.#fs.syncDir(this.#dir);
    this.#stored = this.#stored.filter((s) => s.name !== name);
    this.#damaged = this.#damaged.filter((d) => d.name !== name);
    return aside;
  }

  /** Metadata of every complete snapshot, oldest first. */
  list(): SnapshotMeta[] {
    return this.#stored.map((s) => structuredClone(s.meta));
  }

  /** The newest complete snapshot's metadata, or undefined. */
  latest(): SnapshotMeta | undefined {
    const last = this.#stored[this.#stored.length - 1];
    return last === undefined ? undefined : structuredClone(last.meta);
  }

  /** Starts writing a snapshot. */
  async create(meta: SnapshotMeta): Promise<SnapshotWriter> {
    assert(Number.isSafeInteger(meta.index) && meta.index >= 0, "snapshot index");
    const name = snapshotName(meta);
    const header = encodeHeader(meta);
    const temp = `${this.#dir}/${name}${TEMP_SUFFIX}`;
    const handle = await this.#fs.open(temp, { write: true, create: true, truncate: true });
    await handle.write(header, 0);
    return new Writer({
      fs: this.#fs,
      handle,
      temp,
      meta: structuredClone(meta),
      position: header.length,
      publish: () => this.#publish(temp, name),
    });
  }

  /** Opens a snapshot for reading; `RangeError` if it is not stored. */
  async openReader(meta: SnapshotMeta): Promise<SnapshotReader> {
    const stored = this.#stored.find((s) =>
      s.meta.index === meta.index && s.meta.term === meta.term
    );
    if (stored === undefined) throw new RangeError(`No snapshot at ${meta.index}/${meta.term}`);
    const path = `${this.#dir}/${stored.name}`;
    const handle = await this.#fs.open(path, { read: true });
    return new Reader(handle, path, stored);
  }

  /** Reads a whole snapshot to check its CRC; true when it is intact. */
  async verify(meta: SnapshotMeta): Promise<boolean> {
    return (await this.damage(meta)) === undefined;
  }

  /** Reads a whole snapshot to check its CRC: the damage found, or undefined if intact. */
  async damage(meta: SnapshotMeta): Promise<LogCorruptionError | undefined> {
    const reader = await this.openReader(meta);
    try {
      while ((await reader.read()) !== undefined) { /* checksum only */ }
      return undefined;
    } catch (error) {
      if (error instanceof LogCorruptionError) return error;
      throw error;
    } finally {
      await reader.close();
    }
  }

  /** Publishes a written temp file and prunes old snapshots. */
  async #publish(temp: string, name: string): Promise<void> {
    const fs = this.#fs;
    await fs.rename(temp, `${this.#dir}/${name}`);
    await fs.syncDir(this.#dir);
    const found = await inspect(fs, `${this.#dir}/${name}`, name);
    assert(found !== undefined, "a committed snapshot is valid");
    this.#stored = this.#stored.filter((s) => s.name !== name);
    this.#stored.push(found);
    this.#stored.sort((a, b) => a.meta.index - b.meta.index || a.meta.term - b.meta.term);
    const old = this.#stored.slice(0, Math.max(0, this.#stored.length - KEEP));
    this.#stored = this.#stored.slice(old.length);
    for (const stale of old) await removeIfExists(fs, `${this.#dir}/${stale.name}`);
    if (old.length > 0) await fs.syncDir(this.#dir);
  }
}

async function inspect(fs: FileSystem, path: string, name: string): Promise<Stored | undefined> {
  const handle = await fs.open(path, { read: true });
  try {
    const size = await handle.size();
    const head = await readAt(handle, 0, 12);
    if (head.length < 12) return undefined;
    const view = viewOf(head);
    const metaBytes = view.getUint32(8, true);
    if (view.getUint32(0, true) !== MAGIC || metaBytes > META_BYTES_MAX) return undefined;
    const header = await readAt(handle, 0, 12 + metaBytes + 4);
    if (header.length !== 12 + metaBytes + 4) return undefined;
    const headerView = viewOf(header);
    if (headerView.getUint32(12 + metaBytes, true) !== crc32c(header, 0, 0, 12 + metaBytes)) {
      return undefined;
    }
    const trailer = await readAt(handle, size - TRAILER_BYTES, TRAILER_BYTES);
    if (trailer.length !== TRAILER_BYTES) return undefined;
    const tail = viewOf(trailer);
    if (tail.getUint32(0, true) !== END_MAGIC) return undefined;
    if (tail.getUint32(20, true) !== crc32c(trailer, 0, 0, 20)) return undefined;
    const dataStart = header.length;
    const dataBytes = getU64(tail, 8);
    if (dataStart + dataBytes + TRAILER_BYTES !== size) return undefined;
    const meta = JSON.parse(new TextDecoder().decode(header.subarray(12, 12 + metaBytes)));
    if (snapshotName(meta) !== name) return undefined;
    return { meta, name, dataStart, dataBytes, dataCrc: tail.getUint32(16, true) };
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

interface WriterParts {
  fs: FileSystem;
  handle: FileHandle;
  temp: string;
  meta: SnapshotMeta;
  position: number;
  publish: () => Promise<void>;
}

class Writer implements SnapshotWriter {
  readonly meta: SnapshotMeta;
  readonly #parts: WriterParts;
  readonly #handle: FileHandle;
  #position: number;
  #dataBytes = 0;
  #crc = 0;
  #buffer = new Uint8Array(CHUNK_BYTES);
  #buffered = 0;
  #done = false;

  constructor(parts: WriterParts) {
    this.#parts = parts;
    this.#handle = parts.handle;
    this.meta = parts.meta;
    this.#position = parts.position;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#done) throw new TypeError("Snapshot writer is finished");
    this.#crc = crc32c(bytes, this.#crc);
    this.#dataBytes += bytes.length;
    if (this.#buffered + bytes.length > this.#buffer.length) await this.#flush();
    if (bytes.length >= this.#buffer.length) {
      await this.#handle.write(bytes, this.#position);
      this.#position += bytes.length;
      return;
    }
    this.#buffer.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  async commit(): Promise<void> {
    if (this.#done) throw new TypeError("Snapshot writer is finished");
    this.#done = true;
    try {
      await this.#flush();
      const trailer = new Uint8Array(TRAILER_BYTES);
      const view = viewOf(trailer);
      view.setUint32(0, END_MAGIC, true);
      setU64(view, 8, this.#dataBytes);
      view.setUint32(16, this.#crc, true);
      view.setUint32(20, crc32c(trailer, 0, 0, 20), true);
      await this.#handle.write(trailer, this.#position);
      await this.#handle.sync();
    } finally {
      await this.#handle.close();
    }
    await this.#parts.publish();
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#handle.close();
    await removeIfExists(this.#parts.fs, this.#parts.temp);
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    await this.#handle.write(this.#buffer.subarray(0, this.#buffered), this.#position);
    this.#position += this.#buffered;
    this.#buffered = 0;
  }
}

class Reader implements SnapshotReader {
  readonly meta: SnapshotMeta;
  readonly size: number;
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #stored: Stored;
  #offset = 0;
  #crc = 0;

  constructor(handle: FileHandle, path: string, stored: Stored) {
    this.#handle = handle;
    this.#path = path;
    this.#stored = stored;
    this.meta = structuredClone(stored.meta);
    this.size = stored.dataBytes;
  }

  async read(): Promise<Uint8Array | undefined> {
    const left = this.size - this.#offset;
    if (left === 0) {
      if (this.#crc !== this.#stored.dataCrc) {
        throw new LogCorruptionError("Bad snapshot checksum", this.#path, this.#stored.dataStart);
      }
      return undefined;
    }
    const position = this.#stored.dataStart + this.#offset;
    const chunk = await readAt(this.#handle, position, Math.min(left, CHUNK_BYTES));
    if (chunk.length === 0) throw new LogCorruptionError("Snapshot is short", this.#path, position);
    this.#crc = crc32c(chunk, this.#crc);
    this.#offset += chunk.length;
    return chunk;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

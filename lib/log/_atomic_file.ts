/**
 * Small files replaced atomically (temp file → fsync → rename → fsync of the directory), and
 * the fixed little record they hold: magic, flags, a few u64 words, CRC32C.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import type { FileSystem } from "../runtime.ts";
import { crc32c } from "./crc32c.ts";
import { getU64, setU64, viewOf } from "./_record.ts";

/** Suffix of temporary files; leftovers are removed on open. */
export const TEMP_SUFFIX = ".tmp";

/** Replaces `dir/name` with `bytes` atomically and durably. */
export async function writeFileAtomic(
  fs: FileSystem,
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = `${dir}/${name}${TEMP_SUFFIX}`;
  const handle = await fs.open(temp, { write: true, create: true, truncate: true });
  try {
    await handle.write(bytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, `${dir}/${name}`);
  await fs.syncDir(dir);
}

/** Reads a whole file, or undefined when it does not exist. */
export async function readFileIfExists(
  fs: FileSystem,
  path: string,
): Promise<Uint8Array | undefined> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if (error instanceof RuntimeError && error.code === "ENOENT") return undefined;
    throw error;
  }
}

/** Removes a file if it exists. */
export async function removeIfExists(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.remove(path);
  } catch (error) {
    if (error instanceof RuntimeError && error.code === "ENOENT") return;
    throw error;
  }
}

/** Encodes `magic`, a version, `flags` and `words` (safe integers) followed by a CRC32C. */
export function encodeWords(magic: number, flags: number, words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(8 + words.length * 8 + 4);
  const view = viewOf(bytes);
  view.setUint32(0, magic, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, flags, true);
  words.forEach((word, i) => setU64(view, 8 + i * 8, word));
  view.setUint32(bytes.length - 4, crc32c(bytes, 0, 0, bytes.length - 4), true);
  return bytes;
}

/** Decodes what {@linkcode encodeWords} wrote; undefined when anything is off. */
export function decodeWords(
  bytes: Uint8Array,
  magic: number,
  count: number,
): { flags: number; words: number[] } | undefined {
  if (bytes.length !== 8 + count * 8 + 4) return undefined;
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== magic || view.getUint16(4, true) !== 1) return undefined;
  if (view.getUint32(bytes.length - 4, true) !== crc32c(bytes, 0, 0, bytes.length - 4)) {
    return undefined;
  }
  const words: number[] = [];
  for (let i = 0; i < count; i++) words.push(getU64(view, 8 + i * 8));
  return { flags: view.getUint16(6, true), words };
}

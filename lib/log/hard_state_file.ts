/**
 * The Raft hard state (term, vote, commit) in its own small file, replaced atomically: temp
 * file → fsync → rename → fsync of the directory. Layout in FORMAT.md.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { LogCorruptionError } from "../errors.ts";
import type { FileSystem } from "../runtime.ts";
import { readFileIfExists, removeIfExists, TEMP_SUFFIX, writeFileAtomic } from "./_atomic_file.ts";
import { crc32c } from "./crc32c.ts";
import { getU64, setU64, viewOf } from "./_record.ts";
import type { HardState } from "./types.ts";

const MAGIC = 0x53484c46; // "FLHS"
const VOTE_BYTES_MAX = 1024;
/** The file's name inside its directory. */
export const HARD_STATE_FILE = "hardstate";

/** Encodes a hard state (FORMAT.md, "Hard state file"). */
export function encodeHardState(state: HardState): Uint8Array {
  const vote = new TextEncoder().encode(state.vote);
  if (vote.length > VOTE_BYTES_MAX) throw new RangeError("Vote is longer than 1024 bytes");
  const bytes = new Uint8Array(24 + vote.length + 4);
  const view = viewOf(bytes);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, vote.length, true);
  setU64(view, 8, state.term);
  setU64(view, 16, state.commit);
  bytes.set(vote, 24);
  view.setUint32(24 + vote.length, crc32c(bytes, 0, 0, 24 + vote.length), true);
  return bytes;
}

/** Decodes a hard state; undefined when the bytes are not a valid one. */
export function decodeHardState(bytes: Uint8Array): HardState | undefined {
  if (bytes.length < 28) return undefined;
  const view = viewOf(bytes);
  const length = view.getUint16(6, true);
  if (view.getUint32(0, true) !== MAGIC || view.getUint16(4, true) !== 1) return undefined;
  if (bytes.length !== 28 + length) return undefined;
  if (view.getUint32(24 + length, true) !== crc32c(bytes, 0, 0, 24 + length)) return undefined;
  const vote = new TextDecoder().decode(bytes.subarray(24, 24 + length));
  return { term: getU64(view, 8), vote, commit: getU64(view, 16) };
}

/**
 * The hard-state file of one node. A missing file reads as `{ term: 0, vote: "", commit: 0 }`;
 * a damaged one refuses to load with {@linkcode LogCorruptionError} (the rename makes a torn
 * file impossible, so damage means the disk lost data the node relies on for votes).
 *
 * @example
 * ```ts ignore
 * import { HardStateFile } from "./hard_state_file.ts";
 * const file = await HardStateFile.open(runtime.fs, "data");
 * await file.save({ term: file.state.term + 1, vote: "n1", commit: file.state.commit });
 * ```
 */
export class HardStateFile {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #state: HardState;

  private constructor(fs: FileSystem, dir: string, state: HardState) {
    this.#fs = fs;
    this.#dir = dir;
    this.#state = state;
  }

  /** Reads `dir/hardstate` (creating `dir` if needed). */
  static async open(fs: FileSystem, dir: string): Promise<HardStateFile> {
    await fs.mkdir(dir);
    await removeIfExists(fs, `${dir}/${HARD_STATE_FILE}${TEMP_SUFFIX}`);
    const path = `${dir}/${HARD_STATE_FILE}`;
    const bytes = await readFileIfExists(fs, path);
    if (bytes === undefined) return new HardStateFile(fs, dir, { term: 0, vote: "", commit: 0 });
    const state = decodeHardState(bytes);
    if (state === undefined) throw new LogCorruptionError("Bad hard state", path, 0);
    return new HardStateFile(fs, dir, state);
  }

  /** The last state saved (or loaded). */
  get state(): HardState {
    return { ...this.#state };
  }

  /** Replaces the state durably; resolves after the directory fsync. */
  async save(state: HardState): Promise<void> {
    assert(Number.isSafeInteger(state.term) && state.term >= 0, "term is a safe integer");
    assert(Number.isSafeInteger(state.commit) && state.commit >= 0, "commit is a safe integer");
    await writeFileAtomic(this.#fs, this.#dir, HARD_STATE_FILE, encodeHardState(state));
    this.#state = { ...state };
  }
}

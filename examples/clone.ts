/**
 * The Redis clone from Finn's README, on Flotilla: `SET`, `GET`, `DEL` and `KEYS`, replicated
 * with Raft. Runs on Deno, Bun and Node:
 *
 *     deno run -A examples/clone.ts              # a one-node cluster on port 7481
 *     redis-cli -p 7481 SET mykey "my value"
 *     deno run -A examples/clone.ts -p 7482 -dir data2 -join :7481
 *
 * @module
 */

import process from "node:process";
import {
  type Applier,
  type Command,
  globMatch,
  type Machine,
  open,
  type ReplyWriter,
  type SnapshotReader,
  type SnapshotWriter,
  UnknownCommandError,
  WrongArgumentCountError,
} from "../mod.ts";
import { ByteMap, byteString, putByteString } from "./_byte_map.ts";
import { type FlagSpec, formatHelp, parseFlags } from "./_flags.ts";

/** Scratch space for replies: the encoder copies what it is given, so one buffer serves all. */
let scratch = new Uint8Array(4096);

/** Writes a stored string as a bulk reply of its bytes. */
function writeText(conn: ReplyWriter, value: string): void {
  if (value.length > scratch.length) scratch = new Uint8Array(value.length * 2);
  conn.writeBulk(scratch.subarray(0, putByteString(scratch, 0, value)));
}

/** Scratch space for a key's bytes, for KEYS to match against. */
let keyScratch = new Uint8Array(256);

/** A stored key's bytes, in scratch space valid until the next call. */
function keyBytes(key: string): Uint8Array {
  if (key.length > keyScratch.length) keyScratch = new Uint8Array(key.length * 2);
  return keyScratch.subarray(0, putByteString(keyScratch, 0, key));
}

/**
 * A key-value store of byte strings. The keyspace is a {@linkcode ByteMap} looked up by the
 * request's own bytes: a `Map<string, string>` needed a fresh key string per command, which
 * cost 400-600 ns per lookup on a 100k-key map. Values are one-char-per-byte strings: V8 stores
 * them compactly (one byte per char), and making one costs about 100 ns where a copy into a
 * fresh Uint8Array costs 300-500 ns on Deno (each gets its own off-heap store).
 *
 * The closures below keep views of `cmd.args` until they run: the framework never reuses the
 * bytes a request was decoded from, and the map copies what it keeps.
 */
export class Clone implements Machine {
  readonly keys = new ByteMap<string>();

  command(applier: Applier, conn: ReplyWriter | null, cmd: Command): unknown {
    const args = cmd.args;
    switch (cmd.name) {
      case "set": {
        if (args.length !== 3) throw new WrongArgumentCountError();
        const key = args[1]!;
        const value = args[2]!;
        return applier.apply(conn, cmd, () => {
          this.keys.set(key, byteString(value));
        }, () => conn?.writeString("OK"));
      }
      case "get": {
        if (args.length !== 2) throw new WrongArgumentCountError();
        const key = args[1]!;
        return applier.apply(conn, cmd, null, () => {
          if (conn === null) return;
          const value = this.keys.get(key);
          if (value === undefined) conn.writeNull();
          else writeText(conn, value);
        });
      }
      case "del": {
        if (args.length < 2) throw new WrongArgumentCountError();
        return applier.apply(conn, cmd, () => {
          let deleted = 0;
          for (let i = 1; i < args.length; i++) if (this.keys.delete(args[i]!)) deleted++;
          return deleted;
        }, (deleted) => conn?.writeInt(deleted ?? 0));
      }
      case "keys": {
        if (args.length !== 2) throw new WrongArgumentCountError();
        const pattern = args[1]!;
        return applier.apply(conn, cmd, null, () => {
          const matches: string[] = [];
          for (const key of this.keys.keys()) {
            if (globMatch(pattern, keyBytes(key))) matches.push(key);
          }
          matches.sort();
          conn?.writeArray(matches.length);
          for (const key of matches) if (conn !== null) writeText(conn, key);
        });
      }
      default:
        throw new UnknownCommandError();
    }
  }

  /**
   * The whole map in a compact binary form: for each key, u32 key length, key bytes, u32 value
   * length, value bytes (little-endian), written in 64 KiB pieces. JSON with base64 values was
   * several times slower to write and read for large maps.
   */
  async snapshot(writer: SnapshotWriter): Promise<void> {
    const pieceBytes = 64 * 1024;
    let buffer = new Uint8Array(pieceBytes);
    let view = new DataView(buffer.buffer);
    let used = 0;
    // Fills the piece while entries fit (an entry larger than a piece gets one of its own).
    const put = (key: Uint8Array, value: string): boolean => {
      const size = 8 + key.length + value.length;
      if (used + size > buffer.length) {
        if (used > 0) return false;
        buffer = new Uint8Array(size);
        view = new DataView(buffer.buffer);
      }
      view.setUint32(used, key.length, true);
      buffer.set(key, used + 4);
      used += 4 + key.length;
      view.setUint32(used, value.length, true);
      used = putByteString(buffer, used + 4, value);
      return true;
    };
    // The walk resumes where the last piece filled up. No copy of the map is needed: the
    // framework applies nothing while the snapshot is being written.
    for (let cursor = 0;;) {
      cursor = this.keys.scan(cursor, put);
      if (used > 0) await writer.write(buffer.subarray(0, used));
      if (cursor < 0) break;
      // A fresh piece: the writer may keep the one it was given.
      buffer = new Uint8Array(pieceBytes);
      view = new DataView(buffer.buffer);
      used = 0;
    }
  }

  async restore(reader: SnapshotReader): Promise<void> {
    const bytes = await reader.readAll();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.keys.clear();
    for (let at = 0; at < bytes.length;) {
      const keyLength = view.getUint32(at, true);
      const key = bytes.subarray(at + 4, at + 4 + keyLength);
      at += 4 + keyLength;
      const valueLength = view.getUint32(at, true);
      this.keys.set(key, byteString(bytes.subarray(at + 4, at + 4 + valueLength)));
      at += 4 + valueLength;
    }
  }
}

const FLAGS: FlagSpec[] = [
  { names: ["p", "port"], value: "7481", help: "Bind port" },
  { names: ["bind"], value: "127.0.0.1", help: "Bind address" },
  { names: ["dir"], value: "data", help: "Data directory" },
  { names: ["join"], value: "", help: "Join a cluster by providing an address" },
  {
    names: ["durability"],
    value: "medium",
    help: "Log durability",
    choices: ["low", "medium", "high"],
  },
  {
    names: ["consistency"],
    value: "medium",
    help: "Raft consistency",
    choices: ["low", "medium", "high"],
  },
  {
    names: ["loglevel"],
    value: "notice",
    help: "Log level",
    choices: ["quiet", "warning", "notice", "verbose", "debug"],
  },
  { names: ["backend"], value: "file", help: "Raft log backend", choices: ["file", "memory"] },
  { names: ["redirect"], value: "try", help: "How followers redirect", choices: ["try", "moved"] },
  { names: ["auth"], value: "", help: "Password clients must AUTH with" },
  {
    names: ["advertise"],
    value: "",
    help: "Address peers should dial (default: the bind address)",
  },
  { names: ["snapshot-threshold"], value: "100000", help: "Snapshot after this many entries" },
  { names: ["election-timeout"], value: "1000", help: "Election timeout in milliseconds" },
  { names: ["heartbeat"], value: "100", help: "Heartbeat interval in milliseconds" },
  { names: ["cluster-secret"], value: "", help: "Secret peers must prove they know" },
  { names: ["h", "help"], value: "", help: "Show this help", boolean: true },
];

function integerFlag(flags: Map<string, string>, name: string): number {
  const value = Number(flags.get(name));
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`Invalid value '${flags.get(name)}' for '--${name}': a positive integer`);
  }
  return value;
}

async function main(args: string[]): Promise<void> {
  let flags: Map<string, string>;
  try {
    flags = parseFlags(args, FLAGS);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  if (flags.get("h") === "true") {
    console.log(formatHelp("Usage: clone [flags]", FLAGS));
    return;
  }
  const node = await open({
    machine: new Clone(),
    addr: `${flags.get("bind")}:${flags.get("p")}`,
    dir: flags.get("dir")!,
    join: flags.get("join")!,
    durability: flags.get("durability") as "low" | "medium" | "high",
    consistency: flags.get("consistency") as "low" | "medium" | "high",
    logLevel: flags.get("loglevel") as "quiet" | "warning" | "notice" | "verbose" | "debug",
    backend: flags.get("backend") as "file" | "memory",
    redirect: flags.get("redirect") as "try" | "moved",
    snapshotThreshold: integerFlag(flags, "snapshot-threshold"),
    electionTimeoutMs: integerFlag(flags, "election-timeout"),
    heartbeatMs: integerFlag(flags, "heartbeat"),
    ...(flags.get("advertise") ? { advertise: flags.get("advertise")! } : {}),
    ...(flags.get("auth") ? { auth: flags.get("auth")! } : {}),
    ...(flags.get("cluster-secret") ? { clusterSecret: flags.get("cluster-secret")! } : {}),
  });
  const stop = () => {
    node.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`clone: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}

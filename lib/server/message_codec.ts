/**
 * The compact binary form of Raft messages on the wire between nodes. A batch of messages for
 * one peer travels as the single argument of one RESP command, so a busy leader sends one frame
 * per peer per event-loop turn.
 *
 * Layout of a batch: a version byte, a varint count, then each message:
 * type (u8), flags (u8: reject, has-snapshot, done), from, to, context (varint length + UTF-8),
 * term, index, logTerm, commit, hintIndex, hintTerm, tick (varints), entry count (varint) and
 * per entry index, term (varints), type (u8), data (varint length + bytes); then, with a
 * snapshot chunk: meta index, meta term, voters and learners (varint count + strings), offset
 * (varint) and data (varint length + bytes). Varints are unsigned LEB128 up to 2^53 - 1.
 *
 * Decoding returns entry and snapshot data as views into the received bytes: no copies.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "./_bytes.ts";
import type { Message, MessageType } from "../raft/messages.ts";
import type { Entry, SnapshotChunk } from "../raft/types.ts";

const VERSION = 1;

/** Every message type, in wire-code order (a type's code is its position). */
export const MESSAGE_TYPES: readonly MessageType[] = [
  "append",
  "appendResponse",
  "heartbeat",
  "heartbeatResponse",
  "preVote",
  "preVoteResponse",
  "vote",
  "voteResponse",
  "snapshot",
  "snapshotResponse",
  "timeoutNow",
  "readIndex",
  "readIndexResponse",
];
const TYPE_CODES: ReadonlyMap<MessageType, number> = new Map(
  MESSAGE_TYPES.map((type, code) => [type, code]),
);

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_DONE = 4;

/**
 * Encodes messages into one batch.
 *
 * @example
 * ```ts ignore
 * import { decodeMessages, encodeMessages } from "./message_codec.ts";
 * const bytes = encodeMessages([message]);
 * const [copy] = decodeMessages(bytes);
 * ```
 */
export function encodeMessages(messages: readonly Message[]): Uint8Array {
  const writer = new ByteWriter(64 + messages.length * 64);
  writer.u8(VERSION);
  writer.varint(messages.length);
  for (const message of messages) writeMessage(writer, message);
  return writer.bytes();
}

/**
 * Decodes a batch made by {@linkcode encodeMessages}. Malformed bytes throw
 * {@linkcode RespSyntaxError} with the offset of the problem; nothing else escapes.
 *
 * @example
 * ```ts ignore
 * import { decodeMessages } from "./message_codec.ts";
 * for (const message of decodeMessages(payload)) node.step(message);
 * ```
 */
export function decodeMessages(bytes: Uint8Array): Message[] {
  const reader = new ByteReader(bytes);
  const version = reader.u8();
  if (version !== VERSION) throw reader.error(`unknown message batch version ${version}`);
  const count = reader.length(bytes.length);
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) messages.push(readMessage(reader));
  if (!reader.atEnd()) throw reader.error("trailing bytes after message batch");
  return messages;
}

function writeMessage(writer: ByteWriter, message: Message): void {
  const code = TYPE_CODES.get(message.type);
  if (code === undefined) throw new TypeError(`Unknown message type ${message.type}`);
  const chunk = message.snapshot;
  writer.u8(code);
  writer.u8(
    (message.reject ? FLAG_REJECT : 0) | (chunk ? FLAG_SNAPSHOT : 0) |
      (chunk?.done ? FLAG_DONE : 0),
  );
  writer.text(message.from);
  writer.text(message.to);
  writer.text(message.context);
  for (
    const value of [
      message.term,
      message.index,
      message.logTerm,
      message.commit,
      message.hintIndex,
      message.hintTerm,
      message.tick,
    ]
  ) writer.varint(value);
  writer.varint(message.entries.length);
  for (const entry of message.entries) {
    writer.varint(entry.index);
    writer.varint(entry.term);
    writer.u8(entry.type);
    writer.blob(entry.data);
  }
  if (chunk) writeChunk(writer, chunk);
}

function writeChunk(writer: ByteWriter, chunk: SnapshotChunk): void {
  writer.varint(chunk.meta.index);
  writer.varint(chunk.meta.term);
  writer.varint(chunk.meta.membership.voters.length);
  for (const voter of chunk.meta.membership.voters) writer.text(voter);
  writer.varint(chunk.meta.membership.learners.length);
  for (const learner of chunk.meta.membership.learners) writer.text(learner);
  writer.varint(chunk.offset);
  writer.blob(chunk.data);
}

function readMessage(reader: ByteReader): Message {
  const type = MESSAGE_TYPES[reader.u8()];
  if (type === undefined) throw reader.error("unknown message type");
  const flags = reader.u8();
  const message: Message = {
    type,
    from: reader.text(),
    to: reader.text(),
    context: reader.text(),
    term: reader.varint(),
    index: reader.varint(),
    logTerm: reader.varint(),
    commit: reader.varint(),
    hintIndex: reader.varint(),
    hintTerm: reader.varint(),
    tick: reader.varint(),
    reject: (flags & FLAG_REJECT) !== 0,
    entries: [],
  };
  const count = reader.length(reader.remaining());
  for (let i = 0; i < count; i++) {
    const entry: Entry = {
      index: reader.varint(),
      term: reader.varint(),
      type: reader.u8(),
      data: reader.blob(),
    };
    message.entries.push(entry);
  }
  if ((flags & FLAG_SNAPSHOT) !== 0) {
    message.snapshot = readChunk(reader, (flags & FLAG_DONE) !== 0);
  }
  return message;
}

function readChunk(reader: ByteReader, done: boolean): SnapshotChunk {
  const index = reader.varint();
  const term = reader.varint();
  const voters: string[] = [];
  for (let i = reader.length(reader.remaining()); i > 0; i--) voters.push(reader.text());
  const learners: string[] = [];
  for (let i = reader.length(reader.remaining()); i > 0; i--) learners.push(reader.text());
  return {
    meta: { index, term, membership: { voters, learners } },
    offset: reader.varint(),
    data: reader.blob(),
    done,
  };
}

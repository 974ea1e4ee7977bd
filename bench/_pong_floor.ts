/**
 * The floor for bench/server.ts: a server on the runtime adapter that answers `+PONG` to every
 * 14 bytes received (the size of redis-benchmark's `*1\r\n$4\r\nPING\r\n`), with no decoder, no
 * dispatch and no reply queue. The gap between it and the skeleton is what our layers cost.
 *
 *     deno run -A bench/_pong_floor.ts 7700
 *
 * @module
 */

import { createRuntime } from "../adapters/auto.ts";

const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const PONG = new TextEncoder().encode("+PONG\r\n");
const FRAME_BYTES = 14;

await createRuntime().listen({ hostname: "127.0.0.1", port: Number(argv[0]) }, (conn) => {
  let carry = 0;
  conn.start({
    data(chunk) {
      const total = carry + chunk.length;
      const frames = Math.floor(total / FRAME_BYTES);
      carry = total % FRAME_BYTES;
      if (frames === 0) return;
      const out = new Uint8Array(frames * PONG.length);
      for (let i = 0; i < frames; i++) out.set(PONG, i * PONG.length);
      conn.write(out);
    },
    end: () => conn.close(),
    close() {},
  });
});

/**
 * What the transport's attack tests expect of the server, over a raw `H2Peer`: a GOAWAY with a given
 * error code followed by the end of the connection, a stream reset with a given code, a request answered
 * (decoding the server's header blocks with an HPACK decoder of our own src/transport/ only to read them:
 * the requests themselves are encoded by hand in `_h2_frames.ts`).
 *
 * @module
 */
import { procStatusBytes } from "./_proc_status.ts";
import assert from "node:assert/strict";
import { type HeaderField, HpackDecoder } from "../src/transport/http2/hpack/mod.ts";
import {
  dataFrame,
  ERR,
  errName,
  FLAG,
  FRAME,
  grpcMessage,
  grpcRequestBlock,
  headersFrame,
} from "./_h2_frames.ts";
import type { H2Peer } from "./_h2_peer.ts";

/** A named attack: connects, attacks, asserts what the server answered. */
export interface AttackCase {
  name: string;
  run(port: number): Promise<void>;
}

/** The server sends GOAWAY with `code`, then closes the connection. */
export async function expectGoaway(peer: H2Peer, code: number, timeoutMs = 5000): Promise<void> {
  const goaway = await peer.waitGoaway(timeoutMs);
  assert.equal(errName(goaway.code), errName(code), `GOAWAY code (${peer.describe()})`);
  await peer.waitClosed(timeoutMs);
}

/** The server resets stream `id` with `code`, and the connection stays open. */
export async function expectReset(peer: H2Peer, id: number, code: number, timeoutMs = 5000): Promise<void> {
  await peer.until(() => peer.resets.has(id) || peer.goaway !== null, timeoutMs, `RST_STREAM on ${id}`);
  assert.equal(peer.goaway, null, `a stream error, not GOAWAY (${peer.describe()})`);
  assert.equal(errName(peer.resets.get(id)), errName(code), `RST_STREAM code on ${id} (${peer.describe()})`);
}

/** Every header block the server sent so far, decoded in order, with its stream id. */
export function receivedHeaders(peer: H2Peer): { streamId: number; fields: HeaderField[]; end: boolean }[] {
  const decoder = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 1 << 20 });
  const out: { streamId: number; fields: HeaderField[]; end: boolean }[] = [];
  let block: { streamId: number; parts: Uint8Array[]; end: boolean } | null = null;
  for (const f of peer.frames) {
    if (f.type === FRAME.HEADERS) {
      block = {
        streamId: f.streamId,
        parts: [headerFragment(f.flags, f.payload)],
        end: !!(f.flags & FLAG.END_STREAM),
      };
    } else if (f.type === FRAME.CONTINUATION && block) {
      block.parts.push(f.payload);
    } else continue;
    if (f.flags & FLAG.END_HEADERS) {
      const bytes = new Uint8Array(block.parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of block.parts) {
        bytes.set(p, at);
        at += p.length;
      }
      out.push({ streamId: block.streamId, fields: decoder.decode(bytes), end: block.end });
      block = null;
    }
  }
  return out;
}

/** A HEADERS payload without its padding and priority fields. */
function headerFragment(flags: number, payload: Uint8Array): Uint8Array {
  let start = 0;
  let end = payload.length;
  if (flags & FLAG.PADDED) {
    start = 1;
    end -= payload[0];
  }
  if (flags & FLAG.PRIORITY) start += 5;
  return payload.subarray(start, end);
}

/** The value of `name` in the last header block of stream `id` (its trailers, or a trailers-only answer). */
export function lastField(peer: H2Peer, id: number, name: string): string | undefined {
  const blocks = receivedHeaders(peer).filter((b) => b.streamId === id);
  return blocks.at(-1)?.fields.find(([n]) => n === name)?.[1];
}

/**
 * A ListFlights call on stream `id` of this connection completes with grpc-status 0: the connection
 * still serves after a stream error. `block` replaces the usual request header block.
 */
export async function expectServes(
  peer: H2Peer,
  id: number,
  block: Uint8Array = grpcRequestBlock("ListFlights"),
): Promise<void> {
  await peer.write(headersFrame(id, block), dataFrame(id, grpcMessage(new Uint8Array(0)), true));
  await peer.waitFrame(
    (f) => f.streamId === id && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0,
    5000,
    `the end of call ${id}`,
  );
  assert.equal(lastField(peer, id, "grpc-status"), "0", `call ${id} (${peer.describe()})`);
}

/** The resident set of process `pid` (VmRSS), in MiB. */
export async function rssMib(pid: number): Promise<number> {
  return await procStatusBytes(pid, "VmRSS") / 1024 / 1024;
}

export { ERR };

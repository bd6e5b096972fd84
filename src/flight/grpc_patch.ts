/**
 * Three small run-time adjustments to grpc-js's server data path (no source is copied or vendored):
 *
 * 1. Aligned reassembly: grpc-js gathers each received message into a list of slices and then
 *    concatenates them. We copy each slice once into a buffer placed so that FlightData's
 *    `data_body` starts 8-byte aligned, which lets apache-arrow view the body without copying it. A
 *    large message's buffer is allocated only once half of it has arrived: grpc-js sizes nothing by the
 *    length prefix, and neither must we (a prefix claiming 64 MiB on every stream would cost that much).
 * 2. Pre-framed send: grpc-js copies every outgoing message into a new buffer to add the 5-byte gRPC
 *    prefix. `FramedMessage`s already hold it and are passed through untouched.
 * 3. Truncated requests: grpc-js treats a client's half-close as the end of its messages even when it
 *    comes in the middle of one, and drops the partial message silently; a DoPut cut short that way
 *    would commit what came before it. Such a call now ends with INVALID_ARGUMENT instead (which also
 *    cancels the handler, so nothing is committed).
 *
 * They keep grpc-js's behaviour for every other message. If grpc-js's internals change shape, the
 * patch is skipped with a warning and everything still works, with the extra copies (and without 3).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { InvalidArgumentError } from "../errors.ts";
import { toGrpcStatus } from "./status.ts";
import * as decoderModule from "@grpc/grpc-js/build/src/stream-decoder.js";
import * as interceptorsModule from "@grpc/grpc-js/build/src/server-interceptors.js";
import { FramedMessage, peekBodyOffset } from "./flight_data.ts";
import type { Logger } from "../log.ts";

interface DecoderState {
  maxReadMessageLength: number;
  alignedState?: AlignedState;
}

interface AlignedState {
  header: Buffer;
  headerFilled: number;
  /** Length of the message being received (after its 5-byte prefix); -1 until the prefix is complete. */
  size: number;
  /** Bytes before the message that place its `data_body` 8-byte aligned; -1 until its first bytes came. */
  pad: number;
  /** Slices of the message that came before its buffer was allocated (views, not copies). */
  held: Buffer[];
  heldBytes: number;
  /** The message's buffer (prefix included), once allocated. */
  message: Buffer | null;
  messageFilled: number;
}

/** Messages up to this size get their buffer with their first bytes. */
const EAGER_ALLOCATION_BYTES = 1024 * 1024;

/**
 * What a held slice costs beyond its bytes (its Buffer and ArrayBuffer: measured ~400 bytes in Deno 2.9,
 * whose HTTP/2 layer hands over one slice per DATA frame, however small the frames are).
 */
const SLICE_COST_BYTES = 512;

/**
 * What the slices of a message must cost before its buffer is allocated: nothing for small messages;
 * half of a large one, so that a prefix claiming a large size costs nothing until bytes come, and the
 * slices held for a message never cost more than half its size, even when it trickles in tiny frames.
 */
function allocationPoint(size: number): number {
  return size <= EAGER_ALLOCATION_BYTES ? 0 : Math.ceil(size / 2);
}

/** What the truncation check reads and calls on grpc-js's server call. */
interface CallState {
  decoder?: DecoderState;
  sendStatus(status: { code: number; details: string; metadata: null }): void;
}

let applied: boolean | null = null;

/** Applies the patches once per process; returns whether they are active. */
export function applyGrpcPatches(log: Logger): boolean {
  if (applied !== null) return applied;
  type Patchable = { prototype: Record<string, unknown> } | undefined;
  const Decoder = (decoderModule as unknown as { StreamDecoder?: Patchable }).StreamDecoder;
  const Call = (interceptorsModule as unknown as { BaseServerInterceptingCall?: Patchable })
    .BaseServerInterceptingCall;
  const original = Call?.prototype.serializeMessage;
  const originalEnd = Call?.prototype.handleEndEvent;
  if (
    !Decoder || !Call || typeof Decoder.prototype.write !== "function" || typeof original !== "function" ||
    typeof originalEnd !== "function"
  ) {
    log.warn("grpc-js internals changed; data path runs without the copy-saving patches");
    applied = false;
    return applied;
  }
  Decoder.prototype.write = alignedWrite;
  Call.prototype.serializeMessage = function (this: unknown, value: unknown) {
    return value instanceof FramedMessage ? value.framed : original.call(this, value);
  };
  Call.prototype.handleEndEvent = function (this: CallState) {
    const partial = this.decoder ? partialMessage(this.decoder) : null;
    if (partial === null) return originalEnd.call(this);
    const err = new InvalidArgumentError(`Truncated request: the stream ended inside a message (${partial})`);
    this.sendStatus({ ...toGrpcStatus(err, log), metadata: null });
  };
  applied = true;
  return applied;
}

/** What arrived of a message the decoder is still assembling (`"3 of 1000 bytes"`), or null if none. */
export function partialMessage(decoder: DecoderState): string | null {
  const st = decoder.alignedState;
  if (!st) return null;
  if (st.message !== null) return `${st.messageFilled - 5} of ${st.size} bytes`;
  if (st.size >= 0) return `${st.heldBytes} of ${st.size} bytes`;
  if (st.headerFilled > 0) return `${st.headerFilled} of the 5 prefix bytes`;
  return null;
}

/**
 * Replacement for StreamDecoder.write: splits gRPC frames, one copy per byte, body 8-byte aligned. A
 * large message's first slices are held as they came until they cost half of its size (see
 * {@link allocationPoint}), then copied with the rest into its buffer.
 */
function alignedWrite(this: DecoderState, data: Buffer): Buffer[] {
  const st = this.alignedState ??= {
    header: Buffer.alloc(5),
    headerFilled: 0,
    size: -1,
    pad: -1,
    held: [],
    heldBytes: 0,
    message: null,
    messageFilled: 0,
  };
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    if (st.size < 0) {
      if (pos >= data.length) break;
      const n = Math.min(5 - st.headerFilled, data.length - pos);
      data.copy(st.header, st.headerFilled, pos, pos + n);
      st.headerFilled += n;
      pos += n;
      if (st.headerFilled < 5) break;
      const size = st.header.readUInt32BE(1);
      if (this.maxReadMessageLength !== -1 && size > this.maxReadMessageLength) {
        throw new Error(`Received message larger than max (${size} vs ${this.maxReadMessageLength})`);
      }
      st.size = size;
    }
    if (st.message === null) {
      const n = Math.min(st.size - st.heldBytes, data.length - pos);
      if (st.pad < 0) {
        // The first bytes of the message tell where its body starts.
        if (st.size > 0 && n === 0) break;
        const bodyOffset = peekBodyOffset(data.subarray(pos, pos + Math.min(st.size, 64 * 1024)));
        st.pad = bodyOffset < 0 ? 0 : (8 - ((5 + bodyOffset) % 8)) % 8;
      }
      // What the held slices would cost with this one: their bytes plus SLICE_COST_BYTES each. Short of
      // the allocation point (at most half the message), `n` is the rest of `data`.
      const cost = st.heldBytes + n + (st.held.length + 1) * SLICE_COST_BYTES;
      if (cost < allocationPoint(st.size)) {
        if (n > 0) {
          st.held.push(data.subarray(pos, pos + n));
          st.heldBytes += n;
        }
        break;
      }
      const msg = Buffer.from(new ArrayBuffer(st.pad + 5 + st.size), st.pad, 5 + st.size);
      st.header.copy(msg, 0);
      let filled = 5;
      for (const slice of st.held) {
        slice.copy(msg, filled);
        filled += slice.length;
      }
      st.held = [];
      st.heldBytes = 0;
      st.message = msg;
      st.messageFilled = filled;
    }
    const msg = st.message;
    const n = Math.min(msg.length - st.messageFilled, data.length - pos);
    data.copy(msg, st.messageFilled, pos, pos + n);
    st.messageFilled += n;
    pos += n;
    if (st.messageFilled < msg.length) break;
    out.push(msg);
    st.message = null;
    st.headerFilled = 0;
    st.size = -1;
    st.pad = -1;
  }
  return out;
}

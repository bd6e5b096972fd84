/**
 * SETTINGS frames (RFC 9113 section 6.5): parse with the value checks of 6.5.2, encode.
 * Unknown identifiers are kept (the caller ignores them: pyarrow sends 0xFE03).
 * Parse/encode layer: no state.
 *
 * @module
 */

import {
  encodeFrame,
  Flag,
  type FrameHead,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
} from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** Setting identifiers of RFC 9113 section 6.5.2. */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** One setting: identifier and value. */
export type Setting = [id: number, value: number];

/** A received SETTINGS frame. */
export interface SettingsFrame {
  ack: boolean;
  settings: Setting[];
}

const ENTRY_BYTES = 6;

/** Parses and checks a SETTINGS frame. @throws Http2ConnectionError as RFC 9113 section 6.5 says */
export function parseSettings(head: FrameHead, payload: Uint8Array): SettingsFrame {
  if (head.streamId !== 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
  const ack = (head.flags & Flag.ACK) !== 0;
  if (ack) {
    if (payload.length !== 0) {
      throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ack with a payload");
    }
    return { ack, settings: [] };
  }
  if (payload.length % ENTRY_BYTES !== 0) {
    throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length not a multiple of 6");
  }
  const settings: Setting[] = [];
  for (let at = 0; at < payload.length; at += ENTRY_BYTES) {
    const id = (payload[at] << 8) | payload[at + 1];
    const value =
      ((payload[at + 2] << 24) | (payload[at + 3] << 16) | (payload[at + 4] << 8) | payload[at + 5]) >>> 0;
    checkSetting(id, value);
    settings.push([id, value]);
  }
  return { ack, settings };
}

function checkSetting(id: number, value: number): void {
  if (id === SettingId.ENABLE_PUSH && value > 1) {
    throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH not 0 or 1");
  }
  if (id === SettingId.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) {
    throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
  }
  if (id === SettingId.MAX_FRAME_SIZE && (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE)) {
    throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
  }
}

/** A SETTINGS frame carrying `settings`. */
export function encodeSettings(settings: readonly Setting[]): Uint8Array {
  const payload = new Uint8Array(settings.length * ENTRY_BYTES);
  settings.forEach(([id, value], i) => {
    const at = i * ENTRY_BYTES;
    payload[at] = id >>> 8;
    payload[at + 1] = id & 0xff;
    payload[at + 2] = value >>> 24;
    payload[at + 3] = (value >>> 16) & 0xff;
    payload[at + 4] = (value >>> 8) & 0xff;
    payload[at + 5] = value & 0xff;
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

/** The SETTINGS acknowledgement. */
export function encodeSettingsAck(): Uint8Array {
  return encodeFrame(FrameType.SETTINGS, Flag.ACK, 0);
}

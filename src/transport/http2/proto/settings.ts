/**
 * The SETTINGS we announce and what we keep of the peer's. Imports only frame/ and limits.ts.
 *
 * @module
 */

import { MIN_MAX_FRAME_SIZE } from "../frame/head.ts";
import { type Setting, SettingId } from "../frame/settings.ts";
import type { Http2Limits } from "../limits.ts";

/** Our SETTINGS frame's entries: no push, our limits. */
export function localSettings(limits: Readonly<Http2Limits>): Setting[] {
  return [
    [SettingId.HEADER_TABLE_SIZE, limits.maxDynamicTableSize],
    [SettingId.ENABLE_PUSH, 0],
    [SettingId.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
    [SettingId.INITIAL_WINDOW_SIZE, limits.initialStreamWindow],
    [SettingId.MAX_FRAME_SIZE, limits.maxFrameSize],
    [SettingId.MAX_HEADER_LIST_SIZE, limits.maxHeaderListSize],
  ];
}

/** The peer's settings that shape what we send. */
export class PeerSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  initialWindow = 65_535;
  /** SETTINGS_MAX_FRAME_SIZE: the longest frame we may send. */
  maxFrameSize = MIN_MAX_FRAME_SIZE;
  /** SETTINGS_HEADER_TABLE_SIZE, or null while unchanged. */
  headerTableSize: number | null = null;

  /**
   * Applies one SETTINGS frame's entries (already range-checked by the parser).
   * @returns the change of the initial window (to apply to open streams), 0 when unchanged
   */
  apply(settings: readonly Setting[]): number {
    let delta = 0;
    for (const [id, value] of settings) {
      if (id === SettingId.INITIAL_WINDOW_SIZE) {
        delta += value - this.initialWindow;
        this.initialWindow = value;
      } else if (id === SettingId.MAX_FRAME_SIZE) {
        this.maxFrameSize = value;
      } else if (id === SettingId.HEADER_TABLE_SIZE) {
        this.headerTableSize = value;
      }
      // MAX_CONCURRENT_STREAMS and ENABLE_PUSH concern pushes (never sent); unknown ids are ignored.
    }
    return delta;
  }
}

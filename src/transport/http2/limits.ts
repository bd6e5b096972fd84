/**
 * Every number that bounds what one peer can make the server do or hold: windows, frame and header
 * sizes, stream and connection counts, timeouts, and the budgets that stop floods (Rapid Reset,
 * SETTINGS/PING/empty-frame floods, CONTINUATION floods). Imports nothing.
 *
 * @module
 */

/** Limits of the HTTP/2 server; see {@link DEFAULT_HTTP2_LIMITS} for the values and their reasons. */
export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open (more are REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** Connections served at once by one server; more are sent GOAWAY and closed. */
  maxConnections: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a peer may send on one stream before the body is read. */
  initialStreamWindow: number;
  /** The connection receive window: unread body bytes one connection may hold, all streams together. */
  connectionWindow: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept (16 KiB to 16 MiB - 1). */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: decoded request header list (RFC 9113 6.5.2 size); past it, 431. */
  maxHeaderListSize: number;
  /** Our HPACK decoder's dynamic table (SETTINGS_HEADER_TABLE_SIZE). */
  maxDynamicTableSize: number;
  /** A connection without open streams that receives nothing this long gets GOAWAY NO_ERROR and closes. */
  idleTimeoutMs: number;
  /** A connection that has not sent its preface and SETTINGS within this time is closed. */
  handshakeTimeoutMs: number;
  /** With streams open and nothing received this long, a PING checks that the peer is still there. */
  keepaliveIntervalMs: number;
  /** A keepalive PING not answered within this time closes the connection (half-open peer). */
  keepaliveTimeoutMs: number;
  /** RST_STREAM frames from the peer plus streams we refused: a burst of this many is allowed, ... */
  resetBurst: number;
  /** ... refilled at this rate; an empty budget is Rapid Reset: GOAWAY ENHANCE_YOUR_CALM. */
  resetsPerSecond: number;
  /**
   * Frames that carry no request or body (PING, SETTINGS, WINDOW_UPDATE, PRIORITY, empty DATA, unknown
   * types): a burst of this many, refilled at `controlFramesPerSecond` and by every DATA frame we
   * send (a peer acknowledging each of our frames stays within budget); empty: ENHANCE_YOUR_CALM.
   */
  controlFrameBurst: number;
  controlFramesPerSecond: number;
  /** CONTINUATION frames accepted in one header block. */
  maxContinuationFrames: number;
  /** Bytes queued for the socket past which we stop reading from the peer until it reads ours. */
  maxQueuedWriteBytes: number;
  /** Largest DATA frame we send, whatever larger SETTINGS_MAX_FRAME_SIZE the peer allows. */
  maxSendFrameSize: number;
  /** Read buffer of a connection: starts small, grows up to this while reads fill it. */
  maxReadBufferBytes: number;
}

const MiB = 1024 * 1024;

/** Limits sized for bulk Flight transfers on fast links, each bounding one attack class. */
export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = Object.freeze({
  maxConcurrentStreams: 100,
  maxConnections: 1000,
  // Large windows keep a 1+ GB/s upload going; an unread body still costs at most this much memory.
  initialStreamWindow: 4 * MiB,
  connectionWindow: 16 * MiB,
  maxFrameSize: MiB,
  maxHeaderListSize: 32 * 1024,
  maxDynamicTableSize: 4096,
  idleTimeoutMs: 300_000,
  handshakeTimeoutMs: 10_000,
  keepaliveIntervalMs: 120_000,
  keepaliveTimeoutMs: 20_000,
  resetBurst: 200,
  resetsPerSecond: 100,
  controlFrameBurst: 1000,
  controlFramesPerSecond: 500,
  maxContinuationFrames: 64,
  maxQueuedWriteBytes: 4 * MiB,
  maxSendFrameSize: MiB,
  maxReadBufferBytes: 4 * MiB,
});

const MAX_WINDOW = 2 ** 31 - 1;

/** Defaults overridden by `overrides`, checked. @throws RangeError naming the bad limit */
export function resolveLimits(overrides: Partial<Http2Limits> = {}): Readonly<Http2Limits> {
  const limits = { ...DEFAULT_HTTP2_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Limit "${name}" must be a whole number >= 0`);
    }
  }
  const within = (name: keyof Http2Limits, min: number, max: number) => {
    if (limits[name] < min || limits[name] > max) {
      throw new RangeError(`Limit "${name}" must be between ${min} and ${max}: got ${limits[name]}`);
    }
  };
  within("initialStreamWindow", 65_535, MAX_WINDOW);
  within("connectionWindow", 65_535, MAX_WINDOW);
  within("maxFrameSize", 16_384, 16_777_215);
  within("maxSendFrameSize", 16_384, 16_777_215);
  within("maxConcurrentStreams", 1, MAX_WINDOW);
  within("maxConnections", 1, 1_000_000);
  within("maxReadBufferBytes", 64 * 1024, 1 << 30);
  if (limits.maxReadBufferBytes < limits.maxFrameSize + 9) {
    throw new RangeError(`Limit "maxReadBufferBytes" must hold one frame of "maxFrameSize" bytes`);
  }
  return Object.freeze(limits);
}

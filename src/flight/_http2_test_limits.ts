/**
 * Test-only overrides of the native transport's HTTP/2 limits: with `MOSAICOD_TEST_HTTP2_LIMITS` set to a
 * JSON object such as `{"idleTimeoutMs": 500, "maxConnections": 8}` in its environment, the daemon serves
 * with those limits, so that tests of timeouts and connection caps need not wait minutes or open
 * thousands of connections (tests/transport_connection_test.ts). Like `crash_points.ts`, it is no
 * configuration: unset, the defaults of src/transport/http2/limits.ts apply. Imports only those limits.
 *
 * @module
 */
import { DEFAULT_HTTP2_LIMITS, type Http2Limits } from "../transport/http2/mod.ts";

/** The overrides from the environment ({} when unset). @throws Error naming a key that is not a limit */
export function testHttp2Limits(): Partial<Http2Limits> {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("MOSAICOD_TEST_HTTP2_LIMITS");
  } catch {
    return {}; // no permission to read it: never set
  }
  if (!raw) return {};
  const parsed: Record<string, unknown> = JSON.parse(raw);
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_HTTP2_LIMITS) || typeof value !== "number") {
      throw new Error(`MOSAICOD_TEST_HTTP2_LIMITS: "${key}" is not a numeric HTTP/2 limit`);
    }
  }
  return parsed as Partial<Http2Limits>;
}

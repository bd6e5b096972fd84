import assert from "node:assert/strict";
import { DEFAULT_REQUEST_LIMITS, requestLimits } from "./service.ts";

Deno.test("requestLimits() derives the locator and action-body limits from the configured ones", () => {
  const d = requestLimits(DEFAULT_REQUEST_LIMITS);
  assert.deepEqual(d.locator, { maxBytes: 512, maxSegmentBytes: 255 });
  // A body can always carry the largest metadata allowed, with room for the rest of the request…
  assert.deepEqual([d.action.maxBodyBytes, d.action.maxMetadataBytes], [
    1024 * 1024 + 64 * 1024,
    1024 * 1024,
  ]);
  const low = requestLimits({ maxMetadataBytes: 4096, maxNameBytes: 128 });
  assert.deepEqual(low.locator, { maxBytes: 128, maxSegmentBytes: 128 });
  // … and is never limited below 1 MiB (queries have no metadata but may be long).
  assert.deepEqual([low.action.maxBodyBytes, low.action.maxMetadataBytes], [1024 * 1024, 4096]);
  assert.equal(low.action.locator, low.locator);
  const high = requestLimits({ maxMetadataBytes: 8 * 1024 * 1024, maxNameBytes: 2048 });
  assert.equal(high.action.maxBodyBytes, 8 * 1024 * 1024 + 64 * 1024);
  assert.deepEqual(high.locator, { maxBytes: 2048, maxSegmentBytes: 255 });
});

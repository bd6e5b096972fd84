import assert from "node:assert/strict";
import { parseJsonExact } from "../model/json.ts";
import { renderQueryItems2026, renderQueryItemsV1 } from "./render.ts";
import type { QueryItem } from "./types.ts";

const ITEMS: QueryItem[] = [
  {
    sequence: "test-sequence-datastream",
    topics: [
      {
        name: "test-sequence-datastream/front/imu",
        ontologyTag: "imu",
        timestampRange: [1700000000000000000n, 1700000000480000000n],
      },
      { name: "test-sequence-datastream/camera/left/image", ontologyTag: "image", timestampRange: null },
    ],
  },
  {
    sequence: "s",
    topics: [{
      name: "s/a/b",
      ontologyTag: "gps",
      timestampRange: [-9223372036854775808n, 9223372036854775807n],
    }],
  },
];

Deno.test("renderQueryItemsV1: exactly sequence and topic locator strings (0.1.0 9.7)", () => {
  assert.equal(
    JSON.stringify(renderQueryItemsV1(ITEMS)),
    `{"items":[{"sequence":"test-sequence-datastream","topics":["test-sequence-datastream/front/imu",` +
      `"test-sequence-datastream/camera/left/image"]},{"sequence":"s","topics":["s/a/b"]}]}`,
  );
  assert.equal(JSON.stringify(renderQueryItemsV1([])), `{"items":[]}`);
});

Deno.test("renderQueryItems2026: topic objects, exact int64 ranges, no key without a range (2026 9.6)", () => {
  const text = JSON.stringify(renderQueryItems2026(ITEMS));
  assert.equal(
    text,
    `{"items":[{"sequence":"test-sequence-datastream","topics":[` +
      `{"locator":"test-sequence-datastream/front/imu","ontology_tag":"imu","timestamp_range":[1700000000000000000,1700000000480000000]},` +
      `{"locator":"test-sequence-datastream/camera/left/image","ontology_tag":"image"}]},` +
      `{"sequence":"s","topics":[{"locator":"s/a/b","ontology_tag":"gps",` +
      `"timestamp_range":[-9223372036854775808,9223372036854775807]}]}]}`,
  );
  // Read back exactly (what a client with 64-bit integers sees).
  const back = parseJsonExact(text) as { items: { topics: { timestamp_range?: unknown[] }[] }[] };
  assert.deepEqual(back.items[1].topics[0].timestamp_range?.map((v) => JSON.stringify(v)), [
    "-9223372036854775808",
    "9223372036854775807",
  ]);
  assert.equal(JSON.stringify(renderQueryItems2026([])), `{"items":[]}`);
});

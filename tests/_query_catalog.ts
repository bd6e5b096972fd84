/**
 * The catalog the `query` tests run on (tests/query_test.ts, tests/query_2026_test.ts): sequences and topics with names, times,
 * tags, formats and user metadata chosen to tell every filter apart, and helpers to write answers.
 *
 * @module
 */
import type { Catalog } from "../src/catalog/catalog.ts";
import type { QueryItem } from "../src/catalog/query.ts";
import { parseJsonExact } from "../src/model/json.ts";
import { parseQuery } from "../src/query/parse.ts";
import type { JsonObject } from "../src/query/types.ts";
import type { JsonValue, SerializationFormat } from "../src/model/types.ts";
import { newUlid } from "../src/model/ulid.ts";

type TopicSpec = [rest: string, tag: string, format: SerializationFormat, createdMs: number, meta: JsonValue];

const LONG_DIGITS = "9".repeat(2000);

/** Sequences in creation (id) order; metadata as JSON text so huge integers stay exact. */
export const CATALOG: [name: string, createdMs: number, meta: string, topics: TopicSpec[]][] = [
  [
    "test-sequence-datastream",
    1765000000000,
    `{"status": "raw", "visibility": "private", "robot": {"name": "rover", "id": 7}, "ключ": "值",
      "we\\"ird\\\\{k,e}y": "ok", "sci": "1.5E3", "huge": "1e99999", "long": "${LONG_DIGITS}"}`,
    [
      ["/front/imu", "imu", "default", 1765000000100, {
        sensor_id: "imu_front_01",
        interface: { type: "UART" },
        bias_stability: 0.02,
        serial_number: "X",
      }],
      ["/camera/left/imu", "imu", "ragged", 1765000000200, {
        sensor_id: "imu_cam",
        bias_stability: "0.5",
        serial_number: "X",
      }],
      ["/camera/left/image", "image", "image", 1765000000300, {}],
    ],
  ],
  [
    "test-query-a",
    1765000000500,
    `{"status": "raw", "visibility": "public", "count": 10, "ratio": "2.5", "flag": true, "tags": ["a", "b"]}`,
    [
      ["/gps", "gps", "default", 1765000000600, {
        interface: { type: "UART" },
        rate: 5,
        nested: { x: null },
      }],
      ["/imu", "imu", "default", 1765000000700, { bias_stability: "n/a", serial_number: "Y" }],
    ],
  ],
  [
    "test-query-b",
    1765000600000,
    `{"status": "raw", "visibility": "private", "count": "11", "flag": "true"}`,
    [["/imu", "imu", "ragged", 1765000600000, null]],
  ],
  ["s", 1765000000400, "{}", [["/a/b", "imu", "default", 1765000000401, {}], [
    "/c",
    "gps",
    "default",
    1765000000402,
    {},
  ]]],
  [
    "s1",
    1765000000800,
    `{"big": 18446744073709551615, "neg": -3.5e-2}`,
    [["/a/b", "imu", "default", 1765000000801, {}]],
  ],
  [
    "pct%_x",
    1765000000900,
    `{"a.b": 3, "a": {"b": 4}, "ключ": "值 ✓"}`,
    [
      ["/100%_done", "imu", "default", 1765000000901, {}],
      ["/100xydone", "imu", "default", 1765000000902, {}],
      ["/back\\slash", "imu", "default", 1765000000903, {}],
    ],
  ],
  ["empty-seq", 1765000001000, `{"status": "raw"}`, []],
];

/**
 * Every creation time is its millisecond plus this many nanoseconds: 0.1.0 filters see the millisecond
 * (rounded down), 2026 ones the exact nanosecond.
 */
export const SUB_MS_NS = 250_000n;

/** A CATALOG time in ns: `ns(1765000000400)` is 1765000000400250000n. */
export const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n + SUB_MS_NS;

/** Creates the CATALOG: each sequence with its implicit (0.1.0) session holding its topics. */
export async function populate(db: Catalog): Promise<void> {
  for (const [name, createdMs, meta, topics] of CATALOG) {
    const seq = await db.createSequence({
      uuid: crypto.randomUUID(),
      name,
      userMetadata: parseJsonExact(meta),
      createdNs: ns(createdMs),
      implicitSessionUlid: newUlid(createdMs),
    });
    const [session] = await db.listSessions(seq.id);
    for (const [rest, ontologyTag, serializationFormat, topicMs, userMetadata] of topics) {
      await db.createTopic({
        uuid: crypto.randomUUID(),
        sessionId: session.id,
        name: `${name}${rest}`,
        serializationFormat,
        ontologyTag,
        userMetadata,
        createdNs: ns(topicMs),
      });
    }
  }
}

/** An answer with topic names only: `{sequence, topics: [<full locator>, ...]}`. */
export interface NamedItem {
  sequence: string;
  topics: string[];
}

/** A query answer reduced to topic names (what the 0.1.0 answer shows). */
export function named(items: readonly QueryItem[]): NamedItem[] {
  return items.map((i) => ({ sequence: i.sequence, topics: i.topics.map((t) => t.name) }));
}

/** Every topic of the listed sequences (all sequences when none are given), as an expected answer. */
export function all(...sequences: string[]): NamedItem[] {
  return CATALOG.filter(([name, , , topics]) =>
    topics.length > 0 && (sequences.length === 0 || sequences.includes(name))
  )
    .map(([name, , , topics]) => ({ sequence: name, topics: topics.map(([rest]) => `${name}${rest}`) }));
}

/** The listed topics of one sequence, as an expected answer item. */
export function item(sequence: string, ...rests: string[]): NamedItem {
  return { sequence, topics: rests.map((r) => `${sequence}${r}`) };
}

/** Parses a query body and answers its catalog part, reduced to topic names. */
export async function findNames(db: Catalog, text: string): Promise<NamedItem[]> {
  return named(await db.findTopics(parseQuery(parseJsonExact(text) as JsonObject)));
}

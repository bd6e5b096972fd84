import assert from "node:assert/strict";
import type { SequenceInfo, SessionInfo, TopicManifest } from "../../client/mod.ts";
import { planSequence, sameJson, SOURCE_KEY, withoutSource, withSource } from "./plan.ts";

function topic(
  locator: string,
  rows: number,
  userMetadata: TopicManifest["userMetadata"] = {},
): TopicManifest {
  return {
    locator,
    createdNs: 1n,
    completedNs: 2n,
    locked: true,
    ontologyTag: "imu",
    serializationFormat: "default",
    userMetadata,
    rows,
    bytes: rows * 8,
    chunks: 1,
    span: null,
    window: null,
    ticket: new Uint8Array(0),
  };
}

function session(locator: string, locked: boolean, topics: string[]): SessionInfo {
  return { locator, createdNs: 1n, completedNs: locked ? 2n : null, locked, topics };
}

function sequence(sessions: SessionInfo[], topics: TopicManifest[]): SequenceInfo {
  return { locator: "run", createdNs: 1n, userMetadata: {}, sessions, topics };
}

const S1 = "run:01J00000000000000000000001";
const S2 = "run:01J00000000000000000000002";
const S3 = "run:01J00000000000000000000003";
const SOURCE = sequence(
  [session(S1, true, ["run/a", "run/b"]), session(S2, true, ["run/c"]), session(S3, false, ["run/d"])],
  [topic("run/a", 5), topic("run/b", 6), topic("run/c", 7), topic("run/d", 1)],
);
const T = (n: number) => `run:01K0000000000000000000000${n}`;
const mark = (session: string) => withSource({}, session);

Deno.test("planSequence(): a new target copies every finalized session and leaves the others", () => {
  const plans = planSequence(SOURCE, null);
  assert.deepEqual(plans.map((p) => p.kind), ["copy", "copy", "pending"]);
  assert.deepEqual(plans[0].kind === "copy" && plans[0].topics.map((t) => t.locator), ["run/a", "run/b"]);
});

Deno.test("planSequence(): copies marked as this source are skipped; a cut copy is cleared and redone", () => {
  const target = sequence(
    [session(T(1), true, ["run/a", "run/b"]), session(T(2), false, ["run/c"])],
    [topic("run/a", 5, mark(S1)), topic("run/b", 6, mark(S1)), {
      ...topic("run/c", 0, mark(S2)),
      locked: false,
    }],
  );
  const plans = planSequence(SOURCE, target);
  assert.deepEqual(plans.map((p) => p.kind), ["skip", "copy", "pending"]);
  assert.deepEqual(plans[1].kind === "copy" && plans[1].clear, [T(2)]);
});

Deno.test("planSequence(): unmarked or other-source copies are compared; foreign open uploads and mixed sessions conflict", () => {
  const unmarked = sequence([session(T(1), true, ["run/a", "run/b"])], [
    topic("run/a", 5),
    topic("run/b", 6),
  ]);
  assert.equal(planSequence(SOURCE, unmarked)[0].kind, "compare");
  const fewerRows = sequence([session(T(1), true, ["run/a", "run/b"])], [
    topic("run/a", 5, mark(S1)),
    topic("run/b", 4, mark(S1)),
  ]);
  assert.equal(planSequence(SOURCE, fewerRows)[0].kind, "compare");
  const foreignOpen = sequence([session(T(2), false, ["run/c"])], [{ ...topic("run/c", 0), locked: false }]);
  const conflict = planSequence(SOURCE, foreignOpen)[1];
  assert.equal(conflict.kind, "conflict");
  assert.match(conflict.kind === "conflict" ? conflict.reason : "", /is not finalized and holds "run\/c"/);
  const mixed = sequence([session(T(1), true, ["run/a", "run/x"])], [
    topic("run/a", 5, mark(S1)),
    topic("run/x", 1),
  ]);
  assert.equal(planSequence(SOURCE, mixed)[0].kind, "conflict");
});

Deno.test("withSource() / withoutSource() / sameJson(): the marker is added, replaced and removed; key order does not matter", () => {
  const pushed = withSource({ a: 1, [SOURCE_KEY]: { session: "old:X" } }, S1);
  assert.deepEqual(pushed, { a: 1, [SOURCE_KEY]: { session: S1 } });
  assert.deepEqual(withoutSource(pushed), { a: 1 });
  assert.ok(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  assert.ok(!sameJson({ a: [1, 2] }, { a: [2, 1] }));
});

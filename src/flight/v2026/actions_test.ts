import assert from "node:assert/strict";
import { assertThrowsError, pyJson, topicParts } from "../../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import {
  ACTION_NAMES_2026,
  type ActionRequest2026,
  encodeActionResult2026,
  isActionName2026,
  parseAction2026,
} from "./actions.ts";
import { versionResponse } from "./do_action.ts";
import { exactInt } from "./manifests.ts";

const UUID = "0b5c6a0e-1f7a-4c8e-9a53-3d2f0c7b9e21";
const enc = new TextEncoder();
const dec = new TextDecoder();

function parse(type: string, body: unknown): ActionRequest2026 {
  return parseAction2026(type, typeof body === "string" ? enc.encode(body) : pyJson(body));
}

function assertInvalid(type: string, body: unknown, message: string | RegExp): void {
  assertThrowsError(() => parse(type, body), InvalidArgumentError, message);
}

const topic = topicParts;

Deno.test("parseAction2026() parses every action as the 0.4.0 SDK sends it", () => {
  const meta = { visibility: "team-01", "ünï": [1, 2.5, true, null] };
  const cases: [string, unknown, ActionRequest2026][] = [
    ["sequence_create", { locator: "/run_01", user_metadata: meta }, {
      action: "sequence_create",
      sequence: "run_01",
      userMetadata: meta,
    }],
    ["sequence_delete", { locator: "run_01" }, { action: "sequence_delete", sequence: "run_01" }],
    ["session_create", { locator: "run_01" }, { action: "session_create", sequence: "run_01" }],
    ["session_finalize", { session_uuid: UUID }, { action: "session_finalize", sessionUuid: UUID }],
    ["session_delete", { session_uuid: UUID.toUpperCase() }, {
      action: "session_delete",
      session: { uuid: UUID },
    }],
    ["session_delete", { locator: "/run_01:01jabcdefghjkmnpqrstvwxyz0" }, {
      action: "session_delete",
      session: { sequence: "run_01", ulid: "01JABCDEFGHJKMNPQRSTVWXYZ0" },
    }],
    ["topic_create", {
      locator: "run_01/front/imu",
      session_uuid: UUID.replaceAll("-", ""),
      serialization_format: "default",
      ontology_tag: "imu",
      user_metadata: {},
    }, {
      action: "topic_create",
      topic: topic("run_01/front/imu"),
      sessionUuid: UUID,
      serializationFormat: "default",
      ontologyTag: "imu",
      userMetadata: {},
    }],
    ["topic_delete", { locator: "run_01/front/imu" }, {
      action: "topic_delete",
      topic: topic("run_01/front/imu"),
    }],
    ["sequence_notification_create", {
      locator: "run_01",
      notification_type: "error",
      msg: "a\nInner err: 'x'",
    }, {
      action: "sequence_notification_create",
      sequence: "run_01",
      notifyType: "error",
      msg: "a\nInner err: 'x'",
    }],
    ["topic_notification_create", { locator: "run_01/imu", notification_type: "error", msg: "boom" }, {
      action: "topic_notification_create",
      topic: topic("run_01/imu"),
      notifyType: "error",
      msg: "boom",
    }],
    ["sequence_notification_list", { locator: "run_01" }, {
      action: "sequence_notification_list",
      sequence: "run_01",
    }],
    ["sequence_notification_purge", { locator: "run_01" }, {
      action: "sequence_notification_purge",
      sequence: "run_01",
    }],
    ["topic_notification_list", { locator: "run_01/imu" }, {
      action: "topic_notification_list",
      topic: topic("run_01/imu"),
    }],
    ["topic_notification_purge", { locator: "run_01/imu" }, {
      action: "topic_notification_purge",
      topic: topic("run_01/imu"),
    }],
    ["query", { ontology: { "imu.acceleration.x": { $gt: 0 } } }, {
      action: "query",
      query: { ontology: { "imu.acceleration.x": { $gt: 0 } } },
    }],
    ["api_key_create", { permissions: "write", description: "ci" }, {
      action: "api_key_create",
      level: "write",
      description: "ci",
      expiresNs: null,
    }],
    ["api_key_status", { api_key_fingerprint: "c5505db6" }, {
      action: "api_key_status",
      fingerprint: "c5505db6",
    }],
    ["api_key_revoke", { api_key_fingerprint: "c5505db6" }, {
      action: "api_key_revoke",
      fingerprint: "c5505db6",
    }],
    ["version", {}, { action: "version" }],
  ];
  assert.deepEqual(
    [...new Set(cases.map(([name]) => name))].sort(),
    [...ACTION_NAMES_2026].sort(),
    "every action covered",
  );
  for (const [name, body, expected] of cases) assert.deepEqual(parse(name, body), expected, name);
});

Deno.test("parseAction2026() keeps expires_at_ns exact, ignores extra keys", () => {
  const body = '{"permissions": "manage", "description": "", "expires_at_ns": 1776870000123456789, "x": 1}';
  assert.deepEqual(parse("api_key_create", body), {
    action: "api_key_create",
    level: "manage",
    description: "",
    expiresNs: 1776870000123456789n,
  });
  assert.deepEqual(parse("api_key_create", { permissions: "read", description: "", expires_at_ns: null }), {
    action: "api_key_create",
    level: "read",
    description: "",
    expiresNs: null,
  });
});

Deno.test("parseAction2026() refuses unknown names, including the 0.1.0-only ones", () => {
  for (
    const name of [
      "sequence_finalize",
      "sequence_abort",
      "topic_system_info",
      "layer_list",
      "info",
      "toString",
    ]
  ) {
    assertInvalid(name, {}, `Unknown action "${name}"`);
    assert.equal(isActionName2026(name), false);
  }
});

Deno.test("parseAction2026() refuses missing keys, wrong types, wrong locator kinds and bad words", () => {
  assertInvalid(
    "sequence_create",
    { locator: "s" },
    'Invalid sequence_create request: field "user_metadata" is missing',
  );
  assertInvalid("sequence_create", { name: "s", user_metadata: {} }, /field "locator" is missing/);
  assertInvalid(
    "sequence_create",
    { locator: "s", user_metadata: 5 },
    /"user_metadata" must be a JSON object/,
  );
  assertInvalid("sequence_create", { locator: 5, user_metadata: {} }, /"locator" must be a string/);
  assertInvalid(
    "session_create",
    { locator: "s/t" },
    /field "locator": invalid locator "s\/t": it names a topic/,
  );
  assertInvalid("sequence_delete", { locator: "s/" }, /it names a topic/);
  assertInvalid("topic_delete", { locator: "s" }, /it names a sequence, a topic locator is expected/);
  assertInvalid("session_finalize", { session_uuid: "nope" }, /field "session_uuid": malformed uuid "nope"/);
  assertInvalid("session_delete", {}, /"session_uuid" is missing/);
  const topicBody = {
    locator: "s/t",
    session_uuid: UUID,
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: {},
  };
  assertInvalid(
    "topic_create",
    { ...topicBody, serialization_format: "parquet" },
    /one of "default", "ragged", "image"/,
  );
  assertInvalid("topic_create", { ...topicBody, ontology_tag: "a.b" }, /ontology tag "a.b"/);
  // The uuid is checked before the locator, as the daemon orders it (4.3).
  assertInvalid("topic_create", { ...topicBody, session_uuid: "x", locator: "s" }, /"session_uuid"/);
  assertInvalid(
    "sequence_notification_create",
    { locator: "s", notification_type: "warning", msg: "" },
    /field "notification_type" must be "error", not "warning"/,
  );
  assertInvalid(
    "topic_notification_create",
    { locator: "s/t", notification_type: "error" },
    /"msg" is missing/,
  );
  assertInvalid(
    "api_key_create",
    { permissions: "admin", description: "" },
    /"read", "write", "delete", "manage"/,
  );
  assertInvalid(
    "api_key_create",
    { permissions: "read", description: "", expires_at_ns: 1.5 },
    /must be an integer/,
  );
  assertInvalid(
    "api_key_create",
    { permissions: "read", description: "", expires_at_ns: [] },
    /"expires_at_ns"/,
  );
  assertInvalid("api_key_status", { api_key_fingerprint: 12345678 }, /must be a string/);
  assertInvalid("version", "", "Invalid version request: body is empty");
  assertInvalid("version", "[]", "Invalid version request: body must be a JSON object");
  assertInvalid("query", "{", /query request: body is not valid JSON/);
});

Deno.test("parseAction2026() applies the body and metadata limits", () => {
  const body = pyJson({ locator: "s", user_metadata: { blob: "x".repeat(100) } });
  assertThrowsError(
    () => parseAction2026("sequence_create", body, { maxMetadataBytes: 50 }),
    ResourceExhaustedError,
    /"user_metadata" is \d+ bytes of JSON, over the 50-byte limit/,
  );
  assertThrowsError(
    () => parseAction2026("sequence_create", body, { maxBodyBytes: 20 }),
    ResourceExhaustedError,
    /exceeds the 20-byte limit/,
  );
});

Deno.test("encodeActionResult2026() writes one compact object, null responses included, ns exact", () => {
  assert.equal(
    dec.decode(encodeActionResult2026("session_create", { uuid: UUID })),
    `{"action":"session_create","response":{"uuid":"${UUID}"}}`,
  );
  assert.equal(
    dec.decode(encodeActionResult2026("topic_delete", null)),
    '{"action":"topic_delete","response":null}',
  );
  assert.equal(
    dec.decode(encodeActionResult2026("api_key_status", { created_at_ns: exactInt(1776870000123456789n) })),
    '{"action":"api_key_status","response":{"created_at_ns":1776870000123456789}}',
  );
});

Deno.test("versionResponse() splits the version into semver parts", () => {
  assert.deepEqual(versionResponse("0.4.0"), {
    version: "0.4.0",
    semver: { major: 0, minor: 4, patch: 0, pre: "" },
  });
  assert.deepEqual(versionResponse("1.12.3-devel"), {
    version: "1.12.3-devel",
    semver: { major: 1, minor: 12, patch: 3, pre: "devel" },
  });
  assert.throws(() => versionResponse("v1"), RangeError);
});

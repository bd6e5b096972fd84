import assert from "node:assert/strict";
import { assertThrowsError } from "../../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import { createLogger } from "../../log.ts";
import { ACTION_NAMES } from "../actions.ts";
import {
  ACTION_PERMISSIONS,
  ACTION_PERMISSIONS_2026,
  actionPermission,
  authorizeAction,
  requiredPermission,
} from "../auth.ts";
import { DialectMemory, wantsSchemaKeys } from "../dialect.ts";
import { encodeAction, type FlightDescriptor } from "../messages.ts";
import type { CallContext } from "../server.ts";
import { encodeEventsTicket, encodeRangeTicket, encodeWindowTicket, parseTicket } from "../ticket.ts";
import { ACTION_NAMES_2026 } from "./actions.ts";
import { infoDialect, putDialect, routeAction, ticketDialect } from "./route.ts";

const enc = new TextEncoder();
const LIMITS = { maxBytes: 1024, maxDepth: 16 };
const route = (name: string, body: unknown) =>
  routeAction(name, typeof body === "string" ? enc.encode(body) : enc.encode(JSON.stringify(body)), LIMITS);
const cmd = (value: unknown): FlightDescriptor => ({
  type: "cmd",
  cmd: enc.encode(typeof value === "string" ? value : JSON.stringify(value)),
  path: [],
});

Deno.test("routeAction(): names only one protocol has decide alone, whatever the body", () => {
  for (
    const name of [
      "sequence_finalize",
      "sequence_abort",
      "topic_system_info",
      "sequence_notify_list",
      "layer_list",
    ]
  ) {
    assert.equal(route(name, "not even json"), "v1", name);
  }
  for (const name of ["session_create", "session_finalize", "topic_notification_list"]) {
    assert.equal(route(name, "not even json"), "2026-line", name);
  }
  for (const name of ["api_key_create", "api_key_status", "api_key_revoke", "version"]) {
    assert.equal(route(name, "not even json"), "v2026", name);
  }
  assert.equal(route("info", "not even json"), "v07-probe");
  assert.equal(route("topic_filter_clusterize", "{}"), "v07");
  assert.equal(route("topic_filter_intersect", "{}"), "v07");
  assertThrowsError(
    () => route("drop_everything", {}),
    InvalidArgumentError,
    'Unknown action "drop_everything"',
  );
  assertThrowsError(() => route("constructor", {}), InvalidArgumentError, /Unknown action/);
});

Deno.test("routeAction(): the four shared names decide by body key, name (0.1.0) or locator (2026)", () => {
  for (const name of ["sequence_create", "sequence_delete", "topic_create", "topic_delete"]) {
    assert.equal(route(name, { name: "s", user_metadata: {} }), "v1", name);
    assert.equal(route(name, { locator: "s", user_metadata: {} }), "2026-line", name);
    assertThrowsError(
      () => route(name, {}),
      InvalidArgumentError,
      `Invalid ${name} request: field "name" is missing (0.1.0 protocol), as is field "locator" (2026 protocol)`,
    );
    assertThrowsError(() => route(name, { name: "s", locator: "s" }), InvalidArgumentError, /holds both/);
    assertThrowsError(() => route(name, "[1]"), InvalidArgumentError, /must be a JSON object/);
  }
  assertThrowsError(
    () => route("sequence_create", { name: "x".repeat(2000) }),
    ResourceExhaustedError,
    /limit/,
  );
});

Deno.test("routeAction(): session_delete decides by key, session_uuid (SDK 0.4) or locator (SDK 0.6+)", () => {
  assert.equal(route("session_delete", { session_uuid: "u" }), "v2026");
  assert.equal(route("session_delete", { locator: "s:01JABCDEFGHJKMNPQRSTVWXYZ0" }), "v07");
  // Both, neither or no JSON object: left to the parser, which refuses them.
  assert.equal(route("session_delete", { session_uuid: "u", locator: "s:x" }), "2026-line");
  assert.equal(route("session_delete", {}), "2026-line");
  assert.equal(route("session_delete", "[1"), "2026-line");
});

Deno.test("routeAction(): a query decides by its section keys, neutral without them", () => {
  assert.equal(route("query", { ontology: { "imu.acceleration.x": { $geq: 0.01 } } }), "neutral");
  assert.equal(route("query", { topic: { ontology_tag: { $eq: "imu" } } }), "neutral");
  // `name` is 0.1.0's and SDK 0.6/0.7's: the connection decides; with `created_timestamp` 0.1.0, with
  // `created_at_ns` SDK 0.6/0.7.
  assert.equal(route("query", { sequence: { name: { $eq: "s" } } }), "neutral");
  assert.equal(route("query", { sequence: { name: { $eq: "s" }, created_timestamp: { $gt: 0 } } }), "v1");
  assert.equal(route("query", { sequence: { name: { $eq: "s" }, created_at_ns: { $gt: 0 } } }), "v07");
  assert.equal(route("query", { sequence: { locator: { $eq: "s" } } }), "v2026");
  assert.equal(route("query", { topic: { created_at_ns: { $gt: 0 } } }), "2026-line");
  assert.equal(
    route("query", { ontology: { "imu.x": { $gt: 0 }, include_timestamp_range: true } }),
    "v2026",
    "SDK 0.6 dropped the flag",
  );
  assertThrowsError(
    () => route("query", { sequence: { name: { $eq: "s" } }, topic: { locator: { $eq: "/a" } } }),
    InvalidArgumentError,
    /cannot be mixed/,
  );
});

Deno.test("infoDialect() / putDialect() / ticketDialect() read the descriptor, command and ticket kind", () => {
  assert.equal(infoDialect({ type: "path", cmd: new Uint8Array(0), path: ["s"] }), "v1");
  assert.equal(infoDialect(cmd({ resource_locator: "s" })), "2026-line");
  assert.equal(infoDialect(cmd({ topic_range: { name: "s/t" } })), null);
  assert.equal(infoDialect(cmd({ events: {} })), null);
  assert.equal(infoDialect(cmd("garbage")), null);
  assert.equal(infoDialect({ type: "unknown", cmd: new Uint8Array(0), path: [] }), null);

  assert.equal(putDialect(cmd({ resource_locator: "s/t", topic_uuid: "u" })), "2026-line");
  assert.equal(putDialect(cmd({ topic_uuid: "u" })), "2026-line");
  assert.equal(putDialect(cmd({ topic: { name: "s/t", key: "k" } })), "v1");
  assert.equal(putDialect(cmd({})), null);
  assert.equal(putDialect(cmd("{")), null);
  assert.equal(
    putDialect(cmd(`{"topic_uuid": "${"x".repeat(70_000)}"}`)),
    null,
    "oversized: its parser refuses it",
  );
  assert.equal(putDialect(null), null);
  assert.equal(putDialect({ type: "path", cmd: new Uint8Array(0), path: ["s/t"] }), null);

  const window = { startNs: null, endNs: null };
  assert.equal(ticketDialect(parseTicket(encodeWindowTicket("s/t", window))), "2026-line");
  assert.equal(ticketDialect(parseTicket(enc.encode("s/t"))), "v1");
  assert.equal(ticketDialect(parseTicket(encodeRangeTicket("s/t", window))), null);
  assert.equal(
    ticketDialect(parseTicket(encodeEventsTicket({ afterId: 0, follow: false, kinds: null }))),
    null,
  );
});

Deno.test("DialectMemory: remembers per peer, forgets the least recently used beyond its size", () => {
  const memory = new DialectMemory(2);
  assert.equal(memory.recall("ipv4:127.0.0.1:1"), null);
  memory.remember("ipv4:127.0.0.1:1", "v1");
  memory.remember("ipv4:127.0.0.1:2", "v2026");
  assert.equal(memory.recall("ipv4:127.0.0.1:1"), "v1"); // now the most recent
  memory.remember("ipv4:127.0.0.1:3", "v2026"); // evicts :2
  assert.equal(memory.size, 2);
  assert.equal(memory.recall("ipv4:127.0.0.1:2"), null);
  assert.equal(memory.recall("ipv4:127.0.0.1:1"), "v1");
  memory.remember("ipv4:127.0.0.1:1", "v2026"); // the last proof wins
  assert.equal(memory.recall("ipv4:127.0.0.1:1"), "v2026");
  assert.throws(() => new DialectMemory(0), RangeError);
});

Deno.test("DialectMemory.learn(): 2026-line calls keep v07, make anything else v2026; info marks SDK 0.7", () => {
  const memory = new DialectMemory();
  const peer = "ipv4:127.0.0.1:9";
  assert.deepEqual(memory.learn(peer, "2026-line"), { dialect: "v2026", probed: false });
  assert.deepEqual(memory.learn(peer, "v07"), { dialect: "v07", probed: false }); // e.g. GetSchema
  assert.deepEqual(memory.learn(peer, "2026-line"), { dialect: "v07", probed: false });
  assert.deepEqual(memory.learn(peer, "v07-probe"), { dialect: "v07", probed: true });
  assert.deepEqual(memory.learn(peer, "2026-line"), { dialect: "v07", probed: true });
  assert.deepEqual(memory.learn(peer, "v07"), { dialect: "v07", probed: true });
  assert.equal(wantsSchemaKeys(memory.connection(peer)), false);
  assert.deepEqual(memory.learn(peer, "v2026"), { dialect: "v2026", probed: false }); // e.g. version
  assert.equal(wantsSchemaKeys(memory.connection(peer)), true);
  assert.deepEqual(memory.learn(peer, "v1"), { dialect: "v1", probed: false });
  assert.deepEqual(memory.learn(peer, "2026-line"), { dialect: "v2026", probed: false });
  assert.equal(memory.recall(peer), "v2026");
  assert.equal(wantsSchemaKeys(null), true);
  assert.equal(wantsSchemaKeys({ dialect: "v07", probed: false }), true, "SDK 0.6 reads them");
});

Deno.test("auth: every 2026 action has its 11.3 permission; shared names need the same in both", () => {
  assert.deepEqual(Object.keys(ACTION_PERMISSIONS_2026).sort(), [...ACTION_NAMES_2026].sort());
  const expected: Record<string, (string | null)[]> = {
    read: ["query", "sequence_notification_list", "topic_notification_list"],
    write: [
      "sequence_create",
      "session_create",
      "session_finalize",
      "topic_create",
      "sequence_notification_create",
      "topic_notification_create",
    ],
    delete: [
      "sequence_delete",
      "session_delete",
      "topic_delete",
      "sequence_notification_purge",
      "topic_notification_purge",
    ],
    manage: ["api_key_create", "api_key_status", "api_key_revoke"],
  };
  for (const [permission, names] of Object.entries(expected)) {
    for (const name of names) assert.equal(actionPermission("v2026", name!), permission, name!);
  }
  assert.equal(actionPermission("v2026", "version"), null, "any valid key");
  assert.equal(actionPermission("v2026", "layer_list"), null, "not a 2026 name");
  for (const name of ACTION_NAMES.filter((n) => (ACTION_NAMES_2026 as readonly string[]).includes(n))) {
    assert.equal(ACTION_PERMISSIONS[name], actionPermission("v2026", name), name);
  }
  const request = (type: string) => encodeAction({ type, body: enc.encode("{}") });
  assert.deepEqual(requiredPermission("DoAction", request("api_key_revoke")), {
    permission: "manage",
    what: "api_key_revoke",
  });
  assert.deepEqual(requiredPermission("DoAction", request("version")), { permission: null, what: "version" });
});

Deno.test("authorizeAction() allows everything when no API-key wrapper set a gate for the call", () => {
  const ctx: CallContext = {
    signal: new AbortController().signal,
    stopping: new AbortController().signal,
    peer: "ipv4:127.0.0.1:1",
    connection: "test#1",
    authorization: null,
    apiKeyToken: null,
    log: createLogger({ level: "error", format: "json" }),
  };
  authorizeAction(ctx, "v2026", "api_key_create");
  authorizeAction(ctx, "v1", "sequence_delete");
});

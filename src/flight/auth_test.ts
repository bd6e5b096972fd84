import assert from "node:assert/strict";
import { ACTION_NAMES } from "./actions.ts";
import { ACTION_PERMISSIONS, requiredPermission, RPC_PERMISSIONS } from "./auth.ts";
import { encodeAction } from "./messages.ts";
import { FLIGHT_RPCS } from "./service_def.ts";

function actionRequest(type: string): Uint8Array {
  return encodeAction({ type, body: new TextEncoder().encode("{}") });
}

Deno.test("auth: every action and every RPC has a permission", () => {
  assert.deepEqual(Object.keys(ACTION_PERMISSIONS).sort(), [...ACTION_NAMES].sort());
  assert.deepEqual(Object.keys(RPC_PERMISSIONS).sort(), Object.keys(FLIGHT_RPCS).sort());
});

Deno.test("auth: reads, listings and queries need read; creating and uploading write; removing delete", () => {
  const expected: Record<string, string[]> = {
    read: [
      "layer_list",
      "query",
      "sequence_notify_list",
      "sequence_system_info",
      "topic_notify_list",
      "topic_system_info",
    ],
    write: [
      "layer_create",
      "layer_update",
      "sequence_create",
      "sequence_finalize",
      "sequence_notify_create",
      "topic_create",
      "topic_notify_create",
    ],
    delete: [
      "layer_delete",
      "sequence_abort",
      "sequence_delete",
      "sequence_notify_purge",
      "topic_delete",
      "topic_notify_purge",
    ],
  };
  for (const [permission, actions] of Object.entries(expected)) {
    for (const action of actions) {
      assert.deepEqual(requiredPermission("DoAction", actionRequest(action)), { permission, what: action });
    }
  }
  for (
    const rpc of [
      "ListFlights",
      "GetFlightInfo",
      "DoGet",
      "GetSchema",
      "PollFlightInfo",
      "ListActions",
    ] as const
  ) {
    assert.deepEqual(requiredPermission(rpc), { permission: "read", what: rpc });
  }
  assert.deepEqual(requiredPermission("DoPut"), { permission: "write", what: "DoPut" });
  assert.deepEqual(requiredPermission("DoExchange"), { permission: "write", what: "DoExchange" });
  assert.deepEqual(requiredPermission("Handshake"), { permission: null, what: "Handshake" });
});

Deno.test("auth: an unknown action or an undecodable DoAction needs only a valid key (its handler refuses it)", () => {
  assert.deepEqual(requiredPermission("DoAction", actionRequest("drop_everything")), {
    permission: null,
    what: "DoAction",
  });
  assert.deepEqual(requiredPermission("DoAction", actionRequest("toString")), {
    permission: null,
    what: "DoAction",
  });
  assert.deepEqual(requiredPermission("DoAction", new Uint8Array([0x0a, 0x7f])), {
    permission: null,
    what: "DoAction",
  });
});

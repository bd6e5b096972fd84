/**
 * API key enforcement at the wire edge (`--api-key-enabled`): which permission each call needs, decided
 * from the RPC and, for DoAction, the action name (0.1.0, 2026 and SDK 0.6/0.7 tables); and a wrapper that
 * checks the caller's key before a handler runs. The key itself is checked in `auth/api_keys.ts`.
 *
 * Order (2026 protocol, 11.2): authentication comes first: a call without a usable key is UNAUTHENTICATED
 * whatever it asks, and learns nothing else. Then the permission: for every RPC but DoAction before the
 * handler runs; for DoAction after its name and body are parsed (an unknown action or a malformed body is
 * INVALID_ARGUMENT whatever the key), and before it runs (a missing permission is PERMISSION_DENIED before
 * any existence check). The DoAction handler asks for that check with {@link authorizeAction}. A key is
 * checked at the start of a call, and again in long server streams (DoGet, live events) every cache
 * window: a DoPut stream is not re-checked per message.
 *
 * @module
 */
import { API_KEY_CACHE_MS, type ApiKeyVerifier, requirePermission } from "../auth/api_keys.ts";
import type { ApiKeyPermission } from "../model/api_keys.ts";
import type { ActionName } from "./actions.ts";
import type { Dialect } from "./dialect.ts";
import { decodeAction } from "./messages.ts";
import type { CallContext, FlightHandlers } from "./server.ts";
import { FLIGHT_RPCS, type FlightRpc } from "./service_def.ts";
import type { ActionName2026 } from "./v2026/actions.ts";
import type { ActionName07 } from "./v07/actions.ts";

/**
 * The permission each action needs. Typed over every action name, so a new action cannot be added
 * without deciding here.
 */
export const ACTION_PERMISSIONS: Readonly<Record<ActionName, ApiKeyPermission>> = Object.freeze({
  sequence_system_info: "read",
  topic_system_info: "read",
  sequence_notify_list: "read",
  topic_notify_list: "read",
  layer_list: "read",
  query: "read",
  sequence_create: "write",
  topic_create: "write",
  sequence_finalize: "write",
  sequence_notify_create: "write",
  topic_notify_create: "write",
  layer_create: "write",
  layer_update: "write",
  sequence_delete: "delete",
  topic_delete: "delete",
  sequence_abort: "delete",
  sequence_notify_purge: "delete",
  topic_notify_purge: "delete",
  layer_delete: "delete",
});

/**
 * The permission each 2026 action needs (2026 protocol, 11.3); null: any valid key (`version`). The names
 * both protocols share need the same permission in both.
 */
export const ACTION_PERMISSIONS_2026: Readonly<Record<ActionName2026, ApiKeyPermission | null>> = Object
  .freeze({
    query: "read",
    sequence_notification_list: "read",
    topic_notification_list: "read",
    sequence_create: "write",
    session_create: "write",
    session_finalize: "write",
    topic_create: "write",
    sequence_notification_create: "write",
    topic_notification_create: "write",
    sequence_delete: "delete",
    session_delete: "delete",
    topic_delete: "delete",
    sequence_notification_purge: "delete",
    topic_notification_purge: "delete",
    api_key_create: "manage",
    api_key_status: "manage",
    api_key_revoke: "manage",
    version: null,
  });

/**
 * The permission each SDK 0.6/0.7-only action needs (0.7 delta, K3): `info`, the connection probe, any
 * valid key; the clustering actions `read`, as the daemon asks.
 */
export const ACTION_PERMISSIONS_07: Readonly<Record<ActionName07, ApiKeyPermission | null>> = Object.freeze({
  info: null,
  topic_filter_clusterize: "read",
  topic_filter_intersect: "read",
});

/**
 * The permission an action of `dialect` needs; null for a name the dialect lacks (refused as unknown by
 * its parser before any permission matters) or one that needs only a valid key. `v2026` and `v07`
 * share the 2026 table; the 0.6/0.7-only names are in their own.
 */
export function actionPermission(dialect: Dialect, action: string): ApiKeyPermission | null {
  const tables: Readonly<Record<string, ApiKeyPermission | null>>[] = dialect === "v1"
    ? [ACTION_PERMISSIONS]
    : [ACTION_PERMISSIONS_07, ACTION_PERMISSIONS_2026];
  const table = tables.find((t) => Object.hasOwn(t, action));
  return table === undefined ? null : table[action];
}

/**
 * The permission each RPC needs: `"action"` for DoAction (see {@link ACTION_PERMISSIONS}); null for
 * Handshake, which only needs a valid key (it is not implemented).
 */
export const RPC_PERMISSIONS: Readonly<Record<FlightRpc, ApiKeyPermission | "action" | null>> = Object.freeze(
  {
    Handshake: null,
    ListFlights: "read",
    GetFlightInfo: "read",
    PollFlightInfo: "read",
    GetSchema: "read",
    DoGet: "read",
    ListActions: "read",
    DoPut: "write",
    DoExchange: "write",
    DoAction: "action",
  },
);

/**
 * The permission a call needs, and the name to give it in a refusal; null permission when a valid key is
 * enough (Handshake, `version`; a DoAction whose request cannot be decoded or names no known action, which
 * its handler then refuses as INVALID_ARGUMENT). For DoAction this reads the name only (both tables agree
 * on the shared names); the check itself runs in the handler, after parsing ({@link authorizeAction}).
 */
export function requiredPermission(
  rpc: FlightRpc,
  request?: Uint8Array,
): { permission: ApiKeyPermission | null; what: string } {
  const needed = RPC_PERMISSIONS[rpc];
  if (needed !== "action") return { permission: needed, what: rpc };
  let type: string;
  try {
    type = decodeAction(request ?? new Uint8Array(0)).type;
  } catch {
    return { permission: null, what: rpc }; // malformed: the handler reports it
  }
  // A shared name needs the same permission in every table.
  const permission = actionPermission("v1", type) ?? actionPermission("v07", type);
  const known = [ACTION_PERMISSIONS, ACTION_PERMISSIONS_2026, ACTION_PERMISSIONS_07].some((t) =>
    Object.hasOwn(t, type)
  );
  return known ? { permission, what: type } : { permission: null, what: rpc };
}

/** The check a DoAction handler runs once its request is parsed; set per call by {@link withApiKeys}. */
type ActionGate = (permission: ApiKeyPermission, what: string) => void;
const actionGates = new WeakMap<CallContext, ActionGate>();

/**
 * Refuses a DoAction whose caller lacks the permission `action` of `dialect` needs (PERMISSION_DENIED).
 * Called by the DoAction handler after parsing, before running; without API keys (no
 * {@link withApiKeys} around the handlers) every call is allowed.
 */
export function authorizeAction(ctx: CallContext, dialect: Dialect, action: string): void {
  const permission = actionPermission(dialect, action);
  if (permission !== null) actionGates.get(ctx)?.(permission, action);
}

type AnyHandler = (input: never, ctx: CallContext) => unknown;

/**
 * `handlers`, each checking the call's API key, and the permission it needs, before it runs; a DoAction's
 * permission is checked by its handler once the request is parsed ({@link authorizeAction}).
 */
export function withApiKeys(
  handlers: FlightHandlers,
  verifier: ApiKeyVerifier,
  { recheckMs = API_KEY_CACHE_MS }: { recheckMs?: number } = {},
): FlightHandlers {
  const check = async (rpc: FlightRpc, ctx: CallContext, request?: Uint8Array) => {
    const caller = await verifier.authenticate(ctx); // its `mosaico-api-key-token` or `authorization`
    if (rpc === "DoAction") {
      // The handler checks the permission once the action is parsed (authorizeAction).
      actionGates.set(ctx, (permission, what) => requirePermission(caller, permission, what));
      return;
    }
    const { permission, what } = requiredPermission(rpc, request);
    if (permission !== null) requirePermission(caller, permission, what);
  };
  const wrapped: Record<string, AnyHandler> = {};
  for (const rpc of Object.keys(FLIGHT_RPCS) as FlightRpc[]) {
    const [clientStreams, serverStreams] = FLIGHT_RPCS[rpc];
    const handler = handlers[rpc] as unknown as (input: unknown, ctx: CallContext) => unknown;
    if (!serverStreams) {
      wrapped[rpc] = async (req: Uint8Array, ctx: CallContext) => {
        await check(rpc, ctx, req);
        return await handler(req, ctx);
      };
    } else {
      // Checked when the adapter starts reading the reply, before the handler sees a message; then again
      // before a message once the last check is older than the verifier's cache window, so that a long
      // stream (a live event subscription, a large read) stops for a key revoked or expired meanwhile.
      wrapped[rpc] = async function* (input: Uint8Array | AsyncIterable<Uint8Array>, ctx: CallContext) {
        const request = clientStreams ? undefined : input as Uint8Array;
        await check(rpc, ctx, request);
        let checked = performance.now();
        for await (const message of handler(input, ctx) as AsyncIterable<unknown>) {
          if (performance.now() - checked >= recheckMs) {
            await check(rpc, ctx, request);
            checked = performance.now();
          }
          yield message;
        }
      };
    }
  }
  return wrapped as unknown as FlightHandlers;
}

/**
 * Runs one parsed 2026 DoAction request against the domain (`lifecycle/`, `query/`, `auth/`) and returns
 * its `response` value (section 4): exactly the documented keys, because the SDK expands some of them
 * into dataclasses (`{"uuid"}` for `session_create` and `topic_create`). The 2026 protocol reports an
 * unknown resource as an error (NOT_FOUND here), where 0.1.0 answered an empty notification list; and its
 * deletes ignore locks.
 *
 * SDK 0.6/0.7 sends the same names; where its answer differs, the connection's dialect decides (0.7
 * delta, section 6): `session_create` answers `{"uuid", "locator"}` to a `v07` connection and exactly
 * `{"uuid"}` to any other (SDK 0.4 builds a one-field dataclass from it).
 *
 * @module
 */
import { apiKeyStatus, createApiKey, revokeApiKey } from "../../auth/key_admin.ts";
import * as lifecycle from "../../lifecycle/mod.ts";
import { requireSequence, requireTopic } from "../../lifecycle/deps.ts";
import type { LifecycleDeps } from "../../lifecycle/deps.ts";
import { expandHierarchical } from "../../model/api_keys.ts";
import type { JsonValue, Notification, Session } from "../../model/types.ts";
import { renderQueryItems2026 } from "../../query/render.ts";
import { type QueryDeps, runQuery } from "../../query/run.ts";
import { DAEMON_VERSION } from "../../version.ts";
import { formatCreatedDatetime } from "../actions.ts";
import type { ActionRequest2026 } from "./actions.ts";
import { exactInt } from "./manifests.ts";

/** What 2026 actions reach: the lifecycle functions (and their catalog), and the query engine. */
export interface ActionDeps2026 {
  lifecycle: LifecycleDeps;
  query: QueryDeps;
}

/**
 * Performs the request; returns the `response` value (null for actions that answer nothing).
 * @param opts.dialect the connection's dialect, `v2026` (SDK 0.4, the default) or `v07` (SDK 0.6/0.7).
 */
export async function runAction2026(
  engines: ActionDeps2026,
  req: ActionRequest2026,
  opts: { dialect?: "v2026" | "v07" } = {},
): Promise<JsonValue> {
  const deps = engines.lifecycle;
  const dialect = opts.dialect ?? "v2026";
  switch (req.action) {
    case "sequence_create":
      await lifecycle.createSequence(deps, {
        name: req.sequence,
        userMetadata: req.userMetadata,
        protocol: "v2026",
      });
      return null;
    case "sequence_delete":
      await lifecycle.deleteSequence(deps, { sequence: req.sequence, ignoreLocks: true });
      return null;
    case "session_create": {
      const session = await lifecycle.createSession(deps, { sequence: req.sequence });
      return dialect === "v07"
        ? { uuid: session.uuid, locator: sessionLocator(session) }
        : { uuid: session.uuid };
    }
    case "session_finalize":
      await lifecycle.finalizeSession(deps, { session: { uuid: req.sessionUuid } });
      return null;
    case "session_delete":
      await lifecycle.deleteSession(deps, { session: req.session });
      return null;
    case "topic_create": {
      const { action: _, ...request } = req;
      return { uuid: (await lifecycle.createSessionTopic(deps, request)).uuid };
    }
    case "topic_delete":
      await lifecycle.deleteTopic(deps, { topic: req.topic, ignoreLocks: true });
      return null;
    case "sequence_notification_create":
      await lifecycle.createNotification(deps, {
        on: { sequence: req.sequence },
        notifyType: req.notifyType,
        msg: req.msg,
      });
      return null;
    case "topic_notification_create":
      await lifecycle.createNotification(deps, {
        on: { topic: req.topic },
        notifyType: req.notifyType,
        msg: req.msg,
      });
      return null;
    case "sequence_notification_list":
      await requireSequence(deps, req.sequence);
      return notifications(await lifecycle.listNotifications(deps, { sequence: req.sequence }));
    case "topic_notification_list":
      await requireTopic(deps, req.topic.full);
      return notifications(await lifecycle.listNotifications(deps, { topic: req.topic }));
    case "sequence_notification_purge":
      await requireSequence(deps, req.sequence);
      await lifecycle.purgeNotifications(deps, { sequence: req.sequence });
      return null;
    case "topic_notification_purge":
      await requireTopic(deps, req.topic.full);
      await lifecycle.purgeNotifications(deps, { topic: req.topic });
      return null;
    case "query":
      return toJson(renderQueryItems2026((await runQuery(engines.query, req.query, { dialect })).items));
    case "api_key_create": {
      const { token } = await createApiKey(deps.catalog, {
        permissions: expandHierarchical(req.level),
        description: req.description,
        expiresNs: req.expiresNs,
      });
      return { api_key_token: token };
    }
    case "api_key_status": {
      const key = await apiKeyStatus(deps.catalog, req.fingerprint);
      return {
        api_key_fingerprint: key.fingerprint,
        description: key.description,
        created_at_ns: exactInt(key.createdNs),
        expires_at_ns: key.expiresNs === null ? null : exactInt(key.expiresNs),
      };
    }
    case "api_key_revoke":
      await revokeApiKey(deps.catalog, req.fingerprint);
      return null;
    case "version":
      return versionResponse(DAEMON_VERSION);
  }
}

/** A session's public locator, `<sequence>:<ulid>` (SDK 0.6+). */
export function sessionLocator(session: Pick<Session, "sequenceName" | "ulid">): string {
  return `${session.sequenceName}:${session.ulid}`;
}

/** The `*_notification_list` answer (4.6): every notification, oldest first. */
function notifications(list: readonly Notification[]): JsonValue {
  return {
    notifications: list.map((n) => ({
      name: n.name,
      notification_type: n.notifyType,
      msg: n.msg,
      created_datetime: formatCreatedDatetime(n.createdMs),
    })),
  };
}

/**
 * The `version` answer (4.9): `{"version": "0.4.0", "semver": {"major": 0, "minor": 4, "patch": 0,
 * "pre": ""}}`; `pre` is the part after `-`, "" without one.
 */
export function versionResponse(version: string): JsonValue {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(version);
  if (!m) throw new RangeError(`Daemon version "${version}" is not semver`);
  return {
    version,
    semver: { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? "" },
  };
}

/** A typed response object as the JSON value it is. */
function toJson(value: object): JsonValue {
  return value as unknown as JsonValue;
}

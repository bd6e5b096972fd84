/**
 * DoAction of the 0.1.0 protocol: one typed request in, one typed domain call, one JSON response out
 * (`service.ts` parses the request and encodes the Result, for every protocol generation). The response objects
 * here are the wire shapes of protocol section 4: exactly the documented keys, because the SDK expands
 * them into dataclasses.
 *
 * @module
 */
import { type QueryDeps, runQuery } from "../query/run.ts";
import { renderQueryItemsV1 } from "../query/render.ts";
import * as lifecycle from "../lifecycle/mod.ts";
import type { LifecycleDeps } from "../lifecycle/deps.ts";
import type { Notification } from "../model/types.ts";
import { type ActionRequest, formatCreatedDatetime } from "./actions.ts";

/** What actions reach: the lifecycle functions, and the query engine for `query`. */
export interface ActionDeps {
  lifecycle: LifecycleDeps;
  query: QueryDeps;
}

function notifies(list: Notification[]) {
  return {
    notifies: list.map((n) => ({
      name: n.name,
      notify_type: n.notifyType,
      msg: n.msg,
      created_datetime: formatCreatedDatetime(n.createdMs),
    })),
  };
}

/**
 * Performs a parsed 0.1.0 request; returns the `response` object, or null for actions that answer
 * "empty". The router (`service.ts`) calls it once the caller's permission is checked.
 */
export async function dispatchAction(engines: ActionDeps, req: ActionRequest): Promise<object | null> {
  const deps = engines.lifecycle;
  switch (req.action) {
    case "sequence_create": {
      const seq = await lifecycle.createSequence(deps, {
        name: req.sequence,
        userMetadata: req.userMetadata,
      });
      return { key: seq.uuid };
    }
    case "topic_create": {
      const topic = await lifecycle.createTopic(deps, req);
      return { key: topic.uuid };
    }
    case "sequence_finalize":
      await lifecycle.finalizeSequence(deps, req);
      return null;
    case "sequence_abort":
      await lifecycle.abortSequence(deps, req);
      return null;
    case "sequence_delete":
      await lifecycle.deleteSequence(deps, req);
      return null;
    case "topic_delete":
      await lifecycle.deleteTopic(deps, req);
      return null;
    case "sequence_system_info": {
      const info = await lifecycle.sequenceSystemInfo(deps, req);
      return {
        total_size_bytes: info.sizeBytes,
        is_locked: info.locked,
        created_datetime: formatCreatedDatetime(info.createdMs),
      };
    }
    case "topic_system_info": {
      const info = await lifecycle.topicSystemInfo(deps, req);
      return {
        chunks_number: info.chunks,
        total_size_bytes: info.sizeBytes,
        is_locked: info.locked,
        created_datetime: formatCreatedDatetime(info.createdMs),
      };
    }
    case "sequence_notify_create":
      await lifecycle.createNotification(deps, { on: { sequence: req.sequence }, ...req });
      return null;
    case "topic_notify_create":
      await lifecycle.createNotification(deps, { on: { topic: req.topic }, ...req });
      return null;
    case "sequence_notify_list":
      return notifies(await lifecycle.listNotifications(deps, { sequence: req.sequence }));
    case "topic_notify_list":
      return notifies(await lifecycle.listNotifications(deps, { topic: req.topic }));
    case "sequence_notify_purge":
      await lifecycle.purgeNotifications(deps, { sequence: req.sequence });
      return null;
    case "topic_notify_purge":
      await lifecycle.purgeNotifications(deps, { topic: req.topic });
      return null;
    case "layer_create":
      await lifecycle.createLayer(deps, { name: req.name, description: req.description });
      return null;
    case "layer_delete":
      await lifecycle.deleteLayer(deps, req.name);
      return null;
    case "layer_update":
      await lifecycle.updateLayer(deps, req.prevName, {
        name: req.currName,
        description: req.currDescription,
      });
      return null;
    case "layer_list": {
      const layers = await lifecycle.listLayers(deps);
      return { layers: layers.map((l) => ({ name: l.name, description: l.description })) };
    }
    case "query":
      return renderQueryItemsV1((await runQuery(engines.query, req.query, { dialect: "v1" })).items);
  }
}

/**
 * Runs one parsed SDK 0.6/0.7-only DoAction request (0.7 delta, A1, A3, A4) and returns its Result
 * bodies: `info` answers one (the daemon version and the message sizes it really accepts and sends);
 * the two `topic_filter_*` actions one per time cluster (`query/cluster.ts` computes them), none for
 * no cluster.
 *
 * @module
 */
import type { JsonValue } from "../../model/types.ts";
import { clusterizeTopic, intersectTopics } from "../../query/cluster.ts";
import type { QueryDeps } from "../../query/run.ts";
import { DAEMON_VERSION } from "../../version.ts";
import { encodeActionResult2026 } from "../v2026/actions.ts";
import { versionResponse } from "../v2026/do_action.ts";
import { type ActionRequest07, encodeClusterResults } from "./actions.ts";

/** The gRPC message sizes the server works with, as `info` reports them. */
export interface MessageLimits {
  /** Largest message the server accepts (the gRPC receive limit, `--max-message-bytes`). */
  readonly maxDecodeBytes: number;
  /** Largest message the server sends (the gRPC send limit, `--max-message-bytes`). */
  readonly maxEncodeBytes: number;
  /** Size DoGet's record batches aim for (`--read-batch-bytes`); a single larger row goes alone. */
  readonly targetEncodeBytes: number;
}

/**
 * The `info` answer (A1): the version as `version` reports it, and the message sizes under both the
 * 0.7.0 names (`grpc_*`) and the 0.7-dev ones (`max_grpc_message_size`, `target_message_size`). The SDK
 * cuts its uploads at 0.9 × the decode limit, so it must be one the server really accepts.
 */
export function infoResponse(version: string, limits: MessageLimits): JsonValue {
  const answer = versionResponse(version) as { [key: string]: JsonValue };
  return {
    ...answer,
    config: {
      grpc_max_decode_message_size: limits.maxDecodeBytes,
      grpc_max_encode_message_size: limits.maxEncodeBytes,
      grpc_target_encode_message_size: limits.targetEncodeBytes,
      max_grpc_message_size: limits.maxDecodeBytes,
      target_message_size: limits.targetEncodeBytes,
    },
  };
}

/** Performs the request; returns the Result bodies to stream, in order. */
export async function runAction07(
  deps: QueryDeps,
  req: ActionRequest07,
  opts: { limits: MessageLimits },
): Promise<Uint8Array[]> {
  switch (req.action) {
    case "info":
      return [encodeActionResult2026("info", infoResponse(DAEMON_VERSION, opts.limits))];
    case "topic_filter_clusterize": {
      const { topic, ontology, clusteringDtNs } = req.filter;
      const clusters = await clusterizeTopic(deps, {
        topic: topic.full,
        ontology,
        clusteringDtNs,
        window: req.window,
      });
      return encodeClusterResults(req.action, clusters);
    }
    case "topic_filter_intersect": {
      const clusters = await intersectTopics(deps, {
        topics: req.topics.map((t) => ({
          topic: t.topic.full,
          ontology: t.ontology,
          clusteringDtNs: t.clusteringDtNs,
        })),
        intersectDtNs: req.intersectDtNs,
      });
      return encodeClusterResults(req.action, clusters);
    }
  }
}

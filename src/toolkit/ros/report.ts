/**
 * The report of an import: per topic (as recorded) what happened, how many messages were read, how many
 * rows were stored and how many messages were skipped, with up to five distinct reasons each. Field
 * names are snake_case because `--json` prints this object as is.
 *
 * Layer: imports this folder's `original.ts` types only.
 *
 * @module
 */
import type { RosMapping } from "./original.ts";

/** What became of one ROS topic. */
export interface TopicReport {
  topic: string;
  /** `pkg/msg/Type`. */
  type: string;
  /** The Mosaico topic; null when none was written. */
  locator: string | null;
  /**
   * `imported`; `refused` (cannot be decoded or named: nothing written), `skipped` (no SDK adapter with
   * `--unknown skip`), `failed` (the daemon refused it: nothing kept), `empty` (no message could be used).
   */
  status: "imported" | "refused" | "skipped" | "failed" | "empty";
  ontology_tag: string | null;
  mapping: RosMapping | null;
  /** Messages read. */
  messages: number;
  /** Rows stored. */
  rows: number;
  /** Messages skipped (not decodable, not mappable, too large). */
  skipped: number;
  /** Why the topic is not (fully) there. */
  reason: string | null;
  /** Distinct reasons of skipped messages, with their counts (at most five). */
  errors: { reason: string; count: number }[];
}

/** The whole import. */
export interface ImportReport {
  sequence: string;
  files: string[];
  topics: TopicReport[];
  messages: number;
  rows: number;
  skipped: number;
  /** Serialized message bytes read. */
  bytes: number;
  elapsed_ms: number;
  warnings: string[];
}

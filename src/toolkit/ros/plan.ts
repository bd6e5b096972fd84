/**
 * What an import will do, decided from the files' indexes before anything is sent: which topics the
 * `--topics` patterns keep, and for each the layout its rows get or why it is refused (several types,
 * an encoding or definition that cannot be decoded, a name the SDK rejects) or skipped (no SDK adapter
 * with `--unknown skip`). A topic is refused as a whole, so it is never half-imported.
 *
 * Layer: imports this folder's modules.
 *
 * @module
 */
import { type ChannelDecoder, channelDecoder, ChannelError } from "./decode.ts";
import { normalizeTypeName, type TopicLayout, topicLayout } from "./mapping.ts";
import { ROS_ORIGIN_VERSION, type RosOrigin } from "./original.ts";
import type { RosSource, SourceChannel } from "./source.ts";
import { selectTopics } from "../topic_select.ts";

/** A channel of one of the files. */
export interface PlannedChannel {
  file: number;
  channel: SourceChannel;
  decoder: ChannelDecoder;
}

/** One ROS topic of the import. */
export interface PlannedTopic {
  /** As recorded. */
  topic: string;
  /** `pkg/msg/Type`. */
  type: string;
  /** `<sequence>/<topic without its leading />`. */
  locator: string;
  /** Null when refused or skipped. */
  layout: TopicLayout | null;
  status: "planned" | "refused" | "skipped";
  reason: string | null;
  channels: PlannedChannel[];
  /** Messages the indexes count (0 when they do not say). */
  expected: number;
  origin: Omit<RosOrigin, "mapping" | "imageFormat"> | null;
}

/** The SDK's rule for names: a letter or digit first (after an optional `/`), then `[A-Za-z0-9_-/]`. */
const SDK_TOPIC = /^\/?[A-Za-z0-9][A-Za-z0-9_\-/]*$/;

/** The SDK's rule for sequence names. */
export const SDK_SEQUENCE = /^\/?[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The topic's locator in `sequence`. */
export function topicLocator(sequence: string, topic: string): string {
  return `${sequence}/${topic}`.replace(/\/{2,}/g, "/");
}

function refuse(t: PlannedTopic, reason: string): PlannedTopic {
  return { ...t, status: "refused", reason, layout: null };
}

/**
 * Plans the import of `sources` into `sequence`.
 * @returns every topic of the files that the patterns keep (by name), and the patterns that matched nothing.
 */
export function planImport(
  sources: readonly RosSource[],
  sequence: string,
  opts: { topics: readonly string[]; unknown: "keep" | "skip" },
): { topics: PlannedTopic[]; unmatched: string[] } {
  const byTopic = new Map<string, { file: number; channel: SourceChannel }[]>();
  sources.forEach((s, file) => {
    for (const channel of s.channels) {
      const list = byTopic.get(channel.topic) ?? [];
      list.push({ file, channel });
      byTopic.set(channel.topic, list);
    }
  });
  const { selected, unmatched } = selectTopics([...byTopic.keys()], opts.topics);
  const topics: PlannedTopic[] = [];
  for (const [topic, list] of byTopic) {
    if (!selected.has(topic)) continue;
    const types = [...new Set(list.map((c) => normalizeTypeName(c.channel.type)))];
    const first = list[0].channel;
    const base: PlannedTopic = {
      topic,
      type: types[0],
      locator: topicLocator(sequence, topic),
      layout: null,
      status: "planned",
      reason: null,
      channels: [],
      expected: list.reduce((n, c) => n + (c.channel.messageCount ?? 0), 0),
      origin: null,
    };
    if (!SDK_TOPIC.test(topic)) {
      topics.push(refuse(base, `topic name "${topic}" is not allowed (letters, digits, _ - /)`));
      continue;
    }
    if (types.length > 1) {
      topics.push(refuse(base, `recorded with several types: ${types.join(", ")}`));
      continue;
    }
    try {
      const channels = list.map((c) => ({ ...c, decoder: channelDecoder(c.channel) }));
      const ros1 = channels[0].decoder.ros1;
      const layout = topicLayout(types[0], channels[0].decoder.defs, {
        ros1,
        generic: opts.unknown === "keep",
      });
      const source = sources[list[0].file];
      const origin = {
        version: ROS_ORIGIN_VERSION,
        topic,
        type: first.type,
        definition: first.definition,
        schemaEncoding: ros1 ? "ros1msg" as const : "ros2msg" as const,
        messageEncoding: ros1 ? "ros1" as const : "cdr" as const,
        container: source.container,
        profile: source.profile,
        channelMetadata: first.metadata,
        md5sum: first.md5sum,
        callerid: first.callerid,
        latching: first.latching,
      };
      if (layout === null) {
        topics.push({
          ...base,
          channels,
          status: "skipped",
          reason: "no SDK adapter for this type (--unknown skip)",
        });
      } else topics.push({ ...base, channels, layout, origin });
    } catch (err) {
      const why = err instanceof ChannelError || err instanceof Error ? err.message : String(err);
      topics.push(refuse(base, why));
    }
  }
  topics.sort((a, b) => a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0);
  return { topics, unmatched };
}

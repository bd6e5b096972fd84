/**
 * The DoPut command (sections 6.1 and 6.2 of the protocol): the CMD descriptor of the first FlightData
 * message, `{"topic": {"name": "<sequence>/<topic path>", "key": "<topic key>"}}`, parsed into a
 * {@link PutCommand}. The only code that knows this format; no gRPC types here.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseKey } from "../model/keys.ts";
import { type LocatorLimits, normalizeTopicName, quoteValue, type TopicName } from "../model/locator.ts";
import { decodeJsonObject, JsonFields } from "./_json_fields.ts";
import type { FlightDescriptor } from "./messages.ts";

/** An upload request: which topic, and the topic key that authorises writing it. */
export interface PutCommand {
  readonly topic: TopicName;
  /** Canonical lowercase hyphenated UUID; still to be compared with the topic's key. */
  readonly key: string;
}

/** A command is a name and a UUID; 64 KiB is far above any valid one. */
export const MAX_PUT_COMMAND_BYTES = 64 * 1024;

const WHAT = "DoPut command";

/**
 * Parses the descriptor of a DoPut stream's first message.
 * The command is externally tagged (one top-level key naming its kind, as serde encodes it in the daemon):
 * `topic` is the only kind, and other top-level keys are refused so that a future kind is never mistaken
 * for it. Fields inside `topic` other than `name` and `key` are ignored.
 * @throws InvalidArgumentError for a missing, PATH or UNKNOWN descriptor, or a malformed command.
 * @throws ResourceExhaustedError for a command over `maxCmdBytes`.
 */
export function parsePutCommand(
  descriptor: FlightDescriptor | null,
  opts: { limits?: LocatorLimits; maxCmdBytes?: number } = {},
): PutCommand {
  const fields = decodePutDescriptor(descriptor, WHAT, opts.maxCmdBytes);
  for (const kind of fields.keys()) {
    if (kind !== "topic") {
      throw new InvalidArgumentError(`Invalid ${WHAT}: unknown command ${quoteValue(kind)}`);
    }
  }
  const topic = fields.nested("topic");
  return {
    topic: topic.parsed("name", (raw) => normalizeTopicName(raw, { limits: opts.limits })),
    key: topic.parsed("key", (raw) => parseKey(raw, "topic")),
  };
}

/**
 * The JSON object of a DoPut stream's first descriptor, for both protocol generations' commands: checks it
 * is there and of type CMD, then decodes its `cmd` (protocol 6.2 order).
 * @throws InvalidArgumentError for a missing, PATH or UNKNOWN descriptor, or a `cmd` that is not a JSON
 *   object; ResourceExhaustedError for a `cmd` over `maxCmdBytes` (default {@link MAX_PUT_COMMAND_BYTES}).
 */
export function decodePutDescriptor(
  descriptor: FlightDescriptor | null,
  what: string,
  maxCmdBytes = MAX_PUT_COMMAND_BYTES,
): JsonFields {
  if (descriptor === null) {
    throw new InvalidArgumentError("Invalid DoPut request: the first message has no descriptor");
  }
  if (descriptor.type !== "cmd") {
    throw new InvalidArgumentError(
      `Invalid DoPut request: the descriptor must be of type CMD, not ${descriptor.type.toUpperCase()}`,
    );
  }
  const obj = decodeJsonObject(descriptor.cmd, { what, part: "cmd" }, {
    maxBytes: maxCmdBytes,
    maxDepth: 64,
  });
  return new JsonFields(obj, what);
}

/**
 * The two CMD descriptors of the 2026 protocol, parsed at the edge: GetFlightInfo's
 * `{"resource_locator", "timestamp_ns_start"?, "timestamp_ns_end"?}` (section 7.2) and DoPut's
 * `{"resource_locator", "topic_uuid"}` (section 6.1). Extra keys are ignored, as the daemon does.
 * No gRPC types, no domain calls.
 *
 * @module
 */
import { parseKey } from "../../model/keys.ts";
import type { LocatorLimits } from "../../model/locator.ts";
import { decodeJsonObject, JsonFields } from "../_json_fields.ts";
import type { FlightDescriptor } from "../messages.ts";
import { decodePutDescriptor, type PutCommand } from "../put_command.ts";
import { readNs, type TimeWindow } from "../ticket.ts";
import { type Locator, parseLocator, parseTopicLocator } from "./locator.ts";

/** A 2026 GetFlightInfo request: what to describe, and the window to copy into its tickets. */
export interface InfoCommand {
  readonly locator: Locator;
  /** `[timestamp_ns_start, timestamp_ns_end)`, either bound open; not checked for order (7.2). */
  readonly window: TimeWindow;
}

const INFO = "GetFlightInfo command";
const PUT = "DoPut command";

/** A command is a locator and two integers; 64 KiB is far above any valid one. */
const MAX_INFO_COMMAND_BYTES = 64 * 1024;

/**
 * Parses the `cmd` of a 2026 GetFlightInfo CMD descriptor.
 * @throws InvalidArgumentError for malformed JSON, a missing or invalid locator, or a bound that is not an
 *   int64; ResourceExhaustedError for a command over 64 KiB.
 */
export function parseInfoCommand(cmd: Uint8Array, opts: { limits?: LocatorLimits } = {}): InfoCommand {
  const obj = decodeJsonObject(cmd, { what: INFO, part: "cmd" }, {
    maxBytes: MAX_INFO_COMMAND_BYTES,
    maxDepth: 64,
  });
  const f = new JsonFields(obj, INFO);
  return {
    locator: f.parsed("resource_locator", (raw) => parseLocator(raw, { limits: opts.limits })),
    window: { startNs: readNs(f, "timestamp_ns_start"), endNs: readNs(f, "timestamp_ns_end") },
  };
}

/**
 * Parses the descriptor of a 2026 DoPut stream's first message into the upload command (the same
 * {@link PutCommand} the 0.1.0 parser makes: the topic, and `topic_uuid` as its key). Checks in the order
 * of 6.2: a descriptor, of type CMD, whose JSON holds a topic locator and a uuid.
 * @throws InvalidArgumentError for a missing, PATH or UNKNOWN descriptor, or a malformed command.
 * @throws ResourceExhaustedError for a command over `maxCmdBytes`.
 */
export function parsePutCommand2026(
  descriptor: FlightDescriptor | null,
  opts: { limits?: LocatorLimits; maxCmdBytes?: number } = {},
): PutCommand {
  const f = decodePutDescriptor(descriptor, PUT, opts.maxCmdBytes);
  return {
    topic: f.parsed("resource_locator", (raw) => parseTopicLocator(raw, { limits: opts.limits })),
    key: f.parsed("topic_uuid", (raw) => parseKey(raw, "topic")),
  };
}

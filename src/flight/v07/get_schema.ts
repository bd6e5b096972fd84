/**
 * GetSchema, which SDK 0.7 calls for every topic handle (0.7 delta, B3/B4): a CMD descriptor
 * `{"resource_locator": "<sequence>/<topic>"}` answers a SchemaResult holding the topic's schema as its
 * first DoPut sent it (the stored snapshot: field order, types, nullability and field metadata kept;
 * no `mosaico:` key added), also when that upload had no rows. A topic that never received an upload
 * is NOT_FOUND; a sequence or session locator INVALID_ARGUMENT. Other descriptors (PATH: the 0.1.0
 * protocol, which has no GetSchema) stay UNIMPLEMENTED, as that protocol says.
 *
 * @module
 */
import { encodeEncapsulatedSchema } from "../../arrow/ipc.ts";
import { InvalidArgumentError, NotFoundError, UnimplementedError } from "../../errors.ts";
import { describeTopic, type LifecycleDeps } from "../../lifecycle/mod.ts";
import type { LocatorLimits } from "../../model/locator.ts";
import { encodeBytesMessage, type FlightDescriptor } from "../messages.ts";
import { parseInfoCommand } from "../v2026/commands.ts";

/**
 * Answers GetSchema with an encoded SchemaResult.
 * @throws UnimplementedError for a descriptor that is not CMD; InvalidArgumentError for a malformed command
 *   or a locator that does not name a topic; NotFoundError for an unknown topic or one without a schema yet.
 */
export async function getSchema07(
  deps: LifecycleDeps,
  descriptor: FlightDescriptor,
  opts: { limits?: LocatorLimits } = {},
): Promise<Uint8Array> {
  if (descriptor.type !== "cmd") {
    throw new UnimplementedError(
      'GetSchema is implemented for a CMD descriptor {"resource_locator": "<sequence>/<topic>"} only',
    );
  }
  const { locator } = parseInfoCommand(descriptor.cmd, { limits: opts.limits });
  if (locator.kind !== "topic") {
    const name = locator.kind === "sequence" ? locator.sequence : `${locator.sequence}:${locator.id}`;
    throw new InvalidArgumentError(
      `Invalid GetSchema request: "${name}" names a ${locator.kind}; only a topic has a schema`,
    );
  }
  const name = locator.topic.full;
  const found = await describeTopic(deps, name);
  if (!found) throw new NotFoundError(`Cannot find topic "${name}"`);
  if (found.schema === null) {
    throw new NotFoundError(`Cannot find the schema of topic "${name}": it has not received an upload`);
  }
  return encodeBytesMessage(encodeEncapsulatedSchema(found.schema));
}

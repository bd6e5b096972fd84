/**
 * Per-channel message decoding: the definition text parsed once (`@foxglove/rosmsg`), then CDR
 * (`@foxglove/rosmsg2-serialization`) for MCAP `ros2msg`/`cdr` channels or the ROS 1 serialization
 * (`@foxglove/rosmsg-serialization`) for bag connections. Any other pairing is refused per channel.
 *
 * Layer: imports the ROS codecs and this folder's `generic.ts`, `_msg.ts`, `source.ts` types.
 *
 * @module
 */
import { parse } from "@foxglove/rosmsg";
import { MessageReader as Ros1Reader } from "@foxglove/rosmsg-serialization";
import { MessageReader as Ros2Reader } from "@foxglove/rosmsg2-serialization";
import type { MessageDefinition } from "./generic.ts";
import type { Msg } from "./_msg.ts";
import type { SourceChannel } from "./source.ts";

/** A channel's parsed definition and its message decoder. */
export interface ChannelDecoder {
  ros1: boolean;
  defs: MessageDefinition[];
  /** @throws Error for bytes that do not decode */
  decode(data: Uint8Array): Msg;
}

/** Why a channel cannot be decoded at all, as the report shows it. */
export class ChannelError extends Error {
  override name = "ChannelError";
}

/** The decoder of `channel`. @throws ChannelError */
export function channelDecoder(channel: SourceChannel): ChannelDecoder {
  const ros1 = channel.schemaEncoding === "ros1msg";
  if (channel.schemaEncoding !== "ros2msg" && !ros1) {
    const what = channel.schemaEncoding === "" ? "no schema" : `schema encoding "${channel.schemaEncoding}"`;
    throw new ChannelError(`${what} is not supported (only ros2msg and ros1msg)`);
  }
  const wanted = ros1 ? "ros1" : "cdr";
  if (channel.messageEncoding !== wanted) {
    throw new ChannelError(`message encoding "${channel.messageEncoding}" is not ${wanted}`);
  }
  let defs: MessageDefinition[];
  try {
    defs = parse(channel.definition, { ros2: !ros1 });
  } catch (err) {
    throw new ChannelError(`Cannot parse the definition of "${channel.type}": ${(err as Error).message}`);
  }
  if (defs.length === 0) throw new ChannelError(`the definition of "${channel.type}" is empty`);
  let decode: (data: Uint8Array) => unknown;
  try {
    if (ros1) {
      const reader = new Ros1Reader(defs);
      decode = (data) => reader.readMessage(data);
    } else {
      const reader = new Ros2Reader(defs);
      decode = (data) => reader.readMessage(data);
    }
  } catch (err) {
    throw new ChannelError(`Cannot build a decoder for "${channel.type}": ${(err as Error).message}`);
  }
  return {
    ros1,
    defs,
    decode: (data) => {
      const msg = decode(data);
      if (msg === null || typeof msg !== "object") throw new Error("the message is not a struct");
      return msg as Msg;
    },
  };
}

/**
 * A recording to import, whatever its container: its channels (topic, type, definition, encodings,
 * counts) known before any message is read, and its messages in log-time order. `openSource()` picks
 * the reader by suffix (`.mcap`, `.bag`); `mergeByLogTime()` interleaves several files (a split bag).
 *
 * Layer: imports this folder's readers.
 *
 * @module
 */
import { basename } from "node:path";

/** A channel (MCAP) or connection (ROS 1) of one file. */
export interface SourceChannel {
  /** Channel or connection id, unique inside its file. */
  id: number;
  topic: string;
  /** The type as recorded. */
  type: string;
  /** `ros2msg`, `ros1msg`, or whatever else the file says (refused). */
  schemaEncoding: string;
  definition: string;
  /** `cdr`, `ros1`, or whatever else the file says (refused). */
  messageEncoding: string;
  metadata: Record<string, string>;
  md5sum: string | null;
  callerid: string | null;
  latching: boolean | null;
  /** Messages the index counts; null when the file does not say. */
  messageCount: number | null;
}

/** One recorded message, still serialized. */
export interface RawMessage {
  /** Index of the file in the import (0 for a single file). */
  file: number;
  channelId: number;
  logTimeNs: bigint;
  data: Uint8Array;
}

/** An open recording. */
export interface RosSource extends AsyncDisposable {
  path: string;
  container: "mcap" | "bag";
  /** MCAP header profile (`ros2`…); `ros1` for bags. */
  profile: string;
  /** MCAP header library; "" for bags. */
  library: string;
  channels: SourceChannel[];
  /** First and last log time the index records; null for an empty file. */
  startNs: bigint | null;
  endNs: bigint | null;
  /** The messages of `channelIds`, in log-time order. @throws Error on a corrupt chunk */
  messages(channelIds: ReadonlySet<number>, file: number): AsyncIterable<RawMessage>;
}

/** A file that cannot be imported at all (unreadable, unknown suffix, corrupt header or index). */
export class SourceError extends Error {
  override name = "SourceError";
}

/** Opens `path` with the reader its suffix names. @throws SourceError */
export async function openSource(path: string): Promise<RosSource> {
  const lower = path.toLowerCase();
  try {
    if (lower.endsWith(".mcap")) return await (await import("./mcap_source.ts")).openMcap(path);
    if (lower.endsWith(".bag")) return await (await import("./bag_source.ts")).openBag(path);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new SourceError(`Cannot read "${basename(path)}": ${why}`);
  }
  throw new SourceError(`Cannot import "${basename(path)}": the file must end in .mcap or .bag`);
}

/** Several log-time-ordered streams merged into one, in log-time order (stable by stream index). */
export async function* mergeByLogTime(streams: AsyncIterable<RawMessage>[]): AsyncGenerator<RawMessage> {
  const iters = streams.map((s) => s[Symbol.asyncIterator]());
  const heads: (RawMessage | null)[] = await Promise.all(
    iters.map(async (it) => {
      const r = await it.next();
      return r.done ? null : r.value;
    }),
  );
  try {
    while (true) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== null && (best < 0 || h.logTimeNs < heads[best]!.logTimeNs)) best = i;
      }
      if (best < 0) return;
      yield heads[best]!;
      const r = await iters[best].next();
      heads[best] = r.done ? null : r.value;
    }
  } finally {
    await Promise.all(iters.map((it) => it.return?.()));
  }
}

/**
 * A query scan worker (see `scan_pool.ts`): receives a chunk's bytes and the conditions of one tag
 * group, decodes only the columns they read, and answers whether some row satisfies all of them.
 * Decoding stops at the first matching batch.
 *
 * Runs in its own JS context with its own parquet-wasm instance, so a panic in the Parquet reader
 * ends this worker, not the daemon.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { InvalidArgumentError } from "../errors.ts";
import type { ScanReply, ScanRequest } from "./scan_pool.ts";
import { decodeParquetColumns, readParquetSchema } from "./parquet.ts";
import { anyRowMatches, conditionColumns, hasLeaf } from "./row_filter.ts";

self.onmessage = async (event: MessageEvent<ScanRequest>) => {
  const { id, bytes, conditions } = event.data;
  let reply: ScanReply;
  try {
    let matched = false;
    // A column the chunk lacks matches no row; asking the reader for it would make it panic.
    const schema = await readParquetSchema(bytes);
    const readable = conditions.every((c) => hasLeaf(schema, c.path));
    if (readable) {
      for await (const batch of decodeParquetColumns(bytes, conditionColumns(conditions))) {
        if (anyRowMatches(batch, conditions)) {
          matched = true;
          break;
        }
      }
    }
    reply = { id, matched };
  } catch (err) {
    reply = {
      id,
      error: err instanceof Error ? err.message : String(err),
      unreadable: err instanceof InvalidArgumentError,
    };
  }
  self.postMessage(reply);
};

// Loaded: from now on a crash is the reader failing on a chunk, not a worker that could not start.
self.postMessage({ ready: true } satisfies ScanReply);

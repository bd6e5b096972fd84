/**
 * A chunk encoder worker (see `encoder_pool.ts`): for each chunk it is given, it decodes the batch
 * messages as they arrive, runs `encodeChunk()` over them (statistics, framing, parquet-wasm) and sends
 * the Parquet bytes back as they come, never more than the chunk's window ahead of the acknowledgements.
 * Several chunks may be in progress at once, each with its own writer in this worker's wasm instance;
 * an upload's next chunk waits for its previous one's writer to finish (`after`), so that one upload
 * never holds two writers' memory here.
 *
 * A batch's buffer leaves as soon as the writer has taken it: it was transferred here, nothing else
 * holds it, and it goes back to the main thread with the `consumed` reply, which reads later messages
 * into it (`buffer_recycler.ts`); left to this isolate's garbage collector, a whole chunk of them was
 * measured waiting.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { decodeEncapsulatedSchema } from "./ipc.ts";
import { AsyncQueue } from "./_queue.ts";
import { ChunkAccumulator, encodeChunk } from "./chunk_encoder.ts";
import { type BatchMessage, type ReceivedBatch, receivedFrom } from "./received_batch.ts";
import { owned } from "./parquet_pool.ts";
import type { EncoderReply, EncoderRequest } from "./_encoder_protocol.ts";

/** One chunk in progress. */
class Chunk {
  readonly input = new AsyncQueue<BatchMessage>();
  /** Output bytes sent and not yet acknowledged. */
  unacked = 0;
  #credit: PromiseWithResolvers<void> | null = null;
  aborted = false;
  /** Settles when this chunk's writer is done (finished, failed or aborted). */
  readonly ended = Promise.withResolvers<void>();

  /** Resolves once the unacknowledged output fits in `windowBytes` (or the chunk was aborted). */
  async room(windowBytes: number): Promise<void> {
    while (this.unacked > windowBytes && !this.aborted) {
      this.#credit = Promise.withResolvers();
      await this.#credit.promise;
    }
  }

  credit(bytes: number): void {
    this.unacked -= bytes;
    this.#credit?.resolve();
  }

  abort(): void {
    this.aborted = true;
    this.input.fail(new Error("Cannot encode chunk: aborted"));
    this.#credit?.resolve();
  }
}

const chunks = new Map<number, Chunk>();

function reply(message: EncoderReply, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<EncoderRequest>) => {
  const req = event.data;
  if (req.kind === "open") {
    void encode(req);
    return;
  }
  const chunk = chunks.get(req.id);
  if (!chunk) return; // ended already (failed, or aborted by both sides)
  if (req.kind === "batch") chunk.input.push({ header: req.header, body: req.body });
  else if (req.kind === "end") chunk.input.close();
  else if (req.kind === "abort") chunk.abort();
  else chunk.credit(req.bytes);
};

async function encode(req: Extract<EncoderRequest, { kind: "open" }>): Promise<void> {
  const chunk = new Chunk();
  const previous = req.after === undefined ? undefined : chunks.get(req.after);
  chunks.set(req.id, chunk);
  const acc = new ChunkAccumulator();
  try {
    // The upload's previous chunk first: one writer per upload in this instance's wasm memory. This
    // chunk's batches queue meanwhile, within the sender's bound on bytes in flight.
    await previous?.ended.promise;
    const schema = decodeEncapsulatedSchema(req.schema);
    const taken: ReceivedBatch[] = [];
    const batches = async function* () {
      for await (const message of chunk.input) {
        const item = receivedFrom(schema, message);
        taken.push(item);
        yield item;
      }
    };
    const onConsumed = () => {
      const item = taken.shift();
      // Written (framed and copied into wasm memory, or encoded by the native writer), its statistics
      // taken: nothing here needs its buffer any more. It goes back to the main thread, which reads
      // later messages into it (moving it detaches it here), rather than wait for this isolate's next
      // collection, which external memory alone triggers late.
      const buffer = item?.body.buffer;
      if (buffer instanceof ArrayBuffer && !buffer.detached) {
        reply({ kind: "consumed", id: req.id, buffer }, [buffer]);
      } else reply({ kind: "consumed", id: req.id });
    };
    const opts = {
      schema,
      format: req.format,
      rowGroupBytes: req.rowGroupBytes,
      codec: req.codec,
      onConsumed,
    };
    for await (const bytes of encodeChunk(batches(), opts, acc)) {
      if (chunk.aborted) continue; // the writer is being drained; nobody wants its bytes
      const out = owned(bytes);
      chunk.unacked += out.length;
      reply({ kind: "output", id: req.id, bytes: out }, [out.buffer as ArrayBuffer]);
      await chunk.room(req.windowBytes);
    }
    if (chunk.aborted) throw new Error("Cannot encode chunk: aborted");
    reply({ kind: "done", id: req.id, summary: acc.summary() });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    reply({
      kind: "error",
      id: req.id,
      name: error.name,
      message: error.message,
      cause,
      poisoned: err instanceof WebAssembly.RuntimeError,
    });
  } finally {
    chunks.delete(req.id);
    chunk.ended.resolve();
  }
}

reply({ kind: "ready" });

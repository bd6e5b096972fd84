/**
 * Multipart upload for `S3Store`: parts of {@link PART_SIZE_BYTES}, at most {@link MAX_PARALLEL_PARTS}
 * in flight, and AbortMultipartUpload on any failure, so a failed or cancelled put leaves no object.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { ResourceExhaustedError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** Size of every part but the last; objects up to this size are sent with one PutObject. */
export const PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Parts uploaded at once: bounds memory to about this many parts plus the one being filled. */
export const MAX_PARALLEL_PARTS = 4;
/** The S3 limit on parts per upload. */
const MAX_PARTS = 10_000;

/**
 * Regroups `data` into parts of exactly `sizeBytes` (the last one shorter, never empty).
 * A Uint8Array is cut without copying; a stream's chunks are copied, so a producer may reuse its buffers.
 */
export async function* partsOf(
  data: Uint8Array | AsyncIterable<Uint8Array>,
  sizeBytes: number,
): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    for (let off = 0; off < data.length; off += sizeBytes) yield data.subarray(off, off + sizeBytes);
    return;
  }
  let part: Uint8Array | null = null;
  let filled = 0;
  for await (const chunk of data) {
    for (let off = 0; off < chunk.length;) {
      part ??= new Uint8Array(sizeBytes);
      const n = Math.min(sizeBytes - filled, chunk.length - off);
      part.set(chunk.subarray(off, off + n), filled);
      filled += n;
      off += n;
      if (filled === sizeBytes) {
        yield part;
        part = null;
        filled = 0;
      }
    }
  }
  if (part !== null) yield part.subarray(0, filled);
}

export interface MultipartTarget {
  client: S3Client;
  bucket: string;
  /** The full S3 key (store prefix included). */
  s3Key: string;
  log: Logger;
  /**
   * Runs one SDK call, mapping its failure to a domain error.
   * @param signal aborts the call (the caller's signal, or the upload's own on failure)
   */
  send<T>(fn: (abortSignal: AbortSignal | undefined) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/**
 * Uploads `first` and then the rest of `parts` as one multipart upload, completing it only when
 * every part succeeded. On failure or abort the upload is aborted and the first error thrown.
 */
export async function uploadMultipart(
  target: MultipartTarget,
  parts: { first: Uint8Array; rest: AsyncIterator<Uint8Array> },
  signal?: AbortSignal,
): Promise<void> {
  const { client, bucket, s3Key: key } = target;
  const created = await target.send(
    (abortSignal) =>
      client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal }),
    signal,
  );
  const uploadId = created.UploadId!;
  // One controller for every part: the first failure (or the caller's abort) cancels the others.
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const inflight = new Set<Promise<void>>();
  const completed: CompletedPart[] = [];
  let failure: { err: unknown } | null = null;
  try {
    let part: Uint8Array | undefined = parts.first;
    for (let partNumber = 1; part !== undefined; partNumber++) {
      if (partNumber > MAX_PARTS) {
        throw new ResourceExhaustedError(`Cannot write object "${key}": more than ${MAX_PARTS} parts`);
      }
      const body: Uint8Array = part;
      const n = partNumber;
      const upload: Promise<void> = target.send(
        (abortSignal) =>
          client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: body,
              ContentLength: body.length,
            }),
            { abortSignal },
          ),
        ac.signal,
      ).then(
        (res) => void completed.push({ PartNumber: n, ETag: res.ETag }),
        (err) => {
          failure ??= { err };
          ac.abort(err);
        },
      ).finally(() => inflight.delete(upload));
      inflight.add(upload);
      if (inflight.size >= MAX_PARALLEL_PARTS) await Promise.race(inflight);
      if (failure) break;
      signal?.throwIfAborted();
      const next: IteratorResult<Uint8Array> = await parts.rest.next();
      part = next.done ? undefined : next.value;
    }
    await Promise.all(inflight);
    if (failure) throw (failure as { err: unknown }).err;
    signal?.throwIfAborted();
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await target.send(
      (abortSignal) =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: completed },
          }),
          { abortSignal },
        ),
      signal,
    );
    target.log.debug("multipart upload completed", { key, parts: completed.length });
  } catch (err) {
    ac.abort(err);
    await Promise.all(inflight);
    await parts.rest.return?.();
    await abortUpload(target, uploadId);
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Best effort: a leftover upload is invisible (never completed) and only costs storage until expiry rules. */
async function abortUpload(target: MultipartTarget, uploadId: string): Promise<void> {
  const { client, bucket, s3Key } = target;
  try {
    await target.send(() =>
      client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: s3Key, UploadId: uploadId }))
    );
  } catch (err) {
    target.log.warn("cannot abort multipart upload", { key: s3Key, uploadId, err });
  }
}

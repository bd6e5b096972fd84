/**
 * `S3Store`: an ObjectStore in an S3 bucket (AWS, MinIO, …), keys placed under the configured prefix.
 * Path-style addressing. Every request has a deadline (`requestTimeoutMs`, default 60 s): an attempt
 * that gets no complete answer in time is aborted. Failures that may pass (a refused or dropped
 * connection, a timeout, throttling, a 5xx answer) are retried with exponential backoff, up to
 * `maxAttempts` attempts (default {@link MAX_ATTEMPTS}); then the call fails with UnavailableError. The
 * SDK's own retries are off, so that one deadline and one backoff apply.
 * Must not import `catalog/` or `flight/`.
 *
 * @module
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { StoreConfig } from "../config.ts";
import { CancelledError, InvalidArgumentError, NotFoundError, UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { httpStatus, isNotFound, s3Error } from "./_s3_errors.ts";
import { type MultipartTarget, PART_SIZE_BYTES, partsOf, uploadMultipart } from "./_multipart.ts";
import { checkRange, keyProblem, MAX_KEY_BYTES, validateKey, validatePrefix } from "./keys.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "./store.ts";

/** The S3 variant of the store configuration. */
export type S3StoreConfig = Extract<StoreConfig, { kind: "s3" }>;

/** Attempts per call (first try plus retries) for throttling, 5xx answers, timeouts and network failures. */
export const MAX_ATTEMPTS = 3;

/** Longest time one attempt of one request may take, unless configured. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Backoff before retry n (1-based): 100 ms, 200 ms, 400 ms… at most 2 s, with ±25 % jitter. */
function backoffMs(retry: number): number {
  return Math.min(2000, 100 * 2 ** (retry - 1)) * (0.75 + Math.random() / 2);
}

export interface S3StoreOptions {
  log: Logger;
  /** Keys per ListObjectsV2 page and per DeleteObjects batch, 1 to 1000 (default 1000). Tests lower it. */
  pageSize?: number;
}

/** An object store in an S3 bucket. Holds one S3 client; dispose it to close its sockets. */
export class S3Store implements ObjectStore {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  /** The config prefix plus "/", or "" for the bucket root. */
  readonly #base: string;
  readonly #pageSize: number;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;

  private constructor(config: S3StoreConfig, opts: S3StoreOptions) {
    const prefix = validatePrefix(config.prefix);
    this.#timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.#maxAttempts = config.maxAttempts ?? MAX_ATTEMPTS;
    this.#client = createClient(config);
    this.#bucket = config.bucket;
    this.#base = prefix === "" ? "" : prefix + "/";
    this.#pageSize = opts.pageSize ?? 1000;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > 1000) {
      throw new InvalidArgumentError(`Cannot open store: page size ${this.#pageSize} is not from 1 to 1000`);
    }
    this.location = `s3://${config.bucket}${prefix === "" ? "" : "/" + prefix}`;
    this.#log = opts.log.child({ store: this.location });
  }

  /** Creates the client; no request is made until the first call (see `check()`). */
  static open(config: S3StoreConfig, opts: S3StoreOptions): S3Store {
    return new S3Store(config, opts);
  }

  /** Objects up to 8 MiB go in one PutObject; larger or streamed ones as a multipart upload. */
  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<void> {
    const s3Key = this.#s3Key(key);
    const { signal } = opts;
    const action = `Cannot write object "${key}"`;
    if (signal?.aborted) throw new CancelledError(`${action}: cancelled`, { cause: signal.reason });
    const parts = partsOf(data, PART_SIZE_BYTES);
    const first = await parts.next();
    const body = first.done ? new Uint8Array(0) : first.value;
    // The whole object fits in the first part: one request is enough.
    if (body.length < PART_SIZE_BYTES || (data instanceof Uint8Array && data.length <= PART_SIZE_BYTES)) {
      await this.#send(action, (abortSignal) =>
        this.#client.send(
          new PutObjectCommand({ Bucket: this.#bucket, Key: s3Key, Body: body, ContentLength: body.length }),
          { abortSignal },
        ), signal);
      return;
    }
    const target: MultipartTarget = {
      client: this.#client,
      bucket: this.#bucket,
      s3Key,
      log: this.#log,
      send: (fn, sig) => this.#send(action, fn, sig),
    };
    try {
      await uploadMultipart(target, { first: body, rest: parts }, signal);
    } catch (err) {
      if (signal?.aborted && !(err instanceof CancelledError)) {
        throw new CancelledError(`${action}: cancelled`, { cause: signal.reason });
      }
      throw err;
    }
  }

  async get(key: string, opts: PutOptions = {}): Promise<Uint8Array> {
    const s3Key = this.#s3Key(key);
    return await this.#send(`Cannot read object "${key}"`, async (abortSignal) => {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: s3Key }), {
        abortSignal,
      });
      return await res.Body!.transformToByteArray();
    }, opts.signal);
  }

  async getRange(key: string, offset: number, length: number, opts: PutOptions = {}): Promise<Uint8Array> {
    const s3Key = this.#s3Key(key);
    checkRange(key, offset, length);
    const action = `Cannot read object "${key}"`;
    if (length === 0) {
      if (await this.head(key) === null) throw new NotFoundError(`${action}: object is missing`);
      return new Uint8Array(0);
    }
    const cmd = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: s3Key,
      Range: `bytes=${offset}-${offset + length - 1}`,
    });
    return await this.#send(action, async (abortSignal) => {
      try {
        const res = await this.#client.send(cmd, { abortSignal });
        const bytes = await res.Body!.transformToByteArray();
        // Trust the range the server says it sent: some ignore Range (200, whole object) or misread
        // "bytes=0-0"; Content-Range is "bytes <first>-<last>/<size>".
        const first = Number(/^bytes (\d+)-/.exec(res.ContentRange ?? "")?.[1] ?? 0);
        if (first === offset && bytes.length <= length) return bytes;
        return bytes.slice(offset - first, offset - first + length);
      } catch (err) {
        // 416: the object exists (else 404) but `offset` is at or past its end.
        if (httpStatus(err) === 416) return new Uint8Array(0);
        throw err;
      }
    }, opts.signal);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const s3Key = this.#s3Key(key);
    return await this.#send(`Cannot read object "${key}"`, async (abortSignal) => {
      try {
        const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: s3Key }), {
          abortSignal,
        });
        return { key, sizeBytes: res.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const p = validatePrefix(prefix);
    const s3Prefix = this.#base + (p === "" ? "" : p + "/");
    let token: string | undefined;
    do {
      const page = await this.#send(`Cannot list objects under "${p}"`, (abortSignal) =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: s3Prefix,
            ContinuationToken: token,
            MaxKeys: this.#pageSize,
          }),
          { abortSignal },
        ));
      for (const obj of page.Contents ?? []) {
        const key = obj.Key!.slice(this.#base.length);
        // Skip what no valid key can name (e.g. "folder/" markers made by other tools).
        if (obj.Key!.startsWith(s3Prefix) && keyProblem(key) === null) {
          yield { key, sizeBytes: obj.Size ?? 0 };
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    const s3Key = this.#s3Key(key);
    await this.#send(
      `Cannot delete object "${key}"`,
      (abortSignal) =>
        this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: s3Key }), { abortSignal }),
    );
  }

  /** Lists and deletes in batches of the page size (at most 1000, the DeleteObjects limit). */
  async deletePrefix(prefix: string): Promise<number> {
    const p = validatePrefix(prefix);
    let count = 0;
    let batch: string[] = [];
    for await (const { key } of this.list(p)) {
      batch.push(key);
      if (batch.length === this.#pageSize) {
        count += await this.#deleteBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) count += await this.#deleteBatch(batch);
    this.#log.debug("prefix deleted", { prefix: p, count });
    return count;
  }

  /** HeadBucket: proves the endpoint answers, the credentials work and the bucket exists. */
  async check(): Promise<void> {
    const action = `Cannot use bucket "${this.#bucket}"`;
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      if (httpStatus(err) === 404) throw new UnavailableError(`${action}: it does not exist`, { cause: err });
      const mapped = s3Error(action, err, { bucket: this.#bucket });
      throw mapped instanceof UnavailableError
        ? mapped
        : new UnavailableError(mapped.message, { cause: err });
    }
  }

  /** Closes the client's sockets. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  #s3Key(key: string): string {
    validateKey(key);
    const s3Key = this.#base + key;
    if (new TextEncoder().encode(s3Key).length > MAX_KEY_BYTES) {
      throw new InvalidArgumentError(
        `Cannot use object key "${key}": with the store prefix it is longer than ${MAX_KEY_BYTES} bytes`,
      );
    }
    return s3Key;
  }

  /**
   * Runs one SDK call under the deadline, retrying failures that may pass (UnavailableError) with
   * backoff; the final failure becomes a domain error naming `action`. `fn` must be safe to repeat.
   */
  async #send<T>(
    action: string,
    fn: (abortSignal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    for (let attempt = 1;; attempt++) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
      let failure: Error;
      try {
        return await fn(signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal);
      } catch (err) {
        failure = deadline.signal.aborted && !signal?.aborted
          ? new UnavailableError(`${action}: object store gave no answer within ${this.#timeoutMs} ms`, {
            cause: err,
          })
          : s3Error(action, err, { bucket: this.#bucket, signal });
      } finally {
        clearTimeout(timer);
      }
      if (!(failure instanceof UnavailableError) || attempt >= this.#maxAttempts) throw failure;
      const wait = backoffMs(attempt);
      this.#log.debug("retrying an object store request", {
        action,
        attempt,
        waitMs: Math.round(wait),
        err: failure,
      });
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(t);
          reject(new CancelledError(`${action}: cancelled`, { cause: signal?.reason }));
        };
        const t = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, wait);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }

  async #deleteBatch(keys: string[]): Promise<number> {
    const res = await this.#send(`Cannot delete object "${keys[0]}"`, (abortSignal) =>
      this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: keys.map((k) => ({ Key: this.#base + k })), Quiet: true },
        }),
        { abortSignal },
      ));
    const failed = res.Errors?.[0];
    if (failed) {
      const key = failed.Key?.slice(this.#base.length);
      throw new UnavailableError(
        `Cannot delete object "${key}": ${failed.Code} ${failed.Message ?? ""}`.trim(),
      );
    }
    return keys.length;
  }
}

/**
 * Creates the bucket named in `config` unless it exists. For tests and fixtures: the daemon itself
 * never creates buckets (`check()` fails instead, naming the bucket).
 */
export async function ensureBucket(config: S3StoreConfig): Promise<void> {
  const client = createClient(config);
  const action = `Cannot create bucket "${config.bucket}"`;
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (err) {
    if (httpStatus(err) !== 404) throw s3Error(action, err, { bucket: config.bucket });
    try {
      await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
    } catch (createErr) {
      const name = (createErr as { name?: string }).name;
      // Created meanwhile by a concurrent caller: that is the state we wanted.
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
        throw s3Error(action, createErr, { bucket: config.bucket });
      }
    }
  } finally {
    client.destroy();
  }
}

/** Credentials come from the config, else from the SDK's default chain (environment, instance role). */
function createClient(config: S3StoreConfig): S3Client {
  return new S3Client({
    endpoint: config.endpoint ?? undefined,
    region: config.region,
    forcePathStyle: true,
    credentials: config.accessKeyId !== null && config.secretAccessKey !== null
      ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
      : undefined,
    maxAttempts: 1, // S3Store.#send retries, under its own deadline
    // Checksums only where S3 requires them: MinIO and emulators reject the newer default trailers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: Math.min(5_000, config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
      requestTimeout: config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    },
  });
}

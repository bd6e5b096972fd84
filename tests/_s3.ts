/**
 * Test fixture: an S3-compatible server for one test. By default it runs `npm:s3rver` in-process on a
 * free loopback port over a temp directory (~10 ms to start), so it lives and dies inside the test and
 * Deno's sanitizers stay on. With `TEST_S3_ENDPOINT` set (+ `TEST_S3_ACCESS_KEY` / `TEST_S3_SECRET_KEY`,
 * optional `TEST_S3_BUCKET`) it uses that server instead. Either way each fixture gets its own key prefix.
 * `S3RVER_DEBUG=1` prints s3rver's request log, to see what the server answered.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import S3rver from "s3rver";
import { silentLogger } from "../src/log.ts";
import { compareKeys } from "../src/store/keys.ts";
import { ensureBucket, S3Store, type S3StoreConfig } from "../src/store/s3_store.ts";

export interface S3Fixture extends AsyncDisposable {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** A bucket that exists. */
  bucket: string;
  /** A prefix no other fixture uses, so tests sharing a server never see each other's keys. */
  prefix: string;
  /** The store configuration for this fixture's bucket, under `prefix` unless another is given. */
  storeConfig(prefix?: string): S3StoreConfig;
  /** Stops the local server and removes its directory, or empties the prefix on an external one. */
  [Symbol.asyncDispose](): Promise<void>;
}

const HINT =
  "set TEST_S3_ENDPOINT (with TEST_S3_ACCESS_KEY and TEST_S3_SECRET_KEY) to use a running S3 server";

/**
 * Starts (or connects to) an S3-compatible server and makes sure the fixture's bucket exists.
 * @throws Error with a hint when no server can be had; tests never skip silently.
 */
export async function startS3(): Promise<S3Fixture> {
  const endpoint = Deno.env.get("TEST_S3_ENDPOINT");
  const fixture = endpoint ? externalServer(endpoint) : await localServer();
  try {
    await ensureBucket(fixture.storeConfig());
  } catch (err) {
    let cause = err;
    await fixture[Symbol.asyncDispose]().catch((disposeErr) => {
      cause = new AggregateError([err, disposeErr], "creating the bucket and cleaning up both failed");
    });
    throw new Error(`Cannot create test bucket "${fixture.bucket}" at ${fixture.endpoint}; ${HINT}`, {
      cause,
    });
  }
  return fixture;
}

function externalServer(endpoint: string): S3Fixture {
  const accessKeyId = Deno.env.get("TEST_S3_ACCESS_KEY");
  const secretAccessKey = Deno.env.get("TEST_S3_SECRET_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new Error("TEST_S3_ENDPOINT is set: TEST_S3_ACCESS_KEY and TEST_S3_SECRET_KEY must be set too");
  }
  const fixture = makeFixture({
    endpoint,
    accessKeyId,
    secretAccessKey,
    bucket: Deno.env.get("TEST_S3_BUCKET") || "mosaicod-test",
  }, async () => {
    // The server outlives the test: remove what the test left under its prefix.
    await using store = S3Store.open(fixture.storeConfig(), { log: silentLogger() });
    await store.deletePrefix("");
  });
  return fixture;
}

async function localServer(): Promise<S3Fixture> {
  shimDesCipher();
  const directory = await Deno.makeTempDir({ prefix: "mosaicod-s3rver-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: !Deno.env.get("S3RVER_DEBUG"),
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (err) {
    await Deno.remove(directory, { recursive: true });
    throw new Error(`Cannot start the S3 test server (npm:s3rver); ${HINT}`, { cause: err });
  }
  sortListings(server);
  keepFolders(server);
  return makeFixture({
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKeyId: "S3RVER", // s3rver's built-in account
    secretAccessKey: "S3RVER",
    bucket: "mosaicod-test",
  }, async () => {
    await server.close();
    await Deno.remove(directory, { recursive: true });
  });
}

function makeFixture(
  s: { endpoint: string; accessKeyId: string; secretAccessKey: string; bucket: string },
  dispose: () => Promise<void>,
): S3Fixture {
  const prefix = `test-${crypto.randomUUID()}`;
  return {
    ...s,
    region: "us-east-1",
    prefix,
    storeConfig: (p = prefix) => ({
      kind: "s3",
      bucket: s.bucket,
      prefix: p,
      endpoint: s.endpoint,
      region: "us-east-1",
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
    }),
    [Symbol.asyncDispose]: dispose,
  };
}

interface S3rverObject {
  key: string;
}
interface S3rverListing {
  objects: S3rverObject[];
  isTruncated: boolean;
}
interface S3rverListOptions {
  startAfter?: string;
  maxKeys?: number;
}

/**
 * s3rver lists keys in directory order, while S3 lists them in UTF-8 byte order, which
 * `ObjectStore.list` promises and `S3Store` relies on. This is the one S3 behaviour the fixture
 * corrects; it does so inside s3rver's file store, so requests and paging still go over HTTP.
 */
function sortListings(server: S3rver): void {
  const store = (server as unknown as { store: Record<string, unknown> }).store;
  const original = store.listObjects as (bucket: string, o: S3rverListOptions) => Promise<S3rverListing>;
  store.listObjects = async (bucket: string, options: S3rverListOptions): Promise<S3rverListing> => {
    const all = await original.call(store, bucket, { ...options, startAfter: undefined, maxKeys: Infinity });
    const after = all.objects
      .sort((a, b) => compareKeys(a.key, b.key))
      .filter((o) => !options.startAfter || compareKeys(o.key, options.startAfter) > 0);
    const maxKeys = options.maxKeys ?? Infinity;
    return { ...all, objects: after.slice(0, maxKeys), isTruncated: after.length > maxKeys };
  };
}

/**
 * s3rver removes the folders a deletion leaves empty; a put into the same folder at that moment (say, a
 * new tombstone while a removal job deletes the last one) then fails inside s3rver with an ENOENT that
 * nothing handles, which ends the whole test process. S3 has no folders to remove: deletions here only
 * remove the object's own files (`<name>._S3rver_object`, `.md5`, `.metadata.json`).
 */
function keepFolders(server: S3rver): void {
  const store = (server as unknown as { store: Record<string, unknown> }).store;
  const resourcePath = store.getResourcePath as (bucket: string, key: string, resource: string) => string;
  store.deleteObject = async (bucket: string, key: string): Promise<void> => {
    await Promise.all(["object", "object.md5", "metadata.json"].map(async (resource) => {
      try {
        await Deno.remove(resourcePath.call(store, bucket, key, resource));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }));
  };
}

let desShimmed = false;

/**
 * s3rver encrypts its ListObjectsV2 continuation tokens with DES, which Deno's node:crypto lacks: every
 * truncated listing would fail with a 500 (ERR_CRYPTO_UNKNOWN_CIPHER). A token only has to round-trip
 * through s3rver itself, so "des" is served by AES-128-CBC with the 8-byte key and IV zero-padded.
 * Other algorithms are untouched.
 */
function shimDesCipher(): void {
  if (desShimmed) return;
  desShimmed = true;
  const { createCipheriv, createDecipheriv } = crypto;
  const pad16 = (b: crypto.BinaryLike | crypto.CipherKey | null) =>
    Buffer.concat([Buffer.from(b as Uint8Array), Buffer.alloc(16)]).subarray(0, 16);
  Object.assign(crypto, {
    createCipheriv: ((alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) =>
      alg === "des"
        ? createCipheriv("aes-128-cbc", pad16(key), pad16(iv))
        : createCipheriv(alg, key, iv)) as typeof createCipheriv,
    createDecipheriv: ((alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) =>
      alg === "des"
        ? createDecipheriv("aes-128-cbc", pad16(key), pad16(iv))
        : createDecipheriv(alg, key, iv)) as typeof createDecipheriv,
  });
}

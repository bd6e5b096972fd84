import { grpcError } from "./_test_grpc_error.ts";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { acceptsGzip, gzipMessage, inflateMessage } from "./compression.ts";
import { GrpcCode } from "./status.ts";

Deno.test("inflateMessage() inflates gzip and deflate up to the limit exactly", async () => {
  const plain = new Uint8Array(5000).map((_, i) => i % 7);
  assert.deepEqual(await inflateMessage(zlib.gzipSync(plain), "gzip", 5000), plain);
  assert.deepEqual(await inflateMessage(zlib.deflateSync(plain), "deflate", 5000), plain);
  assert.deepEqual(await inflateMessage(await gzipMessage(plain), "gzip", 5000), plain);
  const over = await grpcError(inflateMessage(zlib.gzipSync(plain), "gzip", 4999));
  assert.equal(over.code, GrpcCode.RESOURCE_EXHAUSTED);
  assert.equal(over.message, "Received message that decompresses to a size larger than 4999");
});

Deno.test("inflateMessage() stops a bomb at the limit without inflating it", async () => {
  const bomb = zlib.gzipSync(new Uint8Array(256 * 1024 * 1024));
  const before = Deno.memoryUsage().rss;
  const err = await grpcError(inflateMessage(bomb, "gzip", 1024 * 1024));
  assert.equal(err.code, GrpcCode.RESOURCE_EXHAUSTED);
  const grown = Deno.memoryUsage().rss - before;
  assert.ok(grown < 64 * 1024 * 1024, `grew ${grown >> 20} MiB`);
});

Deno.test("inflateMessage() refuses unknown encodings and corrupt streams", async () => {
  const unknown = await grpcError(inflateMessage(new Uint8Array([1]), "x-unknown", 100));
  assert.equal(unknown.code, GrpcCode.UNIMPLEMENTED);
  assert.equal(unknown.message, 'Received message compressed with unsupported encoding "x-unknown"');
  const corrupt = await grpcError(inflateMessage(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]), "gzip", 100));
  assert.equal(corrupt.code, GrpcCode.INTERNAL);
  assert.equal(corrupt.message, "Failed to decompress message");
});

Deno.test("acceptsGzip() reads grpc-accept-encoding lists", () => {
  assert.ok(acceptsGzip("identity,deflate,gzip"));
  assert.ok(acceptsGzip(" GZIP "));
  assert.ok(acceptsGzip(["identity", "deflate, gzip"]));
  assert.ok(!acceptsGzip("identity,deflate"));
  assert.ok(!acceptsGzip("gzip2"));
  assert.ok(!acceptsGzip(null));
  assert.ok(!acceptsGzip(undefined));
});

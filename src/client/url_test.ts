import assert from "node:assert/strict";
import { ClientError, GrpcCode } from "./errors.ts";
import { parseServerUrl } from "./url.ts";

Deno.test("parseServerUrl() reads the SDK's schemes, defaults the scheme and the port", () => {
  const cases: [string, string, boolean, string][] = [
    ["grpc://127.0.0.1:6726", "127.0.0.1:6726", false, "grpc://127.0.0.1:6726"],
    ["grpc+tcp://robot-lab:7000/", "robot-lab:7000", false, "grpc://robot-lab:7000"],
    ["grpc+tls://[::1]:443", "[::1]:443", true, "grpc+tls://[::1]:443"],
    ["GRPC+TLS://Example.org", "example.org:6726", true, "grpc+tls://example.org:6726"],
    ["localhost:9000", "localhost:9000", false, "grpc://localhost:9000"],
    ["  10.0.0.5  ", "10.0.0.5:6726", false, "grpc://10.0.0.5:6726"],
  ];
  for (const [text, target, tls, url] of cases) {
    const a = parseServerUrl(text);
    assert.deepEqual([a.target, a.tls, a.url], [target, tls, url], text);
  }
});

Deno.test("parseServerUrl() refuses other schemes, paths, queries, credentials and bad ports by name", () => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    ["http://h:1", /the scheme must be grpc:\/\/, grpc\+tcp:\/\/ or grpc\+tls:\/\//],
    ["grpc://h:1/flight", /unexpected path "\/flight"/],
    ["grpc://h:1?x=1", /unexpected query or fragment/],
    ["grpc://user:pw@h:1", /credentials do not belong in the address/],
    ["grpc://h:0", /the port must be 1–65535/],
    ["grpc://h:99999", /not a URL/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseServerUrl(text), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.code, GrpcCode.INVALID_ARGUMENT);
      assert.match(err.message, /^INVALID_ARGUMENT: Invalid server address "/);
      assert.match(err.message, message);
      return true;
    }, text);
  }
});

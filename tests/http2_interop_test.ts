/**
 * The HTTP/2 server of src/transport/http2/ against independent HTTP/2 implementations: nghttp and
 * h2load (nghttp2, Debian's `nghttp2-client`) and curl (prior knowledge on plaintext, ALPN `h2` on
 * TLS). The tools are installed by .ci/run; a missing one fails the test with a hint.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestServer } from "./_http2_test_server.ts";
import { selfSignedCertificate } from "./_tls.ts";

const HINTS: Record<string, string> = {
  nghttp: "apt-get install -y nghttp2-client",
  h2load: "apt-get install -y nghttp2-client",
  curl: "apt-get install -y curl",
};

async function run(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let out;
  try {
    out = await new Deno.Command(tool, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`The HTTP/2 interop tests need ${tool}: ${HINTS[tool]}`);
    }
    throw err;
  }
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("http2 interop: nghttp gets 200, the body and the trailers", async () => {
  await using srv = await startTestServer();
  const { code, stdout } = await run("nghttp", ["-v", "-d", "-", `http://127.0.0.1:${srv.port}/ok`]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /recv \(stream_id=\d+\) :status: 200/);
  assert.match(stdout, /recv \(stream_id=\d+\) x-received: 0/);
  assert.match(stdout, /recv HEADERS frame <length=\d+, flags=0x05/, "trailers end the stream");
});

Deno.test("http2 interop: h2load completes 1000 requests on 4 connections, 10 streams each", async () => {
  await using srv = await startTestServer();
  const { code, stdout } = await run("h2load", [
    "-n",
    "1000",
    "-c",
    "4",
    "-m",
    "10",
    `http://127.0.0.1:${srv.port}/ok`,
  ]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed/);
  assert.match(stdout, /status codes: 1000 2xx/);
});

Deno.test("http2 interop: h2load uploads 4 x 64 MiB bodies through the flow-control windows", async () => {
  await using srv = await startTestServer();
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-h2-" });
  try {
    const file = join(dir, "body.bin");
    await Deno.writeFile(file, new Uint8Array(64 << 20));
    const { code, stdout } = await run("h2load", [
      "-n",
      "4",
      "-c",
      "2",
      "-d",
      file,
      `http://127.0.0.1:${srv.port}/ok`,
    ]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /4 succeeded, 0 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http2 interop: curl with prior knowledge posts a body and reads the echo", async () => {
  await using srv = await startTestServer();
  const { code, stdout, stderr } = await run("curl", [
    "-sS",
    "--http2-prior-knowledge",
    "--data-binary",
    "hello over h2",
    `http://127.0.0.1:${srv.port}/echo`,
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "hello over h2");
});

Deno.test("http2 interop: curl over TLS negotiates h2 with ALPN", async () => {
  await using cert = await selfSignedCertificate();
  const tls = { certChain: await Deno.readFile(cert.cert), privateKey: await Deno.readFile(cert.key) };
  await using srv = await startTestServer({}, tls);
  const { code, stdout, stderr } = await run("curl", [
    "-sS",
    "-v",
    "--http2",
    "--cacert",
    cert.cert,
    "--data-binary",
    "hello over tls",
    `https://localhost:${srv.port}/echo`,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /ALPN: server accepted h2|ALPN, server accepted to use h2/);
  assert.equal(stdout, "hello over tls");
});

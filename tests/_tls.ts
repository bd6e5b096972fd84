/**
 * Test certificates: a self-signed P-256 certificate for localhost and 127.0.0.1 made with `openssl`, and
 * the environment that makes a daemon serve it (`grpc+tls://`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

export interface Certificate extends AsyncDisposable {
  dir: string;
  cert: string;
  key: string;
}

async function openssl(args: string[]): Promise<void> {
  let out;
  try {
    out = await new Deno.Command("openssl", { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    throw new Error(`The TLS tests need the openssl command (apt-get install openssl): ${err}`);
  }
  assert.equal(out.code, 0, `openssl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid for two days, in a temp dir. */
export async function selfSignedCertificate(): Promise<Certificate> {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-tls-" });
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  return { dir, cert, key, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** The daemon environment that serves `c`. */
export function tlsEnv(c: Certificate): Record<string, string> {
  return { MOSAICOD_TLS_CERT_FILE: c.cert, MOSAICOD_TLS_PRIVATE_KEY_FILE: c.key };
}

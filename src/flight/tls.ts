/**
 * The TLS certificate and private key files (`--tls-cert-file`, `--tls-private-key-file`): read and
 * checked once at start, so that a missing, unreadable or mismatched file is a one-line ConfigError
 * instead of handshakes that fail later, one client at a time.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { TlsConfig } from "../config.ts";
import { ConfigError } from "../errors.ts";
import type { TlsMaterial } from "./server.ts";

/**
 * Reads the certificate chain and private key and checks that the key belongs to the first certificate.
 * @throws ConfigError naming the file and the reason.
 */
export async function loadTlsMaterial(tls: TlsConfig): Promise<TlsMaterial> {
  const certChain = await readPem(tls.certFile, "certificate");
  const privateKey = await readPem(tls.privateKeyFile, "private key");
  let cert: X509Certificate;
  try {
    if (!new TextDecoder().decode(certChain).includes("-----BEGIN CERTIFICATE-----")) {
      throw new Error("no PEM");
    }
    cert = new X509Certificate(certChain);
  } catch (err) {
    throw new ConfigError(`Cannot use the TLS certificate file "${tls.certFile}": not a PEM certificate`, {
      cause: err,
    });
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(Buffer.from(privateKey)));
  } catch (err) {
    throw new ConfigError(
      `Cannot use the TLS private key file "${tls.privateKeyFile}": not a PEM private key`,
      {
        cause: err,
      },
    );
  }
  if (!matches) {
    throw new ConfigError(
      `Cannot use the TLS private key file "${tls.privateKeyFile}": it is not the key of the certificate in "${tls.certFile}"`,
    );
  }
  return { certChain, privateKey };
}

async function readPem(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable
      ? "permission denied"
      : err instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : err instanceof Error
      ? err.message
      : String(err);
    throw new ConfigError(`Cannot read the TLS ${what} file "${path}": ${reason}`, { cause: err });
  }
}

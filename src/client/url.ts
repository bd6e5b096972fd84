/**
 * Server addresses as the Mosaico SDK and pyarrow write them: `grpc://host:port` (plain HTTP/2),
 * `grpc+tcp://` (the same) and `grpc+tls://` (TLS). A bare `host:port` means `grpc://`; a missing port
 * means 6726, the daemon's default. Pure: no I/O.
 *
 * @module
 */
import { ClientError, GrpcCode } from "./errors.ts";

/** Where the CLI connects without `--server` or `MOSAICOD_SERVER`. */
export const DEFAULT_SERVER_URL = "grpc://127.0.0.1:6726";
/** The daemon's default port. */
export const DEFAULT_PORT = 6726;

/** A parsed server address. */
export interface ServerAddress {
  /** Host name or address; an IPv6 address keeps its brackets (`[::1]`). */
  host: string;
  port: number;
  tls: boolean;
  /** `host:port`, as gRPC channels take it. */
  target: string;
  /** The address written back in its canonical form (`grpc+tls://host:port`). */
  url: string;
}

const SCHEMES: Record<string, boolean> = { "grpc:": false, "grpc+tcp:": false, "grpc+tls:": true };

/**
 * Parses a server address.
 * @throws ClientError (INVALID_ARGUMENT) naming what is wrong: another scheme, a path, a query,
 *   credentials in the address, or a port outside 1–65535.
 */
export function parseServerUrl(text: string): ServerAddress {
  const raw = text.trim();
  const bad = (why: string) =>
    new ClientError(GrpcCode.INVALID_ARGUMENT, `Invalid server address "${text}": ${why}`);
  if (raw === "") throw bad("it is empty");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `grpc://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw bad("not a URL");
  }
  const tls = SCHEMES[url.protocol.toLowerCase()];
  if (tls === undefined) throw bad("the scheme must be grpc://, grpc+tcp:// or grpc+tls://");
  if (url.hostname === "") throw bad("it names no host");
  if (url.username !== "" || url.password !== "") {
    throw bad("credentials do not belong in the address (use --api-key)");
  }
  if (url.pathname !== "" && url.pathname !== "/") throw bad(`unexpected path "${url.pathname}"`);
  if (url.search !== "" || url.hash !== "") throw bad("unexpected query or fragment");
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad("the port must be 1–65535");
  const host = url.hostname.toLowerCase(); // host names are case-insensitive
  const target = `${host}:${port}`;
  return { host, port, tls, target, url: `${tls ? "grpc+tls" : "grpc"}://${target}` };
}

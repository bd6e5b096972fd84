/**
 * Request header checks of RFC 9113 section 8.2-8.3: a request that fails them is malformed (a stream
 * error, PROTOCOL_ERROR). Also the header-list size of section 6.5.2. Imports only the HPACK field type.
 *
 * @module
 */

import type { HeaderField } from "../hpack/mod.ts";

const REQUEST_PSEUDO = new Set([":method", ":scheme", ":path", ":authority"]);
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** The header-list size of RFC 9113 section 6.5.2: names, values and 32 bytes per field. */
export function headerListSize(fields: readonly HeaderField[]): number {
  let size = 0;
  for (const [name, value] of fields) size += name.length + value.length + 32;
  return size;
}

/** Why a request header list is malformed, or null when it is fine. */
export function requestProblem(fields: readonly HeaderField[]): string | null {
  const seen = new Set<string>();
  let regular = false;
  for (const [name, value] of fields) {
    const problem = fieldProblem(name, value);
    if (problem) return problem;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `Pseudo-header "${name}" after a regular header`;
      if (!REQUEST_PSEUDO.has(name)) return `Unknown pseudo-header "${name}"`;
      if (seen.has(name)) return `Duplicate pseudo-header "${name}"`;
      seen.add(name);
      continue;
    }
    regular = true;
    if (CONNECTION_SPECIFIC.has(name)) return `Connection-specific header "${name}"`;
    if (name === "te" && value !== "trailers") return `Header "te" other than "trailers"`;
  }
  if (!seen.has(":method")) return "Missing :method";
  if (fields.some(([n, v]) => n === ":method" && v === "CONNECT")) {
    return seen.has(":scheme") || seen.has(":path") ? "CONNECT with :scheme or :path" : null;
  }
  if (!seen.has(":scheme") || !seen.has(":path")) return "Missing :scheme or :path";
  if (fields.some(([n, v]) => n === ":path" && v === "")) return "Empty :path";
  return null;
}

/** Why a trailer list is malformed, or null. */
export function trailerProblem(fields: readonly HeaderField[]): string | null {
  for (const [name, value] of fields) {
    if (name.charCodeAt(0) === 0x3a) return `Pseudo-header "${name}" in trailers`;
    const problem = fieldProblem(name, value);
    if (problem) return problem;
  }
  return null;
}

/** The request's content-length, null without one. @returns NaN when it is not a valid number */
export function contentLength(fields: readonly HeaderField[]): number | null {
  let found: number | null = null;
  for (const [name, value] of fields) {
    if (name !== "content-length") continue;
    const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
    if (found !== null && found !== n) return NaN;
    found = n;
  }
  return found;
}

function fieldProblem(name: string, value: string): string | null {
  if (name.length === 0) return "Empty header name";
  for (let i = name.charCodeAt(0) === 0x3a ? 1 : 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // Lowercase token characters only (RFC 9110 section 5.1, RFC 9113 section 8.2.1).
    if (c <= 0x20 || c >= 0x7f || (c >= 0x41 && c <= 0x5a) || c === 0x3a) {
      return `Invalid header name "${name}"`;
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return `Invalid character in the value of "${name}"`;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (value.length > 0 && (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09)) {
    return `Whitespace around the value of "${name}"`;
  }
  return null;
}

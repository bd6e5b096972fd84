/**
 * The HPACK static table (RFC 7541, Appendix A): indices 1..61, and the lookups the encoder needs
 * (exact field, name only). Data and pure lookups; imports only the header type.
 *
 * @module
 */

/** Entries 1..61; index 0 of the array is entry 1. */
const ENTRIES: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Number of static entries; dynamic indices start at STATIC_TABLE_LENGTH + 1 (62). */
export const STATIC_TABLE_LENGTH = ENTRIES.length;

/** Name of static entry `index` (1..61). */
export function staticName(index: number): string {
  return ENTRIES[index - 1][0];
}

/** Value of static entry `index` (1..61). */
export function staticValue(index: number): string {
  return ENTRIES[index - 1][1];
}

/** name → the first index with that name; name → value → index for exact matches. */
const BY_NAME = new Map<string, number>();
const BY_FIELD = new Map<string, Map<string, number>>();
for (let i = ENTRIES.length; i >= 1; i--) {
  const [name, value] = ENTRIES[i - 1];
  BY_NAME.set(name, i);
  let values = BY_FIELD.get(name);
  if (values === undefined) BY_FIELD.set(name, values = new Map());
  values.set(value, i);
}

/** Index of the static entry equal to (name, value), or 0. */
export function findStaticField(name: string, value: string): number {
  return BY_FIELD.get(name)?.get(value) ?? 0;
}

/** Lowest index of a static entry named `name`, or 0. */
export function findStaticName(name: string): number {
  return BY_NAME.get(name) ?? 0;
}

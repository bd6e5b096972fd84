/**
 * ULIDs (26 Crockford base-32 characters: 48 bits of milliseconds, then 80 bits): the public ids of
 * sessions, whose locator is `<sequence>:<ulid>` (SDK 0.6+). Imports nothing.
 *
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** Encodes a 48-bit millisecond time and 10 bytes as a ULID. */
export function encodeUlid(ms: number, tail: Uint8Array): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) {
    throw new RangeError(`Cannot encode a ULID time of ${ms} ms`);
  }
  if (tail.length !== 10) throw new RangeError(`A ULID needs 10 bytes after its time, not ${tail.length}`);
  let out = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  // 80 bits = 16 characters of 5 bits, most significant first.
  let acc = 0n;
  for (const b of tail) acc = (acc << 8n) | BigInt(b);
  let rest = "";
  for (let i = 0; i < 16; i++) {
    rest = ALPHABET[Number(acc & 31n)] + rest;
    acc >>= 5n;
  }
  return out + rest;
}

/** A new random ULID for the given time (milliseconds since the epoch). */
export function newUlid(ms: number): string {
  return encodeUlid(ms, crypto.getRandomValues(new Uint8Array(10)));
}

/** Whether `text` is a ULID as this module writes them (uppercase). */
export function isUlid(text: string): boolean {
  return ULID_PATTERN.test(text);
}

/** The canonical (uppercase) form of a received ULID, or null when it is none (Crockford: any case). */
export function parseUlid(text: string): string | null {
  const upper = text.toUpperCase();
  return isUlid(upper) ? upper : null;
}

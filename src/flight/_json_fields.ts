/**
 * JSON at the wire edge: strict UTF-8 + JSON decoding of action bodies and descriptor commands, and typed
 * field readers whose errors name the request and the field. Folder-private: used by `actions.ts`,
 * `put_command.ts` and `ticket.ts`.
 *
 * @module
 */
import { jsonNestingDepth, parseJsonExact } from "../model/json.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import { quoteValue, utf8ByteLength } from "../model/locator.ts";
import type { JsonValue } from "../model/types.ts";

/** A JSON object, as `JSON.parse` builds it. */
export type JsonObject = { [key: string]: JsonValue };

/** Limits applied while decoding one JSON document. */
export interface JsonLimits {
  /** Longest document, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects (the top-level object is depth 1). */
  readonly maxDepth: number;
}

/** Names what is being decoded, for error messages: `Invalid ${what}: ${part} is not valid JSON`. */
export interface JsonSource {
  readonly what: string;
  readonly part: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const UNPAIRED = "holds a string with an unpaired surrogate";

/** Strictly decodes UTF-8. @throws InvalidArgumentError `Invalid ${what}: ${part} is not valid UTF-8`. */
export function decodeUtf8(bytes: Uint8Array, src: JsonSource): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new InvalidArgumentError(`Invalid ${src.what}: ${src.part} is not valid UTF-8`, { cause: err });
  }
}

/**
 * Decodes bytes holding one JSON object.
 * A document over `maxBytes` is a ResourceExhaustedError (a configured limit, as gRPC itself reports an
 * oversized message); everything else wrong with it is an InvalidArgumentError.
 */
export function decodeJsonObject(bytes: Uint8Array, src: JsonSource, limits: JsonLimits): JsonObject {
  if (bytes.length > limits.maxBytes) {
    throw new ResourceExhaustedError(
      `Rejected ${src.what}: ${src.part} of ${bytes.length} bytes exceeds the ${limits.maxBytes}-byte limit`,
    );
  }
  if (bytes.length === 0) throw new InvalidArgumentError(`Invalid ${src.what}: ${src.part} is empty`);
  const text = decodeUtf8(bytes, src);
  if (jsonNestingDepth(text) > limits.maxDepth) {
    throw new InvalidArgumentError(
      `Invalid ${src.what}: ${src.part} is nested deeper than ${limits.maxDepth} levels`,
    );
  }
  let value: JsonValue;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${escapeControls(err.message)}` : "";
    throw new InvalidArgumentError(`Invalid ${src.what}: ${src.part} is not valid JSON${detail}`, {
      cause: err,
    });
  }
  if (!isJsonObject(value)) {
    throw new InvalidArgumentError(`Invalid ${src.what}: ${src.part} must be a JSON object`);
  }
  const problem = treeProblem(value, limits.maxDepth);
  if (problem !== null) throw new InvalidArgumentError(`Invalid ${src.what}: ${src.part} ${problem}`);
  return value;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** V8's JSON errors quote part of the input: escape its control characters before they reach a log line. */
function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Whether a JSON value is an object (not null, not an array). */
export function isJsonObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Walks the tree without recursion (a 1 MiB body can nest 500 000 levels) and reports nesting deeper than
 * `maxDepth`, a number that overflowed to ±Infinity (`1e400` is valid JSON), or a string or key holding an
 * unpaired surrogate (`"\ud800"` is valid JSON but not Unicode): neither can be stored faithfully.
 */
function treeProblem(root: JsonValue, maxDepth: number): string | null {
  const stack: [JsonValue, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === "number" && !Number.isFinite(value)) return "holds a number too large for a double";
    if (typeof value === "string" && !value.isWellFormed()) return UNPAIRED;
    if (typeof value !== "object" || value === null) continue;
    if (depth > maxDepth) return `is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(value)) {
      for (const child of value) stack.push([child, depth + 1]);
    } else {
      for (const [key, child] of Object.entries(value)) {
        if (!key.isWellFormed()) return UNPAIRED;
        stack.push([child, depth + 1]);
      }
    }
  }
  return null;
}

/** Reads typed fields of one JSON object; errors read `Invalid ${what}: field "${prefix}${name}" …`. */
export class JsonFields {
  readonly #obj: JsonObject;
  readonly #what: string;
  readonly #prefix: string;

  constructor(obj: JsonObject, what: string, prefix = "") {
    this.#obj = obj;
    this.#what = what;
    this.#prefix = prefix;
  }

  /** An InvalidArgumentError about `field`: `Invalid ${what}: field "name" ${problem}`. */
  error(field: string, problem: string): InvalidArgumentError {
    return new InvalidArgumentError(`Invalid ${this.#what}: field "${this.#prefix}${field}" ${problem}`);
  }

  /** The raw value of a required field. */
  value(field: string): JsonValue {
    if (!Object.hasOwn(this.#obj, field)) throw this.error(field, "is missing");
    return this.#obj[field];
  }

  /** Whether the object has `field` (any value, null included). */
  has(field: string): boolean {
    return Object.hasOwn(this.#obj, field);
  }

  /** The object's own keys. */
  keys(): string[] {
    return Object.keys(this.#obj);
  }

  string(field: string): string {
    const v = this.value(field);
    if (typeof v !== "string") throw this.error(field, "must be a string");
    return v;
  }

  /** A required object field; `maxBytes` bounds its compact JSON encoding (ResourceExhaustedError). */
  object(field: string, opts: { maxBytes?: number } = {}): JsonObject {
    const v = this.value(field);
    if (!isJsonObject(v)) throw this.error(field, "must be a JSON object");
    if (opts.maxBytes !== undefined) {
      const size = utf8ByteLength(JSON.stringify(v));
      if (size > opts.maxBytes) {
        throw new ResourceExhaustedError(
          `Rejected ${this.#what}: field "${this.#prefix}${field}" is ${size} bytes of JSON, over the ${opts.maxBytes}-byte limit`,
        );
      }
    }
    return v;
  }

  /** A string field restricted to a fixed set of values. */
  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const v = this.string(field);
    const found = allowed.find((a) => a === v);
    if (found === undefined) {
      const expected = allowed.length === 1
        ? `"${allowed[0]}"`
        : `one of ${allowed.map((a) => `"${a}"`).join(", ")}`;
      throw this.error(field, `must be ${expected}, not ${quoteValue(v)}`);
    }
    return found;
  }

  /** Fields of a nested object, with `field.` prefixed to their names in errors. */
  nested(field: string): JsonFields {
    const v = this.value(field);
    if (!isJsonObject(v)) throw this.error(field, "must be a JSON object");
    return new JsonFields(v, this.#what, `${this.#prefix}${field}.`);
  }

  /**
   * Reads a string field and parses it with `parse` (a locator or key parser). Its InvalidArgumentError
   * is re-thrown with the request and field in front: `Invalid x request: field "name": invalid topic name …`.
   */
  parsed<T>(field: string, parse: (raw: string) => T): T {
    const raw = this.string(field);
    try {
      return parse(raw);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      const inner = err.message.charAt(0).toLowerCase() + err.message.slice(1);
      throw new InvalidArgumentError(`Invalid ${this.#what}: field "${this.#prefix}${field}": ${inner}`, {
        cause: err,
      });
    }
  }
}

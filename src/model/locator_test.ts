import assert from "node:assert/strict";
import { InvalidArgumentError } from "../errors.ts";
import {
  DEFAULT_LOCATOR_LIMITS,
  normalizeLayerName,
  normalizeSequenceName,
  normalizeTopicName,
  quoteValue,
  utf8ByteLength,
} from "./locator.ts";

const strip = { stripTrailingSlash: true };
const keep = { stripTrailingSlash: false };

function assertInvalid(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${err}`);
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("normalizeSequenceName() handles the SDK's spellings (section 2.3)", () => {
  assert.equal(normalizeSequenceName("/seqA", strip), "seqA");
  assert.equal(normalizeSequenceName("seqA/", strip), "seqA");
  assert.equal(normalizeSequenceName("/seqA/", strip), "seqA");
  assert.equal(normalizeSequenceName("  seqA \n", strip), "seqA");
  assert.equal(normalizeSequenceName(" /seqA/ ", strip), "seqA");
  assert.equal(normalizeSequenceName("test-sequence-datastream", keep), "test-sequence-datastream");
});

Deno.test("normalizeSequenceName() drops only one leading and one trailing slash", () => {
  assertInvalid(
    () => normalizeSequenceName("//seqA", strip),
    'Invalid sequence name "//seqA": sequence names must not contain "/"',
  );
  assertInvalid(
    () => normalizeSequenceName("seqA//", strip),
    'Invalid sequence name "seqA//": sequence names must not contain "/"',
  );
});

Deno.test("normalizeSequenceName() keeps a trailing slash unless asked, and then refuses it", () => {
  assertInvalid(
    () => normalizeSequenceName("seqA/", keep),
    'Invalid sequence name "seqA/": sequence names must not contain "/"',
  );
});

Deno.test("normalizeSequenceName() refuses a name with a slash inside", () => {
  assertInvalid(
    () => normalizeSequenceName("a/b", strip),
    'Invalid sequence name "a/b": sequence names must not contain "/"',
  );
});

Deno.test("normalizeSequenceName() refuses empty names", () => {
  for (const raw of ["", "   ", "/", " / ", "//"]) {
    assertInvalid(
      () => normalizeSequenceName(raw, strip),
      `Invalid sequence name ${JSON.stringify(raw)}: the name is empty`,
    );
  }
});

Deno.test("normalizeSequenceName() refuses . and .. names", () => {
  assertInvalid(
    () => normalizeSequenceName(".", strip),
    'Invalid sequence name ".": "." segments are not allowed',
  );
  assertInvalid(
    () => normalizeSequenceName("/../", strip),
    'Invalid sequence name "/../": ".." segments are not allowed',
  );
});

Deno.test("normalizeSequenceName() allows unicode, interior spaces and dots", () => {
  assert.equal(normalizeSequenceName("séquence été 日本", strip), "séquence été 日本");
  assert.equal(normalizeSequenceName("run 1.2.3", strip), "run 1.2.3");
  assert.equal(normalizeSequenceName("...", strip), "...");
  assert.equal(normalizeSequenceName("🚗-drive", strip), "🚗-drive");
});

Deno.test("normalizeSequenceName() does not apply Unicode normalisation", () => {
  const composed = "caf\u00e9";
  const decomposed = "cafe\u0301";
  assert.equal(normalizeSequenceName(composed, strip), composed);
  assert.equal(normalizeSequenceName(decomposed, strip), decomposed);
});

Deno.test("normalizeTopicName() splits the SDK's full name", () => {
  assert.deepEqual(normalizeTopicName(" seq/front/imu "), {
    full: "seq/front/imu",
    sequence: "seq",
    relative: "/front/imu",
  });
  assert.deepEqual(normalizeTopicName("/seqA/imu"), { full: "seqA/imu", sequence: "seqA", relative: "/imu" });
  assert.deepEqual(normalizeTopicName("test-sequence-datastream/camera/left/imu"), {
    full: "test-sequence-datastream/camera/left/imu",
    sequence: "test-sequence-datastream",
    relative: "/camera/left/imu",
  });
});

Deno.test("normalizeTopicName() refuses a name without a topic path", () => {
  assertInvalid(
    () => normalizeTopicName("seq"),
    'Invalid topic name "seq": topic names must look like "<sequence>/<topic path>"',
  );
  assertInvalid(
    () => normalizeTopicName("/seq"),
    'Invalid topic name "/seq": topic names must look like "<sequence>/<topic path>"',
  );
  assertInvalid(() => normalizeTopicName(" "), 'Invalid topic name " ": the name is empty');
});

Deno.test("normalizeTopicName() refuses empty segments", () => {
  for (const raw of ["a//b", "seq/", "seq/a/", "//seq/a", "/seq//a"]) {
    assertInvalid(
      () => normalizeTopicName(raw),
      `Invalid topic name ${JSON.stringify(raw)}: empty segments ("a//b") are not allowed`,
    );
  }
});

Deno.test("normalizeTopicName() refuses . and .. segments", () => {
  assertInvalid(
    () => normalizeTopicName("a/../b"),
    'Invalid topic name "a/../b": ".." segments are not allowed',
  );
  assertInvalid(
    () => normalizeTopicName("a/./b"),
    'Invalid topic name "a/./b": "." segments are not allowed',
  );
  assertInvalid(() => normalizeTopicName("../a"), 'Invalid topic name "../a": ".." segments are not allowed');
  assertInvalid(() => normalizeTopicName("a/.."), 'Invalid topic name "a/..": ".." segments are not allowed');
  assert.equal(normalizeTopicName("a/.hidden/..x").full, "a/.hidden/..x");
});

Deno.test("normalizeTopicName() refuses backslashes", () => {
  assertInvalid(
    () => normalizeTopicName("a/b\\c"),
    'Invalid topic name "a/b\\\\c": backslashes are not allowed',
  );
});

Deno.test("normalizeTopicName() refuses control characters, C1 included", () => {
  const cases: [string, string][] = [
    ["a/b\u0000", "U+0000"],
    ["a/b\tc", "U+0009"],
    ["a/b\nc", "U+000A"],
    ["a/\u001fb", "U+001F"],
    ["a/b\u007f", "U+007F"],
    ["a/b\u0085c", "U+0085"],
    ["a/b\u009f", "U+009F"],
  ];
  for (const [raw, code] of cases) {
    assertInvalid(
      () => normalizeTopicName(raw),
      `Invalid topic name ${JSON.stringify(raw)}: control character ${code} is not allowed`,
    );
  }
  assert.equal(normalizeTopicName("a/b\u00a0c").full, "a/b\u00a0c"); // NBSP is not a control character
});

Deno.test("normalizeTopicName() refuses unpaired surrogates", () => {
  assertInvalid(
    () => normalizeTopicName("a/b\ud800"),
    'Invalid topic name "a/b\\ud800": unpaired surrogates are not allowed',
  );
});

Deno.test("normalizeTopicName() allows interior spaces but not whitespace at segment edges", () => {
  assert.equal(normalizeTopicName("my seq/front camera/left").relative, "/front camera/left");
  assertInvalid(
    () => normalizeTopicName("a/ /b"),
    'Invalid topic name "a/ /b": whitespace-only segments are not allowed',
  );
  assertInvalid(
    () => normalizeTopicName("a/\u3000/b"),
    'Invalid topic name "a/\u3000/b": whitespace-only segments are not allowed',
  );
  assertInvalid(
    () => normalizeTopicName("a/ b"),
    'Invalid topic name "a/ b": segments must not start or end with whitespace',
  );
  assertInvalid(
    () => normalizeTopicName("a /b"),
    'Invalid topic name "a /b": segments must not start or end with whitespace',
  );
});

Deno.test("normalizeTopicName() enforces the default byte limits", () => {
  const seg255 = "x".repeat(255);
  assert.equal(normalizeTopicName(`s/${seg255}`).relative, `/${seg255}`);
  assertInvalid(
    () => normalizeTopicName(`s/${"x".repeat(256)}`),
    `Invalid topic name ${quoteValue(`s/${"x".repeat(256)}`)}: a segment is longer than 255 UTF-8 bytes`,
  );
  // 127 two-byte characters fit (254 bytes); 86 three-byte characters (258 bytes) do not.
  assert.ok(normalizeTopicName(`s/${"é".repeat(127)}`));
  assertInvalid(
    () => normalizeTopicName(`s/${"日".repeat(86)}`),
    `Invalid topic name ${quoteValue(`s/${"日".repeat(86)}`)}: a segment is longer than 255 UTF-8 bytes`,
  );
  const name512 = `s/${["a".repeat(200), "b".repeat(200), "c".repeat(108)].join("/")}`;
  assert.equal(utf8ByteLength(name512), 512);
  assert.equal(normalizeTopicName(name512).full, name512);
  assertInvalid(
    () => normalizeTopicName(name512 + "d"),
    `Invalid topic name ${quoteValue(name512 + "d")}: the name is longer than 512 UTF-8 bytes`,
  );
});

Deno.test("locator limits are configurable", () => {
  const limits = { maxBytes: 10, maxSegmentBytes: 4 };
  assert.equal(normalizeTopicName("abcd/efgh", { limits }).full, "abcd/efgh");
  assertInvalid(
    () => normalizeTopicName("abcd/efghi", { limits }),
    'Invalid topic name "abcd/efghi": a segment is longer than 4 UTF-8 bytes',
  );
  assertInvalid(
    () => normalizeTopicName("abc/def/ghi", { limits }),
    'Invalid topic name "abc/def/ghi": the name is longer than 10 UTF-8 bytes',
  );
  assertInvalid(
    () => normalizeSequenceName("abcde", { ...strip, limits }),
    'Invalid sequence name "abcde": a segment is longer than 4 UTF-8 bytes',
  );
  assertInvalid(
    () => normalizeLayerName("abcde", { limits }),
    'Invalid layer name "abcde": a segment is longer than 4 UTF-8 bytes',
  );
  assert.deepEqual(DEFAULT_LOCATOR_LIMITS, { maxBytes: 512, maxSegmentBytes: 255 });
  assert.ok(Object.isFrozen(DEFAULT_LOCATOR_LIMITS));
});

Deno.test("normalizeLayerName() only trims and refuses slashes", () => {
  assert.equal(normalizeLayerName("  default "), "default");
  assert.equal(normalizeLayerName("Layer ünicode"), "Layer ünicode");
  assertInvalid(
    () => normalizeLayerName("/default"),
    'Invalid layer name "/default": layer names must not contain "/"',
  );
  assertInvalid(() => normalizeLayerName(""), 'Invalid layer name "": the name is empty');
  assertInvalid(() => normalizeLayerName(".."), 'Invalid layer name "..": ".." segments are not allowed');
  assertInvalid(
    () => normalizeLayerName("a\u0000"),
    'Invalid layer name "a\\u0000": control character U+0000 is not allowed',
  );
});

Deno.test("the SDK's trailing-slash sequence keeps its topics under it", () => {
  const seq = normalizeSequenceName("seqA/", strip);
  const topic = normalizeTopicName("seqA/imu");
  assert.equal(topic.sequence, seq);
});

Deno.test("quoteValue() escapes and cuts long values", () => {
  assert.equal(quoteValue('a"b'), '"a\\"b"');
  assert.equal(quoteValue("a\u0000"), '"a\\u0000"');
  assert.equal(quoteValue("x".repeat(100)), `"${"x".repeat(80)}…"`);
  assert.equal(quoteValue("😀".repeat(81)), `"${"😀".repeat(80)}…"`); // never splits a surrogate pair
});

Deno.test("utf8ByteLength() matches TextEncoder", () => {
  for (const s of ["", "abc", "é", "日本", "😀", "a\ud800b", "\udc00", "x😀y\ud83d"]) {
    assert.equal(utf8ByteLength(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});

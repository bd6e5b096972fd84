import assert from "node:assert/strict";
import { InvalidArgumentError } from "../errors.ts";
import { globMatcher, globPrefix, globProblem, MAX_GLOB_LENGTH, parseGlob } from "./glob.ts";

const matches = (pattern: string, text: string) => globMatcher(parseGlob(pattern))(text);

Deno.test("glob: full matches with *, ?, # and sets", () => {
  const cases: [pattern: string, text: string, want: boolean][] = [
    ["", "", true],
    ["", "a", false],
    ["abc", "abc", true],
    ["abc", "abcd", false], // full match, not substring
    ["abc", "xabc", false],
    ["ABC", "abc", false], // case-sensitive
    ["*", "", true],
    ["*", "anything/at all", true],
    ["a*", "a", true],
    ["*c", "abc", true],
    ["*b*", "abc", true],
    ["*b*", "ac", false],
    ["a**c", "abbbc", true],
    ["*a*a*a*a*a*a*a*b", "a".repeat(200), false], // no backtracking blow-up
    ["*a*a*a*a*a*a*a*b", "a".repeat(200) + "b", true],
    ["?", "", false],
    ["?", "é", true],
    ["?", "😀", true], // one code point, two UTF-16 units
    ["??", "😀", false],
    ["a?c", "a\nc", true],
    ["#", "7", true],
    ["#", "x", false],
    ["#", "٣", false], // ASCII digits only
    ["run_##", "run_01", true],
    ["run_##", "run_1", false],
    ["[abc]", "b", true],
    ["[abc]", "d", false],
    ["[a-c]x", "bx", true],
    ["[!a-c]", "d", true],
    ["[!a-c]", "b", false],
    ["[^a-c]", "d", true],
    ["[]]", "]", true], // `]` first is a member
    ["[!]]", "a", true],
    ["[!]]", "]", false],
    ["[-a]", "-", true],
    ["[a-]", "-", true],
    ["[*]", "*", true],
    ["[*]", "x", false],
    ["[?]", "?", true],
    ["[#]", "#", true],
    ["[[]", "[", true],
    ["[é-ë]", "ê", true],
    ["[😀-😂]", "😁", true],
    ["a]b", "a]b", true], // `]` alone is literal
    ["100%_\\done", "100%_\\done", true], // SQL LIKE and escape characters are literal
    ["100%_done", "100xydone", false],
    ["/front/*", "/front/imu", true],
    ["/front/*", "/rear/imu", false],
  ];
  for (const [pattern, text, want] of cases) {
    assert.equal(matches(pattern, text), want, `${JSON.stringify(pattern)} against ${JSON.stringify(text)}`);
  }
});

Deno.test("glob: malformed patterns are refused, with the reason", () => {
  const cases: [string, string][] = [
    ["[", `the "[" at character 1 has no closing "]"`],
    ["ab[cd", `the "[" at character 3 has no closing "]"`],
    ["[]", `the "[" at character 1 has no closing "]"`],
    ["[!]", `the "[" at character 1 has no closing "]"`],
    ["[z-a]", `the range "z-a" is reversed`],
    ["😀".repeat(MAX_GLOB_LENGTH + 1), `it is longer than ${MAX_GLOB_LENGTH} characters`],
  ];
  for (const [pattern, reason] of cases) {
    assert.equal(globProblem(pattern), reason, pattern);
    assert.throws(() => parseGlob(pattern), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.message, `Invalid glob pattern ${JSON.stringify(pattern)}: ${reason}`);
      return true;
    });
  }
  assert.equal(globProblem("a*b?[c-d]#"), null);
  assert.equal(globProblem("😀".repeat(MAX_GLOB_LENGTH)), null); // characters, not UTF-16 units
});

Deno.test("glob: the literal prefix every match starts with", () => {
  assert.equal(globPrefix(parseGlob("run_#*")), "run_");
  assert.equal(globPrefix(parseGlob("abc")), "abc");
  assert.equal(globPrefix(parseGlob("*abc")), "");
  assert.equal(globPrefix(parseGlob("ab[c]d")), "ab");
});

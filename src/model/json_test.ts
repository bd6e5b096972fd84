import assert from "node:assert/strict";
import { isRawJson, jsonNestingDepth, parseJsonExact } from "./json.ts";

Deno.test("parseJsonExact() keeps integers beyond 2^53 exact through stringify", () => {
  const text = '{"ts":1700000000123456789,"max":9223372036854775807,"min":-9223372036854775808,"small":42,' +
    '"f":1.5,"e":1e3,"list":[9007199254740993,{"deep":18446744073709551615}]}';
  const value = parseJsonExact(text);
  assert.equal(JSON.stringify(value), text.replace("1e3", "1000"));
  const obj = value as Record<string, unknown>;
  assert.ok(isRawJson(obj.ts));
  assert.equal(obj.small, 42, "safe integers stay numbers");
  assert.equal(obj.f, 1.5);
});

Deno.test("parseJsonExact() rejects what JSON.parse rejects", () => {
  assert.throws(() => parseJsonExact("{"), SyntaxError);
  assert.throws(() => parseJsonExact("[1,]"), SyntaxError);
});

Deno.test("parseJsonExact() leaves integer literals longer than 64 bits as doubles", () => {
  const digits = "179769313486231570" + "0".repeat(291); // how PostgreSQL's numeric spells 1.7976931348623157e308
  const value = parseJsonExact(`[${digits}]`) as unknown[];
  assert.equal(value[0], 1.7976931348623157e308);
  assert.equal(isRawJson(value[0]), false);
});

Deno.test("jsonNestingDepth() counts brackets outside strings, without recursion", () => {
  assert.equal(jsonNestingDepth('{"a": [1, {"b": "[[[{{"}], "c": "\\"}'), 3);
  assert.equal(jsonNestingDepth("42"), 0);
  assert.equal(jsonNestingDepth("[".repeat(500_000) + "]".repeat(500_000)), 500_000);
});

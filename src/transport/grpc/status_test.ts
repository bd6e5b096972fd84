import assert from "node:assert/strict";
import { GrpcCode, GrpcError, percentDecode, percentEncode, statusFields } from "./status.ts";
import { parseGrpcTimeout } from "./timeout.ts";

Deno.test("percentEncode() escapes bytes outside printable ASCII and %, as UTF-8; percentDecode() reverses it", () => {
  assert.equal(percentEncode('Cannot find topic "a/b"'), 'Cannot find topic "a/b"');
  assert.equal(percentEncode("50% done"), "50%25 done");
  assert.equal(percentEncode("line\nnext\t"), "line%0Anext%09");
  assert.equal(percentEncode("caffè ☕"), "caff%C3%A8 %E2%98%95");
  for (const text of ["", "plain", "50% done", "caffè ☕\r\n", "%zz", "\u{1F600}"]) {
    assert.equal(percentDecode(percentEncode(text)), text);
    assert.match(percentEncode(text), /^[\x20-\x7e]*$/);
  }
  assert.equal(percentDecode("100%"), "100%", "a lone % stays");
  // What grpc-js's client does with it (decodeURI) gives the text back too.
  assert.equal(decodeURI(percentEncode("caffè 50% ☕")), "caffè 50% ☕");
});

Deno.test("statusFields() puts grpc-status, then grpc-message only with details", () => {
  assert.deepEqual(statusFields({ code: 0, details: "" }), [["grpc-status", "0"]]);
  assert.deepEqual(statusFields(new GrpcError(GrpcCode.DEADLINE_EXCEEDED, "Deadline exceeded").status), [
    ["grpc-status", "4"],
    ["grpc-message", "Deadline exceeded"],
  ]);
});

Deno.test("parseGrpcTimeout() reads every unit, rounds up to whole milliseconds, refuses the rest", () => {
  const cases: [string, number | null][] = [
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["250m", 250],
    ["1500u", 2],
    ["1000u", 1],
    ["1n", 1],
    ["99999999S", 99_999_999_000],
    [" 5S ", 5000],
    ["0m", 0],
    ["123456789S", null],
    ["5", null],
    ["S", null],
    ["5s", null],
    ["-5S", null],
    ["5.5S", null],
    ["5S5", null],
    ["", null],
  ];
  for (const [value, ms] of cases) assert.equal(parseGrpcTimeout(value), ms, JSON.stringify(value));
});

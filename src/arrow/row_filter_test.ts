import assert from "node:assert/strict";
import {
  Bool,
  type Data,
  type DataType,
  DateDay,
  Field,
  Float16,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimeMillisecond,
  Timestamp,
  TimestampMillisecond,
  TimeUnit,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";
import type { Scalar, ValueCondition, ValueOp } from "../model/types.ts";
import { anyRowMatches, compareExact, conditionColumns, hasLeaf } from "./row_filter.ts";
import { batchOf, structOf, vec } from "./_test_batches.ts";

const cond = (path: string, op: ValueOp): ValueCondition => ({ path: path.split("."), op });
const op = (name: "eq" | "lt" | "leq" | "gt" | "geq", value: Scalar): ValueOp => ({ op: name, value });
const between = (low: Scalar, high: Scalar): ValueOp => ({ op: "between", low, high });

const describeOp = (o: ValueOp) => JSON.stringify(o, (_, v) => typeof v === "bigint" ? `${v}n` : v);
const describe = (c: ValueCondition) => `${c.path.join(".")} ${describeOp(c.op)}`;

/** Checks each op against column `x` of `batch`; a failure lists every case, so all mismatches show. */
function assertCases(batch: RecordBatch, cases: [ValueOp, boolean][]): void {
  const got = cases.map(([o]) => `${describeOp(o)} → ${anyRowMatches(batch, [cond("x", o)])}`);
  assert.deepStrictEqual(got, cases.map(([o, want]) => `${describeOp(o)} → ${want}`));
}

Deno.test("anyRowMatches() applies every op to a float64 column, bounds inclusive", () => {
  const batch = batchOf({ x: vec(new Float64(), [1, 2.5, 4]) });
  assertCases(batch, [
    [op("eq", 2.5), true],
    [op("eq", 3), false],
    [op("lt", 1), false],
    [op("lt", 1.5), true],
    [op("leq", 1), true],
    [op("leq", 0.5), false],
    [op("gt", 4), false],
    [op("gt", 3.9), true],
    [op("geq", 4), true],
    [op("geq", 4.1), false],
    [between(2, 3), true],
    [between(4, 4), true],
    [between(2.6, 3.9), false],
    [between(3, 2), false],
    [op("eq", 4n), true],
    [op("lt", 1n), false],
    [op("eq", true), true],
    [op("eq", false), false],
  ]);
});

Deno.test("anyRowMatches() compares int8/int16/int32/uint32 columns at their extremes", async (t) => {
  const columns: [DataType, number, number][] = [
    [new Int8(), -128, 127],
    [new Int16(), -32768, 32767],
    [new Int32(), -(2 ** 31), 2 ** 31 - 1],
    [new Uint32(), 0, 2 ** 32 - 1],
  ];
  for (const [type, min, max] of columns) {
    await t.step(String(type), () => {
      assertCases(batchOf({ x: vec(type, [min, max]) }), [
        [op("eq", min), true],
        [op("eq", max), true],
        [op("eq", BigInt(max)), true],
        [op("lt", min), false],
        [op("gt", max), false],
        [op("gt", max - 0.5), true],
        [op("lt", BigInt(min) + 1n), true],
        [between(min + 1, max - 1), false],
        [between(min + 0.5, max), true],
      ]);
    });
  }
});

Deno.test("anyRowMatches() compares int64 and uint64 exactly beyond 2^53", async (t) => {
  await t.step("int64", () => {
    assertCases(batchOf({ x: vec(new Int64(), [2n ** 53n + 1n, -(2n ** 63n)]) }), [
      [op("eq", 2n ** 53n + 1n), true],
      [op("eq", 2n ** 53n), false],
      [op("eq", 2 ** 53), false], // a float64 operand is not rounded onto the column
      [op("gt", 2 ** 53), true],
      [op("geq", 2n ** 53n + 2n), false],
      [op("eq", -(2n ** 63n)), true],
      [op("lt", -(2 ** 63)), false],
      [op("leq", -(2 ** 63)), true],
      [between(2n ** 53n + 2n, 2n ** 62n), false],
    ]);
  });
  await t.step("uint64", () => {
    assertCases(batchOf({ x: vec(new Uint64(), [2n ** 64n - 1n]) }), [
      [op("eq", 2n ** 64n - 1n), true],
      [op("eq", 2 ** 64), false],
      [op("lt", 2 ** 64), true],
      [op("gt", 2n ** 64n - 2n), true],
      [op("eq", -1n), false], // the bits of -1, read unsigned
      [op("gt", -1), true],
    ]);
  });
  await t.step("float operand against int64", () => {
    assertCases(batchOf({ x: vec(new Int64(), [2n, 3n]) }), [
      [op("eq", 2.5), false],
      [op("lt", 2.5), true],
      [op("gt", 2.5), true],
      [op("leq", 1.5), false],
      [op("geq", 3.5), false],
      [between(2.1, 2.9), false],
      [between(2.5, 3.5), true],
      [op("eq", -2.5), false],
      [op("lt", Infinity), true],
      [op("gt", -Infinity), true],
      [op("eq", Infinity), false],
    ]);
  });
  await t.step("integer operand against float64", () => {
    assertCases(batchOf({ x: vec(new Float64(), [2 ** 53, 2.5]) }), [
      [op("eq", 2n ** 53n), true],
      [op("eq", 2n ** 53n + 1n), false],
      [op("gt", 2n ** 53n + 1n), false],
      [op("lt", 2n ** 53n + 1n), true],
      [op("gt", 2n ** 53n), false],
      [between(2n, 3n), true],
      [op("eq", 2n), false],
    ]);
  });
});

Deno.test("anyRowMatches() reads float16 and float32 at their stored precision", async (t) => {
  await t.step("float16", () => {
    // 0.1 is stored as 0.0999755859375; 65504 is the largest half.
    assertCases(batchOf({ x: vec(new Float16(), [0.1, 65504, -2]) }), [
      [op("eq", 65504), true],
      [op("eq", -2), true],
      [op("eq", 0.0999755859375), true],
      [op("eq", 0.1), false],
      [op("lt", 0.1), true],
      [op("gt", 65503), true],
      [op("gt", 65504), false],
      [between(0.1, 1), false],
      [op("eq", -2n), true],
    ]);
  });
  await t.step("float32", () => {
    assertCases(batchOf({ x: vec(new Float32(), [0.1]) }), [
      [op("eq", 0.1), false],
      [op("eq", Math.fround(0.1)), true],
      [op("gt", 0.1), true],
    ]);
  });
});

Deno.test("anyRowMatches() compares bool columns as 0/1 with booleans and numbers", async (t) => {
  await t.step("all true", () => {
    assertCases(batchOf({ x: vec(new Bool(), [true, true]) }), [
      [op("eq", true), true],
      [op("eq", false), false],
      [op("eq", 1), true],
      [op("eq", 1n), true],
      [op("eq", 0), false],
      [op("gt", 0), true],
      [op("gt", 0.5), true],
      [op("lt", 1), false],
      [op("geq", true), true],
      [between(false, true), true],
      [between(0.1, 0.9), false],
      [op("eq", "true"), false],
    ]);
  });
  await t.step("all false", () => {
    assertCases(batchOf({ x: vec(new Bool(), [false, false, false]) }), [
      [op("eq", false), true],
      [op("eq", true), false],
      [op("eq", 0), true],
      [op("lt", true), true],
      [op("gt", false), false],
    ]);
  });
});

Deno.test("anyRowMatches() compares utf8 and large_utf8 columns in UTF-8 byte order", async (t) => {
  for (const type of [new Utf8(), new LargeUtf8()]) {
    await t.step(String(type), () => {
      assertCases(batchOf({ x: vec(type, ["ab", "é", "😀"]) }), [
        [op("eq", "ab"), true],
        [op("eq", "a"), false],
        [op("eq", "abc"), false],
        [op("eq", "é"), true],
        [op("eq", "😀"), true],
        [op("eq", ""), false],
        [op("lt", "ab"), false],
        [op("lt", "abc"), true],
        [op("gt", "😀"), false],
        // UTF-16 puts the astral "😀" (D83D DE00) below U+FFFD; UTF-8 bytes (F0 9F …) put it above.
        [op("gt", "\uFFFD"), true],
        [op("geq", "\uE000"), true],
        [between("b", "z"), false], // "é" (C3 A9) sorts after "z"
        [between("z", "\uFFFD"), true],
        [op("eq", 1), false],
        [op("eq", true), false],
      ]);
      assertCases(batchOf({ x: vec(type, ["\uFFFD"]) }), [
        [op("lt", "😀"), true],
        [op("gt", "😀"), false],
        [op("gt", "\uE000"), true],
      ]);
    });
  }
});

Deno.test("anyRowMatches() compares date and time columns with ISO 8601 and decimal strings exactly", async (t) => {
  await t.step("timestamp[ms]", () => {
    const x = makeData({ type: new TimestampMillisecond(), data: BigInt64Array.of(0n, 1500n) });
    assertCases(batchOf({ x }), [
      [op("eq", "1970-01-01T00:00:00"), true],
      [op("eq", "1970-01-01T00:00:01.500"), true],
      [op("eq", "1970-01-01T00:00:01.5"), true], // instants, not text: any number of fraction digits
      [op("eq", "1970-01-01T00:00:01.500000"), true], // Python's isoformat()
      [op("eq", "1970-01-01 00:00:01.5"), true],
      [op("eq", "1970-01-01T00:00:01.5+00:00"), true],
      [op("eq", "1970-01-01T01:00:01.5+01:00"), true],
      [op("eq", "1969-12-31T23:00:01.5-01:00"), true],
      [op("eq", "1970-01-01T00:00:01.5001"), false], // between two milliseconds
      [op("gt", "1970-01-01T00:00:01.4999"), true],
      [op("lt", "1970-01-01T00:00:01.5001"), true],
      [op("eq", "1970-01-01"), true], // a date is its midnight
      [op("eq", "1500"), true], // a decimal string is the raw stored value
      [op("eq", "1.5"), false],
      [op("gt", "1970-01-01T00:00:01"), true],
      [op("gt", "1970-01-01T00:00:01.500"), false],
      [op("lt", "1970-01-01T00:00:00"), false],
      [between("1970-01-01T00:00:00.1", "1970-01-01T00:00:01.4"), false],
      [{ op: "outside", low: "1970-01-01T00:00:00.1", high: "1970-01-01T00:00:01.4" }, true],
      [{ op: "neq", value: "1970-01-01T00:00:00" }, true],
      [{ op: "in", values: ["1970-01-01T00:00:01.5Z", "2000-01-01"] }, true],
      [op("eq", 0), false],
      [op("eq", 0n), false],
      [op("geq", 0), false],
    ]);
  });
  await t.step("timestamp[ns, UTC]", () => {
    const x = makeData({ type: new Timestamp(TimeUnit.NANOSECOND, "UTC"), data: BigInt64Array.of(1n) });
    assertCases(batchOf({ x }), [
      [op("eq", "1970-01-01T00:00:00.000000001Z"), true],
      [op("eq", "1970-01-01T00:00:00.000000001"), true], // no offset: UTC
      [op("eq", "1"), true],
      [op("lt", "1970-01-01T00:00:00.000000002"), true],
    ]);
  });
  await t.step("date32", () => {
    const x = makeData({ type: new DateDay(), data: Int32Array.of(19844) }); // 2024-05-01
    assertCases(batchOf({ x }), [
      [op("eq", "2024-05-01"), true],
      [op("eq", "2024-05-02"), false],
      [between("2024-01-01", "2024-12-31"), true],
      [op("eq", "2024-05-01T00:00:00"), true],
      [op("gt", "2024-04-30T23:59:59.999999999"), true],
      [op("eq", "2024-05-01T00:00:00+02:00"), false], // 22:00 UTC the day before
      [op("gt", "2024-05-01T00"), false], // not ISO 8601 as read here: compared as text
      [op("eq", "19844"), true],
      [op("eq", 19844), false],
    ]);
  });
  await t.step("time32[ms]", () => {
    const x = makeData({ type: new TimeMillisecond(), data: Int32Array.of(43_200_500) });
    assertCases(batchOf({ x }), [
      [op("eq", "12:00:00.500"), true],
      [op("eq", "12:00:00.5"), true],
      [op("lt", "12:00:01"), true],
      [op("eq", "43200500"), true],
      [op("eq", "2024-05-01T12:00:00.5"), false], // a date-time is not a time of day
    ]);
  });
});

Deno.test("anyRowMatches() never matches NaN, whichever the operand", async (t) => {
  const nan: [string, Data][] = [
    ["float64", vec(new Float64(), [NaN])],
    ["float16", vec(new Float16(), [NaN])],
  ];
  for (const [name, x] of nan) {
    await t.step(`${name} NaN value`, () => {
      const batch = batchOf({ x });
      const ops = [op("eq", 0), op("lt", Infinity), op("gt", -Infinity), op("leq", 0n), op("eq", NaN)];
      assert.deepStrictEqual(ops.map((o) => anyRowMatches(batch, [cond("x", o)])), ops.map(() => false));
      assert.equal(anyRowMatches(batch, [cond("x", between(-Infinity, Infinity))]), false);
    });
  }
  const columns: [string, Data][] = [
    ["float64", vec(new Float64(), [1])],
    ["int32", vec(new Int32(), [1])],
    ["int64", vec(new Int64(), [1n])],
    ["bool", vec(new Bool(), [true])],
  ];
  for (const [name, x] of columns) {
    await t.step(`NaN operand against ${name}`, () => {
      assertCases(batchOf({ x }), [
        [op("eq", NaN), false],
        [op("lt", NaN), false],
        [op("geq", NaN), false],
        [between(NaN, 2), false],
        [between(0, NaN), false],
        [op("eq", 1), true], // the column does match a real number
      ]);
    });
  }
});

Deno.test("anyRowMatches() never matches a null value or a value under a null struct", () => {
  const batch = batchOf({
    f: vec(new Float64(), [null, 5]), // the null slot holds 0
    i: vec(new Int64(), [null, 5n]),
    b: vec(new Bool(), [null, true]), // the null slot holds false
    s: vec(new Utf8(), [null, "a"]),
    st: structOf({ v: vec(new Int32(), [0, 1]) }, [false, true]),
  });
  const cases: [ValueCondition, boolean][] = [
    [cond("f", op("eq", 0)), false],
    [cond("f", op("lt", 5)), false],
    [cond("f", op("eq", 5)), true],
    [cond("i", op("eq", 0n)), false],
    [cond("i", op("eq", 5)), true],
    [cond("b", op("eq", false)), false],
    [cond("b", op("eq", true)), true],
    [cond("s", op("eq", "")), false],
    [cond("s", op("lt", "a")), false],
    [cond("s", op("eq", "a")), true],
    [cond("st.v", op("eq", 0)), false],
    [cond("st.v", op("lt", 1)), false],
    [cond("st.v", op("eq", 1)), true],
  ];
  assert.deepStrictEqual(
    cases.map(([c]) => `${describe(c)} → ${anyRowMatches(batch, [c])}`),
    cases.map(([c, want]) => `${describe(c)} → ${want}`),
  );
});

Deno.test("anyRowMatches() never matches a missing path, a struct, or a column of another kind", () => {
  const batch = batchOf({
    x: vec(new Float64(), [1]),
    st: structOf({ v: vec(new Int32(), [1]), inner: structOf({ w: vec(new Int32(), [1]) }) }),
    l: vec(new List(new Field("item", new Int32(), true)), [[1]]),
  });
  const never = [["nope"], ["st"], ["st", "inner"], ["st", "nope"], ["x", "v"], ["st", "v", "w"], ["l"], []];
  assert.deepStrictEqual(
    never.map((path) => anyRowMatches(batch, [{ path, op: op("eq", 1) }])),
    never.map(() => false),
  );
  assert.equal(anyRowMatches(batch, [cond("st.inner.w", op("eq", 1))]), true);
  assert.equal(anyRowMatches(batch, [cond("x", op("eq", 1)), cond("nope", op("eq", 1))]), false);
  assert.equal(anyRowMatches(batch, [cond("x", op("eq", "1"))]), false); // a string against a number column
});

Deno.test("anyRowMatches() needs one row to satisfy every condition", () => {
  const batch = batchOf({
    a: vec(new Float64(), [1, 2]),
    b: vec(new Utf8(), ["x", "y"]),
    st: structOf({ v: vec(new Int64(), [10n, 20n]) }),
  });
  const cases: [ValueCondition[], boolean][] = [
    [[cond("a", op("eq", 1)), cond("b", op("eq", "y"))], false],
    [[cond("a", op("eq", 1)), cond("b", op("eq", "x"))], true],
    [[cond("a", op("eq", 2)), cond("st.v", op("eq", 10))], false],
    [[cond("a", op("eq", 2)), cond("st.v", op("eq", 20))], true],
    [[cond("a", op("geq", 1)), cond("a", op("leq", 1.5)), cond("st.v", op("gt", 10))], false],
    [[cond("a", op("geq", 1)), cond("b", op("gt", "x")), cond("st.v", op("gt", 10))], true],
    [[], true],
  ];
  assert.deepStrictEqual(cases.map(([c]) => anyRowMatches(batch, c)), cases.map(([, want]) => want));
});

Deno.test("anyRowMatches() is false on an empty batch", () => {
  const batch = batchOf({ x: vec(new Float64(), []) });
  assert.equal(batch.numRows, 0);
  assert.equal(anyRowMatches(batch, []), false);
  assert.equal(anyRowMatches(batch, [cond("x", op("geq", -Infinity))]), false);
});

Deno.test("anyRowMatches() honours the offset of a sliced batch", async (t) => {
  const n = 20, rows = Array.from({ length: n }, (_, i) => i);
  const batch = batchOf({
    x: vec(new Float64(), rows),
    b: vec(new Bool(), rows.map((i) => i === 0 || i === 8 || i === 17)),
    y: vec(new Int32(), rows.map((i) => i % 2 === 1 ? i : null)),
    s: vec(new Utf8(), rows.map((i) => `r${i}`)),
    ls: vec(new LargeUtf8(), rows.map((i) => `r${i}`)),
    i64: vec(new Int64(), rows.map(BigInt)),
    h: vec(new Float16(), rows),
    ts: makeData({
      type: new TimestampMillisecond(),
      data: BigInt64Array.from(rows, (i) => BigInt(i * 1000)),
    }),
    st: structOf({ v: vec(new Int32(), rows) }, rows.map((i) => i % 4 !== 1)),
  });
  const cases: [[number, number], ValueCondition[], boolean][] = [
    [[5, 11], [cond("x", op("eq", 4))], false],
    [[5, 11], [cond("x", op("eq", 5))], true],
    [[5, 11], [cond("x", op("eq", 10))], true],
    [[5, 11], [cond("x", op("eq", 11))], false],
    [[1, 8], [cond("b", op("eq", true))], false], // rows 1..7
    [[9, 17], [cond("b", op("eq", 1))], false], // rows 9..16
    [[3, 9], [cond("b", op("eq", true)), cond("x", op("eq", 8))], true],
    [[15, 20], [cond("b", op("eq", true)), cond("x", op("eq", 17))], true],
    [[15, 20], [cond("b", op("eq", true)), cond("x", op("eq", 16))], false],
    [[3, 7], [cond("x", op("eq", 4)), cond("y", op("geq", 0))], false], // row 4: y is null
    [[3, 7], [cond("x", op("eq", 5)), cond("y", op("eq", 5))], true],
    [[3, 7], [cond("y", op("eq", 0))], false],
    [[5, 11], [cond("s", op("eq", "r4"))], false],
    [[5, 11], [cond("s", op("eq", "r5"))], true],
    [[5, 11], [cond("s", op("eq", "r10")), cond("x", op("eq", 10))], true],
    [[5, 11], [cond("ls", op("eq", "r11"))], false],
    [[5, 11], [cond("ls", op("eq", "r6")), cond("x", op("eq", 6))], true],
    [[5, 11], [cond("i64", op("eq", 4n))], false],
    [[5, 11], [cond("i64", op("eq", 10n)), cond("x", op("eq", 10))], true],
    [[5, 11], [cond("h", op("lt", 5))], false],
    [[5, 11], [cond("h", op("eq", 7)), cond("x", op("eq", 7))], true],
    [[5, 11], [cond("ts", op("lt", "1970-01-01T00:00:05"))], false],
    [[5, 11], [cond("ts", op("eq", "1970-01-01T00:00:07")), cond("x", op("eq", 7))], true],
    [[5, 8], [cond("st.v", op("eq", 5))], false], // row 5: null parent
    [[5, 8], [cond("st.v", op("eq", 6))], true],
    [[5, 8], [cond("st.v", op("leq", 5))], false],
  ];
  for (const [[begin, end], conditions, want] of cases) {
    await t.step(`rows ${begin}..${end - 1}: ${conditions.map(describe).join(" and ")} → ${want}`, () => {
      const sliced = batch.slice(begin, end);
      assert.equal(sliced.numRows, end - begin);
      assert.equal(anyRowMatches(sliced, conditions), want);
    });
  }
});

Deno.test("conditionColumns() lists each dotted leaf path once, in first-use order", () => {
  assert.deepStrictEqual(
    conditionColumns([
      cond("header.stamp.sec", op("gt", 1)),
      cond("x", op("eq", 1)),
      cond("header.stamp.sec", op("lt", 5)),
    ]),
    ["header.stamp.sec", "x"],
  );
  assert.deepStrictEqual(conditionColumns([]), []);
});

Deno.test("hasLeaf() finds leaf columns through struct children only", () => {
  const schema = new Schema([
    new Field("x", new Float64(), true),
    new Field(
      "header",
      new Struct([
        new Field("seq", new Uint32(), true),
        new Field("stamp", new Struct([new Field("sec", new Int64(), false)]), true),
      ]),
      true,
    ),
  ]);
  const cases: [string[], boolean][] = [
    [["x"], true],
    [["header", "seq"], true],
    [["header", "stamp", "sec"], true],
    [["header"], false],
    [["header", "stamp"], false],
    [["header", "nope"], false],
    [["x", "y"], false],
    [["header", "seq", "y"], false],
    [["nope"], false],
    [[], false],
  ];
  assert.deepStrictEqual(cases.map(([path]) => hasLeaf(schema, path)), cases.map(([, want]) => want));
});

Deno.test("compareExact() gives the exact sign of an integer minus a number", () => {
  const cases: [bigint, number | bigint, number][] = [
    [2n ** 53n + 1n, 2 ** 53, 1],
    [2n ** 53n, 2 ** 53, 0],
    [2n ** 64n - 1n, 2 ** 64, -1],
    [2n ** 63n, 2 ** 63, 0],
    [-(2n ** 63n), -(2 ** 63), 0],
    [2n, 2.5, -1],
    [3n, 2.5, 1],
    [-3n, -2.5, -1],
    [-2n, -2.5, 1],
    [0n, -0, 0],
    [0n, 0.1, -1],
    [0n, -0.1, 1],
    [5n, 5, 0],
    [5n, 5n, 0],
    [4n, 5n, -1],
    [6n, 5n, 1],
    [2n ** 100n, Infinity, -1],
    [-(2n ** 100n), -Infinity, 1],
  ];
  assert.deepStrictEqual(cases.map(([x, v]) => compareExact(x, v)), cases.map(([, , want]) => want));
  assert.ok(Number.isNaN(compareExact(0n, NaN)));
});

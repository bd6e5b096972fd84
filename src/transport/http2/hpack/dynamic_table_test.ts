import assert from "node:assert/strict";
import { DynamicTable } from "./dynamic_table.ts";

function entries(table: DynamicTable): string[] {
  return Array.from({ length: table.length }, (_, i) => `${table.nameAt(i)}=${table.valueAt(i)}`);
}

Deno.test("DynamicTable.insert() keeps newest first and counts name + value + 32 per entry", () => {
  const table = new DynamicTable(4096);
  table.insert("a", "1");
  table.insert("bb", "22");
  assert.deepEqual(entries(table), ["bb=22", "a=1"]);
  assert.equal(table.sizeBytes, 34 + 36);
  assert.equal(table.entrySizeAt(0), 36);
});

Deno.test("DynamicTable.insert() evicts exactly the oldest entries that no longer fit", () => {
  const table = new DynamicTable(100); // room for two 34..50-byte entries
  table.insert("a", "1"); // 34
  table.insert("b", "2"); // 34 → 68
  table.insert("c", "3"); // 34 → 102 > 100: "a" goes
  assert.deepEqual(entries(table), ["c=3", "b=2"]);
  table.insert("d".repeat(30), ""); // 62: 68 + 62 > 100, "b" goes and 34 + 62 fits
  assert.deepEqual(entries(table), [`${"d".repeat(30)}=`, "c=3"]);
  table.insert("e", "x".repeat(100 - 33)); // exactly 100: everything else goes, the entry stays
  assert.equal(table.length, 1);
  assert.equal(table.sizeBytes, 100);
});

Deno.test("DynamicTable.insert() of an entry larger than the maximum empties the table", () => {
  const evicted: string[] = [];
  const table = new DynamicTable(64, { onEvict: (name, _value, id) => evicted.push(`${name}#${id}`) });
  table.insert("a", "1");
  table.insert("b", "2");
  assert.equal(table.length, 1); // 68 > 64: "a" was evicted
  table.insert("big", "x".repeat(40));
  assert.equal(table.length, 0);
  assert.equal(table.sizeBytes, 0);
  assert.deepEqual(evicted, ["a#0", "b#1"]);
  assert.equal(table.insertCount, 3);
});

Deno.test("DynamicTable.setMaxSize() evicts down to the new size and positionOf() follows ids", () => {
  const table = new DynamicTable(4096);
  for (let i = 0; i < 100; i++) table.insert(`n${i}`, `v${i}`); // grows the ring past its first capacity
  assert.equal(table.length, 100);
  assert.equal(table.nameAt(0), "n99");
  assert.equal(table.nameAt(99), "n0");
  assert.equal(table.positionOf(99), 0);
  assert.equal(table.positionOf(0), 99);
  table.setMaxSize(38 * 3); // "n99" + "v99" + 32 = 38
  assert.deepEqual(entries(table), ["n99=v99", "n98=v98", "n97=v97"]);
  assert.equal(table.positionOf(96), -1);
  assert.equal(table.positionOf(97), 2);
  table.setMaxSize(0);
  assert.equal(table.length, 0);
  table.insert("a", "b");
  assert.equal(table.length, 0);
});

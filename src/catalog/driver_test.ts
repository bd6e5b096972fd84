import assert from "node:assert/strict";
import { AlreadyExistsError, InvalidArgumentError, UnavailableError } from "../errors.ts";
import { parseInt8, translateSqlState } from "./driver.ts";
import { migrationLabel } from "./migrate.ts";
import { MIGRATIONS } from "./migrations/mod.ts";
import { describeTarget } from "./postgres_driver.ts";

function sqlError(code: string): Error {
  return Object.assign(new Error(`failure ${code}`), { code });
}

Deno.test("parseInt8() gives a number when exact and a bigint beyond 2^53", () => {
  assert.equal(parseInt8("-42"), -42);
  assert.equal(parseInt8("9007199254740991"), 9007199254740991);
  assert.equal(parseInt8("9007199254740993"), 9007199254740993n);
  assert.equal(parseInt8("-9223372036854775808"), -9223372036854775808n);
});

Deno.test("translateSqlState() maps SQLSTATEs to domain errors and keeps the rest", () => {
  assert.ok(translateSqlState(sqlError("23505")) instanceof AlreadyExistsError);
  for (const code of ["08006", "57P01", "53300"]) {
    assert.ok(translateSqlState(sqlError(code)) instanceof UnavailableError);
  }
  assert.ok(translateSqlState(sqlError("22P05")) instanceof InvalidArgumentError);
  const other = sqlError("42P01");
  assert.equal(translateSqlState(other), other);
  const domain = new AlreadyExistsError("x");
  assert.equal(translateSqlState(domain), domain);
});

Deno.test("describeTarget() names host and port, never the credentials", () => {
  assert.equal(describeTarget("postgres://u:secret@db.example:6543/x"), "db.example:6543");
  assert.equal(describeTarget("postgresql://u@localhost/x"), "localhost:5432");
  assert.equal(describeTarget("postgres://u:secret@localhost/x?host=/run/postgresql"), "/run/postgresql");
  assert.equal(describeTarget("postgres://u:secret@[::1"), "the configured URL");
});

Deno.test("MIGRATIONS are numbered 1, 2, 3… with unique labels", () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(new Set(MIGRATIONS.map(migrationLabel)).size, MIGRATIONS.length);
  assert.equal(migrationLabel({ version: 1, name: "init" }), "0001_init");
});

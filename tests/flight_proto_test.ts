import assert from "node:assert/strict";
import { FLIGHT_RPCS, FLIGHT_SERVICE, FLIGHT_SERVICE_NAME } from "../src/flight/service_def.ts";

const proto = await Deno.readTextFile(new URL("../proto/Flight.proto", import.meta.url));

Deno.test("proto: the server registers every FlightService RPC of proto/Flight.proto with its streaming shape", () => {
  const pkg = /^package\s+([\w.]+);/m.exec(proto)?.[1];
  const service = /service\s+(\w+)\s*\{([\s\S]*?)\n\}/.exec(proto);
  assert.ok(pkg && service, "proto must declare a package and a service");
  assert.equal(`${pkg}.${service[1]}`, FLIGHT_SERVICE_NAME);
  const rpcs = [
    ...service[2].matchAll(/rpc\s+(\w+)\s*\(\s*(stream\s+)?\w+\s*\)\s*returns\s*\(\s*(stream\s+)?\w+\s*\)/g),
  ]
    .map((m) => [m[1], Boolean(m[2]), Boolean(m[3])]);
  assert.equal(rpcs.length, 10, "Flight.proto declares ten RPCs");
  assert.deepEqual(
    rpcs,
    Object.entries(FLIGHT_RPCS).map(([name, [req, res]]) => [name, req, res]),
  );
  for (const [name, req, res] of rpcs as [string, boolean, boolean][]) {
    const def = FLIGHT_SERVICE[name];
    assert.equal(def.path, `/${FLIGHT_SERVICE_NAME}/${name}`);
    assert.equal(def.requestStream, req);
    assert.equal(def.responseStream, res);
  }
});

Deno.test("proto: FlightData field numbers match the codec's tags", () => {
  const body = /message FlightData \{([\s\S]*?)\n\}/.exec(proto)?.[1] ?? "";
  const fields = Object.fromEntries(
    [...body.matchAll(/(\w+)\s+(\w+)\s*=\s*(\d+);/g)].map((m) => [m[2], Number(m[3])]),
  );
  // flight_data.ts writes tags 0x0a, 0x12, 0x1a and the two-byte varint 0xc2 0x3e.
  assert.deepEqual(fields, { flight_descriptor: 1, data_header: 2, app_metadata: 3, data_body: 1000 });
  assert.equal((1000 << 3 | 2) & 0x7f | 0x80, 0xc2);
  assert.equal((1000 << 3 | 2) >> 7, 0x3e);
});

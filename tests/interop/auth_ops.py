"""Used by tests/auth_test.ts and tests/tls_test.ts (not a unittest module): runs Flight calls as a pyarrow
client makes them, each with its own `authorization` metadata, on one connection, and prints one JSON
result per call: {"code": "OK" or the gRPC status, "value": ..., "message": ..., "seconds": ...}.

  auth_ops.py OPS_JSON [--tls-root CERT_PEM]

OPS_JSON is a list of objects {"op": NAME, "token": TOKEN or null, ...arguments}; "authorization" instead
of "token" sends that exact metadata value; "api_key_token" sends `mosaico-api-key-token` metadata (the
2026 SDK's header; alone, or beside either of the others); "timeout" (seconds, default 30) bounds the call.

  list                               ListFlights → sorted sequence names
  create_sequence name               sequence_create → its key
  create_topic name key              topic_create (with the sequence key) → the topic key
  upload topic key rows seed         DoPut of `rows` deterministic rows → {"rows", "digest"} of what was sent
  read topic                         DoGet of the plain ticket → {"rows", "digest"} of what came back
  flight_info name                   GetFlightInfo(PATH) → number of endpoints
  finalize name key | abort name key sequence_finalize / sequence_abort
  delete_sequence name | delete_topic name
  action name body                   any DoAction → the decoded JSON result

With --tls-root the URL must be grpc+tls:// and the client trusts only that certificate.
"""
import hashlib
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.flight as flight

from _common import grpc_code, put_stream_error
from _sdk import put_command

SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False),
    pa.field("x", pa.float64()),
    pa.field("label", pa.string()),
])
T0 = 1_700_000_000_000_000_000


def rows_of(n: int, seed: int) -> list:
    return [{"timestamp_ns": T0 + i * 1000 + seed, "x": (i * 7919 + seed) / 13.0, "label": f"r{seed}-{i}-ü"}
            for i in range(n)]


def digest(rows: list) -> str:
    rows = sorted(rows, key=lambda r: r["timestamp_ns"])
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def options(op: dict) -> flight.FlightCallOptions:
    headers = []
    if op.get("authorization") is not None:
        headers.append((b"authorization", op["authorization"].encode()))
    elif op.get("token") is not None:
        headers.append((b"authorization", f"Bearer {op['token']}".encode()))
    if op.get("api_key_token") is not None:
        headers.append((b"mosaico-api-key-token", op["api_key_token"].encode()))
    return flight.FlightCallOptions(headers=headers, timeout=op.get("timeout", 30))


def action(client: flight.FlightClient, opts, name: str, body: dict):
    results = [r.body.to_pybytes() for r in client.do_action(flight.Action(name, json.dumps(body).encode()), opts)]
    return [json.loads(r) for r in results]


def upload(client: flight.FlightClient, opts, topic: str, key: str, n: int, seed: int) -> dict:
    rows = rows_of(n, seed)
    descriptor = flight.FlightDescriptor.for_command(put_command(topic, key))
    err = put_stream_error(client, descriptor, SCHEMA, [pa.RecordBatch.from_pylist(rows, schema=SCHEMA)], opts)
    if err is not None:
        raise err
    return {"rows": n, "digest": digest(rows)}


def run(client: flight.FlightClient, op: dict):
    opts = options(op)
    kind = op["op"]
    if kind == "list":
        return sorted(i.descriptor.path[0].decode() for i in client.list_flights(b"", opts))
    if kind == "create_sequence":
        return action(client, opts, "sequence_create", {"name": op["name"], "user_metadata": {}})[0]["response"]["key"]
    if kind == "create_topic":
        return action(client, opts, "topic_create", {
            "name": op["name"], "sequence_key": op["key"], "serialization_format": "default",
            "ontology_tag": "auth_test", "user_metadata": {}})[0]["response"]["key"]
    if kind == "upload":
        return upload(client, opts, op["topic"], op["key"], op.get("rows", 100), op.get("seed", 1))
    if kind == "read":
        table = client.do_get(flight.Ticket(op["topic"].encode()), opts).read_all()
        rows = table.to_pylist()
        return {"rows": len(rows), "digest": digest(rows)}
    if kind == "flight_info":
        return len(client.get_flight_info(flight.FlightDescriptor.for_path(op["name"]), opts).endpoints)
    if kind in ("finalize", "abort"):
        return action(client, opts, f"sequence_{kind}", {"name": op["name"], "key": op["key"]})
    if kind == "delete_sequence":
        return action(client, opts, "sequence_delete", {"name": op["name"]})
    if kind == "delete_topic":
        return action(client, opts, "topic_delete", {"name": op["name"]})
    if kind == "action":
        return action(client, opts, op["name"], op.get("body", {}))
    raise ValueError(f"unknown op {kind!r}")


def main() -> None:
    ops = json.loads(sys.argv[1])
    url = os.environ["MOSAICOD_URL"]
    if "--tls-root" in sys.argv:
        with open(sys.argv[sys.argv.index("--tls-root") + 1], "rb") as f:
            client = flight.connect(url, tls_root_certs=f.read())
    else:
        client = flight.connect(url)
    out = []
    for op in ops:
        started = time.monotonic()
        try:
            value = run(client, op)
            out.append({"code": "OK", "value": value, "message": ""})
        except Exception as err:  # noqa: BLE001 - every failure is reported by its gRPC status
            out.append({"code": grpc_code(err), "value": None, "message": str(err)})
        out[-1]["seconds"] = round(time.monotonic() - started, 3)
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

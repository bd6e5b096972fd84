"""Used by tests/upgrade_test.ts (not a unittest module): prints as JSON everything a 2026 client (SDK 0.4)
sees of a daemon: for every sequence, its GetFlightInfo `app_metadata` (sessions, times, locks), each
topic's manifest and schema metadata, and a digest of each topic's rows read with its opaque ticket.

  sessions_snapshot.py   # MOSAICOD_URL
"""
import hashlib
import json
import os

import pyarrow as pa
import pyarrow.flight as flight

URL = os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726")


def info(client: flight.FlightClient, locator: str) -> flight.FlightInfo:
    cmd = json.dumps({"resource_locator": locator}).encode()
    return client.get_flight_info(flight.FlightDescriptor.for_command(cmd))


def rows_digest(client: flight.FlightClient, ticket: flight.Ticket) -> dict:
    table = client.do_get(ticket).read_all()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema.remove_metadata()) as w:
        w.write_table(table)
    return {"rows": table.num_rows, "sha256": hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()}


def snapshot(client: flight.FlightClient) -> dict:
    out = {}
    names = sorted(p.decode() if isinstance(p, bytes) else p
                   for fi in client.list_flights() for p in fi.descriptor.path)
    for name in names:
        seq = info(client, name)
        meta = json.loads(seq.app_metadata)
        topics = {}
        for ep in seq.endpoints:
            manifest = json.loads(ep.app_metadata)
            locator = manifest["resource_locator"]
            topic = info(client, locator)
            entry = {"manifest": manifest,
                     "schema_metadata": {k.decode(): v.decode() for k, v in (topic.schema.metadata or {}).items()},
                     "fields": [str(f) for f in topic.schema]}
            if manifest["info"] and manifest["info"]["timestamp"]:
                entry["data"] = rows_digest(client, ep.ticket)
            topics[locator] = entry
        meta["sessions"] = sorted(meta["sessions"], key=lambda s: (s["created_at_ns"], s["uuid"]))
        for s in meta["sessions"]:
            s["topics"] = sorted(s["topics"])
        out[name] = {"app_metadata": meta, "topics": topics}
    return out


def exact(value):
    """Integers beyond 2^53 (ns times) as decimal strings, so a JavaScript reader keeps them exact."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > 2 ** 53:
        return str(value)
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return value


if __name__ == "__main__":
    print(json.dumps(exact(snapshot(flight.FlightClient(URL))), sort_keys=True))

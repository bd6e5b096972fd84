"""Used by tests/faults_test.ts and tests/multi_daemon_test.ts (not a unittest module): one client
operation per run, printing JSON. Every call has a deadline, so a hang shows as DEADLINE_EXCEEDED.

  fault_ops.py keep NAME            finalized sequence NAME with topic NAME/imu (~3 MiB); prints its digest
  fault_ops.py probe NAME           list, describe and read NAME/imu, create and delete a sequence;
                                    prints each call's outcome (ok or the gRPC code) and how long it took
  fault_ops.py upload NAME [N]      sequence NAME with N batches (default 6, ~3 MiB) uploaded to NAME/imu,
                                    finalized; prints outcomes
  fault_ops.py race NAME URL2       sequence_create NAME at once here and at URL2; then topic_create
                                    NAME/imu twice; prints each outcome
  fault_ops.py query NAME           the query action for sequence NAME; prints the items
  fault_ops.py events               the event log so far (not following); prints [kind, sequence] pairs
"""
import json
import sys
import threading
import time

import pyarrow as pa
import pyarrow.flight as flight

from _sdk import Mosaico, grpc_code, unique, upload
from crash_ops import SCHEMA, batches, digest

OPTIONS = flight.FlightCallOptions(timeout=30)


def timed(call) -> dict:
    started = time.monotonic()
    try:
        value = call()
        out = {"outcome": "ok"}
        if value is not None:
            out["value"] = value
    except Exception as err:
        out = {"outcome": grpc_code(err), "message": str(err).splitlines()[0][:300]}
    out["seconds"] = round(time.monotonic() - started, 2)
    return out


def read_digest(client: flight.FlightClient, topic: str) -> str:
    info = client.get_flight_info(flight.FlightDescriptor.for_path(topic), OPTIONS)
    return digest(client.do_get(info.endpoints[0].ticket, OPTIONS).read_all())


def action(client: flight.FlightClient, name: str, body: dict) -> list:
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, json.dumps(body).encode()), OPTIONS)]


def create_and_upload(m: Mosaico, name: str, seed: int, n: int = 6) -> dict:
    out = {}
    key = None

    def create():
        nonlocal key
        key = m.sequence_create(name, {})
    out["create"] = timed(create)
    if key is None:
        return out
    tkey = None

    def topic():
        nonlocal tkey
        tkey = m.topic_create(f"{name}/imu", key)
    out["topic"] = timed(topic)
    if tkey is None:
        return out
    data = batches(seed, n)
    out["upload"] = timed(lambda: upload(m.client, f"{name}/imu", tkey, SCHEMA, data))
    out["finalize"] = timed(lambda: m.sequence_finalize(name, key))
    out["digest"] = digest(pa.Table.from_batches(data))
    return out


def main() -> None:
    m = Mosaico()
    op, args = sys.argv[1], sys.argv[2:]
    if op == "keep":
        out = create_and_upload(m, args[0], 1)
    elif op == "upload":
        out = create_and_upload(m, args[0], 2, int(args[1]) if len(args) > 1 else 6)
    elif op == "probe":
        name = args[0]
        scratch = unique("probe")
        out = {
            "list": timed(lambda: sorted(i.descriptor.path[0].decode() for i in m.client.list_flights(b"", OPTIONS))),
            "info": timed(lambda: m.client.get_flight_info(flight.FlightDescriptor.for_path(f"{name}/imu"),
                                                          OPTIONS).total_records),
            "read": timed(lambda: read_digest(m.client, f"{name}/imu")),
            "create": timed(lambda: action(m.client, "sequence_create", {"name": scratch, "user_metadata": {}}) and None),
        }
        if out["create"]["outcome"] == "ok":
            out["delete"] = timed(lambda: action(m.client, "sequence_delete", {"name": scratch}) and None)
    elif op == "race":
        name, other_url = args
        other = Mosaico(flight.FlightClient(other_url))
        results: dict = {}

        def run(label: str, call) -> None:
            results[label] = timed(call)
        keys: dict = {}

        def create(client: Mosaico, label: str):
            keys[label] = client.sequence_create(name, {})
        threads = [threading.Thread(target=run, args=(lbl, lambda c=c, lbl=lbl: create(c, lbl)))
                   for lbl, c in (("here", m), ("there", other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out = {"sequence": results}
        key = next(iter(keys.values()), None)
        if key is not None:
            results = {}
            threads = [threading.Thread(target=run, args=(lbl, lambda c=c: c.topic_create(f"{name}/imu", key)))
                       for lbl, c in (("here", m), ("there", other))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            out["topic"] = results
    elif op == "events":
        ticket = flight.Ticket(b"\xff" + json.dumps({"events": {"follow": False}}).encode())
        table = m.client.do_get(ticket, OPTIONS).read_all()
        out = [[k, s] for k, s in zip(table.column("kind").to_pylist(), table.column("sequence").to_pylist())]
    elif op == "query":
        out = [{"sequence": i.sequence, "topics": sorted(i.topics)}
               for i in m.query({"sequence": {"name": {"$eq": args[0]}}})]
    else:
        raise SystemExit(f"unknown op {op}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

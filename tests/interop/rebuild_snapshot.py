"""Used by tests/rebuild_test.ts (not a unittest module): fills a daemon with sequences of every kind, and
prints as JSON everything a client can see of it, to compare a daemon before and after a catalog rebuild.

  rebuild_snapshot.py populate   # MOSAICOD_URL
  rebuild_snapshot.py snapshot
"""
import dataclasses
import hashlib
import json
import sys

import pyarrow as pa
import pyarrow.flight as flight

from _sdk import IMU_SCHEMA, Mosaico, batch_of, imu_rows, upload

BIG = 18446744073709551615  # exact through JSON, the catalog and the manifests


def populate(m: Mosaico) -> None:
    # Finalized, two topics with data (one in two uploads' worth of batches), exact integer metadata.
    key = m.sequence_create("rb_done", {"robot": "r7", "serial": BIG, "nested": {"ok": True}})
    for rest, seed, meta in (("front/imu", 1, {"sensor_id": "front"}), ("rear/imu", 2, {"rate": 100})):
        tkey = m.topic_create(f"rb_done/{rest}", key, ontology_tag="imu", user_metadata=meta)
        rows = imu_rows(300, seed=seed)
        upload(m.client, f"rb_done/{rest}", tkey, IMU_SCHEMA, [batch_of(rows[:100], IMU_SCHEMA),
                                                              batch_of(rows[100:], IMU_SCHEMA)])
    m.sequence_finalize("rb_done", key)
    # Not finalized: one topic with data, one created and never uploaded.
    key = m.sequence_create("rb_open", {"status": "recording"})
    tkey = m.topic_create("rb_open/gps", key, ontology_tag="gps", user_metadata={"interface": {"type": "UART"}})
    upload(m.client, "rb_open/gps", tkey, IMU_SCHEMA, [batch_of(imu_rows(50, seed=3), IMU_SCHEMA)])
    m.topic_create("rb_open/idle", key, ontology_tag="imu")
    # Notifications of a sequence and of a topic, and layers (one renamed, one deleted).
    m.notify_create("sequence", "rb_open", "disk nearly full")
    m.notify_create("topic", "rb_open/gps", "fix lost")
    m.notify_create("topic", "rb_open/gps", "fix back")
    m.layer_create("perception", "camera and lidar")
    m.layer_create("old_name", "to be renamed")
    m.layer_update("old_name", "planning", "renamed")
    m.layer_create("scratch", "to be deleted")
    m.layer_delete("scratch")
    # Finalized, with a topic whose upload carried no rows.
    key = m.sequence_create("rb_empty", None)
    tkey = m.topic_create("rb_empty/silent", key, ontology_tag="camera")
    upload(m.client, "rb_empty/silent", tkey, IMU_SCHEMA, [])
    m.sequence_finalize("rb_empty", key)


QUERIES = [
    {"sequence": {"name": {"$match": "rb_"}}},
    {"sequence": {"user_metadata": {"serial": {"$eq": BIG}}}},
    {"topic": {"ontology_tag": {"$eq": "imu"}, "user_metadata": {"sensor_id": {"$eq": "front"}}}},
    {"topic": {"user_metadata": {"interface.type": {"$eq": "UART"}}}},
    {"ontology": {"imu.timestamp_ns": {"$geq": 0}}},
    {"ontology": {"gps.timestamp_ns": {"$geq": 0}}, "sequence": {"name": {"$eq": "rb_open"}}},
]


def error_code(call) -> str:
    try:
        call()
        return "ok"
    except flight.FlightError as err:
        return type(err).__name__
    except pa.ArrowException as err:
        return type(err).__name__


def snapshot(m: Mosaico) -> dict:
    out: dict = {"sequences": {}, "queries": []}
    names = sorted(m.sequence_names())
    out["list_flights"] = names
    out["layers"] = sorted((dataclasses.asdict(layer) for layer in m.layer_list()), key=lambda l: l["name"])
    for name in names:
        seq: dict = {"system_info": dataclasses.asdict(m.sequence_system_info(name))}
        seq["notifications"] = [dataclasses.asdict(n) for n in m.notify_list("sequence", name)]
        info = m.flight_info(name)
        seq["schema_metadata"] = {k.decode(): v.decode() for k, v in (info.schema.metadata or {}).items()}
        seq["topics"] = {}
        for endpoint in info.endpoints:
            topic = endpoint.ticket.ticket.decode()
            t: dict = {"system_info": dataclasses.asdict(m.topic_system_info(topic)),
                       "notifications": [dataclasses.asdict(n) for n in m.notify_list("topic", topic)]}
            try:
                tinfo = m.flight_info(topic)
            except Exception as err:  # a topic without data: the error is part of what clients see
                t["flight_info"] = type(err).__name__
            else:
                t["flight_info"] = {
                    "schema": tinfo.schema.to_string(show_schema_metadata=True),
                    "records": tinfo.total_records,
                    "bytes": tinfo.total_bytes,
                    "endpoints": [e.ticket.ticket.decode("latin-1") for e in tinfo.endpoints],
                }
                table = m.client.do_get(tinfo.endpoints[0].ticket).read_all()
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table)
                t["rows"] = table.num_rows
                t["data_sha256"] = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
            seq["topics"][topic] = t
        out["sequences"][name] = seq
    for body in QUERIES:
        items = m.action("query", body)["items"]
        out["queries"].append(sorted((i["sequence"], sorted(i["topics"])) for i in items))
    return out


def main() -> None:
    m = Mosaico()
    try:
        if sys.argv[1] == "populate":
            populate(m)
            print(json.dumps({"ok": True}))
        else:
            print(json.dumps(snapshot(m), sort_keys=True))
    finally:
        m.close()


if __name__ == "__main__":
    main()

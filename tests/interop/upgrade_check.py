"""Run by a Deno test (not a unittest module) against a daemon that opened a data directory written by the
previous release (0.1.0 protocol only) with tests/fixtures/make_upgrade_fixture.py. Checks with BOTH clients
(_sdk.py for 0.1.0, _sdk2026.py for 2026) that every sequence, topic, metadata, notification and row is
there exactly (rows regenerated from the fixture's seeds), that the 0.1.0 sequences show as one implicit
session each (finalized or open), and that a 0.1.0 client can still finish `upgrade_open` with its key.

  MOSAICOD_URL=grpc://127.0.0.1:PORT [MOSAICOD_UPGRADE_KEYS=keys.json] python3 upgrade_check.py

MOSAICOD_UPGRADE_KEYS names the fixture's keys.json (the sequence keys make_upgrade_fixture.py printed);
without it the keys of tests/fixtures/upgrade_0.1_data.tgz are used. An implicit session's uuid is its
sequence key.

Prints one line per check ("ok NAME" or "FAIL NAME: why"), then "N passed, M failed"; exit code 0 only when
nothing failed. The last check finalizes `upgrade_open`, so a data directory passes once.
"""
import json
import os
import sys
import traceback

import _sdk as v1
from _sdk2026 import T0, Mosaico2026, Mosaico2026TestCase, new_client, sorted_rows

STEP = 1_000_003  # imu_rows() default step
DATA_FIXTURE_KEYS = {"upgrade_run_01": "1f672ad6-a664-444a-8853-b3480d4db4d8",
                     "upgrade_open": "33c057d4-98d2-4b74-8c28-e99044ef7219",
                     "upgrade_empty": "4040049c-a399-4eea-91f6-57f10cfca949"}
if os.environ.get("MOSAICOD_UPGRADE_KEYS"):
    with open(os.environ["MOSAICOD_UPGRADE_KEYS"]) as keys_file:
        KEYS = json.load(keys_file)
else:
    KEYS = DATA_FIXTURE_KEYS
SEQUENCES = {
    "upgrade_run_01": {"robot": "rover-7", "site": {"name": "lab", "floor": 2}},
    "upgrade_open": {"operator": "ana"},
    "upgrade_empty": {},
}
# topic → (schema, rows, ontology tag, user metadata); rows None = created, never uploaded
TOPICS = {
    "upgrade_run_01/sensors/imu": (v1.IMU_SCHEMA, v1.imu_rows(300, seed=11), "imu", {"rate_hz": 100}),
    "upgrade_run_01/status": (v1.SCALARS_SCHEMA, v1.scalar_rows(50, seed=5), "status", {}),
    "upgrade_open/imu": (v1.IMU_SCHEMA, v1.imu_rows(40, seed=3), "imu", {}),
    "upgrade_open/pending": (v1.IMU_SCHEMA, None, "imu", {}),
    "upgrade_empty/nothing": (v1.IMU_SCHEMA, [], "imu", {}),
}
NOTES = {("sequence", "upgrade_run_01"): ["disk almost full"], ("topic", "upgrade_run_01/status"): ["gps lost"]}
FINALIZED = {"upgrade_run_01": True, "upgrade_open": False, "upgrade_empty": True}

old = v1.Mosaico(new_client(api_key=None))
new = Mosaico2026(new_client())
tc = Mosaico2026TestCase()
tc.maxDiff = None


def topics_of(seq):
    return sorted(t for t in TOPICS if t.startswith(seq + "/"))



def range_of(rows):
    return (min(r["timestamp_ns"] for r in rows), max(r["timestamp_ns"] for r in rows)) if rows else None


# ---------------------------------------------------------------------------------------------
# checks

def listing_both_clients():
    tc.assertEqual(sorted(old.sequence_names()), sorted(SEQUENCES))
    tc.assertEqual(sorted(new.list_sequences()), sorted(SEQUENCES))


def old_system_info():
    for seq, locked in FINALIZED.items():
        info = old.sequence_system_info(seq)
        tc.assertEqual(info.is_locked, locked, seq)
        tc.assertRegex(info.created_datetime, v1.DATETIME_RE)
        tc.assertEqual(old.sequence_system_info(seq), info)
    for topic, (_, rows, _, _) in TOPICS.items():
        info = old.topic_system_info(topic)
        tc.assertEqual(info.is_locked, rows is not None, topic)
        if rows:
            tc.assertGreaterEqual(info.chunks_number, 1, topic)
        else:
            tc.assertEqual(info.chunks_number, 0, topic)


def old_flight_info_and_metadata():
    for seq, meta in SEQUENCES.items():
        info = old.flight_info(seq)
        tc.assertEqual(sorted(e.ticket.ticket for e in info.endpoints), [t.encode() for t in topics_of(seq)])
        tc.assertEqual(v1.decode_metadata(info.schema), {"mosaico:context": "sequence", "mosaico:user_metadata": meta})
    for topic, (schema, rows, tag, meta) in TOPICS.items():
        if rows:
            tc.assertTopicSchema(old.flight_info(topic).schema, schema, user_metadata=meta, ontology_tag=tag)


def old_rows():
    for topic, (_, rows, _, _) in TOPICS.items():
        if rows:
            tc.assertSameRows(v1.read_stream(old.client, topic.encode()).rows, sorted_rows(rows))


def old_notifications():
    for (kind, name), msgs in NOTES.items():
        items = old.notify_list(kind, name)
        tc.assertEqual(sorted(n.msg for n in items), msgs)
        tc.assertEqual({(n.name, n.notify_type) for n in items}, {(name, "error")})
        tc.assertRegex(items[0].created_datetime, v1.DATETIME_RE)
    tc.assertEqual(old.notify_list("sequence", "upgrade_open"), [])


def new_sessions_and_manifests():
    for seq, meta in SEQUENCES.items():
        view = new.sequence_info(seq)
        tc.assertEqual(view.user_metadata, meta)
        tc.assertEqual(len(view.sessions), 1, f"{seq}: one implicit session")
        [s] = view.sessions
        tc.assertEqual(s.uuid, KEYS[seq], f"{seq}: the implicit session's uuid is the sequence key")
        tc.assertEqual(s.locked, FINALIZED[seq], seq)
        tc.assertEqual(sorted(s.topics), topics_of(seq))
        tc.assertLessEqual(view.created_at_ns, s.created_at_ns + 1_000_000)
        if s.locked:
            tc.assertGreaterEqual(s.completed_at_ns, s.created_at_ns)
        for topic in topics_of(seq):
            _, rows, _, _ = TOPICS[topic]
            m = view.endpoint(topic).manifest
            tc.assertEqual(m.locked, rows is not None, topic)
            if rows is None:
                tc.assertIsNone(m.info, topic)
            else:
                tc.assertEqual(m.timestamp, range_of(rows), topic)
                tc.assertEqual(m.chunks_number > 0, bool(rows), topic)
                if not rows:
                    tc.assertEqual(m.total_bytes, 0, topic)
    tc.assertEqual(new.sequence_info("upgrade_run_01").timestamp_ns_min, T0)
    tc.assertEqual(new.sequence_info("upgrade_run_01").timestamp_ns_max, T0 + 299 * STEP)


def new_topic_info_and_rows():
    for topic, (schema, rows, tag, meta) in TOPICS.items():
        seq, r = topic.split("/", 1)
        t = new.topic_info(seq, r)
        tc.assertEqual((t.ontology_tag, t.serialization_format, t.user_metadata), (tag, "default", meta))
        if rows:
            tc.assertFields(t.schema, schema)
            tc.assertSameRows(new.read(t.ticket).rows, sorted_rows(rows))
    window = new.read_topic("upgrade_run_01", "sensors/imu", T0 + 100 * STEP, T0 + 200 * STEP)
    tc.assertSameRows(window.rows, sorted_rows(TOPICS["upgrade_run_01/sensors/imu"][1])[100:200])


def new_notifications():
    for (kind, name), msgs in NOTES.items():
        items = new.notification_list(kind, name)
        tc.assertEqual(sorted(n.msg for n in items), msgs)
        tc.assertEqual({(n.name, n.notification_type) for n in items}, {(name, "error")})


def queries_both_clients():
    [item] = new.query({"sequence": {"locator": {"$eq": "upgrade_run_01"}}})
    tc.assertEqual(item.locators, topics_of("upgrade_run_01"))
    items = new.query({"sequence": {"locator": {"$match": "upgrade_"}},
                       "ontology": {"imu.timestamp_ns": {"$geq": T0 + 290 * STEP}, "include_timestamp_range": True}})
    tc.assertEqual([(i.sequence, [(t.locator, t.timestamp_range) for t in i.topics]) for i in items],
                   [("upgrade_run_01", [("upgrade_run_01/sensors/imu", (T0 + 290 * STEP, T0 + 299 * STEP))])])
    [item] = old.query({"sequence": {"name": {"$eq": "upgrade_open"}}})
    tc.assertEqual(sorted(item.topics), topics_of("upgrade_open"))
    tc.assertEqual([i.sequence for i in old.query({"sequence": {"user_metadata": {"robot": {"$eq": "rover-7"}},
                                                               "name": {"$match": "upgrade_"}}})],
                   ["upgrade_run_01"])


def old_client_finishes_upgrade_open():
    # the 0.1.0 protocol cannot list topic keys: drop the never-uploaded topic, then finalize with the key
    old.topic_delete("upgrade_open/pending")
    old.sequence_finalize("upgrade_open", KEYS["upgrade_open"])
    tc.assertTrue(old.sequence_system_info("upgrade_open").is_locked)
    [s] = new.sequence_info("upgrade_open").sessions
    tc.assertTrue(s.locked)
    tc.assertEqual(s.topics, ["upgrade_open/imu"])
    tc.assertSameRows(v1.read_stream(old.client, b"upgrade_open/imu").rows,
                      sorted_rows(TOPICS["upgrade_open/imu"][1]))


CHECKS = [listing_both_clients, old_system_info, old_flight_info_and_metadata, old_rows, old_notifications,
          new_sessions_and_manifests, new_topic_info_and_rows, new_notifications, queries_both_clients,
          old_client_finishes_upgrade_open]


def main() -> int:
    passed = failed = 0
    for check in CHECKS:
        try:
            check()
        except Exception as err:  # noqa: BLE001 - every failure is reported, the next check still runs
            failed += 1
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            print(f"FAIL {check.__name__}: {detail}", flush=True)
            traceback.print_exc(file=sys.stderr)
        else:
            passed += 1
            print(f"ok {check.__name__}", flush=True)
    old.close()
    new.close()
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

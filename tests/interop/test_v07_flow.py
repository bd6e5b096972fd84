"""SDK 0.7, the whole write-then-read sequence on ONE connection (delta doc A1, A6, B1-B7, B11): `info`
first, sequence_create, session_create (uuid + `<seq>:<ULID>`), topic_create, DoPut (one batch at the
SDK's size threshold, 0.9 × the reported decode limit), session_finalize, GetFlightInfo with the 0.7
manifests with and without a window (exact row counts), GetSchema equal to what was sent (nested field
metadata included, zero-row topic included), DoGet."""
import hashlib
import json
import unittest

import pyarrow as pa
import pyarrow.flight as flight

from _sdk07 import Mosaico07TestCase
from _sdk07_data import (
    IMAGE07_SCHEMA, IMU07_SCHEMA, MS, ROUNDTRIP07_SCHEMA, T07, image07_batch, imu07_rows, roundtrip07_rows,
)
from _sdk07_info import SESSION_LOCATOR_RE
from _sdk2026 import UUID_RE, batches_of, now_ns, sorted_rows, unique, upload

N = 300  # IMU rows at T07 + i ms


def blob_digest(rows) -> str:
    return hashlib.sha256(b"".join(r["data"] for r in sorted_rows(rows))).hexdigest()


class OneConnection(Mosaico07TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()  # `info`: the connection's first call
        m = cls.m
        cls.name = unique("flow07")
        cls.meta = {"mission": "0.7 ✓", "nested": {"k": [1, 2.5, "x"]}}
        cls.t_before = now_ns()
        m.sequence_create(cls.name, cls.meta)
        cls.session = m.session_open(cls.name)
        cls.imu = imu07_rows(N, seed=7)

        def put(rel, schema, batches, tag, fmt="default"):
            loc = f"{cls.name}/{rel}"
            tu = m.topic_create(loc, cls.session.uuid, ontology_tag=tag, serialization_format=fmt,
                                user_metadata={"rel": rel})
            upload(m.client, loc, tu, schema, batches)
            return loc

        put("front/imu", IMU07_SCHEMA, batches_of(cls.imu, IMU07_SCHEMA, 70), "imu")
        cls.big = image07_batch(m.batch_limit)
        put("camera", IMAGE07_SCHEMA, [cls.big], "image", "image")
        cls.rt = roundtrip07_rows(40)
        put("roundtrip", ROUNDTRIP07_SCHEMA, batches_of(cls.rt, ROUNDTRIP07_SCHEMA, 16), "roundtrip")
        put("empty", IMU07_SCHEMA, [], "imu")
        m.session_finalize(cls.session.uuid)
        cls.t_after = now_ns()
        cls.locators = sorted(f"{cls.name}/{r}" for r in ("front/imu", "camera", "roundtrip", "empty"))

    def test_session_create_named_the_session(self):
        self.assertRegex(self.session.uuid, UUID_RE)
        self.assertRegex(self.session.locator, SESSION_LOCATOR_RE)
        self.assertTrue(self.session.locator.startswith(f"{self.name}:"))

    def test_the_batch_at_the_sdk_threshold_was_taken_whole(self):
        size = pa.ipc.get_record_batch_size(self.big)
        self.assertLessEqual(size, self.m.batch_limit)
        self.assertGreater(size, self.m.batch_limit - 64 * 1024)
        e = self.m.topic_info(self.name, "camera")
        self.assertEqual(e.manifest.total_row_count, self.big.num_rows)
        rows = self.m.read(e.ticket).rows
        self.assertEqual(len(rows), self.big.num_rows)
        self.assertEqual(blob_digest(rows), blob_digest(self.big.to_pylist()))

    def test_sequence_info_without_a_window(self):
        view = self.m.sequence_info(self.name)
        self.assertEqual(view.user_metadata, self.meta)
        self.assertNs(view.created_at_ns, around=self.t_before)
        [s] = view.sessions
        self.assertEqual(s.locator, self.session.locator)
        self.assertTrue(s.locked)
        self.assertLessEqual(s.completed_at_ns, self.t_after)
        self.assertEqual(sorted(s.topics), self.locators)
        self.assertEqual(view.topics, ["/camera", "/empty", "/front/imu", "/roundtrip"])
        imu = view.endpoint(f"{self.name}/front/imu").manifest
        self.assertEqual((imu.total_row_count, imu.interval, imu.window), (N, (T07, T07 + (N - 1) * MS), None))
        self.assertEqual((imu.ontology_tag, imu.serialization_format, imu.user_metadata),
                         ("imu", "default", {"rel": "front/imu"}))
        self.assertGreater(imu.total_bytes, 0)
        self.assertGreaterEqual(imu.total_chunks_count, 1)
        self.assertNs(imu.created_at_ns, around=self.t_before)
        cam = view.endpoint(f"{self.name}/camera").manifest
        self.assertEqual((cam.serialization_format, cam.total_row_count), ("image", self.big.num_rows))
        empty = view.endpoint(f"{self.name}/empty").manifest
        self.assertEqual((empty.total_row_count, empty.interval, empty.user_metadata), (0, None, {"rel": "empty"}))
        self.assertEqual(view.total_size_bytes, sum(e.manifest.total_bytes for e in view.endpoints))
        self.assertEqual((view.timestamp_ns_min, view.timestamp_ns_max), (T07, T07 + (N - 1) * MS))

    def test_sequence_info_with_a_window_counts_rows_in_it(self):
        start, end = T07 + 100 * MS, T07 + 200 * MS  # [start, end): rows 100..199
        view = self.m.sequence_info(self.name, start, end)
        imu = view.endpoint(f"{self.name}/front/imu").manifest
        self.assertEqual(imu.window, {"interval": (start, end - MS), "row_count": 100})
        self.assertEqual((imu.total_row_count, imu.interval), (N, (T07, T07 + (N - 1) * MS)), "data_info: whole topic")
        cam = view.endpoint(f"{self.name}/camera").manifest
        self.assertEqual(cam.window, {"interval": None, "row_count": 0})  # camera rows end before start
        self.assertEqual(view.endpoint(f"{self.name}/empty").manifest.window, {"interval": None, "row_count": 0})
        self.assertEqual(view.timestamp_ns_min, start)

    def test_topic_windows_count_exactly(self):
        cases = [
            ((T07 + 250 * MS, None), 50, (T07 + 250 * MS, T07 + 299 * MS)),
            ((None, T07 + 10 * MS), 10, (T07, T07 + 9 * MS)),
            ((T07 + 100 * MS + 1, T07 + 110 * MS + 1), 10, (T07 + 101 * MS, T07 + 110 * MS)),
            ((T07 + 5 * MS, T07 + 6 * MS), 1, (T07 + 5 * MS, T07 + 5 * MS)),
            ((T07 + 400 * MS, T07 + 500 * MS), 0, None),
            ((0, T07), 0, None),
        ]
        for (start, end), count, interval in cases:
            with self.subTest(start=start, end=end):
                e = self.m.topic_info(self.name, "front/imu", start, end)
                self.assertEqual(e.manifest.window, {"interval": interval, "row_count": count})
                rows = self.m.read(e.ticket).rows
                self.assertEqual(len(rows), count)

    def test_get_schema_is_what_the_doput_sent(self):
        for rel, schema in (("front/imu", IMU07_SCHEMA), ("roundtrip", ROUNDTRIP07_SCHEMA),
                            ("camera", IMAGE07_SCHEMA), ("empty", IMU07_SCHEMA)):
            with self.subTest(topic=rel):
                got = self.m.get_schema(self.name, rel)
                self.assertSchemaVerbatim(got, schema)
                # the SDK's fingerprint is str() of the data fields (everything but the envelope)
                data = [f for f in got if f.name != "timestamp_ns"]
                self.assertEqual(str(pa.struct(data)), str(pa.struct([f for f in schema if f.name != "timestamp_ns"])))

    def test_get_schema_descriptor_is_the_json_text_the_sdk_sends(self):
        for command in (json.dumps({"resource_locator": f"{self.name}/front/imu"}),
                        json.dumps({"resource_locator": f"{self.name}/front/imu"}).encode()):
            got = self.m.client.get_schema(flight.FlightDescriptor.for_command(command)).schema
            self.assertSchemaVerbatim(got, IMU07_SCHEMA)

    def test_do_get_returns_the_rows(self):
        stream = self.m.read_topic(self.name, "front/imu")
        self.assertEqual([(f.name, f.type, f.nullable) for f in stream.schema],
                         [(f.name, f.type, f.nullable) for f in IMU07_SCHEMA])
        self.assertRows(stream, self.imu)
        self.assertRows(self.m.read_topic(self.name, "front/imu", T07 + 10 * MS, T07 + 20 * MS),
                        [r for r in self.imu if T07 + 10 * MS <= r["timestamp_ns"] < T07 + 20 * MS])
        self.assertRows(self.m.read_topic(self.name, "roundtrip"), self.rt)

    def test_the_sequence_streamer_merges_every_topic(self):
        merged = self.m.read_sequence(self.name, T07, T07 + 3 * MS, topics=["/front/imu", "/roundtrip"])
        self.assertEqual([row["timestamp_ns"] for _, row in merged], sorted(row["timestamp_ns"] for _, row in merged))
        self.assertEqual(sorted((rel, row["timestamp_ns"]) for rel, row in merged),
                         sorted((rel, T07 + i * MS) for i in range(3) for rel in ("/front/imu", "/roundtrip")))

    def test_get_schema_of_what_has_no_schema(self):
        self.assertStatus("NOT_FOUND", self.m.get_schema, self.name, "nosuch")
        self.assertStatus("NOT_FOUND", self.m.get_schema, unique("nosuch"), "imu")
        name = self.new_sequence("noput07")
        s = self.m.session_open(name)
        self.m.topic_create(f"{name}/t", s.uuid)
        # a topic whose DoPut never came has no schema yet
        self.assertStatusIn(("NOT_FOUND", "FAILED_PRECONDITION"), self.m.get_schema, name, "t")


if __name__ == "__main__":
    unittest.main()

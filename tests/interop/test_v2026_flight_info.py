"""2026 protocol, sections 7.2 and 8: GetFlightInfo with a CMD descriptor for a sequence and a topic: schema
metadata keys, `app_metadata` of the FlightInfo and of every endpoint (exact keys, ns), `info` null until the
topic's upload ended, the whole-topic `timestamp` also with a window, one endpoint per topic, the SDK's
derived values, and identical answers on two calls."""
import json
import unittest

import pyarrow.flight as flight

from _sdk2026 import (
    GPS2026_SCHEMA, IMU2026_SCHEMA, T0, Mosaico2026TestCase, batches_of, could_be_locator, gps2026_rows,
    imu2026_rows, info_command, now_ns, unique, upload,
)

STEP = 1_000_003


class SequenceInfo(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        m = cls.m
        cls.name = unique("fi")
        cls.meta = {"mission": "flight-info ✓", "nested": {"list": [1, 2.5, "x"], "flag": False}}
        cls.t_before = now_ns()
        m.sequence_create(cls.name, cls.meta)
        cls.s1 = m.session_create(cls.name)
        cls.imu = imu2026_rows(100, seed=1, t0=T0, step=STEP)
        cls.gps = gps2026_rows(40, seed=2, t0=T0 + 50 * STEP, step=STEP * 3)
        for rel, schema, rows, tag in (("front/imu", IMU2026_SCHEMA, cls.imu, "imu"),
                                       ("gps", GPS2026_SCHEMA, cls.gps, "gps"),
                                       ("empty", IMU2026_SCHEMA, [], "imu")):
            loc = f"{cls.name}/{rel}"
            tu = m.topic_create(loc, cls.s1, ontology_tag=tag, user_metadata={"rel": rel})
            upload(m.client, loc, tu, schema, batches_of(rows, schema, 30) if rows else [])
        m.session_finalize(cls.s1)
        cls.s2 = m.session_create(cls.name)
        m.topic_create(f"{cls.name}/open/imu", cls.s2, user_metadata={})
        cls.t_after = now_ns()

    def test_schema_carries_exactly_the_two_sequence_keys(self):
        view = self.m.sequence_info(self.name)
        self.assertEqual(len(view.info.schema), 0)
        self.assertEqual(set(view.info.schema.metadata), {b"mosaico:context", b"mosaico:user_metadata"})
        self.assertEqual(view.info.schema.metadata[b"mosaico:context"], b"sequence")
        self.assertEqual(json.loads(view.info.schema.metadata[b"mosaico:user_metadata"]), self.meta)

    def test_app_metadata_lists_every_session_with_exact_keys_in_ns(self):
        view = self.m.sequence_info(self.name)
        app = json.loads(view.info.app_metadata)
        # the 0.4 keys, and maybe the 0.7 `user_metadata` (delta B6: the union serves both SDKs)
        self.assertLessEqual({"created_at_ns", "resource_locator", "sessions"}, set(app))
        self.assertLessEqual(set(app), {"created_at_ns", "resource_locator", "sessions", "user_metadata"})
        self.assertEqual(app["resource_locator"], self.name)
        self.assertTrue(self.t_before <= view.created_at_ns <= self.t_after, "created_at_ns is epoch ns")
        s1, s2 = view.session(self.s1), view.session(self.s2)
        self.assertTrue(s1.locked)
        self.assertTrue(view.created_at_ns <= s1.created_at_ns <= s1.completed_at_ns <= s2.created_at_ns
                        <= self.t_after)
        self.assertEqual((s2.locked, s2.completed_at_ns), (False, None))
        self.assertEqual(sorted(s1.topics), sorted(f"{self.name}/{r}" for r in ("front/imu", "gps", "empty")))
        self.assertEqual(s2.topics, [f"{self.name}/open/imu"])

    def test_one_endpoint_per_topic_with_its_manifest(self):
        view = self.m.sequence_info(self.name)
        self.assertEqual(len(view.endpoints), 4)
        imu = view.endpoint(f"{self.name}/front/imu").manifest
        self.assertTrue(imu.locked)
        self.assertGreater(imu.chunks_number, 0)
        self.assertGreater(imu.total_bytes, 0)
        self.assertEqual(imu.timestamp, (T0, T0 + 99 * STEP))
        gps = view.endpoint(f"{self.name}/gps").manifest
        self.assertEqual(gps.timestamp, (T0 + 50 * STEP, T0 + 50 * STEP + 39 * STEP * 3))
        empty = view.endpoint(f"{self.name}/empty").manifest
        self.assertEqual((empty.locked, empty.info), (True, {"chunks_number": 0, "total_bytes": 0, "timestamp": None}))
        pending = view.endpoint(f"{self.name}/open/imu").manifest
        self.assertEqual((pending.locked, pending.completed_at_ns, pending.info), (False, None, None))
        for e in view.endpoints:
            self.assertNs(e.manifest.created_at_ns)
            self.assertFalse(could_be_locator(e.ticket), f"a 2026 ticket must not read as a locator: {e.ticket!r}")

    def test_derived_values_as_the_sdk_computes_them(self):
        view = self.m.sequence_info(self.name)
        self.assertEqual(view.topics, ["/empty", "/front/imu", "/gps", "/open/imu"])
        self.assertEqual(view.created_timestamp, view.created_at_ns)
        self.assertEqual(sorted(view.updated_timestamps), sorted(s.created_at_ns for s in view.sessions))
        self.assertEqual(view.total_size_bytes, sum(e.manifest.total_bytes or 0 for e in view.endpoints))
        self.assertEqual((view.timestamp_ns_min, view.timestamp_ns_max),
                         (T0, max(T0 + 99 * STEP, T0 + 50 * STEP + 39 * STEP * 3)))

    def test_two_calls_answer_the_same(self):
        self.assertEqual(self.m.sequence_info(self.name).comparable(), self.m.sequence_info(self.name).comparable())

    def test_a_window_goes_into_the_tickets_only(self):
        full = self.m.sequence_info(self.name)
        window = self.m.sequence_info(self.name, T0 + 10 * STEP, T0 + 20 * STEP)
        self.assertEqual(window.comparable(), full.comparable())
        self.assertNotEqual(sorted(e.ticket for e in window.endpoints), sorted(e.ticket for e in full.endpoints))
        upside_down = self.m.sequence_info(self.name, T0 + 20 * STEP, T0 + 10 * STEP)
        self.assertEqual(upside_down.comparable(), full.comparable())
        only_start = self.m.sequence_info(self.name, start=T0 + 5)
        self.assertEqual(only_start.comparable(), full.comparable())

    def test_topic_info_has_one_endpoint_the_fields_and_the_three_keys(self):
        t = self.m.topic_info(self.name, "front/imu")
        self.assertEqual(len(t.info.endpoints), 1)
        self.assertEqual(t.info.app_metadata, b"")
        self.assertFields(t.schema, IMU2026_SCHEMA)
        self.assertEqual(set(t.schema.metadata),
                         {b"mosaico:context", b"mosaico:properties", b"mosaico:user_metadata"})
        self.assertEqual(t.schema.metadata[b"mosaico:context"], b"topic")
        self.assertEqual(json.loads(t.schema.metadata[b"mosaico:properties"]),
                         {"ontology_tag": "imu", "serialization_format": "default"})
        self.assertEqual(t.user_metadata, {"rel": "front/imu"})
        seq_manifest = self.m.sequence_info(self.name).endpoint(f"{self.name}/front/imu").manifest
        self.assertEqual(t.manifest, seq_manifest)
        self.assertEqual(self.m.topic_info(self.name, "/front/imu/").manifest, t.manifest)

    def test_topic_info_keeps_the_whole_range_with_a_window(self):
        t = self.m.topic_info(self.name, "front/imu", T0 + 10 * STEP, T0 + 11 * STEP)
        self.assertEqual(t.manifest.timestamp, (T0, T0 + 99 * STEP))
        self.assertEqual(t.manifest, self.m.topic_info(self.name, "front/imu").manifest)

    def test_a_topic_without_data_has_no_fields_but_the_three_keys(self):
        for rel in ("empty", "open/imu"):
            with self.subTest(topic=rel):
                t = self.m.topic_info(self.name, rel)
                self.assertEqual(len(t.schema), 0)
                self.assertEqual(t.ontology_tag, "imu")
                self.assertEqual(t.manifest.timestamp, None)
        self.assertEqual(self.m.topic_info(self.name, "empty").manifest.chunks_number, 0)
        self.assertIsNone(self.m.topic_info(self.name, "open/imu").manifest.info)


class SequenceWithoutSessions(Mosaico2026TestCase):
    def test_no_session_no_endpoint_no_range(self):
        name = self.new_sequence("bare", {"x": 1})
        view = self.m.sequence_info(name)
        self.assertEqual((view.sessions, view.endpoints, view.topics), ([], [], []))
        self.assertEqual((view.total_size_bytes, view.timestamp_ns_min, view.timestamp_ns_max), (0, None, None))
        self.assertEqual(view.user_metadata, {"x": 1})


class Refusals(Mosaico2026TestCase):
    def info(self, body):
        cmd = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.m.client.get_flight_info(flight.FlightDescriptor.for_command(cmd))

    def test_unknown_sequence_and_topic_are_not_found(self):
        name = self.new_sequence("nf")
        self.assertStatus("NOT_FOUND", self.info, {"resource_locator": unique("nosuch")})
        self.assertStatus("NOT_FOUND", self.info, {"resource_locator": f"{name}/nosuch"})

    def test_malformed_commands_are_invalid_argument(self):
        name = self.new_sequence("bad")
        for body in (b"", b"{", b"[]", {}, {"resource_locator": 5}, {"resource_locator": ""},
                     {"resource_locator": "a:b:c"}, {"resource_locator": name, "timestamp_ns_start": "abc"},
                     {"resource_locator": name, "timestamp_ns_end": 1.5}):
            with self.subTest(body=body):
                self.assertStatus("INVALID_ARGUMENT", self.info, body)

    def test_a_session_shaped_locator_is_refused(self):
        name = self.new_sequence("sess")
        # a well-formed session locator (<seq>:<26-char ULID>, delta A6) of no session
        self.assertStatusIn(("UNIMPLEMENTED", "NOT_FOUND"), self.info,
                            {"resource_locator": f"{name}:01J00000000000000000000000"})
        self.assertStatus("INVALID_ARGUMENT", self.info, {"resource_locator": f"{name}:01J0000000000000000000000"})

    def test_command_bounds_are_integers_far_above_2_53(self):
        self.assertEqual(json.loads(info_command("a/b", T0, T0 + 1)),
                         {"resource_locator": "a/b", "timestamp_ns_start": T0, "timestamp_ns_end": T0 + 1})


if __name__ == "__main__":
    unittest.main()

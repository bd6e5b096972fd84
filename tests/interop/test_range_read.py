"""The time-range read extension (src/flight/ticket.ts, src/flight/flight_info.ts): GetFlightInfo with a CMD
descriptor `{"topic_range": {"name", "start_ns", "end_ns"}}` returns the topic's FlightInfo with one endpoint
whose ticket DoGet accepts; the rows are exactly those with start_ns <= timestamp_ns <= end_ns, sorted."""
import json
import unittest

import pyarrow.flight as flight

from _sdk import (
    IMU_SCHEMA, T0, MosaicoTestCase, batch_of, imu_rows, read_stream, sorted_rows, unique, upload,
)

STEP = 10
N = 100


def range_descriptor(name, start=None, end=None, **extra) -> flight.FlightDescriptor:
    body = {"name": name}
    if start is not None:
        body["start_ns"] = str(start)
    if end is not None:
        body["end_ns"] = str(end)
    body.update(extra)
    return flight.FlightDescriptor.for_command(json.dumps({"topic_range": body}).encode())


class RangeRead(MosaicoTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seq = unique("range")
        cls.skey = cls.m.sequence_create(cls.seq, {})
        cls.topic = f"{cls.seq}/imu"
        cls.meta = {"range": "test ✓"}
        tkey = cls.m.topic_create(cls.topic, cls.skey, user_metadata=cls.meta)
        cls.rows = imu_rows(N, seed=51, t0=T0, step=STEP)  # timestamps T0, T0+10, ..., T0+990 (shuffled)
        upload(cls.m.client, cls.topic, tkey, IMU_SCHEMA,
               [batch_of(cls.rows[:40], IMU_SCHEMA), batch_of(cls.rows[40:], IMU_SCHEMA)])
        cls.m.sequence_finalize(cls.seq, cls.skey)

    def read_range(self, start, end):
        info = self.m.client.get_flight_info(range_descriptor(self.topic, start, end))
        self.assertEqual(len(info.endpoints), 1)
        self.assertTopicSchema(info.schema, IMU_SCHEMA, user_metadata=self.meta, ontology_tag="imu")
        stream = read_stream(self.m.client, info.endpoints[0].ticket.ticket)
        self.assertTopicSchema(stream.schema, IMU_SCHEMA, user_metadata=self.meta, ontology_tag="imu")
        return stream.rows

    def expected(self, start, end):
        lo = -(2**63) if start is None else start
        hi = 2**63 - 1 if end is None else end
        return sorted_rows([r for r in self.rows if lo <= r["timestamp_ns"] <= hi])

    def test_rows_within_the_range(self):
        for start, end, count in (
            (T0 + 105, T0 + 305, 20),     # between samples
            (T0 + 100, T0 + 300, 21),     # bounds inclusive
            (T0 + 100, T0 + 100, 1),      # a single instant
            (T0 + 99, T0 + 100, 1),       # 1 ns resolution far above 2^53
            (T0 + 100, T0 + 101, 1),
            (T0 + 101, T0 + 109, 0),      # nothing between two samples
            (T0 - 1000, T0 - 1, 0),       # before the data
            (T0 + 990, T0 + 990, 1),      # the last row
            (-(2**63), 2**63 - 1, N),     # everything
        ):
            with self.subTest(start=start - T0, end=end - T0):
                rows = self.read_range(start, end)
                self.assertEqual(len(rows), count)
                self.assertSameRows(rows, self.expected(start, end))

    def test_open_ends(self):
        self.assertSameRows(self.read_range(T0 + 950, None), self.expected(T0 + 950, None))
        self.assertSameRows(self.read_range(None, T0 + 20), self.expected(None, T0 + 20))
        self.assertSameRows(self.read_range(None, None), self.expected(None, None))

    def test_plain_tickets_are_unchanged(self):
        info = self.m.flight_info(self.topic)
        self.assertEqual([e.ticket.ticket for e in info.endpoints], [self.topic.encode()])
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(self.seq).endpoints], [self.topic.encode()])
        self.assertSameRows(read_stream(self.m.client, self.topic.encode()).rows, sorted_rows(self.rows))

    def test_json_integers_are_exact_at_any_int64_size(self):
        # ticket.ts: JSON integers are read exactly, also beyond 2^53 (epoch nanoseconds)
        desc = flight.FlightDescriptor.for_command(json.dumps(
            {"topic_range": {"name": self.topic, "start_ns": -5, "end_ns": 2**53 - 1}}).encode())
        info = self.m.client.get_flight_info(desc)
        self.assertEqual(read_stream(self.m.client, info.endpoints[0].ticket.ticket).rows, [])
        desc = flight.FlightDescriptor.for_command(json.dumps(
            {"topic_range": {"name": self.topic, "start_ns": T0 + 99, "end_ns": T0 + 100}}).encode())
        info = self.m.client.get_flight_info(desc)
        self.assertEqual(len(read_stream(self.m.client, info.endpoints[0].ticket.ticket).rows), 1)

    def test_refusals(self):
        get = self.m.client.get_flight_info
        self.assertStatus("INVALID_ARGUMENT", get, range_descriptor(self.topic, T0 + 10, T0 + 9))
        for bad in ("12a", "1.5", "", " 5", "1e3", str(2**63), str(-(2**63) - 1), "0x10"):
            with self.subTest(start=bad):
                desc = flight.FlightDescriptor.for_command(json.dumps(
                    {"topic_range": {"name": self.topic, "start_ns": bad}}).encode())
                self.assertStatus("INVALID_ARGUMENT", get, desc)
        for value in (2**63, 1.5, True, [1]):
            with self.subTest(number=value):
                desc = flight.FlightDescriptor.for_command(json.dumps(
                    {"topic_range": {"name": self.topic, "start_ns": value}}).encode())
                self.assertStatus("INVALID_ARGUMENT", get, desc)
        self.assertStatus("INVALID_ARGUMENT", get, range_descriptor(self.topic, T0, T0 + 1, columns=["x"]))
        self.assertStatus("INVALID_ARGUMENT", get, range_descriptor(f"{self.seq}/../x", T0, T0 + 1))
        self.assertStatus("INVALID_ARGUMENT", get, range_descriptor(self.seq, T0, T0 + 1))
        self.assertStatus("NOT_FOUND", get, range_descriptor(f"{self.seq}/missing", T0, T0 + 1))
        self.assertStatus("NOT_FOUND", get, range_descriptor(f"{unique('ghost')}/t", T0, T0 + 1))

    def test_schema_only_topic_has_no_range_info(self):
        seq, skey = self.new_sequence()
        tkey = self.m.topic_create(f"{seq}/empty", skey)
        upload(self.m.client, f"{seq}/empty", tkey, IMU_SCHEMA, [])
        self.assertStatus("NOT_FOUND", self.m.client.get_flight_info, range_descriptor(f"{seq}/empty", 0, 10))


if __name__ == "__main__":
    unittest.main()

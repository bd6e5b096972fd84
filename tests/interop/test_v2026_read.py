"""2026 protocol, sections 7.3 and 7.4: opaque tickets from GetFlightInfo, DoGet windows `[start, end)` with
exact counts, rows sorted by timestamp_ns across batches/chunks, no zero-row batch before the end, the
metadata on the DoGet schema, the sequence streamer, and early cancellation."""
import unittest

import pyarrow.flight as flight

from _sdk2026 import (
    GPS2026_SCHEMA, IMU2026_SCHEMA, T0, Mosaico2026TestCase, batches_of, gps2026_rows, imu2026_rows,
    sorted_rows, unique, upload,
)

STEP = 10
N = 200


class Windows(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        m = cls.m
        cls.name = unique("win")
        m.sequence_create(cls.name, {})
        session = m.session_create(cls.name)
        cls.rows = imu2026_rows(N, seed=21, t0=T0, step=STEP)  # T0, T0+10, ..., T0+1990, shuffled
        cls.meta = {"read": "ü"}
        loc = f"{cls.name}/imu"
        tu = m.topic_create(loc, session, user_metadata=cls.meta)
        # overlapping batches: every batch spans the whole range
        upload(m.client, loc, tu, IMU2026_SCHEMA, batches_of(cls.rows, IMU2026_SCHEMA, 37))
        m.session_finalize(session)

    def window(self, start, end):
        return [r for r in sorted_rows(self.rows)
                if (start is None or r["timestamp_ns"] >= start) and (end is None or r["timestamp_ns"] < end)]

    def test_windows_start_inclusive_end_exclusive(self):
        cases = [
            (T0 + 100, T0 + 300, 20),      # on samples: 100 in, 300 out
            (T0 + 105, T0 + 305, 20),      # between samples
            (T0 + 100, T0 + 101, 1),       # 1 ns resolution far above 2^53
            (T0 + 99, T0 + 100, 0),
            (T0 + 100, T0 + 100, 0),       # empty window
            (T0 + 300, T0 + 100, 0),       # start > end: accepted, empty
            (T0, None, N), (None, T0 + STEP * N, N), (None, T0 + STEP * (N - 1), N - 1),
            (T0 + STEP * (N - 1), None, 1), (None, T0, 0), (T0 + STEP * N, None, 0),
            (None, None, N), (-(2**63), 2**63 - 1, N),
        ]
        for start, end, count in cases:
            with self.subTest(start=start, end=end):
                stream = self.m.read_topic(self.name, "imu", start, end)
                self.assertEqual(stream.table.num_rows, count)
                self.assertSameRows(stream.rows, self.window(start, end))
                self.assertFields(stream.schema, IMU2026_SCHEMA)
                self.assertEqual(stream.metadata["mosaico:user_metadata"], self.meta)
                props = stream.metadata["mosaico:properties"]
                self.assertEqual({k: props[k] for k in ("ontology_tag", "serialization_format")},
                                 {"ontology_tag": "imu", "serialization_format": "default"})
                if "msg_count" in props:  # delta B8: the 0.6 SDK's message count of the stream
                    self.assertEqual(props["msg_count"], count)
                self.assertEqual(stream.metadata["mosaico:context"], "topic")

    def test_a_ticket_reads_the_same_every_time(self):
        ticket = self.m.topic_info(self.name, "imu", T0 + 500, T0 + 700).ticket
        first = self.m.read(ticket).rows
        self.assertEqual(len(first), 20)
        self.assertSameRows(self.m.read(ticket).rows, first)

    def test_sequence_tickets_carry_the_window(self):
        view = self.m.sequence_info(self.name, T0 + 1000, T0 + 1100)
        [e] = view.endpoints
        self.assertSameRows(self.m.read(e.ticket).rows, self.window(T0 + 1000, T0 + 1100))

    def test_early_cancellation_leaves_the_connection_serving(self):
        ticket = self.m.topic_info(self.name, "imu").ticket
        for _ in range(3):
            reader = self.m.client.do_get(flight.Ticket(ticket))
            reader.read_chunk()
            reader.cancel()
        reader = self.m.client.do_get(flight.Ticket(ticket))
        reader.cancel()  # before reading anything
        self.assertEqual(self.m.read(ticket).table.num_rows, N)
        self.m.version()

    def test_undecodable_tickets_are_invalid_argument(self):
        for ticket in (b"\xff\xfe\x00", b"\x00", b"\x01\x02garbage\xff"):
            with self.subTest(ticket=ticket):
                self.assertStatus("INVALID_ARGUMENT", self.m.read, ticket)

    def test_a_ticket_of_a_deleted_topic_is_not_found(self):
        name, session = self.new_session("gone")
        self.put_topic(name, session, "t", IMU2026_SCHEMA, imu2026_rows(3))
        ticket = self.m.topic_info(name, "t").ticket
        self.m.sequence_delete(name)
        self.assertStatus("NOT_FOUND", self.m.read, ticket)


class SortedAcrossChunks(Mosaico2026TestCase):
    def test_rows_are_sorted_across_many_batches_and_no_zero_row_batch_comes_before_the_end(self):
        name, session = self.new_session("sorted")
        rows = imu2026_rows(3000, seed=31, step=7)  # shuffled, so every batch overlaps every other
        self.put_topic(name, session, "t", IMU2026_SCHEMA, rows, batch_rows=250)
        stream = self.m.read_topic(name, "t")  # read_stream rejects a zero-row batch mid-stream
        self.assertRows(stream, rows)
        ts = [r["timestamp_ns"] for r in stream.rows]
        self.assertEqual(ts, sorted(ts))
        windowed = self.m.read_topic(name, "t", T0 + 7 * 1000, T0 + 7 * 1500)
        self.assertEqual(windowed.table.num_rows, 500)


class SequenceStreamer(Mosaico2026TestCase):
    def test_all_topics_merged_by_timestamp_within_the_window(self):
        name, session = self.new_session("merge")
        imu = imu2026_rows(90, seed=41, t0=T0, step=20)
        gps = gps2026_rows(60, seed=42, t0=T0 + 5, step=30)
        self.put_topic(name, session, "imu", IMU2026_SCHEMA, imu, batch_rows=25)
        self.put_topic(name, session, "gps", GPS2026_SCHEMA, gps, batch_rows=25, ontology_tag="gps")
        self.put_topic(name, session, "empty", IMU2026_SCHEMA, [])
        self.m.session_finalize(session)
        start, end = T0 + 300, T0 + 1200
        merged = self.m.read_sequence(name, start, end)
        expected = sorted([("/imu", r) for r in imu if start <= r["timestamp_ns"] < end]
                          + [("/gps", r) for r in gps if start <= r["timestamp_ns"] < end],
                          key=lambda p: p[1]["timestamp_ns"])
        self.assertEqual([(t, r["timestamp_ns"]) for t, r in merged], [(t, r["timestamp_ns"]) for t, r in expected])
        only_gps = self.m.read_sequence(name, topics=["/gps"])
        self.assertEqual(len(only_gps), 60)

    def test_many_do_get_streams_at_once_on_one_connection(self):
        name, session = self.new_session("fanout")
        topics = {}
        for i in range(6):
            rows = imu2026_rows(2000, seed=50 + i, step=3)
            self.put_topic(name, session, f"t{i}", IMU2026_SCHEMA, rows, batch_rows=400)
            topics[f"t{i}"] = rows
        readers = {rel: self.m.client.do_get(flight.Ticket(self.m.topic_info(name, rel).ticket)) for rel in topics}
        got = {rel: [] for rel in topics}
        live = dict(readers)
        while live:  # interleaved, a chunk at a time
            for rel in list(live):
                try:
                    got[rel].extend(live[rel].read_chunk().data.to_pylist())
                except StopIteration:
                    del live[rel]
        for rel, rows in topics.items():
            self.assertSameRows(got[rel], sorted_rows(rows))
        self.m.version()


if __name__ == "__main__":
    unittest.main()

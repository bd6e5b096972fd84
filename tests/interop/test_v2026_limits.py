"""2026 protocol, sections 1.1, 1.4 and 12: a 17 MiB single-record batch, one connection carrying many
concurrent long-idle DoPut and DoGet streams alongside actions, and gzip/deflate-compressed requests accepted
whatever the server's options (MOSAICOD_IDLE_SECONDS sets how long streams stay idle, default 2)."""
import os
import random
import time
import unittest

import pyarrow.flight as flight

from _sdk2026 import (
    IMAGE2026_SCHEMA, IMU2026_SCHEMA, T0, Mosaico2026, Mosaico2026TestCase, SequenceWriter, TopicWriter,
    batch_of, connect, imu2026_rows, sorted_rows, unique,
)

IDLE_SECONDS = float(os.environ.get("MOSAICOD_IDLE_SECONDS", "2"))
MIB = 1024 * 1024


def blob_rows(n, size, *, seed, t0=T0, step=1000):
    rng = random.Random(seed)
    return [{"timestamp_ns": t0 + i * step, "recording_timestamp_ns": None, "frame_id": f"f{i}",
             "sequence_id": i, "data": rng.randbytes(size), "format": "raw", "encoding": "mono8",
             "width": size, "height": 1, "stride": size, "is_bigendian": False} for i in range(n)]


class LargeMessages(Mosaico2026TestCase):
    def test_a_17_mib_single_record_batch_is_accepted_and_read_back(self):
        name, session = self.new_session("big")
        rows = blob_rows(1, 17 * MIB, seed=1)
        batch = batch_of(rows, IMAGE2026_SCHEMA)
        self.assertGreater(batch.nbytes, 17 * MIB)
        self.put_topic(name, session, "cam", IMAGE2026_SCHEMA, rows, ontology_tag="image",
                       serialization_format="image")
        self.m.session_finalize(session)
        got = self.m.read_topic(name, "cam").rows
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["data"], rows[0]["data"])
        self.assertEqual(self.m.topic_info(name, "cam").manifest.timestamp, (T0, T0))


class OneConnection(Mosaico2026TestCase):
    def test_many_concurrent_long_idle_streams_and_actions_on_one_connection(self):
        m = self.m  # one FlightClient: one gRPC channel, one HTTP/2 connection
        # a topic to read while the uploads are open
        src, src_session = self.new_session("conc_src")
        src_rows = imu2026_rows(6000, seed=5, step=11)
        self.put_topic(src, src_session, "t", IMU2026_SCHEMA, src_rows, batch_rows=500)
        ticket = m.topic_info(src, "t").ticket

        name = unique("conc")
        expected = {}
        with SequenceWriter(m, name) as w:
            writers = [w.topic_create(f"cam{i}", IMAGE2026_SCHEMA, ontology_tag="image", serialization_format="image")
                       for i in range(8)]
            self.assertTrue(all(isinstance(tw, TopicWriter) for tw in writers))
            for i, tw in enumerate(writers):  # ~1 MiB per stream: beyond any initial HTTP/2 window
                rows = blob_rows(4, 256 * 1024, seed=10 + i)
                expected[f"cam{i}"] = rows
                tw.write_batch(batch_of(rows, IMAGE2026_SCHEMA))
            time.sleep(IDLE_SECONDS)
            m.version()
            m.notification_create("sequence", name, "while streaming")
            self.assertEqual(len(m.sequence_info(name).endpoints), 8)
            readers = [m.client.do_get(flight.Ticket(ticket)) for _ in range(4)]
            firsts = [r.read_chunk().data for r in readers]
            time.sleep(IDLE_SECONDS)
            for i, tw in enumerate(writers):
                more = blob_rows(4, 256 * 1024, seed=100 + i, t0=T0 + 10**9)
                expected[f"cam{i}"] += more
                tw.write_batch(batch_of(more, IMAGE2026_SCHEMA))
            self.assertEqual([n.msg for n in m.notification_list("sequence", name)], ["while streaming"])
            time.sleep(IDLE_SECONDS)
            got = []
            for first, r in zip(firsts, readers):
                rows = first.to_pylist()
                while True:
                    try:
                        rows += r.read_chunk().data.to_pylist()
                    except StopIteration:
                        break
                got.append(rows)
        for rows in got:
            self.assertSameRows(rows, sorted_rows(src_rows))
        view = m.sequence_info(name)
        self.assertTrue(view.sessions[0].locked)
        for rel, rows in expected.items():
            stream = m.read_topic(name, rel)
            self.assertEqual([r["data"] for r in stream.rows], [r["data"] for r in sorted_rows(rows)])


class Compression(Mosaico2026TestCase):
    def roundtrip(self, client):
        m = Mosaico2026(client)
        try:
            name = unique("zip")
            rows = imu2026_rows(2000, seed=7)
            with SequenceWriter(m, name, {"compressed": True}) as w:
                tw = w.topic_create("t", IMU2026_SCHEMA)
                for r in rows:
                    tw.push(r)
            self.assertRows(m.read_topic(name, "t"), rows)
            self.assertEqual(m.sequence_info(name).user_metadata, {"compressed": True})
            self.assertEqual([i.sequence for i in m.query({"sequence": {"locator": {"$eq": name}}})], [name])
            m.sequence_delete(name)
        finally:
            m.close()

    def test_gzip_requests_are_always_accepted(self):
        self.roundtrip(connect(gzip=True))

    def test_deflate_requests_are_always_accepted(self):
        self.roundtrip(connect(compression=1))

if __name__ == "__main__":
    unittest.main()

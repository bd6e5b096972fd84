"""The SDK's normal upload flow (protocol 5.2, 13) and reading it back (7.2, 7.3, 8).

One sequence, four topics uploaded concurrently over a pool of FlightClient connections (two streams share
one connection), every DoPut stream opened before any batch is written, batches written from several
threads as buffers fill, then each stream half-closed and closed in turn, then sequence_finalize. Then
every read the SDK makes: GetFlightInfo of the sequence and of each topic, DoGet of each topic, the
sequence streamer (all DoGets opened at once on the control connection) and the system info.
"""
import heapq
import random
import threading
import time
import unittest

import pyarrow.flight as flight

from _sdk import (
    IMU_SCHEMA, SCALARS_SCHEMA, MosaicoTestCase, batch_of, connect, decode_metadata, grpc_code, imu_rows,
    put_command, read_stream, scalar_rows, sorted_rows, unique,
)

BIG_BLOB = 6 * 1024 * 1024 + 123


def _split(rows, rng):
    out = []
    i = 0
    while i < len(rows):
        n = rng.randint(20, 120)
        out.append(rows[i:i + n])
        i += n
    return out


class SdkUploadFlow(MosaicoTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seq = unique("flow")
        cls.seq_meta = {"mission": "concurrent upload", "robot": {"id": 7, "arms": ["left", "right"]},
                        "ok": True, "ratio": 0.25, "none": None}
        cls.skey = cls.m.sequence_create(cls.seq, cls.seq_meta)
        cls.topics = {
            "/imu/front": dict(schema=IMU_SCHEMA, rows=imu_rows(400, seed=11), tag="imu", fmt="default",
                               meta={"sensor": "front", "rate_hz": 200}),
            "/camera/left/imu": dict(schema=IMU_SCHEMA, rows=imu_rows(250, seed=12, step=999_983), tag="imu",
                                     fmt="ragged", meta={"sensor": "left"}),
            "/scalars": dict(schema=SCALARS_SCHEMA, rows=scalar_rows(300, seed=13, big_blob=BIG_BLOB),
                             tag="scalars", fmt="image", meta={}),
            "/gps": dict(schema=SCALARS_SCHEMA, rows=scalar_rows(60, seed=14, step=5_000_011), tag="gps",
                         fmt="default", meta={"interface": {"type": "UART"}}),
        }
        pool = [connect() for _ in range(3)]
        cls.pool = pool
        writers = {}
        rng = random.Random(3)
        for i, (rel, t) in enumerate(cls.topics.items()):
            name = cls.seq + rel
            tkey = cls.m.topic_create(name, cls.skey, ontology_tag=t["tag"], serialization_format=t["fmt"],
                                      user_metadata=t["meta"])
            # SequenceWriter.topic_create opens the DoPut at once, on the next pool connection
            writer, _ = pool[i % len(pool)].do_put(
                flight.FlightDescriptor.for_command(put_command(name, tkey)), t["schema"])
            writers[rel] = writer
            t["batches"] = [batch_of(chunk, t["schema"]) for chunk in _split(t["rows"], rng)]

        # every stream is open; the control connection keeps working alongside
        cls.during = {rel: cls.m.topic_system_info(cls.seq + rel) for rel in cls.topics}
        try:
            cls.m.sequence_finalize(cls.seq, cls.skey)
            cls.finalize_during = "OK"
        except Exception as err:  # noqa: BLE001
            cls.finalize_during = f"{grpc_code(err)}: {err}"

        barrier = threading.Barrier(len(writers))
        errors = []

        def produce(rel):
            try:
                barrier.wait()
                for batch in cls.topics[rel]["batches"]:
                    writers[rel].write_batch(batch)
                    time.sleep(0.001)
            except Exception as err:  # noqa: BLE001
                errors.append((rel, err))

        threads = [threading.Thread(target=produce, args=(rel,)) for rel in writers]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        # the end of the `with` block: each stream half-closed and closed, one after the other
        for rel, writer in writers.items():
            try:
                writer.done_writing()
                writer.close()
            except Exception as err:  # noqa: BLE001
                errors.append((rel, err))
        if errors:
            raise AssertionError(f"uploads failed: {[(rel, grpc_code(e), str(e)) for rel, e in errors]}")
        cls.after_close = {rel: cls.m.topic_system_info(cls.seq + rel) for rel in cls.topics}
        cls.m.sequence_finalize(cls.seq, cls.skey)

    @classmethod
    def tearDownClass(cls):
        for c in cls.pool:
            c.close()
        super().tearDownClass()

    # --- during and right after the upload

    def test_topics_were_unlocked_while_streams_were_open(self):
        for rel, info in self.during.items():
            with self.subTest(topic=rel):
                self.assertEqual((info.is_locked, info.chunks_number, info.total_size_bytes), (False, 0, 0))
        self.assertTrue(self.finalize_during.startswith("FAILED_PRECONDITION"), self.finalize_during)

    def test_topics_are_locked_as_soon_as_close_returns(self):
        for rel, info in self.after_close.items():
            with self.subTest(topic=rel):
                self.assertTrue(info.is_locked)
                self.assertGreaterEqual(info.chunks_number, 1)
                self.assertGreater(info.total_size_bytes, 0)

    # --- reads

    def test_list_flights_lists_the_sequence(self):
        infos = [i for i in self.m.client.list_flights() if i.descriptor.path == [self.seq.encode()]]
        self.assertEqual(len(infos), 1)
        info = infos[0]
        self.assertEqual(info.descriptor.descriptor_type, flight.DescriptorType.PATH)
        self.assertEqual([e.ticket.ticket for e in info.endpoints], [self.seq.encode()])
        self.assertEqual((info.total_records, info.total_bytes), (-1, -1))

    def test_sequence_flight_info(self):
        info = self.m.flight_info(self.seq)
        self.assertEqual(info.descriptor.path, [self.seq.encode()])
        tickets = [e.ticket.ticket for e in info.endpoints]
        self.assertCountEqual(tickets, [(self.seq + rel).encode() for rel in self.topics])
        for e in info.endpoints:
            self.assertEqual(list(e.locations), [])
        # how the SDK turns tickets back into (sequence, topic): split at the first "/"
        split = [t.decode().split("/", 1) for t in tickets]
        self.assertEqual({s for s, _ in split}, {self.seq})
        self.assertCountEqual(["/" + rest for _, rest in split], list(self.topics))
        self.assertEqual(len(info.schema), 0)
        self.assertEqual(set(info.schema.metadata), {b"mosaico:context", b"mosaico:user_metadata"})
        meta = decode_metadata(info.schema)
        self.assertEqual(meta["mosaico:context"], "sequence")
        self.assertEqual(meta["mosaico:user_metadata"], self.seq_meta)
        self.assertEqual((info.total_records, info.total_bytes), (-1, -1))

    def test_topic_flight_info(self):
        for rel, t in self.topics.items():
            with self.subTest(topic=rel):
                name = self.seq + rel
                info = self.m.flight_info(name)
                self.assertTopicSchema(info.schema, t["schema"], user_metadata=t["meta"],
                                       ontology_tag=t["tag"], serialization_format=t["fmt"])
                self.assertEqual([e.ticket.ticket for e in info.endpoints], [name.encode()])
                self.assertEqual(list(info.endpoints[0].locations), [])
                self.assertIn(info.total_records, (-1, len(t["rows"])))

    def test_doget_returns_every_row_sorted_and_bit_exact(self):
        for rel, t in self.topics.items():
            with self.subTest(topic=rel):
                stream = read_stream(self.m.client, (self.seq + rel).encode())
                self.assertTopicSchema(stream.schema, t["schema"], user_metadata=t["meta"],
                                       ontology_tag=t["tag"], serialization_format=t["fmt"])
                rows = stream.rows
                ts = [r["timestamp_ns"] for r in rows]
                self.assertEqual(ts, sorted(ts))
                self.assertSameRows(rows, sorted_rows(t["rows"]))

    def test_multi_mib_binary_value_round_trips(self):
        rows = read_stream(self.m.client, f"{self.seq}/scalars".encode()).rows
        big = [r["blob"] for r in rows if r["blob"] is not None and len(r["blob"]) == BIG_BLOB]
        expected = [r["blob"] for r in self.topics["/scalars"]["rows"]
                    if r["blob"] is not None and len(r["blob"]) == BIG_BLOB]
        self.assertEqual(len(big), 1)
        self.assertTrue(big[0] == expected[0])

    def test_sequence_streamer_opens_every_topic_at_once_and_merges(self):
        # SequenceDataStreamer: one DoGet per endpoint, all on the control connection, merged by time
        info = self.m.flight_info(self.seq)
        readers = [self.m.client.do_get(e.ticket) for e in info.endpoints]
        for reader in readers:
            self.assertEqual(decode_metadata(reader.schema)["mosaico:context"], "topic")
        pending = list(range(len(readers)))
        per_topic = [[] for _ in readers]
        while pending:  # read the streams interleaved
            for i in list(pending):
                try:
                    chunk = readers[i].read_chunk()
                except StopIteration:
                    pending.remove(i)
                    continue
                per_topic[i].extend(chunk.data.column("timestamp_ns").to_pylist())
        merged = list(heapq.merge(*per_topic))
        self.assertEqual(len(merged), sum(len(t["rows"]) for t in self.topics.values()))
        for ts in per_topic:
            self.assertEqual(ts, sorted(ts))

    def test_system_info_after_finalize(self):
        seq_info = self.m.sequence_system_info(self.seq)
        self.assertTrue(seq_info.is_locked)
        self.assertDatetime(seq_info.created_datetime)
        topic_total = 0
        for rel in self.topics:
            info = self.m.topic_system_info(self.seq + rel)
            self.assertTrue(info.is_locked)
            self.assertDatetime(info.created_datetime)
            topic_total += info.total_size_bytes
            self.assertEqual(self.m.topic_system_info(self.seq + rel), info)
        self.assertGreater(seq_info.total_size_bytes, BIG_BLOB // 2)
        self.assertGreaterEqual(seq_info.total_size_bytes, topic_total)
        self.assertEqual(self.m.sequence_system_info(self.seq), seq_info)


if __name__ == "__main__":
    unittest.main()

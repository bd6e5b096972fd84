"""DoPut (protocol 6): what is accepted (large and many batches) and what is refused, with the topic left
unlocked and without data after every refusal, so that a correct upload can follow.

pyarrow cannot send a stream without descriptor, a second schema, or a batch whose layout differs from the
schema; those streams are sent with the small raw HTTP/2 client in _rawflight.py.
"""
import json
import random
import unittest

import pyarrow as pa
import pyarrow.flight as flight

import _rawflight as rf
from _sdk import (
    IMU_SCHEMA, SCALARS_SCHEMA, T0, URL, MosaicoTestCase, batch_of, batches_of, imu_rows, put_command,
    read_stream, scalar_rows, sorted_rows, upload, upload_error,
)

SIMPLE = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("v", pa.int64())])


def simple_batch(n: int, start: int = 0, schema: pa.Schema = SIMPLE) -> pa.RecordBatch:
    return pa.record_batch([pa.array([T0 + i for i in range(start, start + n)], pa.int64()),
                            pa.array(list(range(start, start + n)), pa.int64())], schema=schema)


class DoPutTestCase(MosaicoTestCase):
    def fresh_topic(self, seq=None, skey=None, name="t"):
        if seq is None:
            seq, skey = self.new_sequence()
        topic = f"{seq}/{name}"
        return seq, skey, topic, self.m.topic_create(topic, skey)

    def assertUntouched(self, topic):
        info = self.m.topic_system_info(topic)
        self.assertEqual((info.is_locked, info.chunks_number, info.total_size_bytes), (False, 0, 0))
        self.assertStatus("NOT_FOUND", self.m.flight_info, topic)

    def assertStillUploadable(self, topic, key):
        upload(self.m.client, topic, key, SIMPLE, [simple_batch(3)])
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.column("v").to_pylist(), [0, 1, 2])


class Accepted(DoPutTestCase):
    def test_a_record_batch_of_15_mib_is_accepted(self):
        # the SDK sends single-record batches up to 16 MiB
        seq, skey, topic, key = self.fresh_topic()
        rows = scalar_rows(2, seed=21)
        rows[0]["blob"] = random.Random(5).randbytes(15 * 1024 * 1024 + 512 * 1024)
        upload(self.m.client, topic, key, SCALARS_SCHEMA, [batch_of(rows, SCALARS_SCHEMA)])
        got = read_stream(self.m.client, topic.encode()).rows
        self.assertSameRows(got, sorted_rows(rows))

    def test_many_small_batches(self):
        seq, skey, topic, key = self.fresh_topic()
        rows = imu_rows(300, seed=22)
        upload(self.m.client, topic, key, IMU_SCHEMA, batches_of(rows, IMU_SCHEMA, 1))
        self.assertSameRows(read_stream(self.m.client, topic.encode()).rows, sorted_rows(rows))
        self.assertEqual(self.m.topic_system_info(topic).chunks_number, 1)

    def test_messages_split_across_http2_frames_anywhere(self):
        # gRPC messages are not aligned with HTTP/2 DATA frames: a FlightData may start in one frame and end
        # in the next, at any byte. The first message is padded (spaces in the JSON command) so that the
        # 16 KiB frame boundary falls at offset `off` of the next, small, record batch message.
        header, _ = rf.ipc_message(SIMPLE)
        bh, bb = rf.ipc_message(simple_batch(1))
        small = rf.flight_data(None, bh, bb)
        framed = len(small) + 5
        failures = []
        offsets = sorted(set(range(0, framed, 4)) | {framed - 1})
        for off in offsets:
            seq, skey, topic, key = self.fresh_topic()
            cmd = put_command(topic, key)
            first = rf.flight_data(rf.cmd_descriptor(cmd), header)
            for _ in range(10):  # pad to size (the length varints may grow by a byte)
                delta = 16384 - off - (len(first) + 5)
                if delta == 0:
                    break
                cmd = cmd + b" " * delta if delta > 0 else cmd[:delta]
                first = rf.flight_data(rf.cmd_descriptor(cmd), header)
            self.assertEqual(len(first) + 5, 16384 - off)
            r = rf.call(URL, "DoPut", [first, small, rf.flight_data(None, *rf.ipc_message(simple_batch(1, 1)))])
            if r.status != "OK":
                failures.append((off, r.status, r.message))
            elif read_stream(self.m.client, topic.encode()).table.column("v").to_pylist() != [0, 1]:
                failures.append((off, "rows", read_stream(self.m.client, topic.encode()).rows))
        if failures:
            self.fail(f"{len(failures)} of {len(offsets)} split offsets fail (the record batch message is "
                      f"{framed} bytes framed): offsets {[f[0] for f in failures]}; first: {failures[0]}")

    def test_many_tiny_batches_back_to_back(self):
        seq, skey, topic, key = self.fresh_topic()
        batches = [simple_batch(1, i) for i in range(500)]
        upload(self.m.client, topic, key, SIMPLE, batches)
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.column("v").to_pylist(), list(range(500)))

    def test_unsorted_and_duplicate_timestamps_are_kept_and_sorted(self):
        seq, skey, topic, key = self.fresh_topic()
        ts = [T0 + 5, T0 + 1, T0 + 5, T0 - 3, T0 + 1, -7, 0, 2**63 - 1, -(2**63)]
        batch = pa.record_batch([pa.array(ts, pa.int64()), pa.array(range(len(ts)), pa.int64())], schema=SIMPLE)
        upload(self.m.client, topic, key, SIMPLE, [batch.slice(0, 4), batch.slice(4)])
        table = read_stream(self.m.client, topic.encode()).table
        self.assertEqual(table.column("timestamp_ns").to_pylist(), sorted(ts))
        self.assertCountEqual(table.column("v").to_pylist(), list(range(len(ts))))

    def test_empty_batches_in_the_stream_are_harmless(self):
        seq, skey, topic, key = self.fresh_topic()
        upload(self.m.client, topic, key, SIMPLE, [simple_batch(0), simple_batch(2), simple_batch(0),
                                                   simple_batch(2, start=2)])
        stream = read_stream(self.m.client, topic.encode())
        self.assertEqual(stream.table.column("v").to_pylist(), [0, 1, 2, 3])

    def test_raw_client_sanity_a_well_formed_stream_is_ok(self):
        # proves that the raw client's refusals below come from the server, not from the client
        seq, skey, topic, key = self.fresh_topic()
        header, _ = rf.ipc_message(SIMPLE)
        bh, bb = rf.ipc_message(simple_batch(3))
        r = rf.call(URL, "DoPut", [rf.flight_data(rf.cmd_descriptor(put_command(topic, key)), header),
                                   rf.flight_data(None, bh, bb)])
        self.assertEqual(r.status, "OK", r.message)
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.column("v").to_pylist(), [0, 1, 2])


class Refused(DoPutTestCase):
    def test_path_descriptor_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        err = upload_error(self.m.client, topic, key, SIMPLE, [simple_batch(2)],
                           descriptor=flight.FlightDescriptor.for_path(topic))
        self.assertUploadStatus("INVALID_ARGUMENT", err)
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)

    def test_bad_commands_are_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        commands = [
            b"", b"not json", b"{", b"[]", b'"topic"', b"\xff\xfe", b"null",
            json.dumps({"topic": "x"}).encode(),
            json.dumps({"topic": {"name": topic}}).encode(),
            json.dumps({"topic": {"key": key}}).encode(),
            json.dumps({"topic": {"name": 5, "key": key}}).encode(),
            json.dumps({"topic": {"name": topic, "key": 5}}).encode(),
            json.dumps({"sequence": {"name": topic, "key": key}}).encode(),
            json.dumps({"topic": {"name": topic, "key": key}, "sequence": {}}).encode(),
        ]
        for cmd in commands:
            with self.subTest(cmd=cmd):
                err = upload_error(self.m.client, topic, key, SIMPLE, [simple_batch(1)],
                                   descriptor=flight.FlightDescriptor.for_command(cmd))
                self.assertUploadStatus("INVALID_ARGUMENT", err)
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)

    def test_schema_without_an_int64_timestamp_ns_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        schemas = {
            "missing": pa.schema([pa.field("t", pa.int64()), pa.field("v", pa.int64())]),
            "other case": pa.schema([pa.field("Timestamp_ns", pa.int64()), pa.field("v", pa.int64())]),
            "only nested": pa.schema([pa.field("h", pa.struct([pa.field("timestamp_ns", pa.int64())]))]),
            "int32": pa.schema([pa.field("timestamp_ns", pa.int32(), nullable=False)]),
            "uint64": pa.schema([pa.field("timestamp_ns", pa.uint64(), nullable=False)]),
            "float64": pa.schema([pa.field("timestamp_ns", pa.float64(), nullable=False)]),
            "timestamp[ns]": pa.schema([pa.field("timestamp_ns", pa.timestamp("ns"), nullable=False)]),
            "utf8": pa.schema([pa.field("timestamp_ns", pa.string(), nullable=False)]),
            "empty": pa.schema([]),
        }
        for label, schema in schemas.items():
            with self.subTest(schema=label):
                batch = pa.RecordBatch.from_pylist([], schema=schema)
                for batches in ([], [batch]):
                    self.assertUploadStatus("INVALID_ARGUMENT",
                                            upload_error(self.m.client, topic, key, schema, batches))
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)

    def test_second_upload_to_a_locked_topic_is_failed_precondition(self):
        seq, skey, topic, key = self.fresh_topic()
        rows = imu_rows(12, seed=31)
        upload(self.m.client, topic, key, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        info = self.m.topic_system_info(topic)
        fi = self.m.flight_info(topic)
        for batches in ([batch_of(imu_rows(5, seed=32), IMU_SCHEMA)], []):
            with self.subTest(batches=len(batches)):
                self.assertUploadStatus("FAILED_PRECONDITION",
                                        upload_error(self.m.client, topic, key, IMU_SCHEMA, batches))
        self.assertUploadStatus("FAILED_PRECONDITION",
                                upload_error(self.m.client, topic, key, SIMPLE, [simple_batch(2)]))
        self.assertEqual(self.m.topic_system_info(topic), info)
        self.assertTrue(self.m.flight_info(topic).schema.equals(fi.schema, check_metadata=True))
        self.assertSameRows(read_stream(self.m.client, topic.encode()).rows, sorted_rows(rows))

    def test_no_descriptor_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        header, _ = rf.ipc_message(SIMPLE)
        bh, bb = rf.ipc_message(simple_batch(2))
        r = rf.call(URL, "DoPut", [rf.flight_data(None, header), rf.flight_data(None, bh, bb)])
        self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)
        self.assertUntouched(topic)

    def test_empty_stream_is_invalid_argument(self):
        r = rf.call(URL, "DoPut", [])
        self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)

    def test_first_message_without_schema_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        bh, bb = rf.ipc_message(simple_batch(2))
        desc = rf.cmd_descriptor(put_command(topic, key))
        for first in (rf.flight_data(desc), rf.flight_data(desc, bh, bb)):
            with self.subTest(first=first[:40]):
                r = rf.call(URL, "DoPut", [first, rf.flight_data(None, bh, bb)])
                self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)

    def test_second_schema_message_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        header, _ = rf.ipc_message(SIMPLE)
        bh, bb = rf.ipc_message(simple_batch(2))
        desc = rf.cmd_descriptor(put_command(topic, key))
        r = rf.call(URL, "DoPut", [rf.flight_data(desc, header), rf.flight_data(None, bh, bb),
                                   rf.flight_data(None, header), rf.flight_data(None, bh, bb)])
        self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)

    def test_batch_whose_schema_differs_from_the_first_message_is_invalid_argument(self):
        seq, skey, topic, key = self.fresh_topic()
        header, _ = rf.ipc_message(SIMPLE)
        good_h, good_b = rf.ipc_message(simple_batch(2))
        desc = rf.cmd_descriptor(put_command(topic, key))
        as_text = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("v", pa.string())])
        as_struct = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False),
                               pa.field("v", pa.struct([pa.field("a", pa.int64()), pa.field("b", pa.int64())]))])
        fewer = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False)])
        more = SIMPLE.append(pa.field("w", pa.float64()))
        n = 4
        others = {
            "utf8 instead of int64": pa.record_batch(
                [pa.array([T0 + i for i in range(n)], pa.int64()), pa.array(["abcdefgh" * 3] * n)], schema=as_text),
            "struct instead of int64": pa.record_batch(
                [pa.array([T0 + i for i in range(n)], pa.int64()),
                 pa.array([{"a": i, "b": i} for i in range(n)], as_struct.field("v").type)], schema=as_struct),
            "fewer columns": pa.record_batch([pa.array([T0 + i for i in range(n)], pa.int64())], schema=fewer),
            "more columns": pa.record_batch([pa.array([T0 + i for i in range(n)], pa.int64()),
                                             pa.array(range(n), pa.int64()), pa.array([0.5] * n)], schema=more),
        }
        for label, batch in others.items():
            with self.subTest(batch=label):
                bh, bb = rf.ipc_message(batch)
                r = rf.call(URL, "DoPut", [rf.flight_data(desc, header), rf.flight_data(None, good_h, good_b),
                                           rf.flight_data(None, bh, bb)])
                self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)
                self.assertUntouched(topic)
        # a body shorter than the batch header announces
        r = rf.call(URL, "DoPut", [rf.flight_data(desc, header), rf.flight_data(None, good_h, good_b[:8])])
        self.assertEqual(r.status, "INVALID_ARGUMENT", r.message)
        self.assertUntouched(topic)
        self.assertStillUploadable(topic, key)


if __name__ == "__main__":
    unittest.main()

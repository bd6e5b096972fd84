"""Clients that go away (protocol checklist 13): the SDK cancels DoGet streams early, and a process that
dies mid-upload must leave its topic unlocked, without visible rows, and the sequence abortable."""
import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import pyarrow.flight as flight

from _sdk import (
    SCALARS_SCHEMA, IMU_SCHEMA, T0, URL, MosaicoTestCase, batch_of, connect, imu_rows, put_command, read_stream,
    scalar_rows, sorted_rows, unique, upload,
)

HERE = os.path.dirname(os.path.abspath(__file__))


class CancelledReads(MosaicoTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seq = seq = unique("cancel")
        cls.skey = cls.m.sequence_create(seq, {})
        cls.topic = f"{seq}/bulk"
        tkey = cls.m.topic_create(cls.topic, cls.skey)
        # ~10 MiB in 600 rows, so that the DoGet stream has several messages. One batch: the fixture must not
        # depend on how the server reassembles many small messages (test_do_put covers that).
        rows = scalar_rows(600, seed=61)
        for i, row in enumerate(rows):
            row["blob"] = bytes([i % 251]) * (16 * 1024)
        cls.rows = rows
        upload(cls.m.client, cls.topic, tkey, SCALARS_SCHEMA, [batch_of(rows, SCALARS_SCHEMA)])
        cls.m.sequence_finalize(seq, cls.skey)

    def assertServerStillServes(self):
        self.assertTrue(self.m.sequence_system_info(self.seq).is_locked)
        stream = read_stream(self.m.client, self.topic.encode())
        self.assertSameRows(stream.rows, sorted_rows(self.rows))

    def test_the_stream_has_several_batches(self):
        stream = read_stream(self.m.client, self.topic.encode())
        self.assertGreater(len(stream.batches), 1, "the cancellation tests below need a multi-batch stream")

    def test_cancel_after_the_first_batch(self):
        for _ in range(5):
            reader = self.m.client.do_get(flight.Ticket(self.topic.encode()))
            reader.read_chunk()
            reader.cancel()
        self.assertServerStillServes()

    def test_cancel_before_reading(self):
        for _ in range(5):
            reader = self.m.client.do_get(flight.Ticket(self.topic.encode()))
            reader.cancel()
        self.assertServerStillServes()

    def test_connection_closed_mid_stream(self):
        for _ in range(3):
            client = connect()
            reader = client.do_get(flight.Ticket(self.topic.encode()))
            reader.read_chunk()
            client.close()
        self.assertServerStillServes()

    def test_cancelled_streams_alongside_a_full_read(self):
        done = []

        def full_read():
            with connect() as c:
                done.append(read_stream(c, self.topic.encode()).table.num_rows)

        th = threading.Thread(target=full_read)
        th.start()
        for _ in range(4):
            reader = self.m.client.do_get(flight.Ticket(self.topic.encode()))
            reader.read_chunk()
            reader.cancel()
        th.join()
        self.assertEqual(done, [len(self.rows)])
        self.assertServerStillServes()


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import pyarrow.flight as fl
    from _sdk import IMU_SCHEMA, T0, batch_of, imu_rows, put_command
    url, topic, key = sys.argv[2], sys.argv[3], sys.argv[4]
    client = fl.FlightClient(url)
    writer, _ = client.do_put(fl.FlightDescriptor.for_command(put_command(topic, key)), IMU_SCHEMA)
    for i in range(3):
        writer.write_batch(batch_of(imu_rows(50, seed=i, t0=T0 + i * 10**9), IMU_SCHEMA))
    print("ready", flush=True)
    time.sleep(120)
""")


class KilledUpload(MosaicoTestCase):
    def _kill_mid_upload(self, topic, key):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, HERE, URL, topic, key],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            self.assertEqual(line.strip(), "ready", proc.stderr.read() if not line else line)
            # the child is blocked in its sleep with the stream open and three batches sent
            self.assertFalse(self.m.topic_system_info(topic).is_locked)
            time.sleep(0.3)
        finally:
            proc.kill()  # SIGKILL: no half-close, no RST_STREAM from a library, just a dead socket
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_killed_upload_leaves_the_topic_unlocked_without_rows(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        key = self.m.topic_create(topic, skey)
        self._kill_mid_upload(topic, key)
        # give the server time to notice, and check repeatedly that nothing becomes visible
        for _ in range(10):
            info = self.m.topic_system_info(topic)
            self.assertEqual((info.is_locked, info.chunks_number, info.total_size_bytes), (False, 0, 0))
            self.assertStatus("NOT_FOUND", self.m.flight_info, topic)
            time.sleep(0.1)
        self.assertStatus("FAILED_PRECONDITION", self.m.sequence_finalize, seq, skey)
        self.m.sequence_abort(seq, skey)
        self.assertNotIn(seq, self.m.sequence_names())
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, topic)

    def test_topic_can_be_uploaded_again_after_a_killed_upload(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        key = self.m.topic_create(topic, skey)
        self._kill_mid_upload(topic, key)
        rows = imu_rows(9, seed=71)
        deadline = time.monotonic() + 10
        while True:
            try:
                upload(self.m.client, topic, key, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
                break
            except Exception:  # noqa: BLE001 - the server may still be cleaning up the dead stream
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.assertSameRows(read_stream(self.m.client, topic.encode()).rows, sorted_rows(rows))
        self.m.sequence_finalize(seq, skey)

    def test_killed_upload_does_not_disturb_other_streams(self):
        seq, skey = self.new_sequence()
        victim = f"{seq}/victim"
        survivor = f"{seq}/survivor"
        vkey = self.m.topic_create(victim, skey)
        skey2 = self.m.topic_create(survivor, skey)
        writer, _ = self.m.client.do_put(
            flight.FlightDescriptor.for_command(put_command(survivor, skey2)), IMU_SCHEMA)
        rows = imu_rows(30, seed=72, t0=T0 + 5)
        writer.write_batch(batch_of(rows[:15], IMU_SCHEMA))
        self._kill_mid_upload(victim, vkey)
        writer.write_batch(batch_of(rows[15:], IMU_SCHEMA))
        writer.done_writing()
        writer.close()
        self.assertTrue(self.m.topic_system_info(survivor).is_locked)
        self.assertSameRows(read_stream(self.m.client, survivor.encode()).rows, sorted_rows(rows))
        self.assertFalse(self.m.topic_system_info(victim).is_locked)


if __name__ == "__main__":
    unittest.main()

"""sequence_system_info / topic_system_info (protocol 4.6, 4.7): exact key sets, lock transitions, the
creation date format, and answers that are identical between two calls without writes."""
import json
import time
import unittest

from _sdk import (
    IMU_SCHEMA, MosaicoTestCase, action_results, batch_of, imu_rows, upload,
)


class SystemInfoShape(MosaicoTestCase):
    def raw_response(self, action, name):
        [body] = action_results(self.m.client, action, json.dumps({"name": name}).encode())
        obj = json.loads(body)
        self.assertEqual(obj["action"], action)
        return obj["response"]

    def test_exact_key_sets_and_types(self):
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/t", skey)
        s = self.raw_response("sequence_system_info", seq)
        self.assertEqual(set(s), {"total_size_bytes", "is_locked", "created_datetime"})
        t = self.raw_response("topic_system_info", f"{seq}/t")
        self.assertEqual(set(t), {"chunks_number", "total_size_bytes", "is_locked", "created_datetime"})
        for resp in (s, t):
            self.assertIs(type(resp["total_size_bytes"]), int)
            self.assertIs(type(resp["is_locked"]), bool)
            self.assertIs(type(resp["created_datetime"]), str)
        self.assertIs(type(t["chunks_number"]), int)

    def test_created_datetime_format_and_stability(self):
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/t", skey)
        first = self.m.sequence_system_info(seq)
        self.assertDatetime(first.created_datetime)
        topic_first = self.m.topic_system_info(f"{seq}/t")
        self.assertDatetime(topic_first.created_datetime)
        time.sleep(0.05)
        self.assertEqual(self.m.sequence_system_info(seq), first)
        self.assertEqual(self.m.topic_system_info(f"{seq}/t"), topic_first)
        # the creation time does not change with later writes
        self.m.topic_delete(f"{seq}/t")
        self.m.sequence_finalize(seq, skey)
        self.assertEqual(self.m.sequence_system_info(seq).created_datetime, first.created_datetime)

    def test_creation_times_are_milliseconds_and_ordered(self):
        a, _ = self.new_sequence()
        time.sleep(0.02)
        b, _ = self.new_sequence()
        da = self.m.sequence_system_info(a).created_datetime
        db = self.m.sequence_system_info(b).created_datetime

        def key(text):  # "YYYY-MM-DD HH:MM:SS[.fff] UTC" → sortable with the fraction made explicit
            stamp = text[:-4]
            return stamp if "." in stamp else stamp + ".000"
        self.assertLess(key(da), key(db))


class SystemInfoTransitions(MosaicoTestCase):
    def test_lock_size_and_chunk_transitions(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        tkey = self.m.topic_create(topic, skey)
        t0 = self.m.topic_system_info(topic)
        self.assertEqual((t0.is_locked, t0.chunks_number, t0.total_size_bytes), (False, 0, 0))
        s0 = self.m.sequence_system_info(seq)
        self.assertFalse(s0.is_locked)
        self.assertGreaterEqual(s0.total_size_bytes, 0)

        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(50), IMU_SCHEMA)])
        t1 = self.m.topic_system_info(topic)
        self.assertTrue(t1.is_locked)
        self.assertGreaterEqual(t1.chunks_number, 1)
        self.assertGreater(t1.total_size_bytes, 0)
        self.assertEqual(t1.created_datetime, t0.created_datetime)
        s1 = self.m.sequence_system_info(seq)
        self.assertFalse(s1.is_locked)
        self.assertGreater(s1.total_size_bytes, 0)
        self.assertGreaterEqual(s1.total_size_bytes, t1.total_size_bytes)
        self.assertGreater(s1.total_size_bytes, s0.total_size_bytes)

        self.m.sequence_finalize(seq, skey)
        s2 = self.m.sequence_system_info(seq)
        self.assertTrue(s2.is_locked)
        self.assertEqual(s2.created_datetime, s0.created_datetime)
        self.assertEqual(self.m.topic_system_info(topic), t1)
        self.assertEqual(self.m.sequence_system_info(seq), s2)


if __name__ == "__main__":
    unittest.main()

"""Lifecycle (protocol 5): topics lock when their DoPut completes, sequences lock on finalize, and abort /
delete remove everything so that the name can be used again."""
import unittest

from _sdk import (
    IMU_SCHEMA, MosaicoTestCase, batch_of, imu_rows, read_stream, sorted_rows, upload, upload_error,
)


class TopicLock(MosaicoTestCase):
    def test_topic_locks_when_its_upload_completes(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        tkey = self.m.topic_create(topic, skey)
        self.assertFalse(self.m.topic_system_info(topic).is_locked)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(5), IMU_SCHEMA)])
        # the SDK calls sequence_finalize right after close(): the lock must already be visible
        self.assertTrue(self.m.topic_system_info(topic).is_locked)
        self.assertStatus("FAILED_PRECONDITION", self.m.topic_delete, topic)
        self.assertTrue(self.m.topic_system_info(topic).is_locked)
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.num_rows, 5)

    def test_unlocked_topic_can_be_deleted_and_created_again(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        old_key = self.m.topic_create(topic, skey, user_metadata={"v": 1})
        self.m.topic_delete(topic)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, topic)
        self.assertStatus("NOT_FOUND", self.m.topic_delete, topic)
        # the deleted topic's key is dead
        self.assertUploadStatus("NOT_FOUND", upload_error(self.m.client, topic, old_key, IMU_SCHEMA, []))
        new_key = self.m.topic_create(topic, skey, user_metadata={"v": 2})
        self.assertNotEqual(new_key, old_key)
        self.assertUploadStatus("PERMISSION_DENIED", upload_error(self.m.client, topic, old_key, IMU_SCHEMA, []))
        rows = imu_rows(3)
        upload(self.m.client, topic, new_key, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        stream = read_stream(self.m.client, topic.encode())
        self.assertEqual(stream.metadata["mosaico:user_metadata"], {"v": 2})
        self.assertSameRows(stream.rows, sorted_rows(rows))
        self.m.sequence_finalize(seq, skey)


class SequenceLock(MosaicoTestCase):
    def test_finalize_is_refused_while_a_topic_is_unlocked(self):
        seq, skey = self.new_sequence()
        done_key = self.m.topic_create(f"{seq}/done", skey)
        pending_key = self.m.topic_create(f"{seq}/pending", skey)
        upload(self.m.client, f"{seq}/done", done_key, IMU_SCHEMA, [batch_of(imu_rows(2), IMU_SCHEMA)])
        err = self.assertStatus("FAILED_PRECONDITION", self.m.sequence_finalize, seq, skey)
        self.assertIn(f"{seq}/pending", str(err))
        self.assertFalse(self.m.sequence_system_info(seq).is_locked)
        upload(self.m.client, f"{seq}/pending", pending_key, IMU_SCHEMA, [])
        self.m.sequence_finalize(seq, skey)
        self.assertTrue(self.m.sequence_system_info(seq).is_locked)

    def test_a_sequence_without_topics_can_be_finalized(self):
        seq, skey = self.new_sequence()
        self.m.sequence_finalize(seq, skey)
        self.assertTrue(self.m.sequence_system_info(seq).is_locked)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])

    def test_finalized_sequence_is_immutable(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/imu"
        tkey = self.m.topic_create(topic, skey)
        rows = imu_rows(6)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        self.m.sequence_finalize(seq, skey)
        before = self.m.sequence_system_info(seq)
        self.assertTrue(before.is_locked)
        self.assertStatus("FAILED_PRECONDITION", self.m.sequence_finalize, seq, skey)
        self.assertStatus("FAILED_PRECONDITION", self.m.sequence_abort, seq, skey)
        self.assertStatus("FAILED_PRECONDITION", self.m.sequence_delete, seq)
        self.assertStatus("FAILED_PRECONDITION", self.m.topic_create, f"{seq}/late", skey)
        self.assertStatus("FAILED_PRECONDITION", self.m.topic_delete, topic)
        self.assertUploadStatus("FAILED_PRECONDITION", upload_error(
            self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(1, seed=9), IMU_SCHEMA)]))
        # still there, unchanged
        self.assertIn(seq, self.m.sequence_names())
        self.assertEqual(self.m.sequence_system_info(seq), before)
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])
        self.assertSameRows(read_stream(self.m.client, topic.encode()).rows, sorted_rows(rows))


class Removal(MosaicoTestCase):
    def _populate(self, seq, skey):
        a_key = self.m.topic_create(f"{seq}/a", skey)
        self.m.topic_create(f"{seq}/b/nested", skey)
        upload(self.m.client, f"{seq}/a", a_key, IMU_SCHEMA, [batch_of(imu_rows(8), IMU_SCHEMA)])
        self.m.notify_create("sequence", seq, "note")
        self.m.notify_create("topic", f"{seq}/a", "note")

    def _assert_gone(self, seq):
        self.assertNotIn(seq, self.m.sequence_names())
        self.assertStatus("NOT_FOUND", self.m.flight_info, seq)
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{seq}/a")
        self.assertStatus("NOT_FOUND", read_stream, self.m.client, f"{seq}/a".encode())
        self.assertStatus("NOT_FOUND", self.m.sequence_system_info, seq)
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{seq}/a")
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{seq}/b/nested")
        self.assertEqual(self.m.notify_list("sequence", seq), [])
        self.assertEqual(self.m.notify_list("topic", f"{seq}/a"), [])

    def _assert_reusable(self, seq, old_key):
        new_key = self.m.sequence_create(seq, {"second": True})
        self.assertNotEqual(new_key, old_key)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])
        self.assertEqual(self.m.notify_list("sequence", seq), [])
        tkey = self.m.topic_create(f"{seq}/a", new_key)
        rows = imu_rows(2, seed=5)
        upload(self.m.client, f"{seq}/a", tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [f"{seq}/a".encode()])
        self.assertSameRows(read_stream(self.m.client, f"{seq}/a".encode()).rows, sorted_rows(rows))
        # the removed sequence's key opens nothing, not even the new (unlocked) sequence of the same name
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{seq}/late", old_key)
        self.assertStatus("PERMISSION_DENIED", self.m.sequence_finalize, seq, old_key)
        self.m.sequence_finalize(seq, new_key)

    def test_abort_removes_everything(self):
        seq, skey = self.new_sequence()
        self._populate(seq, skey)
        self.m.sequence_abort(seq, skey)
        self._assert_gone(seq)
        self.assertStatus("NOT_FOUND", self.m.sequence_abort, seq, skey)
        self._assert_reusable(seq, skey)

    def test_delete_removes_everything(self):
        seq, skey = self.new_sequence()
        self._populate(seq, skey)
        self.m.sequence_delete(seq)
        self._assert_gone(seq)
        self.assertStatus("NOT_FOUND", self.m.sequence_delete, seq)
        self._assert_reusable(seq, skey)

    def test_removal_does_not_touch_a_sequence_sharing_a_name_prefix(self):
        seq, skey = self.new_sequence()
        twin = seq + "2"
        twin_key = self.m.sequence_create(twin, {})
        tkey = self.m.topic_create(f"{twin}/a", twin_key)
        rows = imu_rows(3)
        upload(self.m.client, f"{twin}/a", tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        self._populate(seq, skey)
        self.m.sequence_delete(seq)
        self.assertIn(twin, self.m.sequence_names())
        self.assertSameRows(read_stream(self.m.client, f"{twin}/a".encode()).rows, sorted_rows(rows))
        self.m.sequence_finalize(twin, twin_key)


if __name__ == "__main__":
    unittest.main()

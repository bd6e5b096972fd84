"""The SDK's failure paths (protocol 5.3): an exception inside the SequenceWriter block half-closes and
closes every topic stream without flushing, then either reports (sequence_notify_create; the sequence stays
unlocked, visible and deletable) or aborts (sequence_abort; everything disappears)."""
import unittest

import pyarrow.flight as flight

from _sdk import (
    IMU_SCHEMA, MosaicoTestCase, batch_of, imu_rows, put_command, read_stream, sorted_rows,
)


class FailedBlock(MosaicoTestCase):
    def _failed_block(self, seq, skey):
        """Two topics: one got a batch before the failure, the other none; both streams are half-closed
        and closed without flushing the rest."""
        sent = imu_rows(10)
        writers = []
        for rel, batches in (("/pushed", [batch_of(sent, IMU_SCHEMA)]), ("/never", [])):
            tkey = self.m.topic_create(seq + rel, skey)
            writer, _ = self.m.client.do_put(
                flight.FlightDescriptor.for_command(put_command(seq + rel, tkey)), IMU_SCHEMA)
            for batch in batches:
                writer.write_batch(batch)
            writers.append(writer)
        for writer in writers:
            writer.done_writing()
            writer.close()
        return sent

    def test_report_path(self):
        seq, skey = self.new_sequence()
        sent = self._failed_block(seq, skey)
        msg = "ValueError: simulated failure in the with-block\nline two ✓"
        self.m.action("sequence_notify_create", {"name": "/" + seq, "notify_type": "error", "msg": msg})
        [item] = self.m.notify_list("sequence", seq)
        self.assertEqual((item.name, item.notify_type, item.msg), (seq, "error", msg))
        self.assertDatetime(item.created_datetime)
        # the sequence stays unlocked and visible, its topics locked
        self.assertFalse(self.m.sequence_system_info(seq).is_locked)
        self.assertIn(seq, self.m.sequence_names())
        self.assertCountEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints],
                              [f"{seq}/pushed".encode(), f"{seq}/never".encode()])
        self.assertTrue(self.m.topic_system_info(f"{seq}/pushed").is_locked)
        self.assertTrue(self.m.topic_system_info(f"{seq}/never").is_locked)
        self.assertSameRows(read_stream(self.m.client, f"{seq}/pushed".encode()).rows, sorted_rows(sent))
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{seq}/never")
        # a topic-level report, as TopicWriter does under Report
        self.m.notify_create("topic", f"{seq}/pushed", "push failed")
        self.assertEqual([n.msg for n in self.m.notify_list("topic", f"{seq}/pushed")], ["push failed"])
        # later clean-up with sequence_delete (no key)
        self.m.sequence_delete(seq)
        self.assertNotIn(seq, self.m.sequence_names())
        self.assertStatus("NOT_FOUND", self.m.flight_info, seq)
        self.assertEqual(self.m.notify_list("sequence", seq), [])

    def test_abort_path(self):
        seq, skey = self.new_sequence()
        self._failed_block(seq, skey)
        self.m.sequence_abort(seq, skey)
        self.assertNotIn(seq, self.m.sequence_names())
        for name in (seq, f"{seq}/pushed", f"{seq}/never"):
            self.assertStatus("NOT_FOUND", self.m.flight_info, name)
        self.assertStatus("NOT_FOUND", read_stream, self.m.client, f"{seq}/pushed".encode())
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{seq}/pushed")

    def test_abort_with_topics_still_unlocked(self):
        # Delete policy when the failure came before any stream was closed by the server
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/a", skey)
        self.m.topic_create(f"{seq}/b", skey)
        self.m.sequence_abort(seq, skey)
        self.assertNotIn(seq, self.m.sequence_names())
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{seq}/a")


if __name__ == "__main__":
    unittest.main()

"""SDK 0.7 message sizes (delta doc B2, A10): a DoPut message up to the decode limit `info` reports is
taken (the SDK fills batches to 0.9 × it, so the limit must be honest), and a record alone above the SDK's
threshold is dropped client-side and reported with `topic_notification_create` while the topic's DoPut
is still open; the rest of the topic lands."""
import unittest

import pyarrow as pa

from _sdk07 import Mosaico07TestCase, SequenceWriter07
from _sdk07_data import IMAGE07_SCHEMA, MS, T07, image07_batch
from _sdk2026 import unique, upload

MIB = 1024 * 1024
MAX_TESTED = 128 * MIB  # above this the test would hold too much memory: skipped


def image_row(i: int, size: int) -> dict:
    return {"timestamp_ns": T07 + i * MS, "data": bytes([i % 256]) * size, "format": "raw", "encoding": "mono8",
            "width": size, "height": 1, "stride": size, "is_bigendian": False, "header": None}


class Limits(Mosaico07TestCase):
    def test_a_message_just_under_the_decode_limit_is_taken(self):
        limit = self.m.server_info.decode_limit
        if limit > MAX_TESTED:
            self.skipTest(f"decode limit {limit} bytes: more than this test sends")
        batch = image07_batch(limit - 1024)
        self.assertGreater(pa.ipc.get_record_batch_size(batch), limit - 1024 - 64 * 1024)
        name, s = self.open_session("lim07")
        tu = self.m.topic_create(f"{name}/camera", s.uuid, ontology_tag="image", serialization_format="image")
        upload(self.m.client, f"{name}/camera", tu, IMAGE07_SCHEMA, [batch])
        self.m.session_finalize(s.uuid)
        self.assertEqual(self.m.topic_info(name, "camera").manifest.total_row_count, batch.num_rows)

    def test_a_record_above_the_threshold_is_dropped_and_reported_on_the_open_stream(self):
        if self.m.batch_limit > MAX_TESTED:
            self.skipTest(f"batch limit {self.m.batch_limit} bytes: more than this test sends")
        name = unique("drop07")
        with SequenceWriter07(self.m, name) as w:
            tw = w.topic_create("camera", IMAGE07_SCHEMA, ontology_tag="image", serialization_format="image")
            tw.push(image_row(0, 1000))
            tw.push(image_row(1, self.m.batch_limit))  # the record alone is above the threshold
            self.assertEqual(tw.dropped, 1)
            [note] = self.m.notification_list("topic", f"{name}/camera")  # the DoPut is still open
            self.assertIn("Record dropped", note.msg)
            tw.push(image_row(2, 1000))
        rows = self.m.read_topic(name, "camera").rows
        self.assertEqual([r["timestamp_ns"] for r in rows], [T07, T07 + 2 * MS])
        self.assertEqual(self.m.topic_info(name, "camera").manifest.total_row_count, 2)


if __name__ == "__main__":
    unittest.main()

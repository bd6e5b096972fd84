"""Keys as write tokens (protocol 5.4): the sequence key authorises topic_create, sequence_finalize and
sequence_abort; the topic key authorises the DoPut. A wrong key is PERMISSION_DENIED and changes nothing;
a key that is not a UUID is INVALID_ARGUMENT."""
import unittest
import uuid

from _sdk import (
    IMU_SCHEMA, MosaicoTestCase, batch_of, imu_rows, read_stream, upload, upload_error,
)

MALFORMED_KEYS = ["", "not-a-key", "1234", "0b2c7d4e-8f10-4a2b-9c3d", "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9dz",
                  " 0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d", "0b2c7d4e_8f10_4a2b_9c3d_4e5f6a7b8c9d",
                  "g" * 32, "../../etc/passwd"]


def random_key() -> str:
    return str(uuid.uuid4())


class SequenceKey(MosaicoTestCase):
    def test_topic_create_with_an_unknown_sequence_key_is_permission_denied(self):
        # a well-formed key that opens no sequence: the topic's sequence exists, the key is wrong
        seq, skey = self.new_sequence()
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{seq}/t", random_key())
        self.assertEqual(self.m.flight_info(seq).endpoints, [])

    def test_topic_create_with_another_sequences_key_is_permission_denied(self):
        seq, skey = self.new_sequence()
        other, okey = self.new_sequence()
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{seq}/t", okey)
        # a topic under another sequence, or under a sequence sharing only a name prefix
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{other}/t", skey)
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{seq}X/t", skey)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])
        self.assertEqual(self.m.flight_info(other).endpoints, [])
        self.m.topic_create(f"{seq}/t", skey)

    def test_topic_create_with_a_malformed_key_is_invalid_argument(self):
        seq, _ = self.new_sequence()
        for bad in MALFORMED_KEYS:
            with self.subTest(key=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.topic_create, f"{seq}/t", bad)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])

    def test_finalize_and_abort_with_a_wrong_key_are_permission_denied(self):
        seq, skey = self.new_sequence()
        _, okey = self.new_sequence()
        for wrong in (random_key(), okey):
            with self.subTest(key=wrong):
                self.assertStatus("PERMISSION_DENIED", self.m.sequence_finalize, seq, wrong)
                self.assertStatus("PERMISSION_DENIED", self.m.sequence_abort, seq, wrong)
        tkey = self.m.topic_create(f"{seq}/t", skey)
        # a topic key is not a sequence key
        self.assertStatus("PERMISSION_DENIED", self.m.sequence_finalize, seq, tkey)
        self.assertStatus("PERMISSION_DENIED", self.m.sequence_abort, seq, tkey)
        self.assertFalse(self.m.sequence_system_info(seq).is_locked)
        self.assertIn(seq, self.m.sequence_names())
        self.m.sequence_abort(seq, skey)

    def test_finalize_and_abort_with_a_malformed_key_are_invalid_argument(self):
        seq, _ = self.new_sequence()
        for bad in MALFORMED_KEYS:
            with self.subTest(key=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_finalize, seq, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_abort, seq, bad)
        self.assertFalse(self.m.sequence_system_info(seq).is_locked)

    def test_keys_are_parsed_leniently_like_the_daemon(self):
        # hyphenated in any case, 32 hex digits, braced, urn:uuid: (section 5.4)
        seq, skey = self.new_sequence()
        tkey = self.m.topic_create(f"{seq}/a", skey.upper())
        tkey2 = self.m.topic_create(f"{seq}/b", skey.replace("-", ""))
        upload(self.m.client, f"{seq}/a", "{" + tkey + "}", IMU_SCHEMA, [batch_of(imu_rows(1), IMU_SCHEMA)])
        upload(self.m.client, f"{seq}/b", "urn:uuid:" + tkey2.upper(), IMU_SCHEMA)
        self.m.sequence_finalize(seq, "{" + skey.upper() + "}")
        self.assertTrue(self.m.sequence_system_info(seq).is_locked)


class TopicKey(MosaicoTestCase):
    def test_doput_with_a_wrong_topic_key_is_permission_denied(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/t"
        tkey = self.m.topic_create(topic, skey)
        other_tkey = self.m.topic_create(f"{seq}/other", skey)
        batch = batch_of(imu_rows(4), IMU_SCHEMA)
        for wrong in (random_key(), other_tkey, skey):
            with self.subTest(key=wrong):
                self.assertUploadStatus("PERMISSION_DENIED",
                                        upload_error(self.m.client, topic, wrong, IMU_SCHEMA, [batch]))
                self.assertUploadStatus("PERMISSION_DENIED",
                                        upload_error(self.m.client, topic, wrong, IMU_SCHEMA, []))
        info = self.m.topic_system_info(topic)
        self.assertEqual((info.is_locked, info.chunks_number, info.total_size_bytes), (False, 0, 0))
        self.assertStatus("NOT_FOUND", self.m.flight_info, topic)
        # the right key still works afterwards
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch])
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.num_rows, 4)

    def test_doput_with_a_malformed_topic_key_is_invalid_argument(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/t"
        self.m.topic_create(topic, skey)
        for bad in MALFORMED_KEYS:
            with self.subTest(key=bad):
                self.assertUploadStatus("INVALID_ARGUMENT", upload_error(
                    self.m.client, topic, bad, IMU_SCHEMA, [batch_of(imu_rows(1), IMU_SCHEMA)]))
        self.assertFalse(self.m.topic_system_info(topic).is_locked)

    def test_doput_to_an_unknown_topic_is_not_found(self):
        seq, _ = self.new_sequence()
        self.assertUploadStatus("NOT_FOUND", upload_error(
            self.m.client, f"{seq}/never-created", random_key(), IMU_SCHEMA,
            [batch_of(imu_rows(1), IMU_SCHEMA)]))
        self.assertEqual(self.m.flight_info(seq).endpoints, [])


if __name__ == "__main__":
    unittest.main()

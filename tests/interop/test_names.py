"""Names (protocol section 2): normalisation as the SDK needs it, and refusal of names that could escape
the store or confuse it (INVALID_ARGUMENT, catalog unchanged)."""
import unittest

from _sdk import (
    IMU_SCHEMA, MosaicoTestCase, batch_of, imu_rows, read_stream, unique, upload, upload_error,
)

BAD_SEQUENCE_NAMES = [
    "", "   ", "/", "//", ".", "..", "/..", "../x", "..\\x", "a/b", "//etc", "/a/b/", "a/../b",
    "a\\b", "\\", "C:\\x", "\\\\server\\share",
    "a\x00b", "\x00", "a\x01", "a\x1f", "a\x7f", "a\x85", "tab\there", "new\nline", "esc\x1b[31m",
    "x" * 256, "é" * 128,
]


def bad_topic_names(seq: str) -> list:
    return [
        seq, f"{seq}/", f"{seq}/..", f"{seq}/../x", f"{seq}/a/../../x", f"{seq}/./x", f"{seq}/.",
        f"{seq}//x", f"../{seq}/x", f"//{seq}/x", f"{seq}/a\\b", f"{seq}/..\\..\\x", f"{seq}\\x",
        f"{seq}/x\x00", f"{seq}/x\x00/../../y", f"{seq}/\x1b[31mred", f"{seq}/a\nb", f"{seq}/a\rb",
        f"{seq}/\x7f", f"{seq}/" + "x" * 256, f"{seq}/" + "/".join(["abcdefgh"] * 60),
    ]


class Normalisation(MosaicoTestCase):
    def test_leading_slash_is_dropped_from_sequence_names(self):
        name = unique()
        key = self.m.sequence_create("/" + name, {"a": 1})
        self.assertIn(name, self.m.sequence_names())
        self.assertNotIn("/" + name, self.m.sequence_names())
        for spelled in (name, "/" + name, name + "/", "/" + name + "/"):
            with self.subTest(spelled=spelled):
                info = self.m.flight_info(spelled)
                self.assertEqual(info.endpoints, [])
                self.assertFalse(self.m.sequence_system_info(spelled).is_locked)
        self.m.sequence_finalize("/" + name, key)
        self.assertTrue(self.m.sequence_system_info(name).is_locked)

    def test_surrounding_whitespace_is_trimmed(self):
        name = unique()
        key = self.m.sequence_create(f"  {name}\t", {})
        self.assertIn(name, self.m.sequence_names())
        self.m.sequence_abort(f" /{name} ", key)
        self.assertNotIn(name, self.m.sequence_names())

    def test_trailing_slash_sequence_as_the_sdk_sends_it(self):
        # SequenceWriter accepts "seqA/" and "/seqA/" (pathlib ignores the trailing "/"), sends the name as
        # typed, and builds its topic names as "seqA/<topic>" (section 2.3).
        name = unique()
        key = self.m.sequence_create(f"/{name}/", {"trailing": True})
        self.assertIn(name, self.m.sequence_names())
        tkey = self.m.topic_create(f"{name}/imu", key)
        upload(self.m.client, f"{name}/imu", tkey, IMU_SCHEMA, [batch_of(imu_rows(2), IMU_SCHEMA)])
        self.m.notify_create("sequence", f"{name}/", "reported with a trailing slash")
        [item] = self.m.notify_list("sequence", f"/{name}/")
        self.assertEqual(item.name, name)
        self.m.notify_purge("sequence", f"{name}/")
        self.assertEqual(self.m.notify_list("sequence", name), [])
        self.m.sequence_finalize(f"{name}/", key)
        info = self.m.flight_info(name)
        self.assertEqual([e.ticket.ticket for e in info.endpoints], [f"{name}/imu".encode()])
        self.assertTrue(self.m.sequence_system_info(f"{name}/").is_locked)

    def test_trailing_slash_in_abort_and_delete(self):
        a = unique()
        akey = self.m.sequence_create(f"{a}/", {})
        self.m.sequence_abort(f"/{a}/", akey)
        b = unique()
        self.m.sequence_create(b, {})
        self.m.sequence_delete(f"/{b}/")
        names = self.m.sequence_names()
        self.assertNotIn(a, names)
        self.assertNotIn(b, names)

    def test_leading_slash_is_dropped_from_topic_names_everywhere(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/a/b"
        tkey = self.m.topic_create("/" + topic, skey)
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])
        self.assertFalse(self.m.topic_system_info("/" + topic).is_locked)
        rows = imu_rows(3)
        upload(self.m.client, "/" + topic, tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        self.assertTrue(self.m.topic_system_info(topic).is_locked)
        info = self.m.flight_info("/" + topic)
        self.assertEqual([e.ticket.ticket for e in info.endpoints], [topic.encode()])
        self.assertEqual(read_stream(self.m.client, ("/" + topic).encode()).table.num_rows, 3)
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.num_rows, 3)

    def test_longest_allowed_names(self):
        seq = unique("max")
        seq = seq + "x" * (255 - len(seq))
        key = self.m.sequence_create(seq, {})
        self.assertIn(seq, self.m.sequence_names())
        topic = f"{seq}/" + "y" * 255
        self.m.topic_create(topic, key)
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])
        self.m.sequence_abort(seq, key)

    def test_non_ascii_names_round_trip_byte_for_byte(self):
        seq = unique("données_😀")
        key = self.m.sequence_create(seq, {})
        topic = f"{seq}/カメラ/left eye/ïmu"
        tkey = self.m.topic_create(topic, key)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(2), IMU_SCHEMA)])
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])
        self.assertEqual(read_stream(self.m.client, topic.encode()).table.num_rows, 2)
        self.m.sequence_finalize(seq, key)
        self.assertIn(seq, self.m.sequence_names())


class Refusals(MosaicoTestCase):
    def test_bad_sequence_names_are_refused_and_nothing_is_created(self):
        before = sorted(self.m.sequence_names())
        for bad in BAD_SEQUENCE_NAMES:
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_create, bad, {})
        self.assertEqual(sorted(self.m.sequence_names()), before)

    def test_bad_sequence_names_are_refused_by_every_sequence_action(self):
        key = "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d"
        for bad in ("..", "a/b", "a\\b", "a\x00b", "x" * 256):
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_finalize, bad, key)
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_abort, bad, key)
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_delete, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_system_info, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.notify_create, "sequence", bad, "m")

    def test_bad_topic_names_are_refused_and_nothing_is_created(self):
        seq, skey = self.new_sequence()
        before = sorted(self.m.sequence_names())
        for bad in bad_topic_names(seq):
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.topic_create, bad, skey)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])
        self.assertEqual(sorted(self.m.sequence_names()), before)
        # the sequence still works
        self.m.topic_create(f"{seq}/ok", skey)
        self.assertEqual(len(self.m.flight_info(seq).endpoints), 1)

    def test_bad_topic_names_are_refused_by_every_topic_action_and_rpc(self):
        seq, skey = self.new_sequence()
        tkey = self.m.topic_create(f"{seq}/ok", skey)
        for bad in (f"{seq}/..", f"{seq}/../ok", f"{seq}/a\\b", f"{seq}/ok\x00", f"{seq}//ok"):
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.topic_system_info, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.topic_delete, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.notify_create, "topic", bad, "m")
                self.assertStatus("INVALID_ARGUMENT", self.m.flight_info, bad)
                self.assertStatus("INVALID_ARGUMENT", read_stream, self.m.client, bad.encode())
                self.assertUploadStatus("INVALID_ARGUMENT", upload_error(
                    self.m.client, bad, tkey, IMU_SCHEMA, [batch_of(imu_rows(1), IMU_SCHEMA)]))
        # the real topic is untouched: still unlocked, no data
        info = self.m.topic_system_info(f"{seq}/ok")
        self.assertEqual((info.is_locked, info.chunks_number), (False, 0))

    def test_path_descriptor_names_are_checked(self):
        for bad in ("..", "../x", "a\\b", "\x00", "x" * 600):
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.flight_info, bad)


if __name__ == "__main__":
    unittest.main()

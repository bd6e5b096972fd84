"""SDK 0.7, sessions by locator (delta doc A6, A7, A8, B6, §6): `session_delete {"locator"}` with its
errors, the sequence FlightInfo that names sessions by locator and never shows their uuid (the write
token) on a 0.7 connection while a 0.4 connection still gets it, and the writers' Delete policy and the
update path (`session_create` on an existing sequence)."""
import json
import random
import unittest

import pyarrow.flight as flight

from _sdk07 import Mosaico07TestCase, SequenceWriter07
from _sdk07_data import IMU07_SCHEMA, imu07_rows
from _sdk2026 import Mosaico2026, batch_of, info_command, unique, upload

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def unused_ulid() -> str:
    return random.choice("01234567") + "".join(random.choice(CROCKFORD) for _ in range(25))


class Boom(Exception):
    pass


class SessionDelete(Mosaico07TestCase):
    def fixture(self):
        """A sequence with three sessions: s1 finalized (topic a), s2 open (topic b), s3 finalized (topic c)."""
        name = self.new_sequence("sdel07")
        sessions = []
        for rel, finalize in (("a", True), ("b", False), ("c", True)):
            s = self.m.session_open(name)
            tu = self.m.topic_create(f"{name}/{rel}", s.uuid)
            upload(self.m.client, f"{name}/{rel}", tu, IMU07_SCHEMA, [batch_of(imu07_rows(4), IMU07_SCHEMA)])
            if finalize:
                self.m.session_finalize(s.uuid)
            sessions.append(s)
        return name, sessions

    def test_delete_by_locator_removes_the_session_and_its_topics_only(self):
        name, (s1, s2, s3) = self.fixture()
        self.m.session_delete(s2.locator)  # open
        view = self.m.sequence_info(name)
        self.assertEqual(sorted(s.locator for s in view.sessions), sorted([s1.locator, s3.locator]))
        self.assertEqual(view.topics, ["/a", "/c"])
        self.assertStatus("NOT_FOUND", self.m.topic_info, name, "b")
        self.m.session_delete(s3.locator)  # finalized: no lock check (2026 4.5)
        self.assertEqual([s.locator for s in self.m.sequence_info(name).sessions], [s1.locator])
        self.assertStatus("NOT_FOUND", self.m.session_delete, s3.locator)
        self.assertEqual(self.m.read_topic(name, "a").table.num_rows, 4)

    def test_unknown_and_malformed_locators(self):
        name, _ = self.fixture()
        self.assertStatus("NOT_FOUND", self.m.session_delete, f"{name}:{unused_ulid()}")
        self.assertStatus("NOT_FOUND", self.m.session_delete, f"{unique('nosuch')}:{unused_ulid()}")
        for bad in (name, f"{name}:", f"{name}:not-a-ulid", f"{name}/a", f":{unused_ulid()}", ""):
            with self.subTest(locator=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.session_delete, bad)

    def test_a_0_4_connection_still_deletes_by_uuid(self):
        name, (s1, s2, _) = self.fixture()
        old = Mosaico2026()
        try:
            old.session_delete(s2.uuid)
        finally:
            old.close()
        self.assertNotIn(s2.locator, [s.locator for s in self.m.sequence_info(name).sessions])


class SessionsInFlightInfo(Mosaico07TestCase):
    def test_sessions_carry_locators_and_no_uuid_on_a_0_7_connection(self):
        name = self.new_sequence("nouuid07")
        s = self.m.session_open(name)
        raw = self.m.client.get_flight_info(flight.FlightDescriptor.for_command(info_command(name))).app_metadata
        [session] = json.loads(raw)["sessions"]
        self.assertNotIn("uuid", session)
        self.assertNotIn(s.uuid, raw.decode(), "the write token appears nowhere")
        self.assertEqual(session["locator"], s.locator)
        self.assertEqual(self.m.sequence_info(name).session(s.locator).topics, [])

    def test_a_0_4_connection_still_sees_the_uuid(self):
        name = self.new_sequence("uuid04")
        s = self.m.session_open(name)
        old = Mosaico2026()
        try:
            [old_view] = old.sequence_info(name).sessions
            self.assertEqual(old_view.uuid, s.uuid)
        finally:
            old.close()
        self.assertNotIn(s.uuid, self.m.client.get_flight_info(
            flight.FlightDescriptor.for_command(info_command(name))).app_metadata.decode())

    def test_user_metadata_is_in_the_app_metadata(self):
        meta = {"robot": "r-7", "n": 3, "nested": {"ok": True}}
        name = self.new_sequence("meta07", meta)
        self.assertEqual(self.m.sequence_info(name).user_metadata, meta)
        self.assertEqual(self.m.sequence_info(self.new_sequence("meta07", {})).user_metadata, {})


class Writers(Mosaico07TestCase):
    def test_update_is_session_create_on_an_existing_sequence(self):
        name = unique("upd07")
        with SequenceWriter07(self.m, name, {"v": 1}) as w:
            w.topic_create("first", IMU07_SCHEMA).push(imu07_rows(1)[0])
        with SequenceWriter07(self.m, name, updater=True) as u:
            u.topic_create("second", IMU07_SCHEMA).push(imu07_rows(1, seed=9)[0])
        view = self.m.sequence_info(name)
        self.assertEqual(sorted(s.locator for s in view.sessions), sorted([w.session_locator, u.session_locator]))
        self.assertTrue(all(s.locked for s in view.sessions))
        self.assertEqual(view.topics, ["/first", "/second"])
        self.assertEqual(view.user_metadata, {"v": 1})

    def test_delete_policy_deletes_the_session_by_locator_then_the_sequence(self):
        name = unique("wdel07")
        with self.assertRaises(Boom):
            with SequenceWriter07(self.m, name, on_error="delete") as w:
                w.topic_create("t", IMU07_SCHEMA).push(imu07_rows(1)[0])
                raise Boom("in the block")
        self.assertIsNone(w.last_error)
        self.assertNotIn(name, self.m.list_sequences())

    def test_delete_policy_of_an_update_keeps_the_sequence(self):
        name = unique("udel07")
        with SequenceWriter07(self.m, name) as w:
            w.topic_create("kept", IMU07_SCHEMA).push(imu07_rows(1)[0])
        with self.assertRaises(Boom):
            with SequenceWriter07(self.m, name, on_error="delete", updater=True) as u:
                u.topic_create("dropped", IMU07_SCHEMA)
                raise Boom("in the update")
        view = self.m.sequence_info(name)
        self.assertEqual([s.locator for s in view.sessions], [w.session_locator])
        self.assertEqual(view.topics, ["/kept"])


if __name__ == "__main__":
    unittest.main()

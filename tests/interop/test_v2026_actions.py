"""2026 protocol, section 4: every action's request keys, exact response and status codes. Where the daemon
answers INTERNAL for "not found" or a duplicate (quirks, 1.2 and 17), the correct codes are asserted:
NOT_FOUND and ALREADY_EXISTS."""
import unittest

from _sdk2026 import (
    IMU2026_SCHEMA, UUID_RE, Mosaico2026TestCase, decode_result, imu2026_rows, random_uuid, unique,
    upload,
)

MALFORMED_UUIDS = ["", "x", "1234", "0b2c7d4e-8f10-4a2b-9c3d", "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9dz",
                   "g" * 32, "../../etc/passwd"]


class SequenceCreate(Mosaico2026TestCase):
    def test_creates_an_empty_sequence_with_its_metadata(self):
        name = unique()
        meta = {"robot": "r7", "nested": {"a": [1, 2.5, None, True]}, "ünï": "😀"}
        self.assertIsNone(decode_result("sequence_create", self.m.raw_action(
            "sequence_create", {"locator": name, "user_metadata": meta})))
        view = self.m.sequence_info(name)
        self.assertEqual((view.sessions, view.endpoints, view.user_metadata), ([], [], meta))
        self.assertNs(view.created_at_ns)

    def test_a_taken_name_is_already_exists_and_changes_nothing(self):
        name = self.new_sequence(metadata={"first": True})
        session = self.m.session_create(name)
        self.assertStatus("ALREADY_EXISTS", self.m.sequence_create, name, {"second": True})
        view = self.m.sequence_info(name)
        self.assertEqual(view.user_metadata, {"first": True})
        self.assertEqual([s.uuid for s in view.sessions], [session])


class SessionCreate(Mosaico2026TestCase):
    def test_returns_exactly_a_fresh_uuid_and_opens_an_empty_unlocked_session(self):
        name = self.new_sequence()
        before = self.m.sequence_info(name).created_at_ns
        results = self.m.raw_action("session_create", {"locator": name})
        resp = decode_result("session_create", results)
        self.assertEqual(set(resp), {"uuid"})
        self.assertRegex(resp["uuid"], UUID_RE)
        second = self.m.session_create(name)
        self.assertNotEqual(second, resp["uuid"])
        view = self.m.sequence_info(name)
        self.assertEqual(sorted(s.uuid for s in view.sessions), sorted([resp["uuid"], second]))
        for s in view.sessions:
            self.assertEqual((s.completed_at_ns, s.locked, s.topics), (None, False, []))
            self.assertGreaterEqual(s.created_at_ns, before)
            self.assertNs(s.created_at_ns)

    def test_unknown_sequence_is_not_found(self):
        self.assertStatus("NOT_FOUND", self.m.session_create, unique("nosuch"))


class TopicCreate(Mosaico2026TestCase):
    def test_returns_exactly_a_uuid_distinct_from_the_session(self):
        name, session = self.new_session()
        resp = decode_result("topic_create", self.m.raw_action("topic_create", {
            "locator": f"{name}/imu", "session_uuid": session, "serialization_format": "default",
            "ontology_tag": "imu", "user_metadata": {"rate": 100}}))
        self.assertEqual(set(resp), {"uuid"})
        self.assertRegex(resp["uuid"], UUID_RE)
        self.assertNotEqual(resp["uuid"], session)
        topic = self.m.topic_info(name, "imu")
        self.assertEqual((topic.ontology_tag, topic.serialization_format, topic.user_metadata),
                         ("imu", "default", {"rate": 100}))
        self.assertEqual((topic.manifest.locked, topic.manifest.completed_at_ns, topic.manifest.info),
                         (False, None, None))
        self.assertNs(topic.manifest.created_at_ns)

    def test_the_three_formats_and_any_tag_are_accepted(self):
        name, session = self.new_session()
        # opaque (6.4); without "." (a query key is "<tag>.<field>", split at the first ".")
        for fmt, tag in (("default", "imu"), ("ragged", "Some opaque-tag_✓ ü"), ("image", "image")):
            self.m.topic_create(f"{name}/{fmt}", session, ontology_tag=tag, serialization_format=fmt)
            t = self.m.topic_info(name, fmt)
            self.assertEqual((t.serialization_format, t.ontology_tag), (fmt, tag))

    def test_an_unknown_format_is_invalid_argument(self):
        name, session = self.new_session()
        for fmt in ("", "Default", "parquet"):
            self.assertStatus("INVALID_ARGUMENT", self.m.topic_create, f"{name}/t", session, serialization_format=fmt)
        self.assertEqual(self.m.sequence_info(name).endpoints, [])

    def test_malformed_session_uuid_is_invalid_argument_and_unknown_is_not_found(self):
        name, _ = self.new_session()
        for bad in MALFORMED_UUIDS:
            with self.subTest(uuid=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.topic_create, f"{name}/t", bad)
        self.assertStatus("NOT_FOUND", self.m.topic_create, f"{name}/t", random_uuid())
        self.assertEqual(self.m.sequence_info(name).endpoints, [])

    def test_session_uuids_are_parsed_leniently(self):
        name, session = self.new_session()
        self.m.topic_create(f"{name}/upper", session.upper())
        self.m.topic_create(f"{name}/bare", session.replace("-", ""))
        self.assertEqual(sorted(self.m.sequence_info(name).session(session).topics),
                         sorted([f"{name}/upper", f"{name}/bare"]))

    def test_an_existing_locator_is_already_exists_in_any_session(self):
        name, session = self.new_session()
        first = self.m.topic_create(f"{name}/t", session, user_metadata={"v": 1})
        self.assertStatus("ALREADY_EXISTS", self.m.topic_create, f"{name}/t", session, user_metadata={"v": 2})
        other = self.m.session_create(name)
        self.assertStatus("ALREADY_EXISTS", self.m.topic_create, f"{name}/t", other)
        view = self.m.sequence_info(name)
        self.assertEqual(view.session(session).topics, [f"{name}/t"])
        self.assertEqual(view.session(other).topics, [])
        self.assertEqual(self.m.topic_info(name, "t").user_metadata, {"v": 1})
        self.assertRegex(first, UUID_RE)

    def test_a_finalized_session_takes_no_topic(self):
        name, session = self.new_session()
        self.put_topic(name, session, "t", IMU2026_SCHEMA, [])
        self.m.session_finalize(session)
        self.assertStatus("FAILED_PRECONDITION", self.m.topic_create, f"{name}/late", session)
        self.assertEqual(self.m.sequence_info(name).topics, ["/t"])


class SessionFinalize(Mosaico2026TestCase):
    def test_an_empty_session_is_failed_precondition(self):
        name, session = self.new_session()
        self.assertStatus("FAILED_PRECONDITION", self.m.session_finalize, session)
        self.assertFalse(self.m.sequence_info(name).session(session).locked)

    def test_an_unlocked_topic_is_failed_precondition_naming_it(self):
        name, session = self.new_session()
        self.put_topic(name, session, "done", IMU2026_SCHEMA, imu2026_rows(2))
        pending = self.m.topic_create(f"{name}/pending", session)
        err = self.assertStatus("FAILED_PRECONDITION", self.m.session_finalize, session)
        self.assertIn(f"{name}/pending", str(err))
        self.assertFalse(self.m.sequence_info(name).session(session).locked)
        upload(self.m.client, f"{name}/pending", pending, IMU2026_SCHEMA, [])
        self.assertIsNone(decode_result("session_finalize", self.m.raw_action(
            "session_finalize", {"session_uuid": session})))
        s = self.m.sequence_info(name).session(session)
        self.assertTrue(s.locked)
        self.assertNs(s.completed_at_ns)
        self.assertGreaterEqual(s.completed_at_ns, s.created_at_ns)

    def test_finalizing_again_succeeds_without_moving_the_completion_time(self):
        name, session = self.new_session()
        self.put_topic(name, session, "t", IMU2026_SCHEMA, imu2026_rows(1))
        self.m.session_finalize(session)
        done = self.m.sequence_info(name).session(session).completed_at_ns
        self.m.session_finalize(session.upper())
        self.assertEqual(self.m.sequence_info(name).session(session).completed_at_ns, done)

    def test_malformed_is_invalid_argument_and_unknown_is_not_found(self):
        for bad in MALFORMED_UUIDS:
            with self.subTest(uuid=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.session_finalize, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.session_delete, bad)
        self.assertStatus("NOT_FOUND", self.m.session_finalize, random_uuid())
        self.assertStatus("NOT_FOUND", self.m.session_delete, random_uuid())


class Deletes(Mosaico2026TestCase):
    def _finalized(self):
        name, session = self.new_session()
        self.put_topic(name, session, "a", IMU2026_SCHEMA, imu2026_rows(3))
        self.put_topic(name, session, "b/c", IMU2026_SCHEMA, [])
        self.m.session_finalize(session)
        return name, session

    def test_sequence_delete_ignores_locks_and_removes_everything(self):
        name, session = self._finalized()
        self.assertIsNone(decode_result("sequence_delete", self.m.raw_action("sequence_delete", {"locator": name})))
        self.assertNotIn(name, self.m.list_sequences())
        self.assertStatus("NOT_FOUND", self.m.sequence_info, name)
        self.assertStatus("NOT_FOUND", self.m.topic_info, name, "a")
        self.assertStatus("NOT_FOUND", self.m.session_finalize, session)
        self.assertStatus("NOT_FOUND", self.m.session_delete, session)
        self.assertStatus("NOT_FOUND", self.m.topic_create, f"{name}/x", session)
        self.assertStatus("NOT_FOUND", self.m.sequence_delete, name)

    def test_session_delete_ignores_locks_and_keeps_the_sequence(self):
        name, session = self._finalized()
        self.m.session_delete(session)
        view = self.m.sequence_info(name)
        self.assertEqual((view.sessions, view.endpoints), ([], []))
        self.assertIn(name, self.m.list_sequences())
        self.assertStatus("NOT_FOUND", self.m.topic_info, name, "a")
        self.assertStatus("NOT_FOUND", self.m.session_delete, session)

    def test_topic_delete_ignores_locks(self):
        name, session = self._finalized()
        self.assertIsNone(decode_result("topic_delete", self.m.raw_action("topic_delete", {"locator": f"{name}/a"})))
        self.assertEqual(self.m.sequence_info(name).topics, ["/b/c"])
        self.assertStatus("NOT_FOUND", self.m.topic_info, name, "a")
        self.assertStatus("NOT_FOUND", self.m.topic_delete, f"{name}/a")
        self.assertStatus("NOT_FOUND", self.m.topic_delete, f"{unique('nosuch')}/a")

    def test_unknown_sequence_delete_is_not_found(self):
        self.assertStatus("NOT_FOUND", self.m.sequence_delete, unique("nosuch"))

    def test_deleting_a_sequence_leaves_a_sequence_sharing_a_prefix(self):
        name, _ = self._finalized()
        twin, twin_session = self.new_session(name + "x")
        rows = imu2026_rows(2, seed=9)
        self.put_topic(twin, twin_session, "a", IMU2026_SCHEMA, rows)
        self.m.sequence_delete(name)
        self.assertRows(self.m.read_topic(twin, "a"), rows)


if __name__ == "__main__":
    unittest.main()

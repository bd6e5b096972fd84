"""2026 protocol, section 4.6: `*_notification_create|list|purge`: exact item keys, `name` the full locator,
`msg` verbatim (the SDK's "Inner err: '...'" form included), `created_datetime` ISO-like as the SDK parses
it, `notification_type` checked, and unknown resources NOT_FOUND (the daemon's INTERNAL is a quirk)."""
import unittest
from datetime import datetime, timedelta, timezone

from _sdk2026 import IMU2026_SCHEMA, Mosaico2026TestCase, decode_result, unique, unpack

SDK_MSG = ("Error in session '0b5c6a0e-1f7a-4c8e-9a53-3d2f0c7b9e21' of sequence 'x', the session was finalized."
           "\nInner err: '__exception_in_test__'")


class Notifications(Mosaico2026TestCase):
    def test_sequence_notifications_round_trip(self):
        name = self.new_sequence("notif")
        self.assertIsNone(decode_result("sequence_notification_create", self.m.raw_action(
            "sequence_notification_create", {"locator": name, "notification_type": "error", "msg": SDK_MSG})))
        self.m.notification_create("sequence", "/" + name, "")
        self.m.notification_create("sequence", name, "ünïcödé ✓ 😀 \"quoted\" \\ \t tab")
        items = self.m.notification_list("sequence", name)
        self.assertEqual(sorted(n.msg for n in items),
                         sorted([SDK_MSG, "", "ünïcödé ✓ 😀 \"quoted\" \\ \t tab"]))
        self.assertTrue(any("Inner err: '__exception_in_test__'" in n.msg for n in items))
        now = datetime.now(timezone.utc)
        for n in items:
            self.assertEqual((n.name, n.notification_type), (name, "error"))
            self.assertLess(abs(n.created - now), timedelta(minutes=5), n.created_datetime)
        self.assertIsNone(decode_result("sequence_notification_purge", self.m.raw_action(
            "sequence_notification_purge", {"locator": name})))
        self.assertEqual(self.m.notification_list("sequence", name), [])

    def test_topic_notifications_name_the_full_locator(self):
        name, session = self.new_session("tnotif")
        locator, _ = self.put_topic(name, session, "front/imu", IMU2026_SCHEMA, [])
        self.assertIsNone(decode_result("topic_notification_create", self.m.raw_action(
            "topic_notification_create", {"locator": locator, "notification_type": "error", "msg": "boom"})))
        [n] = self.m.notification_list("topic", locator)
        self.assertEqual((n.name, n.notification_type, n.msg), (locator, "error", "boom"))
        self.assertEqual(unpack(n.name), (name, "/front/imu"))
        self.assertEqual(self.m.notification_list("sequence", name), [], "topic notes are not the sequence's")
        self.assertIsNone(decode_result("topic_notification_purge", self.m.raw_action(
            "topic_notification_purge", {"locator": locator})))
        self.assertEqual(self.m.notification_list("topic", locator), [])

    def test_only_the_error_type_exists(self):
        name = self.new_sequence("ntype")
        for bad in ("warning", "Error", ""):
            with self.subTest(type=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.notification_create, "sequence", name, "m", bad)
        self.assertEqual(self.m.notification_list("sequence", name), [])

    def test_unknown_resources_are_not_found(self):
        name = self.new_sequence("nres")
        for kind, locator in (("sequence", unique("nosuch")), ("topic", f"{name}/nosuch")):
            with self.subTest(kind=kind):
                self.assertStatus("NOT_FOUND", self.m.notification_create, kind, locator, "m")
                self.assertStatus("NOT_FOUND", self.m.notification_list, kind, locator)
                self.assertStatus("NOT_FOUND", self.m.notification_purge, kind, locator)

    def test_notifications_go_with_their_resource(self):
        name, session = self.new_session("ngone")
        locator, _ = self.put_topic(name, session, "t", IMU2026_SCHEMA, [])
        self.m.notification_create("sequence", name, "s")
        self.m.notification_create("topic", locator, "t")
        self.m.session_delete(session)
        self.assertStatus("NOT_FOUND", self.m.notification_list, "topic", locator)
        self.assertEqual([n.msg for n in self.m.notification_list("sequence", name)], ["s"])
        self.m.sequence_delete(name)
        self.m.sequence_create(name, {})
        self.assertEqual(self.m.notification_list("sequence", name), [])
        s2 = self.m.session_create(name)
        self.put_topic(name, s2, "t", IMU2026_SCHEMA, [])
        self.assertEqual(self.m.notification_list("topic", locator), [])


if __name__ == "__main__":
    unittest.main()

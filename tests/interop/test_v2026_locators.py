"""2026 protocol, section 2: leading `/` stripped from every locator, sequence-shaped vs topic-shaped
refusals, the daemon's forbidden characters (refused, or accepted consistently where a shared catalogue keeps
0.1.0 names), and the topic-under-the-session's-sequence check (an exact sequence segment, PERMISSION_DENIED,
not the daemon's string prefix)."""
import json
import unittest

import pyarrow.flight as flight

from _sdk2026 import (
    IMU2026_SCHEMA, Mosaico2026TestCase, batch_of, grpc_code, imu2026_rows, put_command, unique, unpack, upload,
    upload_error,
)

BAD_CHARS = ["a b", "a.b", "a!b", 'a"b', "a'b", "a*b", "a£b", "a$b", "a%b", "a&b", "séq", "a😀"]


class LeadingSlash(Mosaico2026TestCase):
    def test_leading_slashes_are_stripped_everywhere(self):
        name = unique("slash")
        self.m.sequence_create("/" + name, {"k": 1})
        self.assertIn(name, self.m.list_sequences())
        self.assertNotIn("/" + name, self.m.list_sequences())
        session = self.m.session_create("//" + name)
        topic_uuid = self.m.topic_create(f"/{name}/front/imu", session)
        rows = imu2026_rows(4, seed=3)
        upload(self.m.client, f"//{name}/front/imu", topic_uuid, IMU2026_SCHEMA, [batch_of(rows, IMU2026_SCHEMA)])
        self.m.notification_create("sequence", "/" + name, "s")
        self.m.notification_create("topic", f"/{name}/front/imu", "t")
        self.assertEqual([n.name for n in self.m.notification_list("sequence", "/" + name)], [name])
        self.assertEqual([n.name for n in self.m.notification_list("topic", f"//{name}/front/imu")],
                         [f"{name}/front/imu"])
        self.m.session_finalize(session)
        # GetFlightInfo commands with a leading / (the SDK strips them, other clients may not)
        view = self.m.sequence_info(name)
        self.assertEqual(view.sessions[0].topics, [f"{name}/front/imu"])
        self.assertEqual(view.topics, ["/front/imu"])
        topic = self.m.topic_info(name, "front/imu")
        self.assertEqual(topic.manifest.resource_locator, f"{name}/front/imu")
        self.assertEqual(unpack(topic.manifest.resource_locator), (name, "/front/imu"))
        self.assertRows(self.m.read(topic.ticket), rows)
        raw = self.m.client.get_flight_info(flight.FlightDescriptor.for_command(
            json.dumps({"resource_locator": f"/{name}/front/imu"}).encode()))
        self.assertEqual(len(raw.endpoints), 1)
        self.m.notification_purge("topic", f"/{name}/front/imu")
        self.m.topic_delete(f"/{name}/front/imu")
        self.m.sequence_delete("/" + name)
        self.assertNotIn(name, self.m.list_sequences())


class Shapes(Mosaico2026TestCase):
    def test_topic_shaped_locators_are_refused_where_a_sequence_is_expected(self):
        name, session = self.new_session("shape")
        for bad in (f"{name}/x", f"{name}/", "a/b/c"):
            with self.subTest(locator=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_create, bad, {})
                self.assertStatus("INVALID_ARGUMENT", self.m.session_create, bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.notification_create, "sequence", bad, "m")
                self.assertStatus("INVALID_ARGUMENT", self.m.notification_list, "sequence", bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.notification_purge, "sequence", bad)
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_delete, bad)
        self.assertIn(name, self.m.list_sequences())

    def test_sequence_shaped_locators_are_refused_where_a_topic_is_expected(self):
        name, session = self.new_session("shape")
        self.assertStatus("INVALID_ARGUMENT", self.m.topic_create, name, session)
        self.assertStatus("INVALID_ARGUMENT", self.m.topic_delete, name)
        self.assertStatus("INVALID_ARGUMENT", self.m.notification_create, "topic", name, "m")
        self.assertStatus("INVALID_ARGUMENT", self.m.notification_list, "topic", name)
        self.assertStatus("INVALID_ARGUMENT", self.m.notification_purge, "topic", name)
        topic_uuid = self.m.topic_create(f"{name}/t", session)
        err = upload_error(self.m.client, name, topic_uuid, IMU2026_SCHEMA, [])
        self.assertUploadStatus("INVALID_ARGUMENT", err)
        self.assertFalse(self.m.sequence_info(name).endpoint(f"{name}/t").manifest.locked)

    def test_empty_and_several_colons_are_invalid_argument(self):
        # "x:y" is session-shaped: not a sequence
        for bad in ["", "   ", "/", "//", "x:y", "a:b:c", "a/b:c", "a:b/c"]:
            with self.subTest(locator=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.sequence_create, bad, {})
        name, session = self.new_session("colons")
        # invalid, or (read as a topic of sequence "<name>:x") not under this session's sequence
        self.assertStatusIn(("INVALID_ARGUMENT", "PERMISSION_DENIED"), self.m.topic_create, f"{name}:x/y", session)
        self.assertEqual(self.m.sequence_info(name).endpoints, [])

    def test_characters_the_daemon_refuses_are_refused_or_fully_usable(self):
        # 2.1 (daemon, not a MUST: the SDK never sends them) refuses these; a server sharing its catalogue
        # with 0.1.0 names may accept them, but then consistently: listed, described, deletable.
        for bad in BAD_CHARS + [":"]:
            with self.subTest(char=bad):
                name = f"{unique('chr')}{bad}" if bad != ":" else unique("chr")
                try:
                    self.m.sequence_create(name, {})
                except Exception as err:  # noqa: BLE001
                    self.assertEqual(grpc_code(err), "INVALID_ARGUMENT", str(err))
                    self.assertNotIn(name, self.m.list_sequences())
                    continue
                self.assertIn(name, self.m.list_sequences())
                session = self.m.session_create(name)
                try:
                    self.put_topic(name, session, f"t{bad}", IMU2026_SCHEMA, imu2026_rows(1))
                except Exception as err:  # noqa: BLE001
                    self.assertEqual(grpc_code(err), "INVALID_ARGUMENT", str(err))
                    self.assertEqual(self.m.sequence_info(name).topics, [])
                    self.m.sequence_delete(name)
                    continue
                self.assertEqual(self.m.sequence_info(name).topics, [f"/t{bad}"])
                self.assertEqual(self.m.read_topic(name, f"t{bad}").table.num_rows, 1)
                self.m.sequence_delete(name)
                self.assertNotIn(name, self.m.list_sequences())

    def test_names_the_sdk_accepts_are_accepted(self):
        name = unique("Ok-Name_09")
        self.m.sequence_create(name, {})
        session = self.m.session_create(name)
        for rel in ("a", "A-b_c/0", "deep/er/and/deeper"):
            self.m.topic_create(f"{name}/{rel}", session)
        self.assertEqual(self.m.sequence_info(name).topics, sorted(["/a", "/A-b_c/0", "/deep/er/and/deeper"]))


class UnderTheSessionsSequence(Mosaico2026TestCase):
    def test_a_topic_of_another_sequence_is_permission_denied(self):
        name, session = self.new_session("under")
        other = self.new_sequence("under")
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{other}/t", session)
        self.assertEqual(self.m.sequence_info(other).endpoints, [])

    def test_a_name_that_only_shares_a_prefix_is_permission_denied(self):
        name, session = self.new_session("prefix")
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{name}x/t", session)
        twin = name + "x"
        self.m.sequence_create(twin, {})
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{twin}/t", session)
        self.assertStatus("PERMISSION_DENIED", self.m.topic_create, f"{name[:-1]}/t", session)
        self.assertEqual(self.m.sequence_info(twin).endpoints, [])
        self.assertEqual(self.m.sequence_info(name).endpoints, [])
        self.m.topic_create(f"{name}/t", session)

    def test_doput_command_names_the_topic_of_its_uuid(self):
        name, session = self.new_session("cmd")
        a = self.m.topic_create(f"{name}/a", session)
        self.m.topic_create(f"{name}/b", session)
        # the uuid of /a with the locator of /b: PERMISSION_DENIED, nothing stored anywhere
        err = upload_error(self.m.client, f"{name}/b", a, IMU2026_SCHEMA,
                           [batch_of(imu2026_rows(2), IMU2026_SCHEMA)])
        self.assertUploadStatus("PERMISSION_DENIED", err)
        view = self.m.sequence_info(name)
        self.assertEqual([e.manifest.locked for e in view.endpoints], [False, False])
        self.assertEqual(put_command("x/y", "u"), b'{"resource_locator": "x/y", "topic_uuid": "u"}')


if __name__ == "__main__":
    unittest.main()

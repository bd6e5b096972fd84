"""2026 protocol, sections 1.3, 3, 4.9, 7.1: the SDK's connection probe, the listing, `version`, and the
DoAction encoding rules (one Result, `{"action", "response"}`, body errors)."""
import json
import time
import unittest

import pyarrow.flight as flight

from _sdk2026 import (
    Mosaico2026, Mosaico2026TestCase, ProtocolViolation, connect, decode_result, new_client,
    unique,
)


class Probe(Mosaico2026TestCase):
    def test_probe_on_an_empty_catalogue(self):
        client = new_client()
        try:
            listing = list(client.list_flights())
        finally:
            client.close()
        if listing:
            self.skipTest("the catalogue is not empty (other modules ran first): run this module alone on a "
                          "fresh daemon to cover the empty case")
        started = time.monotonic()
        c = connect()
        try:
            self.assertLess(time.monotonic() - started, 5.0)
            self.assertEqual(Mosaico2026(c).list_sequences(), [])
        finally:
            c.close()

    def test_probe_on_a_full_catalogue_is_quick_and_lists_exactly_what_exists(self):
        names = [self.new_sequence("probe") for _ in range(5)]
        self.m.sequence_delete(names[-1])
        started = time.monotonic()
        c = connect()
        try:
            self.assertLess(time.monotonic() - started, 5.0)
            m = Mosaico2026(c)
            listed = m.list_sequences()
            self.assertEqual(len(listed), len(set(listed)), "a sequence listed twice")
            for n in names[:-1]:
                self.assertIn(n, listed)
            self.assertNotIn(names[-1], listed)
            # 7.1: descriptor PATH [<locator>], one endpoint whose ticket is the locator, no schema, -1 totals
            infos = {i.descriptor.path[0].decode(): i for i in c.list_flights() if i.descriptor.path}
            for n in names[:-1]:
                info = infos[n]
                self.assertEqual(info.descriptor.descriptor_type, flight.DescriptorType.PATH)
                self.assertEqual(info.descriptor.path, [n.encode()])
                self.assertEqual([e.ticket.ticket for e in info.endpoints], [n.encode()])
                self.assertEqual((info.total_records, info.total_bytes), (-1, -1))
                self.assertIsNone(info.schema)
        finally:
            c.close()

    def test_slash_criteria_lists_the_same_and_other_criteria_are_invalid_argument(self):
        name = self.new_sequence("crit")
        slash = [i.descriptor.path[0].decode() for i in self.m.client.list_flights(b"/")]
        self.assertIn(name, slash)
        self.assertStatus("INVALID_ARGUMENT", self.m.client.list_flights, b"sensors/*")

    def test_one_connection_serves_every_call_of_a_client(self):
        # connect() opens ONE FlightClient; the probe and everything after it share its channel
        c = connect(timeout=2)
        try:
            m = Mosaico2026(c)
            name = unique("onech")
            m.sequence_create(name, {})
            m.session_create(name)
            self.assertIn(name, m.list_sequences())
            m.version()
        finally:
            c.close()


class Version(Mosaico2026TestCase):
    def test_version_shape(self):
        v = self.m.version()
        s = v["semver"]
        expected = f"{s['major']}.{s['minor']}.{s['patch']}" + (f"-{s['pre']}" if s["pre"] else "")
        self.assertEqual(v["version"], expected)
        self.assertEqual(self.m.version(), v)

    def test_version_accepts_an_empty_object_with_extra_keys(self):
        self.assertEqual(decode_result("version", self.m.raw_action("version", {"extra": 1})), self.m.version())


class ActionEncoding(Mosaico2026TestCase):
    def test_results_are_one_compact_json_document_naming_the_action(self):
        name = unique()
        for action, body in (("sequence_create", {"locator": name, "user_metadata": {}}),
                             ("session_create", {"locator": name}), ("version", {})):
            results = self.m.raw_action(action, body)
            self.assertEqual(len(results), 1, results)
            obj = json.loads(results[0])
            self.assertIn(obj.get("action"), (action, "empty") if action == "sequence_create" else (action,))

    def test_unknown_action_names_are_invalid_argument(self):
        # `info` is an action since 0.7 (delta A1), on every connection
        for name in ("sequence_explode", "topic_filter_create", "session_update", ""):
            with self.subTest(name=name):
                self.assertStatus("INVALID_ARGUMENT", self.m.raw_action, name, b"{}")

    def test_bodies_that_do_not_fit_the_action_are_invalid_argument(self):
        name = unique()
        for action, body in (
            ("sequence_create", b""), ("sequence_create", b"not json"), ("sequence_create", b"[]"),
            ("sequence_create", json.dumps({"locator": name}).encode()),            # user_metadata missing
            ("sequence_create", json.dumps({"locator": 5, "user_metadata": {}}).encode()),
            ("session_create", b"{}"), ("session_create", json.dumps({"locator": None}).encode()),
            ("session_finalize", b"{}"), ("session_finalize", json.dumps({"session_uuid": 7}).encode()),
            ("session_delete", json.dumps({"locator": name}).encode()),
            ("topic_create", json.dumps({"locator": f"{name}/t", "session_uuid": "x"}).encode()),
            ("sequence_notification_list", b"{}"),
            ("api_key_status", b"{}"),
        ):
            with self.subTest(action=action, body=body):
                self.assertStatus("INVALID_ARGUMENT", self.m.raw_action, action, body)
        self.assertNotIn(name, self.m.list_sequences())

    def test_extra_keys_in_bodies_are_ignored(self):
        name = unique()
        self.m.action("sequence_create", {"locator": name, "user_metadata": {"a": 1}, "extra": [1, 2]})
        session = self.m._uuid("session_create", {"locator": name, "comment": "ignored"})
        self.assertEqual([s.uuid for s in self.m.sequence_info(name).sessions], [session])

    def test_strict_decoder_rejects_what_the_sdk_cannot_read(self):
        # a sanity check of the test model itself
        bad = [[], [b'{"action":"session_create","response":{"uuid":"a"}}'] * 2,
               [b'{"action":"other","response":{"uuid":"a"}}'],
               [b'{"action":"session_create","response":{"uuid":"a","extra":1}}']]
        for results in bad:
            with self.assertRaises(ProtocolViolation):
                decode_result("session_create", results)


if __name__ == "__main__":
    unittest.main()

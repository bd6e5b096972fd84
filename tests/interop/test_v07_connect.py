"""SDK 0.7 (delta doc A1, A2, A6, B1, §6): the `info` probe, its answer, and the per-connection dialect:
a connection that called `info` (or made another call only 0.6/0.7 make) gets `session_create` →
`{"uuid", "locator"}`, while a 0.4 connection still gets exactly `{"uuid"}` from the same server."""
import json
import time
import unittest

import pyarrow.flight as flight

from _sdk07 import CONFIG_KEYS, Mosaico07, Mosaico07TestCase, info_probe, parse_server_info
from _sdk07_data import IMU07_SCHEMA, imu07_rows
from _sdk07_info import SESSION_LOCATOR_RE
from _sdk2026 import API_KEY, Mosaico2026, batch_of, connect, decode_result, new_client, upload
from _sdk2026_conn import UUID_RE, cause_code

MIB = 1024 * 1024


def session_create_keys(client: flight.FlightClient, sequence: str) -> set:
    """The keys of `session_create`'s response, read raw (one Result)."""
    [raw] = [r.body.to_pybytes() for r in client.do_action(flight.Action("session_create", json.dumps(
        {"locator": sequence}).encode()))]
    obj = json.loads(raw)
    assert obj["action"] == "session_create", obj
    return set(obj["response"])


class Info(Mosaico07TestCase):
    def test_the_probe_answered_with_version_semver_and_config(self):
        info = self.m.server_info
        self.assertRegex(info.version, r"^\d+\.\d+\.\d+")
        self.assertEqual(info.version.split("-")[0].split("+")[0],
                         f"{info.semver['major']}.{info.semver['minor']}.{info.semver['patch']}")
        self.assertGreaterEqual((info.semver["major"], info.semver["minor"]), (0, 7), "0.7.0 needs a daemon >= 0.7")
        for k in CONFIG_KEYS:
            self.assertIsInstance(info.config[k], int, k)
        self.assertEqual(self.m.info(), info, "the same answer on every call")

    def test_limits_are_honest_and_in_range(self):
        cfg = self.m.server_info.config
        self.assertGreaterEqual(cfg["grpc_max_decode_message_size"], 4 * MIB)
        self.assertLessEqual(cfg["grpc_max_decode_message_size"], 512 * MIB)
        self.assertLessEqual(cfg["grpc_target_encode_message_size"], cfg["grpc_max_encode_message_size"])
        self.assertEqual(self.m.batch_limit, int(0.9 * cfg["grpc_max_decode_message_size"]))

    def test_the_0_7_dev_names_ride_along(self):
        # A1: the 0.7-dev JSON SDK read max_grpc_message_size / target_message_size
        cfg = self.m.server_info.config
        self.assertEqual(cfg.get("max_grpc_message_size"), cfg["grpc_max_decode_message_size"])
        self.assertEqual(cfg.get("target_message_size"), cfg["grpc_target_encode_message_size"])

    def test_info_is_one_result_with_exactly_three_keys(self):
        [raw] = [r.body.to_pybytes() for r in self.m.client.do_action(flight.Action("info", b"{}"))]
        resp = decode_result("info", [raw], response_keys={"info": {"version", "semver", "config"}})
        self.assertEqual(parse_server_info(resp), self.m.server_info)

    def test_a_new_connection_is_quick(self):
        started = time.monotonic()
        Mosaico07().close()
        self.assertLess(time.monotonic() - started, 2.0)

    def test_a_probe_that_never_succeeds_waits_the_timeout_then_raises_connection_error(self):
        client = flight.FlightClient("grpc://127.0.0.1:1")  # nothing listens there
        started = time.monotonic()
        try:
            with self.assertRaises(ConnectionError):
                info_probe(client, 0.3)
        finally:
            client.close()
        self.assertGreaterEqual(time.monotonic() - started, 0.3, "retried until the timeout (B1)")

    @unittest.skipUnless(API_KEY, "API keys off: with keys on, a key-less `info` must fail")
    def test_without_a_key_the_probe_fails_for_the_whole_timeout(self):
        started = time.monotonic()
        with self.assertRaises(ConnectionError) as ctx:
            Mosaico07(api_key=None, timeout=0.5)
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertIn(cause_code(ctx.exception), ("PERMISSION_DENIED", "UNAUTHENTICATED"))


class Dialects(Mosaico07TestCase):
    def test_session_create_answers_each_connection_in_its_dialect(self):
        name = self.new_sequence("dial07")
        s = self.m.session_open(name)  # checked: uuid and <seq>:<ULID>
        self.assertNotEqual(s.locator.split(":", 1)[1], s.uuid)
        old = Mosaico2026()  # 0.4: ListFlights probe
        try:
            self.assertEqual(session_create_keys(old.client, name), {"uuid"})
            self.assertEqual(session_create_keys(self.m.client, name), {"uuid", "locator"})
            self.assertEqual(session_create_keys(old.client, name), {"uuid"}, "unchanged by the other connection")
        finally:
            old.close()

    def test_every_session_gets_its_own_ulid(self):
        name = self.new_sequence("ulid07")
        locators = [self.m.session_open(name).locator for _ in range(5)]
        self.assertEqual(len(set(locators)), 5)
        for loc in locators:
            self.assertRegex(loc, SESSION_LOCATOR_RE)
            self.assertTrue(loc.startswith(f"{name}:"))

    def test_get_schema_proves_0_6_on_a_connection_without_info(self):
        # §6: a 0.6 SDK sends no `info`; GetSchema is a call only 0.6 and later make
        name = self.new_sequence("dial06")
        s = self.m.session_open(name)
        tu = self.m.topic_create(f"{name}/imu", s.uuid)
        upload(self.m.client, f"{name}/imu", tu, IMU07_SCHEMA, [batch_of(imu07_rows(3), IMU07_SCHEMA)])
        client = connect()  # the ListFlights probe, as 0.4 and (assumed) 0.6
        try:
            client.get_schema(flight.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{name}/imu"})))
            self.assertEqual(session_create_keys(client, name), {"uuid", "locator"})
        finally:
            client.close()

    def test_a_name_query_with_a_2026_key_proves_0_6(self):
        name = self.new_sequence("dialq")
        client = connect()
        try:
            body = {"sequence": {"name": {"$eq": name}, "created_at_ns": {"$geq": 0}}}
            list(client.do_action(flight.Action("query", json.dumps(body).encode())))
            self.assertEqual(session_create_keys(client, name), {"uuid", "locator"})
        finally:
            client.close()

    def test_version_stays_a_0_4_call(self):
        # A2: 0.7 never sends `version`; a 0.4 connection still may, and stays 0.4
        name = self.new_sequence("dialv")
        old = Mosaico2026(new_client())
        try:
            old.version()
            self.assertEqual(session_create_keys(old.client, name), {"uuid"})
            self.assertRegex(old.session_create(name), UUID_RE)
        finally:
            old.close()

    def test_a_session_locator_is_not_a_sequence_name(self):
        name = self.new_sequence("dialsc")
        s = self.m.session_open(name)
        self.assertStatus("INVALID_ARGUMENT", self.m.sequence_create, s.locator, {})


if __name__ == "__main__":
    unittest.main()

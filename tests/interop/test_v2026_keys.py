"""2026 protocol, section 11: API keys in the `mosaico-api-key-token` header. Runs only against a daemon with
API keys on, given a manage token in MOSAICOD_API_KEY (every other module then sends it too); skipped
otherwise. Missing, malformed, unknown, expired and revoked keys are UNAUTHENTICATED (the daemon's
INVALID_ARGUMENT / INTERNAL are quirks), permission failures PERMISSION_DENIED, checked before existence."""
import time
import unittest
import zlib

import pyarrow.flight as flight

from _sdk2026 import (
    API_KEY, IMU2026_SCHEMA, TOKEN_RE, Mosaico2026, Mosaico2026TestCase, SequenceWriter, batch_of, cause_code,
    connect, grpc_code, imu2026_rows, new_client, now_ns, random_uuid, unique, upload,
)

REQUIRES_KEYS = bool(API_KEY)
SKIP_REASON = "API keys off: set MOSAICOD_API_KEY to a manage token of a daemon running with API keys"
LEVELS = ["read", "write", "delete", "manage"]
WRONG_KEY = "msco_wrongauthapikey123_abc12345"
REVOCATION_SECONDS = 8.0  # a daemon may cache a key's row for a few seconds


def fingerprint(token: str) -> str:
    return token.rsplit("_", 1)[1]


def well_formed_unknown_token() -> str:
    payload = unique("k").replace("_", "")[:32].ljust(32, "0")
    return f"msco_{payload}_{zlib.crc32(payload.encode()) & 0xFFFFFFFF:08x}"


@unittest.skipUnless(REQUIRES_KEYS, SKIP_REASON)
class Authentication(Mosaico2026TestCase):
    def assertRefused(self, token):
        with self.assertRaises(ConnectionError) as ctx:
            connect(api_key=token, timeout=1)
        self.assertEqual(cause_code(ctx.exception), "UNAUTHENTICATED", str(ctx.exception))

    def test_no_key_and_unknown_keys_fail_the_probe_with_unauthenticated(self):
        for token in (None, WRONG_KEY, "", "not a token", "msco__", well_formed_unknown_token(),
                      API_KEY[:-1] + ("0" if API_KEY[-1] != "0" else "1"),   # wrong checksum/fingerprint
                      "msco_" + "a" * 32 + "_" + fingerprint(API_KEY)):       # right fingerprint, wrong payload
            with self.subTest(token=token):
                if token == "":
                    client = new_client(api_key=None)
                    try:
                        opts = flight.FlightCallOptions(headers=[(b"mosaico-api-key-token", b"")])
                        self.assertStatus("UNAUTHENTICATED", client.list_flights, options=opts)
                    finally:
                        client.close()
                else:
                    self.assertRefused(token)

    def test_every_rpc_needs_a_key(self):
        client = new_client(api_key=None)
        try:
            self.assertStatus("UNAUTHENTICATED", client.do_action, flight.Action("version", b"{}"))
            self.assertStatus("UNAUTHENTICATED", client.get_flight_info,
                              flight.FlightDescriptor.for_command(b'{"resource_locator": "x"}'))
            self.assertStatus("UNAUTHENTICATED", lambda: client.do_get(flight.Ticket(b"\x01x")).read_all())
            # also the RPCs nobody implements: the key check comes first
            self.assertStatus("UNAUTHENTICATED", client.list_actions)
        finally:
            client.close()


@unittest.skipUnless(REQUIRES_KEYS, SKIP_REASON)
class Permissions(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {lvl: cls.m.api_key_create(lvl, f"test {lvl} ✓") for lvl in LEVELS}
        cls.clients = {lvl: Mosaico2026(connect(api_key=t)) for lvl, t in cls.tokens.items()}

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients.values():
            c.close()
        super().tearDownClass()

    def fixture(self):
        """A sequence with a finalized session (topic `t` with rows, notifications) made with the manage key."""
        name, session = self.new_session("perm")
        locator, topic_uuid = self.put_topic(name, session, "t", IMU2026_SCHEMA, imu2026_rows(3))
        self.m.session_finalize(session)
        self.m.notification_create("sequence", name, "n")
        self.m.notification_create("topic", locator, "n")
        return name, session, locator

    def check(self, needs, fn):
        """fn(client) must succeed for every key at or above `needs`, and be PERMISSION_DENIED below it."""
        for lvl in LEVELS:
            with self.subTest(key=lvl, needs=needs):
                if LEVELS.index(lvl) >= LEVELS.index(needs):
                    fn(self.clients[lvl])
                else:
                    self.assertStatus("PERMISSION_DENIED", fn, self.clients[lvl])

    def test_token_shape_and_status(self):
        for lvl, token in self.tokens.items():
            self.assertRegex(token, TOKEN_RE)
            st = self.m.api_key_status(fingerprint(token))
            self.assertEqual((st["api_key_fingerprint"], st["description"], st["expires_at_ns"]),
                             (fingerprint(token), f"test {lvl} ✓", None))
            self.assertNs(st["created_at_ns"])
        self.assertEqual(self.m.api_key_status(fingerprint(API_KEY))["api_key_fingerprint"], fingerprint(API_KEY))

    def test_read_rpcs_and_actions(self):
        name, _, locator = self.fixture()
        self.check("read", lambda c: c.list_sequences())
        self.check("read", lambda c: c.sequence_info(name))
        self.check("read", lambda c: c.read_topic(name, "t"))
        self.check("read", lambda c: c.query({"sequence": {"locator": {"$eq": name}}}))
        self.check("read", lambda c: c.notification_list("sequence", name))
        self.check("read", lambda c: c.notification_list("topic", locator))
        self.check("read", lambda c: c.version())

    def test_write_rpcs_and_actions(self):
        name = unique("permw")
        self.m.sequence_create(name, {})
        session = self.m.session_create(name)
        counter = iter(range(100))

        def create_upload_finalize(c):
            i = next(counter)
            c.sequence_create(f"{name}_{i}", {})
            s = c.session_create(f"{name}_{i}")
            tu = c.topic_create(f"{name}_{i}/t", s)
            upload(c.client, f"{name}_{i}/t", tu, IMU2026_SCHEMA, [batch_of(imu2026_rows(1), IMU2026_SCHEMA)])
            c.session_finalize(s)
            c.notification_create("sequence", f"{name}_{i}", "n")
            c.notification_create("topic", f"{name}_{i}/t", "n")

        self.check("write", create_upload_finalize)
        self.check("write", lambda c: c.session_create(name))
        self.check("write", lambda c: c.topic_create(f"{name}/t{next(counter)}", session))
        topic_uuid = self.m.topic_create(f"{name}/put", session)
        for lvl in ("read",):
            writer_err = None
            try:
                upload(self.clients[lvl].client, f"{name}/put", topic_uuid, IMU2026_SCHEMA, [])
            except Exception as e:  # noqa: BLE001
                writer_err = e
            self.assertUploadStatus("PERMISSION_DENIED", writer_err)
        self.assertFalse(self.m.topic_info(name, "put").manifest.locked)
        upload(self.clients["write"].client, f"{name}/put", topic_uuid, IMU2026_SCHEMA, [])

    def test_delete_actions(self):
        def seq_delete(c):
            name, _, _ = self.fixture()
            c.sequence_delete(name)

        def session_delete(c):
            _, session, _ = self.fixture()
            c.session_delete(session)

        def topic_delete(c):
            _, _, locator = self.fixture()
            c.topic_delete(locator)

        def purges(c):
            name, _, locator = self.fixture()
            c.notification_purge("sequence", name)
            c.notification_purge("topic", locator)

        for fn in (seq_delete, session_delete, topic_delete, purges):
            self.check("delete", fn)

    def test_manage_actions(self):
        def lifecycle(c):
            token = c.api_key_create("read", "made by a test", now_ns() + 3600 * 10**9)
            st = c.api_key_status(fingerprint(token))
            self.assertEqual(st["description"], "made by a test")
            self.assertGreater(st["expires_at_ns"], now_ns())
            c.api_key_revoke(fingerprint(token))

        self.check("manage", lifecycle)
        victim = self.m.api_key_create("read", "victim")
        self.check("manage", lambda c: c.api_key_status(fingerprint(victim)))
        for lvl in ("read", "write", "delete"):
            self.assertStatus("PERMISSION_DENIED", self.clients[lvl].api_key_revoke, fingerprint(victim))
            self.assertStatus("PERMISSION_DENIED", self.clients[lvl].api_key_create, "read", "x")

    def test_permission_comes_before_existence(self):
        for lvl in ("read", "write", "delete"):
            with self.subTest(key=lvl):
                self.assertStatus("PERMISSION_DENIED", self.clients[lvl].api_key_status, "0badf00d")
        self.assertStatus("NOT_FOUND", self.m.api_key_status, "0badf00d")
        self.assertStatus("PERMISSION_DENIED", self.clients["read"].session_finalize, random_uuid())
        self.assertStatus("PERMISSION_DENIED", self.clients["read"].topic_create, f"{unique()}/t", random_uuid())
        self.assertStatus("PERMISSION_DENIED", self.clients["write"].sequence_delete, unique("nosuch"))
        # the request is parsed first: an unknown action or bad body is INVALID_ARGUMENT whatever the key
        self.assertStatus("INVALID_ARGUMENT", self.clients["read"].raw_action, "no_such_action", b"{}")
        self.assertStatus("INVALID_ARGUMENT", self.clients["read"].raw_action, "api_key_create", b"{}")

    def test_bad_permission_name_is_invalid_argument(self):
        for bad in ("", "admin", "Read", "read,write"):
            with self.subTest(permissions=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.api_key_create, bad, "x")

    def test_write_key_with_the_delete_policy_cannot_delete(self):
        w = self.clients["write"]
        name = unique("wdel")

        class Boom(Exception):
            pass

        writer = SequenceWriter(w, name, on_error="delete")
        with self.assertRaises(Exception) as ctx:
            with writer:
                writer.topic_create("test_topic", IMU2026_SCHEMA)
                raise Boom("__exception_in_test__")
        self.assertEqual(grpc_code(writer.last_error), "PERMISSION_DENIED")
        self.assertNotIsInstance(ctx.exception, Boom)
        view = self.m.sequence_info(name)
        [s] = view.sessions
        self.assertEqual((s.uuid, s.locked, s.completed_at_ns), (writer.session_uuid, False, None))
        self.assertEqual(view.topics, ["/test_topic"])


@unittest.skipUnless(REQUIRES_KEYS, SKIP_REASON)
class ExpiryAndRevocation(Mosaico2026TestCase):
    def wait_refused(self, token, seconds):
        deadline = time.monotonic() + seconds
        while True:
            try:
                c = connect(api_key=token, timeout=1)
            except ConnectionError as err:
                self.assertEqual(cause_code(err), "UNAUTHENTICATED", str(err))
                return
            c.close()
            if time.monotonic() > deadline:
                self.fail(f"key still accepted after {seconds} s")
            time.sleep(0.25)

    def test_an_expired_key_is_refused(self):
        token = self.m.api_key_create("read", "short-lived", now_ns() + 2 * 10**9)
        Mosaico2026(connect(api_key=token)).close()
        st = self.m.api_key_status(fingerprint(token))
        self.assertGreater(st["expires_at_ns"], now_ns() - 10**9)
        time.sleep(2.2)
        self.wait_refused(token, 1.0)

    def test_a_revoked_key_is_refused(self):
        token = self.m.api_key_create("write", "revoked")
        c = Mosaico2026(connect(api_key=token))
        c.version()
        c.close()
        self.m.api_key_revoke(fingerprint(token))
        self.wait_refused(token, REVOCATION_SECONDS)


if __name__ == "__main__":
    unittest.main()

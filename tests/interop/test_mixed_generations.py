"""Both protocol generations on one port (2026 doc, section 15): a sequence written by the 0.1.0 client is
listed, described, queried and read by a 2026 client (one implicit session, locked iff finalized), and a
2026-written sequence by a 0.1.0 client (PATH FlightInfo, `*_system_info`, plain tickets, 0.1.0 queries;
locked when it has sessions and all are finalized). The `query` answer shape follows the body, then the
dialect the connection last proved, then the 2026 shape. Skipped with API keys on: 0.1.0 clients send none."""
import calendar
import json
import socket
import unittest

import _rawflight as rf
import _sdk as v1
from _sdk2026 import (
    API_KEY, GPS2026_SCHEMA, IMU2026_SCHEMA, T0, Mosaico2026TestCase, SequenceWriter, batches_of,
    TLS_CA, URL, could_be_locator, gps2026_rows, imu2026_rows, new_client, now_ns, sorted_rows, unique,
)

SKIP = "API keys are on: 0.1.0 clients send no API key"
STEP = 1_000_003  # imu_rows() of _sdk.py


def old_client() -> v1.Mosaico:
    """A 0.1.0 SDK client on its own connection (TLS and gzip from the environment, no API key)."""
    return v1.Mosaico(new_client(api_key=None))


def datetime_ms(text: str) -> int:
    m = v1.DATETIME_RE.match(text)
    assert m, text
    secs = calendar.timegm(tuple(int(g) for g in m.groups()[:6]) + (0, 0, 0))
    return secs * 1000 + int(m.group(8) or 0)


@unittest.skipIf(API_KEY, SKIP)
class OldWrittenReadByNew(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        o = cls.o = old_client()
        cls.seq = unique("mix_old")
        cls.meta = {"robot": "rover-7", "site": {"floor": 2}}
        cls.key = o.sequence_create(cls.seq, cls.meta)
        cls.imu = v1.imu_rows(120, seed=1)
        cls.scalars = v1.scalar_rows(30, seed=2)
        k1 = o.topic_create(f"{cls.seq}/sensors/imu", cls.key, ontology_tag="imu", user_metadata={"hz": 100})
        v1.upload(o.client, f"{cls.seq}/sensors/imu", k1, v1.IMU_SCHEMA, batches_of(cls.imu, v1.IMU_SCHEMA, 50))
        k2 = o.topic_create(f"{cls.seq}/status", cls.key, ontology_tag="status")
        v1.upload(o.client, f"{cls.seq}/status", k2, v1.SCALARS_SCHEMA, batches_of(cls.scalars, v1.SCALARS_SCHEMA, 30))
        o.notify_create("sequence", cls.seq, "old note")
        o.sequence_finalize(cls.seq, cls.key)

    @classmethod
    def tearDownClass(cls):
        cls.o.close()
        super().tearDownClass()

    def test_listed_and_described_with_one_implicit_finalized_session(self):
        self.assertIn(self.seq, self.m.list_sequences())
        view = self.m.sequence_info(self.seq)
        self.assertEqual(view.user_metadata, self.meta)
        [s] = view.sessions
        self.assertEqual(s.uuid, self.key, "the implicit session's uuid is the sequence key")
        self.assertTrue(s.locked)
        self.assertNs(s.completed_at_ns)
        self.assertEqual(sorted(s.topics), [f"{self.seq}/sensors/imu", f"{self.seq}/status"])
        self.assertEqual(view.topics, ["/sensors/imu", "/status"])
        self.assertNs(view.created_at_ns)
        old_ms = datetime_ms(self.o.sequence_system_info(self.seq).created_datetime)
        self.assertLess(abs(view.created_at_ns - old_ms * 1_000_000), 1_000_000, "the same creation time, in ns")
        imu = view.endpoint(f"{self.seq}/sensors/imu").manifest
        self.assertTrue(imu.locked)
        self.assertGreater(imu.chunks_number, 0)
        self.assertEqual(imu.timestamp, (T0, T0 + 119 * STEP))
        for e in view.endpoints:
            self.assertFalse(could_be_locator(e.ticket))

    def test_topic_info_and_reads(self):
        t = self.m.topic_info(self.seq, "sensors/imu")
        self.assertFields(t.schema, v1.IMU_SCHEMA)
        self.assertEqual((t.ontology_tag, t.serialization_format, t.user_metadata), ("imu", "default", {"hz": 100}))
        self.assertRows(self.m.read(t.ticket), self.imu)
        window = self.m.read_topic(self.seq, "sensors/imu", T0 + 10 * STEP, T0 + 20 * STEP)
        self.assertSameRows(window.rows, sorted_rows(self.imu)[10:20])
        self.assertRows(self.m.read_topic(self.seq, "status"), self.scalars)
        # both ticket kinds on one connection
        self.assertRows(v1.read_stream(self.m.client, f"{self.seq}/status".encode()), self.scalars)

    def test_queried_with_the_2026_language(self):
        [item] = self.m.query({"sequence": {"locator": {"$eq": self.seq}}})
        self.assertEqual(item.locators, [f"{self.seq}/sensors/imu", f"{self.seq}/status"])
        [item] = self.m.query({"sequence": {"locator": {"$eq": self.seq}},
                               "ontology": {"imu.timestamp_ns": {"$geq": T0 + 100 * STEP},
                                            "include_timestamp_range": True}})
        self.assertEqual([(t.locator, t.timestamp_range) for t in item.topics],
                         [(f"{self.seq}/sensors/imu", (T0 + 100 * STEP, T0 + 119 * STEP))])

    def test_notifications_are_shared(self):
        [n] = self.m.notification_list("sequence", self.seq)
        self.assertEqual((n.name, n.notification_type, n.msg), (self.seq, "error", "old note"))
        self.m.notification_create("topic", f"{self.seq}/status", "new note")
        [old_view] = self.o.notify_list("topic", f"{self.seq}/status")
        self.assertEqual((old_view.name, old_view.notify_type, old_view.msg),
                         (f"{self.seq}/status", "error", "new note"))
        self.assertDatetime(old_view.created_datetime)

    def test_an_open_old_sequence_shows_an_open_session(self):
        seq = unique("mix_open")
        key = self.o.sequence_create(seq, {})
        k1 = self.o.topic_create(f"{seq}/done", key)
        v1.upload(self.o.client, f"{seq}/done", k1, v1.IMU_SCHEMA, [v1.batch_of(v1.imu_rows(3), v1.IMU_SCHEMA)])
        k2 = self.o.topic_create(f"{seq}/pending", key)
        view = self.m.sequence_info(seq)
        [s] = view.sessions
        self.assertEqual((s.locked, s.completed_at_ns), (False, None))
        self.assertEqual(view.topics, ["/done", "/pending"])
        self.assertTrue(view.endpoint(f"{seq}/done").manifest.locked)
        self.assertEqual(view.endpoint(f"{seq}/pending").manifest.info, None)
        v1.upload(self.o.client, f"{seq}/pending", k2, v1.IMU_SCHEMA, [])
        self.o.sequence_finalize(seq, key)
        self.assertTrue(self.m.sequence_info(seq).sessions[0].locked)

    def test_an_old_sequence_finalized_without_topics_has_one_locked_session(self):
        seq = unique("mix_empty")
        self.o.sequence_finalize(seq, self.o.sequence_create(seq, {}))
        [s] = self.m.sequence_info(seq).sessions
        self.assertEqual((s.locked, s.topics), (True, []))

    def test_a_2026_session_added_to_an_old_sequence_reopens_it_for_old_clients(self):
        seq = unique("mix_upd")
        key = self.o.sequence_create(seq, {})
        k = self.o.topic_create(f"{seq}/a", key)
        v1.upload(self.o.client, f"{seq}/a", k, v1.IMU_SCHEMA, [])
        self.o.sequence_finalize(seq, key)
        self.assertTrue(self.o.sequence_system_info(seq).is_locked)
        session = self.m.session_create(seq)
        self.assertFalse(self.o.sequence_system_info(seq).is_locked, "locked = sessions exist and all finalized")
        self.put_topic(seq, session, "b", IMU2026_SCHEMA, imu2026_rows(2))
        self.m.session_finalize(session)
        self.assertTrue(self.o.sequence_system_info(seq).is_locked)
        self.assertEqual(sorted(e.ticket.ticket for e in self.o.flight_info(seq).endpoints),
                         [f"{seq}/a".encode(), f"{seq}/b".encode()])

    def test_2026_deletes_ignore_the_old_lock(self):
        seq = unique("mix_del")
        key = self.o.sequence_create(seq, {})
        self.o.sequence_finalize(seq, key)
        self.assertStatus("FAILED_PRECONDITION", self.o.sequence_delete, seq)
        self.m.sequence_delete(seq)
        self.assertNotIn(seq, self.o.sequence_names())


@unittest.skipIf(API_KEY, SKIP)
class NewWrittenReadByOld(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.o = old_client()
        cls.seq = unique("mix_new")
        cls.meta = {"mission": "2026 ✓"}
        cls.ms_before = now_ns() // 1_000_000 - 1
        cls.imu = imu2026_rows(150, seed=3)
        cls.gps = gps2026_rows(40, seed=4)
        with SequenceWriter(cls.m, cls.seq, cls.meta) as w:
            tw = w.topic_create("front/imu", IMU2026_SCHEMA, ontology_tag="imu", user_metadata={"side": "front"})
            for r in cls.imu:
                tw.push(r)
            tw = w.topic_create("gps", GPS2026_SCHEMA, ontology_tag="gps")
            for r in cls.gps:
                tw.push(r)
        cls.m.notification_create("sequence", cls.seq, "new note")

    @classmethod
    def tearDownClass(cls):
        cls.o.close()
        super().tearDownClass()

    def test_listed_and_described_with_path_flight_info(self):
        self.assertIn(self.seq, self.o.sequence_names())
        info = self.o.flight_info(self.seq)
        self.assertEqual(sorted(e.ticket.ticket for e in info.endpoints),
                         [f"{self.seq}/front/imu".encode(), f"{self.seq}/gps".encode()])
        meta = v1.decode_metadata(info.schema)
        self.assertEqual((meta["mosaico:context"], meta["mosaico:user_metadata"]), ("sequence", self.meta))
        topic = self.o.flight_info(f"{self.seq}/front/imu")
        self.assertTopicSchema(topic.schema, IMU2026_SCHEMA, user_metadata={"side": "front"}, ontology_tag="imu")
        self.assertEqual([e.ticket.ticket for e in topic.endpoints], [f"{self.seq}/front/imu".encode()])

    def test_system_info(self):
        seq_info = self.o.sequence_system_info(self.seq)
        self.assertTrue(seq_info.is_locked)
        self.assertGreater(seq_info.total_size_bytes, 0)
        self.assertDatetime(seq_info.created_datetime)
        topic_info = self.o.topic_system_info(f"{self.seq}/front/imu")
        self.assertTrue(topic_info.is_locked)
        self.assertGreater(topic_info.chunks_number, 0)
        self.assertEqual(self.o.sequence_system_info(self.seq), seq_info)

    def test_read_with_plain_tickets(self):
        self.assertRows(v1.read_stream(self.o.client, f"{self.seq}/front/imu".encode()), self.imu)
        self.assertRows(v1.read_stream(self.o.client, f"{self.seq}/gps".encode()), self.gps)

    def test_queried_with_the_old_language(self):
        [item] = self.o.query({"sequence": {"name": {"$eq": self.seq}}})
        self.assertEqual(item.sequence, self.seq)
        self.assertEqual(sorted(item.topics), [f"{self.seq}/front/imu", f"{self.seq}/gps"])
        [item] = self.o.query({"sequence": {"name": {"$eq": self.seq}, "created_timestamp": {"$geq": self.ms_before}}})
        self.assertEqual(self.o.query({"sequence": {"name": {"$eq": self.seq},
                                                    "created_timestamp": {"$lt": self.ms_before}}}), [])
        [item] = self.o.query({"topic": {"name": {"$eq": "/gps"}}, "sequence": {"name": {"$eq": self.seq}}})
        self.assertEqual(item.topics, [f"{self.seq}/gps"])

    def test_notifications_are_shared(self):
        [n] = self.o.notify_list("sequence", self.seq)
        self.assertEqual((n.name, n.notify_type, n.msg), (self.seq, "error", "new note"))

    def test_locked_only_with_sessions_all_finalized(self):
        seq = self.new_sequence("mix_lock")
        self.assertFalse(self.o.sequence_system_info(seq).is_locked, "no session: not locked")
        session = self.m.session_create(seq)
        self.put_topic(seq, session, "t", IMU2026_SCHEMA, [])
        self.assertFalse(self.o.sequence_system_info(seq).is_locked)
        self.m.session_finalize(session)
        self.assertTrue(self.o.sequence_system_info(seq).is_locked)
        # the 0.1.0 lock rules hold for 0.1.0 calls
        self.assertStatus("FAILED_PRECONDITION", self.o.sequence_delete, seq)
        self.assertStatus("FAILED_PRECONDITION", self.o.topic_delete, f"{seq}/t")
        self.m.sequence_delete(seq)
        self.assertNotIn(seq, self.o.sequence_names())


@unittest.skipIf(API_KEY, SKIP)
class QueryDialect(Mosaico2026TestCase):
    """`{"topic": {"ontology_tag": ...}}` reads the same from both SDKs: the answer shape is the connection's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = unique("dialtag")
        cls.seq = unique("mix_dial")
        cls.m.sequence_create(cls.seq, {})
        session = cls.m.session_create(cls.seq)
        cls.m.topic_create(f"{cls.seq}/t", session, ontology_tag=cls.tag)
        cls.ambiguous = {"topic": {"ontology_tag": {"$eq": cls.tag}}}

    def raw_items(self, o: v1.Mosaico, body):
        """The items of a query as sent; of a 2026 topic object only what the SDK reads (`locator`, and
        `timestamp_range` unless null, which reads as absent)."""
        [result] = v1.action_results(o.client, "query", json.dumps(body).encode())
        obj = json.loads(result)
        self.assertEqual(obj["action"], "query")
        items = obj["response"]["items"]
        for item in items:
            item["topics"] = [
                {k: v for k, v in t.items() if k == "locator" or (k == "timestamp_range" and v is not None)}
                if isinstance(t, dict) else t for t in item["topics"]]
        return items

    def test_a_fresh_connection_gets_the_2026_shape(self):
        o = old_client()
        try:
            self.assertEqual(self.raw_items(o, self.ambiguous),
                             [{"sequence": self.seq, "topics": [{"locator": f"{self.seq}/t"}]}])
        finally:
            o.close()

    def test_a_connection_that_proved_0_1_gets_the_0_1_shape(self):
        o = old_client()
        try:
            o.sequence_system_info(self.seq)
            self.assertEqual(self.raw_items(o, self.ambiguous), [{"sequence": self.seq, "topics": [f"{self.seq}/t"]}])
            self.assertEqual([(i.sequence, i.topics) for i in o.query(self.ambiguous)], [(self.seq, [f"{self.seq}/t"])])
            # the last proof counts
            v1.action_results(o.client, "version", b"{}")
            self.assertEqual(self.raw_items(o, self.ambiguous),
                             [{"sequence": self.seq, "topics": [{"locator": f"{self.seq}/t"}]}])
        finally:
            o.close()

    def test_a_connection_that_proved_2026_gets_the_2026_shape_and_the_body_wins(self):
        [item] = self.m.query(self.ambiguous)
        self.assertEqual(item.locators, [f"{self.seq}/t"])
        # an unambiguous 0.1.0 body (`created_timestamp`: only 0.1.0 has it) is answered in the 0.1.0 shape
        # whatever the connection proved
        o = old_client()
        try:
            v1.action_results(o.client, "version", b"{}")
            # `name` alone is 0.1.0's key and SDK 0.6/0.7's: after `version` (SDK 0.4 or 0.6, never 0.1.0)
            # it is read as SDK 0.6/0.7, whose answer is the 2026 shape
            name_body = {"topic": {"ontology_tag": {"$eq": self.tag}}, "sequence": {"name": {"$eq": self.seq}}}
            self.assertEqual(self.raw_items(o, name_body),
                             [{"sequence": self.seq, "topics": [{"locator": f"{self.seq}/t"}]}])
            old_body = {"topic": {"ontology_tag": {"$eq": self.tag}},
                        "sequence": {"name": {"$eq": self.seq}, "created_timestamp": {"$geq": 0}}}
            self.assertEqual(self.raw_items(o, old_body), [{"sequence": self.seq, "topics": [f"{self.seq}/t"]}])
        finally:
            o.close()
        new_body = {"topic": {"ontology_tag": {"$eq": self.tag}}, "sequence": {"locator": {"$eq": self.seq}}}
        o = old_client()
        try:
            o.sequence_system_info(self.seq)
            self.assertEqual(self.raw_items(o, new_body),
                             [{"sequence": self.seq, "topics": [{"locator": f"{self.seq}/t"}]}])
        finally:
            o.close()


if __name__ == "__main__":
    unittest.main()

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(not API_KEY and not TLS_CA and URL.startswith("grpc://"),
                     "the raw HTTP/2 client speaks plaintext without headers (no API key, no TLS)")
class ReusedClientPort(Mosaico2026TestCase):
    """A client port is reused as soon as its connection is gone (Linux reuses loopback ports even in
    TIME_WAIT): what one connection proved must not carry over to the next one from the same port."""

    def raw_action(self, kind: str, body: dict, port: int) -> dict:
        """One action on a connection of its own from client port `port` (reset when the call ends)."""
        r = rf.call(URL, "DoAction", [rf.action_message(kind, json.dumps(body).encode())], local_port=port)
        self.assertEqual(r.status, "OK", r.message)
        [message] = r.messages
        self.assertEqual(message[0], 0x0A)  # Result.body, field 1
        length, pos = rf.read_varint(message, 1)
        return json.loads(message[pos:pos + length])

    def test_a_new_connection_from_the_port_of_a_0_7_one_is_answered_as_a_new_one(self):
        seq = unique("mix_port")
        self.m.sequence_create(seq, {})
        port = free_port()
        for _ in range(3):
            # `info` proves SDK 0.7 for its connection only: session_create, on the next connection
            # from the same port, is answered as to any new connection (the 0.4 shape)
            self.assertEqual(self.raw_action("info", {}, port)["action"], "info")
            self.assertEqual(set(self.raw_action("session_create", {"locator": seq}, port)["response"]), {"uuid"})
        self.m.sequence_delete(seq)

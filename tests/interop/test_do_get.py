"""Read path details (protocol 7.2, 7.3): descriptors and tickets that are refused, and what a topic read
returns."""
import unittest

import pyarrow.flight as flight

import _rawflight as rf
from _sdk import (
    IMU_SCHEMA, URL, MosaicoTestCase, batch_of, imu_rows, read_stream, sorted_rows, unique, upload,
)


class Refusals(MosaicoTestCase):
    def test_get_flight_info_refusals(self):
        ghost = unique("ghost")
        self.assertStatus("NOT_FOUND", self.m.flight_info, ghost)
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{ghost}/topic")
        seq, _ = self.new_sequence()
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{seq}/topic")
        self.assertStatus("INVALID_ARGUMENT", self.m.client.get_flight_info,
                          flight.FlightDescriptor.for_path(seq, "topic"))
        self.assertStatus("INVALID_ARGUMENT", self.m.client.get_flight_info, flight.FlightDescriptor.for_path())
        # CMD descriptors other than the range-read command
        for cmd in (b"", b"not json", b'{"topic": {"name": "a/b", "key": "x"}}', b'{"sequence": "s"}'):
            with self.subTest(cmd=cmd):
                self.assertStatus("INVALID_ARGUMENT", self.m.client.get_flight_info,
                                  flight.FlightDescriptor.for_command(cmd))

    def test_doget_refusals(self):
        seq, skey = self.new_sequence()
        tkey = self.m.topic_create(f"{seq}/t", skey)
        upload(self.m.client, f"{seq}/t", tkey, IMU_SCHEMA, [batch_of(imu_rows(2), IMU_SCHEMA)])
        self.assertStatus("NOT_FOUND", read_stream, self.m.client, f"{seq}/missing".encode())
        self.assertStatus("NOT_FOUND", read_stream, self.m.client, f"{unique('ghost')}/t".encode())
        # a sequence name is not a DoGet ticket (only topics are)
        self.assertStatus("INVALID_ARGUMENT", read_stream, self.m.client, seq.encode())
        for bad in (b"", b"\xc3\x28", b"\x80abc/t", f"{seq}/../{seq}/t".encode(), f"{seq}//t".encode()):
            with self.subTest(ticket=bad):
                self.assertStatus("INVALID_ARGUMENT", read_stream, self.m.client, bad)

    def test_doget_of_an_unlocked_topic_without_data(self):
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/pending", skey)
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{seq}/pending")
        try:
            stream = read_stream(self.m.client, f"{seq}/pending".encode())
        except Exception:  # noqa: BLE001 - no schema yet: NOT_FOUND is the only acceptable failure
            self.assertStatus("NOT_FOUND", read_stream, self.m.client, f"{seq}/pending".encode())
        else:
            self.assertEqual(stream.table.num_rows, 0)


class TopicReads(MosaicoTestCase):
    def test_read_is_repeatable_and_uses_the_plain_ticket(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/sensors/imu"
        tkey = self.m.topic_create(topic, skey, user_metadata={"a": 1})
        rows = imu_rows(120, seed=41)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(rows[:70], IMU_SCHEMA), batch_of(rows[70:], IMU_SCHEMA)])
        info = self.m.flight_info(topic)
        [endpoint] = info.endpoints
        self.assertEqual(endpoint.ticket.ticket, topic.encode())
        first = read_stream(self.m.client, endpoint.ticket.ticket)
        second = read_stream(self.m.client, topic.encode())
        self.assertSameRows(first.rows, sorted_rows(rows))
        self.assertSameRows(second.rows, first.rows)
        self.assertTrue(first.schema.equals(info.schema, check_metadata=True),
                        f"DoGet schema differs from FlightInfo schema:\n{first.schema}\n---\n{info.schema}")

    def test_raw_doget_messages(self):
        # at the FlightData level: a Schema message first, then record batches with bodies, no app_metadata
        seq, skey = self.new_sequence()
        topic = f"{seq}/t"
        tkey = self.m.topic_create(topic, skey)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(5), IMU_SCHEMA)])
        r = rf.call(URL, "DoGet", [rf._len_field(1, topic.encode())])
        self.assertEqual(r.status, "OK", r.message)
        self.assertGreaterEqual(len(r.messages), 2)
        parsed = [rf.parse_flight_data(m) for m in r.messages]
        self.assertEqual(rf.ipc_message_type(parsed[0]["header"]), "schema")
        for p in parsed[1:]:
            self.assertEqual(rf.ipc_message_type(p["header"], p["body"]), "record batch")
            self.assertTrue(p["body"])
        for p in parsed:
            self.assertFalse(p["app_metadata"])

    def test_concurrent_reads_of_one_topic(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/t"
        tkey = self.m.topic_create(topic, skey)
        rows = imu_rows(200, seed=42)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        readers = [self.m.client.do_get(flight.Ticket(topic.encode())) for _ in range(6)]
        tables = [reader.read_all() for reader in readers]
        for table in tables:
            self.assertSameRows(table.to_pylist(), sorted_rows(rows))


if __name__ == "__main__":
    unittest.main()

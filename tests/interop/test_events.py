"""The live events extension (src/flight/ticket.ts, src/read/events.ts) with plain pyarrow.flight, as the
README shows it: GetFlightInfo with the CMD `{"events": {...}}`, or a ticket built by hand (0xFF + the
same JSON); a fixed schema; events in id order, ids consecutive; resume with after_id = the last id seen."""
import json
import threading
import unittest

import pyarrow as pa
import pyarrow.flight as flight

from _sdk import IMU_SCHEMA, MosaicoTestCase, batch_of, connect, imu_rows, unique, upload

EVENT_SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("created_ms", pa.int64(), nullable=False),
    pa.field("sequence", pa.string()),
    pa.field("topic", pa.string()),
    pa.field("detail", pa.string(), nullable=False),
])


def events_ticket(**fields) -> flight.Ticket:
    return flight.Ticket(b"\xff" + json.dumps({"events": fields}).encode())


def events_command(**fields) -> flight.FlightDescriptor:
    return flight.FlightDescriptor.for_command(json.dumps({"events": fields}).encode())


class Events(MosaicoTestCase):
    def history(self, after_id=0, **fields) -> list:
        """Every event after `after_id` (a subscription that ends once caught up), as dicts."""
        table = self.m.client.do_get(events_ticket(after_id=after_id, follow=False, **fields)).read_all()
        self.assertTrue(table.schema.equals(EVENT_SCHEMA), table.schema)
        return table.to_pylist()

    def last_id(self) -> int:
        events = self.history()
        return events[-1]["id"] if events else 0

    def make_sequence(self, name: str) -> None:
        key = self.m.sequence_create(name, {"events": True})
        tkey = self.m.topic_create(f"{name}/imu", key)
        upload(self.m.client, f"{name}/imu", tkey, IMU_SCHEMA, [batch_of(imu_rows(20), IMU_SCHEMA)])
        self.m.sequence_finalize(name, key)

    def assertConsecutive(self, events, after_id):
        self.assertEqual([e["id"] for e in events], list(range(after_id + 1, after_id + 1 + len(events))))

    def test_flight_info_describes_the_stream_and_its_ticket_reads_the_history(self):
        before = self.last_id()
        name = unique("events")
        self.make_sequence(name)
        info = self.m.client.get_flight_info(events_command(after_id=before, follow=False))
        self.assertTrue(info.schema.equals(EVENT_SCHEMA), info.schema)
        self.assertEqual(len(info.endpoints), 1)
        self.assertEqual(info.endpoints[0].ticket.ticket[:1], b"\xff")
        events = self.m.client.do_get(info.endpoints[0].ticket).read_all().to_pylist()
        self.assertConsecutive(events, before)
        self.assertEqual([(e["kind"], e["sequence"], e["topic"]) for e in events], [
            ("sequence.created", name, None),
            ("topic.created", name, f"{name}/imu"),
            ("chunk.committed", name, f"{name}/imu"),
            ("topic.locked", name, f"{name}/imu"),
            ("sequence.finalized", name, None),
        ])
        self.assertEqual(json.loads(events[2]["detail"])["rows"], 20)
        self.assertEqual(json.loads(events[3]["detail"]), {"chunks": 1, "rows": 20, "bytes": json.loads(
            events[2]["detail"])["bytes"]})

    def test_live_subscription_then_resume_after_the_last_id_seen(self):
        before = self.last_id()
        name, other = unique("live"), unique("later")
        # The README's loop: follow (the default) and stop when done; a deadline guards the test only.
        reader = connect().do_get(events_ticket(after_id=before), flight.FlightCallOptions(timeout=30))
        self.assertTrue(reader.schema.equals(EVENT_SCHEMA))
        writer = threading.Thread(target=self.make_sequence, args=(name,))
        writer.start()
        seen = []
        for chunk in reader:
            seen.extend(chunk.data.to_pylist())
            if any(e["kind"] == "topic.created" for e in seen):
                break
        reader.cancel()
        writer.join()
        self.m.notify_create("sequence", name, "after the cancel")
        self.m.sequence_abort(other, self.m.sequence_create(other, {}))
        resumed = self.history(after_id=seen[-1]["id"])
        everything = self.history(after_id=before)
        self.assertConsecutive(everything, before)
        self.assertEqual(seen + resumed, everything)
        self.assertEqual([(e["kind"], e["sequence"]) for e in everything[-3:]], [
            ("notification.created", name), ("sequence.created", other), ("sequence.aborted", other)])

    def test_kinds_filter(self):
        before = self.last_id()
        name = unique("kinds")
        self.make_sequence(name)
        events = self.history(after_id=before, kinds=["sequence.finalized", "sequence.created"])
        self.assertEqual([(e["kind"], e["sequence"]) for e in events],
                         [("sequence.created", name), ("sequence.finalized", name)])

    def test_the_stream_names_its_log_and_resuming_in_another_log_is_refused(self):
        reader = self.m.client.do_get(events_ticket(follow=False))
        log = reader.schema.metadata[b"mosaico:event_log"].decode()
        self.assertRegex(log, r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        last = reader.read_all().to_pylist()[-1]["id"] if self.last_id() else 0
        self.history(after_id=last, log=log)  # the same log: accepted
        other = "00000000-0000-4000-8000-000000000000"
        do_get = lambda ticket: self.m.client.do_get(ticket).read_all()  # noqa: E731
        self.assertStatus("FAILED_PRECONDITION", do_get, events_ticket(after_id=last, log=other),
                          contains="subscribe again")

    def test_refusals(self):
        get = self.m.client.get_flight_info
        self.assertStatus("INVALID_ARGUMENT", get, events_command(after_id=-1), contains="after_id")
        self.assertStatus("INVALID_ARGUMENT", get, events_command(kinds=["nope"]), contains='"nope"')
        self.assertStatus("INVALID_ARGUMENT", get, events_command(from_id=1), contains="not supported")
        do_get = lambda ticket: self.m.client.do_get(ticket).read_all()  # noqa: E731
        self.assertStatus("INVALID_ARGUMENT", do_get, events_ticket(follow="yes"), contains="follow")
        self.assertStatus("FAILED_PRECONDITION", do_get, events_ticket(after_id=self.last_id() + 1000))
        self.assertEqual(len(self.history()), self.last_id())


if __name__ == "__main__":
    unittest.main()

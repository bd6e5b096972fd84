"""2026 protocol, section 6: DoPut with CMD `{"resource_locator", "topic_uuid"}`: zero batches lock the topic,
refusals (wrong uuid, locked topic up front, bad schema, a second schema or an empty message) store nothing,
and values round-trip bit for bit (NaN payloads, null structs)."""
import json
import unittest

import pyarrow as pa
import pyarrow.flight as flight

import _rawflight as rf
from _sdk2026 import (
    API_KEY, GPS2026_SCHEMA, IMU2026_SCHEMA, T0, TLS_CA, URL, Mosaico2026TestCase, batch_of, batches_of,
    gps2026_rows, imu2026_rows, put_command, random_uuid, upload, upload_error,
)

RAW_OK = not API_KEY and not TLS_CA and URL.startswith("grpc://")
RAW_SKIP = "the raw HTTP/2 client speaks plaintext without headers (no API key, no TLS)"


class DoPutCase(Mosaico2026TestCase):
    def fresh(self, rel="t"):
        name, session = self.new_session("put")
        locator = f"{name}/{rel}"
        return name, session, locator, self.m.topic_create(locator, session)

    def assertNothingStored(self, name, rel="t"):
        m = self.m.topic_info(name, rel).manifest
        self.assertFalse(m.locked, "a refused upload must not lock the topic")
        self.assertIsNone(m.info, "a refused upload must not store anything")


class Accepted(DoPutCase):
    def test_zero_batches_lock_the_topic_with_empty_info(self):
        name, session, locator, topic_uuid = self.fresh()
        writer, reader = self.m.client.do_put(flight.FlightDescriptor.for_command(put_command(locator, topic_uuid)),
                                              IMU2026_SCHEMA)
        writer.done_writing()
        self.assertIsNone(reader.read(), "the PutResult stream is empty")
        writer.close()
        t = self.m.topic_info(name, "t")
        self.assertTrue(t.manifest.locked)
        self.assertNs(t.manifest.completed_at_ns)
        self.assertEqual(t.manifest.info, {"chunks_number": 0, "total_bytes": 0, "timestamp": None})
        self.assertEqual(len(t.schema), 0, "a topic without data has no fields")
        self.m.session_finalize(session)

    def test_values_round_trip_bit_for_bit_with_null_structs(self):
        name, session = self.new_session("bits")
        imu = imu2026_rows(400, seed=7)
        gps = gps2026_rows(200, seed=8)
        self.put_topic(name, session, "imu", IMU2026_SCHEMA, imu, batch_rows=90)
        self.put_topic(name, session, "gps", GPS2026_SCHEMA, gps, batch_rows=64, ontology_tag="gps")
        self.m.session_finalize(session)
        got_imu = self.m.read_topic(name, "imu")
        self.assertFields(got_imu.schema, IMU2026_SCHEMA)
        self.assertRows(got_imu, imu)
        got_gps = self.m.read_topic(name, "gps")
        self.assertFields(got_gps.schema, GPS2026_SCHEMA)
        self.assertRows(got_gps, gps)
        self.assertTrue(any(r["status"] is None for r in got_gps.rows))
        self.assertTrue(any(r["orientation"] is None for r in got_imu.rows))

    def test_unsorted_and_duplicate_timestamps_are_kept_and_read_sorted(self):
        name, session = self.new_session("unsorted")
        rows = imu2026_rows(30, seed=9, step=5)
        dup = dict(rows[0])
        rows.append(dup)
        self.put_topic(name, session, "t", IMU2026_SCHEMA, rows, batch_rows=7)
        got = self.m.read_topic(name, "t").rows
        self.assertEqual(len(got), 31)
        self.assertEqual([r["timestamp_ns"] for r in got], sorted(r["timestamp_ns"] for r in rows))

    def test_info_is_recorded_at_the_end_of_the_stream(self):
        name, session = self.new_session("info")
        rows = imu2026_rows(50, seed=10, t0=T0, step=3)
        self.put_topic(name, session, "t", IMU2026_SCHEMA, rows, batch_rows=20)
        m = self.m.topic_info(name, "t").manifest
        self.assertGreater(m.chunks_number, 0)
        self.assertGreater(m.total_bytes, 0)
        self.assertEqual(m.timestamp, (T0, T0 + 49 * 3))
        self.assertEqual(self.m.topic_info(name, "t").manifest, m, "total_bytes stable between reads")


class Refused(DoPutCase):
    def test_wrong_topic_uuid_is_permission_denied(self):
        name, session, locator, topic_uuid = self.fresh()
        other = self.m.topic_create(f"{name}/other", session)
        batches = [batch_of(imu2026_rows(3), IMU2026_SCHEMA)]
        for wrong in (random_uuid(), other, session):
            with self.subTest(uuid=wrong):
                self.assertUploadStatus("PERMISSION_DENIED",
                                        upload_error(self.m.client, locator, wrong, IMU2026_SCHEMA, batches))
                self.assertNothingStored(name)
        upload(self.m.client, locator, topic_uuid.upper(), IMU2026_SCHEMA, batches)
        self.assertTrue(self.m.topic_info(name, "t").manifest.locked)

    def test_malformed_commands_are_invalid_argument(self):
        name, session, locator, topic_uuid = self.fresh()
        for cmd in (b"", b"{", b"[]", json.dumps({"resource_locator": locator}).encode(),
                    json.dumps({"topic_uuid": topic_uuid}).encode(),
                    json.dumps({"resource_locator": 5, "topic_uuid": topic_uuid}).encode(),
                    json.dumps({"resource_locator": locator, "topic_uuid": "not-a-uuid"}).encode()):
            with self.subTest(cmd=cmd):
                self.assertUploadStatus("INVALID_ARGUMENT", upload_error(
                    self.m.client, locator, topic_uuid, IMU2026_SCHEMA, [], command=cmd))
        err = None
        try:
            writer, _ = self.m.client.do_put(flight.FlightDescriptor.for_path(locator), IMU2026_SCHEMA)
            writer.done_writing()
            writer.close()
        except Exception as e:  # noqa: BLE001
            err = e
        self.assertUploadStatus("INVALID_ARGUMENT", err)
        self.assertNothingStored(name)

    def test_unknown_topic_is_not_found(self):
        name, session, locator, topic_uuid = self.fresh()
        self.assertUploadStatus("NOT_FOUND", upload_error(self.m.client, f"{name}/nosuch", topic_uuid,
                                                          IMU2026_SCHEMA, []))
        self.m.session_delete(session)
        self.assertUploadStatus("NOT_FOUND", upload_error(self.m.client, locator, topic_uuid, IMU2026_SCHEMA, []))

    def test_a_schema_without_an_int64_timestamp_ns_is_invalid_argument(self):
        name, session, locator, topic_uuid = self.fresh()
        for schema in (pa.schema([pa.field("x", pa.float64())]),
                       pa.schema([pa.field("timestamp_ns", pa.int32())]),
                       pa.schema([pa.field("timestamp_ns", pa.string())])):
            with self.subTest(schema=str(schema)):
                self.assertUploadStatus("INVALID_ARGUMENT", upload_error(self.m.client, locator, topic_uuid, schema))
                self.assertNothingStored(name)

    def test_a_locked_topic_is_refused_up_front_and_keeps_its_data(self):
        name, session = self.new_session("locked")
        rows = imu2026_rows(6, seed=11)
        locator, topic_uuid = self.put_topic(name, session, "t", IMU2026_SCHEMA, rows)
        before = self.m.topic_info(name, "t").manifest
        more = batches_of(imu2026_rows(2000, seed=12, t0=T0 + 10**12), IMU2026_SCHEMA, 500)
        self.assertUploadStatus("FAILED_PRECONDITION",
                                upload_error(self.m.client, locator, topic_uuid, IMU2026_SCHEMA, more))
        self.assertEqual(self.m.topic_info(name, "t").manifest, before)
        self.assertRows(self.m.read_topic(name, "t"), rows)
        self.m.session_finalize(session)
        self.assertUploadStatus("FAILED_PRECONDITION",
                                upload_error(self.m.client, locator, topic_uuid, IMU2026_SCHEMA, more[:1]))
        self.assertEqual(self.m.topic_info(name, "t").manifest, before)

    @unittest.skipUnless(RAW_OK, RAW_SKIP)
    def test_a_second_schema_or_an_empty_message_is_refused_and_stores_nothing(self):
        name, session, locator, topic_uuid = self.fresh()
        schema_h, _ = rf.ipc_message(IMU2026_SCHEMA)
        bh, bb = rf.ipc_message(batch_of(imu2026_rows(3), IMU2026_SCHEMA))
        desc = rf.cmd_descriptor(put_command(locator, topic_uuid))
        # sanity: the raw client's well-formed stream is accepted by the same server (on another topic)
        ok_locator = f"{name}/ok"
        ok_uuid = self.m.topic_create(ok_locator, session)
        r = rf.call(URL, "DoPut", [rf.flight_data(rf.cmd_descriptor(put_command(ok_locator, ok_uuid)), schema_h),
                                   rf.flight_data(None, bh, bb)])
        self.assertEqual(r.status, "OK", r.message)
        for label, tail in (("second schema", [rf.flight_data(None, schema_h), rf.flight_data(None, bh, bb)]),
                            ("empty message", [b"", rf.flight_data(None, bh, bb)])):
            with self.subTest(case=label):
                r = rf.call(URL, "DoPut", [rf.flight_data(desc, schema_h), rf.flight_data(None, bh, bb)] + tail)
                self.assertIn(r.status, ("INVALID_ARGUMENT", "ABORTED"), r.message)
                self.assertNothingStored(name)


if __name__ == "__main__":
    unittest.main()

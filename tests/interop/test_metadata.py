"""User metadata round trips (protocol 8): deep and unicode JSON given at creation comes back, equal, in
`mosaico:user_metadata` of the sequence FlightInfo, the topic FlightInfo and the DoGet schema."""
import json
import unittest

from _sdk import IMU_SCHEMA, MosaicoTestCase, batch_of, decode_metadata, imu_rows, read_stream, unique, upload


def deep(levels: int) -> dict:
    node = {"leaf": "fin ✓", "n": levels, "empty_obj": {}, "empty_list": []}
    for i in range(levels - 1, 0, -1):
        node = {f"level_{i}": node, "i": i, "list": [i, {"k": [i, None]}, "x"], "flag": i % 2 == 0}
    return node


UNICODE = {
    "": "empty key",
    "ascii": "plain",
    "français": "élève à l'école",
    "日本語": "カメラ左",
    "emoji 😀🚀": "astral 𝄞 and ZWJ 👩‍🔬",
    "rtl": "שלום مرحبا",
    "combining": "e\u0301 vs é",
    "escapes": "quote \" backslash \\ slash / tab \t newline \n cr \r",
    "controls": "\x01\x1f\x7f",
    "separators": "\u2028\u2029",
    "bom": "\ufeff",
    "max_bmp": "\uffff",
    "numbers": {"int": 42, "neg": -7, "zero": 0, "float": 0.1, "tiny": 1e-300, "huge": 1.7976931348623157e308,
                "exp": 2.5e-8, "big_safe": 2**53, "neg_safe": -(2**53)},
    "literals": [True, False, None],
    "ros:topic_type": "sensor_msgs/Imu",
}


def full_metadata() -> dict:
    return {"deep": deep(10), "unicode": UNICODE, "list_of_objects": [{"a": 1}, {"b": [2, 3]}, []]}


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


class MetadataRoundTrip(MosaicoTestCase):
    def test_helper_builds_ten_levels(self):
        self.assertGreaterEqual(depth(deep(10)), 10)

    def test_sequence_metadata_round_trip(self):
        meta = full_metadata()
        seq, skey = self.new_sequence(metadata=meta)
        self.assertEqual(decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"], meta)
        self.m.sequence_finalize(seq, skey)
        self.assertEqual(decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"], meta)

    def test_topic_metadata_round_trip(self):
        seq, skey = self.new_sequence(metadata={})
        meta = full_metadata()
        topic = f"{seq}/imu"
        tkey = self.m.topic_create(topic, skey, user_metadata=meta)
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(2), IMU_SCHEMA)])
        info = self.m.flight_info(topic)
        self.assertEqual(decode_metadata(info.schema)["mosaico:user_metadata"], meta)
        stream = read_stream(self.m.client, topic.encode())
        self.assertEqual(stream.metadata["mosaico:user_metadata"], meta)
        self.assertEqual(decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"], {})

    def test_empty_metadata_is_an_empty_object(self):
        seq, skey = self.new_sequence(metadata={})
        raw = self.m.flight_info(seq).schema.metadata[b"mosaico:user_metadata"]
        self.assertEqual(json.loads(raw), {})

    def test_int64_metadata_values_round_trip_exactly(self):
        # Python ints are exact in json; a server that parses into float64 rounds these
        meta = {"max": 2**63 - 1, "min": -(2**63), "above_2_53": 2**53 + 1, "ns": 1_700_000_000_123_456_789,
                "nested": [{"id": 9_007_199_254_740_993}]}
        seq, skey = self.new_sequence(metadata=meta)
        got = decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"]
        self.assertEqual(got, meta)
        tkey = self.m.topic_create(f"{seq}/t", skey, user_metadata=meta)
        upload(self.m.client, f"{seq}/t", tkey, IMU_SCHEMA, [batch_of(imu_rows(1), IMU_SCHEMA)])
        self.assertEqual(read_stream(self.m.client, f"{seq}/t".encode()).metadata["mosaico:user_metadata"], meta)

    def test_nul_character_in_metadata_round_trips_or_is_invalid_argument(self):
        meta = {"nul": "a\x00b", "key\x00": 1}
        name = unique()
        try:
            key = self.m.sequence_create(name, meta)
        except Exception:  # noqa: BLE001
            self.assertStatus("INVALID_ARGUMENT", self.m.sequence_create, name, meta)
            self.assertNotIn(name, self.m.sequence_names())
            return
        self.assertEqual(decode_metadata(self.m.flight_info(name).schema)["mosaico:user_metadata"], meta)
        self.m.sequence_abort(name, key)

    def test_large_metadata_round_trips(self):
        meta = {f"key_{i}": {"text": "ü" * 100, "values": list(range(i % 10))} for i in range(1500)}
        seq, _ = self.new_sequence(metadata=meta)
        self.assertEqual(decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"], meta)

    def test_metadata_over_the_limit_is_resource_exhausted(self):
        name = unique()
        self.assertStatus("RESOURCE_EXHAUSTED", self.m.sequence_create, name, {"blob": "x" * (2 * 1024 * 1024)})
        self.assertNotIn(name, self.m.sequence_names())

    def test_metadata_must_be_an_object(self):
        for bad in (5, "text", [1, 2], None, True):
            name = unique()
            with self.subTest(metadata=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.action, "sequence_create",
                                  {"name": name, "user_metadata": bad})
                self.assertNotIn(name, self.m.sequence_names())


if __name__ == "__main__":
    unittest.main()

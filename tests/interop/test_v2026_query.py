"""2026 protocol, section 9: the `query` action. Every example of 9.7 on data made for it, exact
`timestamp_range`s from the matching rows only (across several chunks), `topic.locator` against the relative
name, `created_at_ns` in ns, `$match` a literal substring, user-metadata casting (9.3), the empty query, and
refusals → INVALID_ARGUMENT. Other modules share the catalogue, so answers are compared on this module's
sequences only (all named `<prefix>_a|b|c`)."""
import unittest

from _sdk2026 import (
    GPS2026_SCHEMA, IMAGE2026_SCHEMA, IMU2026_SCHEMA, PRESSURE2026_SCHEMA, Mosaico2026TestCase, batches_of,
    gps2026_rows, imu2026_rows, now_ns, unique, upload,
)

T = 1_700_000_000_000_000_000
MS = 1_000_000


def imu_rows(xs_ts):
    rows = imu2026_rows(len(xs_ts), seed=len(xs_ts), shuffle=False)
    for row, (x, ts) in zip(rows, xs_ts):
        row["timestamp_ns"] = ts
        row["acceleration"]["x"] = x
    return rows


def image_rows():
    return [{"timestamp_ns": T + i * MS, "recording_timestamp_ns": None, "frame_id": "cam", "sequence_id": i,
             "data": bytes([i]) * 16, "format": fmt, "encoding": "rgb8", "width": 4, "height": 4, "stride": 12,
             "is_bigendian": big} for i, (fmt, big) in enumerate((("png", True), ("jpeg", False)))]


class Query(Mosaico2026TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        m = cls.m
        cls.p = unique("q26")
        a, b, c = cls.a, cls.b, cls.c = f"{cls.p}_a", f"{cls.p}_b", f"{cls.p}_c"
        cls.t_before = now_ns()

        def put(seq, session, rel, schema, rows, tag, fmt="default", meta=None, batch=0):
            loc = f"{seq}/{rel}"
            tu = m.topic_create(loc, session, ontology_tag=tag, serialization_format=fmt, user_metadata=meta or {})
            upload(m.client, loc, tu, schema, batches_of(rows, schema, batch or max(1, len(rows))) if rows else [])

        m.sequence_create(a, {"visibility": "team-01", "status": "raw", "n": 5, "flag": "yes",
                              "nested": {"arr": [1, 2, 3]}})
        s = m.session_create(a)
        cls.front = [((i - 12) * 0.1, T + i * 20 * MS) for i in range(25)]   # x > 0 from i = 13 (260 ms)
        put(a, s, "front/imu", IMU2026_SCHEMA, imu_rows(cls.front), "imu",
            meta={"bias_stability": 0.01, "serial_number": "X", "calibrated": True}, batch=9)  # 3 chunks
        cls.left = [(i * 0.1, T + i * 50 * MS + MS) for i in range(10)]
        put(a, s, "camera/left/imu", IMU2026_SCHEMA, imu_rows(cls.left), "imu")
        gps = gps2026_rows(25, seed=3, t0=T, step=20 * MS, shuffle=False)
        for i, row in enumerate(gps):
            row["status"] = {"status": 0, "service": 2 if i % 2 == 0 else 1, "satellites": 7, "hdop": 1.0,
                             "vdop": None}
        put(a, s, "gps", GPS2026_SCHEMA, gps, "gps", batch=10)
        put(a, s, "topic11", IMAGE2026_SCHEMA, image_rows(), "image", "image")
        m.session_finalize(s)
        s_open = m.session_create(a)  # never finalized: its topics are searched too
        cls.opened = [(5.0 + i, T + 1000 * MS + i * MS) for i in range(5)]
        put(a, s_open, "open/imu", IMU2026_SCHEMA, imu_rows(cls.opened), "imu")

        m.sequence_create(b, {"visibility": "private", "n": "not-a-number", "flag": "off"})
        s = m.session_create(b)
        put(b, s, "front/imu", IMU2026_SCHEMA, imu_rows([(-1.0 - i, T + i * 10 * MS) for i in range(10)]), "imu")
        put(b, s, "topic12", IMAGE2026_SCHEMA, [], "image", "image")
        put(b, s, "topic21", IMAGE2026_SCHEMA, [], "image", "image")
        m.session_finalize(s)

        m.sequence_create(c, {"n": 7.5, "flag": "maybe", "visibility": None})
        s = m.session_create(c)
        pressure = [{"timestamp_ns": T + i * MS, "recording_timestamp_ns": None, "frame_id": None,
                     "sequence_id": None, "variance": 0.5, "variance_type": 1, "value": 95.0 + i} for i in range(11)]
        put(c, s, "pressure", PRESSURE2026_SCHEMA, pressure, "pressure")
        m.session_finalize(s)
        cls.t_after = now_ns()
        cls.all_a = sorted(f"{a}/{r}" for r in ("front/imu", "camera/left/imu", "gps", "topic11", "open/imu"))

    # --- helpers
    def q(self, body):
        """The answer restricted to this module's sequences: {sequence: {locator: timestamp_range}}."""
        items = self.m.query(body)
        return {i.sequence: {t.locator: t.timestamp_range for t in i.topics}
                for i in items if i.sequence.startswith(self.p + "_")}

    def locs(self, body):
        return {seq: sorted(topics) for seq, topics in self.q(body).items()}

    def mine(self, extra=None):
        body = {"sequence": {"locator": {"$match": self.p}}}
        for k, v in (extra or {}).items():
            body.setdefault(k, {}).update(v)
        return body

    # --- the examples of 9.7
    def test_example_include_timestamp_range(self):
        got = self.q({"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": True}})
        a = self.a
        self.assertEqual(got, {a: {
            f"{a}/front/imu": (T + 260 * MS, T + 480 * MS),          # from rows of chunks 2 and 3
            f"{a}/camera/left/imu": (T + 51 * MS, T + 451 * MS),
            f"{a}/open/imu": (T + 1000 * MS, T + 1004 * MS),
        }})

    def test_example_two_conditions_on_the_same_row(self):
        self.assertEqual(self.q({"ontology": {"gps.timestamp_ns": {"$geq": T + 260 * MS},
                                              "gps.status.service": {"$eq": 2}}}),
                         {self.a: {f"{self.a}/gps": None}})
        self.assertEqual(self.q({"ontology": {"gps.timestamp_ns": {"$eq": T + 260 * MS},
                                              "gps.status.service": {"$eq": 2}}}), {})
        self.assertEqual(self.q({"ontology": {"gps.timestamp_ns": {"$geq": T + 481 * MS}}}), {})

    def test_example_ontology_and_topic_match(self):
        self.assertEqual(self.locs({"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}},
                                    "topic": {"locator": {"$match": "camera/left"}}}),
                         {self.a: [f"{self.a}/camera/left/imu"]})

    def test_example_sequence_locator_and_creation_time_in_ns(self):
        created = self.m.sequence_info(self.a).created_at_ns
        self.assertEqual(self.locs({"sequence": {"locator": {"$eq": self.a}, "created_at_ns": {"$leq": now_ns()}}}),
                         {self.a: self.all_a})
        self.assertEqual(self.locs({"sequence": {"locator": {"$eq": self.a}, "created_at_ns": {"$eq": created}}}),
                         {self.a: self.all_a})
        self.assertEqual(self.q({"sequence": {"locator": {"$eq": self.a}, "created_at_ns": {"$lt": created}}}), {})
        self.assertEqual(set(self.q(self.mine({"sequence": {"created_at_ns": {
            "$between": [self.t_before, self.t_after]}}}))), {self.a, self.b, self.c})

    def test_example_topic_tag_creation_time_and_metadata_range(self):
        self.assertEqual(self.locs({"topic": {
            "ontology_tag": {"$eq": "imu"}, "created_at_ns": {"$between": [self.t_before, self.t_after]},
            "user_metadata": {"bias_stability": {"$between": [0.005, 0.015]}}}}),
            {self.a: [f"{self.a}/front/imu"]})

    def test_example_sequence_metadata_and_relative_topic_locator(self):
        self.assertEqual(self.locs({"sequence": {"user_metadata": {"visibility": {"$eq": "team-01"}}},
                                    "topic": {"locator": {"$eq": "/front/imu"}}}),
                         {self.a: [f"{self.a}/front/imu"]})

    def test_example_topic_locator_in_and_tag(self):
        self.assertEqual(self.locs({"topic": {"locator": {"$in": ["/topic11", "/topic12", "/topic21"]},
                                              "ontology_tag": {"$eq": "image"}}}),
                         {self.a: [f"{self.a}/topic11"], self.b: [f"{self.b}/topic12", f"{self.b}/topic21"]})

    def test_example_pressure(self):
        self.assertEqual(self.q({"ontology": {"pressure.value": {"$geq": 100}}}),
                         {self.c: {f"{self.c}/pressure": None}})

    # --- more of 9.2 to 9.5
    def test_timestamp_range_only_when_asked_and_only_from_matching_rows(self):
        body = self.mine({"ontology": {"imu.timestamp_ns": {"$geq": T + 260 * MS}}})
        self.assertEqual(self.q(body), {self.a: {f"{self.a}/front/imu": None, f"{self.a}/camera/left/imu": None,
                                                 f"{self.a}/open/imu": None}})
        body["ontology"]["include_timestamp_range"] = True
        self.assertEqual(self.q(body), {self.a: {f"{self.a}/front/imu": (T + 260 * MS, T + 480 * MS),
                                                 f"{self.a}/camera/left/imu": (T + 301 * MS, T + 451 * MS),
                                                 f"{self.a}/open/imu": (T + 1000 * MS, T + 1004 * MS)}})
        body = self.mine({"ontology": {"imu.acceleration.x": {"$lt": -0.95}, "include_timestamp_range": True}})
        self.assertEqual(self.q(body), {self.a: {f"{self.a}/front/imu": (T, T + 40 * MS)},
                                        self.b: {f"{self.b}/front/imu": (T, T + 90 * MS)}})

    def test_topic_locator_compares_the_relative_name(self):
        self.assertEqual(self.locs(self.mine({"topic": {"locator": {"$eq": "/front/imu"}}})),
                         {self.a: [f"{self.a}/front/imu"], self.b: [f"{self.b}/front/imu"]})
        self.assertEqual(self.q(self.mine({"topic": {"locator": {"$eq": f"{self.a}/front/imu"}}})), {})
        self.assertEqual(self.q(self.mine({"topic": {"locator": {"$eq": "front/imu"}}})), {})
        self.assertEqual(self.locs(self.mine({"topic": {"locator": {"$neq": "/front/imu"},
                                                        "ontology_tag": {"$eq": "imu"}}})),
                         {self.a: [f"{self.a}/camera/left/imu", f"{self.a}/open/imu"]})

    def test_topic_created_at_ns(self):
        created = self.m.topic_info(self.a, "front/imu").manifest.created_at_ns
        self.assertIn(f"{self.a}/front/imu", self.q(self.mine({"topic": {"created_at_ns": {"$eq": created}}}))[self.a])
        later = self.q(self.mine({"topic": {"created_at_ns": {"$gt": created}}}))
        self.assertNotIn(f"{self.a}/front/imu", later.get(self.a, {}))
        self.assertIn(f"{self.c}/pressure", later[self.c])

    def test_match_is_a_literal_substring(self):
        self.assertEqual(set(self.q({"sequence": {"locator": {"$match": self.p}}})), {self.a, self.b, self.c})
        self.assertEqual(self.locs(self.mine({"topic": {"locator": {"$match": "left"}}})),
                         {self.a: [f"{self.a}/camera/left/imu"]})
        wild = self.p.replace("_", "%", 1)
        self.assertEqual(self.q({"sequence": {"locator": {"$match": wild}}}), {}, "% is not a wildcard")
        under = self.p[:-1] + "_"
        self.assertEqual(self.q({"sequence": {"locator": {"$match": under}}}), {}, "_ is not a wildcard")

    def test_empty_queries_answer_no_items(self):
        self.assertEqual(self.m.query({}), [])
        self.assertEqual(self.m.query({"sequence": {}, "topic": {}}), [])
        self.assertEqual(self.q({"sequence": {"locator": {"$eq": unique("nosuch")}},
                                 "ontology": {"imu.acceleration.x": {"$gt": 0}}}), {})

    def test_sequences_without_selected_topics_never_appear(self):
        self.assertEqual(self.locs(self.mine({"topic": {"ontology_tag": {"$eq": "pressure"}}})),
                         {self.c: [f"{self.c}/pressure"]})
        self.assertEqual(self.locs(self.mine({"topic": {"serialization_format": {"$eq": "image"}}})),
                         {self.a: [f"{self.a}/topic11"], self.b: [f"{self.b}/topic12", f"{self.b}/topic21"]})

    def test_ontology_groups_intersect_sequences_and_unite_topics(self):
        self.assertEqual(self.locs({"ontology": {"imu.acceleration.x": {"$gt": 0}, "gps.status.service": {"$eq": 2}}}),
                         {self.a: sorted([f"{self.a}/front/imu", f"{self.a}/camera/left/imu", f"{self.a}/open/imu",
                                          f"{self.a}/gps"])})
        self.assertEqual(self.q(self.mine({"ontology": {"imu.timestamp_ns": {"$eq": T + 260 * MS},
                                                        "imu.acceleration.x": {"$lt": 0}}})), {})

    def test_ontology_strings_booleans_and_missing_paths(self):
        self.assertEqual(self.locs({"ontology": {"image.format": {"$eq": "png"}}}), {self.a: [f"{self.a}/topic11"]})
        self.assertEqual(self.locs({"ontology": {"image.is_bigendian": {"$eq": True}}}),
                         {self.a: [f"{self.a}/topic11"]})
        self.assertEqual(self.q(self.mine({"ontology": {"imu.nosuch.x": {"$gt": 0}}})), {})

    def test_user_metadata_casting(self):
        cases = [
            ({"flag": {"$eq": True}}, {self.a}), ({"flag": {"$eq": False}}, {self.b}),
            ({"flag": {"$neq": True}}, {self.b}), ({"flag": {"$neq": False}}, {self.a}),  # "maybe" never matches
            ({"n": {"$gt": 1}}, {self.a, self.c}),       # "not-a-number" is no match, not a failure
            ({"n": {"$eq": "5"}}, {self.a}), ({"n": {"$eq": 5.0}}, {self.a}),
            ({"n": {"$between": [5, 7.5]}}, {self.a, self.c}),
            ({"nested.arr.1": {"$eq": 2}}, {self.a}),
            ({"visibility": "$ex"}, {self.a, self.b}), ({"visibility": {"$ex": None}}, {self.a, self.b}),
            ({"visibility": "$nex"}, {self.c}),           # JSON null counts as absent
            ({"nosuch": {"$neq": "x"}}, set()),
            ({"status": {"$eq": "raw"}}, {self.a}), ({"status": {"$neq": "raw"}}, set()),
        ]
        for meta, expected in cases:
            with self.subTest(meta=meta):
                self.assertEqual(set(self.q(self.mine({"sequence": {"user_metadata": meta}}))), expected)
        self.assertEqual(self.locs(self.mine({"topic": {"user_metadata": {"calibrated": {"$eq": True}}}})),
                         {self.a: [f"{self.a}/front/imu"]})
        self.assertEqual(self.locs(self.mine({"topic": {"user_metadata": {"serial_number": {"$eq": "X"},
                                                                          "bias_stability": {"$gt": 0.001}}}})),
                         {self.a: [f"{self.a}/front/imu"]})

    def test_refusals_are_invalid_argument(self):
        bad = [
            {"sequence": {"locator": {"$foo": "x"}}},
            {"sequence": {"locator": {"$lt": "x"}}},
            {"sequence": {"locator": {"$eq": 5}}},
            {"sequence": {"created_at_ns": {"$in": [1, 2]}}},
            {"sequence": {"created_at_ns": {"$eq": "1"}}},
            {"sequence": {"created_at_ns": {"$between": [2, 1]}}},
            {"sequence": {"created_at_ns": {"$between": [1]}}},
            {"topic": {"ontology_tag": {"$gt": "a"}}},
            {"topic": {"locator": {"$eq": "/a", "$neq": "/b"}}},
            {"topic": {"user_metadata": {"a": {"$in": [1]}}}},
            {"topic": {"user_metadata": {"a": {"$match": "x"}}}},
            {"sequence": {"user_metadata": {"status": {"$gt": "a"}}}},
            {"sequence": {"user_metadata": {"flag": {"$lt": True}}}},
            {"sequence": {"user_metadata": {"a": {"$eq": None}}}},
            {"sequence": {"user_metadata": {"a": {"$eq": [1]}}}},
            {"ontology": {"imu.acceleration.x": {"$neq": 0}}},
            {"ontology": {"imu.acceleration.x": {"$in": [0]}}},
            {"ontology": {"imu.frame_id": {"$match": "x"}}},
            {"ontology": {"imu.acceleration.x": "$ex"}},
            {"ontology": {"imu.acceleration.x": {"$between": [1.0, 0.0]}}},
            {"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": "yes"}},
        ]
        for body in bad:
            with self.subTest(body=body):
                self.assertStatus("INVALID_ARGUMENT", self.m.query, body)


if __name__ == "__main__":
    unittest.main()

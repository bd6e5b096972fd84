"""SDK 0.6/0.7 queries (delta doc Q1-Q7), sent as the 0.7 builders write them (_sdk07_query.py) on a 0.7
connection: `name` keys and response chaining, `$match` as a full-match glob (`*` any run, `?` one
character, `[..]` a set or range, `#` a digit) on names, user metadata and ontology strings, `$outside`,
`$in` / `$neq` on ontology fields, lexicographic ordering on strings, `$in` / `$match` on user metadata,
datetime fields queried with text, and `ontology_tag` on every answered topic. A topic `name` is its
relative name with the leading `/` (`/cam1/imu`), as `QueryTopic().with_name("/localization/log")`
sends it. The 0.4 grammar (`locator`, `$match` a substring) still answers a 0.4 connection. Answers are
compared on this module's sequences only (`<prefix>_run1`, `<prefix>_run2`, `<prefix>_x9`)."""
import datetime as dt
import unittest

from _sdk07 import Mosaico07TestCase
from _sdk07_data import (
    GPS07_SCHEMA, IMU07_SCHEMA, MS, PRESSURE07_SCHEMA, STAMPED07_SCHEMA, STRING07_SCHEMA, T07, gps07_rows, imu07_rows,
)
from _sdk07_query import (
    QueryOntology07, QuerySequence07, QueryTopic07, query_body, to_query_sequence, to_query_topic,
)
from _sdk2026 import Mosaico2026, batch_of, unique, upload

EPOCH = dt.datetime(2026, 10, 8, tzinfo=dt.timezone.utc)
EPOCH_NS = int(EPOCH.timestamp()) * 10**9


def imu(xs, frame_id):
    rows = imu07_rows(len(xs), seed=len(xs), shuffle=False)
    for row, x in zip(rows, xs):
        row["acceleration"]["x"] = x
        row["header"] = {"stamp": {"sec": 0, "nanosec": 0}, "frame_id": frame_id}
    return rows


def texts(*values):
    return [{"timestamp_ns": T07 + i * MS, "data": v} for i, v in enumerate(values)]


def gps(services):
    rows = gps07_rows(len(services), shuffle=False)
    for row, s in zip(rows, services):
        row["status"] = {"status": 0, "service": s, "satellites": 7, "hdop": 1.0, "vdop": None}
    return rows


def layout(a: str, b: str, c: str) -> dict:
    """{sequence: (user metadata, [(relative topic, tag, schema, rows, topic user metadata)])}."""
    return {
        a: ({"site": "alpha-7", "status": "raw", "n": 5, "owner": "ann"}, [
            ("cam1/imu", "imu", IMU07_SCHEMA, imu([i - 4.5 for i in range(10)], "base_link"),
             {"model": "bmi-088", "rate": 200}),
            ("cam2/imu", "imu", IMU07_SCHEMA, imu([10.0 + i for i in range(10)], "cam2_link"),
             {"model": "icm-42688", "rate": 100}),
            ("log", "string", STRING07_SCHEMA, texts("ERR-001 boot", "INFO ok", "WARN disk"), {"level": "debug"}),
            ("gps", "gps", GPS07_SCHEMA, gps([1, 2, 4]), {}),
        ]),
        b: ({"site": "beta-12", "status": "done", "n": 7}, [
            ("cam1/imu", "imu", IMU07_SCHEMA, imu([0.0] * 10, "base_footprint"), {"model": "bmi-088", "rate": 400}),
            ("log", "string", STRING07_SCHEMA, texts("ERR-42 late", "INFO ok"), {}),
        ]),
        c: ({"site": "gamma", "status": "archived", "n": 12}, [
            ("log", "string", STRING07_SCHEMA, texts("INFO ok", "INFO ok"), {}),
            ("press", "pressure", PRESSURE07_SCHEMA, [
                {"timestamp_ns": T07 + i * MS, "variance": 0.1, "variance_type": 1, "value": 95.0 + i,
                 "header": None} for i in range(5)], {}),
            ("stamped", "stamped", STAMPED07_SCHEMA, [
                {"timestamp_ns": T07 + i * MS, "at": EPOCH + dt.timedelta(seconds=i), "label": f"s{i}"}
                for i in range(5)], {}),
        ]),
    }


def write(m, sequences: dict) -> dict:
    """Each sequence with one finalized session holding its topics; {full topic locator: tag}."""
    tags = {}
    for seq, (meta, topics) in sequences.items():
        m.sequence_create(seq, meta)
        s = m.session_open(seq)
        for rel, tag, schema, rows, tmeta in topics:
            tags[f"{seq}/{rel}"] = tag
            tu = m.topic_create(f"{seq}/{rel}", s.uuid, ontology_tag=tag, user_metadata=tmeta)
            upload(m.client, f"{seq}/{rel}", tu, schema, [batch_of(rows, schema)])
        m.session_finalize(s.uuid)
    return tags


class Query07(Mosaico07TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.p = unique("q07")
        cls.a, cls.b, cls.c = f"{cls.p}_run1", f"{cls.p}_run2", f"{cls.p}_x9"
        cls.tags = write(cls.m, layout(cls.a, cls.b, cls.c))

    # --- helpers
    def items(self, *builders):
        """This module's items of the answer, each topic's `ontology_tag` checked (Q3)."""
        out = [i for i in self.m.query(query_body(*builders)) if i.sequence.startswith(self.p + "_")]
        for item in out:
            for t in item.topics:
                self.assertEqual(t.ontology_tag, self.tags[t.locator], f"ontology_tag of {t.locator}")
        return out

    def q(self, *builders):
        """{sequence: sorted full topic locators}."""
        return {i.sequence: i.locators for i in self.items(*builders)}

    def seqs(self, *builders):
        return set(self.q(*builders))

    def locs(self, *builders):
        return sorted(loc for topics in self.q(*builders).values() for loc in topics)

    def mine(self):
        return QuerySequence07().with_name_match(f"{self.p}_*")

    def all_of(self, seq):
        return sorted(loc for loc in self.tags if loc.startswith(seq + "/"))

    # --- Q1: name keys, chaining
    def test_name_keys(self):
        a, b, c = self.a, self.b, self.c
        self.assertEqual(self.q(QuerySequence07().with_name(a)), {a: self.all_of(a)})
        self.assertEqual(self.seqs(QuerySequence07().with_name_in([a, c])), {a, c})
        self.assertEqual(self.locs(self.mine(), QueryTopic07().with_name("/log")), [f"{a}/log", f"{b}/log", f"{c}/log"])
        self.assertEqual(self.locs(self.mine(), QueryTopic07().with_name_in(["/cam1/imu", "/press"])),
                         [f"{a}/cam1/imu", f"{b}/cam1/imu", f"{c}/press"])
        self.assertEqual(self.q(QuerySequence07().with_name(a), QueryTopic07().with_name("log")), {},
                         "a topic name starts with /")

    def test_chaining_a_response(self):
        first = self.items(QueryOntology07().with_expression("imu.acceleration.x", gt=12))
        self.assertEqual([(i.sequence, i.locators) for i in first], [(self.a, [f"{self.a}/cam2/imu"])])
        self.assertEqual(self.q(to_query_sequence(first), QueryTopic07().with_name("/log")), {self.a: [f"{self.a}/log"]})
        self.assertEqual(self.q(self.mine(), to_query_topic(first)), {self.a: [f"{self.a}/cam2/imu"]})

    # --- Q4: $match is a full-match glob
    def test_glob_on_sequence_names(self):
        p, a, b, c = self.p, self.a, self.b, self.c
        cases = [(f"{p}_run#", {a, b}), (f"{p}_run?", {a, b}), (f"{p}_*", {a, b, c}), (f"{p}_[rx]*", {a, b, c}),
                 (f"{p}_[a-q]*", set()), (f"{p}_x#", {c}), (f"{p}_run[2-3]", {b}), (f"*{p[3:]}_run1", {a}),
                 (f"{p}_run", set()), (p, set()), (f"{p}_run##", set()), (f"{p[:-1]}?_run?", {a, b})]
        for pattern, expected in cases:
            with self.subTest(pattern=pattern):
                self.assertEqual(self.seqs(QuerySequence07().with_name_match(pattern)), expected)

    def test_glob_on_topic_names(self):
        a, b, c = self.a, self.b, self.c
        cases = [("/cam#/imu", [f"{a}/cam1/imu", f"{a}/cam2/imu", f"{b}/cam1/imu"]),
                 ("*imu", [f"{a}/cam1/imu", f"{a}/cam2/imu", f"{b}/cam1/imu"]), ("/cam[2]/*", [f"{a}/cam2/imu"]),
                 ("/lo?", [f"{a}/log", f"{b}/log", f"{c}/log"]), ("/log*", [f"{a}/log", f"{b}/log", f"{c}/log"]),
                 ("imu", []), ("/cam", [])]
        for pattern, expected in cases:
            with self.subTest(pattern=pattern):
                self.assertEqual(self.locs(self.mine(), QueryTopic07().with_name_match(pattern)), expected)

    def test_glob_on_user_metadata(self):
        a, b = self.a, self.b
        for pattern, expected in (("alpha-#", {a}), ("*-1?", {b}), ("[ab]*", {a, b}), ("alpha", set()), ("*", None)):
            with self.subTest(pattern=pattern):
                self.assertEqual(self.seqs(self.mine().with_user_metadata("site", match=pattern)),
                                 {a, b, self.c} if expected is None else expected)
        self.assertEqual(self.locs(self.mine(), QueryTopic07().with_user_metadata("model", match="bmi-###")),
                         [f"{a}/cam1/imu", f"{b}/cam1/imu"])

    def test_glob_on_ontology_strings(self):
        a, b, c = self.a, self.b, self.c
        cases = [("string.data", "ERR-###*", [f"{a}/log"]), ("string.data", "ERR-*", [f"{a}/log", f"{b}/log"]),
                 ("string.data", "*boot", [f"{a}/log"]), ("string.data", "INFO?ok", [f"{a}/log", f"{b}/log", f"{c}/log"]),
                 ("string.data", "ERR", []), ("imu.header.frame_id", "base_*", [f"{a}/cam1/imu", f"{b}/cam1/imu"]),
                 ("imu.header.frame_id", "base_l*", [f"{a}/cam1/imu"])]
        for key, pattern, expected in cases:
            with self.subTest(key=key, pattern=pattern):
                self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression(key, match=pattern)), expected)

    # --- Q5: new operators
    def test_outside_is_below_or_above_inclusive_bounds(self):
        a = self.a
        cases = [([-4.0, 4.0], [f"{a}/cam1/imu", f"{a}/cam2/imu"]), ([-5.0, 18.5], [f"{a}/cam2/imu"]),
                 ([-4.5, 19.0], []), ([-1.0, 1.0], [f"{a}/cam1/imu", f"{a}/cam2/imu"])]
        for bounds, expected in cases:
            with self.subTest(bounds=bounds):
                self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression("imu.acceleration.x",
                                                                                          outside=bounds)), expected)
        self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression(
            "pressure.timestamp_ns", outside=[T07, T07 + 4 * MS])), [])
        self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression(
            "pressure.timestamp_ns", outside=[T07, T07 + 3 * MS])), [f"{self.c}/press"])

    def test_in_and_neq_on_ontology_fields(self):
        a, b, c = self.a, self.b, self.c
        cases = [("gps.status.service", "in_", [2, 3], [f"{a}/gps"]), ("gps.status.service", "in_", [3], []),
                 ("string.data", "in_", ["INFO ok", "nope"], [f"{a}/log", f"{b}/log", f"{c}/log"]),
                 ("string.data", "in_", ["WARN disk"], [f"{a}/log"]),
                 ("imu.acceleration.x", "neq", 0.0, [f"{a}/cam1/imu", f"{a}/cam2/imu"]),
                 ("string.data", "neq", "INFO ok", [f"{a}/log", f"{b}/log"]),
                 ("pressure.value", "in_", [96.0, 99.0], [f"{c}/press"])]
        for key, op, value, expected in cases:
            with self.subTest(key=key, op=op, value=value):
                self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression(key, **{op: value})), expected)

    def test_strings_order_lexicographically(self):
        a, b, c = self.a, self.b, self.c
        onto = [("lt", "B", []), ("gt", "WARN", [f"{a}/log"]), ("leq", "ERR-1", [f"{a}/log"]),
                ("geq", "INFO ok", [f"{a}/log", f"{b}/log", f"{c}/log"]), ("between", ["ERR-2", "ERR-5"], [f"{b}/log"])]
        for op, value, expected in onto:
            with self.subTest(op=op, value=value):
                self.assertEqual(self.locs(self.mine(), QueryOntology07().with_expression("string.data", **{op: value})),
                                 expected)
        meta = [("gt", "b", {a, b}), ("lt", "beta", {a}), ("geq", "gamma", {c}), ("between", ["b", "c"], {b})]
        for op, value, expected in meta:
            with self.subTest(user_metadata=op, value=value):
                key = "status" if op == "gt" else "site"
                self.assertEqual(self.seqs(self.mine().with_user_metadata(key, **{op: value})), expected)

    def test_in_on_user_metadata(self):
        a, b, c = self.a, self.b, self.c
        self.assertEqual(self.seqs(self.mine().with_user_metadata("status", in_=["raw", "done"])), {a, b})
        self.assertEqual(self.seqs(self.mine().with_user_metadata("n", in_=[5, 12])), {a, c})
        self.assertEqual(self.seqs(self.mine().with_user_metadata("n", in_=[6])), set())
        self.assertEqual(self.locs(self.mine(), QueryTopic07().with_user_metadata("rate", in_=[100, 400])),
                         [f"{a}/cam2/imu", f"{b}/cam1/imu"])

    # --- Q6, Q7
    def test_exists(self):
        self.assertEqual(self.seqs(self.mine().with_user_metadata("owner", ex=True)), {self.a})
        self.assertEqual(self.seqs(self.mine().with_user_metadata("owner", ex=False)), {self.b, self.c})

    def test_datetime_fields_take_iso_text_or_decimal_ns_text(self):
        stamped = [f"{self.c}/stamped"]
        cases = [("geq", EPOCH + dt.timedelta(seconds=3), stamped), ("gt", EPOCH + dt.timedelta(seconds=4), []),
                 ("lt", EPOCH_NS + 1, stamped), ("lt", EPOCH_NS, []),
                 ("between", [EPOCH_NS + 10**9, EPOCH_NS + 2 * 10**9], stamped)]
        for op, value, expected in cases:
            with self.subTest(op=op, value=value):
                onto = QueryOntology07().with_expression("stamped.at", datetime=True, **{op: value})
                self.assertEqual(self.locs(self.mine(), onto), expected)

    def test_ontology_tag_on_every_topic_of_every_answer(self):
        answer = self.items(self.mine())
        self.assertEqual(sorted(loc for i in answer for loc in i.locators), sorted(self.tags))

    def test_refusals_are_invalid_argument(self):
        bad = [
            {"sequence": {"name": {"$match": 5}}},
            {"ontology": {"imu.acceleration.x": {"$outside": [1.0]}}},
            {"ontology": {"imu.acceleration.x": {"$outside": [2.0, 1.0]}}},
            {"ontology": {"imu.acceleration.x": {"$in": []}}},
            {"sequence": {"user_metadata": {"site": {"$in": []}}}},
            {"ontology": {"imu.acceleration.x": {"$nope": 1}}},
        ]
        for body in bad:
            with self.subTest(body=body):
                self.assertStatus("INVALID_ARGUMENT", self.m.query, body)


class Query04Still(Mosaico07TestCase):
    """The 0.4 grammar on a 0.4 connection, on the same server: `locator`, `$match` a literal substring."""

    def test_locator_and_substring_match(self):
        name = self.new_sequence("q04in07")
        s = self.m.session_open(name)
        tu = self.m.topic_create(f"{name}/cam/imu", s.uuid)
        upload(self.m.client, f"{name}/cam/imu", tu, IMU07_SCHEMA, [batch_of(imu([1.0], "f"), IMU07_SCHEMA)])
        old = Mosaico2026()
        try:
            def seqs(body):
                return {i.sequence for i in old.query(body) if i.sequence == name}

            self.assertEqual(seqs({"sequence": {"locator": {"$match": name[4:-2]}}}), {name})
            self.assertEqual(seqs({"sequence": {"locator": {"$match": name[:-2] + "*"}}}), set(), "* is literal")
            self.assertEqual(seqs({"sequence": {"locator": {"$match": name[:-2] + "??"}}}), set(), "? is literal")
            [item] = old.query({"sequence": {"locator": {"$eq": name}}, "topic": {"locator": {"$match": "am/im"}}})
            self.assertEqual(item.locators, [f"{name}/cam/imu"])
        finally:
            old.close()


if __name__ == "__main__":
    unittest.main()

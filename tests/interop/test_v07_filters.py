"""SDK 0.6/0.7 `topic_filter_clusterize` and `topic_filter_intersect` (delta doc A3, A4) on data with gaps
chosen here; every expected answer is computed below from the rows and the semantics:

- clusterize: the timestamps of the rows that satisfy every ontology condition (an empty filter: every
  row), inside `timestamp_range` when given (bounds inclusive), in time order; two consecutive ones are in
  one cluster when their gap is <= `clustering_dt_ns`; dt = 0 gives one [min, max] cluster. One Result per
  cluster, ids 0, 1, ... in time order; no match, no Result.
- intersect: each topic clustered with its own dt, then the windows covered by every topic: the k-way walk
  of the reference daemon (compare the current cluster of every topic; emit [max start, min end] when they
  overlap, touching included; advance the topic whose cluster ends first). With a tolerance d a near miss
  (gap = max start - min end, 0 < gap <= d) counts too. Which window it yields is not settled: the
  reference daemon emits [max start - d//2, min end + (d - d//2)], a server may emit the gap itself
  [min end, max start]; both give the gap when d = 2 × gap, the only near-miss case asserted exactly here
  (other tolerances: the number of windows and the overlapping ones only).
Topics may come from different sequences (the SDK documents intersecting two sequences' topics)."""
import unittest

from _sdk07 import Mosaico07TestCase, cluster_params
from _sdk07_data import GPS07_SCHEMA, IMU07_SCHEMA, MS, PRESSURE07_SCHEMA, T07, gps07_rows, imu07_rows
from _sdk2026 import batches_of, unique, upload

IMU_X = set(range(5, 15)) | set(range(20, 23)) | {40} | set(range(60, 80))  # rows i with x > 0 (i*10 ms)
IMU_Y = set(range(5, 8)) | set(range(60, 70))  # rows with y < 0
GPS_FIX = set(range(4, 9)) | set(range(30, 34)) | {45}  # rows j with service 2 (j*20 ms + 5 ms)
PRESS_HIGH = {3, 4} | set(range(12, 17))  # rows k with value > 100 (k*50 ms)


def imu_rows(matches=IMU_X, n=100):
    rows = imu07_rows(n, seed=11, step=10 * MS, shuffle=False)
    for i, row in enumerate(rows):
        row["acceleration"]["x"] = 1.0 + i if i in matches else -1.0
        row["acceleration"]["y"] = -1.0 if i in IMU_Y else 1.0
    return rows


def gps_rows():
    rows = gps07_rows(50, seed=12, t0=T07 + 5 * MS, step=20 * MS, shuffle=False)
    for j, row in enumerate(rows):
        row["status"] = {"status": 0, "service": 2 if j in GPS_FIX else 1, "satellites": 9, "hdop": 1.0, "vdop": None}
    return rows


def pressure_rows():
    return [{"timestamp_ns": T07 + k * 50 * MS, "variance": 0.5, "variance_type": 1,
             "value": 150.0 if k in PRESS_HIGH else 90.0, "header": None} for k in range(20)]


def clusters_of(timestamps, dt, rng=None):
    """The clusters of matching timestamps (see the module doc), as (start, end) pairs."""
    ts = sorted(t for t in timestamps if rng is None or rng[0] <= t <= rng[1])
    if not ts:
        return []
    if dt == 0:
        return [(ts[0], ts[-1])]
    out = [[ts[0], ts[0]]]
    for t in ts[1:]:
        if t - out[-1][1] <= dt:
            out[-1][1] = t
        else:
            out.append([t, t])
    return [tuple(c) for c in out]


def intersection_of(cluster_lists, tolerance):
    """The k-way walk over per-topic clusters (see the module doc), near misses as the reference daemon."""
    if not cluster_lists or any(not c for c in cluster_lists):
        return []
    idx, out = [0] * len(cluster_lists), []
    while True:
        current = [c[i] for c, i in zip(cluster_lists, idx)]
        start, end = max(c[0] for c in current), min(c[1] for c in current)
        if start <= end:
            out.append((start, end))
        elif start - end <= tolerance:
            out.append((start - tolerance // 2, end + tolerance - tolerance // 2))
        j = [c[1] for c in current].index(end)
        idx[j] += 1
        if idx[j] == len(cluster_lists[j]):
            return out


def ts_where(rows, pred):
    return [r["timestamp_ns"] for r in rows if pred(r)]


X_POS = {"imu.acceleration.x": {"$gt": 0}}
FIX = {"gps.status.service": {"$eq": 2}}
HIGH = {"pressure.value": {"$gt": 100}}


class Filters(Mosaico07TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        m = cls.m
        cls.seq, cls.other = unique("flt07"), unique("flt07b")
        cls.imu, cls.gps, cls.press = imu_rows(), gps_rows(), pressure_rows()
        cls.imu2 = imu_rows(set(range(10, 31)))
        for seq, topics in ((cls.seq, (("imu", IMU07_SCHEMA, cls.imu, "imu"), ("gps", GPS07_SCHEMA, cls.gps, "gps"),
                                       ("press", PRESSURE07_SCHEMA, cls.press, "pressure"))),
                            (cls.other, (("imu2", IMU07_SCHEMA, cls.imu2, "imu"),))):
            m.sequence_create(seq, {})
            s = m.session_open(seq)
            for rel, schema, rows, tag in topics:
                tu = m.topic_create(f"{seq}/{rel}", s.uuid, ontology_tag=tag)
                shuffled = sorted(rows, key=lambda r: (r["timestamp_ns"] * 7919) % 1009)  # out of time order
                upload(m.client, f"{seq}/{rel}", tu, schema, batches_of(shuffled, schema, 17))
            m.session_finalize(s.uuid)
        cls.x_ts = ts_where(cls.imu, lambda r: r["acceleration"]["x"] > 0)
        cls.fix_ts = ts_where(cls.gps, lambda r: r["status"]["service"] == 2)
        cls.high_ts = ts_where(cls.press, lambda r: r["value"] > 100)

    def loc(self, rel, seq=None):
        return f"{seq or self.seq}/{rel}"

    def assertClusters(self, got, expected):
        self.assertEqual([c.id for c in got], list(range(len(got))), "ids 0, 1, ... in time order")
        self.assertEqual([c.span for c in got], expected)

    # --- clusterize
    def test_dt_zero_is_one_cluster_from_first_to_last_match(self):
        self.assertEqual(clusters_of(self.x_ts, 0), [(T07 + 50 * MS, T07 + 790 * MS)])
        self.assertClusters(self.m.clusterize(self.loc("imu"), 0, X_POS), clusters_of(self.x_ts, 0))

    def test_gaps_up_to_dt_stay_in_one_cluster(self):
        for dt in (10 * MS, 10 * MS - 1, 60 * MS, 60 * MS - 1, 200 * MS, 10**10, 1):
            with self.subTest(dt=dt):
                self.assertClusters(self.m.clusterize(self.loc("imu"), dt, X_POS), clusters_of(self.x_ts, dt))
        self.assertEqual(len(clusters_of(self.x_ts, 10 * MS)), 4)
        self.assertEqual(len(clusters_of(self.x_ts, 60 * MS)), 3)
        self.assertEqual(len(clusters_of(self.x_ts, 1)), len(IMU_X))

    def test_timestamp_range_keeps_the_rows_inside_bounds_included(self):
        for rng in ((T07 + 150 * MS, T07 + 500 * MS), (T07 + 200 * MS, T07 + 610 * MS), (T07 + 400 * MS, T07 + 400 * MS),
                    (T07 + 141 * MS, T07 + 199 * MS), (0, T07 + 10**10)):
            with self.subTest(range=rng):
                self.assertClusters(self.m.clusterize(self.loc("imu"), 10 * MS, X_POS, rng),
                                    clusters_of(self.x_ts, 10 * MS, rng))
        self.assertEqual(clusters_of(self.x_ts, 10 * MS, (T07 + 200 * MS, T07 + 610 * MS)),
                         [(T07 + 200 * MS, T07 + 220 * MS), (T07 + 400 * MS,) * 2, (T07 + 600 * MS, T07 + 610 * MS)])

    def test_every_condition_holds_on_the_same_row(self):
        both = {**X_POS, "imu.acceleration.y": {"$lt": 0}}
        expected = clusters_of(ts_where(self.imu, lambda r: r["acceleration"]["x"] > 0 and r["acceleration"]["y"] < 0),
                               10 * MS)
        self.assertEqual(expected, [(T07 + 50 * MS, T07 + 70 * MS), (T07 + 600 * MS, T07 + 690 * MS)])
        self.assertClusters(self.m.clusterize(self.loc("imu"), 10 * MS, both), expected)
        self.assertClusters(self.m.clusterize(self.loc("gps"), 20 * MS, FIX), clusters_of(self.fix_ts, 20 * MS))

    def test_no_match_is_no_result_and_an_empty_filter_is_every_row(self):
        self.assertEqual(self.m.raw_action("topic_filter_clusterize", {
            "locator": self.loc("imu"), "clustering_dt_ns": 0, "ontology": {"imu.acceleration.x": {"$gt": 1e9}},
            "timestamp_range": None}), [])
        all_ts = [r["timestamp_ns"] for r in self.imu]
        self.assertClusters(self.m.clusterize(self.loc("imu")), clusters_of(all_ts, 0))  # the SDK's defaults
        self.assertClusters(self.m.clusterize(self.loc("imu"), 10 * MS, {}), [(T07, T07 + 990 * MS)])
        self.assertEqual(self.m.clusterize(self.loc("imu"), 0, X_POS, (T07 + 800 * MS, T07 + 900 * MS)), [])

    def test_refusals(self):
        self.assertStatus("NOT_FOUND", self.m.clusterize, self.loc("nosuch"), 0, X_POS)
        self.assertStatus("NOT_FOUND", self.m.clusterize, f"{unique('nosuch')}/imu", 0, X_POS)
        for args in ((self.loc("imu"), -1, X_POS), (self.seq, 0, X_POS),
                     (self.loc("imu"), 0, X_POS, (T07 + 10 * MS, T07)),
                     (self.loc("imu"), 0, {"imu.acceleration.x": {"$nope": 1}})):
            with self.subTest(args=args):
                self.assertStatus("INVALID_ARGUMENT", self.m.clusterize, *args)
        self.assertStatus("INVALID_ARGUMENT", self.m.raw_action, "topic_filter_clusterize", {"clustering_dt_ns": 0})

    # --- intersect
    def per_topic(self):
        return {"imu": clusters_of(self.x_ts, 10 * MS), "gps": clusters_of(self.fix_ts, 20 * MS),
                "press": clusters_of(self.high_ts, 50 * MS)}

    def params(self, *names):
        spec = {"imu": (10 * MS, X_POS), "gps": (20 * MS, FIX), "press": (50 * MS, HIGH)}
        return [cluster_params(self.loc(n), *spec[n]) for n in names]

    def test_intersection_with_tolerance_zero(self):
        c = self.per_topic()
        expected = intersection_of([c["imu"], c["gps"]], 0)
        self.assertEqual(expected, [(T07 + 85 * MS, T07 + 140 * MS), (T07 + 605 * MS, T07 + 665 * MS)])
        self.assertClusters(self.m.intersect(self.params("imu", "gps")), expected)
        self.assertClusters(self.m.intersect(self.params("gps", "imu")), expected)
        touching = intersection_of([c["imu"], c["press"]], 0)
        self.assertIn((T07 + 200 * MS, T07 + 200 * MS), touching, "clusters that touch share one instant")
        self.assertClusters(self.m.intersect(self.params("imu", "press")), touching)
        three = intersection_of([c["imu"], c["gps"], c["press"]], 0)
        self.assertClusters(self.m.intersect(self.params("imu", "gps", "press")), three)

    def test_a_tolerance_bridges_near_misses(self):
        c = self.per_topic()
        strict, loose = intersection_of([c["imu"], c["press"]], 0), intersection_of([c["imu"], c["press"]], 20 * MS)
        self.assertEqual(loose, [(T07 + 140 * MS, T07 + 150 * MS)] + strict, "the 10 ms gap at 140..150 ms counts")
        self.assertClusters(self.m.intersect(self.params("imu", "press"), 20 * MS), loose)  # d = 2 × the gap
        self.assertClusters(self.m.intersect(self.params("imu", "press"), 9 * MS), strict)
        for d in (10 * MS, 30 * MS):  # a near miss still counts; its window's bounds are not asserted
            with self.subTest(tolerance=d):
                got = self.m.intersect(self.params("imu", "press"), d)
                self.assertEqual(len(got), len(strict) + 1)
                self.assertEqual([c.span for c in got][1:], strict)
                self.assertLessEqual(got[0].end_ns, strict[0][0])

    def test_no_common_window_is_no_result(self):
        none = [cluster_params(self.loc("imu"), 0, {"imu.acceleration.x": {"$gt": 1e9}})] + self.params("gps")
        self.assertEqual(self.m.intersect(none), [])
        far = [cluster_params(self.loc("imu"), 10 * MS, X_POS),
               cluster_params(self.loc("gps"), 0, {"gps.status.service": {"$eq": 2}, "gps.timestamp_ns": {"$gt": T07 + 900 * MS}})]
        self.assertEqual(self.m.intersect(far), [])

    def test_topics_of_two_sequences(self):
        other = clusters_of(ts_where(self.imu2, lambda r: r["acceleration"]["x"] > 0), 10 * MS)
        expected = intersection_of([self.per_topic()["imu"], other], 0)
        self.assertEqual(expected, [(T07 + 100 * MS, T07 + 140 * MS), (T07 + 200 * MS, T07 + 220 * MS)])
        self.assertClusters(self.m.intersect(self.params("imu") + [
            cluster_params(self.loc("imu2", self.other), 10 * MS, X_POS)]), expected)

    def test_intersect_refusals(self):
        self.assertStatus("NOT_FOUND", self.m.intersect, self.params("imu") + [cluster_params(self.loc("nosuch"), 0, FIX)])
        self.assertStatus("INVALID_ARGUMENT", self.m.intersect, self.params("imu", "gps"), -1)
        self.assertStatus("INVALID_ARGUMENT", self.m.raw_action, "topic_filter_intersect", {"intersect_dt_ns": 0})


if __name__ == "__main__":
    unittest.main()

"""The striped-read extension (src/read/stripes.ts, src/flight/flight_info.ts): GetFlightInfo with
`{"topic_range": {"name", ["start_ns"], ["end_ns"], "stripes": N}}` answers up to N endpoints whose range
tickets cut the topic at chunk boundaries; fetched in parallel, one connection each, and concatenated in
endpoint order, they give exactly the rows of the plain read, in order."""
import json
import os
import threading
import unittest

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from _sdk import T0, MosaicoTestCase, connect, unique, upload

SCHEMA = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False)] +
                   [pa.field(f"v{i}", pa.float64()) for i in range(8)])
ROWS_PER_BATCH = 15_000
BATCHES = 4  # ~4.3 MB of Arrow data: several chunks when the daemon seals them every 1 MiB
SMALL_CHUNKS = os.environ.get("MOSAICOD_CHUNK_BYTES") == str(1 << 20)


def batch(i: int, rng) -> pa.RecordBatch:
    ts = T0 + np.arange(i * ROWS_PER_BATCH, (i + 1) * ROWS_PER_BATCH, dtype=np.int64) * 1000
    if i == 2:
        ts = ts - 5_000_000  # overlaps the previous batch's time range
    return pa.RecordBatch.from_arrays([pa.array(ts)] + [pa.array(rng.standard_normal(len(ts))) for _ in range(8)],
                                      schema=SCHEMA)


def stripes_descriptor(name, stripes, start=None, end=None) -> flight.FlightDescriptor:
    body = {"name": name, "stripes": stripes}
    if start is not None:
        body["start_ns"] = str(start)
    if end is not None:
        body["end_ns"] = str(end)
    return flight.FlightDescriptor.for_command(json.dumps({"topic_range": body}).encode())


def read_parallel(endpoints) -> pa.Table:
    """Every endpoint on its own connection and thread, concatenated in endpoint order."""
    parts = [None] * len(endpoints)

    def run(i):
        client = connect()
        try:
            parts[i] = client.do_get(endpoints[i].ticket).read_all()
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(endpoints))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pa.concat_tables(parts)


class StripedRead(MosaicoTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seq = unique("stripes")
        skey = cls.m.sequence_create(cls.seq, {})
        cls.topic = f"{cls.seq}/signals"
        tkey = cls.m.topic_create(cls.topic, skey)
        rng = np.random.default_rng(9)
        upload(cls.m.client, cls.topic, tkey, SCHEMA, [batch(i, rng) for i in range(BATCHES)])
        cls.m.sequence_finalize(cls.seq, skey)
        cls.full = cls.m.client.do_get(flight.Ticket(cls.topic.encode())).read_all()

    def check(self, stripes, start=None, end=None):
        info = self.m.client.get_flight_info(stripes_descriptor(self.topic, stripes, start, end))
        self.assertTrue(1 <= len(info.endpoints) <= stripes)
        if SMALL_CHUNKS and stripes > 1:
            self.assertGreater(len(info.endpoints), 1, "several chunks must give several stripes")
        got = read_parallel(info.endpoints)
        ts = self.full.column("timestamp_ns").to_numpy()
        lo = -(2**63) if start is None else start
        hi = 2**63 - 1 if end is None else end
        want = self.full.filter(pa.array((ts >= lo) & (ts <= hi)))
        self.assertEqual(got.num_rows, want.num_rows)
        self.assertTrue(got.column("timestamp_ns").equals(want.column("timestamp_ns")))
        self.assertTrue(got.column("v3").equals(want.column("v3")))
        return info

    def test_stripes_concatenate_to_the_plain_read(self):
        self.assertEqual(self.full.num_rows, ROWS_PER_BATCH * BATCHES)
        for stripes in (1, 2, 3, 8, 64):
            with self.subTest(stripes=stripes):
                self.check(stripes)

    def test_stripes_within_a_range(self):
        for stripes in (2, 5):
            with self.subTest(stripes=stripes):
                self.check(stripes, T0 + 10_000_000, T0 + 50_000_000)

    def test_bad_stripes_are_refused(self):
        for bad in (0, 65, 1.5, "2"):
            with self.subTest(stripes=bad):
                with self.assertRaises(pa.ArrowInvalid):
                    self.m.client.get_flight_info(stripes_descriptor(self.topic, bad))


if __name__ == "__main__":
    unittest.main()

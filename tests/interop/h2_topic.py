"""Used by tests/transport_slow_reader_test.ts (not a unittest module): makes one large finalized topic the way
the SDK does, for readers to fetch, and prints {"topic", "rows", "bytes"} as JSON.

  h2_topic.py NAME TOTAL_BYTES     sequence NAME with topic NAME/data of about TOTAL_BYTES of Arrow data

Data: int64 timestamp_ns (increasing) and eight float64 columns, 8,192-row batches (~590 kB, so that the
daemon's chunks of 1 MiB hold two batches); the values of four random batches are reused, so that making the
data costs the client little.
"""
import json
import sys

import numpy as np
import pyarrow as pa

from _sdk import T0, Mosaico, upload

ROWS = 8_192
SCHEMA = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False)] +
                   [pa.field(f"v{i}", pa.float64()) for i in range(8)])


def main() -> None:
    name, total = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(16)
    pool = [[pa.array(rng.standard_normal(ROWS)) for _ in range(8)] for _ in range(4)]
    count = max(1, round(total / (ROWS * 8 * 9)))
    batches = [pa.RecordBatch.from_arrays(
        [pa.array(T0 + np.arange(i * ROWS, (i + 1) * ROWS, dtype=np.int64))] + pool[i % 4], schema=SCHEMA)
        for i in range(count)]
    m = Mosaico()
    try:
        key = m.sequence_create(name, {})
        topic = f"{name}/data"
        upload(m.client, topic, m.topic_create(topic, key), SCHEMA, batches)
        m.sequence_finalize(name, key)
    finally:
        m.close()
    print(json.dumps({"topic": topic, "rows": count * ROWS, "bytes": sum(b.nbytes for b in batches)}))


if __name__ == "__main__":
    main()

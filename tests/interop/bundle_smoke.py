"""Used by tests/bundle_test.ts (not a unittest module): the smallest whole round trip through a daemon run
from an offline bundle, as the 0.1.0 SDK makes it. Uploads one IMU topic of ROWS rows in three batches,
finalizes the sequence, reads the topic back and compares every value bit for bit (NaN payloads and -0.0
included), and runs one query with a data (ontology) filter, which the daemon answers by scanning the
stored Parquet chunk in its worker. Prints {"sequence", "topic", "rows"} as JSON; fails on any difference.
"""
import faulthandler
import json
import os

from _sdk import IMU_SCHEMA, Mosaico, batches_of, canon, imu_rows, read_stream, sorted_rows, unique, upload

ROWS = 300
# A daemon that stops answering ends the script (with every thread's stack) instead of the test run.
WATCHDOG_SECONDS = float(os.environ.get("MOSAICOD_TEST_WATCHDOG", "180"))


def main() -> None:
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    seq = unique("bundle")
    topic = f"{seq}/imu"
    rows = imu_rows(ROWS)
    for i, row in enumerate(rows):  # finite, distinct values for the query (the rest keeps NaNs and infinities)
        row["acceleration"]["x"] = i * 0.5 - 7
    m = Mosaico()
    try:
        key = m.sequence_create(seq, {"robot": "bundle-smoke"})
        upload(m.client, topic, m.topic_create(topic, key), IMU_SCHEMA, batches_of(rows, IMU_SCHEMA, 100))
        m.sequence_finalize(seq, key)

        [endpoint] = m.flight_info(topic).endpoints
        read = read_stream(m.client, endpoint.ticket.ticket)
        if read.table.num_rows != ROWS or canon(read.rows) != canon(sorted_rows(rows)):
            raise AssertionError(f"read back {read.table.num_rows} rows that differ from the {ROWS} uploaded")

        top = max(r["acceleration"]["x"] for r in rows)
        answer = m.action("query", {"sequence": {"name": {"$eq": seq}},
                                    "ontology": {"imu.acceleration.x": {"$geq": top}}})
        if answer != {"items": [{"sequence": seq, "topics": [topic]}]}:
            raise AssertionError(f"query answered {answer!r}")
    finally:
        m.close()
    print(json.dumps({"sequence": seq, "topic": topic, "rows": ROWS}))


if __name__ == "__main__":
    main()

"""Used by tests/crash_test.ts (not a unittest module): one client operation per run, printing JSON.

  crash_ops.py keep                 finalized sequence "keep" with data; prints its checksum
  crash_ops.py start NAME           unfinalized sequence NAME with topic NAME/imu; prints keys
  crash_ops.py upload NAME TKEY     uploads ~3 MiB to NAME/imu (several 1 MiB chunks); prints the outcome
  crash_ops.py finalize NAME KEY | abort NAME KEY | delete NAME
  crash_ops.py state NAME           what a client sees of NAME and of "keep"
"""
import hashlib
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from _sdk import T0, Mosaico, upload

SCHEMA = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False)] +
                   [pa.field(f"v{i}", pa.float64()) for i in range(8)])


def batches(seed: int, n: int = 6, rows: int = 8000) -> list:
    rng = np.random.default_rng(seed)
    return [pa.RecordBatch.from_arrays(
        [pa.array(T0 + np.arange(i * rows, (i + 1) * rows, dtype=np.int64))] +
        [pa.array(rng.standard_normal(rows)) for _ in range(8)], schema=SCHEMA) for i in range(n)]


def digest(table: pa.Table) -> str:
    """Of the values only: independent of batch boundaries and of schema metadata."""
    h = hashlib.sha256()
    for name in SCHEMA.names:
        h.update(table.column(name).combine_chunks().to_numpy().tobytes())
    return h.hexdigest()


def outcome(call) -> str:
    try:
        call()
        return "ok"
    except Exception as err:  # the daemon died mid-call, or refused
        return f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"


def topic_state(m: Mosaico, topic: str) -> dict:
    try:
        info = m.flight_info(topic)
    except Exception as err:
        return {"data": type(err).__name__}
    table = m.client.do_get(info.endpoints[0].ticket).read_all()
    return {"rows": table.num_rows, "digest": digest(table), "locked": m.topic_system_info(topic).is_locked}


def main() -> None:
    m = Mosaico()
    op, args = sys.argv[1], sys.argv[2:]
    out: dict = {}
    try:
        if op == "keep":
            key = m.sequence_create("keep", {"kept": True})
            tkey = m.topic_create("keep/imu", key)
            data = batches(1)
            upload(m.client, "keep/imu", tkey, SCHEMA, data)
            m.sequence_finalize("keep", key)
            out = {"digest": digest(pa.Table.from_batches(data))}
        elif op == "start":
            key = m.sequence_create(args[0], {})
            out = {"key": key, "tkey": m.topic_create(f"{args[0]}/imu", key)}
        elif op == "upload":
            data = batches(2)
            out = {"outcome": outcome(lambda: upload(m.client, f"{args[0]}/imu", args[1], SCHEMA, data)),
                   "digest": digest(pa.Table.from_batches(data))}
        elif op == "finalize":
            out = {"outcome": outcome(lambda: m.sequence_finalize(args[0], args[1]))}
        elif op == "abort":
            out = {"outcome": outcome(lambda: m.sequence_abort(args[0], args[1]))}
        elif op == "delete":
            out = {"outcome": outcome(lambda: m.sequence_delete(args[0]))}
        elif op == "state":
            names = m.sequence_names()
            out = {"keep": topic_state(m, "keep/imu"), "sequences": sorted(names)}
            if args[0] in names:
                out["locked"] = m.sequence_system_info(args[0]).is_locked
                out["topic"] = topic_state(m, f"{args[0]}/imu")
        print(json.dumps(out))
    finally:
        m.close()


if __name__ == "__main__":
    main()

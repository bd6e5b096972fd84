"""Uploads one large topic the way the SDK does, then reads it back and verifies it.

Not a unittest module (it is not named test_*): tests/large_upload_test.ts runs it with
MOSAICOD_URL, MOSAICOD_PID and the size; the daemon's peak RSS (VmHWM) is read after the upload and
after the read-back.

Data: int64 timestamp_ns (strictly increasing) + 8 float64 columns + a small struct, 65,536-row batches.
Prints one JSON line: bytes sent, rows, seconds for put and get, and whether the read-back matched.
"""
import json
import os
import sys
import time
import uuid
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

URL = os.environ["MOSAICOD_URL"]
TOTAL_BYTES = int(sys.argv[1])
ROWS_PER_BATCH = 65_536

SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False),
    *[pa.field(f"v{i}", pa.float64()) for i in range(8)],
    pa.field("header", pa.struct([pa.field("seq", pa.uint32()), pa.field("frame_id", pa.string())])),
])


def make_batch(index: int) -> pa.RecordBatch:
    start = index * ROWS_PER_BATCH
    ts = np.arange(start, start + ROWS_PER_BATCH, dtype=np.int64) * 1000 + 1_700_000_000_000_000_000
    rng = np.random.default_rng(index)
    cols = [pa.array(ts)] + [pa.array(rng.standard_normal(ROWS_PER_BATCH)) for _ in range(8)]
    seq = pa.array(np.arange(start, start + ROWS_PER_BATCH, dtype=np.uint32))
    frame = pa.array(["base_link"] * ROWS_PER_BATCH)
    cols.append(pa.StructArray.from_arrays([seq, frame], fields=list(SCHEMA.field("header").type)))
    return pa.RecordBatch.from_arrays(cols, schema=SCHEMA)


def peak_rss_kib():
    """VmHWM of the daemon (MOSAICOD_PID), in KiB; None when not given."""
    pid = os.environ.get("MOSAICOD_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def action(client, name, body):
    results = list(client.do_action(flight.Action(name, json.dumps(body).encode())))
    return json.loads(results[0].body.to_pybytes()) if results else None


def main():
    client = flight.FlightClient(URL)
    client.wait_for_available(timeout=10)
    seq = f"large-{uuid.uuid4().hex[:8]}"
    topic = f"{seq}/sensors/bulk"
    seq_key = action(client, "sequence_create", {"name": seq, "user_metadata": {}})["response"]["key"]
    topic_key = action(client, "topic_create", {
        "name": topic, "sequence_key": seq_key, "serialization_format": "default",
        "ontology_tag": "bulk", "user_metadata": {},
    })["response"]["key"]

    one = make_batch(0)
    batch_bytes = one.nbytes
    n_batches = max(1, TOTAL_BYTES // batch_bytes)
    put_crc = 0
    descriptor = flight.FlightDescriptor.for_command(json.dumps({"topic": {"name": topic, "key": topic_key}}))
    started = time.monotonic()
    writer, _ = client.do_put(descriptor, SCHEMA)
    for i in range(n_batches):
        batch = one if i == 0 else make_batch(i)
        put_crc = zlib.crc32(batch.column(1).buffers()[1], put_crc)
        writer.write_batch(batch)
    writer.done_writing()
    writer.close()
    put_s = time.monotonic() - started
    put_peak_kib = peak_rss_kib()
    action(client, "sequence_finalize", {"name": seq, "key": seq_key})

    started = time.monotonic()
    info = client.get_flight_info(flight.FlightDescriptor.for_path(topic))
    reader = client.do_get(info.endpoints[0].ticket)
    rows, last_ts, ordered, get_crc, pending = 0, None, True, 0, []
    for chunk in reader:
        b = chunk.data
        ts = b.column(0).to_numpy()
        if len(ts) == 0:
            continue
        if (last_ts is not None and ts[0] < last_ts) or np.any(np.diff(ts) < 0):
            ordered = False
        last_ts = ts[-1]
        rows += b.num_rows
        # The same checksum as on put, over whole put batches: buffer boundaries differ on the way back.
        pending.append(b.column(1).to_numpy(zero_copy_only=False))
        total = sum(len(p) for p in pending)
        while total >= ROWS_PER_BATCH:
            flat = np.concatenate(pending)
            get_crc = zlib.crc32(flat[:ROWS_PER_BATCH].tobytes(), get_crc)
            pending = [flat[ROWS_PER_BATCH:]]
            total -= ROWS_PER_BATCH
    if pending and sum(len(p) for p in pending):
        get_crc = zlib.crc32(np.concatenate(pending).tobytes(), get_crc)
    get_s = time.monotonic() - started
    print(json.dumps({
        "bytes": n_batches * batch_bytes, "rows": rows, "expected_rows": n_batches * ROWS_PER_BATCH,
        "put_s": put_s, "get_s": get_s, "ordered": ordered, "checksum_ok": put_crc == get_crc,
        "put_peak_rss_kib": put_peak_kib, "peak_rss_kib": peak_rss_kib(),
    }))


if __name__ == "__main__":
    main()

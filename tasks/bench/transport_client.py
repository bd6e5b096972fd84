"""The pyarrow client of `deno task bench --sections transport`: one phase per run, one JSON line on stdout.

  transport_client.py sink URL TOTAL_BYTES     one DoPut of TOTAL_BYTES to the path `sink` (read, dropped)
  transport_client.py source URL TOTAL_BYTES   uploads a pool to `pool`, then one DoGet of it repeated

The servers (baseline_server.py, and mosaicod's transports serving tests/_transport_handlers.ts) do no other
work, so the phases measure the transport: HTTP/2, gRPC framing and Arrow IPC. The batches are client.py's
(65,536 rows, ~6.4 MB each). `sink` checks the rows the server counted; `source` checks the rows and the
checksums of what came back against the pool times the repeats.
"""
import json
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from client import POOL_SIZE, ROWS_PER_BATCH, SCHEMA, STEP_NS, T0, Checksum, connect, make_pool


def batches(pool: list, count: int) -> tuple[list[pa.RecordBatch], Checksum]:
    """`count` batches over the pool's columns, each with its own increasing timestamps."""
    out = []
    total = Checksum()
    for i in range(count):
        ts = pa.array(T0 + np.arange(i * ROWS_PER_BATCH, (i + 1) * ROWS_PER_BATCH, dtype=np.int64) * STEP_NS)
        batch = pa.RecordBatch.from_arrays([ts, *pool[i % POOL_SIZE]], schema=SCHEMA)
        out.append(batch)
        total.add(batch)
    return out, total


def put(client: flight.FlightClient, path: str, data: list) -> dict:
    """One DoPut; returns the server's PutResult (JSON)."""
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(path), SCHEMA)
    for batch in data:
        writer.write_batch(batch)
    writer.done_writing()
    answer = reader.read()
    writer.close()
    return json.loads(answer.to_pybytes()) if answer is not None else {}


def sink(url: str, total_bytes: int) -> dict:
    pool = make_pool()
    probe, _ = batches(pool, 1)
    data, sent = batches(pool, max(1, round(total_bytes / probe[0].nbytes)))
    client = connect(url)
    started = time.monotonic()
    answer = put(client, "sink", data)
    seconds = time.monotonic() - started
    return {**sent.as_dict(), "seconds": seconds, "server_rows": answer.get("rows"),
            "ok": answer.get("rows") == sent.rows}


def source(url: str, total_bytes: int) -> dict:
    data, once = batches(make_pool(), POOL_SIZE)
    repeat = max(1, round(total_bytes / once.nbytes))
    client = connect(url)
    put(client, "pool", data)
    received = Checksum()
    started = time.monotonic()
    for chunk in client.do_get(flight.Ticket(json.dumps({"repeat": repeat}).encode())):
        received.add(chunk.data)
    seconds = time.monotonic() - started
    expected = {"rows": once.rows * repeat, "ts": once.ts * repeat % 2**64, "f0": once.f0 * repeat % 2**64}
    ok = (received.rows, received.ts, received.f0) == (expected["rows"], expected["ts"], expected["f0"])
    return {**received.as_dict(), "seconds": seconds, "expected_rows": expected["rows"], "ok": ok}


def main(argv: list[str]) -> None:
    phase, url, total = argv[0], argv[1], int(argv[2])
    if phase == "sink":
        result = sink(url, total)
    elif phase == "source":
        result = source(url, total)
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

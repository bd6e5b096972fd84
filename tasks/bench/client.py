"""The pyarrow client of `deno task bench`: one phase per run, one JSON line of results on stdout.

  client.py info
  client.py put URL SEQUENCE TOTAL_BYTES STREAMS
  client.py get URL SEQUENCE [STRIPES]

It drives mosaicod and the baseline server (baseline_server.py) identically, the way the Mosaico SDK does on
the wire (tests/interop/_sdk.py): `sequence_create`, one `topic_create` per topic, one DoPut per topic with
the CMD descriptor {"topic": {"name", "key"}}, each on its own connection and thread (pyarrow releases the
GIL), then `sequence_finalize`. A read is GetFlightInfo of the sequence, then DoGet of every endpoint.

Data: 65,536-row batches of int64 `timestamp_ns` (increasing), eight float64 columns and
`pose: struct<x: float64, y: float64, frame: utf8>`, ~6.4 MB each. A pool of POOL_SIZE batches of random
values is generated once; every batch sent reuses a pool batch's columns with its own timestamp column.

Checksums are wrap-around uint64 sums of the bits of `timestamp_ns` and of `f0`: exact, and independent of
how the rows are split into batches on the way back.
"""
import json
import platform
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

ROWS_PER_BATCH = 65_536
POOL_SIZE = 8
T0 = 1_700_000_000_000_000_000
STEP_NS = 1_000  # 1 MHz, so timestamps of 1 GiB of rows stay far from overflow
FRAMES = ["base_link", "map", "odom", "camera_front_optical"]

SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False),
    *[pa.field(f"f{i}", pa.float64()) for i in range(8)],
    pa.field("pose", pa.struct([("x", pa.float64()), ("y", pa.float64()), ("frame", pa.utf8())])),
])


def make_pool() -> list[list[pa.Array]]:
    """The value columns (all but timestamp_ns) of POOL_SIZE batches."""
    rng = np.random.default_rng(5)
    pool = []
    for _ in range(POOL_SIZE):
        floats = [pa.array(rng.standard_normal(ROWS_PER_BATCH)) for _ in range(8)]
        frame = pa.array(np.array(FRAMES, dtype=object)[rng.integers(0, len(FRAMES), ROWS_PER_BATCH)],
                         type=pa.utf8())
        pose = pa.StructArray.from_arrays(
            [pa.array(rng.standard_normal(ROWS_PER_BATCH)), pa.array(rng.standard_normal(ROWS_PER_BATCH)), frame],
            fields=list(SCHEMA.field("pose").type))
        pool.append(floats + [pose])
    return pool


def bits_sum(array: pa.Array) -> int:
    """Wrap-around sum of the 64-bit values of an int64 or float64 array without nulls."""
    return int(array.to_numpy(zero_copy_only=False).view(np.uint64).sum(dtype=np.uint64))


class Checksum:
    def __init__(self) -> None:
        self.rows = self.nbytes = self.ts = self.f0 = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        self.nbytes += batch.nbytes
        self.ts = (self.ts + bits_sum(batch.column(0))) % 2**64
        self.f0 = (self.f0 + bits_sum(batch.column(1))) % 2**64

    def merge(self, other: "Checksum") -> None:
        self.rows += other.rows
        self.nbytes += other.nbytes
        self.ts = (self.ts + other.ts) % 2**64
        self.f0 = (self.f0 + other.f0) % 2**64

    def as_dict(self) -> dict:
        # hex strings: JSON numbers above 2^53 do not survive JavaScript
        return {"rows": self.rows, "bytes": self.nbytes, "ts_sum": f"{self.ts:016x}", "f0_sum": f"{self.f0:016x}"}


def action(client: flight.FlightClient, name: str, body: dict):
    results = list(client.do_action(flight.Action(name, json.dumps(body).encode())))
    reply = json.loads(results[0].body.to_pybytes())
    return reply.get("response")


def connect(url: str) -> flight.FlightClient:
    client = flight.FlightClient(url)
    client.wait_for_available(timeout=10)
    return client


def upload(client: flight.FlightClient, topic: str, key: str, batches: list[pa.RecordBatch]) -> None:
    command = json.dumps({"topic": {"name": topic, "key": key}}).encode()
    writer, _ = client.do_put(flight.FlightDescriptor.for_command(command), SCHEMA)
    for batch in batches:
        writer.write_batch(batch)
    writer.done_writing()
    writer.close()


def put(url: str, sequence: str, total_bytes: int, streams: int) -> dict:
    pool = make_pool()
    pool_bytes = sum(sum(a.nbytes for a in cols) for cols in pool) / POOL_SIZE + ROWS_PER_BATCH * 8
    n_batches = max(streams, round(total_bytes / pool_bytes))
    per_topic: list[list[pa.RecordBatch]] = [[] for _ in range(streams)]
    sent = Checksum()
    for i in range(n_batches):
        topic_batches = per_topic[i % streams]
        start = len(topic_batches) * ROWS_PER_BATCH
        ts = pa.array(T0 + np.arange(start, start + ROWS_PER_BATCH, dtype=np.int64) * STEP_NS)
        batch = pa.RecordBatch.from_arrays([ts, *pool[i % POOL_SIZE]], schema=SCHEMA)
        topic_batches.append(batch)
        sent.add(batch)

    control = connect(url)
    seq_key = action(control, "sequence_create", {"name": sequence, "user_metadata": {}})["key"]
    topics = [f"{sequence}/bench/t{i}" for i in range(streams)]
    keys = [action(control, "topic_create", {
        "name": topic, "sequence_key": seq_key, "serialization_format": "default",
        "ontology_tag": "bench", "user_metadata": {},
    })["key"] for topic in topics]

    clients = [connect(url) for _ in topics]  # the SDK's connection pool, opened before any upload
    errors = []

    def run(i: int) -> None:
        try:
            upload(clients[i], topics[i], keys[i], per_topic[i])
        except Exception as err:  # noqa: BLE001 - reported below, with the topic
            errors.append(f"{topics[i]}: {err}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    if errors:
        raise RuntimeError(f"upload failed: {errors}")
    action(control, "sequence_finalize", {"name": sequence, "key": seq_key})
    committed = sum(control.get_flight_info(flight.FlightDescriptor.for_path(t)).total_records for t in topics)
    return {**sent.as_dict(), "seconds": seconds, "committed_rows": committed}


class OrderedReceiver:
    """Checksums received batches and checks that timestamps strictly increase across all of them."""

    def __init__(self) -> None:
        self.checksum = Checksum()
        self.ordered = True
        self.last = None

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        ts = batch.column(0).to_numpy(zero_copy_only=False)
        self.ordered = self.ordered and (self.last is None or ts[0] > self.last) and bool(np.all(ts[1:] > ts[:-1]))
        self.last = ts[-1]
        self.checksum.add(batch)


def get(url: str, sequence: str) -> dict:
    client = connect(url)
    started = time.monotonic()
    info = client.get_flight_info(flight.FlightDescriptor.for_path(sequence))
    received = []
    for endpoint in info.endpoints:
        topic = OrderedReceiver()
        for chunk in client.do_get(endpoint.ticket):
            topic.add(chunk.data)
        received.append(topic)
    return summary(received, time.monotonic() - started, len(info.endpoints))


def get_striped(url: str, sequence: str, stripes: int) -> dict:
    """Each topic cut into `stripes` time ranges (the striped-read extension), fetched in parallel, one
    connection and thread each; order is checked within and across stripes."""
    control = connect(url)
    started = time.monotonic()
    info = control.get_flight_info(flight.FlightDescriptor.for_path(sequence))
    received = []
    endpoints = 0
    for endpoint in info.endpoints:
        cmd = {"topic_range": {"name": endpoint.ticket.ticket.decode(), "stripes": stripes}}
        parts = control.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(cmd).encode())).endpoints
        endpoints += len(parts)
        tables: list = [None] * len(parts)

        def run(i: int) -> None:
            client = connect(url)
            try:
                tables[i] = client.do_get(parts[i].ticket).read_all()
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(parts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        topic = OrderedReceiver()
        for table in tables:
            for batch in table.to_batches():
                topic.add(batch)
        received.append(topic)
    return summary(received, time.monotonic() - started, endpoints)


def summary(topics: list, seconds: float, endpoints: int) -> dict:
    total = Checksum()
    for topic in topics:
        total.merge(topic.checksum)
    return {**total.as_dict(), "seconds": seconds, "ordered": all(t.ordered for t in topics), "endpoints": endpoints}


def main(argv: list[str]) -> None:
    phase, args = argv[0], argv[1:]
    if phase == "info":
        result = {"python": platform.python_version(), "pyarrow": pa.__version__, "numpy": np.__version__}
    elif phase == "put":
        result = put(args[0], args[1], int(args[2]), int(args[3]))
    elif phase == "get":
        result = get(args[0], args[1]) if len(args) < 3 else get_striped(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

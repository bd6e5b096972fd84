"""The Arrow layout of SDK 0.6/0.7 (delta doc B11): the envelope is `timestamp_ns` alone (int64, not null,
"monotonic": small values are normal), the middleware header moved into the ontology (HeaderMixin:
`header {stamp {sec, nanosec}, frame_id}`), ontology fields as in 0.4. Schemas for IMU, GPS, string,
pressure, image and a timestamp-typed ontology, one with nested field metadata at every depth for the
GetSchema round trip (B3, B4), and row builders.
"""
from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from _common import batch_of, desc
from _sdk2026_data import GPS_FIELDS, IMAGE_FIELDS, IMU_FIELDS, PRESSURE_FIELDS, gps_part, imu_part, make_rows

T07 = 1_000_000_000  # 1 s on a monotonic clock: 0.7 timestamps need not be Unix time
MS = 1_000_000

ENVELOPE07 = [
    pa.field("timestamp_ns", pa.int64(), nullable=False,
             metadata=desc("Ingestion timestamp in nanoseconds (record time).")),
]

HEADER07 = pa.struct([
    pa.field("stamp", pa.struct([
        pa.field("sec", pa.int64(), nullable=False, metadata=desc("seconds")),
        pa.field("nanosec", pa.uint32(), nullable=False, metadata=desc("nanoseconds")),
    ]), nullable=False, metadata=desc("Measurement time")),
    pa.field("frame_id", pa.string(), metadata=desc("Frame of reference")),
])
HEADER_FIELD = pa.field("header", HEADER07, nullable=True, metadata=desc("Sensor header"))

IMU07_SCHEMA = pa.schema(ENVELOPE07 + IMU_FIELDS + [HEADER_FIELD])
GPS07_SCHEMA = pa.schema(ENVELOPE07 + GPS_FIELDS + [HEADER_FIELD])
PRESSURE07_SCHEMA = pa.schema(ENVELOPE07 + PRESSURE_FIELDS + [HEADER_FIELD])
IMAGE07_SCHEMA = pa.schema(ENVELOPE07 + IMAGE_FIELDS + [HEADER_FIELD])
STRING07_SCHEMA = pa.schema(ENVELOPE07 + [pa.field("data", pa.string(), nullable=False, metadata=desc("text"))])
# delta Q7: a datetime-typed ontology field, queried with ISO-8601 text or decimal-ns text
STAMPED07_SCHEMA = pa.schema(ENVELOPE07 + [
    pa.field("at", pa.timestamp("ns", tz="UTC"), nullable=False, metadata=desc("Wall-clock time")),
    pa.field("label", pa.string()),
])

_POINT = pa.struct([
    pa.field("x", pa.float32(), nullable=False, metadata=desc("x (m)")),
    pa.field("y", pa.float32(), nullable=False, metadata={"description": "y (m)", "unit": "m"}),
    pa.field("label", pa.large_string(), metadata=desc("point label")),
])
# B4: every field and nested field keeps its type, nullability, order and metadata, lists of structs included
ROUNDTRIP07_SCHEMA = pa.schema(ENVELOPE07 + [
    pa.field("pose", pa.struct([
        pa.field("position", pa.struct([
            pa.field(c, pa.float64(), nullable=False, metadata=desc(f"{c} component")) for c in "xyz"
        ]), nullable=False, metadata=desc("Position")),
        pa.field("frame", pa.string(), metadata=desc("frame ✓")),
    ]), nullable=False, metadata=desc("Pose")),
    pa.field("points", pa.list_(pa.field("item", _POINT, metadata=desc("one point"))), metadata=desc("Points")),
    pa.field("fixed", pa.list_(pa.float64(), 3), metadata=desc("fixed-size triple")),
    pa.field("counts", pa.list_(pa.uint64()), metadata=desc("counts")),
    pa.field("flags", pa.struct([
        pa.field("ok", pa.bool_(), metadata=desc("ok")),
        pa.field("level", pa.int8()),
        pa.field("code", pa.uint16()),
        pa.field("big", pa.uint64()),
    ]), metadata=desc("Flags")),
    pa.field("at", pa.timestamp("ns", tz="UTC"), metadata=desc("wall clock")),
    pa.field("blob", pa.binary(), metadata=desc("bytes")),
], metadata={"origin": "interop test ✓"})


def envelope07(rng: random.Random, i: int, ts: int) -> dict:
    return {"timestamp_ns": ts}


def header_part(rng: random.Random, i: int, row: dict) -> None:
    row["header"] = None if i % 5 == 4 else {
        "stamp": {"sec": rng.randrange(2**31), "nanosec": rng.randrange(10**9)},
        "frame_id": None if i % 7 == 3 else f"frame_{i}_ñ"}


def imu07_rows(n: int, *, seed: int = 1, t0: int = T07, step: int = MS, shuffle: bool = True) -> list:
    """n IMU rows with timestamps t0 + i*step, header inside the ontology."""
    return make_rows(n, seed, t0, step, shuffle, envelope07, imu_part, header_part)


def gps07_rows(n: int, *, seed: int = 2, t0: int = T07, step: int = MS, shuffle: bool = True) -> list:
    """n GPS rows with timestamps t0 + i*step, header inside the ontology."""
    return make_rows(n, seed, t0, step, shuffle, envelope07, gps_part, header_part)


def roundtrip07_rows(n: int, *, seed: int = 3, t0: int = T07, step: int = MS) -> list:
    """n rows of ROUNDTRIP07_SCHEMA with nulls and extremes (uint64 max, empty lists)."""
    rng = random.Random(seed)
    epoch = dt.datetime(2026, 10, 8, tzinfo=dt.timezone.utc)
    rows = []
    for i in range(n):
        rows.append({
            "timestamp_ns": t0 + i * step,
            "pose": {"position": {c: rng.uniform(-1e3, 1e3) for c in "xyz"}, "frame": None if i % 3 else "map"},
            "points": None if i % 4 == 1 else [
                {"x": float(k), "y": -float(k) / 2, "label": None if k % 2 else f"p{k}"} for k in range(i % 4)],
            "fixed": None if i % 5 == 2 else [rng.random() for _ in range(3)],
            "counts": [0, 2**64 - 1, i][: i % 4],
            "flags": None if i % 6 == 5 else {"ok": i % 2 == 0, "level": -128 + i % 256, "code": 65535 - i,
                                              "big": 2**64 - 1 - i},
            "at": None if i % 7 == 6 else epoch + dt.timedelta(microseconds=i),
            "blob": None if i % 2 else bytes([i % 256]) * (i % 5),
        })
    return rows


def image07_batch(target_bytes: int, *, t0: int = T07, step: int = MS, piece: int = 4 * 1024 * 1024) -> pa.RecordBatch:
    """One image batch whose Arrow IPC size (pa.ipc.get_record_batch_size, what the SDK measures) is at most
    `target_bytes` and within 64 KiB of it: rows of `piece`-byte blobs, the last one trimmed to fit."""

    def batch(sizes: list) -> pa.RecordBatch:
        return batch_of([{"timestamp_ns": t0 + i * step, "data": bytes([i % 251]) * s, "format": "raw",
                          "encoding": "mono8", "width": s, "height": 1, "stride": s, "is_bigendian": False,
                          "header": None} for i, s in enumerate(sizes)], IMAGE07_SCHEMA)

    sizes = [piece] * max(0, target_bytes // piece - 1)
    overhead = pa.ipc.get_record_batch_size(batch(sizes + [0]))
    sizes.append(max(0, target_bytes - overhead - 64))
    out = batch(sizes)
    while pa.ipc.get_record_batch_size(out) > target_bytes:
        sizes[-1] -= 64
        out = batch(sizes)
    return out

"""The 2026 Arrow layout (2026 protocol 6.4): the envelope (`timestamp_ns`, `recording_timestamp_ns`,
`frame_id`, `sequence_id`) followed by ontology fields, for IMU-, GPS-, pressure- and image-like topics,
and row builders full of float64 extremes and nulls. The ontology fields and row bodies are shared with
the 0.7 layout (_sdk07_data.py), which only changes the envelope.
"""
from __future__ import annotations

import random
from typing import Any, Callable

import pyarrow as pa

from _common import T0, any_float, desc

ENVELOPE = [
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=desc("Message timestamp (ns)")),
    pa.field("recording_timestamp_ns", pa.int64(), metadata=desc("Recording timestamp (ns)")),
    pa.field("frame_id", pa.string(), metadata=desc("Frame of reference")),
    pa.field("sequence_id", pa.uint32(), metadata=desc("Middleware sequence number")),
]


def vector_type(with_w: bool = False) -> pa.StructType:
    """Vector3d / Quaternion with covariance, as the SDK's ontology declares them."""
    return pa.struct([
        pa.field("covariance", pa.list_(pa.float64()), metadata=desc("row-major 3x3")),
        pa.field("covariance_type", pa.int16()),
        *[pa.field(c, pa.float64(), nullable=False, metadata=desc(f"{c} component"))
          for c in ("x", "y", "z") + (("w",) if with_w else ())],
    ])


IMU_FIELDS = [
    pa.field("acceleration", vector_type(), nullable=False, metadata=desc("Linear acceleration m/s²")),
    pa.field("angular_velocity", vector_type(), nullable=False, metadata=desc("Angular velocity rad/s")),
    pa.field("orientation", vector_type(True), nullable=True, metadata=desc("Orientation quaternion")),
]

GPS_STATUS = pa.struct([
    pa.field("status", pa.int8(), nullable=False),
    pa.field("service", pa.uint16(), nullable=False),
    pa.field("satellites", pa.int8()),
    pa.field("hdop", pa.float64()),
    pa.field("vdop", pa.float64()),
])

GPS_FIELDS = [
    pa.field("position", vector_type(), nullable=False, metadata=desc("Position (lat, lon, alt)")),
    pa.field("velocity", vector_type(), nullable=True, metadata=desc("Velocity m/s")),
    pa.field("status", GPS_STATUS, nullable=True, metadata=desc("Fix status")),
]

PRESSURE_FIELDS = [
    pa.field("variance", pa.float64()),
    pa.field("variance_type", pa.int16()),
    pa.field("value", pa.float64(), nullable=False, metadata=desc("Pressure (Pa)")),
]

IMAGE_FIELDS = [
    pa.field("data", pa.binary()),
    pa.field("format", pa.string()),
    pa.field("encoding", pa.string()),
    pa.field("width", pa.int32()),
    pa.field("height", pa.int32()),
    pa.field("stride", pa.int32()),
    pa.field("is_bigendian", pa.bool_()),
]

IMU2026_SCHEMA = pa.schema(ENVELOPE + IMU_FIELDS)
GPS2026_SCHEMA = pa.schema(ENVELOPE + GPS_FIELDS)
PRESSURE2026_SCHEMA = pa.schema(ENVELOPE + PRESSURE_FIELDS)
IMAGE2026_SCHEMA = pa.schema(ENVELOPE + IMAGE_FIELDS)

RowPart = Callable[[random.Random, int, dict], None]


def make_rows(n: int, seed: int, t0: int, step: int, shuffle: bool,
              envelope: Callable[[random.Random, int, int], dict], *parts: RowPart) -> list:
    """n rows with timestamps t0 + i*step: the envelope, then each part fills its fields; one seeded
    generator for all of it, so the same arguments give the same rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = envelope(rng, i, t0 + i * step)
        for part in parts:
            part(rng, i, row)
        rows.append(row)
    if shuffle:
        rng.shuffle(rows)
    return rows


def _envelope(rng: random.Random, i: int, ts: int) -> dict:
    k = rng.randrange(4)
    return {
        "timestamp_ns": ts,
        "recording_timestamp_ns": None if k == 0 else ts + rng.randrange(-10**9, 10**9),
        "frame_id": None if k == 1 else ("" if k == 2 else f"frame_{i}_ñ/€/😀"),
        "sequence_id": None if k == 3 else rng.randrange(2**32),
    }


def vec(rng: random.Random, with_w: bool = False) -> dict:
    v: dict[str, Any] = {c: any_float(rng) for c in ("x", "y", "z") + (("w",) if with_w else ())}
    k = rng.randrange(4)
    v["covariance"] = None if k == 0 else ([] if k == 1 else [any_float(rng) for _ in range(9)])
    v["covariance_type"] = None if k == 2 else rng.randrange(-2**15, 2**15)
    return v


def imu_part(rng: random.Random, i: int, row: dict) -> None:
    """The IMU fields (float64 values of every kind, NaN payloads included)."""
    row["acceleration"] = vec(rng)
    row["angular_velocity"] = vec(rng)
    row["orientation"] = None if i % 4 == 1 else vec(rng, True)


def gps_part(rng: random.Random, i: int, row: dict) -> None:
    """The GPS fields; `status` is a null struct on every fifth row, `velocity` on every third."""
    row["position"] = vec(rng)
    row["velocity"] = None if i % 3 == 2 else vec(rng)
    row["status"] = None if i % 5 == 4 else {
        "status": rng.randint(-128, 127), "service": rng.randint(0, 65535),
        "satellites": None if i % 7 == 3 else rng.randint(-128, 127),
        "hdop": any_float(rng), "vdop": None if i % 2 else any_float(rng)}


def imu2026_rows(n: int, *, seed: int = 1, t0: int = T0, step: int = 1_000_003, shuffle: bool = True) -> list:
    """n IMU rows with timestamps t0 + i*step."""
    return make_rows(n, seed, t0, step, shuffle, _envelope, imu_part)


def gps2026_rows(n: int, *, seed: int = 2, t0: int = T0, step: int = 1_000_003, shuffle: bool = True) -> list:
    """n GPS rows with timestamps t0 + i*step."""
    return make_rows(n, seed, t0, step, shuffle, _envelope, gps_part)

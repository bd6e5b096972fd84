"""The 0.1.0 SDK's Arrow layout (protocol 6.5) and more types, with row builders full of extremes: IMU-like
nested structs with headers, and scalars of every width with nulls, text and blobs. Used by the 0.1.0
model (_sdk.py) and by the tests that mix generations.
"""
from __future__ import annotations

import random

import pyarrow as pa

from _common import T0, any_float, desc

HEADER = pa.struct([
    pa.field("seq", pa.uint32()),
    pa.field("stamp", pa.struct([
        pa.field("sec", pa.int64(), nullable=False),
        pa.field("nanosec", pa.uint32(), nullable=False),
    ])),
    pa.field("frame_id", pa.string()),
])


def _vector_cov(with_w: bool) -> pa.StructType:
    parts = [pa.field(c, pa.float64(), nullable=False, metadata=desc(f"{c} component"))
             for c in ("x", "y", "z") + (("w",) if with_w else ())]
    return pa.struct(parts + [
        pa.field("covariance", pa.list_(pa.float64()), metadata=desc("row-major 3x3")),
        pa.field("covariance_type", pa.int16()),
        pa.field("header", HEADER),
    ])


VECTOR = _vector_cov(False)
QUATERNION = _vector_cov(True)

IMU_SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=desc("Message timestamp (ns)")),
    pa.field("message_header", HEADER, nullable=True, metadata=desc("Middleware header")),
    pa.field("acceleration", VECTOR, nullable=False, metadata=desc("Linear acceleration m/s²")),
    pa.field("angular_velocity", VECTOR, nullable=False, metadata=desc("Angular velocity rad/s")),
    pa.field("orientation", QUATERNION, nullable=True, metadata=desc("Orientation")),
    pa.field("header", HEADER, nullable=True, metadata=desc("Data header")),
])

SCALARS_SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=desc("Message timestamp (ns)")),
    pa.field("i8", pa.int8()),
    pa.field("i16", pa.int16()),
    pa.field("i32", pa.int32()),
    pa.field("i64", pa.int64()),
    pa.field("u16", pa.uint16()),
    pa.field("u32", pa.uint32()),
    pa.field("flag", pa.bool_()),
    pa.field("text", pa.string(), metadata=desc("free text, ünïcödé")),
    pa.field("blob", pa.binary()),
    pa.field("f64", pa.float64()),
    pa.field("status", pa.struct([
        pa.field("status", pa.int8(), nullable=False),
        pa.field("service", pa.uint16(), nullable=False),
        pa.field("hdop", pa.float64()),
    ]), nullable=False),
])


def _header(rng: random.Random, i: int):
    k = (i + rng.randrange(7)) % 7
    if k == 0:
        return None
    return {
        "seq": None if k == 1 else rng.randrange(2**32),
        "stamp": None if k == 2 else {"sec": rng.randrange(-2**40, 2**40), "nanosec": rng.randrange(10**9)},
        "frame_id": None if k == 3 else ("" if k == 4 else f"frame_{i}_ñ/€/😀"),
    }


def _vector(rng: random.Random, i: int, with_w: bool):
    v = {c: any_float(rng) for c in ("x", "y", "z") + (("w",) if with_w else ())}
    k = rng.randrange(4)
    v["covariance"] = None if k == 0 else ([] if k == 1 else [any_float(rng) for _ in range(9)])
    v["covariance_type"] = None if k == 2 else rng.randrange(-2**15, 2**15)
    v["header"] = _header(rng, i)
    return v


def imu_rows(n: int, *, seed: int = 1, t0: int = T0, step: int = 1_000_003) -> list:
    """n IMU rows with unique timestamps t0 + i*step, in a shuffled order."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({
            "timestamp_ns": t0 + i * step,
            "message_header": _header(rng, i + 1),
            "acceleration": _vector(rng, i + 2, False),
            "angular_velocity": _vector(rng, i + 3, False),
            "orientation": None if i % 4 == 1 else _vector(rng, i + 4, True),
            "header": _header(rng, i + 5),
        })
    rng.shuffle(rows)
    return rows


def scalar_rows(n: int, *, seed: int = 2, t0: int = T0, step: int = 7, big_blob: int = 0) -> list:
    """n rows of SCALARS_SCHEMA with extremes and nulls; row 1 (if any) holds a `big_blob`-byte value."""
    rng = random.Random(seed)
    extremes = {
        "i8": (-128, 127), "i16": (-2**15, 2**15 - 1), "i32": (-2**31, 2**31 - 1),
        "i64": (-2**63, 2**63 - 1), "u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1),
    }
    texts = ["", "plain", "ünïcödé ✓", "😀 astral", "quote \" backslash \\ nul \x00 end", "\u2028\u2029",
             "mixed/path/../like", "x" * 1000]
    rows = []
    for i in range(n):
        row = {"timestamp_ns": t0 + i * step}
        for col, (lo, hi) in extremes.items():
            k = rng.randrange(5)
            row[col] = None if k == 0 else lo if k == 1 else hi if k == 2 else rng.randint(lo, hi)
        k = rng.randrange(3)
        row["flag"] = None if k == 0 else k == 1
        row["text"] = None if i % 9 == 3 else rng.choice(texts)
        blob_kind = rng.randrange(4)
        row["blob"] = (None if blob_kind == 0 else b"" if blob_kind == 1
                       else bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 64))))
        row["f64"] = None if i % 11 == 5 else any_float(rng)
        row["status"] = {"status": rng.randint(-128, 127), "service": rng.randint(0, 65535),
                         "hdop": None if i % 3 == 0 else any_float(rng)}
        rows.append(row)
    if big_blob and n > 1:
        rows[1]["blob"] = random.Random(seed + 1).randbytes(big_blob)
    rng.shuffle(rows)
    return rows


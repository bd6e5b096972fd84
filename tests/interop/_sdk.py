"""What the Mosaico Python SDK does on the wire, with pyarrow.flight only (the SDK is not installable here).

- Actions: `Action(name, json.dumps(body).encode())`; the first non-empty Result is
  `{"action": <name>, "response": {...}}` or `{"action":"empty"}`, and `response` is expanded into a
  dataclass, so it must carry exactly the documented keys (protocol sections 3 and 4). The wrappers here
  are stricter than the SDK where the protocol says "exactly": one Result per call, and the exact key set.
- DoPut: CMD descriptor `json.dumps({"topic": {"name": <full topic name>, "key": <topic key>}})`, the
  schema at once, batches as buffers fill, `done_writing()` then `close()` (protocol 5.2, 6).
- Reads: GetFlightInfo with PATH descriptors, DoGet with the plain ticket; the three `mosaico:` schema
  metadata keys are decoded as the SDK does (`json.loads`, raw string if that fails; section 8).

Also: gRPC status → pyarrow exception mapping (checked against pyarrow 25), data builders for the SDK's
schemas (IMU-like nested structs, scalars), and a bit-exact row comparison.
"""
from __future__ import annotations

import faulthandler
import json
import os
import random
import re
import struct
import sys
import time
import unittest
import uuid
from dataclasses import dataclass, fields
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

URL = os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726")

# A test that hangs (a server that never answers) dumps every thread's stack and ends the run instead
# of blocking `deno test` forever. The SDK sets no deadlines, so neither do the calls themselves.
TEST_WATCHDOG_SECONDS = float(os.environ.get("MOSAICOD_TEST_WATCHDOG", "120"))

T0 = 1_700_000_000_123_456_789  # realistic epoch nanoseconds, far above 2^53

KEY_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.(\d{3}))? UTC$")


def unique(prefix: str = "seq") -> str:
    """A sequence name no other test (or earlier run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def connect() -> flight.FlightClient:
    return flight.FlightClient(URL)


# ---------------------------------------------------------------------------------------------
# gRPC status codes as pyarrow reports them

def grpc_code(exc: BaseException) -> str:
    """The gRPC status code behind a pyarrow exception, or `<ClassName>` for a client-side error.

    pyarrow 25 (Arrow C++ Flight client): NOT_FOUND → ArrowKeyError; ALREADY_EXISTS → plain
    ArrowException ("already exists error"); INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED
    and OUT_OF_RANGE → ArrowInvalid, told apart by the message prefix the client adds; PERMISSION_DENIED →
    FlightUnauthorizedError; UNIMPLEMENTED → ArrowNotImplementedError; INTERNAL/ABORTED/DATA_LOSS →
    FlightInternalError; UNKNOWN → FlightServerError.
    """
    msg = str(exc)
    if isinstance(exc, flight.FlightCancelledError):
        return "CANCELLED"
    if isinstance(exc, flight.FlightTimedOutError):
        return "DEADLINE_EXCEEDED"
    if isinstance(exc, flight.FlightUnauthorizedError):
        return "PERMISSION_DENIED"
    if isinstance(exc, flight.FlightUnauthenticatedError):
        return "UNAUTHENTICATED"
    if isinstance(exc, flight.FlightUnavailableError):
        return "UNAVAILABLE"
    if isinstance(exc, flight.FlightInternalError):
        if "gRPC returned aborted error" in msg:
            return "ABORTED"
        if "gRPC returned data loss error" in msg:
            return "DATA_LOSS"
        return "INTERNAL"
    if isinstance(exc, flight.FlightServerError):
        return "UNKNOWN"
    if isinstance(exc, pa.ArrowNotImplementedError) and "Flight returned unimplemented error" in msg:
        return "UNIMPLEMENTED"
    if isinstance(exc, pa.ArrowKeyError) and "Flight returned not found error" in msg:
        return "NOT_FOUND"
    if isinstance(exc, pa.ArrowInvalid):
        for marker, code in (
            ("Flight returned invalid argument error", "INVALID_ARGUMENT"),
            ("gRPC returned precondition failed error", "FAILED_PRECONDITION"),
            ("gRPC returned resource exhausted error", "RESOURCE_EXHAUSTED"),
            ("gRPC returned out-of-range error", "OUT_OF_RANGE"),
        ):
            if marker in msg:
                return code
    if type(exc) is pa.ArrowException and "Flight returned already exists error" in msg:
        return "ALREADY_EXISTS"
    return f"<{type(exc).__name__}>"


class ProtocolViolation(AssertionError):
    """The server answered, but not in the shape the SDK needs."""


# ---------------------------------------------------------------------------------------------
# Action responses, expanded as the SDK does (`cls(**response)`)

@dataclass
class KeyResponse:
    key: str


@dataclass
class SystemInfo:
    total_size_bytes: int
    created_datetime: str
    is_locked: bool
    chunks_number: Optional[int] = None


@dataclass
class NotifyItem:
    name: str
    notify_type: str
    msg: str
    created_datetime: str


@dataclass
class LayerItem:
    name: str
    description: str


@dataclass
class QueryItem:
    sequence: str
    topics: list


# Exact key sets of `response` (section 4): stricter than the dataclasses where the protocol says
# "exactly" (sequence_system_info has 3 keys, topic_system_info 4).
RESPONSE_KEYS = {
    "sequence_create": {"key"},
    "topic_create": {"key"},
    "sequence_system_info": {"total_size_bytes", "is_locked", "created_datetime"},
    "topic_system_info": {"chunks_number", "total_size_bytes", "is_locked", "created_datetime"},
    "sequence_notify_list": {"notifies"},
    "topic_notify_list": {"notifies"},
    "layer_list": {"layers"},
    "query": {"items"},
}
EMPTY_ACTIONS = {
    "sequence_finalize", "sequence_abort", "sequence_delete", "topic_delete",
    "sequence_notify_create", "topic_notify_create", "sequence_notify_purge", "topic_notify_purge",
    "layer_create", "layer_delete", "layer_update",
}


def _expand(cls, data: Any):
    if not isinstance(data, dict):
        raise ProtocolViolation(f"{cls.__name__}: expected an object, got {data!r}")
    try:
        return cls(**data)  # what the SDK does: any unexpected or missing key is a TypeError
    except TypeError as err:
        raise ProtocolViolation(f"{cls.__name__}(**{data!r}) fails as in the SDK: {err}") from err


def _check_type(what: str, value: Any, typ) -> None:
    if typ is int and isinstance(value, bool) or not isinstance(value, typ):
        raise ProtocolViolation(f"{what}: expected {typ.__name__}, got {value!r}")


def action_results(client: flight.FlightClient, name: str, body: bytes) -> list[bytes]:
    """One raw DoAction call: every Result body."""
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, body))]


def do_action(client: flight.FlightClient, name: str, body: dict) -> Any:
    """An action as the SDK sends it; the checked `response` object (a dict) or None for "empty"."""
    results = action_results(client, name, json.dumps(body).encode("utf-8"))
    if len(results) != 1:
        raise ProtocolViolation(f"{name}: expected exactly one Result, got {results!r}")
    try:
        obj = json.loads(results[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolViolation(f"{name}: Result body is not UTF-8 JSON: {results[0]!r}") from err
    if name in EMPTY_ACTIONS:
        if obj != {"action": "empty"}:
            raise ProtocolViolation(f'{name}: expected {{"action":"empty"}}, got {obj!r}')
        return None
    if not isinstance(obj, dict) or set(obj) != {"action", "response"} or obj["action"] != name:
        raise ProtocolViolation(f'{name}: expected {{"action":"{name}","response":{{...}}}}, got {obj!r}')
    response = obj["response"]
    if not isinstance(response, dict) or set(response) != RESPONSE_KEYS[name]:
        raise ProtocolViolation(
            f"{name}: response keys must be exactly {sorted(RESPONSE_KEYS[name])}, got {response!r}")
    return response


class Mosaico:
    """The SDK's control-connection calls, each checked against the documented response shape."""

    def __init__(self, client: Optional[flight.FlightClient] = None) -> None:
        self.client = client or connect()

    def close(self) -> None:
        self.client.close()

    def action(self, name: str, body: dict) -> Any:
        return do_action(self.client, name, body)

    # --- sequences and topics
    def sequence_create(self, name: str, user_metadata: Any = None) -> str:
        resp = self.action("sequence_create", {
            "name": name, "user_metadata": {} if user_metadata is None else user_metadata})
        key = _expand(KeyResponse, resp).key
        _check_type("sequence_create key", key, str)
        return key

    def topic_create(self, name: str, sequence_key: str, *, ontology_tag: str = "imu",
                     serialization_format: str = "default", user_metadata: Any = None) -> str:
        resp = self.action("topic_create", {
            "sequence_key": sequence_key,
            "name": name,
            "serialization_format": serialization_format,
            "ontology_tag": ontology_tag,
            "user_metadata": {} if user_metadata is None else user_metadata,
        })
        key = _expand(KeyResponse, resp).key
        _check_type("topic_create key", key, str)
        return key

    def sequence_finalize(self, name: str, key: str) -> None:
        self.action("sequence_finalize", {"name": name, "key": key})

    def sequence_abort(self, name: str, key: str) -> None:
        self.action("sequence_abort", {"name": name, "key": key})

    def sequence_delete(self, name: str) -> None:
        self.action("sequence_delete", {"name": name})

    def topic_delete(self, name: str) -> None:
        self.action("topic_delete", {"name": name})

    def _system_info(self, action: str, name: str) -> SystemInfo:
        info = _expand(SystemInfo, self.action(action, {"name": name}))
        _check_type(f"{action} total_size_bytes", info.total_size_bytes, int)
        _check_type(f"{action} is_locked", info.is_locked, bool)
        _check_type(f"{action} created_datetime", info.created_datetime, str)
        if info.chunks_number is not None:
            _check_type(f"{action} chunks_number", info.chunks_number, int)
        return info

    def sequence_system_info(self, name: str) -> SystemInfo:
        return self._system_info("sequence_system_info", name)

    def topic_system_info(self, name: str) -> SystemInfo:
        return self._system_info("topic_system_info", name)

    # --- notifications
    def notify_create(self, kind: str, name: str, msg: str, notify_type: str = "error") -> None:
        self.action(f"{kind}_notify_create", {"name": name, "notify_type": notify_type, "msg": msg})

    def notify_list(self, kind: str, name: str) -> list[NotifyItem]:
        resp = self.action(f"{kind}_notify_list", {"name": name})
        if not isinstance(resp["notifies"], list):
            raise ProtocolViolation(f"notifies must be a list: {resp!r}")
        items = [_expand(NotifyItem, item) for item in resp["notifies"]]
        for item in items:
            for f in fields(NotifyItem):
                _check_type(f"notify {f.name}", getattr(item, f.name), str)
        return items

    def notify_purge(self, kind: str, name: str) -> None:
        self.action(f"{kind}_notify_purge", {"name": name})

    # --- layers
    def layer_list(self) -> list[LayerItem]:
        resp = self.action("layer_list", {})
        return [_expand(LayerItem, item) for item in resp["layers"]]

    def layer_create(self, name: str, description: str) -> None:
        self.action("layer_create", {"name": name, "description": description})

    def layer_update(self, prev_name: str, curr_name: str, curr_description: str) -> None:
        self.action("layer_update", {
            "prev_name": prev_name, "curr_name": curr_name, "curr_description": curr_description})

    def layer_delete(self, name: str) -> None:
        self.action("layer_delete", {"name": name})

    # --- query
    def query(self, body: dict) -> list[QueryItem]:
        resp = self.action("query", body)
        return [_expand(QueryItem, item) for item in resp["items"]]

    # --- reads
    def flight_info(self, name: str) -> flight.FlightInfo:
        return self.client.get_flight_info(flight.FlightDescriptor.for_path(name))

    def sequence_names(self) -> list[str]:
        """ListFlights with empty criteria (the SDK's probe), as the names of the listed sequences."""
        return [info.descriptor.path[0].decode("utf-8") for info in self.client.list_flights()]


# ---------------------------------------------------------------------------------------------
# DoPut

def put_command(topic_name: str, key: str) -> bytes:
    return json.dumps({"topic": {"name": topic_name, "key": key}}).encode("utf-8")


def upload(client: flight.FlightClient, topic_name: str, key: str, schema: pa.Schema,
           batches=(), *, descriptor: Optional[flight.FlightDescriptor] = None) -> None:
    """The SDK's topic upload: open with the schema, write every batch, half-close, close."""
    descriptor = descriptor or flight.FlightDescriptor.for_command(put_command(topic_name, key))
    writer, _reader = client.do_put(descriptor, schema)
    try:
        for batch in batches:
            writer.write_batch(batch)
        writer.done_writing()
    except BaseException:
        try:
            writer.close()
        except Exception:
            pass
        raise
    writer.close()


def upload_error(client: flight.FlightClient, topic_name: str, key: str, schema: pa.Schema,
                 batches=(), *, descriptor: Optional[flight.FlightDescriptor] = None) -> Optional[BaseException]:
    """Like `upload`, but returns the failure (None on success). The server's status surfaces on a write
    or on close(); the exception that names a gRPC status is preferred."""
    descriptor = descriptor or flight.FlightDescriptor.for_command(put_command(topic_name, key))
    try:
        writer, _reader = client.do_put(descriptor, schema)
    except Exception as err:
        return err
    first = None
    try:
        for batch in batches:
            writer.write_batch(batch)
        writer.done_writing()
    except Exception as err:
        first = err
    try:
        writer.close()
    except Exception as err:
        if first is None or grpc_code(first).startswith("<"):
            return err
    return first


# ---------------------------------------------------------------------------------------------
# DoGet

@dataclass
class TopicStream:
    schema: pa.Schema
    batches: list

    @property
    def table(self) -> pa.Table:
        return pa.Table.from_batches(self.batches, schema=self.schema)

    @property
    def rows(self) -> list:
        return self.table.to_pylist()

    @property
    def metadata(self) -> dict:
        return decode_metadata(self.schema)


def read_stream(client: flight.FlightClient, ticket: bytes) -> TopicStream:
    """DoGet as the SDK reads it: the schema, then batches until the end (a zero-row batch in the middle
    would end the SDK's stream early, so one is a protocol violation)."""
    reader = client.do_get(flight.Ticket(ticket))
    schema = reader.schema
    batches = []
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            break
        batches.append(chunk.data)
    for i, batch in enumerate(batches[:-1]):
        if batch.num_rows == 0:
            raise ProtocolViolation(f"DoGet sent a zero-row batch at position {i} of {len(batches)}")
    return TopicStream(schema, batches)


def decode_metadata(schema: pa.Schema) -> dict:
    """Schema metadata as the SDK decodes it: each value through json.loads, raw text if that fails."""
    out = {}
    for k, v in (schema.metadata or {}).items():
        key = k.decode("utf-8")
        text = v.decode("utf-8")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out


# ---------------------------------------------------------------------------------------------
# Data: the SDK's schemas (protocol 6.5) and a few more types

def _desc(text: str) -> dict:
    return {"description": text}


HEADER = pa.struct([
    pa.field("seq", pa.uint32()),
    pa.field("stamp", pa.struct([
        pa.field("sec", pa.int64(), nullable=False),
        pa.field("nanosec", pa.uint32(), nullable=False),
    ])),
    pa.field("frame_id", pa.string()),
])


def _vector_cov(with_w: bool) -> pa.StructType:
    parts = [pa.field(c, pa.float64(), nullable=False, metadata=_desc(f"{c} component"))
             for c in ("x", "y", "z") + (("w",) if with_w else ())]
    return pa.struct(parts + [
        pa.field("covariance", pa.list_(pa.float64()), metadata=_desc("row-major 3x3")),
        pa.field("covariance_type", pa.int16()),
        pa.field("header", HEADER),
    ])


VECTOR = _vector_cov(False)
QUATERNION = _vector_cov(True)

IMU_SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=_desc("Message timestamp (ns)")),
    pa.field("message_header", HEADER, nullable=True, metadata=_desc("Middleware header")),
    pa.field("acceleration", VECTOR, nullable=False, metadata=_desc("Linear acceleration m/s²")),
    pa.field("angular_velocity", VECTOR, nullable=False, metadata=_desc("Angular velocity rad/s")),
    pa.field("orientation", QUATERNION, nullable=True, metadata=_desc("Orientation")),
    pa.field("header", HEADER, nullable=True, metadata=_desc("Data header")),
])

SCALARS_SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=_desc("Message timestamp (ns)")),
    pa.field("i8", pa.int8()),
    pa.field("i16", pa.int16()),
    pa.field("i32", pa.int32()),
    pa.field("i64", pa.int64()),
    pa.field("u16", pa.uint16()),
    pa.field("u32", pa.uint32()),
    pa.field("flag", pa.bool_()),
    pa.field("text", pa.string(), metadata=_desc("free text, ünïcödé")),
    pa.field("blob", pa.binary()),
    pa.field("f64", pa.float64()),
    pa.field("status", pa.struct([
        pa.field("status", pa.int8(), nullable=False),
        pa.field("service", pa.uint16(), nullable=False),
        pa.field("hdop", pa.float64()),
    ]), nullable=False),
])

SPECIAL_FLOATS = [
    0.0, -0.0, 1.0, -1.5, 0.1, 1e-300, 5e-324, -5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, -1.7976931348623157e308, float("inf"), float("-inf"), float("nan"),
    struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0],  # negative quiet NaN
    struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000001))[0],  # quiet NaN with payload
    struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000001))[0],  # signalling NaN
]


def any_float(rng: random.Random) -> float:
    """A float64 from the special values, a plain number, or an arbitrary bit pattern."""
    r = rng.random()
    if r < 0.25:
        return rng.choice(SPECIAL_FLOATS)
    if r < 0.5:
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    return rng.uniform(-1e3, 1e3)


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


def batch_of(rows: list, schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(rows, schema=schema)


def batches_of(rows: list, schema: pa.Schema, size: int) -> list:
    return [batch_of(rows[i:i + size], schema) for i in range(0, len(rows), size)]


def canon(value: Any) -> Any:
    """A comparable form in which float64 values are their bit patterns (NaN payloads, -0.0)."""
    if isinstance(value, float):
        return ("f64", struct.pack("<d", value).hex())
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, bytes):
        return ("bytes", len(value), hash(value))
    return value


def sorted_rows(rows: list) -> list:
    return sorted(rows, key=lambda r: r["timestamp_ns"])


# ---------------------------------------------------------------------------------------------
# Test case base

class MosaicoTestCase(unittest.TestCase):
    """One control connection per test class (as the SDK's control client), assertion helpers, and a
    watchdog per test."""

    maxDiff = 4000
    m: Mosaico

    @classmethod
    def setUpClass(cls) -> None:
        cls.m = Mosaico()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.m.close()

    def setUp(self) -> None:
        faulthandler.dump_traceback_later(TEST_WATCHDOG_SECONDS, exit=True, file=sys.stderr)

    def tearDown(self) -> None:
        faulthandler.cancel_dump_traceback_later()

    # --- assertions
    def assertStatus(self, code: str, fn, *args, contains: Optional[str] = None, **kwargs) -> BaseException:
        """Calls fn, which must fail with gRPC status `code` (message containing `contains`)."""
        try:
            result = fn(*args, **kwargs)
            if hasattr(result, "__next__"):  # streaming calls fail while iterating
                result = list(result)
        except ProtocolViolation:
            raise
        except Exception as err:  # noqa: BLE001 - every pyarrow error is checked below
            actual = grpc_code(err)
            self.assertEqual(actual, code, f"expected {code}, got {actual}: {type(err).__name__}: {err}")
            if contains is not None:
                self.assertIn(contains, str(err))
            return err
        self.fail(f"expected {code}, but the call succeeded with {result!r}")

    def assertUploadStatus(self, code: str, err: Optional[BaseException]) -> None:
        self.assertIsNotNone(err, f"expected the upload to fail with {code}, but it succeeded")
        actual = grpc_code(err)
        self.assertEqual(actual, code, f"expected {code}, got {actual}: {type(err).__name__}: {err}")

    def assertSameRows(self, actual: list, expected: list) -> None:
        """Same rows in the same order, float64 bit for bit."""
        self.assertEqual(len(actual), len(expected), "row count")
        for i, (a, e) in enumerate(zip(actual, expected)):
            if canon(a) != canon(e):
                self.fail(f"row {i} differs:\n  got      {a!r:.1500}\n  expected {e!r:.1500}")

    def assertTopicSchema(self, schema: pa.Schema, expected: pa.Schema, *, user_metadata: Any,
                          ontology_tag: str, serialization_format: str = "default") -> None:
        """Fields (types, nullability, field metadata) as uploaded, and exactly the three topic keys."""
        self.assertTrue(schema.remove_metadata().equals(expected.remove_metadata(), check_metadata=True),
                        f"schema differs:\n{schema}\n--- expected ---\n{expected}")
        for got, want in zip(schema, expected):
            self.assertEqual(got.metadata, want.metadata, f"field metadata of {want.name}")
        raw = schema.metadata or {}
        self.assertEqual(set(raw), {b"mosaico:context", b"mosaico:properties", b"mosaico:user_metadata"})
        meta = decode_metadata(schema)
        self.assertEqual(meta["mosaico:context"], "topic")
        self.assertIsInstance(meta["mosaico:properties"], dict, raw[b"mosaico:properties"])
        self.assertEqual(meta["mosaico:properties"],
                         {"ontology_tag": ontology_tag, "serialization_format": serialization_format})
        self.assertEqual(meta["mosaico:user_metadata"], user_metadata)

    def assertDatetime(self, text: str) -> None:
        m = DATETIME_RE.match(text)
        self.assertIsNotNone(m, f"created_datetime {text!r} is not 'YYYY-MM-DD HH:MM:SS[.fff] UTC'")
        self.assertNotEqual(m.group(8), "000", f"{text!r}: the fraction must be omitted when it is 0")
        import calendar
        secs = calendar.timegm(tuple(int(g) for g in m.groups()[:6]) + (0, 0, 0))
        self.assertLess(abs(secs - time.time()), 600, f"{text!r} is not the creation time (now)")

    def new_sequence(self, prefix: str = "seq", metadata: Any = None) -> tuple[str, str]:
        name = unique(prefix)
        return name, self.m.sequence_create(name, metadata if metadata is not None else {"test": self.id()})

    def wait_until(self, predicate, timeout: float = 5.0, interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(interval)

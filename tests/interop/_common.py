"""What every Mosaico SDK model of this folder shares (0.1.0 in _sdk.py, 0.4.0 in _sdk2026*.py, 0.7.0 in
_sdk07*.py): the daemon's address, unique names, gRPC status codes as pyarrow reports them, one DoAction's
Result bodies as JSON, the DoPut and DoGet stream mechanics, float and row helpers for bit-exact
comparisons, and the test-case base (a watchdog per test, status and row assertions). Nothing here knows
a protocol generation's keys or shapes: those live in the SDK models.
"""
from __future__ import annotations

import faulthandler
import json
import os
import random
import struct
import sys
import time
import unittest
import uuid
from dataclasses import dataclass
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

URL = os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726")

# A test that hangs (a server that never answers) dumps every thread's stack and ends the run instead
# of blocking `deno test` forever. The SDKs set no deadlines, so neither do the calls themselves.
TEST_WATCHDOG_SECONDS = float(os.environ.get("MOSAICOD_TEST_WATCHDOG", "120"))

T0 = 1_700_000_000_123_456_789  # realistic epoch nanoseconds, far above 2^53


def unique(prefix: str = "seq") -> str:
    """A sequence name no other test (or earlier run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def now_ns() -> int:
    return time.time_ns()


# ---------------------------------------------------------------------------------------------
# gRPC status codes as pyarrow reports them

def grpc_code(exc: BaseException) -> str:
    """The gRPC status code behind a pyarrow exception, or `<ClassName>` for a client-side error.

    pyarrow 25 (Arrow C++ Flight client): NOT_FOUND → ArrowKeyError; ALREADY_EXISTS → plain
    ArrowException ("already exists error"); INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED
    and OUT_OF_RANGE → ArrowInvalid, told apart by the message prefix the client adds; PERMISSION_DENIED →
    FlightUnauthorizedError; UNIMPLEMENTED → ArrowNotImplementedError; INTERNAL/ABORTED/DATA_LOSS →
    FlightInternalError; UNKNOWN → FlightServerError. GetSchema raises a plain OSError for some of them.
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
    if isinstance(exc, OSError):  # GetSchema reports some statuses as a plain OSError (pyarrow 25)
        for marker, code in (("Flight returned unauthorized error", "PERMISSION_DENIED"),
                             ("Flight returned unauthenticated error", "UNAUTHENTICATED"),
                             ("Flight returned unavailable error", "UNAVAILABLE"),
                             ("Flight returned internal error", "INTERNAL")):
            if msg.startswith(marker):
                return code
    return f"<{type(exc).__name__}>"


class ProtocolViolation(AssertionError):
    """The server answered, but not in the shape the SDK needs."""


# ---------------------------------------------------------------------------------------------
# JSON bodies and shapes

def check_type(what: str, value: Any, typ, *, nullable: bool = False) -> None:
    """`value` is a `typ` (a bool is not an int), or None when `nullable`; else ProtocolViolation."""
    if value is None and nullable:
        return
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        name = getattr(typ, "__name__", str(typ))
        raise ProtocolViolation(f"{what}: expected {name}{' or null' if nullable else ''}, got {value!r}")


def check_keys(what: str, obj: Any, keys: set, optional: frozenset = frozenset()) -> dict:
    """`obj` is an object with exactly `keys`, and maybe some of `optional`; returned as is."""
    if not isinstance(obj, dict) or not keys <= set(obj) <= keys | optional:
        also = f" (and maybe {sorted(optional)})" if optional else ""
        raise ProtocolViolation(f"{what}: expected an object with exactly {sorted(keys)}{also}, got {obj!r}")
    return obj


def json_body(what: str, raw: bytes) -> Any:
    """A UTF-8 JSON body (a Result, an app_metadata), or ProtocolViolation."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolViolation(f"{what} is not UTF-8 JSON: {raw!r}") from err


def action_results(client: flight.FlightClient, name: str, body: bytes) -> list[bytes]:
    """One raw DoAction call: every Result body."""
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, body))]


class ClientModel:
    """An SDK model's client object: the one FlightClient it owns (its `connect()` by default)."""

    def __init__(self, client: Optional[flight.FlightClient] = None) -> None:
        self.client = client or self.connect()

    @staticmethod
    def connect() -> flight.FlightClient:
        raise NotImplementedError("each SDK model connects its own way")

    def close(self) -> None:
        self.client.close()

    def raw_action(self, name: str, body: Any) -> list[bytes]:
        """Every Result body of one DoAction; `body` as bytes, or JSON-encoded."""
        return action_results(self.client, name, body if isinstance(body, bytes) else json.dumps(body).encode())


# ---------------------------------------------------------------------------------------------
# DoPut and DoGet streams

def put_stream(client: flight.FlightClient, descriptor: flight.FlightDescriptor, schema: pa.Schema,
               batches=(), options: Optional[flight.FlightCallOptions] = None) -> None:
    """One upload as every SDK does it: open with the schema, every batch, half-close, wait for the final
    status (close). The first failure is the one raised."""
    writer, _reader = client.do_put(descriptor, schema, options)
    finish_put(writer, batches)


def finish_put(writer: flight.FlightStreamWriter, batches=()) -> None:
    """Write the last batches of an open DoPut, half-close, and wait for the server's final status; the
    first failure is the one raised (the stream is closed either way)."""
    try:
        for batch in batches:
            writer.write_batch(batch)
        writer.done_writing()
    except BaseException:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - the first failure is the one reported
            pass
        raise
    writer.close()


def put_stream_error(client: flight.FlightClient, descriptor: flight.FlightDescriptor, schema: pa.Schema,
                     batches=(), options: Optional[flight.FlightCallOptions] = None) -> Optional[BaseException]:
    """Like `put_stream`, but returns the failure (None on success). The server's status surfaces on a
    write or on close(); the exception that names a gRPC status is preferred."""
    try:
        writer, _reader = client.do_put(descriptor, schema, options)
    except Exception as err:  # noqa: BLE001
        return err
    first = None
    try:
        for batch in batches:
            writer.write_batch(batch)
        writer.done_writing()
    except Exception as err:  # noqa: BLE001
        first = err
    try:
        writer.close()
    except Exception as err:  # noqa: BLE001
        if first is None or grpc_code(first).startswith("<"):
            return err
    return first


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
    """DoGet as the SDKs read it: the schema, then batches until the end (a zero-row batch in the middle
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
    """Schema metadata as the SDKs decode it: each value through json.loads, raw text if that fails."""
    out = {}
    for k, v in (schema.metadata or {}).items():
        text = v.decode("utf-8")
        try:
            out[k.decode("utf-8")] = json.loads(text)
        except ValueError:
            out[k.decode("utf-8")] = text
    return out


# ---------------------------------------------------------------------------------------------
# Rows

def desc(text: str) -> dict:
    """Field metadata as the SDKs write it."""
    return {"description": text}


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

class FlightTestCase(unittest.TestCase):
    """A watchdog per test, and assertions on gRPC statuses and rows. Subclasses open their SDK client."""

    maxDiff = 4000
    m: Any  # the SDK client of the class, opened by `open_client`
    client_class: Any = None  # the SDK model's client class

    @classmethod
    def open_client(cls) -> Any:
        return cls.client_class()

    @classmethod
    def setUpClass(cls) -> None:
        cls.m = cls.open_client()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.m.close()

    def setUp(self) -> None:
        faulthandler.dump_traceback_later(TEST_WATCHDOG_SECONDS, exit=True, file=sys.stderr)

    def tearDown(self) -> None:
        faulthandler.cancel_dump_traceback_later()

    def _failure(self, fn, args, kwargs) -> tuple[Optional[BaseException], Any]:
        """(the error fn raised, None) or (None, its result); a streaming result is drained first."""
        try:
            result = fn(*args, **kwargs)
            if hasattr(result, "__next__"):  # streaming calls fail while iterating
                result = list(result)
        except ProtocolViolation:
            raise
        except Exception as err:  # noqa: BLE001 - every pyarrow error is checked by the caller
            return err, None
        return None, result

    def assertStatus(self, code: str, fn, *args, contains: Optional[str] = None, **kwargs) -> BaseException:
        """Calls fn, which must fail with gRPC status `code` (message containing `contains`)."""
        return self.assertStatusIn((code,), fn, *args, contains=contains, **kwargs)

    def assertStatusIn(self, codes: tuple, fn, *args, contains: Optional[str] = None, **kwargs) -> BaseException:
        """Calls fn, which must fail with one of the gRPC status `codes`."""
        err, result = self._failure(fn, args, kwargs)
        if err is None:
            self.fail(f"expected {' or '.join(codes)}, but the call succeeded with {result!r:.1500}")
        actual = grpc_code(err)
        self.assertIn(actual, codes, f"expected {' or '.join(codes)}, got {actual}: {type(err).__name__}: {err}")
        if contains is not None:
            self.assertIn(contains, str(err))
        return err

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

    def wait_until(self, predicate, timeout: float = 5.0, interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(interval)

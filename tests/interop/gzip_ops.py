"""Used by tests/gzip_test.ts (not a unittest module): gRPC message compression against the daemon at
MOSAICOD_URL, from pyarrow (grpc channel options, as the 2026 SDK sets them) and from the raw HTTP/2
client of _rawflight.py (hand-made compressed messages). Prints one JSON object.

  gzip_ops.py roundtrip ALGORITHM MIB   pyarrow with grpc.default_compression_algorithm = ALGORITHM
                                         (1 deflate, 2 gzip): sequence_create, topic_create, a DoPut of
                                         about MIB MiB, finalize, ListFlights, GetFlightInfo, DoGet,
                                         system info and a query → {"rows", "equal", "listed", ...}
  gzip_ops.py raw ENCODING               DoAction sequence_create whose request is compressed by hand
                                         with ENCODING (gzip | deflate | x-unknown | corrupt-gzip) and
                                         flagged so → {"status", "response", "flags", "encoding"}
  gzip_ops.py bomb MIB                   DoAction whose single message is a gzip stream inflating to MIB
                                         MiB of zeros (a few KiB to ~1 MiB on the wire) → {"status", "message",
                                         "compressed_bytes"}
  gzip_ops.py get TOPIC [ACCEPT]         DoGet of TOPIC (plain ticket) by the raw client, sending
                                         grpc-accept-encoding: ACCEPT when given → {"status", "encoding",
                                         "flags", "sha256": of the decoded FlightData bodies and headers}
  gzip_ops.py bench MIB ROUNDS           upload MIB MiB once, then DoGet it ROUNDS times with pyarrow
                                         → {"mb_per_s": [...]} (pyarrow always accepts gzip)
"""
import hashlib
import json
import os
import sys
import time
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from _rawflight import call, parse_flight_data
from _sdk import Mosaico, put_command, unique

URL = os.environ["MOSAICOD_URL"]

SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False),
    pa.field("x", pa.float64()),
    pa.field("level", pa.int32()),
    pa.field("label", pa.string()),
])


def table_of(mib: float, seed: int) -> pa.Table:
    """About `mib` MiB of rows: increasing timestamps, random floats, small ints, repetitive labels."""
    n = max(1, int(mib * 1024 * 1024 / 32))
    rng = np.random.default_rng(seed)
    return pa.table({
        "timestamp_ns": 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 1_000_003,
        "x": rng.random(n),
        "level": rng.integers(0, 4, n, dtype=np.int32),
        "label": pa.array([f"sensor-{i % 16}" for i in range(n)]),
    }, schema=SCHEMA)


def upload(client: flight.FlightClient, table: pa.Table) -> tuple[str, str]:
    sdk = Mosaico(client)
    seq = unique("gz")
    key = sdk.sequence_create(seq, {"purpose": "gzip"})
    topic = f"{seq}/data"
    topic_key = sdk.topic_create(topic, key, ontology_tag="gzip_test")
    writer, _ = client.do_put(flight.FlightDescriptor.for_command(put_command(topic, topic_key)), SCHEMA)
    writer.write_table(table, max_chunksize=64 * 1024)
    writer.close()
    sdk.sequence_finalize(seq, key)
    return seq, topic


def compressed_client(algorithm: int) -> flight.FlightClient:
    return flight.FlightClient(URL, generic_options=[
        ("grpc.default_compression_algorithm", algorithm),
        ("grpc.compression_enabled", 1),
    ])


def roundtrip(algorithm: int, mib: float) -> dict:
    client = compressed_client(algorithm)
    table = table_of(mib, seed=algorithm)
    seq, topic = upload(client, table)
    sdk = Mosaico(client)
    got = client.do_get(flight.Ticket(topic.encode())).read_all()
    listed = seq in sdk.sequence_names()
    endpoints = len(sdk.flight_info(seq).endpoints)
    info = sdk.sequence_system_info(seq)
    items = sdk.query({"sequence": {"name": {"$eq": seq}}})
    client.close()
    return {
        "rows": got.num_rows,
        "sent_rows": table.num_rows,
        "sent_bytes": table.nbytes,
        "equal": got.select(SCHEMA.names).equals(table),
        "listed": listed,
        "endpoints": endpoints,
        "total_size_bytes": info.total_size_bytes,
        "query": [[i.sequence, i.topics] for i in items],
    }


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (numbers below 16, lengths below 2^28)."""
    n, out = len(payload), bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            break
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes([(number << 3) | 2]) + bytes(out) + payload


def _bytes_field(message: bytes, number: int) -> bytes:
    """The first length-delimited field `number` of a protobuf message (Result.body, for instance)."""
    pos = 0
    while pos < len(message):
        tag, pos = message[pos], pos + 1
        length, shift = 0, 0
        while True:
            b, pos = message[pos], pos + 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if tag == (number << 3) | 2:
            return message[pos:pos + length]
        pos += length
    return b""


def _decode(message: bytes, flag: int, encoding: str) -> bytes:
    if flag == 0:
        return message
    return zlib.decompress(message, wbits=31 if encoding == "gzip" else 15)


def raw(encoding: str) -> dict:
    body = json.dumps({"name": unique("gzraw"), "user_metadata": {"pad": "x" * 4000}}).encode()
    action = _field(1, b"sequence_create") + _field(2, body)
    if encoding == "gzip":
        payload = zlib.compress(action, wbits=31)
    elif encoding == "deflate":
        payload = zlib.compress(action)
    elif encoding == "corrupt-gzip":
        payload, encoding = zlib.compress(action, wbits=31)[:-12] + b"\x00" * 12, "gzip"
    else:
        payload = zlib.compress(action, wbits=31)
    r = call(URL, "DoAction", [(1, payload)], headers=[("grpc-encoding", encoding)])
    response = None
    if r.messages:
        response = json.loads(_bytes_field(_decode(r.messages[0], r.flags[0], _encoding(r)), 1))
    return {"status": r.status, "message": r.message, "response": response, "flags": r.flags,
            "encoding": _encoding(r), "compressed_bytes": len(payload), "plain_bytes": len(action)}


def _encoding(r) -> str:
    return next((v for k, v in r.headers if k == "grpc-encoding"), "")


def bomb(mib: int) -> dict:
    zeros = bytes(1024 * 1024)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = b"".join(comp.compress(zeros) for _ in range(mib)) + comp.flush()
    r = call(URL, "DoAction", [(1, payload)], headers=[("grpc-encoding", "gzip")], timeout=60)
    return {"status": r.status, "message": r.message, "compressed_bytes": len(payload)}


def get(topic: str, accept: str | None) -> dict:
    headers = [("grpc-accept-encoding", accept)] if accept is not None else []
    r = call(URL, "DoGet", [_field(1, topic.encode())], headers=headers, timeout=120)
    digest = hashlib.sha256()
    for message, flag in zip(r.messages, r.flags):
        fd = parse_flight_data(_decode(message, flag, _encoding(r)))
        digest.update((fd["header"] or b"") + (fd["body"] or b""))
    return {"status": r.status, "message": r.message, "encoding": _encoding(r), "flags": r.flags,
            "messages": len(r.messages), "wire_bytes": sum(len(m) for m in r.messages),
            "sha256": digest.hexdigest()}


def bench(mib: float, rounds: int) -> dict:
    client = flight.FlightClient(URL)
    table = table_of(mib, seed=7)
    _, topic = upload(client, table)
    speeds = []
    for _ in range(rounds):
        started = time.monotonic()
        got = client.do_get(flight.Ticket(topic.encode())).read_all()
        speeds.append(round(table.nbytes / (time.monotonic() - started) / 1e6, 1))
        assert got.num_rows == table.num_rows
    client.close()
    return {"mb_per_s": speeds, "bytes": table.nbytes, "topic": topic}


def main() -> None:
    op, args = sys.argv[1], sys.argv[2:]
    if op == "roundtrip":
        out = roundtrip(int(args[0]), float(args[1]))
    elif op == "raw":
        out = raw(args[0])
    elif op == "bomb":
        out = bomb(int(args[0]))
    elif op == "get":
        out = get(args[0], args[1] if len(args) > 1 else None)
    elif op == "bench":
        out = bench(float(args[0]), int(args[1]))
    else:
        raise SystemExit(f"unknown op {op!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

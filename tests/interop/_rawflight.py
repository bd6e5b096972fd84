"""A tiny plaintext gRPC (HTTP/2 "prior knowledge") client for Flight messages pyarrow cannot send.

pyarrow always puts a descriptor and a schema in the first DoPut message and refuses to write a batch
whose schema differs from the stream's. The server must still refuse such streams cleanly, so these
tests build the FlightData protobufs by hand and send them over a minimal HTTP/2 connection:
enough framing, flow control and HPACK (static + dynamic table, Huffman) to read the status.

Only the standard library and pyarrow (to produce IPC messages) are used.
"""
from __future__ import annotations

import socket
import struct
import urllib.parse
from dataclasses import dataclass, field

import pyarrow as pa

__all__ = [
    "RawCall",
    "call",
    "action_message",
    "cmd_descriptor",
    "path_descriptor",
    "flight_data",
    "ipc_message",
    "ipc_message_type",
    "parse_flight_data",
    "read_varint",
    "STATUS_NAMES",
]

STATUS_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

SERVICE = "/arrow.flight.protocol.FlightService/"

# ---------------------------------------------------------------------------------------------
# protobuf (only what FlightData and FlightDescriptor need)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def action_message(kind: str, body: bytes) -> bytes:
    """A Flight `Action` protobuf (DoAction's request)."""
    return _len_field(1, kind.encode()) + _len_field(2, body)


def cmd_descriptor(cmd: bytes) -> bytes:
    """FlightDescriptor{type: CMD, cmd}."""
    return _varint((1 << 3) | 0) + _varint(2) + _len_field(2, cmd)


def path_descriptor(*path: str) -> bytes:
    """FlightDescriptor{type: PATH, path}."""
    out = _varint((1 << 3) | 0) + _varint(1)
    for p in path:
        out += _len_field(3, p.encode("utf-8"))
    return out


def flight_data(descriptor: bytes | None = None, header: bytes = b"", body: bytes = b"",
                app_metadata: bytes = b"") -> bytes:
    """FlightData{flight_descriptor=1, data_header=2, app_metadata=3, data_body=1000}."""
    out = b""
    if descriptor is not None:
        out += _len_field(1, descriptor)
    if header:
        out += _len_field(2, header)
    if app_metadata:
        out += _len_field(3, app_metadata)
    if body:
        out += _len_field(1000, body)
    return out


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def parse_flight_data(data: bytes) -> dict:
    """FlightData → {"descriptor", "header", "app_metadata", "body"} (absent fields are None)."""
    out = {"descriptor": None, "header": None, "app_metadata": None, "body": None}
    names = {1: "descriptor", 2: "header", 3: "app_metadata", 1000: "body"}
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 2:
            n, pos = read_varint(data, pos)
            if number in names:
                out[names[number]] = data[pos:pos + n]
            pos += n
        elif wire == 0:
            _, pos = read_varint(data, pos)
        else:
            raise ValueError(f"unexpected wire type {wire} in FlightData")
    return out


def ipc_message_type(header: bytes, body: bytes = b"") -> str:
    """The type of an IPC message flatbuffer ("schema", "record batch", ...), as pyarrow reads it."""
    pad = (-len(header)) % 8
    framed = b"\xff\xff\xff\xff" + struct.pack("<i", len(header) + pad) + header + b"\x00" * pad + (body or b"")
    return pa.ipc.read_message(framed).type


def ipc_message(obj) -> tuple[bytes, bytes]:
    """(flatbuffer header, body) of the IPC message of a pyarrow Schema or RecordBatch."""
    msg = pa.ipc.read_message(obj.serialize())
    body = msg.body.to_pybytes() if msg.body is not None else b""
    return msg.metadata.to_pybytes(), body


# ---------------------------------------------------------------------------------------------
# HPACK

_STATIC = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
    (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
    (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""),
    ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
    ("strict-transport-security", ""), ("transfer-encoding", ""), ("user-agent", ""),
    ("vary", ""), ("via", ""), ("www-authenticate", ""),
]

# RFC 7541 Appendix B: the Huffman code is canonical, so the code length of each symbol (0..256)
# defines it. One letter per symbol: "A" = 5 bits, "B" = 6 bits, ...
_HUFFMAN_LENGTHS = (
    "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOI"
    "JBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRS"
    "RRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ"
)


def _huffman_table() -> dict[tuple[int, int], int]:
    lengths = [ord(c) - ord("A") + 5 for c in _HUFFMAN_LENGTHS]
    assert len(lengths) == 257
    order = sorted(range(257), key=lambda s: (lengths[s], s))
    table: dict[tuple[int, int], int] = {}
    code = 0
    prev = lengths[order[0]]
    for i, sym in enumerate(order):
        if i > 0:
            code = (code + 1) << (lengths[sym] - prev)
            prev = lengths[sym]
        table[(lengths[sym], code)] = sym
    return table


_HUFFMAN = _huffman_table()


def _huffman_decode(data: bytes) -> bytes:
    out = bytearray()
    code = 0
    length = 0
    for byte in data:
        for shift in range(7, -1, -1):
            code = (code << 1) | ((byte >> shift) & 1)
            length += 1
            sym = _HUFFMAN.get((length, code))
            if sym is not None:
                if sym == 256:
                    raise ValueError("HPACK: EOS in Huffman string")
                out.append(sym)
                code = 0
                length = 0
    if length > 7 or code != (1 << length) - 1:
        raise ValueError("HPACK: bad Huffman padding")
    return bytes(out)


class _HpackDecoder:
    def __init__(self) -> None:
        self.dynamic: list[tuple[str, str]] = []
        self.max_size = 4096

    def _size(self) -> int:
        return sum(len(n) + len(v) + 32 for n, v in self.dynamic)

    def _evict(self) -> None:
        while self.dynamic and self._size() > self.max_size:
            self.dynamic.pop()

    def _entry(self, index: int) -> tuple[str, str]:
        if index <= 0:
            raise ValueError("HPACK: index 0")
        if index <= len(_STATIC):
            return _STATIC[index - 1]
        return self.dynamic[index - len(_STATIC) - 1]

    @staticmethod
    def _int(data: bytes, pos: int, prefix: int) -> tuple[int, int]:
        mask = (1 << prefix) - 1
        value = data[pos] & mask
        pos += 1
        if value < mask:
            return value, pos
        shift = 0
        while True:
            b = data[pos]
            pos += 1
            value += (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value, pos

    def _str(self, data: bytes, pos: int) -> tuple[str, int]:
        huffman = bool(data[pos] & 0x80)
        n, pos = self._int(data, pos, 7)
        raw = data[pos:pos + n]
        pos += n
        if huffman:
            raw = _huffman_decode(raw)
        return raw.decode("utf-8", "replace"), pos

    def decode(self, data: bytes) -> list[tuple[str, str]]:
        headers = []
        pos = 0
        while pos < len(data):
            b = data[pos]
            if b & 0x80:
                index, pos = self._int(data, pos, 7)
                headers.append(self._entry(index))
            elif b & 0xC0 == 0x40:
                index, pos = self._int(data, pos, 6)
                name = self._entry(index)[0] if index else None
                if name is None:
                    name, pos = self._str(data, pos)
                value, pos = self._str(data, pos)
                headers.append((name, value))
                self.dynamic.insert(0, (name, value))
                self._evict()
            elif b & 0xE0 == 0x20:
                self.max_size, pos = self._int(data, pos, 5)
                self._evict()
            else:
                index, pos = self._int(data, pos, 4)
                name = self._entry(index)[0] if index else None
                if name is None:
                    name, pos = self._str(data, pos)
                value, pos = self._str(data, pos)
                headers.append((name, value))
        return headers


def _hpack_int(value: int, prefix: int, first: int = 0) -> bytes:
    mask = (1 << prefix) - 1
    if value < mask:
        return bytes([first | value])
    out = bytearray([first | mask])
    value -= mask
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _hpack_encode(headers: list[tuple[str, str]]) -> bytes:
    """Every header as "literal without indexing, new name", no Huffman."""
    out = bytearray()
    for name, value in headers:
        n = name.encode()
        v = value.encode()
        out += b"\x00" + _hpack_int(len(n), 7) + n + _hpack_int(len(v), 7) + v
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# HTTP/2

_DATA, _HEADERS, _RST, _SETTINGS, _PING, _GOAWAY, _WINDOW_UPDATE, _CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
_END_STREAM, _ACK, _END_HEADERS, _PADDED, _PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
_BIG_WINDOW = 2**31 - 1


@dataclass
class RawCall:
    """The outcome of one call: gRPC status code and message, and the response messages."""

    code: int = -1
    message: str = ""
    messages: list[bytes] = field(default_factory=list)
    # The compressed-flag byte of each response message (1: compressed with the `grpc-encoding`).
    flags: list[int] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    reset: int | None = None

    @property
    def status(self) -> str:
        if self.code < 0:
            return f"NO_STATUS(rst={self.reset})"
        return STATUS_NAMES.get(self.code, str(self.code))


class _Connection:
    def __init__(self, url: str, timeout: float, local_port: int | None = None) -> None:
        u = urllib.parse.urlparse(url)
        self.authority = f"{u.hostname}:{u.port}"
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout,
                                             source_address=None if local_port is None else ("", local_port))
        if local_port is not None:
            # Closing resets the connection (no TIME_WAIT), so the next call may reuse the port at once.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.buf = b""
        self.hpack = _HpackDecoder()
        self.conn_window = 65535
        self.stream_window = 65535
        self.peer_initial_window = 65535
        self.max_frame = 16384
        settings = struct.pack(">HI", 0x4, _BIG_WINDOW)  # SETTINGS_INITIAL_WINDOW_SIZE
        self.sock.sendall(
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
            + self._frame(_SETTINGS, 0, 0, settings)
            + self._frame(_WINDOW_UPDATE, 0, 0, struct.pack(">I", _BIG_WINDOW - 65535))
        )

    @staticmethod
    def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

    def _recv_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self) -> tuple[int, int, int, bytes]:
        head = self._recv_exact(9)
        length = int.from_bytes(head[:3], "big")
        kind, flags = head[3], head[4]
        stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        return kind, flags, stream, self._recv_exact(length)

    def send(self, kind: int, flags: int, stream: int, payload: bytes) -> None:
        self.sock.sendall(self._frame(kind, flags, stream, payload))

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _grpc_frame(message: bytes | tuple[int, bytes]) -> bytes:
    flag, payload = message if isinstance(message, tuple) else (0, message)
    return bytes([flag]) + struct.pack(">I", len(payload)) + payload


def call(url: str, method: str, messages: list[bytes | tuple[int, bytes]], *, timeout: float = 20.0,
         frame_size: int = 16384, headers: list[tuple[str, str]] = (), local_port: int | None = None) -> RawCall:
    """Sends `messages` (already-encoded protobufs) on one call of `method`, half-closes, and reads
    the whole answer. Stops sending early if the server ends the call first.

    The gRPC messages are concatenated and cut into DATA frames of `frame_size` bytes (the HTTP/2 default
    maximum, always allowed), so message boundaries fall anywhere inside frames, as with real clients.
    A message given as `(flag, payload)` is sent with that compressed-flag byte (payload already
    compressed, e.g. with `headers=[("grpc-encoding", "gzip")]`); `headers` are added to the request's.
    `local_port` fixes the client's port (the connection is reset when the call ends, freeing it at once)."""
    conn = _Connection(url, timeout, local_port)
    conn.max_frame = frame_size
    result = RawCall()
    stream = 1
    done = False
    header_block = b""
    header_flags_end_stream = False

    def handle(kind: int, flags: int, sid: int, payload: bytes) -> None:
        nonlocal done, header_block, header_flags_end_stream
        if kind == _SETTINGS and not flags & _ACK:
            for i in range(0, len(payload), 6):
                ident, value = struct.unpack(">HI", payload[i:i + 6])
                if ident == 0x4:
                    conn.stream_window += value - conn.peer_initial_window
                    conn.peer_initial_window = value
            conn.send(_SETTINGS, _ACK, 0, b"")
        elif kind == _PING and not flags & _ACK:
            conn.send(_PING, _ACK, 0, payload)
        elif kind == _WINDOW_UPDATE:
            inc = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
            if sid == 0:
                conn.conn_window += inc
            elif sid == stream:
                conn.stream_window += inc
        elif kind == _GOAWAY:
            if result.code < 0:
                done = True
        elif kind == _RST and sid == stream:
            result.reset = struct.unpack(">I", payload)[0]
            done = True
        elif kind in (_HEADERS, _CONTINUATION) and sid == stream:
            if kind == _HEADERS:
                pad = 0
                if flags & _PADDED:
                    pad = payload[0]
                    payload = payload[1:]
                if flags & _PRIORITY:
                    payload = payload[5:]
                if pad:
                    payload = payload[:-pad]
                header_block = payload
                header_flags_end_stream = bool(flags & _END_STREAM)
            else:
                header_block += payload
            if flags & _END_HEADERS:
                headers = conn.hpack.decode(header_block)
                result.headers += headers
                for name, value in headers:
                    if name == "grpc-status":
                        result.code = int(value)
                    elif name == "grpc-message":
                        result.message = urllib.parse.unquote(value)
                if header_flags_end_stream:
                    done = True
        elif kind == _DATA and sid == stream:
            if flags & _PADDED:
                payload = payload[1:len(payload) - payload[0]]
            data_buf.extend(payload)
            while len(data_buf) >= 5:
                n = struct.unpack(">I", data_buf[1:5])[0]
                if len(data_buf) < 5 + n:
                    break
                result.messages.append(bytes(data_buf[5:5 + n]))
                result.flags.append(data_buf[0])
                del data_buf[:5 + n]
            if flags & _END_STREAM:
                done = True

    data_buf = bytearray()
    try:
        conn.send(_HEADERS, _END_HEADERS, stream, _hpack_encode([
            (":method", "POST"), (":scheme", "http"), (":path", SERVICE + method),
            (":authority", conn.authority), ("content-type", "application/grpc"), ("te", "trailers"),
            *headers,
        ]))
        payload = b"".join(_grpc_frame(m) for m in messages)
        pos = 0
        while not done:
            chunk_len = min(conn.max_frame, len(payload) - pos, conn.conn_window, conn.stream_window)
            if pos < len(payload) and chunk_len <= 0:
                handle(*conn.read_frame())  # wait for a window update (or the end of the call)
                continue
            last = pos + chunk_len >= len(payload)
            conn.send(_DATA, _END_STREAM if last else 0, stream, payload[pos:pos + chunk_len])
            conn.conn_window -= chunk_len
            conn.stream_window -= chunk_len
            pos += chunk_len
            if last:
                break
        while not done:
            handle(*conn.read_frame())
    except (ConnectionError, OSError) as err:
        if result.code < 0:
            result.message = f"connection error: {err}"
    finally:
        conn.close()
    return result

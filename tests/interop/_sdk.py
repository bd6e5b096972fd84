"""What the Mosaico Python SDK 0.1.0 does on the wire, with pyarrow.flight only (the SDK is not installable
here). The 0.4.0 model is _sdk2026.py, the 0.7.0 one _sdk07.py; what they share is in _common.py.

- Actions: `Action(name, json.dumps(body).encode())`; the first non-empty Result is
  `{"action": <name>, "response": {...}}` or `{"action":"empty"}`, and `response` is expanded into a
  dataclass, so it must carry exactly the documented keys (protocol sections 3 and 4). The wrappers here
  are stricter than the SDK where the protocol says "exactly": one Result per call, and the exact key set.
- DoPut: CMD descriptor `json.dumps({"topic": {"name": <full topic name>, "key": <topic key>}})`, the
  schema at once, batches as buffers fill, `done_writing()` then `close()` (protocol 5.2, 6).
- Reads: GetFlightInfo with PATH descriptors, DoGet with the plain ticket; the three `mosaico:` schema
  metadata keys are decoded as the SDK does (`json.loads`, raw string if that fails; section 8).

The 0.1.0 schemas and row builders live in _sdk_data.py; this module re-exports them, and the shared
helpers, for the test modules.
"""
from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass, fields
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _common import (  # noqa: F401 - several are re-exported for the test modules
    T0, URL, ClientModel, FlightTestCase, ProtocolViolation, TopicStream, action_results, any_float, batch_of, batches_of,
    canon, check_type, decode_metadata, grpc_code, json_body, put_stream, put_stream_error, read_stream,
    sorted_rows, unique,
)
from _sdk_data import IMU_SCHEMA, SCALARS_SCHEMA, imu_rows, scalar_rows  # noqa: F401 - re-exported

KEY_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.(\d{3}))? UTC$")


def connect() -> flight.FlightClient:
    return flight.FlightClient(URL)


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


def do_action(client: flight.FlightClient, name: str, body: dict) -> Any:
    """An action as the SDK sends it; the checked `response` object (a dict) or None for "empty"."""
    results = action_results(client, name, json.dumps(body).encode("utf-8"))
    if len(results) != 1:
        raise ProtocolViolation(f"{name}: expected exactly one Result, got {results!r}")
    obj = json_body(f"{name}: Result body", results[0])
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


class Mosaico(ClientModel):
    """The SDK's control-connection calls, each checked against the documented response shape."""

    connect = staticmethod(connect)

    def action(self, name: str, body: dict) -> Any:
        return do_action(self.client, name, body)

    # --- sequences and topics
    def sequence_create(self, name: str, user_metadata: Any = None) -> str:
        resp = self.action("sequence_create", {
            "name": name, "user_metadata": {} if user_metadata is None else user_metadata})
        key = _expand(KeyResponse, resp).key
        check_type("sequence_create key", key, str)
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
        check_type("topic_create key", key, str)
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
        check_type(f"{action} total_size_bytes", info.total_size_bytes, int)
        check_type(f"{action} is_locked", info.is_locked, bool)
        check_type(f"{action} created_datetime", info.created_datetime, str)
        if info.chunks_number is not None:
            check_type(f"{action} chunks_number", info.chunks_number, int)
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
                check_type(f"notify {f.name}", getattr(item, f.name), str)
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


def _descriptor(topic_name: str, key: str) -> flight.FlightDescriptor:
    return flight.FlightDescriptor.for_command(put_command(topic_name, key))


def upload(client: flight.FlightClient, topic_name: str, key: str, schema: pa.Schema,
           batches=(), *, descriptor: Optional[flight.FlightDescriptor] = None) -> None:
    """The SDK's topic upload: open with the schema, write every batch, half-close, close."""
    put_stream(client, descriptor or _descriptor(topic_name, key), schema, batches)


def upload_error(client: flight.FlightClient, topic_name: str, key: str, schema: pa.Schema,
                 batches=(), *, descriptor: Optional[flight.FlightDescriptor] = None) -> Optional[BaseException]:
    """Like `upload`, but returns the failure (None on success), preferring the one naming a gRPC status."""
    return put_stream_error(client, descriptor or _descriptor(topic_name, key), schema, batches)


# ---------------------------------------------------------------------------------------------
# Test case base

class MosaicoTestCase(FlightTestCase):
    """One control connection per test class (as the SDK's control client), and the 0.1.0 assertions."""

    m: Mosaico
    client_class = Mosaico

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
        secs = calendar.timegm(tuple(int(g) for g in m.groups()[:6]) + (0, 0, 0))
        self.assertLess(abs(secs - time.time()), 600, f"{text!r} is not the creation time (now)")

    def new_sequence(self, prefix: str = "seq", metadata: Any = None) -> tuple[str, str]:
        name = unique(prefix)
        return name, self.m.sequence_create(name, metadata if metadata is not None else {"test": self.id()})

"""What the Mosaico Python SDK 0.4.0 (the 2026 protocol, ../../shared/docs/mosaico-protocol-2026.md) does on
the wire, with pyarrow.flight only (the SDK is not installable here). The 0.1.0 model is _sdk.py.

- Connection (1.3, 11, 12): ONE FlightClient per client; `connect()` probes with ListFlights (empty
  criteria, read to the end) as `wait_for_available` does: OK / UNIMPLEMENTED → connected, UNAVAILABLE →
  retried every 25 ms, anything else → ConnectionError. Every call carries `mosaico-api-key-token` when a
  key is given (a ClientMiddleware, so the probe too). Environment:
    MOSAICOD_URL      grpc://host:port, or grpc+tls://host:port with MOSAICOD_TLS_CA
    MOSAICOD_API_KEY  a manage token: sent on every call of the clients made here (keys tests need it)
    MOSAICOD_TLS_CA   PEM file given to pyarrow as tls_root_certs
    MOSAICOD_GZIP=1   gRPC channel options that gzip every request (algorithm 2)
- Actions (3, 4): `Action(name, json.dumps(body))`; exactly one Result `{"action": <name>, "response": ...}`
  (null-result actions may answer `{"action":"empty"}`); `session_create`/`topic_create` answer exactly
  `{"uuid": ...}`; every response is checked against the documented key set (stricter than the SDK).
- Writes (5, 6): SequenceWriter / SequenceUpdater with the SDK's session-level error policies (report,
  delete), TopicWriter with the topic-level ones (raise, finalize, ignore). DoPut CMD
  `{"resource_locator", "topic_uuid"}`, the schema at once, batches, half-close, wait for the status.
- Reads (7, 8): GetFlightInfo CMD `{"resource_locator", "timestamp_ns_start"?, "timestamp_ns_end"?}`,
  app_metadata of the FlightInfo and of each endpoint parsed strictly (exact keys, ns integers), the SDK's
  derived values; DoGet with the opaque ticket (read_stream of _sdk.py: no zero-row batch mid-stream).
- Data (6.4): the 2026 envelope (`timestamp_ns`, `recording_timestamp_ns`, `frame_id`, `sequence_id`)
  followed by ontology fields; IMU-like and GPS-like schemas and row builders.
"""
from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _sdk import (  # several are re-exported for the test modules
    T0, MosaicoTestCase, ProtocolViolation, TopicStream, any_float, batch_of, batches_of, canon,
    decode_metadata, grpc_code, read_stream, sorted_rows, unique,
)


URL = os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726")
API_KEY = os.environ.get("MOSAICOD_API_KEY") or None
TLS_CA = os.environ.get("MOSAICOD_TLS_CA") or None
GZIP = os.environ.get("MOSAICOD_GZIP") == "1"
API_KEY_HEADER = "mosaico-api-key-token"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TOKEN_RE = re.compile(r"^msco_([a-z0-9]{32})_([0-9a-f]{8})$")
# 4.6: ISO-like, minutes at least, 3 or 6 fraction digits (Python 3.10's fromisoformat), then " UTC"
NOTIFICATION_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{3}|\.\d{6})?)? UTC$")
# 2.1: characters a locator may not contain
FORBIDDEN_LOCATOR_CHARS = set(" !\"'*£$%&.")

FROM_ENV = "<from environment>"


def now_ns() -> int:
    return time.time_ns()


# ---------------------------------------------------------------------------------------------
# Clients

class _ApiKeyHeader(flight.ClientMiddleware):
    def __init__(self, token: str) -> None:
        self.token = token

    def sending_headers(self):
        return {API_KEY_HEADER: self.token}


class ApiKeyMiddleware(flight.ClientMiddlewareFactory):
    """The SDK's API-key middleware: the header on every call of the client (the probe included)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def start_call(self, info):
        return _ApiKeyHeader(self.token)


def new_client(*, api_key: Optional[str] = FROM_ENV, gzip: Optional[bool] = None,
               compression: Optional[int] = None, url: str = URL) -> flight.FlightClient:
    """One FlightClient (one gRPC channel) configured from the environment; `api_key=None` sends none,
    `gzip` overrides MOSAICOD_GZIP, `compression` forces a gRPC algorithm (1 deflate, 2 gzip)."""
    token = API_KEY if api_key is FROM_ENV else api_key
    kwargs: dict[str, Any] = {}
    if token is not None:
        kwargs["middleware"] = [ApiKeyMiddleware(token)]
    if TLS_CA:
        with open(TLS_CA, "rb") as f:
            kwargs["tls_root_certs"] = f.read()
    if compression is None and (GZIP if gzip is None else gzip):
        compression = 2
    if compression is not None:
        kwargs["generic_options"] = [("grpc.default_compression_algorithm", compression),
                                     ("grpc.compression_enabled", 1)]
    return flight.FlightClient(url, **kwargs)


def probe(client: flight.FlightClient, timeout: float = 5.0) -> None:
    """`wait_for_available` as the SDK's connect() runs it; ConnectionError (cause attached) on a refusal."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            for _ in client.list_flights():
                pass
            return
        except flight.FlightUnavailableError as err:
            if time.monotonic() < deadline:
                time.sleep(0.025)
                continue
            raise ConnectionError(f"server unavailable: {err}") from err
        except NotImplementedError:
            return
        except Exception as err:  # noqa: BLE001 - the SDK turns every other failure into ConnectionError
            raise ConnectionError(f"connection refused by the server: {err}") from err


def connect(*, api_key: Optional[str] = FROM_ENV, timeout: float = 5.0, gzip: Optional[bool] = None,
            compression: Optional[int] = None, url: str = URL) -> flight.FlightClient:
    """MosaicoClient.connect(): one FlightClient, probed."""
    client = new_client(api_key=api_key, gzip=gzip, compression=compression, url=url)
    try:
        probe(client, timeout)
    except BaseException:
        client.close()
        raise
    return client


def cause_code(err: BaseException) -> str:
    """The gRPC code behind a ConnectionError raised by connect() (or behind any pyarrow error)."""
    return grpc_code(err.__cause__) if isinstance(err, ConnectionError) and err.__cause__ else grpc_code(err)


# ---------------------------------------------------------------------------------------------
# Locators (2.3, 2.4)

def unpack(locator: str) -> Optional[tuple[str, str]]:
    """The SDK's split of a received locator: (sequence, relative topic name) or None if not a topic."""
    parts = locator.strip("/").split("/")
    if len(parts) < 2:
        return None
    return parts[0], "/" + "/".join(parts[1:])


def topic_locator(sequence: str, topic: str) -> str:
    """What the SDK sends for a topic: Path(seq without leading /) / Path(topic without leading /)."""
    return str(PurePosixPath(sequence.lstrip("/")) / PurePosixPath(topic.lstrip("/")))


def info_sequence_locator(sequence: str) -> str:
    return sequence.strip("/")


def info_topic_locator(sequence: str, topic: str) -> str:
    return str(PurePosixPath(sequence.strip("/")) / PurePosixPath(topic.strip("/")))


def could_be_locator(ticket: bytes) -> bool:
    """Whether bytes would pass as a plain 0.1.0 locator (2.1): a 2026 ticket must not (section 15)."""
    try:
        text = ticket.decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.strip().lstrip("/")
    return (bool(text) and text.isascii() and text.isprintable()
            and not any(c in FORBIDDEN_LOCATOR_CHARS for c in text) and ":" not in text)


# ---------------------------------------------------------------------------------------------
# Actions (3, 4)

NULL_ACTIONS = {
    "sequence_create", "sequence_delete", "session_finalize", "session_delete", "topic_delete",
    "sequence_notification_create", "topic_notification_create", "sequence_notification_purge",
    "topic_notification_purge", "api_key_revoke",
}
RESPONSE_KEYS = {
    "session_create": {"uuid"},
    "topic_create": {"uuid"},
    "sequence_notification_list": {"notifications"},
    "topic_notification_list": {"notifications"},
    "query": {"items"},
    "api_key_create": {"api_key_token"},
    "api_key_status": {"api_key_fingerprint", "description", "created_at_ns", "expires_at_ns"},
    "version": {"version", "semver"},
}


def check_type(what: str, value: Any, typ, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        raise ProtocolViolation(f"{what}: expected {typ.__name__}{' or null' if nullable else ''}, got {value!r}")


def check_keys(what: str, obj: Any, keys: set) -> dict:
    if not isinstance(obj, dict) or set(obj) != keys:
        raise ProtocolViolation(f"{what}: expected an object with exactly {sorted(keys)}, got {obj!r}")
    return obj


def decode_result(name: str, results: list[bytes]) -> Any:
    """The one Result of an action, checked: None for null/empty actions, else the `response` object."""
    if len(results) != 1:
        raise ProtocolViolation(f"{name}: expected exactly one Result, got {results!r}")
    try:
        obj = json.loads(results[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolViolation(f"{name}: Result body is not UTF-8 JSON: {results[0]!r}") from err
    if name in NULL_ACTIONS:
        if obj in ({"action": "empty"}, {"action": name, "response": None}):
            return None
        raise ProtocolViolation(f'{name}: expected {{"action":"{name}","response":null}} or '
                                f'{{"action":"empty"}}, got {obj!r}')
    if not isinstance(obj, dict) or set(obj) != {"action", "response"} or obj["action"] != name:
        raise ProtocolViolation(f'{name}: expected {{"action":"{name}","response":{{...}}}}, got {obj!r}')
    return check_keys(f"{name} response", obj["response"], RESPONSE_KEYS[name])


def action_results(client: flight.FlightClient, name: str, body: bytes) -> list[bytes]:
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, body))]


@dataclass
class Notification:
    name: str
    notification_type: str
    msg: str
    created_datetime: str

    @property
    def created(self) -> datetime:
        """As the SDK reads it: a trailing ' UTC' becomes '+00:00', then datetime.fromisoformat."""
        return datetime.fromisoformat(self.created_datetime[:-len(" UTC")] + "+00:00")


@dataclass
class QueryTopic:
    locator: str
    timestamp_range: Optional[tuple[int, int]]


@dataclass
class QueryItem:
    sequence: str
    topics: list  # of QueryTopic

    @property
    def locators(self) -> list[str]:
        return sorted(t.locator for t in self.topics)


def parse_query_items(resp: dict) -> list[QueryItem]:
    """`{"items": [{"sequence", "topics": [{"locator", "timestamp_range"?}]}]}` (9.6), strictly."""
    items = resp["items"]
    check_type("query items", items, list)
    out = []
    for item in items:
        check_keys("query item", item, {"sequence", "topics"})
        check_type("query item sequence", item["sequence"], str)
        check_type("query item topics", item["topics"], list)
        topics = []
        for t in item["topics"]:
            # the SDK reads `locator` and `timestamp_range` and ignores any other key (3, 9.6)
            if not isinstance(t, dict) or "locator" not in t:
                raise ProtocolViolation(f"query topic must be {{locator[, timestamp_range]}}: {t!r}")
            check_type("query topic locator", t["locator"], str)
            split = unpack(t["locator"])
            if split is None or split[0] != item["sequence"] or t["locator"].startswith("/"):
                raise ProtocolViolation(f"query topic locator {t['locator']!r} is not <{item['sequence']}>/<rest>")
            rng = t.get("timestamp_range")
            if rng is not None:
                if not isinstance(rng, list) or len(rng) != 2:
                    raise ProtocolViolation(f"timestamp_range must be [start_ns, end_ns]: {rng!r}")
                for v in rng:
                    check_type("timestamp_range bound", v, int)
                rng = (rng[0], rng[1])
            topics.append(QueryTopic(t["locator"], rng))
        if len({t.locator for t in topics}) != len(topics):
            raise ProtocolViolation(f"query item lists a topic twice: {item!r}")
        out.append(QueryItem(item["sequence"], topics))
    if len({i.sequence for i in out}) != len(out):
        raise ProtocolViolation(f"query lists a sequence twice: {items!r}")
    return out


# ---------------------------------------------------------------------------------------------
# GetFlightInfo (7.2, 8)

@dataclass
class Manifest:
    created_at_ns: int
    completed_at_ns: Optional[int]
    locked: bool
    resource_locator: str
    info: Optional[dict]  # {"chunks_number", "total_bytes", "timestamp": {"start_ns", "end_ns"} | None}

    @property
    def chunks_number(self) -> Optional[int]:
        return None if self.info is None else self.info["chunks_number"]

    @property
    def total_bytes(self) -> Optional[int]:
        return None if self.info is None else self.info["total_bytes"]

    @property
    def timestamp(self) -> Optional[tuple[int, int]]:
        ts = None if self.info is None else self.info["timestamp"]
        return None if ts is None else (ts["start_ns"], ts["end_ns"])

    @property
    def sdk_usable(self) -> bool:
        """7.2 "How the SDK reads it": otherwise the SDK skips the endpoint."""
        return self.info is not None


def parse_manifest(raw: bytes) -> Manifest:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolViolation(f"endpoint app_metadata is not UTF-8 JSON: {raw!r}") from err
    check_keys("topic manifest", obj, {"created_at_ns", "completed_at_ns", "locked", "resource_locator", "info"})
    check_type("manifest created_at_ns", obj["created_at_ns"], int)
    check_type("manifest completed_at_ns", obj["completed_at_ns"], int, nullable=True)
    check_type("manifest locked", obj["locked"], bool)
    check_type("manifest resource_locator", obj["resource_locator"], str)
    if obj["locked"] != (obj["completed_at_ns"] is not None):
        raise ProtocolViolation(f"manifest: locked must equal 'completed_at_ns is set': {obj!r}")
    if unpack(obj["resource_locator"]) is None or obj["resource_locator"].startswith("/"):
        raise ProtocolViolation(f"manifest resource_locator is not a full topic locator: {obj!r}")
    info = obj["info"]
    if info is not None:
        check_keys("manifest info", info, {"chunks_number", "total_bytes", "timestamp"})
        check_type("info chunks_number", info["chunks_number"], int)
        check_type("info total_bytes", info["total_bytes"], int)
        ts = info["timestamp"]
        if ts is not None:
            check_keys("info timestamp", ts, {"start_ns", "end_ns"})
            check_type("timestamp start_ns", ts["start_ns"], int)
            check_type("timestamp end_ns", ts["end_ns"], int)
            if ts["start_ns"] > ts["end_ns"]:
                raise ProtocolViolation(f"info timestamp start after end: {info!r}")
        if (info["chunks_number"] == 0) != (ts is None) or info["chunks_number"] < 0 or info["total_bytes"] < 0:
            raise ProtocolViolation(f"info: chunks_number 0 exactly when there are no rows: {info!r}")
    return Manifest(obj["created_at_ns"], obj["completed_at_ns"], obj["locked"], obj["resource_locator"], info)


@dataclass
class Endpoint:
    ticket: bytes
    manifest: Manifest


@dataclass
class SessionView:
    uuid: str
    created_at_ns: int
    completed_at_ns: Optional[int]
    locked: bool
    topics: list  # full locators


@dataclass
class SequenceView:
    info: flight.FlightInfo
    locator: str
    created_at_ns: int
    user_metadata: dict
    sessions: list  # of SessionView
    endpoints: list  # of Endpoint

    # what the SDK derives (7.2)
    @property
    def topics(self) -> list[str]:
        return sorted(unpack(t)[1] for s in self.sessions for t in s.topics)

    @property
    def created_timestamp(self) -> int:
        return self.created_at_ns

    @property
    def updated_timestamps(self) -> list[int]:
        return [s.created_at_ns for s in self.sessions]

    @property
    def usable_endpoints(self) -> list:
        return [e for e in self.endpoints if e.manifest.sdk_usable]

    @property
    def total_size_bytes(self) -> int:
        return sum(e.manifest.total_bytes for e in self.usable_endpoints)

    @property
    def timestamp_ns_min(self) -> Optional[int]:
        starts = [e.manifest.timestamp[0] for e in self.usable_endpoints if e.manifest.timestamp]
        return min(starts) if starts else None

    @property
    def timestamp_ns_max(self) -> Optional[int]:
        ends = [e.manifest.timestamp[1] for e in self.usable_endpoints if e.manifest.timestamp]
        return max(ends) if ends else None

    def session(self, session_uuid: str) -> SessionView:
        [s] = [s for s in self.sessions if s.uuid == session_uuid]
        return s

    def endpoint(self, locator: str) -> Endpoint:
        [e] = [e for e in self.endpoints if e.manifest.resource_locator == locator]
        return e

    def comparable(self) -> dict:
        """Everything but the tickets, order-free (endpoint and session order are unspecified)."""
        return {
            "locator": self.locator, "created_at_ns": self.created_at_ns, "user_metadata": self.user_metadata,
            "sessions": sorted((s.uuid, s.created_at_ns, s.completed_at_ns, s.locked, tuple(sorted(s.topics)))
                               for s in self.sessions),
            "manifests": sorted(json.dumps(e.manifest.__dict__, sort_keys=True) for e in self.endpoints),
            "derived": (self.topics, self.updated_timestamps and sorted(self.updated_timestamps),
                        self.total_size_bytes, self.timestamp_ns_min, self.timestamp_ns_max),
        }


@dataclass
class TopicView:
    info: flight.FlightInfo
    endpoint: Endpoint
    schema: pa.Schema
    metadata: dict  # decoded schema metadata

    @property
    def manifest(self) -> Manifest:
        return self.endpoint.manifest

    @property
    def ticket(self) -> bytes:
        return self.endpoint.ticket

    @property
    def ontology_tag(self) -> str:
        return self.metadata["mosaico:properties"]["ontology_tag"]

    @property
    def serialization_format(self) -> str:
        return self.metadata["mosaico:properties"]["serialization_format"]

    @property
    def user_metadata(self) -> dict:
        return self.metadata["mosaico:user_metadata"]


def info_command(locator: str, start: Optional[int] = None, end: Optional[int] = None) -> bytes:
    body: dict[str, Any] = {"resource_locator": locator}
    if start is not None:
        body["timestamp_ns_start"] = start
    if end is not None:
        body["timestamp_ns_end"] = end
    return json.dumps(body).encode("utf-8")


def _check_common(info: flight.FlightInfo, command: bytes) -> None:
    d = info.descriptor
    if d.descriptor_type != flight.DescriptorType.CMD or d.command != command:
        raise ProtocolViolation(f"FlightInfo descriptor must echo the CMD {command!r}: {d!r}")
    if (info.total_records, info.total_bytes, info.ordered) != (-1, -1, False):
        raise ProtocolViolation(
            f"total_records/total_bytes -1 and ordered false: {info.total_records, info.total_bytes, info.ordered}")
    for e in info.endpoints:
        if e.locations or e.expiration_time is not None or not e.ticket.ticket:
            raise ProtocolViolation(f"endpoint: a ticket, no locations, no expiration: {e!r}")


def _schema_metadata(schema: Optional[pa.Schema], keys: set, context: str) -> dict:
    if schema is None:
        raise ProtocolViolation("FlightInfo without a schema")
    raw = set(schema.metadata or {})
    if raw != {k.encode() for k in keys}:
        raise ProtocolViolation(f"schema metadata keys must be exactly {sorted(keys)}: {sorted(raw)}")
    meta = decode_metadata(schema)
    if meta["mosaico:context"] != context:
        raise ProtocolViolation(f"mosaico:context must be {context!r}: {meta['mosaico:context']!r}")
    if not isinstance(meta["mosaico:user_metadata"], dict):
        raise ProtocolViolation(f"mosaico:user_metadata must be a JSON object: {meta!r}")
    if "mosaico:properties" in keys:
        props = meta["mosaico:properties"]
        check_keys("mosaico:properties", props, {"ontology_tag", "serialization_format"})
        if props["serialization_format"] not in ("default", "ragged", "image"):
            raise ProtocolViolation(f"serialization_format: {props!r}")
        check_type("ontology_tag", props["ontology_tag"], str)
    return meta


def parse_sequence_info(info: flight.FlightInfo, command: bytes, locator: str) -> SequenceView:
    _check_common(info, command)
    if len(info.schema) != 0:
        raise ProtocolViolation(f"a sequence FlightInfo schema has no fields: {info.schema}")
    meta = _schema_metadata(info.schema, {"mosaico:context", "mosaico:user_metadata"}, "sequence")
    try:
        app = json.loads(info.app_metadata.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolViolation(f"sequence app_metadata is not UTF-8 JSON: {info.app_metadata!r}") from err
    check_keys("sequence app_metadata", app, {"created_at_ns", "resource_locator", "sessions"})
    check_type("sequence created_at_ns", app["created_at_ns"], int)
    if app["resource_locator"] != locator:
        raise ProtocolViolation(f"sequence resource_locator {app['resource_locator']!r} != {locator!r}")
    check_type("sessions", app["sessions"], list)
    sessions = []
    for s in app["sessions"]:
        check_keys("session", s, {"uuid", "created_at_ns", "completed_at_ns", "locked", "topics"})
        check_type("session uuid", s["uuid"], str)
        if not UUID_RE.match(s["uuid"]):
            raise ProtocolViolation(f"session uuid is not a lowercase uuid v4: {s['uuid']!r}")
        check_type("session created_at_ns", s["created_at_ns"], int)
        check_type("session completed_at_ns", s["completed_at_ns"], int, nullable=True)
        check_type("session locked", s["locked"], bool)
        if s["locked"] != (s["completed_at_ns"] is not None):
            raise ProtocolViolation(f"session: locked must equal 'completed_at_ns is set': {s!r}")
        check_type("session topics", s["topics"], list)
        for t in s["topics"]:
            check_type("session topic", t, str)
            split = unpack(t)
            if split is None or split[0] != locator or t.startswith("/") or t.endswith("/"):
                raise ProtocolViolation(f"session topic {t!r} is not a full locator under {locator!r}")
        sessions.append(SessionView(s["uuid"], s["created_at_ns"], s["completed_at_ns"], s["locked"], s["topics"]))
    if len({s.uuid for s in sessions}) != len(sessions):
        raise ProtocolViolation(f"a session is listed twice: {app!r}")
    endpoints = [Endpoint(e.ticket.ticket, parse_manifest(e.app_metadata)) for e in info.endpoints]
    listed = sorted(t for s in sessions for t in s.topics)
    served = sorted(e.manifest.resource_locator for e in endpoints)
    if listed != served:
        raise ProtocolViolation(f"one endpoint per topic of every session: sessions list {listed}, endpoints {served}")
    return SequenceView(info, locator, app["created_at_ns"], meta["mosaico:user_metadata"], sessions, endpoints)


def parse_topic_info(info: flight.FlightInfo, command: bytes, locator: str) -> TopicView:
    _check_common(info, command)
    if info.app_metadata:
        raise ProtocolViolation(f"a topic FlightInfo has no FlightInfo-level app_metadata: {info.app_metadata!r}")
    if len(info.endpoints) != 1:
        raise ProtocolViolation(f"a topic FlightInfo has exactly one endpoint: {info.endpoints!r}")
    meta = _schema_metadata(info.schema, {"mosaico:context", "mosaico:properties", "mosaico:user_metadata"}, "topic")
    e = info.endpoints[0]
    endpoint = Endpoint(e.ticket.ticket, parse_manifest(e.app_metadata))
    if endpoint.manifest.resource_locator != locator:
        raise ProtocolViolation(
            f"topic manifest resource_locator {endpoint.manifest.resource_locator!r} != {locator!r}")
    return TopicView(info, endpoint, info.schema, meta)


def check_stream_metadata(stream: TopicStream) -> dict:
    """DoGet schema (7.4): the three topic keys on the stream's own schema, and a timestamp_ns column."""
    meta = _schema_metadata(stream.schema, {"mosaico:context", "mosaico:properties", "mosaico:user_metadata"}, "topic")
    if stream.schema.get_field_index("timestamp_ns") < 0:
        raise ProtocolViolation(f"DoGet schema without timestamp_ns: {stream.schema}")
    return meta


# ---------------------------------------------------------------------------------------------
# The client

class Mosaico2026:
    """A 0.4.0 SDK client: one connection, every call checked against the documented shapes."""

    def __init__(self, client: Optional[flight.FlightClient] = None) -> None:
        self.client = client or connect()

    def close(self) -> None:
        self.client.close()

    def raw_action(self, name: str, body: Any) -> list[bytes]:
        return action_results(self.client, name, body if isinstance(body, bytes) else json.dumps(body).encode())

    def action(self, name: str, body: dict) -> Any:
        return decode_result(name, self.raw_action(name, body))

    # --- sequences, sessions, topics
    def sequence_create(self, locator: str, user_metadata: Any = None) -> None:
        self.action("sequence_create", {"locator": locator,
                                        "user_metadata": {} if user_metadata is None else user_metadata})

    def sequence_delete(self, locator: str) -> None:
        self.action("sequence_delete", {"locator": locator})

    def _uuid(self, name: str, body: dict) -> str:
        value = self.action(name, body)["uuid"]
        check_type(f"{name} uuid", value, str)
        if not UUID_RE.match(value):
            raise ProtocolViolation(f"{name}: uuid must be a lowercase hyphenated uuid v4: {value!r}")
        return value

    def session_create(self, locator: str) -> str:
        return self._uuid("session_create", {"locator": locator})

    def session_finalize(self, session_uuid: str) -> None:
        self.action("session_finalize", {"session_uuid": session_uuid})

    def session_delete(self, session_uuid: str) -> None:
        self.action("session_delete", {"session_uuid": session_uuid})

    def topic_create(self, locator: str, session_uuid: str, *, ontology_tag: str = "imu",
                     serialization_format: str = "default", user_metadata: Any = None) -> str:
        return self._uuid("topic_create", {
            "locator": locator, "session_uuid": session_uuid, "serialization_format": serialization_format,
            "ontology_tag": ontology_tag, "user_metadata": {} if user_metadata is None else user_metadata})

    def topic_delete(self, locator: str) -> None:
        self.action("topic_delete", {"locator": locator})

    # --- notifications ("sequence" or "topic")
    def notification_create(self, kind: str, locator: str, msg: str, notification_type: str = "error") -> None:
        self.action(f"{kind}_notification_create",
                    {"locator": locator, "notification_type": notification_type, "msg": msg})

    def notification_list(self, kind: str, locator: str) -> list[Notification]:
        resp = self.action(f"{kind}_notification_list", {"locator": locator})
        check_type("notifications", resp["notifications"], list)
        out = []
        for item in resp["notifications"]:
            check_keys("notification", item, {"name", "notification_type", "msg", "created_datetime"})
            for k, v in item.items():
                check_type(f"notification {k}", v, str)
            if not NOTIFICATION_DATETIME_RE.match(item["created_datetime"]):
                raise ProtocolViolation(f"created_datetime is not ISO-like with ' UTC': {item!r}")
            n = Notification(**item)
            n.created  # noqa: B018 - parses as the SDK does, or raises
            out.append(n)
        return out

    def notification_purge(self, kind: str, locator: str) -> None:
        self.action(f"{kind}_notification_purge", {"locator": locator})

    # --- query, keys, version
    def query(self, body: dict) -> list[QueryItem]:
        return parse_query_items(self.action("query", body))

    def api_key_create(self, permissions: str, description: str = "", expires_at_ns: Optional[int] = None) -> str:
        body: dict[str, Any] = {"permissions": permissions, "description": description}
        if expires_at_ns is not None:
            body["expires_at_ns"] = expires_at_ns
        token = self.action("api_key_create", body)["api_key_token"]
        check_type("api_key_token", token, str)
        if not TOKEN_RE.match(token):
            raise ProtocolViolation(f"api_key_token is not msco_<32 [a-z0-9]>_<8 hex>: {token!r}")
        return token

    def api_key_status(self, fingerprint: str) -> dict:
        resp = self.action("api_key_status", {"api_key_fingerprint": fingerprint})
        check_type("api_key_fingerprint", resp["api_key_fingerprint"], str)
        check_type("description", resp["description"], str)
        check_type("created_at_ns", resp["created_at_ns"], int)
        check_type("expires_at_ns", resp["expires_at_ns"], int, nullable=True)
        return resp

    def api_key_revoke(self, fingerprint: str) -> None:
        self.action("api_key_revoke", {"api_key_fingerprint": fingerprint})

    def version(self) -> dict:
        resp = self.action("version", {})
        check_type("version", resp["version"], str)
        semver = check_keys("semver", resp["semver"], {"major", "minor", "patch", "pre"})
        for k in ("major", "minor", "patch"):
            check_type(f"semver {k}", semver[k], int)
        check_type("semver pre", semver["pre"], str)
        return resp

    # --- reads
    def list_sequences(self) -> list[str]:
        """client.list_sequences(): every path element of every listed descriptor."""
        return [p.decode("utf-8") for info in self.client.list_flights() for p in info.descriptor.path]

    def sequence_info(self, sequence: str, start: Optional[int] = None, end: Optional[int] = None) -> SequenceView:
        locator = info_sequence_locator(sequence)
        command = info_command(locator, start, end)
        info = self.client.get_flight_info(flight.FlightDescriptor.for_command(command))
        return parse_sequence_info(info, command, locator)

    def topic_info(self, sequence: str, topic: str, start: Optional[int] = None,
                   end: Optional[int] = None) -> TopicView:
        locator = info_topic_locator(sequence, topic)
        command = info_command(locator, start, end)
        info = self.client.get_flight_info(flight.FlightDescriptor.for_command(command))
        return parse_topic_info(info, command, locator)

    def read(self, ticket: bytes) -> TopicStream:
        stream = read_stream(self.client, ticket)
        check_stream_metadata(stream)
        return stream

    def read_topic(self, sequence: str, topic: str, start: Optional[int] = None,
                   end: Optional[int] = None) -> TopicStream:
        return self.read(self.topic_info(sequence, topic, start, end).ticket)

    def read_sequence(self, sequence: str, start: Optional[int] = None, end: Optional[int] = None,
                      topics: Optional[list] = None) -> list[tuple[str, dict]]:
        """The sequence streamer: one DoGet per endpoint with a time range (in `topics` if given), all
        opened at once, merged by timestamp_ns. Returns (relative topic, row) pairs."""
        view = self.sequence_info(sequence, start, end)
        chosen = [e for e in view.usable_endpoints if e.manifest.timestamp is not None
                  and (topics is None or unpack(e.manifest.resource_locator)[1] in topics)]
        if not chosen:
            raise RuntimeError("the sequence might contain no data")  # client-side, as the SDK
        readers = [(unpack(e.manifest.resource_locator)[1], self.client.do_get(flight.Ticket(e.ticket)))
                   for e in chosen]
        merged = []
        for rel, reader in readers:
            merged += [(rel, row) for row in reader.read_all().to_pylist()]
        merged.sort(key=lambda p: p[1]["timestamp_ns"])
        return merged


# ---------------------------------------------------------------------------------------------
# DoPut and the writers (5, 6)

MAX_BATCH_BYTES = 10 * 1024 * 1024


def put_command(locator: str, topic_uuid: str) -> bytes:
    return json.dumps({"resource_locator": locator, "topic_uuid": topic_uuid}).encode("utf-8")


def upload(client: flight.FlightClient, locator: str, topic_uuid: str, schema: pa.Schema, batches=()) -> None:
    """One topic stream: open with the schema, every batch, half-close, wait for the final status."""
    writer, _ = client.do_put(flight.FlightDescriptor.for_command(put_command(locator, topic_uuid)), schema)
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


def upload_error(client: flight.FlightClient, locator: str, topic_uuid: str, schema: pa.Schema,
                 batches=(), *, command: Optional[bytes] = None) -> Optional[BaseException]:
    """Like `upload`, but returns the failure (None on success), preferring the one naming a gRPC status."""
    cmd = command if command is not None else put_command(locator, topic_uuid)
    try:
        writer, _ = client.do_put(flight.FlightDescriptor.for_command(cmd), schema)
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


class TopicWriter:
    """A topic stream opened at topic_create time; records buffered and flushed at 10 MiB (13).
    As a context manager it applies the topic-level error policy (5.3): raise, finalize or ignore."""

    def __init__(self, m: Mosaico2026, locator: str, topic_uuid: str, schema: pa.Schema,
                 on_error: str = "raise") -> None:
        self.m, self.locator, self.uuid, self.schema, self.on_error = m, locator, topic_uuid, schema, on_error
        self.buffer: list = []
        self.buffered_bytes = 0
        self.open = True
        self.writer, _ = m.client.do_put(flight.FlightDescriptor.for_command(put_command(locator, topic_uuid)),
                                         schema)

    def push(self, row: dict) -> None:
        if not self.open:
            raise RuntimeError(f"topic writer {self.locator} is closed")
        size = batch_of([row], self.schema).nbytes
        if self.buffer and self.buffered_bytes + size > MAX_BATCH_BYTES:
            self.flush()
        self.buffer.append(row)
        self.buffered_bytes += size

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if not self.open:
            raise RuntimeError(f"topic writer {self.locator} is closed")
        self.writer.write_batch(batch)

    def flush(self) -> None:
        if self.buffer:
            self.writer.write_batch(batch_of(self.buffer, self.schema))
        self.buffer, self.buffered_bytes = [], 0

    def close(self, flush: bool = True) -> None:
        """Flush (unless told not to), half-close, wait for the server's final status."""
        if not self.open:
            return
        self.open = False
        try:
            if flush:
                self.flush()
            self.buffer = []
            self.writer.done_writing()
        except BaseException:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001
                pass
            raise
        self.writer.close()

    def __enter__(self) -> "TopicWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or self.on_error == "raise":
            return False
        self.m.notification_create("topic", self.locator, str(exc))
        if self.on_error == "finalize":
            self.close(flush=False)
        return True


class SequenceWriter:
    """`with client.sequence_create(name, metadata, on_error=...)` (5.2, 5.4); `updater=True` is
    `with handler.update(on_error=...)`: no sequence_create, and Delete removes only the session."""

    def __init__(self, m: Mosaico2026, name: str, user_metadata: Any = None, *, on_error: str = "report",
                 updater: bool = False) -> None:
        self.m, self.name, self.user_metadata, self.on_error, self.updater = m, name, user_metadata, on_error, updater
        self.session_uuid: Optional[str] = None
        self.topics: list[TopicWriter] = []
        self.last_error: Optional[BaseException] = None

    def __enter__(self) -> "SequenceWriter":
        if not self.updater:
            self.m.sequence_create(self.name, {} if self.user_metadata is None else self.user_metadata)
        self.session_uuid = self.m.session_create(self.name)
        return self

    def topic_create(self, name: str, schema: pa.Schema, *, ontology_tag: str = "imu",
                     serialization_format: str = "default", user_metadata: Any = None,
                     on_error: str = "raise") -> Optional[TopicWriter]:
        """None on failure, as the SDK (the error is kept in `last_error`)."""
        locator = topic_locator(self.name, name)
        try:
            topic_uuid = self.m.topic_create(locator, self.session_uuid, ontology_tag=ontology_tag,
                                             serialization_format=serialization_format, user_metadata=user_metadata)
        except ProtocolViolation:
            raise
        except Exception as err:  # noqa: BLE001
            self.last_error = err
            return None
        writer = TopicWriter(self.m, locator, topic_uuid, schema, on_error)
        self.topics.append(writer)
        return writer

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            try:
                for writer in self.topics:
                    writer.close()
                self.m.session_finalize(self.session_uuid)
                return False
            except ProtocolViolation:
                raise
            except Exception as err:  # noqa: BLE001
                self._on_error(err, block_raised=False)
                raise
        if isinstance(exc, ProtocolViolation):
            return False
        self._on_error(exc, block_raised=True)
        return False

    def _on_error(self, err: BaseException, *, block_raised: bool) -> None:
        for writer in self.topics:
            if writer.open:
                try:
                    self.m.notification_create("topic", writer.locator, str(err))
                except Exception:  # noqa: BLE001 - best effort, as the SDK
                    pass
                try:
                    writer.close(flush=False)
                except Exception:  # noqa: BLE001
                    pass
        if self.on_error == "report":
            msg = (f"Error in session '{self.session_uuid}' of sequence '{self.name}', the session was finalized."
                   f"\nInner err: '{err}'")
            try:
                self.m.notification_create("sequence", self.name, msg)
                self.m.session_finalize(self.session_uuid)
            except ProtocolViolation:
                raise
            except Exception as final_err:  # noqa: BLE001 - logged by the SDK; the original is re-raised
                self.last_error = final_err
                if not block_raised:
                    raise final_err
            return
        try:
            self.m.session_delete(self.session_uuid)
            if not self.updater and block_raised:
                self.m.sequence_delete(self.name)
        except ProtocolViolation:
            raise
        except Exception as del_err:  # noqa: BLE001
            self.last_error = del_err
            raise Exception(f"Delete policy failed for sequence '{self.name}': {del_err}") from del_err


def SequenceUpdater(m: Mosaico2026, name: str, *, on_error: str = "report") -> SequenceWriter:  # noqa: N802
    return SequenceWriter(m, name, on_error=on_error, updater=True)


# ---------------------------------------------------------------------------------------------
# The 2026 Arrow layout (6.4)

def _desc(text: str) -> dict:
    return {"description": text}


ENVELOPE = [
    pa.field("timestamp_ns", pa.int64(), nullable=False, metadata=_desc("Message timestamp (ns)")),
    pa.field("recording_timestamp_ns", pa.int64(), metadata=_desc("Recording timestamp (ns)")),
    pa.field("frame_id", pa.string(), metadata=_desc("Frame of reference")),
    pa.field("sequence_id", pa.uint32(), metadata=_desc("Middleware sequence number")),
]


def _vector(with_w: bool = False) -> pa.StructType:
    return pa.struct([
        pa.field("covariance", pa.list_(pa.float64()), metadata=_desc("row-major 3x3")),
        pa.field("covariance_type", pa.int16()),
        *[pa.field(c, pa.float64(), nullable=False, metadata=_desc(f"{c} component"))
          for c in ("x", "y", "z") + (("w",) if with_w else ())],
    ])


IMU2026_SCHEMA = pa.schema(ENVELOPE + [
    pa.field("acceleration", _vector(), nullable=False, metadata=_desc("Linear acceleration m/s²")),
    pa.field("angular_velocity", _vector(), nullable=False, metadata=_desc("Angular velocity rad/s")),
    pa.field("orientation", _vector(True), nullable=True, metadata=_desc("Orientation quaternion")),
])

GPS_STATUS = pa.struct([
    pa.field("status", pa.int8(), nullable=False),
    pa.field("service", pa.uint16(), nullable=False),
    pa.field("satellites", pa.int8()),
    pa.field("hdop", pa.float64()),
    pa.field("vdop", pa.float64()),
])

GPS2026_SCHEMA = pa.schema(ENVELOPE + [
    pa.field("position", _vector(), nullable=False, metadata=_desc("Position (lat, lon, alt)")),
    pa.field("velocity", _vector(), nullable=True, metadata=_desc("Velocity m/s")),
    pa.field("status", GPS_STATUS, nullable=True, metadata=_desc("Fix status")),
])

PRESSURE2026_SCHEMA = pa.schema(ENVELOPE + [
    pa.field("variance", pa.float64()),
    pa.field("variance_type", pa.int16()),
    pa.field("value", pa.float64(), nullable=False, metadata=_desc("Pressure (Pa)")),
])

IMAGE2026_SCHEMA = pa.schema(ENVELOPE + [
    pa.field("data", pa.binary()),
    pa.field("format", pa.string()),
    pa.field("encoding", pa.string()),
    pa.field("width", pa.int32()),
    pa.field("height", pa.int32()),
    pa.field("stride", pa.int32()),
    pa.field("is_bigendian", pa.bool_()),
])


def _envelope(rng: random.Random, i: int, ts: int) -> dict:
    k = rng.randrange(4)
    return {
        "timestamp_ns": ts,
        "recording_timestamp_ns": None if k == 0 else ts + rng.randrange(-10**9, 10**9),
        "frame_id": None if k == 1 else ("" if k == 2 else f"frame_{i}_ñ/€/😀"),
        "sequence_id": None if k == 3 else rng.randrange(2**32),
    }


def _vec(rng: random.Random, with_w: bool = False) -> dict:
    v: dict[str, Any] = {c: any_float(rng) for c in ("x", "y", "z") + (("w",) if with_w else ())}
    k = rng.randrange(4)
    v["covariance"] = None if k == 0 else ([] if k == 1 else [any_float(rng) for _ in range(9)])
    v["covariance_type"] = None if k == 2 else rng.randrange(-2**15, 2**15)
    return v


def imu2026_rows(n: int, *, seed: int = 1, t0: int = T0, step: int = 1_000_003, shuffle: bool = True) -> list:
    """n IMU rows with timestamps t0 + i*step (float64 values of every kind, NaN payloads included)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = _envelope(rng, i, t0 + i * step)
        row["acceleration"] = _vec(rng)
        row["angular_velocity"] = _vec(rng)
        row["orientation"] = None if i % 4 == 1 else _vec(rng, True)
        rows.append(row)
    if shuffle:
        rng.shuffle(rows)
    return rows


def gps2026_rows(n: int, *, seed: int = 2, t0: int = T0, step: int = 1_000_003, shuffle: bool = True) -> list:
    """n GPS rows; `status` is a null struct on every fifth row, `velocity` on every third."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = _envelope(rng, i, t0 + i * step)
        row["position"] = _vec(rng)
        row["velocity"] = None if i % 3 == 2 else _vec(rng)
        row["status"] = None if i % 5 == 4 else {
            "status": rng.randint(-128, 127), "service": rng.randint(0, 65535),
            "satellites": None if i % 7 == 3 else rng.randint(-128, 127),
            "hdop": any_float(rng), "vdop": None if i % 2 else any_float(rng)}
        rows.append(row)
    if shuffle:
        rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------------------------
# Test case base

class Mosaico2026TestCase(MosaicoTestCase):
    """One 2026 client per test class (the SDK's single connection); helpers for the common setups."""

    m: Mosaico2026  # type: ignore[assignment]

    @classmethod
    def setUpClass(cls) -> None:
        cls.m = Mosaico2026()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.m.close()

    def new_sequence(self, prefix: str = "s26", metadata: Any = None) -> str:  # type: ignore[override]
        name = unique(prefix)
        self.m.sequence_create(name, metadata if metadata is not None else {"test": self.id()})
        return name

    def new_session(self, prefix: str = "s26", metadata: Any = None) -> tuple[str, str]:
        name = self.new_sequence(prefix, metadata)
        return name, self.m.session_create(name)

    def put_topic(self, sequence: str, session_uuid: str, rel: str, schema: pa.Schema, rows: list, *,
                  batch_rows: int = 0, ontology_tag: str = "imu", serialization_format: str = "default",
                  user_metadata: Any = None) -> tuple[str, str]:
        """topic_create then one DoPut with `rows` (in batches of batch_rows, all at once if 0)."""
        locator = topic_locator(sequence, rel)
        topic_uuid = self.m.topic_create(locator, session_uuid, ontology_tag=ontology_tag,
                                         serialization_format=serialization_format, user_metadata=user_metadata)
        batches = batches_of(rows, schema, batch_rows or max(1, len(rows))) if rows else []
        upload(self.m.client, locator, topic_uuid, schema, batches)
        return locator, topic_uuid

    def assertStatusIn(self, codes: tuple, fn, *args, **kwargs) -> BaseException:
        """Calls fn, which must fail with one of the gRPC status `codes`."""
        try:
            result = fn(*args, **kwargs)
            if hasattr(result, "__next__"):
                result = list(result)
        except ProtocolViolation:
            raise
        except Exception as err:  # noqa: BLE001
            self.assertIn(grpc_code(err), codes, f"{type(err).__name__}: {err}")
            return err
        self.fail(f"expected one of {codes}, but the call succeeded with {result!r}")

    def assertNs(self, value: int, *, around: Optional[int] = None, slack_s: float = 600) -> None:
        """An epoch-ns integer (not ms, not s), near `around` (default now)."""
        self.assertIsInstance(value, int)
        self.assertNotIsInstance(value, bool)
        ref = now_ns() if around is None else around
        self.assertLess(abs(value - ref), int(slack_s * 1e9), f"{value} is not epoch ns near {ref}")

    def assertRows(self, stream: TopicStream, expected: list) -> None:
        self.assertSameRows(stream.rows, sorted_rows(expected))

    def assertFields(self, schema: pa.Schema, expected: pa.Schema) -> None:
        """Field names, order, types and nullability as uploaded (field metadata optional, 7.2)."""
        self.assertEqual([(f.name, f.type, f.nullable) for f in schema],
                         [(f.name, f.type, f.nullable) for f in expected], f"fields differ:\n{schema}")


def random_uuid() -> str:
    return str(uuid.uuid4())

"""What the Mosaico Python SDK 0.4.0 (the 2026 protocol, ../../shared/docs/mosaico-protocol-2026.md) does on
the wire, with pyarrow.flight only (the SDK is not installable here). The 0.1.0 model is _sdk.py, the
0.7.0 one _sdk07.py. This module holds the actions and the client; the rest of the 0.4.0 model is split
by job, and re-exported here for the test modules:

- _sdk2026_conn.py: one FlightClient per client (environment, API-key header, TLS, gzip), the ListFlights
  probe of `connect()` (1.3, 11, 12), locators (2.3, 2.4).
- Actions (3, 4), here: `Action(name, json.dumps(body))`; exactly one Result `{"action": <name>, "response":
  ...}` (null-result actions may answer `{"action":"empty"}`); `session_create`/`topic_create` answer exactly
  `{"uuid": ...}`; every response is checked against the documented key set (stricter than the SDK).
- _sdk2026_writer.py: the DoPut command `{"resource_locator", "topic_uuid"}`, uploads, and the writers
  with the SDK's error policies (5, 6).
- _sdk2026_info.py: GetFlightInfo CMD and the strict parsing of FlightInfo, manifests and schema
  metadata (7.2, 8); DoGet with the opaque ticket is `read_stream` of _common.py.
- _sdk2026_data.py: the 2026 envelope and IMU-, GPS-, pressure- and image-like schemas and rows (6.4).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _common import (  # noqa: F401 - several are re-exported for the test modules
    T0, URL, ClientModel, ProtocolViolation, TopicStream, action_results, any_float, batch_of, batches_of, canon, check_keys,
    check_type, decode_metadata, grpc_code, json_body, now_ns, read_stream, sorted_rows, unique,
)
from _sdk import MosaicoTestCase
from _sdk2026_conn import (  # noqa: F401 - re-exported
    API_KEY, TLS_CA, TOKEN_RE, UUID_RE, cause_code, connect, could_be_locator, info_sequence_locator,
    info_topic_locator, new_client, random_uuid, topic_locator, unpack,
)
from _sdk2026_data import (  # noqa: F401 - re-exported
    GPS2026_SCHEMA, IMAGE2026_SCHEMA, IMU2026_SCHEMA, PRESSURE2026_SCHEMA, gps2026_rows, imu2026_rows,
)
from _sdk2026_info import (  # noqa: F401 - re-exported
    SequenceView, TopicView, check_stream_metadata, info_command, parse_sequence_info, parse_topic_info,
)
from _sdk2026_writer import (  # noqa: F401 - re-exported
    SequenceUpdater, SequenceWriter, TopicWriter, put_command, upload, upload_error,
)

# 4.6: ISO-like, minutes at least, 3 or 6 fraction digits (Python 3.10's fromisoformat), then " UTC"
NOTIFICATION_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{3}|\.\d{6})?)? UTC$")


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


def decode_result(name: str, results: list[bytes], *, response_keys: Optional[dict] = None,
                  null_actions: Optional[set] = None) -> Any:
    """The one Result of an action, checked: None for null/empty actions, else the `response` object
    (its keys exactly `response_keys[name]`; by default the 0.4.0 tables above)."""
    response_keys = RESPONSE_KEYS if response_keys is None else response_keys
    null_actions = NULL_ACTIONS if null_actions is None else null_actions
    if len(results) != 1:
        raise ProtocolViolation(f"{name}: expected exactly one Result, got {results!r}")
    obj = json_body(f"{name}: Result body", results[0])
    if name in null_actions:
        if obj in ({"action": "empty"}, {"action": name, "response": None}):
            return None
        raise ProtocolViolation(f'{name}: expected {{"action":"{name}","response":null}} or '
                                f'{{"action":"empty"}}, got {obj!r}')
    if not isinstance(obj, dict) or set(obj) != {"action", "response"} or obj["action"] != name:
        raise ProtocolViolation(f'{name}: expected {{"action":"{name}","response":{{...}}}}, got {obj!r}')
    return check_keys(f"{name} response", obj["response"], response_keys[name])


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
    ontology_tag: Optional[str] = None  # always sent from 0.6 on (delta Q3)

    @property
    def name(self) -> str:
        """The relative topic name the SDK derives from the locator (`/front/imu`)."""
        return unpack(self.locator)[1]


@dataclass
class QueryItem:
    sequence: str
    topics: list  # of QueryTopic

    @property
    def locators(self) -> list[str]:
        return sorted(t.locator for t in self.topics)


def parse_query_items(resp: dict, *, tag_required: bool = False) -> list[QueryItem]:
    """`{"items": [{"sequence", "topics": [{"locator", "timestamp_range"?, "ontology_tag"?}]}]}` (9.6),
    strictly; `tag_required`: every topic carries its `ontology_tag` string (0.6 on, delta Q3)."""
    items = resp["items"]
    check_type("query items", items, list)
    out = []
    for item in items:
        check_keys("query item", item, {"sequence", "topics"})
        check_type("query item sequence", item["sequence"], str)
        check_type("query item topics", item["topics"], list)
        topics = []
        for t in item["topics"]:
            # the SDK reads `locator`, `timestamp_range` (0.4) or `ontology_tag` (0.6 on), no other key (3, 9.6)
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
            check_type("query topic ontology_tag", t.get("ontology_tag"), str, nullable=not tag_required)
            topics.append(QueryTopic(t["locator"], rng, t.get("ontology_tag")))
        if len({t.locator for t in topics}) != len(topics):
            raise ProtocolViolation(f"query item lists a topic twice: {item!r}")
        out.append(QueryItem(item["sequence"], topics))
    if len({i.sequence for i in out}) != len(out):
        raise ProtocolViolation(f"query lists a sequence twice: {items!r}")
    return out


# ---------------------------------------------------------------------------------------------
# The client

class Mosaico2026(ClientModel):
    """A 0.4.0 SDK client: one connection, every call checked against the documented shapes."""

    response_keys = RESPONSE_KEYS
    null_actions = NULL_ACTIONS
    connect = staticmethod(connect)

    def action(self, name: str, body: dict) -> Any:
        return decode_result(name, self.raw_action(name, body), response_keys=self.response_keys,
                             null_actions=self.null_actions)

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
# Test case base

class Mosaico2026TestCase(MosaicoTestCase):
    """One 2026 client per test class (the SDK's single connection); helpers for the common setups."""

    m: Mosaico2026  # type: ignore[assignment]
    client_class = Mosaico2026

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



"""What the Mosaico Python SDK 0.7.0 does on the wire (JSON protocol; ../../shared/docs/mosaico-protocol-0.7-delta.md
says what changed since 0.4.0, the model of which, _sdk2026.py, this one extends). pyarrow.flight only.

- Connection (A1, B1): the first call of every connection is DoAction `info` `{}`, retried every 25 ms on
  ANY error until the timeout, then ConnectionError. Its answer `{"version", "semver", "config"}` gives
  the decode limit `config.grpc_max_decode_message_size`; writes flush at 0.9 × that (B2), and a record
  alone above it is dropped and reported as a topic notification while the DoPut is open (A10).
- Actions (A6, A7): `session_create` answers `{"uuid", "locator": "<seq>:<ULID>"}`; `session_delete`
  sends `{"locator"}`; everything else as in 0.4 (A9). No `version`, no `api_key_*` (keys come from the
  daemon's CLI, K2): a 0.7 connection never sends them.
- Reads: GetFlightInfo reads the 0.7 manifests (B5, B6; _sdk07_info.py); GetSchema
  `client.get_schema(FlightDescriptor.for_command('{"resource_locator": "<seq>/<topic>"}'))` (B3); DoGet
  as before, without reading the `mosaico:` schema keys (B7).
- Query (Q1-Q7; builders in _sdk07_query.py): every answered topic carries `ontology_tag` (Q3).
- `topic_filter_clusterize` / `topic_filter_intersect` (A3, A4): one Result per cluster,
  `{"action": <name>, "response": {"id", "ts": {"start_ns", "end_ns"}}}`; no cluster, no Result.
- Data (B11): the envelope is `timestamp_ns` alone (_sdk07_data.py).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _common import ProtocolViolation, action_results, batch_of, check_keys, check_type, json_body, read_stream
from _sdk2026 import NULL_ACTIONS, RESPONSE_KEYS, Mosaico2026, Mosaico2026TestCase, decode_result, parse_query_items
from _sdk2026_conn import FROM_ENV, UUID_RE, info_sequence_locator, info_topic_locator, open_probed
from _sdk2026_info import info_command
from _sdk2026_writer import SequenceWriter, TopicWriter
from _sdk07_info import SESSION_LOCATOR_RE, parse_sequence_info07, parse_topic_info07

BATCH_FRACTION = 0.9  # B2: the SDK's flush threshold, as a fraction of the decode limit
INFO_KEYS = {"version", "semver", "config"}
CONFIG_KEYS = ("grpc_max_decode_message_size", "grpc_max_encode_message_size", "grpc_target_encode_message_size")
RESPONSE_KEYS_07 = {**RESPONSE_KEYS, "session_create": {"uuid", "locator"}, "info": INFO_KEYS}


@dataclass
class ServerInfo:
    version: str
    semver: dict
    config: dict

    @property
    def decode_limit(self) -> int:
        return self.config["grpc_max_decode_message_size"]

    @property
    def batch_limit(self) -> int:
        """The bytes a 0.7 writer puts in one batch at most (B2)."""
        return int(BATCH_FRACTION * self.decode_limit)


def parse_server_info(resp: dict) -> ServerInfo:
    """`info`'s response as `ServerInfo.from_dict` needs it (semver and config present, else KeyError)."""
    check_type("info version", resp["version"], str)
    semver = check_keys("info semver", resp["semver"], {"major", "minor", "patch", "pre"})
    for k in ("major", "minor", "patch"):
        check_type(f"semver {k}", semver[k], int)
    check_type("semver pre", semver["pre"], str, nullable=True)
    config = resp["config"]
    check_type("info config", config, dict)
    for k in CONFIG_KEYS:
        check_type(f"config {k}", config.get(k), int)
        if config[k] <= 0:
            raise ProtocolViolation(f"config {k} must be positive: {config!r}")
    return ServerInfo(resp["version"], semver, config)


def info_probe(client: flight.FlightClient, timeout: float = 5.0) -> ServerInfo:
    """The 0.7 connection probe (B1): `info` until it answers, every 25 ms on any error, then
    ConnectionError with the last failure attached. A malformed answer is a ProtocolViolation at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            results = action_results(client, "info", b"{}")
        except Exception as err:  # noqa: BLE001 - the SDK retries on every failure
            if time.monotonic() < deadline:
                time.sleep(0.025)
                continue
            raise ConnectionError(f"no answer to 'info' within {timeout} s: {err}") from err
        return parse_server_info(decode_result("info", results, response_keys=RESPONSE_KEYS_07))


@dataclass
class Session07:
    uuid: str  # the write token
    locator: str  # `<sequence>:<ULID>`, the public name


@dataclass
class Cluster:
    id: int
    start_ns: int
    end_ns: int

    @property
    def span(self) -> tuple[int, int]:
        return self.start_ns, self.end_ns


def parse_clusters(name: str, results: list[bytes]) -> list[Cluster]:
    """One Result per cluster (A3); `{"action":"empty"}` would make the SDK raise, so it is refused."""
    out = []
    for raw in results:
        obj = check_keys(f"{name} Result", json_body(f"{name} Result", raw), {"action", "response"})
        if obj["action"] != name:
            raise ProtocolViolation(f"{name}: a Result of another action: {obj!r}")
        resp = check_keys(f"{name} response", obj["response"], {"id", "ts"})
        ts = check_keys(f"{name} ts", resp["ts"], {"start_ns", "end_ns"})
        check_type(f"{name} id", resp["id"], int)
        for k in ("start_ns", "end_ns"):
            check_type(f"{name} ts.{k}", ts[k], int)
        if ts["start_ns"] > ts["end_ns"]:
            raise ProtocolViolation(f"{name}: a cluster ends before it starts: {obj!r}")
        out.append(Cluster(resp["id"], ts["start_ns"], ts["end_ns"]))
    return out


def cluster_params(locator: str, clustering_dt_ns: int = 0, ontology: Optional[dict] = None) -> dict:
    """One topic of an intersect request, as `_build_intersect_payload` writes it (no timestamp_range)."""
    return {"locator": locator, "clustering_dt_ns": clustering_dt_ns, "ontology": ontology or {}}


class Mosaico07(Mosaico2026):
    """A 0.7.0 SDK client: one connection whose first call is `info`, every call checked."""

    response_keys = RESPONSE_KEYS_07
    null_actions = NULL_ACTIONS

    def __init__(self, client: Optional[flight.FlightClient] = None, *, api_key: Optional[str] = FROM_ENV,
                 timeout: float = 5.0) -> None:
        if client is None:
            client, self.server_info = open_probed(info_probe, api_key=api_key, timeout=timeout)
        else:
            self.server_info = info_probe(client, timeout)
        self.client = client

    @property
    def batch_limit(self) -> int:
        return self.server_info.batch_limit

    def info(self) -> ServerInfo:
        return parse_server_info(self.action("info", {}))

    # --- sessions (A6, A7)
    def session_open(self, sequence: str) -> Session07:
        resp = self.action("session_create", {"locator": sequence})
        check_type("session_create uuid", resp["uuid"], str)
        check_type("session_create locator", resp["locator"], str)
        if not UUID_RE.match(resp["uuid"]):
            raise ProtocolViolation(f"session_create: uuid must be a lowercase hyphenated uuid v4: {resp!r}")
        m = SESSION_LOCATOR_RE.match(resp["locator"])
        if not m or m.group(1) != sequence:
            raise ProtocolViolation(f"session_create: locator must be {sequence}:<26-char ULID>: {resp!r}")
        return Session07(resp["uuid"], resp["locator"])

    def session_create(self, sequence: str) -> str:
        return self.session_open(sequence).uuid

    def session_delete(self, locator: str) -> None:  # type: ignore[override] - 0.7 names the session
        self.action("session_delete", {"locator": locator})

    # --- query and filters
    def query(self, body: dict) -> list:
        return parse_query_items(self.action("query", body), tag_required=True)

    def clusterize(self, locator: str, clustering_dt_ns: int = 0, ontology: Optional[dict] = None,
                   timestamp_range: Optional[tuple[int, int]] = None) -> list[Cluster]:
        """`QueryResponseItemTopic.clusterize()`: the body of `_build_clusterize_payload`."""
        body = {"locator": locator, "clustering_dt_ns": clustering_dt_ns, "ontology": ontology or {},
                "timestamp_range": None if timestamp_range is None else
                {"start_ns": timestamp_range[0], "end_ns": timestamp_range[1]}}
        return parse_clusters("topic_filter_clusterize", self.raw_action("topic_filter_clusterize", body))

    def intersect(self, topics: list, intersect_dt_ns: int = 0) -> list[Cluster]:
        """`...intersect()`: `topics` made with `cluster_params`."""
        body = {"topics": topics, "intersect_dt_ns": intersect_dt_ns}
        return parse_clusters("topic_filter_intersect", self.raw_action("topic_filter_intersect", body))

    # --- reads (B3, B5, B6)
    def sequence_info(self, sequence: str, start: Optional[int] = None, end: Optional[int] = None):
        locator = info_sequence_locator(sequence)
        command = info_command(locator, start, end)
        info = self.client.get_flight_info(flight.FlightDescriptor.for_command(command))
        return parse_sequence_info07(info, command, locator, windowed=start is not None or end is not None)

    def topic_info(self, sequence: str, topic: str, start: Optional[int] = None, end: Optional[int] = None):
        """The topic's endpoint: `.ticket` and `.manifest` (a Manifest07)."""
        locator = info_topic_locator(sequence, topic)
        command = info_command(locator, start, end)
        info = self.client.get_flight_info(flight.FlightDescriptor.for_command(command))
        return parse_topic_info07(info, command, locator, windowed=start is not None or end is not None)

    def get_schema(self, sequence: str, topic: str) -> pa.Schema:
        """`TopicHandler._get_schema`: a CMD descriptor with the JSON text of the topic locator."""
        command = json.dumps({"resource_locator": info_topic_locator(sequence, topic)})
        return self.client.get_schema(flight.FlightDescriptor.for_command(command)).schema

    def read(self, ticket: bytes):
        return read_stream(self.client, ticket)


# ---------------------------------------------------------------------------------------------
# Writers (B2, A10)

class TopicWriter07(TopicWriter):
    """Batches of at most 0.9 × the decode limit, measured as the SDK does (IPC size of each record); a
    record alone above it is dropped and reported with `topic_notification_create` on the open stream."""

    def __init__(self, m: Mosaico07, locator: str, topic_uuid: str, schema: pa.Schema, on_error: str = "raise") -> None:
        super().__init__(m, locator, topic_uuid, schema, on_error)
        self.max_batch_bytes = m.batch_limit
        self.dropped = 0

    def record_size(self, row: dict) -> int:
        return pa.ipc.get_record_batch_size(batch_of([row], self.schema))

    def push(self, row: dict) -> None:
        if self.open and self.record_size(row) > self.max_batch_bytes:
            self.dropped += 1
            self.m.notification_create("topic", self.locator, f"Record dropped for topic '{self.locator}': its "
                                       f"size alone exceeds the batch limit of {self.max_batch_bytes} bytes")
            return
        super().push(row)


class SequenceWriter07(SequenceWriter):
    """The 0.7 SequenceWriter: the session named by its locator, which the Delete policy uses (A7)."""

    topic_writer_class = TopicWriter07

    def _open_session(self) -> None:
        session = self.m.session_open(self.name)
        self.session_uuid, self.session_locator = session.uuid, session.locator

    def _delete_session(self) -> None:
        self.m.session_delete(self.session_locator)


def nested_fields(fields, prefix: str = ""):
    """(dotted path, nullable, field metadata) of every field and nested field: struct children, list
    and fixed-size-list items, map entries (what the SDK's schema-consistency test walks, and more)."""
    for f in fields:
        path = prefix + f.name
        yield path, f.nullable, {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        t = f.type
        if pa.types.is_struct(t):
            children = [t.field(i) for i in range(t.num_fields)]
        elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            children = [t.value_field]
        elif pa.types.is_map(t):
            children = [t.key_field, t.item_field]
        else:
            children = []
        yield from nested_fields(children, path + ".")


# ---------------------------------------------------------------------------------------------
# Test case base

class Mosaico07TestCase(Mosaico2026TestCase):
    """One 0.7 client per test class (its connection proved 0.7 by `info`)."""

    m: Mosaico07  # type: ignore[assignment]
    client_class = Mosaico07

    def open_session(self, prefix: str = "s07", metadata: Any = None) -> tuple[str, Session07]:
        """A new sequence and a session in it: (sequence, Session07)."""
        name = self.new_sequence(prefix, metadata)
        return name, self.m.session_open(name)

    def assertSchemaVerbatim(self, schema: pa.Schema, sent: pa.Schema) -> None:
        """B3, B4, B7: the schema as the DoPut sent it: names, order, types, nullability and metadata of
        every field at every depth, and the client's schema metadata; only `mosaico:` keys may be added."""
        self.assertTrue(schema.equals(sent, check_metadata=False), f"fields differ:\n{schema}\n--- sent ---\n{sent}")
        self.assertEqual(list(nested_fields(schema)), list(nested_fields(sent)), "field metadata")
        got, want = schema.metadata or {}, sent.metadata or {}
        self.assertEqual({k: v for k, v in got.items() if k in want}, dict(want), "client schema metadata")
        self.assertEqual([k for k in got if k not in want and not k.startswith(b"mosaico:")], [],
                         "schema metadata added beside the `mosaico:` keys")

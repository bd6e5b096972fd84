"""GetFlightInfo as the 0.4.0 SDK reads it (2026 protocol 7.2, 8): the CMD it sends, the sequence and
topic FlightInfo parsed strictly (exact keys, or the 0.4 keys plus the 0.7 ones a server sends to serve both
SDKs; ns integers; one endpoint per topic), the topic manifests
of the endpoints and what the SDK derives from them, and the `mosaico:` schema metadata of FlightInfo
and DoGet schemas. The 0.7.0 reading (B5, B6 of the delta doc) is in _sdk07_info.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _common import ProtocolViolation, TopicStream, check_keys, check_type, decode_metadata, json_body
from _sdk2026_conn import UUID_RE, unpack

# Keys a server adds for 0.6/0.7 clients beside the 0.4 ones (delta doc B5, B6, §6: the union of keys
# serves both; the 0.4 SDK reads the keys it knows and ignores the others).
MANIFEST_KEYS_07 = frozenset({"ontology_tag", "serialization_format", "user_metadata", "data_info", "time_window_info"})
SEQUENCE_KEYS_07 = frozenset({"user_metadata"})
SESSION_KEYS_07 = frozenset({"locator"})
# B8: the 0.6 SDK reads the message count (and range) from `mosaico:properties` of the DoGet schema; the
# 0.4 SDK tolerates extra keys there (2026 protocol 8)
PROPERTIES_KEYS_06 = frozenset({"msg_count", "interval"})

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
    obj = json_body("endpoint app_metadata", raw)
    check_keys("topic manifest", obj, {"created_at_ns", "completed_at_ns", "locked", "resource_locator", "info"},
               MANIFEST_KEYS_07)
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


def check_flight_info(info: flight.FlightInfo, command: bytes) -> None:
    """What every FlightInfo of a CMD descriptor shows (7.2): the CMD echoed, -1 counts, tickets only."""
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
        check_keys("mosaico:properties", props, {"ontology_tag", "serialization_format"}, PROPERTIES_KEYS_06)
        if props["serialization_format"] not in ("default", "ragged", "image"):
            raise ProtocolViolation(f"serialization_format: {props!r}")
        check_type("ontology_tag", props["ontology_tag"], str)
    return meta


def sequence_app(info: flight.FlightInfo, command: bytes, locator: str, keys: set,
                 optional: frozenset = frozenset()) -> dict:
    """The sequence FlightInfo's app_metadata (7.2, B6): its keys, `created_at_ns`, its own locator, a list
    of sessions."""
    check_flight_info(info, command)
    app = check_keys("sequence app_metadata", json_body("sequence app_metadata", info.app_metadata), keys, optional)
    check_type("sequence created_at_ns", app["created_at_ns"], int)
    if app["resource_locator"] != locator:
        raise ProtocolViolation(f"sequence resource_locator {app['resource_locator']!r} != {locator!r}")
    check_type("sessions", app["sessions"], list)
    return app


def check_session(s: dict, sequence: str) -> None:
    """What 0.4 and 0.7 read alike in a session: ns times, `locked` iff completed, full topic locators."""
    check_type("session created_at_ns", s["created_at_ns"], int)
    check_type("session completed_at_ns", s["completed_at_ns"], int, nullable=True)
    check_type("session locked", s["locked"], bool)
    if s["locked"] != (s["completed_at_ns"] is not None):
        raise ProtocolViolation(f"session: locked must equal 'completed_at_ns is set': {s!r}")
    check_type("session topics", s["topics"], list)
    for t in s["topics"]:
        check_type("session topic", t, str)
        split = unpack(t)
        if split is None or split[0] != sequence or t.startswith("/") or t.endswith("/"):
            raise ProtocolViolation(f"session topic {t!r} is not a full locator under {sequence!r}")


def sequence_endpoints(info: flight.FlightInfo, sessions: list, names: list, parse) -> list:
    """The endpoints (each manifest read by `parse`): sessions named once each (`names`), and exactly one
    endpoint per topic of every session."""
    if len(set(names)) != len(names):
        raise ProtocolViolation(f"a session is listed twice: {names!r}")
    endpoints = [Endpoint(e.ticket.ticket, parse(e.app_metadata)) for e in info.endpoints]
    listed = sorted(t for s in sessions for t in s.topics)
    served = sorted(e.manifest.resource_locator for e in endpoints)
    if listed != served:
        raise ProtocolViolation(f"one endpoint per topic of every session: sessions list {listed}, endpoints {served}")
    return endpoints


def topic_endpoint(info: flight.FlightInfo, command: bytes, locator: str, parse) -> Endpoint:
    """A topic FlightInfo's one endpoint, its manifest read by `parse` and naming the topic."""
    check_flight_info(info, command)
    if len(info.endpoints) != 1:
        raise ProtocolViolation(f"a topic FlightInfo has exactly one endpoint: {info.endpoints!r}")
    e = info.endpoints[0]
    endpoint = Endpoint(e.ticket.ticket, parse(e.app_metadata))
    if endpoint.manifest.resource_locator != locator:
        raise ProtocolViolation(
            f"topic manifest resource_locator {endpoint.manifest.resource_locator!r} != {locator!r}")
    return endpoint


def parse_sequence_info(info: flight.FlightInfo, command: bytes, locator: str) -> SequenceView:
    app = sequence_app(info, command, locator, {"created_at_ns", "resource_locator", "sessions"}, SEQUENCE_KEYS_07)
    if len(info.schema) != 0:
        raise ProtocolViolation(f"a sequence FlightInfo schema has no fields: {info.schema}")
    meta = _schema_metadata(info.schema, {"mosaico:context", "mosaico:user_metadata"}, "sequence")
    sessions = []
    for s in app["sessions"]:
        check_keys("session", s, {"uuid", "created_at_ns", "completed_at_ns", "locked", "topics"}, SESSION_KEYS_07)
        check_type("session uuid", s["uuid"], str)
        if not UUID_RE.match(s["uuid"]):
            raise ProtocolViolation(f"session uuid is not a lowercase uuid v4: {s['uuid']!r}")
        check_session(s, locator)
        sessions.append(SessionView(s["uuid"], s["created_at_ns"], s["completed_at_ns"], s["locked"], s["topics"]))
    endpoints = sequence_endpoints(info, sessions, [s.uuid for s in sessions], parse_manifest)
    return SequenceView(info, locator, app["created_at_ns"], meta["mosaico:user_metadata"], sessions, endpoints)


def parse_topic_info(info: flight.FlightInfo, command: bytes, locator: str) -> TopicView:
    endpoint = topic_endpoint(info, command, locator, parse_manifest)
    if info.app_metadata:
        raise ProtocolViolation(f"a topic FlightInfo has no FlightInfo-level app_metadata: {info.app_metadata!r}")
    meta = _schema_metadata(info.schema, {"mosaico:context", "mosaico:properties", "mosaico:user_metadata"}, "topic")
    return TopicView(info, endpoint, info.schema, meta)


def check_stream_metadata(stream: TopicStream) -> dict:
    """DoGet schema (7.4): the three topic keys on the stream's own schema, and a timestamp_ns column."""
    meta = _schema_metadata(stream.schema, {"mosaico:context", "mosaico:properties", "mosaico:user_metadata"}, "topic")
    if stream.schema.get_field_index("timestamp_ns") < 0:
        raise ProtocolViolation(f"DoGet schema without timestamp_ns: {stream.schema}")
    return meta


"""GetFlightInfo as SDK 0.7.0 reads it (delta doc B5, B6): the topic manifest of each endpoint with
`data_info` and, for a request with bounds, `time_window_info`; the sequence app_metadata with
`user_metadata` and sessions named by their locator `<sequence>:<ULID>` (never the uuid, which is the
session's write token). Parsed strictly: the documented keys with their types; on a topic manifest the
0.4 `info` key may ride along (the union of keys a server sends, B5). The 0.4 reading is _sdk2026_info.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import pyarrow.flight as flight

from _common import ProtocolViolation, check_keys, check_type, json_body
from _sdk2026_conn import unpack
from _sdk2026_info import Endpoint, SequenceView, check_session, sequence_app, sequence_endpoints, topic_endpoint

ULID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
SESSION_LOCATOR_RE = re.compile(rf"^(.+):({ULID})$")
SERIALIZATION_FORMATS = ("default", "ragged", "image")
TOPIC_KEYS = {"created_at_ns", "completed_at_ns", "locked", "resource_locator", "ontology_tag",
              "serialization_format", "user_metadata", "data_info"}
# `time_window_info` may be absent without bounds; `info` is what a server adds for 0.4 clients
TOPIC_KEYS_OPTIONAL = frozenset({"time_window_info", "info"})


def _interval(what: str, obj: Any) -> Optional[tuple[int, int]]:
    if obj is None:
        return None
    check_keys(what, obj, {"start_ns", "end_ns"})
    check_type(f"{what} start_ns", obj["start_ns"], int)
    check_type(f"{what} end_ns", obj["end_ns"], int)
    if obj["start_ns"] > obj["end_ns"]:
        raise ProtocolViolation(f"{what}: start after end: {obj!r}")
    return obj["start_ns"], obj["end_ns"]


@dataclass
class Manifest07:
    created_at_ns: int
    completed_at_ns: Optional[int]
    locked: bool
    resource_locator: str
    ontology_tag: str
    serialization_format: str
    user_metadata: dict
    interval: Optional[tuple[int, int]]  # data_info.interval: the whole topic
    total_row_count: int
    total_bytes: int
    total_chunks_count: int
    window: Optional[dict]  # {"interval": (start, end) | None, "row_count": int} when the request had bounds
    sdk_usable = True  # what fails to parse raises instead

    @property
    def timestamp(self) -> Optional[tuple[int, int]]:
        """What the SDK takes as the topic's min/max: the window's when the request had bounds."""
        return self.window["interval"] if self.window is not None else self.interval

    @property
    def row_count(self) -> int:
        """What the SDK takes as the message count: the window's when the request had bounds."""
        return self.window["row_count"] if self.window is not None else self.total_row_count


def parse_manifest07(raw: bytes, *, windowed: bool) -> Manifest07:
    """An endpoint's app_metadata (B5); `windowed`: the GetFlightInfo had a bound, so `time_window_info`
    must be an object (else null or absent)."""
    obj = check_keys("topic manifest", json_body("endpoint app_metadata", raw), TOPIC_KEYS, TOPIC_KEYS_OPTIONAL)
    check_type("manifest created_at_ns", obj["created_at_ns"], int)
    check_type("manifest completed_at_ns", obj["completed_at_ns"], int, nullable=True)
    check_type("manifest locked", obj["locked"], bool)
    check_type("manifest resource_locator", obj["resource_locator"], str)
    check_type("manifest ontology_tag", obj["ontology_tag"], str)
    check_type("manifest user_metadata", obj["user_metadata"], dict)
    if obj["serialization_format"] not in SERIALIZATION_FORMATS:
        raise ProtocolViolation(f"manifest serialization_format: {obj['serialization_format']!r}")
    if unpack(obj["resource_locator"]) is None or obj["resource_locator"].startswith("/"):
        raise ProtocolViolation(f"manifest resource_locator is not a full topic locator: {obj!r}")
    info = check_keys("data_info", obj["data_info"], {"interval", "total_row_count", "total_bytes", "total_chunks_count"})
    for k in ("total_row_count", "total_bytes", "total_chunks_count"):
        check_type(f"data_info {k}", info[k], int)
        if info[k] < 0:
            raise ProtocolViolation(f"data_info {k} is negative: {info!r}")
    interval = _interval("data_info interval", info["interval"])
    if (info["total_row_count"] == 0) != (interval is None):
        raise ProtocolViolation(f"data_info: interval null exactly when there are no rows: {info!r}")
    window = obj.get("time_window_info")
    if windowed:
        check_keys("time_window_info", window, {"interval", "row_count"})
        check_type("time_window_info row_count", window["row_count"], int)
        window = {"interval": _interval("time_window_info interval", window["interval"]),
                  "row_count": window["row_count"]}
        if (window["row_count"] == 0) != (window["interval"] is None):
            raise ProtocolViolation(f"time_window_info: interval null exactly when no row is in the window: {obj!r}")
    elif window is not None:
        raise ProtocolViolation(f"time_window_info must be null without bounds: {obj!r}")
    return Manifest07(obj["created_at_ns"], obj["completed_at_ns"], obj["locked"], obj["resource_locator"],
                      obj["ontology_tag"], obj["serialization_format"], obj["user_metadata"], interval,
                      info["total_row_count"], info["total_bytes"], info["total_chunks_count"], window)


@dataclass
class SessionView07:
    locator: str
    created_at_ns: int
    completed_at_ns: Optional[int]
    locked: bool
    topics: list  # full locators


class SequenceView07(SequenceView):
    """SequenceView with 0.7 sessions and manifests: the same derived values (topics, sizes, min/max)."""

    def session(self, locator: str) -> SessionView07:  # type: ignore[override]
        [s] = [s for s in self.sessions if s.locator == locator]
        return s


def parse_session07(s: Any, sequence: str) -> SessionView07:
    if isinstance(s, dict) and "uuid" in s:
        raise ProtocolViolation(f"a 0.7 connection must not see a session's uuid (its write token, B6): {s!r}")
    check_keys("session", s, {"locator", "created_at_ns", "completed_at_ns", "locked", "topics"})
    check_type("session locator", s["locator"], str)
    m = SESSION_LOCATOR_RE.match(s["locator"])
    if not m or m.group(1) != sequence:
        raise ProtocolViolation(f"session locator is not {sequence}:<ULID>: {s['locator']!r}")
    check_session(s, sequence)
    return SessionView07(s["locator"], s["created_at_ns"], s["completed_at_ns"], s["locked"], s["topics"])


def parse_sequence_info07(info: flight.FlightInfo, command: bytes, locator: str, *, windowed: bool) -> SequenceView07:
    app = sequence_app(info, command, locator, {"created_at_ns", "resource_locator", "user_metadata", "sessions"})
    check_type("sequence user_metadata", app["user_metadata"], dict)
    sessions = [parse_session07(s, locator) for s in app["sessions"]]
    endpoints = sequence_endpoints(info, sessions, [s.locator for s in sessions],
                                   lambda raw: parse_manifest07(raw, windowed=windowed))
    return SequenceView07(info, locator, app["created_at_ns"], app["user_metadata"], sessions, endpoints)


def parse_topic_info07(info: flight.FlightInfo, command: bytes, locator: str, *, windowed: bool) -> Endpoint:
    """The topic's one endpoint (ticket and 0.7 manifest)."""
    return topic_endpoint(info, command, locator, lambda raw: parse_manifest07(raw, windowed=windowed))

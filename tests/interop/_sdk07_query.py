"""The query bodies SDK 0.6/0.7's builders send (delta doc Q1-Q7), so tests state queries as users write
them: `QuerySequence07().with_name_match("run_#")` and so on, then `query_body(...)`.

- Q1: `name` (sequence name; relative topic name `/a/b`) replaces 0.4's `locator`; chaining a response
  sends `{"name": {"$in": [...]}}` (`to_query_sequence`, `to_query_topic`).
- Q2: no `include_timestamp_range`. Q4: `$match` is a full-match glob (`*`, `?`, `[..]`, `#`).
- Q5: `$outside`, `$in`, `$neq`, string ordering; on user metadata also `$in` and `$match`.
- Q6: `ex(True/False)` → `{"$ex": null}` / `{"$nex": null}`.
- Q7: values of datetime-typed ontology fields go as text: ISO 8601, or an int of ns as a decimal string.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

_OPS = {"eq", "neq", "lt", "leq", "gt", "geq", "between", "in_", "match", "outside"}


def op_body(op: str, value: Any) -> dict:
    """One operator as the builders serialize it: `in_` → `$in`, `ex(True)` → `{"$ex": null}`."""
    if op == "ex":
        return {"$ex" if value else "$nex": None}
    if op not in _OPS:
        raise ValueError(f"no 0.7 builder operator {op!r}")
    return {"$in" if op == "in_" else f"${op}": value}


def _one(kwargs: dict) -> dict:
    if len(kwargs) != 1:
        raise ValueError("exactly one operator keyword, as the SDK's with_user_metadata")
    [(op, value)] = kwargs.items()
    return op_body(op, value)


def datetime_text(value: Any) -> str:
    """`_QueryableDateTime._transform_value`: an int of ns → its decimal text, a date/time → ISO 8601."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not a datetime query value: {value!r}")


class QuerySequence07:
    """`QuerySequence()`: system fields at the top, user metadata nested under `user_metadata`."""

    kind = "sequence"

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    def _set(self, key: str, value: dict):
        if key in self.fields:
            raise ValueError(f"the builders allow a key once per query: {key}")
        self.fields[key] = value
        return self

    def with_name(self, name: str):
        return self._set("name", {"$eq": name})

    def with_name_match(self, pattern: str):
        return self._set("name", {"$match": pattern})

    def with_name_in(self, names: list):
        """What `response.to_query_sequence()` / `.to_query_topic()` build."""
        return self._set("name", {"$in": list(names)})

    def with_created_timestamp(self, time_start: Optional[int] = None, time_end: Optional[int] = None):
        if time_start and time_end:
            return self._set("created_at_ns", {"$between": [time_start, time_end]})
        if time_start:
            return self._set("created_at_ns", {"$geq": time_start})
        return self._set("created_at_ns", {"$leq": time_end})

    def with_user_metadata(self, key: str, **op: Any):
        meta = self.fields.setdefault("user_metadata", {})
        if key in meta:
            raise ValueError(f"the builders allow a key once per query: user_metadata.{key}")
        meta[key] = _one(op)
        return self

    def to_dict(self) -> dict:
        return self.fields


class QueryTopic07(QuerySequence07):
    """`QueryTopic()`: the sequence helpers (on the topic's fields) plus the ontology tag."""

    kind = "topic"

    def with_ontology_tag(self, tag: str):
        return self._set("ontology_tag", {"$eq": tag})


class QueryOntology07:
    """`QueryOntologyCatalog(...)`: flat `"<tag>.<path>": {op: value}` entries, no other key (Q2)."""

    kind = "ontology"

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    def with_expression(self, key: str, *, datetime: bool = False, **op: Any):
        """`<Model>.Q.<path>.<op>(value)`; `datetime`: the field is datetime-typed (Q7)."""
        if key in self.fields:
            raise ValueError(f"the builders allow a key once per query: {key}")
        [(name, value)] = op.items()
        if datetime:
            value = [datetime_text(v) for v in value] if isinstance(value, (list, tuple)) else datetime_text(value)
        self.fields[key] = op_body(name, value)
        return self

    def to_dict(self) -> dict:
        return self.fields


def query_body(*builders) -> dict:
    """`client.query(b1, b2, ...)`: `{b.name(): b.to_dict()}`, at most one builder of each kind."""
    body: dict[str, Any] = {}
    for b in builders:
        if b.kind in body:
            raise ValueError(f"one {b.kind} builder per query")
        body[b.kind] = b.to_dict()
    return body


def to_query_sequence(items: list) -> QuerySequence07:
    """`QueryResponse.to_query_sequence()`: the sequences of a response, by name."""
    if not items:
        raise ValueError("Cannot create a 'QuerySequence' builder from an empty response")
    return QuerySequence07().with_name_in([i.sequence for i in items])


def to_query_topic(items: list) -> QueryTopic07:
    """`QueryResponse.to_query_topic()`: the topics of a response, by relative name (`/a/b`)."""
    if not items:
        raise ValueError("Cannot create a 'QueryTopic' builder from an empty response")
    return QueryTopic07().with_name_in([t.name for i in items for t in i.topics])

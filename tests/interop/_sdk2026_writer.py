"""Writes as the 0.4.0 SDK does them (2026 protocol 5, 6, 13): the DoPut command, one-shot uploads, and
the writers with their error policies: TopicWriter (records buffered, flushed past 10 MiB; topic-level
policy raise / finalize / ignore) and SequenceWriter / SequenceUpdater (session-level policy report /
delete). The 0.7.0 writers (_sdk07.py) subclass these through the hooks `_open_session`,
`_delete_session`, `topic_writer_class` and `record_size`.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

import pyarrow as pa
import pyarrow.flight as flight

from _common import ProtocolViolation, batch_of, finish_put, put_stream, put_stream_error
from _sdk2026_conn import topic_locator

if TYPE_CHECKING:
    from _sdk2026 import Mosaico2026

MAX_BATCH_BYTES = 10 * 1024 * 1024


def put_command(locator: str, topic_uuid: str) -> bytes:
    return json.dumps({"resource_locator": locator, "topic_uuid": topic_uuid}).encode("utf-8")


def put_descriptor(locator: str, topic_uuid: str) -> flight.FlightDescriptor:
    return flight.FlightDescriptor.for_command(put_command(locator, topic_uuid))


def upload(client: flight.FlightClient, locator: str, topic_uuid: str, schema: pa.Schema, batches=()) -> None:
    """One topic stream: open with the schema, every batch, half-close, wait for the final status."""
    put_stream(client, put_descriptor(locator, topic_uuid), schema, batches)


def upload_error(client: flight.FlightClient, locator: str, topic_uuid: str, schema: pa.Schema,
                 batches=(), *, command: Optional[bytes] = None) -> Optional[BaseException]:
    """Like `upload`, but returns the failure (None on success), preferring the one naming a gRPC status."""
    descriptor = put_descriptor(locator, topic_uuid) if command is None else flight.FlightDescriptor.for_command(command)
    return put_stream_error(client, descriptor, schema, batches)


class TopicWriter:
    """A topic stream opened at topic_create time; records buffered and flushed at 10 MiB (13).
    As a context manager it applies the topic-level error policy (5.3): raise, finalize or ignore."""

    max_batch_bytes = MAX_BATCH_BYTES

    def __init__(self, m: Mosaico2026, locator: str, topic_uuid: str, schema: pa.Schema,
                 on_error: str = "raise") -> None:
        self.m, self.locator, self.uuid, self.schema, self.on_error = m, locator, topic_uuid, schema, on_error
        self.buffer: list = []
        self.buffered_bytes = 0
        self.open = True
        self.writer, _ = m.client.do_put(put_descriptor(locator, topic_uuid), schema)

    def record_size(self, row: dict) -> int:
        """What the SDK counts for one record against `max_batch_bytes`."""
        return batch_of([row], self.schema).nbytes

    def push(self, row: dict) -> None:
        if not self.open:
            raise RuntimeError(f"topic writer {self.locator} is closed")
        size = self.record_size(row)
        if self.buffer and self.buffered_bytes + size > self.max_batch_bytes:
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
        rows, self.buffer, self.buffered_bytes = (self.buffer if flush else []), [], 0

        def last_batch():  # built inside finish_put, so a failure still closes the stream
            if rows:
                yield batch_of(rows, self.schema)

        finish_put(self.writer, last_batch())

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

    topic_writer_class = TopicWriter

    def __init__(self, m: Mosaico2026, name: str, user_metadata: Any = None, *, on_error: str = "report",
                 updater: bool = False) -> None:
        self.m, self.name, self.user_metadata, self.on_error, self.updater = m, name, user_metadata, on_error, updater
        self.session_uuid: Optional[str] = None
        self.topics: list[TopicWriter] = []
        self.last_error: Optional[BaseException] = None

    def _open_session(self) -> None:
        self.session_uuid = self.m.session_create(self.name)

    def _delete_session(self) -> None:
        self.m.session_delete(self.session_uuid)

    def __enter__(self) -> "SequenceWriter":
        if not self.updater:
            self.m.sequence_create(self.name, {} if self.user_metadata is None else self.user_metadata)
        self._open_session()
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
        writer = self.topic_writer_class(self.m, locator, topic_uuid, schema, on_error)
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
            self._delete_session()
            if not self.updater and block_raised:
                self.m.sequence_delete(self.name)
        except ProtocolViolation:
            raise
        except Exception as del_err:  # noqa: BLE001
            self.last_error = del_err
            raise Exception(f"Delete policy failed for sequence '{self.name}': {del_err}") from del_err


def SequenceUpdater(m: Mosaico2026, name: str, *, on_error: str = "report") -> SequenceWriter:  # noqa: N802
    return SequenceWriter(m, name, on_error=on_error, updater=True)

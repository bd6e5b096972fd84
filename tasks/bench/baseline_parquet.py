"""The same-work baseline of `deno task bench`: an Arrow C++ Flight server (through pyarrow) that stores each
upload as Parquet chunk files on local disk the way mosaicod does, and reads them back from disk.

  baseline_parquet.py --dir D [--chunk-bytes N] [--row-group-bytes N] [--batch-bytes N]

It speaks the same subset of the Mosaico protocol as baseline_server.py (whose actions it reuses). What it
mirrors of mosaicod (src/ingest/chunk_writer.ts, src/arrow/parquet.ts, src/store/fs_store.ts) for the bench's
schema, as checked against mosaicod's own files by tests/bench_baselines_test.ts:

- a chunk is sealed after the batch that brings its Arrow bytes to `--chunk-bytes` (mosaicod's default);
- row groups of `--row-group-bytes` of Arrow data, counted in rows of the chunk's first batch (at most 2^20);
- Snappy, format 2.6 with data pages v2 of ~1 MiB (write batches of at most 1,024 rows), dictionaries with a
  64 KiB page limit on every leaf but the top-level floats and `timestamp_ns`, which are written plain and
  delta-encoded (int64) as arrow-rs's v2 writer does; statistics, column and offset indexes, Arrow schema;
- per chunk, every leaf column's min, max, null and NaN flags computed batch by batch, written next to the
  chunk as a JSON manifest, and a topic manifest at the end;
- every file written to `D/.tmp`, fsynced, renamed into place, and its directory fsynced.

DoGet reads a topic's chunks in order, row group by row group, and sends them as batches of about
`--batch-bytes` (mosaicod's `--read-batch-bytes`). `sequence_create` deletes the previous sequence's files.

Prints `{"port": N}` on stdout once listening on 127.0.0.1 and closes stdout, then serves until killed.
"""
import argparse
import json
import os
import shutil
import threading
import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pyarrow.parquet as pq

from baseline_server import BaselineServer, serve

MiB = 1024 * 1024
TIMESTAMP_COLUMN = "timestamp_ns"
MAX_ROW_GROUP_ROWS = 1 << 20
PAGE_BYTES = 1 << 20
MAX_WRITE_BATCH_ROWS = 1024
DICTIONARY_PAGE_BYTES = 64 * 1024


def leaves(fields, prefix=""):
    """(dotted path, type, top level) of every leaf column, in schema order."""
    for field in fields:
        path = prefix + field.name
        if pa.types.is_struct(field.type):
            yield from leaves(list(field.type), path + ".")
        else:
            yield path, field.type, prefix == ""


def writer_options(schema: pa.Schema, bytes_per_row: float) -> dict:
    """ParquetWriter settings matching the files mosaicod writes for `default` topics."""
    plain = [p for p, t, top in leaves(schema) if top and (pa.types.is_floating(t) or p == TIMESTAMP_COLUMN)]
    delta = {p: "DELTA_BINARY_PACKED" for p, t, _ in leaves(schema) if p in plain and pa.types.is_integer(t)}
    return {
        "compression": "snappy",
        "version": "2.6",
        "data_page_version": "2.0",
        "use_dictionary": [p for p, _, _ in leaves(schema) if p not in plain],
        "column_encoding": delta or None,
        "dictionary_pagesize_limit": DICTIONARY_PAGE_BYTES,
        "data_page_size": PAGE_BYTES,
        "write_batch_size": max(1, min(MAX_WRITE_BATCH_ROWS, int(PAGE_BYTES / bytes_per_row))),
        "write_statistics": True,
        "write_page_index": True,
        "store_schema": True,
    }


def leaf_arrays(batch: pa.RecordBatch):
    """(dotted path, array) of every leaf column of a batch, parents' nulls applied."""
    def walk(name, array):
        if pa.types.is_struct(array.type):
            for field, child in zip(array.type, array.flatten()):
                yield from walk(f"{name}.{field.name}", child)
        else:
            yield name, array
    for name, column in zip(batch.schema.names, batch.columns):
        yield from walk(name, column)


class ColumnStats:
    """A chunk's running per-leaf statistics, as mosaicod keeps them in its chunk manifests."""

    def __init__(self) -> None:
        self.columns: dict[str, dict] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        for path, array in leaf_arrays(batch):
            s = self.columns.setdefault(path, {"column": path, "min": None, "max": None, "hasNull": False,
                                               "hasNan": False})
            if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
                    or pa.types.is_string(array.type)):
                continue
            lo, hi = pc.min_max(array).values()
            if lo.is_valid:
                s["min"] = lo.as_py() if s["min"] is None else min(s["min"], lo.as_py())
                s["max"] = hi.as_py() if s["max"] is None else max(s["max"], hi.as_py())
            s["hasNull"] = s["hasNull"] or array.null_count > 0
            if pa.types.is_floating(array.type):
                s["hasNan"] = s["hasNan"] or bool(pc.any(pc.is_nan(array)).as_py())


def fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableFiles:
    """Files written as mosaicod's FsStore writes objects: temp file, fsync, rename, fsync of the folder."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.tmp = os.path.join(root, ".tmp")
        os.makedirs(self.tmp, exist_ok=True)

    def temp_path(self) -> str:
        return os.path.join(self.tmp, f"{uuid.uuid4()}.part")

    def commit(self, tmp: str, path: str) -> None:
        fsync_path(tmp)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.rename(tmp, path)
        fsync_path(os.path.dirname(path))

    def write_json(self, path: str, value: dict) -> None:
        tmp = self.temp_path()
        with open(tmp, "w") as f:
            json.dump(value, f)
        self.commit(tmp, path)


class ChunkWriter:
    """One chunk: batches in, Parquet row groups of `row_group_rows` out, then fsynced into place."""

    def __init__(self, files: DurableFiles, schema: pa.Schema, first: pa.RecordBatch, row_group_bytes: int):
        self.files = files
        self.schema = schema
        bytes_per_row = max(1.0, first.nbytes / max(1, first.num_rows))
        self.row_group_rows = max(1, min(MAX_ROW_GROUP_ROWS, int(row_group_bytes / bytes_per_row)))
        self.tmp = files.temp_path()
        self.writer = pq.ParquetWriter(self.tmp, schema, **writer_options(schema, bytes_per_row))
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.rows = 0
        self.arrow_bytes = 0
        self.stats = ColumnStats()

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        self.arrow_bytes += batch.nbytes
        self.stats.add(batch)
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        if self.pending_rows >= self.row_group_rows:
            self.flush(whole_groups_only=True)

    def flush(self, whole_groups_only: bool) -> None:
        table = pa.Table.from_batches(self.pending, self.schema)
        n = table.num_rows - table.num_rows % self.row_group_rows if whole_groups_only else table.num_rows
        if n:
            self.writer.write_table(table.slice(0, n), row_group_size=self.row_group_rows)
        self.pending = table.slice(n).to_batches()
        self.pending_rows = table.num_rows - n

    def close(self, path: str) -> dict:
        self.flush(whole_groups_only=False)
        self.writer.close()
        self.files.commit(self.tmp, path)
        return {"path": path, "rows": self.rows, "size_bytes": os.path.getsize(path),
                "stats": list(self.stats.columns.values())}


class SameWorkServer(BaselineServer):
    def __init__(self, root: str, chunk_bytes: int, row_group_bytes: int, batch_bytes: int) -> None:
        super().__init__()
        self.files = DurableFiles(root)
        self.chunk_bytes = chunk_bytes
        self.row_group_bytes = min(row_group_bytes, chunk_bytes)
        self.batch_bytes = batch_bytes
        self.lock = threading.Lock()
        self.topics: dict[str, dict] = {}  # topic name -> {"schema", "dir", "chunks", "rows"}

    def do_action(self, context, action):
        if action.type == "sequence_create":
            with self.lock:
                for topic in self.topics.values():
                    shutil.rmtree(topic["dir"], ignore_errors=True)
                self.topics.clear()
        return super().do_action(context, action)

    def do_put(self, context, descriptor, reader, writer):
        if descriptor.descriptor_type == flight.DescriptorType.PATH:
            self.transport_put(descriptor.path[0], reader, writer)
            return
        name = json.loads(descriptor.command)["topic"]["name"]
        schema = reader.schema
        folder = os.path.join(self.files.root, str(uuid.uuid4()))
        chunks = []
        chunk = None
        for piece in reader:
            batch = piece.data
            if batch.num_rows == 0:
                continue
            chunk = chunk or ChunkWriter(self.files, schema, batch, self.row_group_bytes)
            chunk.add(batch)
            if chunk.arrow_bytes >= self.chunk_bytes:
                chunks.append(self.seal(chunk, folder, len(chunks)))
                chunk = None
        if chunk:
            chunks.append(self.seal(chunk, folder, len(chunks)))
        rows = sum(c["rows"] for c in chunks)
        self.files.write_json(os.path.join(folder, "topic.json"), {"name": name, "rows": rows,
                                                                    "chunks": [c["path"] for c in chunks]})
        with self.lock:
            self.topics[name] = {"schema": schema, "dir": folder, "chunks": chunks, "rows": rows}

    def seal(self, chunk: ChunkWriter, folder: str, index: int) -> dict:
        base = os.path.join(folder, "chunks", f"{index:06d}-{uuid.uuid4()}")
        info = chunk.close(base + ".parquet")
        self.files.write_json(base + ".json", info)
        return info

    def get_flight_info(self, context, descriptor):
        name = descriptor.path[0].decode()
        with self.lock:
            topic = self.topics.get(name)
            children = sorted(t for t in self.topics if t.startswith(name + "/"))
        if topic:
            return flight.FlightInfo(topic["schema"], descriptor, [flight.FlightEndpoint(name, [])],
                                     topic["rows"], -1)
        if not children:
            raise KeyError(name)
        return flight.FlightInfo(pa.schema([]), descriptor, [flight.FlightEndpoint(t, []) for t in children],
                                 -1, -1)

    def do_get(self, context, ticket):
        if ticket.ticket.startswith(b"{"):
            return super().do_get(context, ticket)
        with self.lock:
            topic = self.topics[ticket.ticket.decode()]
        return flight.GeneratorStream(topic["schema"], self.read_topic(topic))

    def read_topic(self, topic: dict):
        for chunk in topic["chunks"]:
            parquet = pq.ParquetFile(chunk["path"])
            for index in range(parquet.num_row_groups):
                table = parquet.read_row_group(index)
                rows = max(1, int(self.batch_bytes * table.num_rows / max(1, table.nbytes)))
                yield from table.to_batches(max_chunksize=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="The same-work Arrow C++ baseline of deno task bench")
    parser.add_argument("--dir", required=True, help="folder for the Parquet chunks (created if missing)")
    parser.add_argument("--chunk-bytes", type=int, default=64 * MiB)
    parser.add_argument("--row-group-bytes", type=int, default=8 * MiB)
    parser.add_argument("--batch-bytes", type=int, default=4 * MiB)
    args = parser.parse_args()
    for name in ("chunk_bytes", "row_group_bytes", "batch_bytes"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive number of bytes")
    serve(SameWorkServer(args.dir, args.chunk_bytes, args.row_group_bytes, args.batch_bytes))


if __name__ == "__main__":
    main()

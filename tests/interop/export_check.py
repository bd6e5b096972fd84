"""Reads Parquet files written by `mosaicod export` with pyarrow, as any user would (no options), and prints
one JSON object per file on stdout: the schema (name, type, nullable, field metadata of the top-level
fields), the row count and every row. Values are made JSON-exact: integers stay integers (Python's json
writes them in full), bytes become base64, timestamps their int64 nanoseconds, nested structs dicts and
lists lists. tests/toolkit_export_test.ts compares them with the rows it uploaded.

Usage: python3 export_check.py FILE.parquet...
"""
from __future__ import annotations

import base64
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def plain(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def describe(path: str) -> dict:
    table = pq.read_table(path)
    # Timestamps as their int64 nanoseconds: to_pylist() would give datetimes rounded to microseconds.
    columns = []
    for field, column in zip(table.schema, table.columns):
        columns.append(column.cast(pa.int64()) if pa.types.is_timestamp(field.type) else column)
    rows = pa.table(columns, names=table.schema.names).to_pylist()
    return {
        "file": path,
        "schema": [
            {
                "name": f.name,
                "type": str(f.type),
                "nullable": f.nullable,
                "metadata": {k.decode(): v.decode() for k, v in (f.metadata or {}).items()},
            }
            for f in table.schema
        ],
        "num_rows": table.num_rows,
        "rows": [plain(r) for r in rows],
    }


def main(paths: list[str]) -> int:
    for path in paths:
        print(json.dumps(describe(path), allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

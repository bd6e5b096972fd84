"""Used by tests/events_test.ts (not a unittest module): lifecycle operations as a client makes them, in
order, in one run; prints the keys it was given as JSON (the test checks none of them is ever streamed).

  events_ops.py OP:ARG ...

  create:SEQ         sequence_create                 topic:SEQ/PATH    topic_create (with SEQ's key)
  upload:SEQ/PATH    DoPut of ~2.3 MiB (4 batches)   finalize:SEQ      sequence_finalize
  abort:SEQ          sequence_abort                  delete:SEQ        sequence_delete
  delete_topic:T     topic_delete                    notify:SEQ        sequence_notify_create
  notify_topic:T     topic_notify_create

  events_ops.py follow AFTER_ID
      subscribes with follow=true after AFTER_ID; prints "ready" once the schema came, then one line per
      event id, then the gRPC status the stream ended with (what tests/events_test.ts checks on shutdown).
"""
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from _sdk import T0, Mosaico, connect, grpc_code, upload

SCHEMA = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False)] +
                   [pa.field(f"v{i}", pa.float64()) for i in range(8)])


def batches(n: int = 4, rows: int = 8000) -> list:
    rng = np.random.default_rng(7)
    return [pa.RecordBatch.from_arrays(
        [pa.array(T0 + np.arange(i * rows, (i + 1) * rows, dtype=np.int64))] +
        [pa.array(rng.standard_normal(rows)) for _ in range(8)], schema=SCHEMA) for i in range(n)]


def run_ops(ops: list) -> dict:
    m = Mosaico()
    keys: dict = {}
    try:
        for op in ops:
            verb, arg = op.split(":", 1)
            seq = arg.split("/", 1)[0]
            if verb == "create":
                keys[arg] = m.sequence_create(arg, {"events_test": True})
            elif verb == "topic":
                keys[arg] = m.topic_create(arg, keys[seq])
            elif verb == "upload":
                upload(m.client, arg, keys[arg], SCHEMA, batches())
            elif verb == "finalize":
                m.sequence_finalize(arg, keys[arg])
            elif verb == "abort":
                m.sequence_abort(arg, keys[arg])
            elif verb == "delete":
                m.sequence_delete(arg)
            elif verb == "delete_topic":
                m.topic_delete(arg)
            elif verb == "notify":
                m.notify_create("sequence", arg, f"note on {arg}", "error")
            elif verb == "notify_topic":
                m.notify_create("topic", arg, f"note on {arg}", "error")
            else:
                raise SystemExit(f"unknown operation {op!r}")
    finally:
        m.close()
    return {"keys": keys}


def follow(after_id: int) -> None:
    client = connect()
    ticket = flight.Ticket(b"\xff" + json.dumps({"events": {"after_id": after_id}}).encode())
    reader = client.do_get(ticket)
    print("ready" if reader.schema.names[0] == "id" else f"schema {reader.schema}", flush=True)
    try:
        while True:
            chunk = reader.read_chunk()
            for i in chunk.data.column("id").to_pylist():
                print(i, flush=True)
    except StopIteration:
        print("OK", flush=True)
    except Exception as err:  # the status the stream ended with is the point
        print(f"{grpc_code(err)} {err}".splitlines()[0], flush=True)
    finally:
        client.close()


if __name__ == "__main__":
    if sys.argv[1] == "follow":
        follow(int(sys.argv[2]))
    else:
        print(json.dumps(run_ops(sys.argv[1:])))

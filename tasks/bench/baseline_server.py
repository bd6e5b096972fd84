"""The baseline of `deno task bench`: an in-memory Arrow Flight server in Arrow C++ (through pyarrow).

It speaks just enough of the Mosaico protocol for tasks/bench/client.py to drive it exactly as it drives
mosaicod: the `sequence_create`, `topic_create` and `sequence_finalize` actions, DoPut with the command
`{"topic": {"name", "key"}}`, GetFlightInfo of a sequence (one endpoint per topic) or of a topic, and DoGet
of a topic ticket. Nothing is validated or persisted; `sequence_create` drops the tables of the previous
sequence, so that memory holds one sequence at a time.

For the transport section (transport_client.py), as mosaicod's fake handlers (tests/_transport_handlers.ts)
do: DoPut to the path `sink` reads every batch and drops it, answering `{"rows", "messages"}` in a
PutResult; DoPut to `pool` keeps its batches; DoGet of the ticket `{"repeat": n}` sends the pool n times.

Prints `{"port": N}` on stdout once listening on 127.0.0.1 and closes stdout, then serves until killed.
"""
import json
import os
import sys

import pyarrow as pa
import pyarrow.flight as flight


class BaselineServer(flight.FlightServerBase):
    def __init__(self) -> None:
        super().__init__("grpc://127.0.0.1:0")
        self.tables: dict[str, pa.Table] = {}  # topic name -> everything uploaded to it
        self.pool: list[pa.RecordBatch] = []  # the transport section's DoGet data

    def do_action(self, context, action):
        if action.type == "sequence_create":
            self.tables.clear()
        if action.type in ("sequence_create", "topic_create"):
            reply = {"action": action.type, "response": {"key": "baseline"}}
        else:
            reply = {"action": "empty"}
        return [json.dumps(reply).encode()]

    def do_put(self, context, descriptor, reader, writer):
        if descriptor.descriptor_type == flight.DescriptorType.PATH:
            self.transport_put(descriptor.path[0], reader, writer)
            return
        name = json.loads(descriptor.command)["topic"]["name"]
        self.tables[name] = reader.read_all()

    def transport_put(self, kind: bytes, reader, writer) -> None:
        if kind == b"pool":
            self.pool = [chunk.data for chunk in reader]
            writer.write(pa.py_buffer(json.dumps({"messages": len(self.pool) + 1}).encode()))
            return
        rows = messages = 0
        for chunk in reader:  # each batch dropped once counted
            rows += chunk.data.num_rows
            messages += 1
        writer.write(pa.py_buffer(json.dumps({"rows": rows, "messages": messages + 1}).encode()))

    def get_flight_info(self, context, descriptor):
        name = descriptor.path[0].decode()
        if name in self.tables:
            table = self.tables[name]
            return flight.FlightInfo(table.schema, descriptor, [flight.FlightEndpoint(name, [])],
                                     table.num_rows, -1)
        topics = sorted(t for t in self.tables if t.startswith(name + "/"))
        if not topics:
            raise KeyError(name)
        return flight.FlightInfo(pa.schema([]), descriptor, [flight.FlightEndpoint(t, []) for t in topics],
                                 -1, -1)

    def do_get(self, context, ticket):
        if ticket.ticket.startswith(b"{"):
            repeat = json.loads(ticket.ticket)["repeat"]
            pool = self.pool
            return flight.GeneratorStream(pool[0].schema, (b for _ in range(repeat) for b in pool))
        return flight.RecordBatchStream(self.tables[ticket.ticket.decode()])


def serve(server: flight.FlightServerBase) -> None:
    """Prints the port, closes stdout (the driver stops reading there) and serves until killed."""
    print(json.dumps({"port": server.port}), flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    server.serve()


if __name__ == "__main__":
    serve(BaselineServer())

"""The baseline of `deno task bench`: an in-memory Arrow Flight server in Arrow C++ (through pyarrow).

It speaks just enough of the Mosaico protocol for tasks/bench/client.py to drive it exactly as it drives
mosaicod: the `sequence_create`, `topic_create` and `sequence_finalize` actions, DoPut with the command
`{"topic": {"name", "key"}}`, GetFlightInfo of a sequence (one endpoint per topic) or of a topic, and DoGet
of a topic ticket. Nothing is validated or persisted; `sequence_create` drops the tables of the previous
sequence, so that memory holds one sequence at a time.

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

    def do_action(self, context, action):
        if action.type == "sequence_create":
            self.tables.clear()
        if action.type in ("sequence_create", "topic_create"):
            reply = {"action": action.type, "response": {"key": "baseline"}}
        else:
            reply = {"action": "empty"}
        return [json.dumps(reply).encode()]

    def do_put(self, context, descriptor, reader, writer):
        name = json.loads(descriptor.command)["topic"]["name"]
        self.tables[name] = reader.read_all()

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
        return flight.RecordBatchStream(self.tables[ticket.ticket.decode()])


def main() -> None:
    server = BaselineServer()
    print(json.dumps({"port": server.port}), flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # end of output: the driver stops reading
    server.serve()


if __name__ == "__main__":
    main()

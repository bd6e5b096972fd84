"""pyarrow.flight against a running mosaicod: the connection probe and the RPC surface.

Run by tests/interop_test.ts with MOSAICOD_URL set; usable by hand the same way:
    MOSAICOD_URL=grpc://127.0.0.1:6726 python3 -m unittest discover -s tests/interop -v
"""
import os
import time
import unittest

import pyarrow.flight as flight

URL = os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726")


class ConnectionProbe(unittest.TestCase):
    def test_list_flights_answers_ok_on_every_new_connection_like_the_sdk(self):
        # MosaicoClient.connect() opens 1 + cpu_count clients and probes each with ListFlights.
        clients = [flight.FlightClient(URL) for _ in range(1 + (os.cpu_count() or 1))]
        try:
            started = time.monotonic()
            for client in clients:
                client.wait_for_available(timeout=5)
                # other test modules may have created sequences; an empty catalog is covered by
                # tests/server_e2e_test.ts
                self.assertIsInstance(list(client.list_flights()), list)
            self.assertLess(time.monotonic() - started, 5.0)
        finally:
            for client in clients:
                client.close()

    def test_unsupported_criteria_is_a_client_error(self):
        with flight.FlightClient(URL) as client:
            # INVALID_ARGUMENT surfaces as pyarrow.ArrowInvalid, a ValueError
            with self.assertRaises(ValueError) as ctx:
                list(client.list_flights(b"sensors/*"))
            self.assertIn("criteria", str(ctx.exception))


class RpcSurface(unittest.TestCase):
    def test_rpcs_not_offered_answer_unimplemented(self):
        with flight.FlightClient(URL) as client:
            with self.assertRaises(NotImplementedError):
                list(client.list_actions())
            with self.assertRaises(NotImplementedError):
                client.get_schema(flight.FlightDescriptor.for_path("seq"))
            with self.assertRaises(NotImplementedError):
                writer, reader = client.do_exchange(flight.FlightDescriptor.for_command(b"x"))
                writer.done_writing()
                reader.read_all()

    def test_server_keeps_serving_after_client_errors(self):
        with flight.FlightClient(URL) as client:
            for _ in range(3):
                with self.assertRaises(ValueError):
                    list(client.list_flights(b"bad"))
            self.assertIsInstance(list(client.list_flights()), list)


if __name__ == "__main__":
    unittest.main()

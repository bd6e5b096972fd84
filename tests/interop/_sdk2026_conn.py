"""How the Mosaico SDKs from 0.4.0 on reach the daemon (2026 protocol sections 1.3, 2, 11, 12): one
FlightClient per client, configured from the environment, the API-key header on every call, the
connection probe, and the locators the SDK sends and splits. The 0.4.0 probe is here; the 0.7.0 one
(DoAction `info`) is in _sdk07.py and plugs into `open_probed`.

Environment:
  MOSAICOD_URL      grpc://host:port, or grpc+tls://host:port with MOSAICOD_TLS_CA
  MOSAICOD_API_KEY  a token with every permission: sent on every call of the clients made here
  MOSAICOD_TLS_CA   PEM file given to pyarrow as tls_root_certs
  MOSAICOD_GZIP=1   gRPC channel options that gzip every request (algorithm 2)
"""
from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import PurePosixPath
from typing import Any, Callable, Optional

import pyarrow.flight as flight

from _common import URL, grpc_code

API_KEY = os.environ.get("MOSAICOD_API_KEY") or None
TLS_CA = os.environ.get("MOSAICOD_TLS_CA") or None
GZIP = os.environ.get("MOSAICOD_GZIP") == "1"
API_KEY_HEADER = "mosaico-api-key-token"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TOKEN_RE = re.compile(r"^msco_([a-z0-9]{32})_([0-9a-f]{8})$")
# 2.1: characters a locator may not contain
FORBIDDEN_LOCATOR_CHARS = set(" !\"'*£$%&.")

FROM_ENV = "<from environment>"


def random_uuid() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# Clients

class _ApiKeyHeader(flight.ClientMiddleware):
    def __init__(self, token: str) -> None:
        self.token = token

    def sending_headers(self):
        return {API_KEY_HEADER: self.token}


class ApiKeyMiddleware(flight.ClientMiddlewareFactory):
    """The SDK's API-key middleware: the header on every call of the client (the probe included)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def start_call(self, info):
        return _ApiKeyHeader(self.token)


def new_client(*, api_key: Optional[str] = FROM_ENV, gzip: Optional[bool] = None,
               compression: Optional[int] = None, url: str = URL) -> flight.FlightClient:
    """One FlightClient (one gRPC channel) configured from the environment; `api_key=None` sends none,
    `gzip` overrides MOSAICOD_GZIP, `compression` forces a gRPC algorithm (1 deflate, 2 gzip)."""
    token = API_KEY if api_key is FROM_ENV else api_key
    kwargs: dict[str, Any] = {}
    if token is not None:
        kwargs["middleware"] = [ApiKeyMiddleware(token)]
    if TLS_CA:
        with open(TLS_CA, "rb") as f:
            kwargs["tls_root_certs"] = f.read()
    if compression is None and (GZIP if gzip is None else gzip):
        compression = 2
    if compression is not None:
        kwargs["generic_options"] = [("grpc.default_compression_algorithm", compression),
                                     ("grpc.compression_enabled", 1)]
    return flight.FlightClient(url, **kwargs)


def probe(client: flight.FlightClient, timeout: float = 5.0) -> None:
    """`wait_for_available` as the SDK's connect() runs it; ConnectionError (cause attached) on a refusal."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            for _ in client.list_flights():
                pass
            return
        except flight.FlightUnavailableError as err:
            if time.monotonic() < deadline:
                time.sleep(0.025)
                continue
            raise ConnectionError(f"server unavailable: {err}") from err
        except NotImplementedError:
            return
        except Exception as err:  # noqa: BLE001 - the SDK turns every other failure into ConnectionError
            raise ConnectionError(f"connection refused by the server: {err}") from err


def open_probed(probe_fn: Callable[[flight.FlightClient, float], Any], *, api_key: Optional[str] = FROM_ENV,
                timeout: float = 5.0, gzip: Optional[bool] = None, compression: Optional[int] = None,
                url: str = URL) -> tuple[flight.FlightClient, Any]:
    """A new client, probed by `probe_fn(client, timeout)`: (client, what the probe returned). The client
    is closed when the probe fails."""
    client = new_client(api_key=api_key, gzip=gzip, compression=compression, url=url)
    try:
        return client, probe_fn(client, timeout)
    except BaseException:
        client.close()
        raise


def connect(*, api_key: Optional[str] = FROM_ENV, timeout: float = 5.0, gzip: Optional[bool] = None,
            compression: Optional[int] = None, url: str = URL) -> flight.FlightClient:
    """MosaicoClient.connect() of 0.4.0: one FlightClient, probed with ListFlights."""
    return open_probed(probe, api_key=api_key, timeout=timeout, gzip=gzip, compression=compression, url=url)[0]


def cause_code(err: BaseException) -> str:
    """The gRPC code behind a ConnectionError raised by connect() (or behind any pyarrow error)."""
    return grpc_code(err.__cause__) if isinstance(err, ConnectionError) and err.__cause__ else grpc_code(err)


# ---------------------------------------------------------------------------------------------
# Locators (2.3, 2.4)

def unpack(locator: str) -> Optional[tuple[str, str]]:
    """The SDK's split of a received locator: (sequence, relative topic name) or None if not a topic."""
    parts = locator.strip("/").split("/")
    if len(parts) < 2:
        return None
    return parts[0], "/" + "/".join(parts[1:])


def topic_locator(sequence: str, topic: str) -> str:
    """What the SDK sends for a topic: Path(seq without leading /) / Path(topic without leading /)."""
    return str(PurePosixPath(sequence.lstrip("/")) / PurePosixPath(topic.lstrip("/")))


def info_sequence_locator(sequence: str) -> str:
    return sequence.strip("/")


def info_topic_locator(sequence: str, topic: str) -> str:
    return str(PurePosixPath(sequence.strip("/")) / PurePosixPath(topic.strip("/")))


def could_be_locator(ticket: bytes) -> bool:
    """Whether bytes would pass as a plain 0.1.0 locator (2.1): a 2026 ticket must not (section 15)."""
    try:
        text = ticket.decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.strip().lstrip("/")
    return (bool(text) and text.isascii() and text.isprintable()
            and not any(c in FORBIDDEN_LOCATOR_CHARS for c in text) and ":" not in text)


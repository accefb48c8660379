"""A fake broker that speaks just enough Kafka for a client's SASL/PLAIN handshake.

ApiVersions, then SaslHandshake (it enables PLAIN only), then SaslAuthenticate: the password
`PASSWORD` is taken, any other refused with error 58 (SASL_AUTHENTICATION_FAILED), as Apache
Kafka refuses it. Anything after that is not answered. Made to stall, it answers no
SaslAuthenticate while its `stall` event is set: a broker overloaded, or half up. Tansu, the
local broker, has no SASL; this is what lets a test see kafka-python's own handshake refused.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka.protocol.metadata.api_versions import ApiVersionsResponse
from kafka.protocol.sasl import SaslAuthenticateResponse, SaslHandshakeResponse

PASSWORD = "the-right-password"
API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
OFFERED = [(API_VERSIONS, 3), (SASL_HANDSHAKE, 1), (SASL_AUTHENTICATE, 2), (3, 9)]  # 3: Metadata


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _reply(message: Any, version: int, correlation_id: int) -> bytes:
    message.API_VERSION = version
    message.with_header(correlation_id=correlation_id)
    return bytes(message.encode(header=True, framed=True))


def _answer(api_key: int, version: int, correlation_id: int, body: bytes) -> bytes | None:
    if api_key == API_VERSIONS:
        offered = [
            ApiVersionsResponse.ApiVersion(api_key=key, min_version=0, max_version=highest)
            for key, highest in OFFERED
        ]
        response: Any = ApiVersionsResponse(error_code=0, api_keys=offered, throttle_time_ms=0)
        return _reply(response, min(version, 3), correlation_id)
    if api_key == SASL_HANDSHAKE:
        response = SaslHandshakeResponse(error_code=0, mechanisms=["PLAIN"])
        return _reply(response, version, correlation_id)
    if api_key == SASL_AUTHENTICATE:
        taken = b"\0" + PASSWORD.encode() in body  # PLAIN: authzid \0 user \0 password
        response = SaslAuthenticateResponse(
            error_code=0 if taken else 58,
            error_message=None if taken else "Authentication failed: Invalid username or password",
            auth_bytes=b"",
            session_lifetime_ms=0,
        )
        return _reply(response, version, correlation_id)
    return None


def serve(connection: socket.socket, stall: threading.Event | None = None) -> None:
    """Answer ApiVersions and the SASL handshake on `connection` (the TLS listener's too),
    until a request this broker does not know; then close it. While `stall` is set, a
    SaslAuthenticate gets no answer: the connection is held until the client goes."""
    try:
        while True:
            (size,) = struct.unpack(">i", _read(connection, 4))
            request = _read(connection, size)
            api_key, version, correlation_id = struct.unpack(">hhi", request[:8])
            if api_key == SASL_AUTHENTICATE and stall is not None and stall.is_set():
                while connection.recv(4096):
                    pass
                return
            answer = _answer(api_key, version, correlation_id, request)
            if answer is None:
                return
            connection.sendall(answer)
    except (EOFError, OSError):
        pass
    finally:
        connection.close()


@contextmanager
def accepting(
    server: socket.socket, handle: Callable[[socket.socket], None], name: str
) -> Iterator[None]:
    """Each connection `server` (listening) accepts handled on a thread of its own, until the
    block ends; then the listener is closed."""
    server.settimeout(0.2)
    closed = threading.Event()

    def accept() -> None:
        while not closed.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True, name=name)
    thread.start()
    try:
        yield
    finally:
        closed.set()
        thread.join(5)
        server.close()


@contextmanager
def sasl_broker(stall: threading.Event | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """A fake SASL_PLAINTEXT listener on `host`; yields its `host:port` (`[host]:port` for an
    IPv6 address). While `stall` is set, it answers no credentials."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.create_server((host, 0), family=family)
    address = f"[{host}]" if ":" in host else host
    with accepting(server, lambda connection: serve(connection, stall), "sasl-broker"):
        yield f"{address}:{server.getsockname()[1]}"

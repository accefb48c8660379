"""The service's HTTP endpoints: /metrics, /healthz, /readyz, plus routes a service adds."""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import orjson

from newsflow.errors import ConfigError
from newsflow.service import metrics

log = logging.getLogger(__name__)
Response = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, extra headers
Route = Callable[["Request"], Response]


READ_TIMEOUT = 30.0  # seconds a request may go without sending a byte
HEAD_SECONDS = 30.0
"""Seconds a connection has to send a request's line and headers in all, however they trickle
in (a client sending a byte every 29 s held its thread for ever), and an idle kept-alive
connection to start its next request."""
MAX_CONNECTIONS = 256
"""Connections served at once, each on a thread; one more is closed at once (they were
unbounded: a thread each)."""
GET_PATHS = ("/metrics", "/healthz", "/readyz")


class Request:
    """What a POST route sees: headers, and a body it reads itself (so it can refuse first)."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._handler = handler
        self.headers = handler.headers
        self.client = handler.client_address[0]

    @property
    def forwarded_for(self) -> str | None:
        """Every `X-Forwarded-For` line, joined in order as one list: a proxy that adds a line
        of its own (HAProxy's `option forwardfor`) puts the client's address last, below any
        line the client wrote itself (the first line alone was that one, the client's word)."""
        lines = self.headers.get_all("X-Forwarded-For") or []
        return ", ".join(lines) or None

    @property
    def chunked(self) -> bool:
        """Whether the body is sent with `Transfer-Encoding: chunked` (its last coding)."""
        codings = (self.headers.get("Transfer-Encoding") or "").lower().split(",")
        return codings[-1].strip() == "chunked"

    def read_chunked(self, *, limit: int, reserve: Callable[[int], bool]) -> bytes:
        """The chunked body (`read_chunked`)."""
        return read_chunked(self._handler.rfile, limit=limit, reserve=reserve)

    def read(self, length: int) -> bytes:
        """The body's `length` bytes (fewer if the client stops); `TimeoutError` when they take
        longer than `READ_TIMEOUT` in all, however they trickle in."""
        deadline = time.monotonic() + READ_TIMEOUT
        pieces: list[bytes] = []
        got = 0
        while got < length:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the body took more than {READ_TIMEOUT:.0f} s")
            piece = self._handler.rfile.read1(min(length - got, 1 << 16))
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)


def framing_refused(headers: Any) -> tuple[int, str] | None:
    """The status and reason for a request whose body's end is in doubt, else None: two
    Content-Length lines, Content-Length beside Transfer-Encoding, or a transfer coding
    other than chunked alone. A proxy in front may read such a request's body otherwise (its
    last Content-Length, its Content-Length over Transfer-Encoding): it would check, log or
    size one body and the intake take another (request smuggling; the rest is not served as
    a request, since every connection closes after its answer). The body was read by
    Transfer-Encoding whatever its codings, else by the first Content-Length line."""
    lengths = headers.get_all("Content-Length") or []
    codings = headers.get_all("Transfer-Encoding") or []
    if len(lengths) > 1:
        return 400, "more than one Content-Length"
    if lengths and codings:
        return 400, "both Content-Length and Transfer-Encoding"
    named = [coding.strip().lower() for line in codings for coding in line.split(",")]
    if codings and named != ["chunked"]:
        return 501, "Transfer-Encoding other than chunked alone"
    return None


MAX_HEADER_BYTES = 64 * 1024
"""Bytes of header lines a request may send, after its request line: http.server took 100
lines of 64 KiB each, and 64 connections each trickling them in held 410 MB of the intake's
memory before one of them was authenticated (256 connections: 1.6 GB)."""


class _HeadReader:
    """A request's stream while its head is read: `LineTooLong` (431) once its header lines
    pass `MAX_HEADER_BYTES`. The request line has http.server's own limit (414)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self._left: int | None = None  # (the first line read is the request line)

    def readline(self, limit: int = -1) -> bytes:
        if self._left is None:
            self._left = MAX_HEADER_BYTES
            return bytes(self.stream.readline(limit))
        wanted = self._left + 1 if limit < 0 else min(limit, self._left + 1)
        line = bytes(self.stream.readline(wanted))
        self._left -= len(line)
        if self._left < 0:
            raise http.client.LineTooLong(f"header lines of more than {MAX_HEADER_BYTES} bytes")
        return line


class BodyTooLarge(ValueError):
    """A chunked body longer than the limit its reader was given."""


class Refused(Exception):
    """The reader's `reserve` refused room for the next piece of a chunked body."""


CHUNK_SIZE_LINE = 4096  # the longest chunk-size line read (the size and its extensions)


def read_chunked(
    rfile: Any, *, limit: int, reserve: Callable[[int], bool], timeout: float = READ_TIMEOUT
) -> bytes:
    """A body sent with `Transfer-Encoding: chunked`, its framing undone, read in pieces of at
    most 64 KiB: `reserve(n)` is asked before each piece is read (`Refused` when it says no),
    `BodyTooLarge` past `limit` bytes, `TimeoutError` when it takes longer than `timeout` in
    all, `ValueError` for framing that is not chunked's (trailers are read and dropped)."""
    deadline = time.monotonic() + timeout
    pieces: list[bytes] = []
    got = 0
    while True:
        line = rfile.readline(CHUNK_SIZE_LINE + 1)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size_text or len(size_text) > 16:
            raise ValueError("a chunk's size line is not one")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"a chunk's size is not hexadecimal: {size_text[:20]!r}") from None
        if size == 0:
            break
        if got + size > limit:
            raise BodyTooLarge(f"the body is more than {limit} bytes")
        while size:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the body took more than {timeout:.0f} s")
            want = min(size, 1 << 16)
            if not reserve(want):
                raise Refused
            piece = rfile.read(want)
            if len(piece) < want:
                raise ValueError("the body ended inside a chunk")
            pieces.append(piece)
            got += want
            size -= want
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise ValueError("a chunk does not end where its size says")
    for _ in range(100):  # trailers, up to the empty line
        if rfile.readline(CHUNK_SIZE_LINE + 1) in (b"\r\n", b"\n", b""):
            return b"".join(pieces)
    raise ValueError("too many trailer lines")


class HealthServer:
    """Serves the endpoints from a daemon thread; `ready()` decides /readyz."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ready: Callable[[], tuple[bool, dict[str, Any]]],
        routes: dict[str, Route] | None = None,
        setting: str = "NEWSFLOW_HTTP_PORT",
    ) -> None:
        """`setting` names the port's setting in the error when it cannot be served."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = READ_TIMEOUT  # a client that stops sending does not hold a thread

            def handle_one_request(self) -> None:
                server._deadlines.arm(self.connection, HEAD_SECONDS)
                stream = self.rfile
                self.rfile = cast(Any, _HeadReader(stream))  # (the body: read from `stream`)
                try:
                    super().handle_one_request()
                finally:
                    self.rfile = stream
                    server._deadlines.disarm(self.connection)

            def parse_request(self) -> bool:
                parsed = super().parse_request()  # the headers are read: the body has its own
                if isinstance(self.rfile, _HeadReader):
                    self.rfile = self.rfile.stream
                server._deadlines.disarm(self.connection)
                if not parsed:
                    return False
                if refused := framing_refused(self.headers):
                    self.send_error(*refused)
                    return False
                return True

            def do_GET(self) -> None:
                path = self.path.split("?")[0]  # a scrape may carry parameters
                if path == "/metrics":
                    body, content_type = metrics.render()
                    self._send(200, body, content_type)
                elif path == "/healthz":
                    self._json(200, {"status": "alive"})
                elif path == "/readyz":
                    ok, detail = server.ready()
                    self._json(200 if ok else 503, {"ready": ok, **detail})
                elif path in server.routes:
                    self._json(405, {"error": "method not allowed"}, {"Allow": "POST"})
                else:
                    self._json(404, {"error": "not found"})

            def do_HEAD(self) -> None:
                self.do_GET()  # `_send` leaves the body out

            def do_POST(self) -> None:
                path = self.path.split("?")[0]
                route = server.routes.get(path)
                if route is None:
                    if path in GET_PATHS:
                        self._json(405, {"error": "method not allowed"}, {"Allow": "GET, HEAD"})
                    else:
                        self._json(404, {"error": "not found"})
                    return
                try:
                    status, body, headers = route(Request(self))
                except Exception:  # never a stack trace in the response
                    log.exception("request failed", extra={"path": self.path})
                    status, body, headers = 500, {"error": "internal error"}, {}
                self._json(status, body, headers)

            def _json(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send(status, orjson.dumps(body), "application/json", headers)

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status, HTTPStatus(status).phrase)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                if status >= 400 and self.command == "POST":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def send_error(
                self, code: int, message: str | None = None, explain: str | None = None
            ) -> None:
                """What http.server answers by itself (a method it has no handler for, a
                request line or header it cannot parse), as JSON like every other answer: it
                was an HTML page."""
                self.log_error("code %d, message %s", code, message)
                error = message or HTTPStatus(code).phrase
                self.close_connection = True
                self.send_response(code, error)
                self.send_header("Connection", "close")
                body = orjson.dumps({"error": error})
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("http %s", format % args)

        self.ready = ready
        self.routes = routes or {}
        self._deadlines = _Deadlines()
        try:
            self._server = _BoundedServer((host, port), Handler)
        except OSError as exc:  # in use, not this machine's address, no such host
            raise ConfigError(
                f"cannot serve HTTP on {host}:{port}: {exc} (NEWSFLOW_HTTP_HOST, {setting})"
            ) from exc
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="http")

    def start(self) -> None:
        self._thread.start()
        self._deadlines.start()

    def stop(self) -> None:
        self._deadlines.stop()
        self._server.shutdown()
        self._server.server_close()

    def close(self) -> None:
        """Give the port back, never having started."""
        self._server.server_close()


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, up to `MAX_CONNECTIONS`; a connection past them is closed."""

    daemon_threads = True
    request_queue_size = MAX_CONNECTIONS
    """Connections the kernel completes before they are accepted: socketserver's 5 had the
    rest of a burst wait for the client's SYN to be sent again, 1 s later (20 at once: the last
    answered after 1.24 s, 0.01 s now)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("HTTP connections at their limit (%d): one closed", MAX_CONNECTIONS)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before its answer was written (reset, closed) at debug level; any
        other failure logged with its stack. socketserver printed both to stderr, a plain
        traceback of some 45 lines each, outside the JSON log: five clients that reset
        their connection after a refused head wrote 235 lines."""
        failure = sys.exc_info()[1]
        if isinstance(failure, ConnectionError | TimeoutError):
            log.debug("HTTP client %s went away: %s", client_address[0], failure)
        else:
            log.exception("HTTP request from %s failed", client_address[0])

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _Deadlines:
    """Connections that must have sent their request's head by a time: one thread checks them
    each quarter second and shuts a late one down, which ends its handler's read."""

    def __init__(self) -> None:
        self._due: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="http-deadlines")

    def arm(self, connection: socket.socket, seconds: float) -> None:
        with self._lock:
            self._due[connection] = time.monotonic() + seconds

    def disarm(self, connection: socket.socket) -> None:
        with self._lock:
            self._due.pop(connection, None)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(0.25):
            now = time.monotonic()
            with self._lock:
                late = [c for c, due in self._due.items() if due <= now]
                for connection in late:
                    del self._due[connection]
            for connection in late:
                with contextlib.suppress(OSError):  # closed meanwhile
                    connection.shutdown(socket.SHUT_RDWR)

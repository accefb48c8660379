"""Logging, configured in one place: JSON lines for services, plain text for the terminal."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

# Attributes every LogRecord has; anything else was passed through `extra=` and is context.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the `extra` context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


_RACED_MESSAGES = (
    "%s: Error receiving network data",
    "%s: Error sending request data",
    "%s: socket disconnected",
)


class _IoAfterOwnClose(logging.Filter):
    """kafka-python 3.0.12 races its own close; this says so at DEBUG, without a traceback.

    A transport closed from the client's thread shuts and drops its socket (sets it to None)
    while the network thread's read task is between "readable" and `recv()`, or inside it (or
    its write task between two `send()`s); the task then logs "Error receiving network data"
    (or "sending request data") at ERROR with a traceback (an `AttributeError` on None, a bad
    file descriptor), or "socket disconnected" (the shut socket read empty), on a clean
    shutdown, naming the transport "(closed)". The client closed that transport on purpose,
    and the closed transport drops the task's error. A receive or send error of a transport
    still open stays an ERROR with its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        transport = record.args[0] if isinstance(record.args, tuple) and record.args else None
        closing = getattr(transport, "is_closing", None)
        if not (str(record.msg).startswith(_RACED_MESSAGES) and callable(closing) and closing()):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.exc_info = record.exc_text = None
        record.msg = f"{record.msg} (the client had closed it: not an error)"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


_KAFKA_NET_LOGGERS = (
    "kafka.net.compat",
    "kafka.net.connection",
    "kafka.net.http_connect",
    "kafka.net.inet",
    "kafka.net.manager",
    "kafka.net.sasl.msk",
    "kafka.net.sasl.oauth",
    "kafka.net.sasl.plain",
    "kafka.net.sasl.scram",
    "kafka.net.sasl.sspi",
    "kafka.net.selector",
    "kafka.net.socks5",
    "kafka.net.transport",
)
"""kafka-python 3.0.12's loggers of a connection, its transport and its SASL handshake."""


class _OwnCheckRecords(logging.Filter):
    """Records kafka-python logs on a thread inside `kafka_records_of_own_check`: at DEBUG.

    A check of newsflow's (the SASL credentials check) drives kafka-python's connection on
    its own thread and reports what it met itself; the connection's own warnings and errors
    ("Request timed out", "Abort", "Connection lost") would say it again, at ERROR, on every
    retry of an outage. Other threads' records (the clients' network threads) are left as
    they are."""

    def __init__(self) -> None:
        super().__init__()
        self.checking = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(self.checking, "active", False) or record.levelno <= logging.DEBUG:
            return True
        record.msg = f"{record.msg} (newsflow's own check, which reports its outcome itself)"
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.exc_info = record.exc_text = None
        return logging.getLogger().isEnabledFor(logging.DEBUG)


_OWN_CHECK = _OwnCheckRecords()
_OWN_CHECK_INSTALLED = threading.Lock()


@contextmanager
def kafka_records_of_own_check() -> Iterator[None]:
    """While the block runs, what kafka-python logs on this thread goes to DEBUG (see
    `_OwnCheckRecords`). The filter is added to kafka-python's loggers once, and stays."""
    with _OWN_CHECK_INSTALLED:
        for name in _KAFKA_NET_LOGGERS:
            logger = logging.getLogger(name)
            if _OWN_CHECK not in logger.filters:
                logger.addFilter(_OWN_CHECK)
    outer = getattr(_OWN_CHECK.checking, "active", False)
    _OWN_CHECK.checking.active = True
    try:
        yield
    finally:
        _OWN_CHECK.checking.active = outer  # a block inside another leaves it on


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Route all loggers to stderr; JSON for services, human-readable otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("kafka").setLevel(max(root.level, logging.WARNING))
    transport = logging.getLogger("kafka.net.transport")
    transport.filters[:] = [f for f in transport.filters if not isinstance(f, _IoAfterOwnClose)]
    transport.addFilter(_IoAfterOwnClose())

"""A redis-server of a test's own, on a free port with nothing kept on disk: for memory
settings, ACL files and restarts that must touch no other test's Redis."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

from newsflow.kafka.localbroker import free_port

ATTEMPTS = 5


@contextmanager
def private_redis(*options: str, **client_options: Any) -> Iterator[redis.Redis]:
    """The server started with `options`; yields a client of it (`client_options`: its user
    and password), once it answers.

    A free port can be taken by another test's server between finding it and binding it (the
    tests run in parallel): then this server exits and the client would talk to the other one,
    so the server that answers must be this one (its process id), else another port is tried."""
    server = shutil.which("redis-server")
    if server is None:  # a failure, not a skip: these tests need a Redis of their own
        pytest.fail("redis-server is not installed (the fault tests need it too)")
    for _ in range(ATTEMPTS):
        port = free_port()
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(
            port=port, socket_timeout=2, socket_connect_timeout=2, **client_options
        )
        if _serves(client, process):
            break
        client.close()
        process.terminate()
        process.wait(10)
    else:
        pytest.fail(f"no redis-server of the test's own answered in {ATTEMPTS} attempts")
    try:
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(10)


def _serves(client: redis.Redis, process: subprocess.Popen[bytes]) -> bool:
    """Whether the server answering the client is `process`, within 5 s."""
    for _ in range(100):
        if process.poll() is not None:
            return False
        try:
            return bool(client.info("server")["process_id"] == process.pid)
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    return False

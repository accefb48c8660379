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


@contextmanager
def private_redis(*options: str, **client_options: Any) -> Iterator[redis.Redis]:
    """The server started with `options`; yields a client of it (`client_options`: its user
    and password), once it answers."""
    server = shutil.which("redis-server")
    if server is None:  # a failure, not a skip: these tests need a Redis of their own
        pytest.fail("redis-server is not installed (the fault tests need it too)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2, **client_options)
    try:
        for _ in range(100):
            assert process.poll() is None, "redis-server did not start"
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(10)

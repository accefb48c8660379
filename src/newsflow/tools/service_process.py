"""A newsflow service run as a child process, the way an operator starts one.

`python -m newsflow <name> <args…>` with its `NEWSFLOW_*` environment, output to a log file,
and the HTTP endpoints it serves: wait for `/readyz`, read `/metrics`, stop with SIGTERM. Used
by `newsflow demo`, the integration tests and the performance suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from newsflow.errors import NewsflowError


class ServiceExited(NewsflowError):
    """The service process ended (or never became ready); the message carries its log."""


class ServiceProcess:
    """One `newsflow ingest|extract` process; its HTTP port comes from the environment.
    `cpus`: the CPUs it (and every process and thread it starts) may run on, as a container
    given that many CPUs; by default, any."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        log: Path,
        args: Sequence[str] = (),
        *,
        cpus: Collection[int] | None = None,
    ) -> None:
        self.name = name
        self.env = dict(env)
        self.port = int(self.env["NEWSFLOW_HTTP_PORT"])
        self.log = log
        with log.open("wb") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newsflow", name, *args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, *, timeout: float = 5) -> tuple[int, bytes]:
        """Status and body of a GET; HTTP errors are answers, connection errors raise."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout: float = 60) -> None:
        """Until `/readyz` answers 200; `ServiceExited` if the process ends or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if self.get("/readyz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise ServiceExited(f"{self.name} not ready after {timeout:g} s:\n{self.log_text()}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ServiceExited(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_text()}"
            )

    def metric(self, name: str, **labels: str) -> float:
        """The sum of a metric's samples whose labels include `labels`."""
        _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if not line.startswith((name + "{", name + " ")):
                continue
            head, value = line.rsplit(" ", 1)
            if all(f'{key}="{wanted}"' in head for key, wanted in labels.items()):
                total += float(value)
        return total

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait for the exit status (raises if it does not exit in time)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then kill if it has not exited within `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self, limit: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-limit:]


def stop_all(services: Sequence[ServiceProcess], timeout: float = 30) -> None:
    """SIGTERM every service at once, then wait for each (killing what outlives `timeout`)."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        service.stop(timeout)

"""The real processes behind the live test: Redis, both services, Prometheus, on localhost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from deploy_support import RULES, tool

from newsflow.kafka.localbroker import free_port

# Tansu (the test broker) joins groups in ≈ session_timeout / 2: shorten the group timings as
# tests/integration does (production keeps Kafka's defaults). The extraction time limit stays
# at its default, so the poll interval must hold 10 records × (5 s + 1 s) twice over.
FAST_GROUP = {
    "NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "NEWSFLOW_KAFKA_MAX_POLL_INTERVAL_MS": "120000",
    "NEWSFLOW_KAFKA_MAX_POLL_RECORDS": "10",
}


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(what: str, check: Any, timeout: float = 60, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            process.check_alive()
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    detail = f"\n{process.log_text()}" if process is not None else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path
    scrape_port: int | None = None  # where Prometheus asks /metrics, when not `port`

    @classmethod
    def start(cls, name: str, argv: list[str], port: int, log_dir: Path, **env: str) -> Process:
        log = log_dir / f"{name}.log"
        popen = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(name, popen, port, log)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.popen.returncode}:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of `name` whose labels include `labels`, from /metrics."""
        total = 0.0
        for line in http_get(self.url("/metrics"))[1].decode().splitlines():
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] == name and all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def stop(self, timeout: float = 30) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_redis(log_dir: Path, port: int | None = None) -> Process:
    port = port or free_port()
    argv = [tool("redis-server", "redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
    redis = Process.start("redis", [*argv, "--save", "", "--appendonly", "no"], port, log_dir)
    wait_for("redis", lambda: _redis_ping(port), 10, redis)
    return redis


def _redis_ping(port: int) -> bool:
    import redis

    return bool(redis.Redis(port=port, socket_timeout=1).ping())


def start_service(name: str, log_dir: Path, bootstrap: str, **env: str) -> Process:
    """A service as deployed: ingest scraped on its metrics port, not the intake's."""
    port = free_port()
    if name == "ingest":
        env = {"NEWSFLOW_METRICS_PORT": str(free_port()), **env}
    service = Process.start(
        name,
        [sys.executable, "-m", "newsflow", name],
        port,
        log_dir,
        **FAST_GROUP,
        NEWSFLOW_KAFKA_BOOTSTRAP=bootstrap,
        NEWSFLOW_HTTP_HOST="127.0.0.1",
        NEWSFLOW_HTTP_PORT=str(port),
        **env,
    )
    if "NEWSFLOW_METRICS_PORT" in env:
        service.scrape_port = int(env["NEWSFLOW_METRICS_PORT"])
    wait_for(f"{name} ready", lambda: http_get(service.url("/readyz"))[0] == 200, 60, service)
    return service


def worker_pids(service: Process) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(service.popen.pid), "-f", "spawn_main"], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def start_prometheus(work: Path, targets: dict[str, Process]) -> Process:
    """Prometheus scraping every second, with the real alert rules loaded."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": job,
                "static_configs": [
                    {"targets": [f"127.0.0.1:{process.scrape_port or process.port}"]}
                ],
            }
            for job, process in targets.items()
        ],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        tool("prometheus"),
        f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    prometheus = Process.start("prometheus", argv, port, work)
    wait_for("prometheus", lambda: http_get(prometheus.url("/-/ready"))[0] == 200, 60, prometheus)
    return prometheus


class PrometheusAPI:
    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: Any) -> Any:
        url = f"{self.base}{path}?{urllib.parse.urlencode(params)}"
        status, body = http_get(url, timeout=30)
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", f"{path} {params}: {answer}"
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def query_range(self, expr: str, start: float, end: float, step: float) -> Any:
        return self.get("/api/v1/query_range", query=expr, start=start, end=end, step=step)

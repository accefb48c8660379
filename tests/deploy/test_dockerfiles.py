"""The service images: multi-stage, pinned, dependencies before source, non-root, health-checked."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deploy_support import (
    METRICS_PORT,
    ROOT,
    SERVICES,
    parses_as_newsflow_command,
    setting_default,
)

from newsflow.kafka.localbroker import free_port
from newsflow.service.http import HealthServer
from newsflow.tools.service_process import ServiceProcess

Instruction = tuple[str, str]


def instructions(service: str) -> list[Instruction]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "services" / service / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    result = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(service: str) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for keyword, rest in instructions(service):
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def base_image(service: str, reference: str) -> str:
    args = dict(rest.split("=", 1) for keyword, rest in instructions(service) if keyword == "ARG")
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], reference.split()[0])


def last(stage: list[Instruction], keyword: str) -> str:
    return [rest for kw, rest in stage if kw == keyword][-1]


@pytest.mark.parametrize("service", SERVICES)
def test_multi_stage_on_a_pinned_slim_base(service: str) -> None:
    builder, runtime = stages(service)
    for stage in (builder, runtime):
        image = base_image(service, stage[0][1])
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", image), image
    assert "--from=builder" in " ".join(rest for kw, rest in runtime if kw == "COPY")


@pytest.mark.parametrize("service", SERVICES)
def test_dependencies_are_installed_before_the_source_is_copied(service: str) -> None:
    builder = stages(service)[0]
    steps = [f"{kw} {rest}" for kw, rest in builder]

    def first(pattern: str) -> int:
        return next(i for i, step in enumerate(steps) if re.search(pattern, step))

    assert first(r"^COPY pyproject\.toml") < first(r"pip install -r") < first(r"^COPY src")
    assert first(r"^COPY src") < first(r"pip install --no-deps \.")


@pytest.mark.parametrize("service", SERVICES)
def test_runs_as_a_non_root_user(service: str) -> None:
    runtime = stages(service)[1]
    user = last(runtime, "USER").split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"


@pytest.mark.parametrize("service", SERVICES)
def test_health_check_stop_signal_port_and_command(service: str) -> None:
    runtime = stages(service)[1]
    port = setting_default(service, "NEWSFLOW_HTTP_PORT")
    assert "/healthz" in last(runtime, "HEALTHCHECK")
    assert last(runtime, "STOPSIGNAL") == "SIGTERM"
    assert f"NEWSFLOW_HTTP_PORT={port}" in last(runtime, "ENV")
    if service == "ingest":  # probes and scrapes on a port the intake's connections cannot fill
        assert last(runtime, "EXPOSE") == f"{port} {METRICS_PORT}"
        assert f"NEWSFLOW_METRICS_PORT={METRICS_PORT}" in last(runtime, "ENV")
    else:
        assert last(runtime, "EXPOSE") == str(port)
    assert "TMPDIR=/tmp" in last(runtime, "ENV")
    assert "NEWSFLOW_PORTS_FILE=/tmp/" in last(runtime, "ENV")  # the one writable place
    assert last(runtime, "WORKDIR") == "/tmp"  # the default store file: not in the read-only /
    command = json.loads(last(runtime, "CMD"))
    assert command == [service]
    parses_as_newsflow_command(command)
    assert last(runtime, "ENTRYPOINT").endswith('"newsflow"]')


def health_command(service: str) -> list[str]:
    """The HEALTHCHECK's CMD, as the container runs it."""
    check = last(stages(service)[1], "HEALTHCHECK")
    return list(json.loads(check.split(" CMD ", 1)[1]))


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("host", [None, "0.0.0.0", "127.0.0.2"])
def test_the_health_check_passes_where_the_service_listens(
    service: str, host: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With NEWSFLOW_HTTP_HOST one address (127.0.0.2 here), the check asked 127.0.0.1: a
    working container was marked unhealthy."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer(host or "0.0.0.0", 0, ready=lambda: (True, {}), routes={})
    server.start()
    try:
        env = {**os.environ, "NEWSFLOW_HTTP_PORT": str(server.port)}
        if host is not None:
            env["NEWSFLOW_HTTP_HOST"] = host
        command = health_command(service)
        assert command[0] == "python"
        checked = subprocess.run([sys.executable, *command[1:]], env=env, timeout=20)
        assert checked.returncode == 0
    finally:
        server.stop()


def test_the_ingest_health_check_asks_the_metrics_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intake's port closes a connection past its 256 at once: a check there would find a
    busy container unhealthy."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}))
    server.start()
    try:
        with socket.create_server(("127.0.0.1", 0)) as intake:  # takes connections, never answers
            env = {
                **os.environ,
                "NEWSFLOW_HTTP_HOST": "127.0.0.1",
                "NEWSFLOW_HTTP_PORT": str(intake.getsockname()[1]),
                "NEWSFLOW_METRICS_PORT": str(server.port),
            }
            command = health_command("ingest")
            checked = subprocess.run([sys.executable, *command[1:]], env=env, timeout=20)
        assert checked.returncode == 0
    finally:
        server.stop()


@pytest.mark.parametrize("metrics_port", [None, "", "0"], ids=["unset", "emptied", "0"])
def test_the_ingest_health_check_asks_the_intake_port_without_a_metrics_port_to_ask(
    metrics_port: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEWSFLOW_METRICS_PORT=0 puts the probes' own listener on any free port, which the check
    cannot know; they are on the intake's port too. The check asked port 0: a working
    container was marked unhealthy."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={})
    server.start()
    try:
        env = {
            **os.environ,
            "NEWSFLOW_HTTP_HOST": "127.0.0.1",
            "NEWSFLOW_HTTP_PORT": str(server.port),
        }
        env.pop("NEWSFLOW_METRICS_PORT", None)
        if metrics_port is not None:
            env["NEWSFLOW_METRICS_PORT"] = metrics_port
        command = health_command("ingest")
        checked = subprocess.run([sys.executable, *command[1:]], env=env, timeout=20)
        assert checked.returncode == 0
    finally:
        server.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_the_health_check_finds_a_service_started_on_any_free_port(
    service: str, tmp_path: Path
) -> None:
    """With NEWSFLOW_HTTP_PORT=0 (and ingest's NEWSFLOW_METRICS_PORT 0) the service never said
    which port it had: the check asked port 0, and a working container was marked unhealthy.
    The image's NEWSFLOW_PORTS_FILE names the file the service writes its ports to."""
    ports_file = tmp_path / "newsflow-ports.json"  # the image's is under /tmp
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # none: /healthz answers before
        "NEWSFLOW_HTTP_HOST": "127.0.0.1",
        "NEWSFLOW_HTTP_PORT": "0",
        "NEWSFLOW_METRICS_PORT": "0",
        "NEWSFLOW_PORTS_FILE": str(ports_file),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    if service == "extract":
        del env["NEWSFLOW_METRICS_PORT"]  # ingest's own setting
    command = health_command(service)
    process = ServiceProcess(service, env, tmp_path / "service.log")
    try:
        deadline = time.monotonic() + 20  # the HEALTHCHECK's start period
        while b"service started" not in (tmp_path / "service.log").read_bytes():
            process.check_alive()
            assert time.monotonic() < deadline, process.log_text()
            time.sleep(0.1)
        checked = subprocess.run(
            [sys.executable, *command[1:]], env=env, timeout=20, capture_output=True
        )
        assert checked.returncode == 0, checked.stderr.decode()
    finally:
        process.stop()
    assert not ports_file.exists()  # removed at exit: no port of a service gone is told


def test_build_context_sends_only_what_the_images_need() -> None:
    text = (ROOT / ".dockerignore").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*", "deny everything, then allow"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src", "services"}

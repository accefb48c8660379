"""What the deploy tests share: the files under test, the code's metrics and settings, tools."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "newsflow.json"
K8S = DEPLOY / "k8s"
SERVICES = ("ingest", "extract")
METRICS_PORT = 9001
"""Ingest's NEWSFLOW_METRICS_PORT wherever it is deployed: its probes and scrapes ask this port,
which the intake's connections cannot fill (extract has no intake: its HTTP port)."""


def probed_port(service: str) -> int:
    """The port a service's health checks, probes and scrapes ask."""
    return (
        METRICS_PORT if service == "ingest" else int(setting_default(service, "NEWSFLOW_HTTP_PORT"))
    )


# Grafana's variables, replaced by values any Prometheus accepts.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
    "$service": ".+",
    "$instance": ".+",
    "${datasource}": "prometheus",
}
METRIC = re.compile(r"\b(newsflow_[a-z_]+|up)\b(\{[^}]*\})?")
MATCHER_LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
TARGET_LABELS = {"job", "instance"}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def tool(name: str, package: str = "prometheus") -> str:
    """Path of a program from Debian's packages; fails (never skips) saying how to get it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: `apt-get install {package}` (`./dev test` installs it)",
            pytrace=False,
        )
    return path


def promtool(*args: str | Path, cwd: Path = PROMETHEUS_DIR) -> str:
    done = subprocess.run(
        [tool("promtool"), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(map(str, args))} failed:\n{output}"
    return output


def exported_metrics() -> dict[str, frozenset[str]]:
    """Series names the services export (as Prometheus stores them) → their label names."""
    return {name: labels for name, (_, labels) in exported_series().items()}


def counter_series() -> frozenset[str]:
    """The exported series that only go up (counters, and histograms' buckets, sums and
    counts), reset to 0 when a service restarts: read through rate() or increase()."""
    return frozenset(name for name, (kind, _) in exported_series().items() if kind != "gauge")


@cache
def exported_series() -> dict[str, tuple[str, frozenset[str]]]:
    """Series names the services export → (counter, histogram or gauge; their label names).

    Read from `newsflow.service.metrics` in a fresh interpreter, so no registry is shared.
    """
    probe = """
import json
from newsflow.service.metrics import Metrics
found = {}
for metric in vars(Metrics("probe")).values():
    if hasattr(metric, "_type"):
        found[metric._name] = [metric._type, list(metric._labelnames)]
print(json.dumps(found))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    series: dict[str, tuple[str, frozenset[str]]] = {"up": ("gauge", frozenset(TARGET_LABELS))}
    for name, (kind, labels) in json.loads(done.stdout).items():
        names = frozenset(set(labels) | TARGET_LABELS)
        if kind == "counter":
            series[name + "_total"] = (kind, names)
        elif kind == "histogram":
            series[name + "_bucket"] = (kind, names | {"le"})
            series[name + "_sum"] = series[name + "_count"] = (kind, names)
        else:
            series[name] = (kind, names)
    return series


def unknown_names(expr: str) -> list[str]:
    """Metric and label names in a PromQL expression that the services do not export."""
    known = exported_metrics()
    problems: list[str] = []
    labels_in_scope: set[str] = set()
    for match in METRIC.finditer(expr):
        name, matchers = match.group(1), match.group(2) or ""
        if name not in known:
            problems.append(f"metric {name}")
            continue
        labels_in_scope |= known[name]
        problems += [
            f"label {label} of {name}"
            for label in MATCHER_LABEL.findall(matchers)
            if label not in known[name]
        ]
    for grouping in GROUPING.findall(expr):
        for label in filter(None, (part.strip() for part in grouping.split(","))):
            if label not in labels_in_scope:
                problems.append(f"grouping label {label}")
    return problems


def substitute_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def dashboard_panels() -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])
    return panels


def dashboard_queries() -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable, variables substituted."""
    for panel in dashboard_panels():
        for target in panel.get("targets", []):
            yield (
                f"panel {panel['title']!r} {target['refId']}",
                substitute_variables(target["expr"]),
            )
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            yield f"variable {variable['name']}", label_values_selector(variable["definition"])


def label_values_selector(definition: str) -> str:
    """`label_values(expr, label)` → `expr`, the series the variable's values come from."""
    match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", definition.strip())
    assert match, f"unexpected variable query {definition!r}"
    return substitute_variables(match.group(1))


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


@cache
def settings_by_command() -> dict[str, frozenset[str]]:
    """NEWSFLOW_* variables each `newsflow` command reads, from the code's own declarations."""
    from newsflow.cli import command_settings

    settings = command_settings()
    settings["topics"] = settings["topics create"]
    return {command: frozenset(s.env for s in each) for command, each in settings.items()}


def setting_default(command: str, env: str) -> Any:
    from newsflow.commands import extract_settings, ingest_settings

    settings = {"ingest": ingest_settings, "extract": extract_settings}[command]()
    return next(s.default for s in settings if s.env == env)


def parses_as_newsflow_command(argv: list[str]) -> None:
    """Fails unless `newsflow ARGV` is accepted by the real command-line parser."""
    from newsflow.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"`newsflow {' '.join(argv)}` is not a valid command") from exc


def render_kustomization(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize DIR` gives, for the features these kustomizations use.

    Supported: `resources` (files and directories), `labels` (metadata only) and `images`
    (newName / newTag). Anything else fails, so a new feature cannot be silently ignored.
    """
    config = load_yaml(directory / "kustomization.yaml")
    unsupported = set(config) - {"apiVersion", "kind", "resources", "labels", "images"}
    assert not unsupported, f"{directory}: render_kustomization does not handle {unsupported}"
    objects: list[dict[str, Any]] = []
    for entry in config.get("resources", []):
        path = (directory / entry).resolve()
        assert path.exists(), f"{directory / 'kustomization.yaml'} lists missing {entry}"
        if path.is_dir():
            objects += render_kustomization(path)
        else:
            objects += load_yaml_all(path)
    for spec in config.get("labels", []):
        assert not spec.get("includeSelectors") and not spec.get("includeTemplates")
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(spec["pairs"])
    for image in config.get("images", []):
        for container in containers(objects):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                name = image.get("newName", name)
                tag = image.get("newTag", tag)
                container["image"] = f"{name}:{tag}" if tag else name
    return objects


def containers(objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for obj in objects:
        if obj["kind"] == "Deployment":
            pod = obj["spec"]["template"]["spec"]
            yield from pod.get("initContainers", [])
            yield from pod["containers"]


WORKER_RSS_MIB = 200
"""A worker's resident memory: 130–186 MiB in the suite's memory runs (README, Performance, the
latest run and the committed tables), with room to spare."""
SUPERVISOR_MIB = 150
"""The supervisor process and its HTTP server: 69–127 MiB in the same runs, with room to
spare."""

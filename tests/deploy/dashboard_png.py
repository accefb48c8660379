"""Draw the Grafana dashboard's layout with matplotlib, from a live Prometheus.

Grafana cannot run here; this renders every panel at its grid position with the data its
queries return, so the README can show what the dashboard looks like on real data.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from deploy_support import substitute_variables
from live_stack import PrometheusAPI

UNIT_HEIGHT = 0.42  # inches per Grafana grid row
WIDTH = 20.0  # inches for the 24 grid columns
LEFT = 0.03  # figure fraction left of each panel, for its tick labels


def layout(dashboard: dict[str, Any], instances: list[str]) -> list[tuple[dict, str, int]]:
    """(panel, instance it shows, y) in drawing order, repeated rows expanded per instance."""
    placed: list[tuple[dict, str, int]] = []
    offset = 0
    repeat: list[dict] = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            repeat = [panel] if panel.get("repeat") else []
        if repeat:
            if panel is not repeat[0]:
                repeat.append(panel)
            continue
        placed.append((panel, ".+", panel["gridPos"]["y"]))
        offset = max(offset, panel["gridPos"]["y"] + panel["gridPos"]["h"])
    if repeat:
        top = repeat[0]["gridPos"]["y"]
        height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in repeat) - top
        for index, instance in enumerate(instances):
            for panel in repeat:
                placed.append(
                    (
                        panel,
                        _promql_regex(instance),
                        offset + index * height + panel["gridPos"]["y"] - top,
                    )
                )
    return placed


def _promql_regex(value: str) -> str:
    """`value` as an exact regex inside a PromQL string (backslashes doubled)."""
    return re.escape(value).replace("\\", "\\\\")


def render(
    api: PrometheusAPI,
    dashboard: dict[str, Any],
    instances: list[str],
    start: float,
    end: float,
    path: Path,
) -> None:
    placed = layout(dashboard, instances)
    rows = max(y + panel["gridPos"]["h"] for panel, _, y in placed)
    figure = plt.figure(figsize=(WIDTH, rows * UNIT_HEIGHT + 0.6))
    scale_x, scale_y = (1 - LEFT) / 24, 1 / (rows + 1.5)
    figure.suptitle(
        f"{dashboard['title']}: {datetime.fromtimestamp(end):%Y-%m-%d %H:%M}, live Prometheus data"
        " (x axes: minutes before then)",
        x=0.01,
        y=1 - 0.4 * scale_y,
        ha="left",
        fontsize=13,
        weight="bold",
    )
    for panel, instance, y in placed:
        grid = panel["gridPos"]
        top = 1 - (y + 1.5) * scale_y
        if panel["type"] == "row":
            title = panel["title"].replace("$instance", instance.replace("\\", ""))
            figure.text(0.01, top - 0.7 * scale_y, title, fontsize=11, weight="bold", color="#444")
            continue
        box = (
            LEFT + grid["x"] * scale_x,
            top - (grid["h"] - 0.8) * scale_y,
            grid["w"] * scale_x - LEFT,
            (grid["h"] - 1.4) * scale_y,
        )
        axes = figure.add_axes(box)
        axes.set_title(panel["title"], fontsize=9, loc="left")
        unit = panel["fieldConfig"]["defaults"].get("unit", "short")
        if panel["type"] == "stat":
            _stat(api, axes, panel, instance, unit)
        else:
            _timeseries(api, axes, panel, instance, unit, start, end)
    figure.savefig(path, dpi=80)
    plt.close(figure)


def _expr(target: dict[str, Any], instance: str) -> str:
    return substitute_variables(target["expr"].replace("$instance", instance))


def _legend(target: dict[str, Any], labels: dict[str, str]) -> str:
    text = re.sub(
        r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), target["legendFormat"]
    )
    return text or target["refId"]


def _format(value: float, unit: str) -> str:
    if value != value:
        return "–"
    if unit == "percentunit":
        return f"{value:.0%}"
    if unit == "s":
        return f"{value:.2g} s"
    return f"{value:.3g}{'/s' if unit == 'reqps' else ''}"


def _stat(api: PrometheusAPI, axes: Any, panel: dict[str, Any], instance: str, unit: str) -> None:
    axes.axis("off")
    parts = []
    for target in panel["targets"]:
        for series in api.query(_expr(target, instance)):
            value = _format(float(series["value"][1]), unit)
            label = _legend(target, series["metric"])
            parts.append(value if label == target["refId"] else f"{label}: {value}")
    size = 22 if len(parts) == 1 else 11
    axes.text(
        0.5,
        0.4,
        "\n".join(parts) or "no data",
        ha="center",
        va="center",
        fontsize=size,
        color="#1f77b4",
    )


def _timeseries(
    api: PrometheusAPI,
    axes: Any,
    panel: dict[str, Any],
    instance: str,
    unit: str,
    start: float,
    end: float,
) -> None:
    step = max(1.0, (end - start) / 200)
    lines = 0
    for target in panel["targets"]:
        for series in api.query_range(_expr(target, instance), start, end, step)["result"]:
            times = [(float(t) - end) / 60 for t, _ in series["values"]]
            values = [float(v) for _, v in series["values"]]
            axes.plot(times, values, linewidth=1.2, label=_legend(target, series["metric"]))
            lines += 1
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    if unit == "percentunit":
        axes.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    elif unit in {"s", "reqps"}:
        axes.set_ylabel("seconds" if unit == "s" else "per second", fontsize=7)
    if lines:
        axes.legend(fontsize=6, loc="upper left", ncol=2 if lines > 4 else 1, framealpha=0.6)
    else:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)

"""Every metric deploy/ names, anywhere (dashboard, alert rules, the PrometheusRule, the
autoscalers and the prometheus-adapter rule in their comments, the Compose files), is one the
services export; and every label value a query matches on (`outcome="dlq"`) is one they write.

test_dashboard and test_prometheus check the metric and label *names* of the dashboard's and
alerts.yml's queries, not the values: a dashboard panel on `outcome="cleaned"` passed every
check but the live one (a broker, both services and a real Prometheus)."""

from __future__ import annotations

import ast
import re
from functools import cache

from deploy_support import (
    DEPLOY,
    ROOT,
    alert_rules,
    counter_series,
    dashboard_queries,
    exported_metrics,
)

from newsflow.rejection import REASONS

NAME = re.compile(r"\bnewsflow_[a-z_]+\b")
MATCHER = re.compile(r'\b(outcome|service|stage|reason|job)\s*(=~|=)\s*\\?"([^"\\]*)\\?"')
GRAFANA_VARIABLE = re.compile(r"\$\w+|\$\{\w+\}")
SERIES = re.compile(r"\b(newsflow_[a-z_]+|up)\b")
RATE_FUNCTIONS = {"rate", "irate", "increase", "resets"}
"""What a counter is read through: its value alone starts over at every restart of a service
(the metrics directory is emptied at start), and a rate of a gauge means nothing."""


def deploy_texts() -> dict[str, str]:
    """The text of every file under deploy/ but images, and of the Compose files."""
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix != ".png"]
    files += sorted(ROOT.glob("docker-compose*.yml"))
    return {str(p.relative_to(ROOT)): p.read_text() for p in files}


@cache
def written_values() -> dict[str, set[str]]:
    """The values the services write for each label a query may match on: outcomes and stages
    from the processors' `metrics.prime(outcomes=…, stage=…)`, reasons from the code's set."""
    outcomes: set[str] = set()
    stages: set[str] = set()
    for path in sorted(ROOT.glob("services/*/newsflow_*/processor.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "prime":
                given = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                outcomes |= set(given["outcomes"])
                stages.add(given["stage"])
    assert outcomes and stages
    return {
        "outcome": outcomes,
        "stage": stages,
        "service": stages,  # each service labels its metrics with its name
        "job": {f"newsflow-{s}" for s in stages},
        "reason": set(REASONS),
    }


def unknown_values(text: str) -> list[str]:
    """`label="value"` and `label=~"a|b"` matchers whose values the services never write (a
    regular expression's alternatives that are plain words; a Grafana variable is skipped)."""
    known = written_values()
    problems = []
    for label, operator, value in MATCHER.findall(text):
        if GRAFANA_VARIABLE.search(value):
            continue
        for word in alternatives(value) if operator == "=~" else [value]:
            if re.fullmatch(r"[\w.-]+", word) and word not in known[label]:
                problems.append(f'{label}="{word}"')
    return problems


def alternatives(pattern: str) -> list[str]:
    """The strings a regular expression of plain alternatives matches: `a|b` and
    `newsflow-(ingest|extract)`; any other part stays as written (and is then no plain word)."""
    group = re.search(r"\(([^()]*)\)", pattern)
    if group is None:
        return pattern.split("|")
    head, tail = pattern[: group.start()], pattern[group.end() :]
    return [w for a in group[1].split("|") for w in alternatives(head + a + tail)]


def known_names() -> set[str]:
    """The series the services export, and a histogram's own name (`…_seconds`)."""
    series = set(exported_metrics())
    return series | {name.removesuffix("_bucket") for name in series}


def test_every_metric_named_in_deploy_is_exported() -> None:
    known = known_names()
    unknown = {
        path: sorted(set(NAME.findall(text)) - known) for path, text in deploy_texts().items()
    }
    assert {path: names for path, names in unknown.items() if names} == {}


def test_every_label_value_matched_in_deploy_is_written() -> None:
    problems = {path: unknown_values(text) for path, text in deploy_texts().items()}
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_checks_see_the_files_and_catch_a_misspelling() -> None:
    texts = deploy_texts()
    assert {"deploy/prometheus/alerts.yml", "deploy/k8s/hpa/hpa.yaml"} <= set(texts)
    assert any(NAME.search(text) for text in texts.values())
    assert unknown_values('newsflow_outcomes_total{outcome=~"clean|duplicates"}') == [
        'outcome="duplicates"'
    ]
    assert unknown_values('up{job=~"newsflow-$service"}') == []
    assert unknown_values('up{job=~"newsflow-(ingest|extrakt)"}') == ['job="newsflow-extrakt"']
    assert unknown_values(r"{\"outcome\": \"dlq\"} newsflow_x{outcome=\"dead\"}") == [
        'outcome="dead"'
    ]


def test_the_readme_names_only_exported_metrics() -> None:
    packages = {p.name for p in ROOT.glob("services/*/newsflow_*")}
    named = set(NAME.findall((ROOT / "README.md").read_text())) - packages
    assert named and sorted(named - known_names()) == []


def misread_series(expr: str) -> list[str]:
    """Counters not read through rate() or increase(), and gauges that are: each series with
    the function it is the argument of (none: an aggregation's, a comparison's)."""
    counters = counter_series()
    unquoted = re.sub(r'"[^"]*"', lambda m: '"' + "_" * (len(m[0]) - 2) + '"', expr)
    problems = []
    for match in SERIES.finditer(unquoted):
        name, function = match[1], enclosing_function(unquoted, match.start())
        if (name in counters) != (function in RATE_FUNCTIONS):
            problems.append(f"{name} in {function or 'no function'}()")
    return problems


def enclosing_function(expr: str, position: int) -> str:
    """The name of the function whose parentheses hold `position` ('' for an aggregation's
    body `by (…) (…)` or plain parentheses, or none at all)."""
    depth = 0
    for at in range(position - 1, -1, -1):
        if expr[at] == ")":
            depth += 1
        elif expr[at] == "(":
            if depth == 0:
                return re.search(r"(\w*)\s*$", expr[:at])[1]  # type: ignore[index]
            depth -= 1
    return ""


def test_counters_are_read_through_rates_and_gauges_never_are() -> None:
    queries = [*dashboard_queries(), *((r["alert"], r["expr"]) for r in alert_rules())]
    problems = {where: misread_series(expr) for where, expr in queries}
    assert {where: found for where, found in problems.items() if found} == {}


def test_the_rate_check_catches_a_counter_read_alone_and_a_rate_of_a_gauge() -> None:
    assert misread_series("sum(rate(newsflow_outcomes_total[5m]))") == []
    assert (
        misread_series(
            "histogram_quantile(0.9, sum by (le) "
            '(rate(newsflow_end_to_end_seconds_bucket{job=~"a(b)"}[5m])))'
        )
        == []
    )
    assert misread_series("max by (topic) (newsflow_consumer_lag_messages) > 0") == []
    assert misread_series("sum(newsflow_offset_commits_total) > 0") == [
        "newsflow_offset_commits_total in sum()"
    ]
    assert misread_series("rate(newsflow_in_flight_messages[5m])") == [
        "newsflow_in_flight_messages in rate()"
    ]
    assert misread_series("max_over_time(newsflow_store_errors_total[5m])") == [
        "newsflow_store_errors_total in max_over_time()"
    ]

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

from deploy_support import DEPLOY, ROOT, exported_metrics

from newsflow.rejection import REASONS

NAME = re.compile(r"\bnewsflow_[a-z_]+\b")
MATCHER = re.compile(r'\b(outcome|service|stage|reason|job)\s*(=~|=)\s*\\?"([^"\\]*)\\?"')
GRAFANA_VARIABLE = re.compile(r"\$\w+|\$\{\w+\}")


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

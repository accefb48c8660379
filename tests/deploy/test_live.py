"""The real Prometheus against the real services: every dashboard query and alert expression.

Articles go through ingest and extract on a local broker; an extract worker is killed and the
store is taken away for a while, so restarts and store errors are exported too. Prometheus
(Debian's package) scrapes both services with the real alert rules loaded, then every panel
query must return data and every alert expression must evaluate.

NEWSFLOW_LIVE_ROUNDS (default 3) sets how many rounds of articles are published, one a second;
NEWSFLOW_DASHBOARD_PNG=path also writes the rendered dashboard there (for the README).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_png import render
from deploy_support import (
    ROOT,
    alert_rules,
    dashboard,
    dashboard_queries,
    exported_metrics,
    unknown_names,
)
from live_stack import (
    Process,
    PrometheusAPI,
    start_prometheus,
    start_redis,
    start_service,
    wait_for,
    worker_pids,
)

from newsflow.kafka.clients import create_topics
from newsflow.kafka.localbroker import LocalBroker
from newsflow.kafka.settings import KafkaSettings, Topics

pytestmark = pytest.mark.kafka
SAMPLES = ROOT / "samples"
ROUNDS = int(os.environ.get("NEWSFLOW_LIVE_ROUNDS", "3"))


def publish(bootstrap: str, *inputs: Path, base_url: str) -> None:
    argv = [sys.executable, "-m", "newsflow", "publish", *map(str, inputs)]
    subprocess.run([*argv, "--base-url", base_url, "--kafka-bootstrap", bootstrap], check=True)


def round_of_articles(directory: Path, number: int) -> Path:
    """What the compose load generator sends: the sample texts made new (one a syndicated
    copy), and every 10th round the crawl lines, five of them malformed."""
    directory.mkdir(parents=True, exist_ok=True)
    for sample in sorted(SAMPLES.glob("*.txt")):
        (directory / sample.name).write_text(f"{sample.read_text()}\n\nUpdate {number}.\n")
    if number % 10 == 1:
        shutil.copy(SAMPLES / "crawl.ndjson", directory)
    return directory


def post_article(ingest: Process) -> None:
    line = (SAMPLES / "crawl.ndjson").read_bytes().splitlines()[0]
    request = urllib.request.Request(ingest.url("/v1/articles"), data=line, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


class Stack:
    def __init__(self, api: PrometheusAPI, ingest: Process, extract: Process, start: float):
        self.api, self.ingest, self.extract, self.start = api, ingest, extract, start


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("live")
    started: list[Process] = []
    with LocalBroker() as broker:
        create_topics(
            KafkaSettings(bootstrap=broker.bootstrap), Topics().all(), partitions=6, replication=1
        )
        try:
            redis = start_redis(work)
            started.append(redis)
            store = f"redis://127.0.0.1:{redis.port}/0"
            ingest = start_service("ingest", work, broker.bootstrap)
            started.append(ingest)
            extract = start_service(
                "extract", work, broker.bootstrap, NEWSFLOW_WORKERS="2", NEWSFLOW_STORE_URL=store
            )
            started.append(extract)
            prometheus = start_prometheus(
                work, {"newsflow-ingest": ingest, "newsflow-extract": extract}
            )
            started.append(prometheus)
            begin = time.time()
            drive(work, broker.bootstrap, ingest, extract, redis, started)
            time.sleep(3)  # a few more scrapes and rule evaluations
            yield Stack(PrometheusAPI(prometheus.url("")), ingest, extract, begin)
        finally:
            for process in reversed(started):
                process.stop()


def drive(
    work: Path, bootstrap: str, ingest: Process, extract: Process, redis: Process, started: list
) -> None:
    """Articles through both services, a killed worker, a store outage; waits for each effect."""
    publish(bootstrap, SAMPLES, base_url="https://samples.example/")
    post_article(ingest)
    decided = lambda: extract.metric("newsflow_outcomes_total")  # noqa: E731
    wait_for(
        "samples decided",
        lambda: (
            decided() >= 8 and ingest.metric("newsflow_outcomes_total", outcome="rejected") >= 5
        ),
        60,
        extract,
    )
    for number in range(1, ROUNDS + 1):
        publish(
            bootstrap,
            round_of_articles(work / f"round-{number}", number),
            base_url=f"https://live.example/{number}/",
        )
        time.sleep(1)
    wait_for("rounds decided", lambda: decided() >= 8 + 6 * ROUNDS, 60, extract)

    os.kill(worker_pids(extract)[0], signal.SIGKILL)
    wait_for(
        "worker restarted",
        lambda: extract.metric("newsflow_worker_restarts_total") >= 1,
        30,
        extract,
    )

    before = decided()
    redis.stop()
    publish(
        bootstrap, round_of_articles(work / "outage", 1000), base_url="https://live.example/outage/"
    )
    wait_for(
        "store errors", lambda: extract.metric("newsflow_store_errors_total") >= 1, 60, extract
    )
    started.append(start_redis(work, redis.port))
    wait_for("decided after the outage", lambda: decided() >= before + 6, 90, extract)


def test_every_dashboard_query_returns_data(stack: Stack) -> None:
    empty = [where for where, expr in dashboard_queries() if not stack.api.query(expr)]
    assert empty == []


def test_service_variable_values_are_the_service_label_values(stack: Stack) -> None:
    jobs = {s["metric"]["job"] for s in stack.api.query('up{job=~"newsflow-.+"}')}
    services = {s["metric"]["service"] for s in stack.api.query("newsflow_outcomes_total")}
    assert {job.removeprefix("newsflow-") for job in jobs} == services == {"ingest", "extract"}


def test_every_alert_expression_evaluates_on_exported_metrics(stack: Stack) -> None:
    for rule in alert_rules():
        stack.api.query(rule["expr"])  # parses and evaluates, or the API says why
        assert unknown_names(rule["expr"]) == []
    groups = stack.api.get("/api/v1/rules")["groups"]
    health = {
        rule["name"]: (rule["health"], rule.get("lastError", ""))
        for g in groups
        for rule in g["rules"]
    }
    assert health == {rule["alert"]: ("ok", "") for rule in alert_rules()}


def test_every_metric_the_code_declares_is_scraped(stack: Stack) -> None:
    # The one exception: retries need a record whose processing raises, which nothing here does.
    names = {n for n in exported_metrics() if not n.endswith(("_sum", "_count"))}
    missing = {n for n in names - {"newsflow_retries_total"} if not stack.api.query(f"count({n})")}
    assert missing == set()


def test_dashboard_renders_from_live_data(stack: Stack, tmp_path: Path) -> None:
    instances = sorted({s["metric"]["instance"] for s in stack.api.query('up{job=~"newsflow-.+"}')})
    path = tmp_path / "dashboard.png"
    render(stack.api, dashboard(), instances, stack.start, time.time(), path)
    assert path.stat().st_size > 50_000
    if target := os.environ.get("NEWSFLOW_DASHBOARD_PNG"):
        shutil.copy(path, target)

"""Prometheus metrics of the services (`newsflow_<what>_<unit>`, bounded labels only).

Services run several worker processes, so metrics use prometheus_client's multiprocess mode:
`enable_multiprocess()` must run before `prometheus_client` is first imported in the service,
and the supervisor serves the merged view of every worker (`render`).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SECONDS_BUCKETS = (
    *(0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075),  # extractions: 6-13 ms
    *(0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5),  # end to end: p99 0.8 s, target 1 s
    *(10, 30, 60, 300, 3600),  # a crawler's fetched_at minutes or hours ago
)
"""Edges at most 1.5 apart around the latencies the README reports: histogram_quantile
interpolates within a bucket (tests/unit/service/test_metrics.py)."""


def enable_multiprocess() -> str:
    """Give this service (and the workers it spawns) a fresh metrics directory."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
    else:
        directory = tempfile.mkdtemp(prefix="newsflow-metrics-")
        os.environ[MULTIPROC_ENV] = directory
    return directory


def cleanup_multiprocess(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def mark_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay, so totals never go down)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def render() -> tuple[bytes, str]:
    """The merged metrics of all processes, in the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    registry.register(_SizedFilesCollector(os.environ[MULTIPROC_ENV]))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _SizedFilesCollector:
    """prometheus_client's multiprocess collector over the metric files that have been sized.

    A process creates its file empty and sizes it a moment later; the library's reader fails
    on an empty file and takes the whole scrape with it, and a worker killed in that moment
    leaves the file empty for good (client_python issue #1199, open in 0.26.0)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Any:
        from prometheus_client.multiprocess import MultiProcessCollector

        files = glob.glob(os.path.join(self.directory, "*.db"))
        return MultiProcessCollector.merge([f for f in files if _size(f) > 0], accumulate=True)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # removed since listed (a dead worker's gauges)
        return 0


@dataclass
class Metrics:
    """The service metrics, labelled by service; one instance per process."""

    service: str
    consumed: Any = None
    outcomes: Any = None
    rejections: Any = None
    extraction_seconds: Any = None
    extractor_restarts: Any = None
    end_to_end_seconds: Any = None
    pipeline_seconds: Any = None
    consumer_lag: Any = None
    store_errors: Any = None
    in_flight: Any = None
    worker_restarts: Any = None
    workers: Any = None
    workers_ready: Any = None
    retries: Any = None
    commits: Any = None
    http_requests: Any = None

    def __post_init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        s = ("service",)
        self.consumed = Counter(
            "newsflow_messages_consumed_total",
            "Messages consumed from the input topic",
            (*s, "topic"),
        )
        self.outcomes = Counter(
            "newsflow_outcomes_total",
            "Messages by outcome (ingested, rejected, clean, duplicate, dlq)",
            (*s, "outcome"),
        )
        self.rejections = Counter(
            "newsflow_rejections_total",
            "Rejected and dead-lettered messages by reason",
            (*s, "stage", "reason"),
        )
        self.extraction_seconds = Histogram(
            "newsflow_extraction_seconds", "Time to extract one article", s, buckets=SECONDS_BUCKETS
        )
        self.extractor_restarts = Counter(
            "newsflow_extractor_restarts_total",
            "Extractor processes replaced: died on a page (a crash, the memory cap) or timed_out",
            (*s, "cause"),
        )
        self.end_to_end_seconds = Histogram(
            "newsflow_end_to_end_seconds",
            "From fetched_at (else ingested_at) to the outcome",
            (*s, "outcome"),
            buckets=SECONDS_BUCKETS,
        )
        self.pipeline_seconds = Histogram(
            "newsflow_pipeline_seconds",
            "From ingested_at (the ingest service's validation) to the outcome",
            (*s, "outcome"),
            buckets=SECONDS_BUCKETS,
        )
        self.consumer_lag = Gauge(
            "newsflow_consumer_lag_messages",
            "High-water mark minus position, per assigned partition",
            (*s, "topic", "partition"),
            multiprocess_mode="livemax",
        )
        self.store_errors = Counter(
            "newsflow_store_errors_total", "Dedup store calls that failed", s
        )
        self.in_flight = Gauge(
            "newsflow_in_flight_messages",
            "Messages consumed but not yet committed",
            s,
            multiprocess_mode="livesum",
        )
        self.worker_restarts = Counter(
            "newsflow_worker_restarts_total", "Worker processes restarted after dying", s
        )
        self.workers = Gauge(
            "newsflow_workers",
            "Worker processes the service runs (NEWSFLOW_WORKERS)",
            s,
            multiprocess_mode="livemax",
        )
        self.workers_ready = Gauge(
            "newsflow_workers_ready",
            "Workers alive, in their consumer group and reaching their store (as /readyz)",
            s,
            multiprocess_mode="livemax",
        )
        self.retries = Counter(
            "newsflow_retries_total", "Messages processed again after an unexpected error", s
        )
        self.commits = Counter(
            "newsflow_offset_commits_total", "Offset commits after acknowledged outputs", s
        )
        self.http_requests = Counter(
            "newsflow_http_requests_total", "Intake HTTP requests by status code", (*s, "code")
        )

    def prime(self, *, outcomes: tuple[str, ...], stage: str) -> None:
        """Create the known label sets at 0, so `rate()` sees the first events and dashboards
        show 0 rather than nothing."""
        from newsflow.rejection import REASONS

        service = self.service
        for outcome in outcomes:
            self.outcomes.labels(service, outcome)
        for reason in sorted(REASONS):
            self.rejections.labels(service, stage, reason)
        for counter in (self.store_errors, self.worker_restarts, self.retries, self.commits):
            counter.labels(service)
        self.in_flight.labels(service)

"""Shared test fixtures."""

from __future__ import annotations

import os
from typing import Any

# prometheus_client picks its value class when first imported, by PROMETHEUS_MULTIPROC_DIR: a
# test that sets the variable (an HTTP server serving /metrics) and imported it first made
# every metric created later in that process look for a directory that was gone.
import prometheus_client.values  # noqa: F401
import pytest

FAULT_ROWS: list[dict[str, Any]] = []
"""The fault suite's accounting rows (`fault_report` in tests/integration/conftest.py)."""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        FAULT_ROWS.extend(
            row  # type: ignore[misc]  # user_properties are (str, object) pairs
            for key, row in report.user_properties
            if key == "fault_row"
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FAULT_ROWS:
        return
    columns = list(dict.fromkeys(key for row in FAULT_ROWS for key in row))
    terminalreporter.section("fault accounting")
    terminalreporter.write_line(" | ".join(columns))
    for row in FAULT_ROWS:
        terminalreporter.write_line(" | ".join(str(row.get(c, "")) for c in columns))


@pytest.fixture(scope="session")
def metrics() -> Any:
    """The service metrics for tests that run a processor or a consume loop in this process.
    They register in the process's default Prometheus registry, where a metric can be created
    once, so every test shares them."""
    from newsflow.service.metrics import Metrics

    return Metrics("test")


# --- Redis (tests marked `redis`) -----------------------------------------------------------

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis the `redis` tests use; fails (never skips) when it is unreachable."""
    import redis

    from newsflow.store.redis import redact_url

    url = os.environ.get("NEWSFLOW_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    problem = None
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        problem = str(exc)
    finally:
        client.close()
    if problem is not None:
        pytest.fail(
            f"Redis is not reachable at {redact_url(url)} ({problem}). Start one, point "
            "NEWSFLOW_TEST_REDIS_URL at one, or deselect these tests with -m 'not redis'.",
            pytrace=False,
        )
    return url

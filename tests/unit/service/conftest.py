"""The services' unit tests share one set of metrics: they register in the process's default
Prometheus registry, where a metric can be created once."""

from __future__ import annotations

import pytest

from newsflow.service.metrics import Metrics


@pytest.fixture(scope="session")
def metrics() -> Metrics:
    return Metrics("test")

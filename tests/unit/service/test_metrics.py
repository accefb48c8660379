"""The merged /metrics view of a service's processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from newsflow.rejection import REASONS
from newsflow.service.metrics import MULTIPROC_ENV, Metrics, enable_multiprocess, render


def test_a_metric_file_not_sized_yet_does_not_take_the_scrape_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One worker's counter, written as prometheus_client's multiprocess mode writes it ...
    written = MmapedDict(str(tmp_path / "counter_101.db"))
    key = mmap_key("newsflow_outcomes", "newsflow_outcomes_total", ["outcome"], ["clean"], "x")
    written.write_value(key, 7.0, 0.0)
    written.close()
    # ... and another's file as it is for a moment after creation (for good, if the process
    # was killed in that moment): empty.
    (tmp_path / "counter_102.db").touch()
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    body, _ = render()
    assert 'newsflow_outcomes_total{outcome="clean"} 7.0' in body.decode()


def test_a_service_starts_with_an_empty_metrics_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted service reuses its directory: the last run's files would be counted again."""
    (tmp_path / "counter_101.db").write_bytes(b"the last run's counts")
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    assert enable_multiprocess() == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_priming_shows_every_outcome_and_rejection_reason_at_zero(metrics: Metrics) -> None:
    from prometheus_client import REGISTRY

    metrics.prime(outcomes=("primed",), stage="primed-stage")
    labels = {"service": metrics.service}
    assert (
        REGISTRY.get_sample_value("newsflow_outcomes_total", {**labels, "outcome": "primed"}) == 0
    )
    for reason in REASONS:
        sample = {**labels, "stage": "primed-stage", "reason": reason}
        assert REGISTRY.get_sample_value("newsflow_rejections_total", sample) == 0
    for name in ("store_errors", "worker_restarts", "retries", "offset_commits"):
        # (other tests of this process may have counted some: shown is what matters)
        assert REGISTRY.get_sample_value(f"newsflow_{name}_total", labels) is not None, name

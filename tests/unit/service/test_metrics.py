"""The merged /metrics view of a service's processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from newsflow.service.metrics import MULTIPROC_ENV, render


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

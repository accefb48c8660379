"""The README's configuration table and metric list stay true to the code."""

import re
from pathlib import Path

from newsflow.cli import PROCESS_SETTINGS
from newsflow.commands import TOOL_SETTINGS, extract_settings, ingest_settings
from newsflow.rejection import REASONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    settings = {*PROCESS_SETTINGS, *ingest_settings(), *extract_settings(), *TOOL_SETTINGS}
    missing = sorted(s.env for s in settings if f"`{s.env}`" not in README)
    assert missing == []


def test_every_rejection_reason_is_documented() -> None:
    assert sorted(r for r in REASONS if f"`{r}`" not in README) == []


def test_every_metric_is_documented() -> None:
    source = (Path(__file__).resolve().parents[2] / "src/newsflow/service/metrics.py").read_text()
    names = set(re.findall(r'"(newsflow_[a-z_]+)"', source))
    assert names
    assert sorted(n for n in names if f"`{n}`" not in README) == []

"""The commands against a real Redis: what they say when the store cannot be used as named."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from newsflow.cli import main

pytestmark = pytest.mark.redis
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def test_process_at_a_database_redis_does_not_have_leaves_the_last_outputs(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A README walkthrough: database 99 was a traceback, after the last run's outputs had
    been emptied."""
    out = tmp_path / "out"
    assert main(["process", str(SAMPLES), "--out", str(out), "--quiet"]) == 0
    before = {path.name: path.read_bytes() for path in out.glob("*.ndjson")}
    url = with_database(redis_url, "99")
    assert main(["process", str(SAMPLES), "--out", str(out), "--quiet", "--store-url", url]) == 2
    assert "has no such database" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in out.glob("*.ndjson")} == before


def test_stories_under_a_prefix_with_no_keys_names_the_prefix(
    redis_url: str, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A README walkthrough: under a mistyped prefix, the listing asked for a larger --hours."""
    assert main(["stories", "--store-url", redis_url, "--store-prefix", prefix]) == 0
    assert f"not under {prefix!r}: --store-prefix" in capsys.readouterr().out

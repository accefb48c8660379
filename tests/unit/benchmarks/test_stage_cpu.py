"""The stage CPU benchmark writes every output of the extract stage and the text features."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.stage_cpu import main


def test_every_page_s_outputs_are_written_the_same_in_two_runs(tmp_path: Path) -> None:
    """The file is what two checkouts are compared by: it must not vary from run to run."""
    files = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    for out in files:
        args = ["--pages", "3", "--rounds", "1", "--dev", str(tmp_path / "none"), "--out"]
        assert main([*args, str(out)]) == 0
    first = files[0].read_text(encoding="utf-8")
    assert first == files[1].read_text(encoding="utf-8")
    records = [json.loads(line) for line in first.splitlines()]
    assert sum("text.example" not in r["url"] for r in records) == 3  # the corpus pages
    assert sum("text.example" in r["url"] for r in records) >= 10  # the text fixtures
    extracted = [r for r in records if "features" in r]
    assert extracted and all(len(r["features"]["signature"]) == 2 * 4 * 128 for r in extracted)
    assert all(r["result"].startswith("Extraction(") for r in extracted)

"""The WARC-reading benchmark reads the same pages from both files it writes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from benchmarks.warc_input import main, write_corpus

from newsflow.batch.inputs import read_inputs


def test_the_warc_holds_the_same_pages_as_the_ndjson(tmp_path: Path) -> None:
    ndjson, warc = write_corpus(12, tmp_path)
    lines = [orjson.loads(item.raw) for item in read_inputs([ndjson], max_bytes=10_000_000)]
    pages = [orjson.loads(item.raw) for item in read_inputs([warc], max_bytes=10_000_000)]
    assert len(lines) == len(pages) == 12
    for line, page in zip(lines, pages, strict=True):
        assert (page["url"], page["html"]) == (line["url"], line["html"])
        assert page["fetched_at"].removesuffix("Z") == line["fetched_at"].removesuffix("+00:00")


def test_the_benchmark_prints_a_row_per_file_and_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--pages", "5", "--rounds", "2", "--keep", str(tmp_path)]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.split()[:3] for row in rows] == [
        [str(r), name, "5"] for r in (1, 2) for name in ("corpus.ndjson", "corpus.warc.gz")
    ]

"""The recorded-ids benchmark: the files it writes are outcomes a run reads, each its own input."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.recorded import main, write_outcomes

from newsflow.batch.recorded import read_recorded


def test_each_outcome_written_is_an_input_of_its_own(tmp_path: Path) -> None:
    assert write_outcomes(50, tmp_path, text_chars=100) > 0
    lines = {
        name: (tmp_path / f"{name}.ndjson").read_bytes().count(b"\n")
        for name in ("clean", "duplicates", "rejected")
    }
    assert lines == {"clean": 40, "duplicates": 5, "rejected": 5}
    recorded, notes = read_recorded(tmp_path / f"{name}.ndjson" for name in lines)
    assert len(recorded) == 50 and notes == []


def test_the_benchmark_reports_reading_and_admitting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--outcomes", "200", "--admits", "20", "--dir", str(tmp_path)]) == 0
    report = capsys.readouterr().out
    assert "outcomes recorded   200" in report
    assert "(20 and 20)" in report  # the recorded inputs admitted were all skipped

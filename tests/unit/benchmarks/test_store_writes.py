"""The store-writes benchmark: what it counts is what the store did."""

from __future__ import annotations

from pathlib import Path

from benchmarks.store_writes import report, run


def test_a_small_run_counts_transactions_store_time_and_the_wal_frames_by_table(
    tmp_path: Path,
) -> None:
    figures = run(12, recrawls=0.25, workers=1, folder=tmp_path, breakdown=True)
    assert figures["articles"] == 12
    assert figures["outcomes"] == {"clean": 9, "duplicate": 3}
    # One transaction for the first decision, given out alone, one for the rest.
    assert round(figures["write_transactions"] * 12) == 2
    assert figures["store_cpu_ms"] > 0 and figures["store_bytes"] > 0
    frames = figures["frames"]
    assert {"claims", "decisions", "lsh_bands", "signatures"} <= set(frames)
    # Each of the 9 clean articles indexes 32 bands: a leaf page each, in a small table few.
    assert 0 < frames["lsh_bands"] * 12 <= 9 * 32
    assert "WAL frames per article" in report(figures)

"""The store-calls benchmark: a replay makes the recorded calls and gets the recorded results."""

from __future__ import annotations

from pathlib import Path

from benchmarks.store_calls import record, replay, report, statement


def test_a_replay_of_a_small_run_returns_what_the_run_got(tmp_path: Path) -> None:
    made = record(tmp_path / "calls", 12, recrawls=0.25, workers=1)
    assert made["begin_decision"] == 12
    figures = replay(tmp_path / "calls", tmp_path, statements=True)
    assert figures["articles"] == 12
    assert figures["differ"] == 0
    assert figures["calls_ms"] > 0
    assert any(sql.startswith("SELECT s.story_id") for sql in figures["by_statement"])
    assert "returned other than recorded: 0" in report(figures)


def test_a_statement_is_named_without_its_runs_of_parameters() -> None:
    sql = "INSERT INTO t VALUES (?, ?, 1),(?, ?, 1),(?, ?, 1)\n ON CONFLICT (a) DO NOTHING"
    assert statement(sql) == "INSERT INTO t VALUES (?…, 1),… ON CONFLICT (a) DO NOTHING"
    assert statement("SELECT a FROM t WHERE b IN (?,?,?)") == "SELECT a FROM t WHERE b IN (?…)"

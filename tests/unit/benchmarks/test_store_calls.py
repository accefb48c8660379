"""The store-calls benchmark: a replay makes the recorded calls and gets the recorded results."""

from __future__ import annotations

from pathlib import Path

from benchmarks.store_calls import TimedConnection, record, replay, report, statement

from newsflow.store.records import Claim
from newsflow.store.sqlite import SqliteStore


def test_a_replay_of_a_small_run_returns_what_the_run_got(tmp_path: Path) -> None:
    made = record(tmp_path / "calls", 12, recrawls=0.25, workers=1)
    assert made["begin_decision"] == 12
    figures = replay(tmp_path / "calls", tmp_path, statements=True)
    assert figures["articles"] == 12
    assert figures["differ"] == 0
    assert figures["calls_ms"] > 0
    assert any(sql.startswith("SELECT s.story_id") for sql in figures["by_statement"])
    assert "returned other than recorded: 0" in report(figures)


def test_a_run_that_decided_nothing_replays_to_figures_of_nothing(tmp_path: Path) -> None:
    """`--articles 0` (or inputs all recognised as re-crawls) begins no decision: the replay
    reports zeros, where it divided by the articles."""
    made = record(tmp_path / "calls", 0, recrawls=0.0, workers=1)
    assert made["begin_decision"] == 0
    figures = replay(tmp_path / "calls", tmp_path)
    assert (figures["articles"], figures["differ"]) == (0, 0)
    assert "articles: 0" in report(figures)


def test_a_statement_is_named_without_its_runs_of_parameters() -> None:
    sql = "INSERT INTO t VALUES (?, ?, 1),(?, ?, 1),(?, ?, 1)\n ON CONFLICT (a) DO NOTHING"
    assert statement(sql) == "INSERT INTO t VALUES (?…, 1),… ON CONFLICT (a) DO NOTHING"
    assert statement("SELECT a FROM t WHERE b IN (?,?,?)") == "SELECT a FROM t WHERE b IN (?…)"


def test_a_timed_connection_tells_the_store_how_many_rows_a_statement_changed(
    tmp_path: Path,
) -> None:
    """`--statements` times each statement on a wrapped connection, which must answer as the
    store's own: a claim given back is known by the rows its DELETE took (`rowcount`), where
    the rows it returned (none) had made every release answer that it gave nothing back."""
    store = SqliteStore(str(tmp_path / "store.sqlite"))
    spent: dict[str, float] = {}
    store._conn = TimedConnection(store._conn, spent)  # type: ignore[assignment]
    try:
        store.claim("key", "a1", ttl_seconds=60, now=0.0)
        assert store.release_claim(Claim("key", "a1", 60), now=1.0)
    finally:
        store.close()
    assert any(sql.startswith("DELETE FROM claims") for sql in spent)

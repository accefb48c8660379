"""The embedded store's CPU without the extractors beside it: `python -m benchmarks.store_calls`.

`record FILE` runs `newsflow process`'s loop like `benchmarks.store_writes` (`--articles`
generated pages, `--recrawls` of them re-crawls) and saves every call it made to the store,
with its arguments and what it returned, and where each group of decisions was committed.
`replay FILE` makes those calls again, in order, on a fresh `SqliteStore` in `--dir`, and
prints the thread CPU per article of the calls and of the commits, and how many calls
returned something else than recorded: recorded with one version of the store and replayed
with another, that compares their cost on the same work and checks that they decide alike.
`--statements` adds the CPU of each SQL statement (its text with the lists of parameters
shortened), timed around each `execute`.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.store_writes import items
from newsflow.batch.runner import BatchSettings, process_items
from newsflow.store.sqlite import SqliteStore

COMMIT = "commit_group"
Call = tuple[str, tuple[Any, ...], dict[str, Any], Any]


class RecordingStore:
    """A store that appends each call, its arguments and its result to `calls`."""

    def __init__(self, store: SqliteStore, calls: list[Call]) -> None:
        self._store = store
        self._calls = calls

    @contextmanager
    def grouped(self) -> Iterator[Callable[[], None]]:
        with self._store.grouped() as commit:

            def recorded() -> None:
                self._calls.append((COMMIT, (), {}, None))
                commit()

            yield recorded
        self._calls.append((COMMIT, (), {}, None))

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            result = found(*args, **kwargs)
            self._calls.append((name, args, kwargs, result))
            return result

        return call


def record(path: Path, articles: int, *, recrawls: float, workers: int) -> Counter[str]:
    """Run the loop over a scratch store and save its calls to `path`; how many of each."""
    calls: list[Call] = []
    with tempfile.TemporaryDirectory(prefix="store-calls-") as folder:
        store = SqliteStore(str(Path(folder) / "newsflow.sqlite"))
        try:
            for _ in process_items(
                items(articles, recrawls),
                store=RecordingStore(store, calls),
                settings=BatchSettings(workers=workers),
                clock=lambda: datetime.now(UTC),
            ):
                pass
        finally:
            store.close()
    path.write_bytes(pickle.dumps(calls))
    return Counter(name for name, *_ in calls)


class TimedConnection:
    """The store's connection, adding each statement's thread CPU to `spent`."""

    def __init__(self, conn: Any, spent: dict[str, float]) -> None:
        self._conn = conn
        self._spent = spent

    def execute(self, sql: str, *args: Any) -> Any:
        started = time.thread_time()
        cursor = self._conn.execute(sql, *args)
        rows = cursor.fetchall()
        self._add(statement(sql), time.thread_time() - started)
        return _Rows(rows, cursor.rowcount)

    def executemany(self, sql: str, *args: Any) -> Any:
        started = time.thread_time()
        cursor = self._conn.executemany(sql, *args)
        self._add("(many) " + statement(sql), time.thread_time() - started)
        return cursor

    def _add(self, sql: str, seconds: float) -> None:
        self._spent[sql] = self._spent.get(sql, 0.0) + seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _Rows:
    """A statement's rows, read whole so that its time is all counted, and how many rows it
    changed (`rowcount`, which the store reads of a DELETE)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


def statement(sql: str) -> str:
    """`sql` on one line, its runs of parameters and of VALUES rows shortened."""
    text = re.sub(r"\s+", " ", sql).strip()
    text = re.sub(r"\?(, ?\?)+", "?…", text)
    text = re.sub(r"(\([^()]*\))(,\s*\1)+", r"\1,…", text)
    text = re.sub(
        r"(SELECT story_id FROM \(SELECT .*?LIMIT \?\) UNION ALL )+", "… UNION ALL ", text
    )
    return text[:120]


def replay(path: Path, folder: Path, *, statements: bool = False) -> dict[str, Any]:
    """Make the recorded calls on a fresh store in `folder`; the figures."""
    calls: list[Call] = pickle.loads(path.read_bytes())
    store = SqliteStore(str(folder / "newsflow.sqlite"))
    spent: dict[str, float] = {}
    if statements:
        store._conn = TimedConnection(store._conn, spent)  # type: ignore[assignment]
    cpu: dict[str, float] = {}
    differ = 0
    group = store.grouped()
    commit = group.__enter__()
    try:
        for name, args, kwargs, expected in calls:
            started = time.thread_time()
            result = commit() if name == COMMIT else getattr(store, name)(*args, **kwargs)
            cpu[name] = cpu.get(name, 0.0) + time.thread_time() - started
            differ += result != expected
    finally:
        group.__exit__(None, None, None)
        store.close()
    articles = sum(1 for name, *_ in calls if name == "begin_decision")
    per = max(articles, 1)  # a run of only re-crawls, or none, begins no decision
    return {
        "articles": articles,
        "calls_ms": 1000 * sum(t for n, t in cpu.items() if n != COMMIT) / per,
        "commits_ms": 1000 * cpu.get(COMMIT, 0.0) / per,
        "by_call": {n: 1000 * t / per for n, t in _most(cpu)},
        "by_statement": {s: 1000 * t / per for s, t in _most(spent)},
        "differ": differ,
        "calls": len(calls),
    }


def _most(spent: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(spent.items(), key=lambda item: -item[1])


def report(figures: dict[str, Any]) -> str:
    """The replay's figures as a few lines of text."""
    lines = [
        f"articles: {figures['articles']}, calls: {figures['calls']},"
        f" returned other than recorded: {figures['differ']}",
        f"store CPU per article: {figures['calls_ms']:.3f} ms in calls,"
        f" {figures['commits_ms']:.3f} ms in commits",
    ]
    lines.extend(f"  {name}: {ms:.3f} ms" for name, ms in figures["by_call"].items())
    if figures["by_statement"]:
        lines.append("per statement (ms per article):")
        lines.extend(f"  {ms:.3f}  {sql}" for sql, ms in figures["by_statement"].items())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_calls")
    parser.add_argument("action", choices=["record", "replay"])
    parser.add_argument("file", type=Path, help="the recorded calls")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--recrawls", type=float, default=0.1, help="share of re-crawls")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where the store file goes")
    parser.add_argument("--statements", action="store_true", help="CPU per SQL statement")
    args = parser.parse_args(argv)
    if args.action == "record":
        made = record(args.file, args.articles, recrawls=args.recrawls, workers=args.workers)
        print(", ".join(f"{name} {n}" for name, n in made.most_common()))
        return 0
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="store-calls-") as folder:
        print(report(replay(args.file, Path(folder), statements=args.statements)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the embedded store writes to disk per article: `python -m benchmarks.store_writes`.

Runs `newsflow process`'s loop (`newsflow.batch.runner.process_items`, extraction in
sandbox processes, decisions in this one) over `--articles` generated small pages (the
performance corpus's bodies in the site templates, a few KB each, `--recrawls` of them
re-crawls) with a `SqliteStore` on a fresh file in `--dir`, and prints per article:

- bytes written: `write_bytes` of /proc/self/io (what this process sent towards the disk;
  the extractors are other processes, and nothing else here writes) and `wchar` (bytes
  passed to write calls, which counts a rewrite of a page still in the page cache too);
- write and read transactions (`BEGIN IMMEDIATE` / `BEGIN` statements);
- CPU milliseconds in store calls (thread CPU time, so the extractors do not count);
- the store's size at the end (database file after closing, which checkpoints).

`--breakdown` turns automatic checkpoints off and, at the end, reads the WAL: how many
page frames were written (each commit writes every page it changed, whole) and to which
table or index those pages belong.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.performance.corpus import PageMaker, raw_messages, sentence_pool
from newsflow.batch.inputs import InputItem
from newsflow.batch.runner import BatchSettings, process_items
from newsflow.model import Origin
from newsflow.store.sqlite import SqliteStore

WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass
class Tally:
    """What the store was asked to do: transactions begun, CPU seconds in its calls."""

    writes: int = 0
    reads: int = 0
    cpu: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)


class _CountingConnection:
    """The store's connection, counting the transactions begun on it."""

    def __init__(self, conn: Any, tally: Tally) -> None:
        self._conn = conn
        self._tally = tally

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("BEGIN IMMEDIATE"):
            self._tally.writes += 1
        elif sql.startswith("BEGIN"):
            self._tally.reads += 1
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class MeteredStore:
    """A store whose public calls add their thread CPU time to a `Tally`."""

    def __init__(self, store: SqliteStore, tally: Tally) -> None:
        self._store = store
        self._tally = tally
        store._conn = _CountingConnection(store._conn, tally)  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return found(*args, **kwargs)
            finally:
                self._tally.cpu += time.thread_time() - started
                self._tally.calls[name] += 1

        return timed


def io_counters() -> dict[str, int]:
    """This process's /proc/self/io counters."""
    counters = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        name, value = line.split(":")
        counters[name] = int(value)
    return counters


def items(articles: int, recrawls: float) -> Iterator[InputItem]:
    """`articles` raw messages of small generated pages, `recrawls` of them re-crawls."""
    maker = PageMaker(seed=3, pool=sentence_pool(), weight=False)
    messages = raw_messages(maker.pages(articles), count=articles, duplicate_ratio=recrawls)
    for line, raw in enumerate(messages, start=1):
        yield InputItem(raw, Origin(file="store-writes.ndjson", line=line))


def wal_pages(path: Path) -> list[int]:
    """The page number of every frame in the WAL file at `path`, in order."""
    data = path.read_bytes()
    if len(data) < WAL_HEADER:
        return []
    (page_size,) = struct.unpack(">I", data[8:12])
    frame = FRAME_HEADER + page_size
    pages = []
    for start in range(WAL_HEADER, len(data) - frame + 1, frame):
        (page,) = struct.unpack(">I", data[start : start + 4])
        pages.append(page)
    return pages


def owners(store: SqliteStore) -> dict[int, str]:
    """Which table or index each page of the database belongs to (`dbstat`)."""
    rows = store._conn.execute("SELECT pageno, name FROM dbstat").fetchall()
    return {page: name for page, name in rows}


def run(
    articles: int,
    *,
    recrawls: float,
    workers: int,
    folder: Path,
    breakdown: bool,
    configure: Callable[[SqliteStore], None] | None = None,
) -> dict[str, Any]:
    """One run over a fresh store file in `folder`; the figures, per article where so named."""
    path = folder / "newsflow.sqlite"
    store = SqliteStore(str(path))
    if breakdown:
        store._conn.execute("PRAGMA wal_autocheckpoint=0")
    if configure is not None:
        configure(store)
    tally = Tally()
    metered = MeteredStore(store, tally)
    kinds: Counter[str] = Counter()
    before = io_counters()
    started = time.perf_counter()
    outcomes = process_items(
        items(articles, recrawls),
        store=metered,
        settings=BatchSettings(workers=workers),
        clock=lambda: datetime.now(UTC),
    )
    for outcome in outcomes:
        kinds[outcome.kind] += 1
    seconds = time.perf_counter() - started
    wal = Path(str(path) + "-wal")
    frames: Counter[str] = Counter()
    if breakdown:
        names = owners(store)
        frames.update(names.get(page, "(free)") for page in wal_pages(wal))
    after_run = io_counters()
    store.close()
    after = io_counters()
    n = sum(kinds.values())
    return {
        "articles": n,
        "outcomes": dict(kinds),
        "write_bytes": (after_run["write_bytes"] - before["write_bytes"]) / n,
        "cancelled": (after_run["cancelled_write_bytes"] - before["cancelled_write_bytes"]) / n,
        "wchar": (after_run["wchar"] - before["wchar"]) / n,
        "close_wchar": after["wchar"] - after_run["wchar"],
        "write_transactions": tally.writes / n,
        "read_transactions": tally.reads / n,
        "store_cpu_ms": 1000 * tally.cpu / n,
        "store_bytes": path.stat().st_size,
        "seconds": seconds,
        "frames": {name: count / n for name, count in frames.most_common()},
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as a few lines of text."""
    kib = 1024
    lines = [
        f"articles: {figures['articles']} {figures['outcomes']}  ({figures['seconds']:.0f} s)",
        f"written per article: {figures['write_bytes'] / kib:,.0f} KiB write_bytes,"
        f" ({figures['cancelled'] / kib:,.0f} KiB of it cancelled: files deleted before"
        " they reached the disk),"
        f" {figures['wchar'] / kib:,.0f} KiB wchar"
        f"  (closing: {figures['close_wchar'] / kib / kib:,.1f} MiB)",
        f"transactions per article: {figures['write_transactions']:.2f} write,"
        f" {figures['read_transactions']:.2f} read",
        f"store CPU per article: {figures['store_cpu_ms']:.2f} ms",
        f"store size: {figures['store_bytes'] / kib / kib:,.1f} MiB",
    ]
    if figures["frames"]:
        total = sum(figures["frames"].values())
        lines.append(f"WAL frames per article: {total:.1f}")
        lines.extend(f"  {name}: {count:.1f}" for name, count in figures["frames"].items())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_writes")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--recrawls", type=float, default=0.1, help="share of re-crawls")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--dir", type=Path, default=None, help="where the store file goes")
    parser.add_argument("--breakdown", action="store_true", help="WAL frames by table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="store-writes-") as folder:
        figures = run(
            args.articles,
            recrawls=args.recrawls,
            workers=args.workers,
            folder=Path(folder),
            breakdown=args.breakdown,
        )
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks.performance.threads`: where the machine's time goes while one extract
worker runs, per process and thread: time on a CPU, and time runnable but waiting for one.

Bare trafilatura runs over the pages first (the reference: CPU ms per page); then the extract
service over the same pages as a backlog (a local broker, the Redis at `--redis-url`), with
every thread of the service, the broker, Redis and this harness metered from
/proc/<pid>/task/<tid>/schedstat. On a machine with fewer cores than busy threads, the wait
column is what sharing them costs. `--recrawls 0.5` makes half the stream byte-identical
re-crawls of earlier pages (the suite's target-3 stream): what a re-crawl costs next to a page.
`--process` meters `newsflow process --workers N` over the same pages instead (Redis store).
`--confined` runs the N workers as N one-worker services, each confined to a CPU of its own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.performance import phases
from benchmarks.performance.baseline import extraction_rate
from benchmarks.performance.harness import local_bench

SHOWN = 0.01  # threads busy for less of the window than this are summed into one row


def table(run: dict[str, Any], bare: dict[str, Any], *, what: str = "extract service") -> str:
    """The per-thread times of `run` (`stream_extract` or `bulk` with `thread_times=True`) as
    Markdown, in ms per article decided in the metered window, with the bare reference above."""
    articles, seconds = run["metered"], run.get("thread_seconds", run["seconds"])
    lines = [
        f"bare trafilatura, 1 process: {bare['rate']:.1f} pages/s, "
        f"{bare['cpu_ms_per_article']:.1f} CPU ms per page",
        f"{what}, {run['workers']} worker(s): {run['rate']:.1f} articles/s "
        f"({run['rate'] / bare['rate']:.3f} of bare); {articles} articles in a {seconds:.1f} s "
        "window",
        "",
        "| process | thread | on a CPU, ms per article | share of the window | "
        "waiting for a CPU, ms per article |",
        "| --- | --- | --- | --- | --- |",
    ]
    rest = [0.0, 0.0]
    for row in run["threads"]:
        run_s, wait_s = row["run_seconds"], row["wait_seconds"]
        if run_s < SHOWN * seconds:
            rest[0] += run_s
            rest[1] += wait_s
            continue
        thread = (
            row["thread"]
            if row["thread"] == "main" or "python" not in row["thread"]
            else ("other threads")
        )
        lines.append(
            f"| {row['process']} | {thread} | {1000 * run_s / articles:.2f} | "
            f"{run_s / seconds:.1%} | {1000 * wait_s / articles:.2f} |"
        )
    lines.append(
        f"| (the rest) | | {1000 * rest[0] / articles:.2f} | {rest[0] / seconds:.1%} | "
        f"{1000 * rest[1] / articles:.2f} |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--recrawls", type=float, default=0.0, help="share of re-crawls in the stream (0.5)"
    )
    parser.add_argument(
        "--process", action="store_true", help="meter `newsflow process` instead of the service"
    )
    parser.add_argument(
        "--confined",
        action="store_true",
        help="N one-worker services, each confined to a CPU of its own (as replicas given one)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="newsflow-threads-"))
    try:
        with local_bench(args.redis_url, workdir) as bench:
            work = phases.unique_workload(workdir, args.articles, args.recrawls)
            bare = extraction_rate(work.articles_file, mode="bare", processes=1)
            if args.process:
                what = "`newsflow process`"
                run = phases.bulk(
                    bench,
                    work.raw_file,
                    work.count,
                    workers=args.workers,
                    tag="threads",
                    thread_times=True,
                )
            else:
                what = "extract service" + (", one CPU per worker" if args.confined else "")
                run = phases.stream_extract(
                    bench,
                    work,
                    workers=args.workers,
                    tag="threads",
                    thread_times=True,
                    confined=args.confined,
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(run, bare, what=what))
    return 0


if __name__ == "__main__":
    sys.exit(main())

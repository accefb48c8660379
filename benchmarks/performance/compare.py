"""`python -m benchmarks.performance.compare --before DIR`: one extract worker of another
checkout (DIR, e.g. `git worktree add DIR <commit>`) against this one, alternating.

On a machine whose speed moves from minute to minute, two suite runs compare moments, not
code. This runs the two services in turns (`--rounds`, default 3) on one broker, one Redis and
one workload (`--articles` pages, default 300; `--recrawls 0.5` makes half of them
re-crawls), each next to a bare-trafilatura rate taken just before it, and prints every round
and the medians. `--before-without-hiredis` hides
hiredis from the other checkout's service (for a checkout that did not depend on it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.performance import phases
from benchmarks.performance.baseline import extraction_rate
from benchmarks.performance.harness import local_bench


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--before-without-hiredis", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--recrawls", type=_share, default=0.0, help="share of re-crawls (0.5)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="newsflow-compare-"))
    paths = [args.before / "src", args.before / "services/extract", args.before / "services/ingest"]
    if args.before_without_hiredis:
        (workdir / "hidden").mkdir()
        (workdir / "hidden" / "hiredis.py").write_text("raise ImportError('hidden')\n")
        paths.insert(0, workdir / "hidden")
    before = {"PYTHONPATH": ":".join(str(p) for p in paths)}
    rows: list[tuple[str, float, float]] = []
    try:
        with local_bench(args.redis_url, workdir) as bench:
            work = phases.unique_workload(workdir, args.articles, recrawls=args.recrawls)
            for n in range(args.rounds):
                for name, env in (("before", before), ("after", None)):
                    bare = extraction_rate(work.articles_file, mode="bare", processes=1)
                    run = phases.stream_extract(bench, work, workers=1, tag=f"{name}{n}", env=env)
                    rows.append((name, run["rate"], bare["rate"]))
                    print(
                        f"round {n + 1} {name:<6}: worker {run['rate']:.1f}/s, bare "
                        f"{bare['rate']:.1f}/s, ratio {run['rate'] / bare['rate']:.3f}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for name in ("before", "after"):
        mine = [(rate, bare) for who, rate, bare in rows if who == name]
        print(
            f"{name:<6}: median worker {statistics.median(r for r, _ in mine):.1f}/s, median "
            f"ratio to bare {statistics.median(r / b for r, b in mine):.3f}"
        )
    return 0


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError("a share from 0 to under 1")
    return value


if __name__ == "__main__":
    sys.exit(main())

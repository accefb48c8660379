"""One measurement each: an extract service over a backlog, latency under a paced load,
`newsflow process` over a file, with the figures each one reports."""

from __future__ import annotations

import gzip
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.performance.corpus import DEV_DIR, PageMaker, dev_pages, raw_messages, sentence_pool
from benchmarks.performance.harness import Bench, Collector, progress_bar, publish
from benchmarks.performance.procfs import CpuMeter, ThreadMeter, rss_tree
from newsflow.contracts.codec import encode
from newsflow.model import Origin
from newsflow.pipeline import run_ingest
from newsflow.tools.service_process import ServiceProcess, stop_all

_SUMMARY = re.compile(
    r"processed (\d+) inputs in ([\d.]+) s \([\d.]+ articles/s"
    r"(?:; ([\d.]+)/s after the first, at ([\d.]+) s)?\)"
)


@dataclass
class Workload:
    """A stream of raw messages, ingested once by the harness (for the extract topic and the
    extraction baselines), and kept as files."""

    name: str
    ids: list[str]
    ingested: list[tuple[bytes | None, bytes]]  # (key, value) of articles.ingested events
    raw_file: Path  # NDJSON raw messages, for `newsflow process` and the ingest service
    articles_file: Path  # NDJSON ingested events, for the baselines
    recrawls: int

    @property
    def count(self) -> int:
        return len(self.ids)


def prepare(workdir: Path, name: str, raws: Iterable[bytes]) -> Workload:
    """Write the raw messages to a file and run them through the real ingest stage."""
    raw_file, articles_file = workdir / f"{name}.raw.ndjson", workdir / f"{name}.ingested.ndjson"
    ids: list[str] = []
    ingested: list[tuple[bytes | None, bytes]] = []
    now = datetime.now(UTC)
    with raw_file.open("wb") as raw_out, articles_file.open("wb") as art_out:
        for n, raw in enumerate(raws):
            raw_out.write(raw + b"\n")
            outcome = run_ingest(raw, origin=Origin(file=str(raw_file), line=n + 1), now=now)
            if outcome.kind != "ingested":
                raise RuntimeError(f"corpus message {n} rejected: {outcome.event['reason']}")
            value = encode("ingested", outcome.event)
            ids.append(outcome.event["source_id"])
            ingested.append((outcome.key, value))
            art_out.write(value + b"\n")
    recrawls = sum(1 for i in ids if "-r" in i)
    return Workload(name, ids, ingested, raw_file, articles_file, recrawls)


def unique_workload(workdir: Path, articles: int, recrawls: float = 0.0) -> Workload:
    """`articles` pages made as the suite makes them (dev-set sentences and pages): unique,
    or with that share of re-crawls (byte-identical repeats of earlier pages)."""
    maker = PageMaker(pool=sentence_pool(DEV_DIR), dev=dev_pages(DEV_DIR))
    raws = raw_messages(maker.pages(articles), count=articles, duplicate_ratio=recrawls)
    return prepare(workdir, "recrawl" if recrawls else "unique", raws)


def write_raw_file(path: Path, raws: Iterable[bytes]) -> int:
    """Stream raw messages to a gzipped NDJSON file (the bulk corpus); returns the count."""
    count = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        for raw in raws:
            out.write(raw + b"\n")
            count += 1
    return count


def load_average() -> float:
    return os.getloadavg()[0]


def stream_extract(
    bench: Bench,
    work: Workload,
    *,
    workers: int,
    tag: str,
    sample_memory: bool = False,
    env: dict[str, str] | None = None,
    thread_times: bool = False,
    confined: bool = False,
) -> dict[str, Any]:
    """Start `newsflow extract --workers N`, wait until every worker is in the group, publish
    the whole workload as a backlog, and from the end of publishing follow the service by its
    own outcome counter; once it is done, read the outcomes and time them by their record
    timestamps (set by the service's producer as it sent each one). The measured window
    starts when publishing ends and the harness reads nothing until the service is done: on
    a two-core machine the harness's own publisher and consumer took a third of a core from
    the service while it was measured. `thread_times` adds each thread's time on and waiting
    for a CPU (the service, the broker, Redis and this harness) over the same window.

    `confined`: N services of one worker each instead, in one group, the n-th confined to
    the n-th CPU with every process and thread it starts, as N replicas given one CPU each
    (the broker and Redis are not confined)."""
    topics = bench.topics(tag)
    if confined:
        cpus = sorted(os.sched_getaffinity(0))
        envs = [
            bench.service_env(topics, tag, NEWSFLOW_WORKERS="1", **(env or {}))
            for _ in range(workers)
        ]
        services = [
            ServiceProcess(
                "extract", e, bench.workdir / f"{tag}-{n}.log", cpus={cpus[n % len(cpus)]}
            )
            for n, e in enumerate(envs)
        ]
    else:
        service_env = bench.service_env(topics, tag, NEWSFLOW_WORKERS=str(workers), **(env or {}))
        services = [ServiceProcess("extract", service_env, bench.workdir / f"{tag}.log")]
    service = services[0]
    collector = Collector(bench.bootstrap, topics, clock="record")
    memory: list[dict[str, Any]] = []
    load = load_average()
    try:
        for each in services:
            each.wait_ready()

        def metric(name: str) -> float:
            return sum(each.metric(name) for each in services)

        def decided() -> int:
            return int(metric("newsflow_outcomes_total"))

        meter = CpuMeter(*(each.process.pid for each in services), bench.broker_pid)
        threads = None
        if thread_times:
            roots = {f"service{n or ''}": each.process.pid for n, each in enumerate(services)}
            threads = ThreadMeter(
                {**roots, "broker": bench.broker_pid, "redis": bench.redis_pid(),
                 "harness": os.getpid()}
            )  # fmt: skip
        publish(bench.bootstrap, topics.ingested, work.ingested)
        since = time.time()  # the record timestamps' clock
        meter.start()
        if threads is not None:
            threads.start()
        before = decided()  # decided while the backlog was published: not in the window
        stop = threading.Event()
        sampler = threading.Thread(
            target=_sample_memory, args=(service, decided, memory, stop), daemon=True
        )
        if sample_memory:
            sampler.start()
        with progress_bar(work.count, tag) as bar:
            finished = _wait_for_count(
                decided,
                work.count,
                timeout=120 + work.count / 2,
                progress=lambda n: bar.update(min(n, work.count) - bar.n),
            )
        cpu = meter.stop()
        per_thread = threads.stop() if threads is not None else None
        stop.set()
        if sample_memory:
            sampler.join()
            memory.append(_memory_point(service, decided))
        sandbox_sum = metric("newsflow_extraction_seconds_sum")
        sandbox_count = metric("newsflow_extraction_seconds_count")
        collector.start()
        done = collector.wait_for(work.count, timeout=60 if finished else 5)
    finally:
        stop_all(services)
        collector.close()
        bench.drop(topics)
    if not done:
        raise RuntimeError(f"{tag}: {len(collector.arrived)} of {work.count} outcomes arrived")
    rate = collector.steady_rate(since=since)
    metered = max(1, work.count - before)
    return {
        "workers": workers,
        **({"confined": True} if confined else {}),
        "articles": work.count,
        "recrawls": work.recrawls,
        "rate": rate,
        "outcomes": collector.outcomes(),
        "redeliveries": collector.deliveries - len(collector.arrived),
        "extraction_ms_per_article": 1000 * sandbox_sum / sandbox_count if sandbox_count else None,
        "worker_ms_per_article": 1000 * workers / rate if rate else None,
        "cpu_ms_per_article": 1000 * sum(cpu["cpu_seconds"][:-1]) / metered,
        "broker_cpu_ms_per_article": 1000 * cpu["cpu_seconds"][-1] / metered,
        "other_cores": cpu["other_cores"],
        "load_average": load,
        **({"memory": memory} if sample_memory else {}),
        **(
            {"threads": per_thread, "seconds": cpu["wall_seconds"], "metered": metered}
            if per_thread
            else {}
        ),
    }


def _wait_for_count(
    count: Callable[[], int], target: int, *, timeout: float, progress: Callable[[int], None]
) -> bool:
    """Until `count()` reaches `target` (True) or the timeout (False), every half second."""
    deadline = time.monotonic() + timeout
    while (n := count()) < target:
        progress(n)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    progress(n)
    return True


def soak(
    bench: Bench, raws: Iterable[bytes], *, count: int, tag: str, backlog: int = 2000
) -> dict[str, Any]:
    """One extract worker over `count` raw messages made, ingested and published as it goes
    (never more than `backlog` ahead of the outcomes, so neither this process nor the
    broker holds the whole stream), sampling the service's memory every second."""
    topics = bench.topics(tag)
    collector = Collector(bench.bootstrap, topics)
    collector.start()
    env = bench.service_env(topics, tag, NEWSFLOW_WORKERS="1")
    service = ServiceProcess("extract", env, bench.workdir / f"{tag}.log")
    memory: list[dict[str, Any]] = []
    now = datetime.now(UTC)

    def ingested() -> Iterable[tuple[bytes | None, bytes]]:
        for n, raw in enumerate(raws):
            while n - len(collector.arrived) > backlog:
                time.sleep(0.1)
            outcome = run_ingest(raw, origin=Origin(file="soak", line=n + 1), now=now)
            if outcome.kind != "ingested":
                raise RuntimeError(f"soak message {n} rejected: {outcome.event['reason']}")
            yield outcome.key, encode("ingested", outcome.event)

    try:
        service.wait_ready()
        stop = threading.Event()
        sampler = threading.Thread(
            target=_sample_memory,
            args=(service, lambda: len(collector.arrived), memory, stop),
            daemon=True,
        )
        sampler.start()
        publisher = threading.Thread(
            target=publish, args=(bench.bootstrap, topics.ingested, ingested()), daemon=True
        )
        started = time.monotonic()
        publisher.start()
        with progress_bar(count, tag) as bar:
            done = collector.wait_for(
                count, timeout=600 + count, progress=lambda n: bar.update(n - bar.n)
            )
        seconds = time.monotonic() - started
        stop.set()
        publisher.join()
        sampler.join()
        memory.append(_memory_point(service, lambda: len(collector.arrived)))
    finally:
        service.stop()
        collector.close()
        bench.drop(topics)
    if not done:
        raise RuntimeError(f"{tag}: {len(collector.arrived)} of {count} outcomes arrived")
    return {
        "articles": count,
        "seconds": seconds,
        "rate": count / seconds,
        "outcomes": collector.outcomes(),
        "redeliveries": collector.deliveries - len(collector.arrived),
        "memory": memory,
    }


def _memory_point(service: ServiceProcess, articles: Callable[[], int]) -> dict[str, Any]:
    return {"articles": articles(), **rss_tree(service.process.pid)}


def _sample_memory(
    service: ServiceProcess,
    articles: Callable[[], int],
    points: list[dict[str, Any]],
    stop: threading.Event,
) -> None:
    while not stop.wait(1.0):
        points.append(_memory_point(service, articles))


def latency(
    bench: Bench, work: Workload, *, rate: float, seconds: float, tag: str
) -> dict[str, Any]:
    """Ingest and extract services (one worker each); raw messages published at `rate` per
    second; each clean event's arrival minus its message's publish time."""
    count = min(work.count, max(10, round(rate * seconds)))
    raws = work.raw_file.read_bytes().splitlines()[:count]
    ids = work.ids[:count]
    topics = bench.topics(tag)
    collector = Collector(bench.bootstrap, topics)
    collector.start()
    ingest = ServiceProcess(
        "ingest", bench.service_env(topics, tag + "-i"), bench.workdir / f"{tag}-i.log"
    )
    extract = ServiceProcess(
        "extract", bench.service_env(topics, tag), bench.workdir / f"{tag}.log"
    )
    sent: dict[str, float] = {}
    load = load_average()
    try:
        ingest.wait_ready()
        extract.wait_ready()

        def stamped() -> Iterable[tuple[bytes | None, bytes]]:
            for ident, raw in zip(ids, raws, strict=True):
                sent[ident] = time.monotonic()
                yield None, raw

        with progress_bar(count, tag) as bar:
            publish(
                bench.bootstrap, topics.raw, stamped(), rate=rate, on_sent=lambda i: bar.update()
            )
        collector.wait_for(count, timeout=120)
    finally:
        ingest.stop()
        extract.stop()
        collector.close()
        bench.drop(topics)
    delays = sorted(collector.arrived[i][0] - sent[i] for i in ids if i in collector.arrived)
    if len(delays) < count:
        raise RuntimeError(f"{tag}: {len(delays)} of {count} outcomes arrived")
    return {
        "rate": rate,
        "articles": count,
        "seconds": count / rate,
        "p50": _quantile(delays, 0.50),
        "p90": _quantile(delays, 0.90),
        "p99": _quantile(delays, 0.99),
        "max": delays[-1],
        "mean": statistics.fmean(delays),
        "outcomes": collector.outcomes(),
        "delays": delays,
        "load_average": load,
    }


def _quantile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def bulk(
    bench: Bench,
    raw_file: Path,
    count: int,
    *,
    workers: int,
    tag: str,
    thread_times: bool = False,
) -> dict[str, Any]:
    """`newsflow process FILE --workers N` (Redis store): wall time, with a progress bar fed
    by the outcome files as they grow. `thread_times` adds each thread's time on and waiting
    for a CPU (the command's processes, Redis and this harness) over the whole run."""
    out = bench.workdir / tag
    command = [
        sys.executable,
        "-m",
        "newsflow",
        "process",
        str(raw_file),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--store-url",
        bench.redis_url,
        "--store-prefix",
        bench.store_prefix(tag),
    ]
    load = load_average()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    meter = CpuMeter(process.pid)
    meter.start()
    threads = None
    if thread_times:
        roots = {"process": process.pid, "redis": bench.redis_pid(), "harness": os.getpid()}
        threads = ThreadMeter(roots)
        threads.start()
    lines = LineCounter(out)
    with progress_bar(count, tag) as bar:
        while process.poll() is None:
            time.sleep(0.5)
            bar.update(lines.count() - bar.n)
    wall = time.monotonic() - started
    cpu = meter.stop()
    per_thread = threads.stop() if threads is not None else None
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{tag}: newsflow process failed:\n{stderr.decode()[-3000:]}")
    match = _SUMMARY.search(stdout.decode())
    if match is None or int(match.group(1)) != count:
        raise RuntimeError(f"{tag}: unexpected summary:\n{stdout.decode()}")
    seconds = float(match.group(2))
    return {
        "workers": workers,
        "articles": count,
        "wall_seconds": wall,
        "seconds": seconds,  # the command's own figure: from its first input to its last output
        "rate": count / seconds,
        # After the first outcome, that is, with the extractors started (bare trafilatura's
        # rate, too, is timed from after its imports and language model):
        "first_seconds": float(match.group(4)) if match.group(4) else None,
        "steady_rate": float(match.group(3)) if match.group(3) else None,
        "wall_rate": count / wall,
        "cpu_ms_per_article": 1000 * cpu["cpu_seconds"][0] / count,
        "other_cores": cpu["other_cores"],
        "outcomes": _outcome_lines(out),
        "load_average": load,
        **({"threads": per_thread, "thread_seconds": wall, "metered": count} if per_thread else {}),
    }


class LineCounter:
    """Lines written so far to the outcome files of a `newsflow process` run."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.offsets: dict[str, int] = {}
        self.lines = 0

    def count(self) -> int:
        for name in ("clean.ndjson", "duplicates.ndjson", "rejected.ndjson"):
            path = self.out / name
            if not path.exists():
                continue
            with path.open("rb") as handle:
                handle.seek(self.offsets.get(name, 0))
                chunk = handle.read()
            self.offsets[name] = self.offsets.get(name, 0) + len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


def _outcome_lines(out: Path) -> dict[str, int]:
    counts = {}
    for name in ("clean", "duplicates", "rejected"):
        with (out / f"{name}.ndjson").open("rb") as handle:
            counts[name] = sum(1 for _ in handle)
    return counts


def peak_memory(points: list[dict[str, Any]]) -> dict[str, Any]:
    """RSS by role after the first tenth of the articles and at the end, and the growth."""
    if not points:
        return {}
    total = points[-1]["articles"]
    early = next((p for p in points if p["articles"] >= total / 10), points[0])
    last = points[-1]
    roles = ("supervisor", "workers", "forkserver", "extractors")
    return {
        "articles": total,
        "early_articles": early["articles"],
        "early_mib": {r: early[r] / 2**20 for r in roles},
        "end_mib": {r: last[r] / 2**20 for r in roles},
        "peak_mib": {r: max(p[r] for p in points) / 2**20 for r in roles},
        "growth_mib": {r: (last[r] - early[r]) / 2**20 for r in roles},
    }


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)

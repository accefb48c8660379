"""Where the time goes per article: py-spy on one extract worker and on `newsflow process`.

py-spy samples every thread of the process tree (`--subprocesses --idle`), so waits count
too: a stage's share of a thread's samples is its share of that thread's wall time. Each
sample is put in the first stage whose marker frame it contains (store calls before the
stage that makes them, so "store round trips" is all time inside redis-py). The worker's
main thread is the serial path of an article in the service: its stages add up to the
worker's time per article. In `newsflow process` the main thread (read, ingest, decide,
write) runs alongside the extraction thread, which waits on the sandbox.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.performance.harness import Bench, Collector, publish
from benchmarks.performance.phases import LineCounter, Workload
from newsflow.tools.service_process import ServiceProcess

RATE_HZ = 250
_PROCESS = re.compile(r'process (\d+):"[^"]*";')
_THREAD = re.compile(r"thread \((\d+)\)(?::[^;]*)?;")

# (stage, markers): a sample belongs to the first stage one of whose markers is a substring
# of one of its frames ("function (file"), or, for a marker starting with "$", the start of
# its innermost frame (a thread blocked in C code called from that function). Order matters:
# specific before general.
WORKER_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("store round trips (Redis)", ("redis/",)),
    ("schema validation (jsonschema)", ("validate (newsflow/contracts/codec.py", "jsonschema/")),
    ("JSON decode", ("decode (newsflow/contracts/codec.py",)),
    ("JSON encode", ("encode (newsflow/contracts/codec.py",)),
    ("extractor start-up", ("_ensure_child",)),
    ("sandbox IPC (pickle, pipe)", ("_ConnectionBase.send", "_ConnectionBase.recv")),
    ("extraction (waiting on the sandbox)", ("Sandbox.run", "Sandbox.collect")),
    ("text features (fingerprint, line hashes, MinHash, story terms)", ("text_features (",)),
    ("fingerprint", ("fingerprint (newsflow/stages/fingerprint.py",)),
    ("learned boilerplate", ("strip_learned_boilerplate", "drop_recurring")),
    ("near-duplicates and stories", ("place (newsflow/stages/placement.py", "index_request")),
    ("exact dedup", ("decide_exact", "exact_claim", "decision_of")),
    ("build events", ("newsflow/events.py",)),
    ("metrics", ("prometheus_client/",)),
    ("produce (send)", ("KafkaProducer.send",)),
    ("produce (flush: wait for acks)", ("KafkaProducer.flush",)),
    ("commit offsets", ("KafkaConsumer.commit",)),
    ("lag gauge", ("_report_lag",)),
    ("consume (poll, fetch, decompress)", ("KafkaConsumer.poll",)),
]
EXTRACTOR_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("waiting for the next article", ("$_child_main (",)),
    ("IPC (pickle, pipe)", ("_ConnectionBase.send", "_ConnectionBase.recv")),
    ("HTML parse (load_html)", ("load_html",)),
    ("page metadata", ("page_metadata",)),
    ("DOM preparation", ("prepare_tree", "has_prose")),
    ("trafilatura bare_extraction", ("bare_extraction",)),
    ("text cleaning", ("clean_text",)),
    ("language detection", ("language (newsflow/stages/language.py",)),
    ("quality, links", ("score_quality", "_link_texts")),
]
PROCESS_MAIN_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("store round trips (Redis)", ("redis/",)),
    ("schema validation (jsonschema)", ("validate (newsflow/contracts/codec.py", "jsonschema/")),
    ("JSON encode", ("encode (newsflow/contracts/codec.py",)),
    ("read inputs", ("newsflow/batch/inputs.py",)),
    ("ingest (parse, validate, canonical URL)", ("run_ingest",)),
    ("waiting for extraction", ("Future.result", "extract_ordered")),
    ("text features (fingerprint, line hashes, MinHash, story terms)", ("text_features (",)),
    ("fingerprint", ("fingerprint (newsflow/stages/fingerprint.py",)),
    ("learned boilerplate", ("strip_learned_boilerplate", "drop_recurring")),
    ("near-duplicates and stories", ("place (newsflow/stages/placement.py", "index_request")),
    ("exact dedup", ("decide_exact", "exact_claim", "decision_of")),
    ("build events", ("newsflow/events.py",)),
    ("write outcome files", ("write_outcomes",)),
]


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy not found: install the dev extras (`pip install -e .[dev]`)")
    return found


def profile_all(bench: Bench, work: Workload) -> dict[str, Any]:
    return {
        "worker": profile_worker(bench, work),
        "process": profile_process(bench, work),
    }


def profile_worker(bench: Bench, work: Workload) -> dict[str, Any]:
    """One extract worker over the workload's backlog, sampled once it is warm (a tenth of
    the articles done) until the last outcome."""
    topics = bench.topics("prof")
    collector = Collector(bench.bootstrap, topics)
    collector.start()
    service = ServiceProcess(
        "extract", bench.service_env(topics, "prof"), bench.workdir / "prof.log"
    )
    raw = bench.workdir / "worker.pyspy"
    try:
        service.wait_ready()
        worker = _worker_pid(service.process.pid)
        threading.Thread(
            target=publish, args=(bench.bootstrap, topics.ingested, work.ingested), daemon=True
        ).start()
        collector.wait_for(max(2, work.count // 10), timeout=120 + work.count)
        spy = _attach(worker, raw)
        first, started = len(collector.arrived), time.monotonic()
        collector.wait_for(work.count, timeout=120 + work.count)
        seconds = time.monotonic() - started
        articles = len(collector.arrived) - first
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    finally:
        service.stop()
        collector.close()
        bench.drop(topics)
    samples = parse(raw.read_text())
    main = [(stack, n) for (pid, tid, stack), n in samples.items() if pid == worker == tid]
    extractor = [
        (stack, n)
        for (pid, tid, stack), n in samples.items()
        if pid != worker and pid == tid and "_child_main" in stack
    ]
    per_article = 1000 * seconds / articles
    return {
        "title": "one extract worker (its main thread), Redis store",
        "articles": articles,
        "seconds": seconds,
        "rate_hz": RATE_HZ,
        "samples": sum(n for _, n in main),
        "ms_per_article": per_article,
        "stages": breakdown(main, WORKER_STAGES, per_article),
        "extractor": {
            "title": "its extractor process (the sandbox child)",
            "samples": sum(n for _, n in extractor),
            "stages": breakdown(extractor, EXTRACTOR_STAGES, per_article),
        },
    }


def profile_process(bench: Bench, work: Workload) -> dict[str, Any]:
    """`newsflow process --workers 1` over the workload's raw file, sampled once a tenth of
    the outcomes are written until it exits."""
    raw = bench.workdir / "process.pyspy"
    out = bench.workdir / "prof-process"
    process = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "process", str(work.raw_file), "--out", str(out),
         "--workers", "1", "--quiet", "--store-url", bench.redis_url,
         "--store-prefix", bench.store_prefix("prof-process")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    lines = LineCounter(out)
    while process.poll() is None and lines.count() < max(2, work.count // 10):
        time.sleep(0.1)
    spy = _attach(process.pid, raw)
    first, started = lines.count(), time.monotonic()
    process.wait()
    seconds = time.monotonic() - started
    articles = work.count - first
    spy.wait(60)
    if articles <= 0:
        raise RuntimeError("`newsflow process` ended before py-spy attached: nothing to profile")
    samples = parse(raw.read_text())
    main = [(stack, n) for (pid, tid, stack), n in samples.items() if pid == process.pid == tid]
    per_article = 1000 * seconds / articles
    return {
        "title": "`newsflow process --workers 1` (its main thread: read, ingest, decide, write)",
        "articles": articles,
        "seconds": seconds,
        "rate_hz": RATE_HZ,
        "samples": sum(n for _, n in main),
        "ms_per_article": per_article,
        "stages": breakdown(main, PROCESS_MAIN_STAGES, per_article),
    }


def _attach(pid: int, raw: Path) -> subprocess.Popen[bytes]:
    spy = subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--idle", "--threads",
         "--nonblocking", "--format", "raw", "--rate", str(RATE_HZ), "-o", str(raw)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches
    return spy


def parse(text: str) -> Counter[tuple[int, int, str]]:
    """py-spy raw output → samples by (innermost process id, thread id, frames)."""
    samples: Counter[tuple[int, int, str]] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        pid = 0
        position = 0
        while match := _PROCESS.match(stack, position):
            pid, position = int(match.group(1)), match.end()
        thread = _THREAD.match(stack, position)
        if thread is None or not count.isdigit():
            continue
        samples[(pid, int(thread.group(1)), stack[thread.end() :])] += int(count)
    return samples


def breakdown(
    samples: list[tuple[str, int]], stages: list[tuple[str, tuple[str, ...]]], per_article: float
) -> list[dict[str, Any]]:
    """Samples per stage → share of the thread's time and ms of an article's `per_article`
    ms, largest first; what no stage claims is "other"."""
    counts: Counter[str] = Counter()
    for stack, n in samples:
        counts[_stage(stack, stages)] += n
    total = sum(counts.values()) or 1
    return [
        {
            "stage": stage,
            "samples": n,
            "share": n / total,
            "ms_per_article": per_article * n / total,
        }
        for stage, n in counts.most_common()
    ]


def _stage(stack: str, stages: list[tuple[str, tuple[str, ...]]]) -> str:
    innermost = stack.rpartition(";")[2]
    for stage, markers in stages:
        for marker in markers:
            if innermost.startswith(marker[1:]) if marker[0] == "$" else marker in stack:
                return stage
    return "other"


def _worker_pid(service_pid: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["pgrep", "-P", str(service_pid), "-f", "spawn_main"], capture_output=True, text=True
        ).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.2)
    raise RuntimeError("no extract worker process found")

"""The reference rates: extraction alone, in N plain processes, no broker, store or sandbox.

`bare`: `trafilatura.bare_extraction(html, url=url)` with trafilatura's defaults — what
"extraction" costs when nothing else is done. `stage`: newsflow's own extract stage
(`newsflow.stages.extract.extract`: DOM preparation, one fast trafilatura pass, metadata,
text cleaning) in-process, so worker ÷ stage is the overhead of everything around it.

Each process loads the articles, warms up (imports, language model, one page), waits at a
barrier, then takes pages from a shared counter until none is left; the rate is pages over
the wall time from the barrier to the last process's finish.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any, Literal

import orjson

from benchmarks.performance.procfs import CpuMeter

Mode = Literal["bare", "stage"]


def extraction_rate(articles_file: Path, *, mode: Mode, processes: int) -> dict[str, Any]:
    """Pages per second of `mode` extraction over `articles_file` (ingested events, NDJSON)."""
    context = mp.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    counter = context.Value("i", 0)
    results = context.Queue()
    workers = [
        context.Process(
            target=_work, args=(articles_file, mode, barrier, counter, results), daemon=True
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=300)
    started = time.monotonic()
    meter = CpuMeter(*(worker.pid for worker in workers if worker.pid is not None))
    meter.start()
    finished = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    wall = max(end for end, _, _ in finished) - started
    pages = sum(count for _, count, _ in finished)
    cpu = sum(seconds for _, _, seconds in finished)
    return {
        "mode": mode,
        "processes": processes,
        "articles": pages,
        "seconds": wall,
        "rate": pages / wall,
        "cpu_ms_per_article": 1000 * cpu / pages,
        "other_cores": meter.stop()["other_cores"],
    }


def _work(articles_file: Path, mode: Mode, barrier: Any, counter: Any, results: Any) -> None:
    from newsflow import events

    articles = [
        events.article_from_event(orjson.loads(line))
        for line in articles_file.read_bytes().splitlines()
    ]
    extract_one = _extractor(mode)
    extract_one(articles[0])  # warm-up, outside the timed part
    barrier.wait(timeout=300)
    cpu = time.process_time()
    done = 0
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(articles):
            break
        extract_one(articles[index])
        done += 1
    results.put((time.monotonic(), done, time.process_time() - cpu))


def _extractor(mode: Mode) -> Any:
    if mode == "bare":
        import trafilatura

        return lambda article: trafilatura.bare_extraction(article.body, url=article.canonical_url)
    from newsflow.stages.extract import extract
    from newsflow.stages.language import warm_up

    warm_up()
    return extract

"""The per-thread meter of the performance benchmarks: a busy thread shows up with its time
on a CPU, an idle one without, and the table puts them in ms per article."""

from __future__ import annotations

import os
import threading
import time

from benchmarks.performance.procfs import ThreadMeter
from benchmarks.performance.threads import table


def spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_busy_thread_is_metered_with_its_time_on_a_cpu() -> None:
    meter = ThreadMeter({"harness": os.getpid()})
    meter.start()
    busy = threading.Thread(target=spin, args=(1.2,))
    busy.start()
    busy.join()  # the main thread sleeps meanwhile
    rows = meter.stop()
    main = [row for row in rows if row["thread"] == "main"]
    others = [row for row in rows if row["thread"] != "main"]
    # Sampled every 0.5 s, the busy thread is seen alive at least twice and counted from its
    # birth; only what it ran after its last sample is missed.
    assert 0.5 <= sum(row["run_seconds"] for row in others) <= 1.3
    assert sum(row["run_seconds"] for row in main) < 0.3
    assert all(row["process"] == "supervisor" and row["wait_seconds"] >= 0 for row in rows)


def test_the_table_is_in_ms_per_article_and_sums_the_quiet_threads() -> None:
    run = {
        "workers": 1,
        "rate": 40.0,
        "metered": 200,
        "seconds": 5.0,
        "threads": [
            {"process": "extractors", "thread": "main", "run_seconds": 4.0, "wait_seconds": 0.8},
            {
                "process": "broker",
                "thread": "tokio-rt-worker",
                "run_seconds": 0.4,
                "wait_seconds": 0.1,
            },
            {
                "process": "workers",
                "thread": "python3.11",
                "run_seconds": 0.02,
                "wait_seconds": 0.0,
            },
        ],
    }
    bare = {"rate": 50.0, "cpu_ms_per_article": 19.5}
    text = table(run, bare)
    assert "40.0 articles/s (0.800 of bare)" in text
    assert "| extractors | main | 20.00 | 80.0% | 4.00 |" in text
    assert "| broker | tokio-rt-worker | 2.00 | 8.0% | 0.50 |" in text
    assert "| (the rest) | | 0.10 | 0.4% | 0.00 |" in text

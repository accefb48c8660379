"""The per-thread meter of the performance benchmarks: a busy process shows up with its time
on a CPU, and the table puts the threads in ms per article."""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.performance.procfs import ThreadMeter
from benchmarks.performance.threads import table

BUSY = """
import time
time.sleep(0.3)
end = time.process_time() + 1.0
while time.process_time() < end:
    pass
print("spun", flush=True)
time.sleep(1.5)
"""


def test_a_busy_process_is_metered_with_its_time_on_a_cpu() -> None:
    # Another process, as in the benchmarks: a busy Python thread of the metering process
    # itself could starve the meter's sampling thread of the GIL.
    child = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE, text=True)
    try:
        meter = ThreadMeter({"child": child.pid})
        meter.start()  # the child is sleeping: almost nothing run yet
        assert child.stdout is not None and child.stdout.readline() == "spun\n"
        time.sleep(0.7)  # one more sample (every 0.5 s) while the child sleeps
        rows = meter.stop()
    finally:
        child.wait(10)
    [row] = [row for row in rows if row["thread"] == "main"]
    assert 0.8 <= row["run_seconds"] <= 1.2
    assert row["wait_seconds"] >= 0
    assert row["process"] == "supervisor"  # the root's role (one root: no name needed)


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

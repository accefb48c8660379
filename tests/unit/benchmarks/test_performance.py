"""The performance suite's corpus and profile parsing (the suite itself needs a broker)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from benchmarks.performance import suite
from benchmarks.performance.corpus import PageMaker, raw_messages
from benchmarks.performance.phases import Workload
from benchmarks.performance.profile import EXTRACTOR_STAGES, WORKER_STAGES, breakdown, parse


def test_the_corpus_is_deterministic_and_varies_in_size() -> None:
    first = list(raw_messages(PageMaker(seed=3).pages(12), count=12, duplicate_ratio=0.0))
    again = list(raw_messages(PageMaker(seed=3).pages(12), count=12, duplicate_ratio=0.0))
    assert first == again
    sizes = sorted(len(m) for m in first)
    assert sizes[0] > 5_000 and sizes[-1] > 2 * sizes[0]
    assert len({orjson.loads(m)["url"] for m in first}) == 12


def test_recrawls_repeat_an_earlier_page_byte_for_byte_later_with_a_new_id() -> None:
    messages = [
        orjson.loads(m)
        for m in raw_messages(PageMaker(seed=5).pages(20), count=20, duplicate_ratio=0.5)
    ]
    assert len(messages) == 20
    seen: dict[str, dict] = {}
    recrawls = 0
    for message in messages:
        if message["id"].startswith("p-r"):
            original = seen[message["url"]]  # the original came earlier
            assert message["html"] == original["html"]
            assert message["fetched_at"] > original["fetched_at"]
            recrawls += 1
        else:
            seen[message["url"]] = message
    assert recrawls == 10
    assert len({m["id"] for m in messages}) == 20


def test_py_spy_samples_are_put_in_the_first_matching_stage() -> None:
    raw = (
        'process 10:"python -m newsflow extract";process 11:"python -c spawn_main";'
        "thread (11);ConsumeLoop.run (newsflow/service/loop.py:1);"
        "ExtractProcessor.process (x.py:2);run_decide (newsflow/pipeline.py:3);"
        "place (newsflow/stages/placement.py:4);Redis.execute_command (redis/client.py:5) 30\n"
        'process 10:"python -m newsflow extract";process 11:"python -c spawn_main";'
        "thread (11);ConsumeLoop.run (newsflow/service/loop.py:1);"
        "Sandbox.run (newsflow/sandbox.py:9);_ConnectionBase.poll (mp/connection.py:1) 70\n"
        'process 10:"python -m newsflow extract";thread (12);Thread.run (threading.py:1) 5\n'
    )
    samples = parse(raw)
    main = [(stack, n) for (pid, tid, stack), n in samples.items() if pid == tid == 11]
    stages = {s["stage"]: s for s in breakdown(main, WORKER_STAGES, per_article=100.0)}
    assert stages["store round trips (Redis)"]["ms_per_article"] == 30.0
    assert stages["extraction (waiting on the sandbox)"]["share"] == 0.7


def test_a_thread_blocked_in_c_code_is_told_by_its_innermost_frame() -> None:
    waiting = "Process.run (mp/process.py:1);_child_main (newsflow/sandbox.py:60)"
    working = waiting + ";extract (newsflow/stages/extract.py:9);load_html (trafilatura/x.py:3)"
    samples = [(waiting, 3), (working, 1)]
    stages = {s["stage"]: s for s in breakdown(samples, EXTRACTOR_STAGES, per_article=40.0)}
    assert stages["waiting for the next article"]["ms_per_article"] == 30.0
    assert stages["HTML parse (load_html)"]["ms_per_article"] == 10.0


def test_the_profile_runs_over_enough_articles_for_py_spy_to_attach(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """py-spy takes a second to attach: the quick suite's 120 articles were done by then, and
    `--profile-only` divided by zero articles."""
    profiled: list[int] = []

    def profile_all(bench: object, work: Workload) -> dict[str, object]:
        profiled.append(work.count)
        return {}

    monkeypatch.setattr("benchmarks.performance.profile.profile_all", profile_all)
    bench = SimpleNamespace(workdir=tmp_path)
    suite.run_profile(bench, suite.QUICK, argparse.Namespace(no_dev_set=True))  # type: ignore[arg-type]
    assert profiled == [suite.PROFILE_STREAM] and suite.QUICK.stream < suite.PROFILE_STREAM

"""The supervisor's view of its workers, with stand-ins for the worker processes (real ones
are started by the integration and fault tests)."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from newsflow.service.metrics import Metrics
from newsflow.service.supervisor import Supervisor


class Worker:
    """A worker process as the supervisor sees it."""

    def __init__(self, *, alive: bool = True, exitcode: int | None = None) -> None:
        self.alive = alive
        self.exitcode = exitcode
        self.pid = 0
        self.terminated = False

    def is_alive(self) -> bool:
        return self.alive

    def terminate(self) -> None:
        self.terminated = True
        self.alive = False
        self.exitcode = -signal.SIGTERM if self.exitcode is None else self.exitcode

    def join(self, timeout: float | None = None) -> None:
        pass


def supervisor(metrics: Metrics, workers: list[Worker], ready: list[int]) -> Supervisor:
    supervising = Supervisor(lambda index, flag: None, workers=len(workers), metrics=metrics)
    supervising.processes = list(workers)
    for flag, value in zip(supervising.flags, ready, strict=True):
        flag.value = value
    return supervising


def test_the_service_is_ready_only_when_every_worker_is(metrics: Metrics) -> None:
    """A load balancer sends intake traffic to a ready service: one worker of two that has not
    joined its group (or died) leaves its partitions unread."""
    assert supervisor(metrics, [Worker(), Worker()], [1, 1]).ready() == (
        True,
        {"workers_ready": 2, "workers": 2},
    )
    assert supervisor(metrics, [Worker(), Worker()], [1, 0]).ready()[0] is False
    assert supervisor(metrics, [Worker(), Worker(alive=False)], [1, 1]).ready() == (
        False,
        {"workers_ready": 1, "workers": 2},
    )
    stopping = supervisor(metrics, [Worker(), Worker()], [1, 1])
    stopping.stopping.set()
    assert stopping.ready()[0] is False


def test_the_workers_ready_are_exported_for_alerting(metrics: Metrics) -> None:
    """/readyz is read by a probe, which restarts nothing: workers that never joined their
    group (a broker address that answers nothing) raised no alert while the service was up."""
    from prometheus_client import REGISTRY

    def exported() -> float | None:
        return REGISTRY.get_sample_value("newsflow_workers_ready", {"service": metrics.service})

    supervisor(metrics, [Worker(), Worker()], [1, 0]).publish_readiness()
    assert exported() == 1
    supervisor(metrics, [Worker(), Worker(alive=False)], [1, 1]).publish_readiness()
    assert exported() == 1
    supervisor(metrics, [Worker(), Worker()], [1, 1]).publish_readiness()
    assert exported() == 2


@pytest.mark.parametrize(("exitcode", "status"), [(None, 0), (0, 0), (1, 1), (-9, 1)])
def test_the_service_exits_0_only_when_every_worker_stopped_cleanly(
    metrics: Metrics, monkeypatch: pytest.MonkeyPatch, exitcode: int | None, status: int
) -> None:
    """A worker that crashed while the others stopped on SIGTERM makes the service exit 1, so
    its orchestrator tells a clean stop from a lost worker."""
    from newsflow.service import supervisor as module

    monkeypatch.setattr(module, "mark_dead", lambda pid: None)
    workers = [Worker(), Worker(alive=exitcode is None, exitcode=exitcode)]
    supervising: Any = supervisor(metrics, workers, [1, 1])
    assert supervising._shutdown() == status
    assert workers[0].terminated

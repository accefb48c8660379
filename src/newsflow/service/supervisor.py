"""Run N worker processes of one service, restart the ones that die, stop them on SIGTERM.

Each worker is a separate consumer-group member (a spawned process, so no state is shared by
accident). The supervisor owns the HTTP endpoints; workers report readiness through shared
flags. SIGTERM/SIGINT: workers are asked to stop (finish the record in hand, commit what is
done, leave the group) and are killed only if they overrun the shutdown timeout.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from newsflow.errors import CONFIG_ERROR_EXIT
from newsflow.service.metrics import Metrics, mark_dead

log = logging.getLogger(__name__)
WorkerTarget = Callable[[int, Any], None]  # (worker index, shared ready flag) -> None


class Supervisor:
    def __init__(
        self,
        target: WorkerTarget,
        *,
        workers: int,
        metrics: Metrics,
        shutdown_timeout: float = 30.0,
        restart_delay: float = 1.0,
    ) -> None:
        self._context = mp.get_context("spawn")
        self.target = target
        self.count = workers
        self.metrics = metrics
        self.shutdown_timeout = shutdown_timeout
        self.restart_delay = restart_delay
        self.flags = [self._context.Value("b", 0, lock=False) for _ in range(workers)]
        self.processes: list[Any] = [None] * workers
        self.stopping = threading.Event()

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Ready when every worker is alive, has joined the group and reaches its store."""
        states = [
            bool(p is not None and p.is_alive() and f.value)
            for p, f in zip(self.processes, self.flags, strict=True)
        ]
        return all(states) and not self.stopping.is_set(), {
            "workers_ready": sum(states),
            "workers": self.count,
        }

    def publish_readiness(self) -> None:
        """The workers ready, as a gauge: /readyz is seen by a probe, which restarts nothing
        for it, and workers that never get ready (a broker address that answers nothing, a
        store away) raised no alert while the service itself was up."""
        ready = self.ready()[1]["workers_ready"]
        self.metrics.workers_ready.labels(self.metrics.service).set(ready)

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; returns 0 when every worker stopped cleanly."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for index in range(self.count):
            self._start(index)
        self.metrics.workers.labels(self.metrics.service).set(self.count)
        while not self.stopping.wait(0.2):
            self.publish_readiness()
            for index, process in enumerate(self.processes):
                if process.exitcode == CONFIG_ERROR_EXIT:
                    log.error(
                        "a worker cannot start (configuration error, see its log); stopping",
                        extra={"worker": index},
                    )
                    self.stopping.set()
                    self._shutdown()
                    return CONFIG_ERROR_EXIT
                if not process.is_alive():
                    self._restart(index, process)
        return self._shutdown()

    def _start(self, index: int) -> None:
        self.flags[index].value = 0
        process = self._context.Process(
            target=self.target, args=(index, self.flags[index]), name=f"worker-{index}"
        )
        process.start()
        self.processes[index] = process
        log.info("worker started", extra={"worker": index, "pid": process.pid})

    def _restart(self, index: int, process: Any) -> None:
        log.error(
            "worker died; restarting it",
            extra={"worker": index, "pid": process.pid, "exitcode": process.exitcode},
        )
        mark_dead(process.pid)
        self.metrics.worker_restarts.labels(self.metrics.service).inc()
        if self.stopping.wait(self.restart_delay):
            return
        self._start(index)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        self.stopping.set()

    def _shutdown(self) -> int:
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()  # SIGTERM: the worker finishes its record, commits what is done
        deadline = time.monotonic() + self.shutdown_timeout
        status = 0
        for index, process in enumerate(self.processes):
            if process is None:
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error(
                    "worker overran the shutdown timeout; killing it", extra={"worker": index}
                )
                process.kill()
                process.join()
                status = 1
            elif process.exitcode not in (0, -signal.SIGTERM):
                status = 1
            mark_dead(process.pid)
        log.info("stopped", extra={"exit": status})
        return status

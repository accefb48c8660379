"""Run the extract stage in a child process that can be killed: the real per-document time limit.

trafilatura's Python API has no timeout, and a pathological page can spin inside lxml where no
signal reaches Python code. So extraction runs in a child process; if it does not answer within
the limit the child is killed and replaced, and the article gets `extraction_timeout`. A child
that dies (segfault, OOM kill) gives `extractor_crashed`; an exception gives `extraction_failed`.
"""

from __future__ import annotations

import io
import logging
import multiprocessing as mp
import os
import pickle
import re
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, TypeVar

from newsflow import rejection as R
from newsflow.errors import ConfigError
from newsflow.model import Article, Extraction
from newsflow.rejection import Rejection
from newsflow.stages.extract import ExtractLimits, extract, ran_out_of_memory
from newsflow.stages.language import warm_up
from newsflow.stages.stories import StorySettings

if TYPE_CHECKING:
    from newsflow.stages.features import TextFeatures

log = logging.getLogger(__name__)
DEFAULT_TIME_LIMIT = 5.0
STARTUP_LIMIT = 60.0
READY = "ready"
STARTUP_OUT_OF_MEMORY = 3
"""The exit status of a child whose start-up (imports, the language model) ran out of memory."""
_OUT_OF_MEMORY = re.compile(r"failed to map segment|Cannot allocate memory")
"""What a library that cannot be loaded into the capped address space says (numpy, scipy)."""
Result = Extraction | Rejection
RESULT_CLASSES = frozenset(
    {
        ("newsflow.model", "Extraction"),
        ("newsflow.model", "Fingerprint"),
        ("newsflow.rejection", "Rejection"),
        ("newsflow.stages.features", "TextFeatures"),
        ("newsflow.stages.stories", "StorySettings"),
    }
)
"""The classes an extractor's answer is made of: all the parent unpickles from a child."""


class _AnswerUnpickler(pickle.Unpickler):
    """Unpickles a child's answer, refusing any class but `RESULT_CLASSES`: a plain `recv`
    calls whatever the pickle names, so a page that took over its child (a parser's memory
    bug) would have taken over the deciding process too."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in RESULT_CLASSES:
            raise pickle.UnpicklingError(f"an extractor sent {module}.{name}: no result class")
        return super().find_class(module, name)


def _answer(conn: Connection) -> Any:
    """A child's answer: `READY`, or its result, features and times. Anything else (a class not
    allowed, an allowed class given a state it cannot take, another shape) is an
    `UnpicklingError`, handled as a child that died: raised as it came, a TypeError or
    ValueError stopped the deciding process."""
    data = conn.recv_bytes()
    try:
        answer = _AnswerUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError:
        raise
    except Exception as exc:
        raise pickle.UnpicklingError(f"an extractor sent no answer: {exc!r}"[:300]) from exc
    if answer == READY or _is_result(answer):
        return answer
    raise pickle.UnpicklingError(f"an extractor sent no answer: {type(answer).__name__}")


def _is_result(answer: object) -> bool:
    if not (isinstance(answer, tuple) and len(answer) == 4):
        return False
    result, found, started, finished = answer
    # (Features unpickled imported their module; the parent imports numpy with it only then.)
    features = sys.modules.get("newsflow.stages.features")
    return (
        isinstance(result, Extraction | Rejection)
        and (found is None or (features is not None and isinstance(found, features.TextFeatures)))
        and all(isinstance(t, float) for t in (started, finished))
    )


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-document wall-clock limit, child address-space cap (MiB, 0 = none), size cap, and
    how long a child may take to start (imports, the language model)."""

    time_limit: float = DEFAULT_TIME_LIMIT
    memory_limit_mb: int = 2048
    extract: ExtractLimits = field(default_factory=ExtractLimits)
    startup_limit: float = STARTUP_LIMIT


def _child_main(
    conn: Connection, limits: SandboxLimits, features: StorySettings | None = None
) -> None:
    # Ctrl-C reaches the whole process group: the owner decides when its extractor stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if limits.memory_limit_mb:
        cap = limits.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        warm_up()  # load the language model before the first document's time limit starts
        if features is not None:  # only then: it imports numpy (0.05 s of CPU)
            from newsflow.stages.features import text_features
    except (MemoryError, ImportError, OSError) as exc:  # the cap too small to start, once
        if isinstance(exc, MemoryError) or _OUT_OF_MEMORY.search(str(exc)):
            os._exit(STARTUP_OUT_OF_MEMORY)  # the owner says so, once, without a traceback
        raise
    try:
        conn.send(READY)
    except OSError:  # closed before it was ever used
        return
    # A reader thread takes articles off the pipe while this thread extracts, so the owner's
    # send of the next article never waits for the current one to finish.
    inbox: SimpleQueue[Article | None] = SimpleQueue()
    threading.Thread(target=_read_into, args=(conn, inbox), daemon=True).start()
    while (article := inbox.get()) is not None:
        started = time.monotonic()
        found: TextFeatures | None = None
        try:
            result: Result = extract(article, limits=limits.extract)
            if features is not None and isinstance(result, Extraction):
                found = text_features(result.title, result.text, features)
        except Exception as exc:  # the child reports any bug as a value and keeps serving
            if ran_out_of_memory(exc):
                result = Rejection(R.EXTRACTION_FAILED, "extraction ran out of memory")
            else:
                result = Rejection(R.EXTRACTION_FAILED, f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send((result, found, started, time.monotonic()))
        except OSError:  # the owner is gone (stopping): nothing to answer
            return


def _read_into(conn: Connection, inbox: SimpleQueue[Article | None]) -> None:
    try:
        while True:
            inbox.put(conn.recv())
    except (EOFError, OSError):
        inbox.put(None)


@dataclass(frozen=True, slots=True)
class Extracted:
    """What the sandbox gives back for one article: the result, how many extractor processes
    it took (more than one when an extractor died on it), the extraction's own seconds, and
    the text's features when the sandbox computes them (`Sandbox(features=...)`)."""

    result: Result
    attempts: int = 1
    seconds: float = 0.0
    features: TextFeatures | None = None


@dataclass(slots=True)
class _Job:
    article: Article
    sent_at: float
    attempts: int = 1


class Sandbox:
    """One killable child process running `extract`; restarted after a timeout or crash.

    Articles can be queued ahead (`submit`) and their results taken in order (`collect`):
    the child extracts the next article while its owner works on the previous result. Each
    article's time limit runs from when the child could start on it. An article on which the
    child died is retried in a fresh child up to `max_attempts` times in all (the child may
    have been killed for reasons of its own); a timeout or a failure is final.

    The child is started at once and warms up (imports, language model) while its owner gets
    ready, e.g. joins its consumer group: the first article does not wait for that. With
    `features` (story settings), the child also computes each extracted text's features
    (`newsflow.stages.features`), within the same time limit.
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        max_attempts: int = 1,
        features: StorySettings | None = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.features = features
        self.max_attempts = max(1, max_attempts)
        self.restarts = 0
        self._context = mp.get_context("forkserver")
        self._process: Any = None
        self._conn: Connection | None = None
        self._warm = False
        self._ready = False
        self._queued: deque[_Job] = deque()
        self._free_at = 0.0  # when the child finished its last article (monotonic clock)
        self._spawn()

    @property
    def pending(self) -> int:
        """Articles submitted and not yet collected."""
        return len(self._queued)

    def run(self, article: Article) -> Result:
        """Extract one article within the time limit; never raises for a bad document."""
        if self._queued:
            raise RuntimeError("run() while articles are queued: collect() their results first")
        self.submit(article)
        return self.collect().result

    def submit(self, article: Article) -> None:
        """Queue an article for extraction; its result comes from `collect`, in order."""
        job = _Job(article, time.monotonic())
        self._queued.append(job)
        self._send(job)

    def collect(self) -> Extracted:
        """The result of the oldest submitted article, waiting for it within its limit."""
        while True:
            job = self._queued[0]
            deadline = max(job.sent_at, self._free_at) + self.limits.time_limit
            conn = self._conn
            try:
                if conn is not None and conn.poll(max(0.0, deadline - time.monotonic())):
                    answer = _answer(conn)
                    if answer == READY:  # a start slower than the start-up limit: it has
                        self._ready = True  # not begun on the article yet, whose limit
                        self._free_at = time.monotonic()  # runs from now
                        continue
                    result, found, started, finished = answer
                    self._queued.popleft()
                    self._free_at = finished
                    return Extracted(result, job.attempts, finished - started, found)
            except (EOFError, OSError, pickle.UnpicklingError):
                if job.attempts < self.max_attempts:
                    log.warning(
                        "extractor died or sent no result (attempt %d of %d); retrying the article",
                        job.attempts,
                        self.max_attempts,
                        extra={"article_id": job.article.article_id},
                    )
                    job.attempts += 1
                    self._restart("died")
                    continue
                self._queued.popleft()
                self._restart("died")
                reason = "the extractor process died on this document"
                return Extracted(Rejection(R.EXTRACTOR_CRASHED, reason), job.attempts)
            self._queued.popleft()
            self._restart("timed out")
            detail = f"extraction took longer than {self.limits.time_limit:g} s"
            return Extracted(Rejection(R.EXTRACTION_TIMEOUT, detail), job.attempts)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._process = self._conn = None

    def _send(self, job: _Job) -> None:
        conn = self._ensure_child()
        if job is self._queued[0]:
            job.sent_at = time.monotonic()  # a resubmitted head: its limit starts now
        with suppress(OSError):  # a child dead already: `collect` sees it and restarts it
            conn.send(job.article)

    def _ensure_child(self) -> Connection:
        if self._conn is None or self._process is None or not self._process.is_alive():
            self._spawn()
        assert self._conn is not None
        if not self._warm:
            self._warm = True
            # Start-up (imports, the language model) is not the first document's time.
            with suppress(EOFError, OSError, pickle.UnpicklingError):  # fails at `collect`
                if self._conn.poll(self.limits.startup_limit):
                    self._ready = _answer(self._conn) == READY
        return self._conn

    def wait_ready(self) -> None:
        """Wait for the child's start-up (imports, the language model). A child that exits
        before it is ready, or is not ready within the start-up limit, could extract nothing:
        that is a `ConfigError` (most likely an address-space cap too small for it: a library
        that cannot map its memory may spin rather than fail), not a crash or a timeout to
        blame on every article."""
        self._ensure_child()
        if self._ready:
            return
        self._process.join(timeout=5)
        code = self._process.exitcode
        if code is None:  # alive, and stuck or starved: no article would get it any further
            self.close()
            what, size = f"was not ready within {self.limits.startup_limit:g} s", "may be"
        else:
            what = f"exited before it was ready (exit code {code})"
            size = "is" if code == STARTUP_OUT_OF_MEMORY else "is likely"
        cap = self.limits.memory_limit_mb
        hint = (
            f"; its address-space cap of {cap} MiB (NEWSFLOW_EXTRACT_MEMORY_MB) {size} too "
            "small for it"
            if cap
            else ""
        )
        raise ConfigError(f"the extractor process {what}{hint}")

    def _spawn(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_child_main,
            args=(child, self.limits, self.features),
            daemon=True,
            name="extractor",
        )
        self._process.start()
        child.close()
        self._conn = parent
        self._warm = False
        self._ready = False
        self._free_at = 0.0

    def _restart(self, why: str) -> None:
        """Replace the child and hand it the articles still queued, in order."""
        log.warning("extractor process %s; restarting it", why, extra={"pid": self._process.pid})
        self.restarts += 1
        self._process.kill()
        self._process.join()
        self.close()
        self._spawn()  # the replacement warms up while the caller moves on
        for job in self._queued:
            self._send(job)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


IN_FLIGHT_PER_SANDBOX = 3
"""Articles a sandbox of `extract_ordered` holds at once: one extracting, two queued."""
CRASH_ATTEMPTS = 3
"""Tries of an article whose child dies in `extract_ordered`: the services' default."""


def extract_ordered(
    items: Iterable[T],
    article_of: Callable[[T], Article | None],
    *,
    workers: int,
    limits: SandboxLimits | None = None,
    features: StorySettings | None = None,
    max_attempts: int = CRASH_ATTEMPTS,
) -> Iterator[tuple[T, Extracted | None]]:
    """Extract the items' articles in `workers` sandboxes at once, yielding in input order
    (with `features`, each extracted text's features too: see `Sandbox`). An article on which
    a child died is retried in a fresh child, `max_attempts` times in all, as the extract
    service retries it (a child may be killed for reasons of its own: the kernel's OOM killer).

    Each article goes to the sandbox with the fewest articles in hand, submitted at once from
    this thread, so a child has its next articles while this thread works on the results (a
    helper thread handing them over waited for the interpreter lock, and the child with
    it). Items without an article (`article_of` gives None) pass through with None. At most
    `IN_FLIGHT_PER_SANDBOX * workers` items are in flight, so memory stays bounded on any
    input size.
    """
    owned = [
        Sandbox(limits, features=features, max_attempts=max_attempts)
        for _ in range(max(1, workers))
    ]
    pending: deque[tuple[T, Sandbox | None]] = deque()

    def oldest() -> tuple[T, Extracted | None]:
        item, sandbox = pending.popleft()
        return item, None if sandbox is None else sandbox.collect()

    try:
        for box in owned:
            box.wait_ready()  # they start at once; a child that cannot start stops the run
        for item in items:
            article = article_of(item)
            if article is None:
                pending.append((item, None))
            else:
                sandbox = min(owned, key=lambda box: box.pending)
                sandbox.submit(article)
                pending.append((item, sandbox))
            if len(pending) >= IN_FLIGHT_PER_SANDBOX * len(owned):
                yield oldest()
        while pending:
            yield oldest()
    finally:
        for sandbox in owned:
            sandbox.close()

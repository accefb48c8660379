"""The moving parts of the performance suite: topics, services as processes, publishing,
collecting outcomes with their arrival times, process-tree memory, Redis clean-up.

Services are started the way an operator starts them (`python -m newsflow extract` with
`NEWSFLOW_*` settings), against the local broker the suite starts itself.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import redis
from kafka import KafkaConsumer

from newsflow.kafka.clients import create_topics, delete_topics, make_producer
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.tools.tail import assign_all

# Tansu gap (see shared BROKER.md): group joins take ≈ max(1 s, session_timeout / 2), so the
# suite shortens the group timings as the tests do; everything else keeps its default.
TANSU_GROUP = {
    "NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
}
OUTCOME_KINDS = ("clean", "duplicates", "rejected", "dlq")


@dataclass
class Bench:
    """One suite run: the broker, the Redis db, a work directory and a run id for names."""

    bootstrap: str
    redis_url: str
    workdir: Path
    broker_pid: int
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    prefixes: list[str] = field(default_factory=list)

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap=self.bootstrap)

    def topics(self, tag: str) -> Topics:
        """Fresh topics (6 partitions) for one phase."""
        suffix = f"{self.run_id}.{tag}"
        names = Topics(**{k: f"{v}.{suffix}" for k, v in Topics().__dict__.items()})
        create_topics(self.kafka, names.all(), partitions=6, replication=1)
        return names

    def drop(self, topics: Topics) -> None:
        delete_topics(self.kafka, topics.all())

    def store_prefix(self, tag: str) -> str:
        """A Redis key prefix of its own per phase (so phases never see each other's claims)."""
        prefix = f"newsflow-perf:{self.run_id}:{tag}:"
        self.prefixes.append(prefix)
        return prefix

    def index_size(self, tag: str) -> dict[str, int]:
        """How many signatures the near-duplicate index and how many stories the story set
        of phase `tag` hold now (before `clear_redis`)."""
        client = redis.Redis.from_url(self.redis_url)
        prefix = next(p for p in self.prefixes if p.endswith(f":{tag}:"))
        signatures = sum(1 for _ in client.scan_iter(match=prefix + "sig:*", count=5000))
        stories = client.zcard(prefix + "stories")
        client.close()
        return {"signatures": signatures, "stories": int(stories)}

    def redis_pid(self) -> int:
        """The Redis server's process id (it says so itself)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.info("server")["process_id"])
        finally:
            client.close()

    def clear_redis(self) -> int:
        """Delete every key the run wrote; returns how many."""
        client = redis.Redis.from_url(self.redis_url)
        deleted = 0
        for prefix in self.prefixes:
            batch: list[bytes] = []
            for key in client.scan_iter(match=prefix + "*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    deleted += client.delete(*batch)
                    batch = []
            if batch:
                deleted += client.delete(*batch)
        client.close()
        return deleted

    def service_env(self, topics: Topics, tag: str, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            **TANSU_GROUP,
            "NEWSFLOW_KAFKA_BOOTSTRAP": self.bootstrap,
            "NEWSFLOW_GROUP_ID": f"perf-{self.run_id}-{tag}",
            "NEWSFLOW_HTTP_HOST": "127.0.0.1",
            "NEWSFLOW_HTTP_PORT": str(free_port()),
            "NEWSFLOW_STORE_URL": self.redis_url,
            "NEWSFLOW_STORE_PREFIX": self.store_prefix(tag),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
            **{f"NEWSFLOW_TOPIC_{key.upper()}": value for key, value in topics.__dict__.items()},
            **extra,
        }


@contextmanager
def local_bench(redis_url: str, workdir: Path) -> Iterator[Bench]:
    """A local broker (Tansu) and a `Bench` on it; the run's Redis keys are deleted at the end."""
    with LocalBroker() as broker:
        assert broker.process is not None
        bench = Bench(
            bootstrap=broker.bootstrap,
            redis_url=redis_url,
            workdir=workdir,
            broker_pid=broker.process.pid,
        )
        try:
            yield bench
        finally:
            deleted = bench.clear_redis()
            print(f"deleted {deleted} Redis keys of this run", file=sys.stderr)


def publish(
    bootstrap: str,
    topic: str,
    items: Iterable[tuple[bytes | None, bytes]],
    *,
    rate: float | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> None:
    """Send (key, value) pairs, all at once or paced at `rate` per second; wait for the acks."""
    producer = make_producer(KafkaSettings(bootstrap=bootstrap), linger_ms=0 if rate else 5)
    futures = []
    started = time.monotonic()
    for index, (key, value) in enumerate(items):
        if rate:
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        futures.append(producer.send(topic, key=key, value=value))
        if rate:
            producer.flush()
        if on_sent:
            on_sent(index)
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    producer.close()


class Collector(threading.Thread):
    """Reads outcome topics from the start; for each sender id, when its first outcome came:
    as it arrives here (`clock="arrival"`, for latency), or by the record's timestamp, the
    time its producer sent it (`clock="record"`, for reading after the run)."""

    def __init__(
        self, bootstrap: str, topics: Topics, *, clock: Literal["arrival", "record"] = "arrival"
    ) -> None:
        super().__init__(daemon=True, name="collector")
        self.clock = clock
        self.kinds = {
            topics.clean: "clean",
            topics.duplicates: "duplicates",
            topics.rejected: "rejected",
            topics.dlq: "dlq",
        }
        # The harness's own fetch wait is kept short so it does not add to measured latency.
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
        )
        assign_all(self.consumer, list(self.kinds), from_beginning=True)
        self.arrived: dict[str, tuple[float, str]] = {}
        self.deliveries = 0
        self._halt = threading.Event()
        self._changed = threading.Condition()

    def run(self) -> None:
        while not self._halt.is_set():
            batch = self.consumer.poll(timeout_ms=100)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    source_id = orjson.loads(record.value).get("source_id")
                    self.deliveries += 1
                    at = now if self.clock == "arrival" else record.timestamp / 1000
                    self.arrived.setdefault(source_id, (at, self.kinds[record.topic]))
            if batch:
                with self._changed:
                    self._changed.notify_all()
        self.consumer.close()

    def wait_for(
        self, count: int, *, timeout: float, progress: Callable[[int], None] | None = None
    ) -> bool:
        """Block until `count` distinct ids have an outcome (True) or the timeout (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.arrived) < count and time.monotonic() < deadline:
                self._changed.wait(0.5)
                if progress:
                    progress(len(self.arrived))
        return len(self.arrived) >= count

    def close(self) -> None:
        self._halt.set()
        self.join(5)

    def outcomes(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOME_KINDS, 0)
        for _, kind in self.arrived.values():
            counts[kind] += 1
        return counts

    def steady_rate(self, since: float | None = None) -> float:
        """Outcomes per second between the first arrival and the last (start-up excluded), or
        from `since` (on the collector's clock) when given."""
        times = sorted(t for t, _ in self.arrived.values())
        if since is not None:
            times = [since, *(t for t in times if t > since)]
        if len(times) < 2 or times[-1] == times[0]:
            return 0.0
        after_first = sum(1 for t in times if t > times[0])
        return after_first / (times[-1] - times[0])


def progress_bar(total: int, desc: str) -> Any:
    """A tqdm bar on stderr (a no-op object when tqdm's output is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=" art", leave=False, disable=not sys.stderr.isatty())

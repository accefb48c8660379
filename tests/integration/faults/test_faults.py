"""Fault injection on real processes: workers killed, broker restarted, store stopped, poison
pages, backpressure. Each test ends with an accounting row: every input `source_id` in exactly
one outcome topic, and the same decision on every delivery.

Sizes: NEWSFLOW_FAULT_MESSAGES (default 1000; the full suite uses 10000) and
NEWSFLOW_FAULT_SECONDS (backpressure duration, default 5).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from corpus import messages
from kafka_io import accounting, collect_ids, outcome_topics, publish_raw, trace

from newsflow.kafka.clients import create_topics
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.tools.service_process import stop_all

pytestmark = [pytest.mark.faults, pytest.mark.kafka]
MESSAGES = int(os.environ.get("NEWSFLOW_FAULT_MESSAGES", "1000"))
SECONDS = float(os.environ.get("NEWSFLOW_FAULT_SECONDS", "5"))


def report_row(name: str, report: dict[str, Any], inputs: int, **extra: Any) -> dict[str, Any]:
    return {"fault": name, "inputs": inputs, "lost": len(report["missing"]),
            "in two topics": len(report["in_two_topics"]),
            "wrong decisions": len(report["changed_decision"]),
            "duplicated outcome records": report["redelivered"], **extra}  # fmt: skip


def assert_accounted(report: dict[str, Any]) -> None:
    assert report["missing"] == []
    assert report["in_two_topics"] == []
    assert report["changed_decision"] == []


@pytest.mark.redis
def test_workers_killed_at_random_lose_nothing(
    broker: str,
    topics: Topics,
    start_service: Any,
    redis_url: str,
    redis_prefix: str,
    fault_report: Any,
) -> None:
    corpus = messages(MESSAGES)
    ids = [source_id for source_id, _ in corpus]
    prefix = redis_prefix
    ingest = start_service("ingest", "--workers", "2")
    extract = start_service("extract", "--workers", "2", NEWSFLOW_STORE_URL=redis_url,
                            NEWSFLOW_STORE_PREFIX=prefix)  # fmt: skip
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [raw for _, raw in corpus])

    stop, kills = threading.Event(), {"ingest": 0, "extract": 0}
    rng = random.Random(11)

    def killer() -> None:
        while not stop.wait(rng.uniform(1.5, 4.0)):
            service = rng.choice([ingest, extract, extract])
            pids = service.worker_pids()
            if pids:
                os.kill(rng.choice(pids), signal.SIGKILL)
                kills[service.name] += 1
                # Let the restarted worker rejoin before the next kill, so a slow machine
                # still makes progress between kills.
                deadline = time.monotonic() + 60
                while not stop.is_set() and time.monotonic() < deadline:
                    if service.get("/readyz")[0] == 200:
                        break
                    time.sleep(0.2)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        found = collect_ids(broker, list(outcome_topics(topics)), set(ids), timeout=600)
    finally:
        stop.set()
        thread.join()
    report = accounting(found, topics, ids)
    fault_report(
        report_row(
            "workers kill -9 at random",
            report,
            len(ids),
            kills=f"ingest {kills['ingest']}, extract {kills['extract']}",
        )
    )
    assert_accounted(report)
    assert kills["extract"] >= 2
    # The supervisor sees a kill at its next check (every 0.2 s): the last kill may have come
    # just before the outcomes were all in.
    deadline = time.monotonic() + 10
    while (extract.metric("newsflow_worker_restarts_total") < kills["extract"]
           and time.monotonic() < deadline):  # fmt: skip
        time.sleep(0.2)
    restarts = extract.metric("newsflow_worker_restarts_total")
    assert restarts == kills["extract"]


@pytest.fixture
def s3_storage(tmp_path: Path) -> Any:
    """A local S3 server (moto) with the bucket Tansu's s3:// engine persists to."""
    import boto3

    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id="test",
                         aws_secret_access_key="test").create_bucket(Bucket="tansu")  # fmt: skip
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    yield env
    server.send_signal(signal.SIGINT)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:  # SIGINT inherited ignored (a shell's background job)
        server.kill()
        server.wait(10)


def test_broker_restart_mid_run_loses_nothing(
    s3_storage: dict[str, str], start_service: Any, fault_report: Any
) -> None:
    port = free_port()
    broker = LocalBroker(port=port, storage="s3://tansu/", env=s3_storage).start(timeout=30)
    topics = Topics()
    services: list[Any] = []
    try:
        create_topics(KafkaSettings(bootstrap=broker.bootstrap), topics.all(), partitions=3,
                      replication=1)  # fmt: skip
        # Tansu gap: after a restart it can answer a retried batch of an idempotent producer
        # with DUPLICATE_SEQUENCE (offset -1, counted as delivered by kafka-python) without
        # having stored it: acknowledged records were lost in 1 of 3 runs here. Apache Kafka
        # keeps producer state across restarts; against Tansu this test turns idempotence off
        # (retries may then duplicate, never lose).
        env = {"NEWSFLOW_KAFKA_BOOTSTRAP": broker.bootstrap, "NEWSFLOW_KAFKA_IDEMPOTENCE": "false"}
        env.update({f"NEWSFLOW_TOPIC_{k.upper()}": v for k, v in topics.__dict__.items()})
        corpus = messages(600)
        ids = [source_id for source_id, _ in corpus]
        ingest = start_service("ingest", **env)
        extract = start_service("extract", **env)
        services += [ingest, extract]
        ingest.wait_ready()
        extract.wait_ready()
        publish_raw(broker.bootstrap, topics.raw, [raw for _, raw in corpus[:300]])
        deadline = time.monotonic() + 60
        while extract.metric("newsflow_outcomes_total") < 100 and time.monotonic() < deadline:
            time.sleep(0.2)

        broker.stop()
        outage_started = time.monotonic()
        not_ready_seen = False
        while time.monotonic() - outage_started < 20:
            if extract.get("/readyz")[0] == 503 and ingest.get("/readyz")[0] == 503:
                not_ready_seen = True
                break
            time.sleep(0.5)
        time.sleep(3)
        broker = LocalBroker(port=port, storage="s3://tansu/", env=s3_storage).start(timeout=30)
        outage = time.monotonic() - outage_started
        extract.wait_ready(timeout=120)
        ingest.wait_ready(timeout=120)
        publish_raw(broker.bootstrap, topics.raw, [raw for _, raw in corpus[300:]])
        found = collect_ids(broker.bootstrap, list(outcome_topics(topics)), set(ids), timeout=300)
        report = accounting(found, topics, ids)
        lost_at = trace(broker.bootstrap, topics, report["missing"][:5])
    finally:
        stop_all(services)  # while the broker is up, so they leave their groups at once
        broker.stop()
    fault_report(report_row("broker stopped and restarted", report, len(ids),
                            outage=f"{outage:.0f} s", readyz_503=not_ready_seen))  # fmt: skip
    assert report["missing"] == [], lost_at
    assert_accounted(report)
    assert not_ready_seen


@pytest.fixture
def own_redis(tmp_path: Path) -> Any:
    """A Redis server of this test's own (append-only file, so a restart keeps the claims)."""
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, socket_timeout=1).ping()
                return process
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    state = {"process": start()}

    class Handle:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self) -> None:
            state["process"].send_signal(signal.SIGTERM)
            state["process"].wait(10)

        def restart(self) -> None:
            state["process"] = start()

    yield Handle()
    if state["process"].poll() is None:
        state["process"].kill()


@pytest.mark.parametrize("fault", ["stopped", "full"])
def test_store_outage_pauses_without_guessing_and_resumes(
    broker: str,
    topics: Topics,
    start_service: Any,
    own_redis: Any,
    fault_report: Any,
    fault: str,
) -> None:
    """Redis stopped, or full (`maxmemory` reached with `noeviction`: it still answers, but
    refuses every write): the extract service decides nothing, commits nothing and
    dead-letters nothing until Redis is back or has room, then decides everything once."""
    import redis

    corpus = messages(1000)
    ids = [source_id for source_id, _ in corpus]
    ingest = start_service("ingest")
    extract = start_service("extract", "--workers", "2", NEWSFLOW_STORE_URL=own_redis.url)
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [raw for _, raw in corpus])
    deadline = time.monotonic() + 60
    while extract.metric("newsflow_outcomes_total") < 200 and time.monotonic() < deadline:
        time.sleep(0.2)

    client = redis.Redis.from_url(own_redis.url)
    if fault == "stopped":
        own_redis.stop()
    else:
        client.config_set("maxmemory-policy", "noeviction")
        # Well under what it holds: at exactly its use, a few freed bytes (a client's buffer)
        # let writes through again, and ten more decisions were made while "full" (CI, once).
        client.config_set("maxmemory", client.info("memory")["used_memory"] // 2)
    # A batch decided before the fault may still finish its produce and commit (seconds on a
    # loaded machine: a fixed 3 s wait failed once in CI); then everything stops.
    outcomes, commits = settled(extract, "newsflow_outcomes_total", "newsflow_offset_commits_total")
    if fault == "stopped":
        assert extract.get("/readyz")[0] == 503
    time.sleep(10)
    assert extract.metric("newsflow_outcomes_total") == outcomes  # no guessed decisions
    assert extract.metric("newsflow_offset_commits_total") == commits  # no commits
    assert extract.metric("newsflow_outcomes_total", outcome="dlq") == 0  # nothing given up
    assert extract.metric("newsflow_store_errors_total") >= 1
    if fault == "stopped":
        own_redis.restart()
    else:
        client.config_set("maxmemory", 0)
    client.close()
    extract.wait_ready(timeout=60)
    found = collect_ids(broker, list(outcome_topics(topics)), set(ids), timeout=300)
    report = accounting(found, topics, ids)
    name = "Redis stopped 13 s" if fault == "stopped" else "Redis full 13 s"
    fault_report(report_row(name, report, len(ids), decided_before_outage=int(outcomes)))
    assert_accounted(report)
    assert extract.metric("newsflow_outcomes_total", outcome="dlq") == 0


def settled(service: Any, *names: str, quiet: float = 3.0, timeout: float = 30.0) -> list[float]:
    """The metrics once none has changed for `quiet` seconds (at most `timeout`)."""
    values = [service.metric(name) for name in names]
    still_since = time.monotonic()
    deadline = still_since + timeout
    while time.monotonic() - still_since < quiet and time.monotonic() < deadline:
        time.sleep(0.2)
        now = [service.metric(name) for name in names]
        if now != values:
            values, still_since = now, time.monotonic()
    return values


def pathological_pages() -> dict[str, str]:
    p = "".join(
        f"<p>Paragraph {n}: the ferry service resumed after the storm and the harbour "
        f"master said {n * 3} boats sailed on the first day back.</p>"
        for n in range(6)
    )
    return {
        "slow": "<html><body><div " + " ".join(f"a{i}='x'" for i in range(200_000)) + ">"
                + p + "</div></body></html>",
        "memory": "<html><body><table>" + "<tr><td>cell</td><td>value 123</td></tr>" * 120_000
                  + "</table>" + p + "</body></html>",
        "deep": "<html><body>" + "<div>" * 100_000 + p + "</div>" * 100_000 + "</body></html>",
    }  # fmt: skip


def test_poison_pages_are_dead_lettered_and_the_partition_moves_on(
    broker: str, topics: Topics, start_service: Any, fault_report: Any
) -> None:
    pages = pathological_pages()
    poison = [orjson.dumps({"id": name, "url": f"https://example.com/{name}", "html": html})
              for name, html in pages.items()]  # fmt: skip
    normal = messages(60, seed=3)
    ingest = start_service("ingest")
    extract = start_service("extract", NEWSFLOW_EXTRACT_TIME_LIMIT="1",
                            NEWSFLOW_EXTRACT_MEMORY_MB="300")  # fmt: skip
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [raw for _, raw in normal[:30]] + poison
                + [raw for _, raw in normal[30:]])  # fmt: skip
    ids = [source_id for source_id, _ in normal] + list(pages)
    found = collect_ids(broker, list(outcome_topics(topics)), set(ids), timeout=180)
    report = accounting(found, topics, ids)
    reasons = {e["source_id"]: e["reason"] for e in found[topics.dlq]}
    fault_report(
        report_row(
            "poison pages (hang, memory, nesting)",
            report,
            len(ids),
            dlq=", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())),
        )
    )
    assert_accounted(report)
    assert reasons["slow"] == "extraction_timeout"
    # Out of memory (or, on a slow machine, out of time first), never "a page without text".
    assert reasons["memory"] in ("extraction_failed", "extraction_timeout")
    # Nested past libxml2's depth limit, the paragraphs are not in the tree: no text.
    assert reasons["deep"] in ("no_main_text", "extraction_timeout")
    assert set(reasons) <= set(pages)
    # No rebalance storm: each worker was assigned its partitions once.
    assert extract.log.read_text(errors="replace").count("partitions assigned") == 1


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the extraction sandbox), in MiB."""
    total = 0.0
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for one in [pid, *map(int, out.split())]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def test_backpressure_bounded_memory_visible_lag_nothing_dropped(
    broker: str, topics: Topics, start_service: Any, fault_report: Any
) -> None:
    ingest = start_service("ingest")
    extract = start_service("extract")
    ingest.wait_ready()
    extract.wait_ready()
    # A burst of long pages (30 paragraphs): far more than one extract worker handles in a
    # second on any machine, so a backlog builds whatever this machine's speed; the total
    # stays bounded so the drain ends in reasonable time on a slow box.
    burst = int(120 * SECONDS)
    corpus = messages(burst, copies_every=10**9, paragraphs=30)
    sent: list[str] = []
    samples: list[tuple[float, float, float]] = []
    started = time.monotonic()
    from newsflow.kafka.clients import make_producer

    producer = make_producer(KafkaSettings(bootstrap=broker))
    for source_id, raw in corpus:
        producer.send(topics.raw, value=raw)
        sent.append(source_id)
    producer.flush()
    [worker] = extract.worker_pids()
    while time.monotonic() - started < SECONDS:
        second = time.monotonic()
        samples.append((time.monotonic() - started, process_rss_mb(worker),
                        extract.metric("newsflow_consumer_lag_messages")
                + ingest.metric("newsflow_consumer_lag_messages")))  # fmt: skip
        time.sleep(max(0.0, 1 - (time.monotonic() - second)))
    producer.close()
    # The backlog is drained now; the consumers' high-water marks (the lag's source) refresh
    # with each fetch, so keep sampling through the first part of the drain.
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < 15:
        lag = extract.metric("newsflow_consumer_lag_messages") + ingest.metric(
            "newsflow_consumer_lag_messages"
        )
        samples.append((time.monotonic() - started, process_rss_mb(worker), lag))
        time.sleep(1)
    found = collect_ids(broker, list(outcome_topics(topics)), set(sent), timeout=600)
    report = accounting(found, topics, sent)
    peak_lag = max(lag for _, _, lag in samples)
    rss = [mb for _, mb, _ in samples]
    third = max(1, len(rss) // 3)
    fault_report(report_row(f"backpressure: a burst of {burst}", report, len(sent),
                            peak_lag=int(peak_lag),
                            rss_mb=f"{min(rss):.0f}-{max(rss):.0f}"))  # fmt: skip
    assert_accounted(report)
    assert peak_lag > burst / 5  # the backlog shows up in the lag metric
    # The same worker throughout (a worker killed for its memory and replaced would read as
    # 0 MiB from then on), bounded, not growing with the backlog.
    assert extract.worker_pids() == [worker]
    assert extract.metric("newsflow_worker_restarts_total") == 0
    assert min(rss) > 0
    assert max(rss[third:]) < 1.5 * max(rss[:third]) + 50


@pytest.mark.redis
def test_redis_losing_all_its_data_mid_run_loses_nothing_and_stops_nothing(
    broker: str, topics: Topics, start_service: Any, fault_report: Any
) -> None:
    """FLUSHDB, or a Redis restarted with nothing on disk, while extract decides: the claims,
    decisions and stories made before are gone (a copy of an earlier article can then pass as
    unique), but every input still gets exactly one outcome, none dead-lettered, and the
    service stays up."""
    from tests.private_redis import private_redis

    corpus = messages(MESSAGES)
    ids = [source_id for source_id, _ in corpus]
    with private_redis() as client:
        url = f"redis://127.0.0.1:{client.connection_pool.connection_kwargs['port']}/0"
        ingest = start_service("ingest")
        extract = start_service("extract", "--workers", "2", NEWSFLOW_STORE_URL=url)
        ingest.wait_ready()
        extract.wait_ready()
        publish_raw(broker, topics.raw, [raw for _, raw in corpus])
        flushed = []
        for share in (0.2, 0.5, 0.8):  # three times, with keys to lose each time
            deadline = time.monotonic() + 120
            while extract.metric("newsflow_outcomes_total") < share * len(ids):
                assert time.monotonic() < deadline, extract.log_text()
                time.sleep(0.1)
            flushed.append(client.dbsize())
            client.flushdb()
        found = collect_ids(broker, list(outcome_topics(topics)), set(ids), timeout=300)
        extract.check_alive()
    report = accounting(found, topics, ids)
    fault_report(report_row("Redis data lost (FLUSHDB ×3)", report, len(ids)))
    assert_accounted(report)
    assert min(flushed) > 0
    assert extract.metric("newsflow_outcomes_total", outcome="dlq") == 0
    assert extract.metric("newsflow_worker_restarts_total") == 0

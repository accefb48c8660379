"""The streaming commands of `newsflow`: services, topics, publish, tail, replay, demo.

Handlers parse settings (flag > `NEWSFLOW_*` > default), validate them, and hand plain
configuration to the service runtime or the tool; nothing here consumes or decides.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newsflow.config import (
    Setting,
    add_settings,
    non_negative_float,
    positive_float,
    positive_int,
    resolve,
    tcp_port,
)
from newsflow.errors import ConfigError
from newsflow.kafka.settings import KAFKA_SETTINGS, TOPIC_SETTINGS, KafkaSettings, Topics
from newsflow.stages.ingest import DEFAULT_MAX_BYTES

TOOL_SETTINGS = (*KAFKA_SETTINGS, *TOPIC_SETTINGS)
MAX_MESSAGE_BYTES = Setting(
    "max_message_bytes", "largest raw message accepted", DEFAULT_MAX_BYTES, positive_int
)
PUBLISH_SETTINGS = (*TOOL_SETTINGS, MAX_MESSAGE_BYTES)
INGEST_EXTRA = (
    MAX_MESSAGE_BYTES,
    Setting(
        "http_max_body_bytes", "largest POST /v1/articles body", 32 * 1024 * 1024, positive_int
    ),
    Setting(
        "intake_tokens",
        "bearer tokens accepted by the intake, comma-separated (none: open)",
        secret=True,
    ),
    Setting("intake_tokens_file", "file of intake bearer tokens, one per line"),
    Setting(
        "intake_rate_limit",
        "intake requests per second per client (0: unlimited)",
        0.0,
        non_negative_float,
    ),
    Setting("intake_burst", "intake requests a client may send at once", 20, positive_int),
    Setting(
        "intake_trusted_proxies",
        "proxies whose X-Forwarded-For names the client, comma-separated addresses or networks",
    ),
    Setting(
        "intake_max_inflight_bytes",
        "bytes of request bodies the intake handles at once (a body waits for room, then 503)",
        64 * 1024 * 1024,
        positive_int,
    ),
    Setting(
        "metrics_port",
        "port of /metrics, /healthz, /readyz on a listener of their own, which the intake's "
        "connections cannot fill (none: on NEWSFLOW_HTTP_PORT only; 0 = any free port)",
        parse=tcp_port,
    ),
)


def ingest_settings() -> tuple[Setting, ...]:
    from newsflow.service.runtime import all_settings, service_settings

    return all_settings(service_settings(group="newsflow-ingest", port=8001), INGEST_EXTRA)


def extract_settings() -> tuple[Setting, ...]:
    from newsflow.service.runtime import all_settings, service_settings
    from newsflow.stage_settings import STAGE_SETTINGS

    return all_settings(service_settings(group="newsflow-extract", port=8002), STAGE_SETTINGS)


def add_streaming_commands(commands: Any) -> None:
    """Add the service and tool subcommands to the `newsflow` parser."""
    for name, settings, handler, text in (
        (
            "ingest",
            ingest_settings(),
            run_ingest_service,
            "run the ingest service: articles.raw → articles.ingested / articles.rejected, and "
            "POST /v1/articles",
        ),
        (
            "extract",
            extract_settings(),
            run_extract_service,
            "run the extract service: articles.ingested → articles.clean / duplicates / dlq",
        ),
    ):
        parser = commands.add_parser(name, help=text.split(":")[0], description=text)
        add_settings(parser, settings)
        parser.set_defaults(handler=handler)

    topics = commands.add_parser("topics", help="create the topics").add_subparsers(
        title="actions", metavar="ACTION"
    )
    create = topics.add_parser("create", help="create every newsflow topic (idempotent)")
    create.add_argument(
        "--partitions", type=positive_int, default=6, help="partitions of each topic (default 6)"
    )
    create.add_argument(
        "--replication", type=positive_int, default=1, help="replicas of each (default 1)"
    )
    add_settings(create, TOOL_SETTINGS)
    create.set_defaults(handler=run_topics_create)

    publish = commands.add_parser("publish", help="send files to articles.raw")
    publish.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="the inputs `newsflow process` reads: raw messages, pages, web archives, or dirs",
    )
    publish.add_argument(
        "--base-url",
        default=None,
        help="URL prefix for .html/.txt files (default: https://newsflow.example/files/; the "
        "services refuse file:// URLs)",
    )
    add_settings(publish, PUBLISH_SETTINGS)
    publish.set_defaults(handler=run_publish)

    tail = commands.add_parser("tail", help="print a topic's events as they arrive")
    tail.add_argument("topic", nargs="+", metavar="TOPIC", help="topics to read")
    tail.add_argument("--json", action="store_true", help="raw JSON, one event per line")
    tail.add_argument(
        "--from-beginning", action="store_true", help="the events already there too, not only new"
    )
    tail.add_argument("--max", type=positive_int, default=None, help="stop after this many events")
    tail.add_argument(
        "--idle-timeout",
        type=positive_float,
        default=None,
        help="stop after this many seconds without events",
    )
    add_settings(tail, KAFKA_SETTINGS)
    tail.set_defaults(handler=run_tail)

    replay = commands.add_parser("replay", help="re-publish rejected / DLQ originals")
    replay.add_argument(
        "--from",
        dest="source",
        choices=("dlq", "rejected"),
        default="dlq",
        help="the topic whose originals are re-published (default dlq)",
    )
    replay.add_argument("--reason", action="append", help="only these reasons (repeatable)")
    replay.add_argument("--dry-run", action="store_true", help="count them, send nothing")
    replay.add_argument(
        "--idle-timeout",
        type=positive_float,
        default=5.0,
        help="stop after this many seconds without records, once partitions are assigned "
        "(default %(default)g)",
    )
    replay.add_argument(
        "--join-timeout",
        type=positive_float,
        default=60.0,
        help="give up (exit 1) when no partition is assigned within this many seconds (default 60)",
    )
    add_settings(replay, TOOL_SETTINGS)
    replay.set_defaults(handler=run_replay)

    demo = commands.add_parser("demo", help="local broker + both services + sample articles")
    demo.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="INPUT",
        help="what to publish (default: the repo's samples/)",
    )
    demo.add_argument("--workers", type=positive_int, default=1, help="extract workers")
    demo.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the system up after the samples are done (Ctrl-C stops)",
    )
    demo.set_defaults(handler=run_demo)


def _service_config(service: str, args: argparse.Namespace, settings: Any, topic_field: str) -> Any:
    from newsflow.service.runtime import ServiceConfig

    return ServiceConfig.build(service, topic_field, resolve(args, settings))


def run_ingest_service(args: argparse.Namespace) -> int:
    from newsflow.service.runtime import run_service
    from newsflow_ingest import intake, processor
    from newsflow_ingest.guard import ClientAddress, RateLimiter, TokenAuth

    config = _service_config("ingest", args, ingest_settings(), "topic_raw")
    values = config.values
    if values["metrics_port"] == config.http_port != 0:
        raise ConfigError(
            f"NEWSFLOW_METRICS_PORT is NEWSFLOW_HTTP_PORT ({config.http_port}): the probes' and "
            "scrapes' listener needs a port of its own"
        )
    auth = TokenAuth.from_settings(values["intake_tokens"], values["intake_tokens_file"])
    limiter = RateLimiter(values["intake_rate_limit"], values["intake_burst"])
    client_address = ClientAddress.from_setting(values["intake_trusted_proxies"])

    def routes(metrics: Any) -> dict[str, Any]:
        from newsflow.kafka.clients import make_producer
        from newsflow.kafka.connect import BackgroundProducer

        client_id = f"{config.kafka.client_id}-intake"
        producer = BackgroundProducer(
            config.kafka,
            # `send` waits for metadata or buffer room no longer than a POST waits for its acks
            lambda: make_producer(
                config.kafka, client_id=client_id, max_block_ms=intake.ACK_SECONDS * 1000
            ),
        )
        route = intake.Intake(
            producer=producer,
            topic=config.topics.raw,
            max_body_bytes=values["http_max_body_bytes"],
            max_message_bytes=values["max_message_bytes"],
            metrics=metrics,
            auth=auth,
            limiter=limiter,
            max_inflight_bytes=values["intake_max_inflight_bytes"],
            client_address=client_address,
        )
        return {intake.PATH: route}

    return run_service(config, processor.build, routes=routes, metrics_port=values["metrics_port"])


def run_extract_service(args: argparse.Namespace) -> int:
    from newsflow.service.runtime import run_service
    from newsflow_extract import processor

    config = _service_config("extract", args, extract_settings(), "topic_ingested")
    check_poll_budget(config.values)
    return run_service(config, processor.build)


def check_poll_budget(values: dict[str, Any]) -> None:
    """A batch must finish well within max_poll_interval, or the group rebalances under load
    (kafka-python issue #1716): records per poll × per-record time limit must fit in half."""
    worst = values["kafka_max_poll_records"] * (values["extract_time_limit"] + 1.0)
    budget = values["kafka_max_poll_interval_ms"] / 1000 / 2
    if worst > budget:
        raise ConfigError(
            f"kafka_max_poll_records ({values['kafka_max_poll_records']}) × (extract_time_limit "
            f"+ 1 s) = {worst:.0f} s exceeds half of kafka_max_poll_interval_ms ({budget:.0f} s); "
            "lower the records per poll or raise the interval"
        )


def _tool_kafka(args: argparse.Namespace, settings: Any = TOOL_SETTINGS) -> tuple[Any, Any]:
    values = resolve(args, settings)
    return KafkaSettings.from_values(values), values


def run_topics_create(args: argparse.Namespace) -> int:
    from newsflow.kafka.clients import create_topics

    kafka, values = _tool_kafka(args)
    names = Topics.from_values(values).all()
    created = create_topics(kafka, names, partitions=args.partitions, replication=args.replication)
    for name in names:
        print(f"{name}: {'created' if name in created else 'exists'}")
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from newsflow.batch.inputs import InputError, check_named, skipped_line
    from newsflow.kafka.clients import make_producer
    from newsflow.tools.publish import DEFAULT_BASE_URL, publish

    kafka, values = _tool_kafka(args, PUBLISH_SETTINGS)
    try:
        check_named(args.inputs)  # before the broker is asked for anything
    except (FileNotFoundError, InputError) as exc:
        raise ConfigError(str(exc)) from exc
    producer = make_producer(kafka)
    try:
        result = publish(
            producer,
            values["topic_raw"],
            args.inputs,
            base_url=args.base_url or DEFAULT_BASE_URL,
            max_bytes=values["max_message_bytes"],
        )
    except (FileNotFoundError, InputError) as exc:  # a named input missing or of no known kind
        raise ConfigError(str(exc)) from exc
    finally:
        producer.close()
    print(f"published {result.sent} messages to {values['topic_raw']}")
    if skipped := skipped_line(result.skipped):
        print(skipped)
    for origin, rejection in result.unsent:
        where = ", ".join(f"{k} {v}" for k, v in origin.as_dict().items())
        print(f"not sent ({where}): {rejection.reason}: {rejection.detail}", file=sys.stderr)
    return 1 if result.unsent else 0


def run_tail(args: argparse.Namespace) -> int:
    from newsflow.kafka.clients import make_groupless_consumer
    from newsflow.tools.tail import tail

    kafka, _ = _tool_kafka(args, KAFKA_SETTINGS)
    consumer = make_groupless_consumer(kafka)
    try:
        tail(
            consumer,
            args.topic,
            as_json=args.json,
            from_beginning=args.from_beginning,
            limit=args.max,
            idle_timeout=args.idle_timeout,
        )
    finally:
        consumer.close()
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from newsflow.kafka.clients import make_consumer, make_producer
    from newsflow.tools.replay import replay, replay_group

    kafka, values = _tool_kafka(args)
    topics = Topics.from_values(values)
    source = topics.dlq if args.source == "dlq" else topics.rejected
    consumer = make_consumer(kafka, group_id=replay_group(args.source, args.reason))
    consumer.subscribe([source])
    producer = make_producer(kafka)
    try:
        counts = replay(
            consumer,
            producer,
            targets={"ingest": topics.raw, "extract": topics.ingested},
            reasons=args.reason,
            dry_run=args.dry_run,
            idle_timeout=args.idle_timeout,
            join_timeout=args.join_timeout,
        )
    finally:
        consumer.close()
        producer.close()
    verb = "would replay" if args.dry_run else "replayed"
    print(f"{verb}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"))
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from newsflow.tools.demo import run_demo as demo

    inputs = args.inputs or [Path(__file__).resolve().parents[2] / "samples"]
    return demo(inputs, workers=args.workers, keep_running=args.keep_running, out=sys.stdout)

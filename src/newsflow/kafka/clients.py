"""Build kafka-python clients the way newsflow needs them, and administer topics."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaTimeoutError, TopicAlreadyExistsError, TopicAuthorizationFailedError

from newsflow.errors import ConfigError
from newsflow.kafka.security import check_at_broker
from newsflow.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


def _options(settings: KafkaSettings) -> dict[str, Any]:
    """The client options, once the broker took the TLS and SASL settings (`check_at_broker`)."""
    check_at_broker(settings.servers, settings.security)
    return settings.common()


def make_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all): nothing is lost."""
    compression = None if settings.compression == "none" else settings.compression
    options = {
        **_options(settings),
        "acks": "all",
        "enable_idempotence": settings.idempotence,
        "compression_type": compression,
        "linger_ms": settings.linger_ms,
        "batch_size": settings.batch_bytes,
        "max_request_size": settings.max_request_bytes,
        **overrides,
    }
    return KafkaProducer(**options)


def make_consumer(settings: KafkaSettings, *, group_id: str, **overrides: Any) -> KafkaConsumer:
    """A group consumer with auto-commit off: offsets are committed only after outputs are acked.
    It reads committed records only: a transactional producer's records wait for their commit,
    and an aborted transaction's are skipped (the default, read_uncommitted, forwarded them)."""
    options = {
        **_options(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "isolation_level": "read_committed",
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "max_poll_interval_ms": settings.max_poll_interval_ms,
        "max_poll_records": settings.max_poll_records,
        "fetch_max_bytes": max(settings.max_request_bytes, 52428800),
        "max_partition_fetch_bytes": settings.max_request_bytes,
        **overrides,
    }
    return KafkaConsumer(**options)


def make_groupless_consumer(settings: KafkaSettings, **overrides: Any) -> KafkaConsumer:
    """A consumer in no group, committing nothing (the lag gauge's log-end offsets, `tail`)."""
    return KafkaConsumer(**{**_options(settings), "enable_auto_commit": False, **overrides})


def create_topics(
    settings: KafkaSettings, names: Iterable[str], *, partitions: int, replication: int
) -> list[str]:
    """Create the topics that do not exist yet (idempotent); return the names created."""
    admin = KafkaAdminClient(**_options(settings))
    try:
        existing = set(admin.list_topics())
        missing = [name for name in names if name not in existing]
        created: list[str] = []
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, partitions, replication)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # created concurrently by another replica's start-up
        return created
    finally:
        admin.close()


ASK_TIMEOUT_MS = 5000
"""How long a topic not listed is waited for after it was asked for (a broker that creates
topics on demand creates it at once)."""


def check_topics(settings: KafkaSettings, names: Sequence[str]) -> None:
    """Raise `ConfigError` naming the topics the cluster does not have.

    The listing creates nothing. A topic not listed is asked for once, through the metadata
    request every producer makes, so a cluster that creates topics when asked
    (`auto.create.topics.enable`) goes on working; one that does not would leave a consumer
    idle on a missing input without a word, and block every send to a missing output for
    `max_block_ms`, batch after batch."""
    admin = KafkaAdminClient(**_options(settings))
    try:
        missing = _unlisted(admin, names)
        if missing:
            _ask_for(settings, missing)
            missing = _unlisted(admin, missing)
    finally:
        admin.close()
    if missing:
        raise ConfigError(
            f"the Kafka cluster at {settings.bootstrap} has no topic {', '.join(missing)}, and "
            "did not create it when asked (auto.create.topics.enable=false): `newsflow topics "
            "create`, with the same NEWSFLOW_TOPIC_* settings, creates the missing topics"
        )


def _unlisted(admin: KafkaAdminClient, names: Sequence[str]) -> list[str]:
    listed = set(admin.list_topics())
    return [name for name in dict.fromkeys(names) if name not in listed]


def _ask_for(settings: KafkaSettings, names: Sequence[str]) -> None:
    producer = KafkaProducer(**_options(settings), max_block_ms=ASK_TIMEOUT_MS)
    refused: list[str] = []
    try:
        for name in names:
            try:
                producer.partitions_for(name)
            except KafkaTimeoutError:
                pass  # not created: said by the listing after
            except TopicAuthorizationFailedError:  # ACLs: the broker says not whether it exists
                refused.append(name)
            except ValueError as exc:  # kafka-python refuses an illegal name before asking
                raise ConfigError(f"invalid topic name {name!r}: {exc}") from exc
    finally:
        producer.close(timeout=5)
    if refused:
        raise ConfigError(
            f"the Kafka cluster at {settings.bootstrap} did not list topic {', '.join(refused)} "
            "and said this client is not authorized to describe it: it may not exist, or the "
            "ACLs do not let the principal use it (a service needs READ on its input, WRITE on "
            "its outputs, each implying DESCRIBE)"
        )


def delete_topics(settings: KafkaSettings, names: Iterable[str]) -> None:
    admin = KafkaAdminClient(**_options(settings))
    try:
        admin.delete_topics(list(names))
    finally:
        admin.close()

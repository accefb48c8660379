"""Build kafka-python clients the way newsflow needs them, and administer topics."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsflow.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


def make_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all): nothing is lost."""
    compression = None if settings.compression == "none" else settings.compression
    options = {
        **settings.common(),
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
        **settings.common(),
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


def make_offsets_client(settings: KafkaSettings, **overrides: Any) -> KafkaConsumer:
    """A consumer in no group that only asks for log-end offsets (the lag gauge's)."""
    return KafkaConsumer(**{**settings.common(), "enable_auto_commit": False, **overrides})


def create_topics(
    settings: KafkaSettings, names: Iterable[str], *, partitions: int, replication: int
) -> list[str]:
    """Create the topics that do not exist yet (idempotent); return the names created."""
    admin = KafkaAdminClient(**settings.common())
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


def delete_topics(settings: KafkaSettings, names: Iterable[str]) -> None:
    admin = KafkaAdminClient(**settings.common())
    try:
        admin.delete_topics(list(names))
    finally:
        admin.close()

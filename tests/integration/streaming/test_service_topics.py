"""A service checks its topics at start-up, against the real broker.

Tansu creates a topic when a metadata request asks for it (as Apache Kafka does with
`auto.create.topics.enable=true`) and cannot be told not to, so the refusal of a cluster
that does not is tested with a fake one (tests/unit/kafka/test_topic_check.py). Every other
service test starts against topics made by `create_topics`, what `newsflow topics create`
runs, and so passes the check."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import replace
from typing import Any

import pytest
from kafka import KafkaAdminClient

from newsflow.errors import CONFIG_ERROR_EXIT
from newsflow.kafka.clients import check_topics, delete_topics
from newsflow.kafka.settings import KafkaSettings, Topics

pytestmark = pytest.mark.kafka


def listed(broker: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=broker)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_a_missing_topic_is_asked_for_and_a_broker_that_creates_topics_creates_it(
    broker: str, topics: Topics
) -> None:
    kafka = KafkaSettings(bootstrap=broker)
    missing = replace(topics, dlq=f"articles.dlq.{uuid.uuid4().hex[:8]}")
    assert missing.dlq not in listed(broker)
    try:
        check_topics(kafka, missing.used_by("extract"))
        assert missing.dlq in listed(broker)
    finally:
        delete_topics(kafka, [missing.dlq])


@pytest.mark.parametrize(("service", "variable"), [("ingest", "REJECTED"), ("extract", "DLQ")])
def test_a_service_given_an_illegal_topic_name_stops_with_a_configuration_error(
    start_service: Any, service: str, variable: str
) -> None:
    """Before, its workers raised ValueError at their first send and were restarted, again
    and again, and the service never said what was wrong."""
    running = start_service(service, **{f"NEWSFLOW_TOPIC_{variable}": "articles dlq"})
    try:
        status = running.process.wait(60)
    except subprocess.TimeoutExpired:
        status = None
    assert status == CONFIG_ERROR_EXIT, running.log_text()
    assert "invalid topic name 'articles dlq'" in running.log_text()

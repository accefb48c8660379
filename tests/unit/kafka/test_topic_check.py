"""At start-up a service checks that its topics exist (`check_topics`). Tansu, the test
broker, creates any topic a metadata request asks for, as Apache Kafka does with
`auto.create.topics.enable=true`; Apache Kafka run with it false is stood in for here by a
fake admin and producer (tests/integration/streaming/test_service_topics.py runs the check
against the real broker, and an illegal name there)."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError

from newsflow.errors import ConfigError
from newsflow.kafka import clients
from newsflow.kafka.settings import KafkaSettings, Topics

SETTINGS = KafkaSettings(bootstrap="kafka-0:9092")


class Cluster:
    """The topics of a cluster, and whether it creates a topic a metadata request names."""

    def __init__(
        self, topics: set[str], *, creates_when_asked: bool, described: set[str] | None = None
    ) -> None:
        self.topics = topics
        self.creates_when_asked = creates_when_asked
        self.described = described  # the topics an ACL lets the principal see (None: all)
        self.asked: list[str] = []

    def admin(self, **_: Any) -> Any:
        cluster = self

        class Admin:
            def list_topics(self) -> list[str]:
                shown = cluster.described
                return sorted(t for t in cluster.topics if shown is None or t in shown)

            def close(self) -> None:
                pass

        return Admin()

    def producer(self, **_: Any) -> Any:
        cluster = self

        class Producer:
            def partitions_for(self, topic: str) -> set[int]:
                cluster.asked.append(topic)
                if cluster.described is not None and topic not in cluster.described:
                    # Apache Kafka answers TOPIC_AUTHORIZATION_FAILED for a topic the principal
                    # may not describe, there or not (it does not say which)
                    raise TopicAuthorizationFailedError({topic})
                if not cluster.creates_when_asked:
                    raise KafkaTimeoutError("Failed to update metadata after 5.0 secs.")
                cluster.topics.add(topic)
                return {0}

            def close(self, timeout: float | None = None) -> None:
                pass

        return Producer()


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Cluster:
    topics, creates, *described = request.param
    fake = Cluster(set(topics), creates_when_asked=creates, described=(described or [None])[0])
    monkeypatch.setattr(clients, "KafkaAdminClient", fake.admin)
    monkeypatch.setattr(clients, "KafkaProducer", fake.producer)
    return fake


EXTRACT = Topics().used_by("extract")


@pytest.mark.parametrize("cluster", [(EXTRACT, False)], indirect=True)
def test_topics_that_exist_are_not_asked_for(cluster: Cluster) -> None:
    clients.check_topics(SETTINGS, EXTRACT)
    assert cluster.asked == []


@pytest.mark.parametrize("cluster", [(["articles.ingested"], True)], indirect=True)
def test_a_cluster_that_creates_topics_when_asked_gets_the_missing_ones_asked_for(
    cluster: Cluster,
) -> None:
    clients.check_topics(SETTINGS, EXTRACT)
    assert cluster.asked == ["articles.clean", "articles.duplicates", "articles.dlq"]
    assert cluster.topics == set(EXTRACT)


@pytest.mark.parametrize(
    "cluster", [(["articles.ingested", "articles.clean"], False)], indirect=True
)
def test_a_cluster_that_does_not_create_them_stops_the_service_naming_them_and_the_remedy(
    cluster: Cluster,
) -> None:
    with pytest.raises(ConfigError) as raised:
        clients.check_topics(SETTINGS, EXTRACT)
    said = str(raised.value)
    assert "kafka-0:9092 has no topic articles.duplicates, articles.dlq" in said
    assert "`newsflow topics create`" in said
    assert cluster.asked == ["articles.duplicates", "articles.dlq"]  # each once


def test_each_service_checks_its_input_and_its_outcome_topics() -> None:
    topics = Topics()
    assert topics.used_by("ingest") == ["articles.raw", "articles.ingested", "articles.rejected"]
    assert topics.used_by("extract") == EXTRACT
    assert sorted(topics.used_by("ingest") + EXTRACT[1:]) == sorted(topics.all())


@pytest.mark.parametrize(
    "cluster",
    [(EXTRACT, False, {"articles.ingested", "articles.clean", "articles.duplicates"})],
    indirect=True,
)
def test_a_topic_the_principal_may_not_describe_stops_the_service_naming_it(
    cluster: Cluster,
) -> None:
    """A restricted principal (ACLs) asking for a topic it may not describe gets
    TOPIC_AUTHORIZATION_FAILED: a configuration error naming the topic, not a traceback."""
    with pytest.raises(ConfigError) as raised:
        clients.check_topics(SETTINGS, EXTRACT)
    said = str(raised.value)
    assert "articles.dlq" in said
    assert "not authorized" in said


@pytest.mark.parametrize("cluster", [(EXTRACT, False, set(EXTRACT))], indirect=True)
def test_a_restricted_principal_that_may_describe_its_topics_is_not_refused(
    cluster: Cluster,
) -> None:
    clients.check_topics(SETTINGS, EXTRACT)  # the listing shows it only its own topics
    assert cluster.asked == []

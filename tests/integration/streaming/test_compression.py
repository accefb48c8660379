"""Every compression codec Kafka has, on the way in and on the way out.

Crawlers choose their producers' codec, and Kafka has four (gzip, snappy, lz4, zstd):
kafka-python decodes snappy and lz4 only with python-snappy and lz4 installed, and a raw
batch in a codec it cannot decode stops the consumer, not one message."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from kafka_io import collect

from newsflow.kafka.clients import make_producer
from newsflow.kafka.settings import KafkaSettings, Topics

pytestmark = pytest.mark.kafka
TEXT = "The council approved the new budget on Tuesday after a long debate. " * 4


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_raw_batches_in_any_codec_are_read_and_outcomes_written_in_it(
    codec: str, broker: str, topics: Topics, start_service: Any
) -> None:
    ingest = start_service("ingest", NEWSFLOW_KAFKA_COMPRESSION=codec)
    ingest.wait_ready()
    url = f"https://example.com/{codec}/"
    good = [
        orjson.dumps({"id": f"{codec}-{n}", "url": f"{url}{n}", "text": TEXT}) for n in range(20)
    ]
    bad = [b'{"id": "' + codec.encode() + b'-bad", "url": "not a url", "text": "x"}']
    producer = make_producer(KafkaSettings(bootstrap=broker, compression=codec))
    for message in good + bad:
        producer.send(topics.raw, value=message)
    producer.flush()
    producer.close()
    found = collect(broker, [topics.ingested, topics.rejected], expected=21, timeout=60)
    assert sorted(e["source_id"] for e in found[topics.ingested]) == sorted(
        f"{codec}-{n}" for n in range(20)
    )
    assert [e["source_id"] for e in found[topics.rejected]] == [f"{codec}-bad"]

"""The lag gauge's log-end offsets are asked for off the consume loop's thread, by a client of
their own; a broker that does not answer only delays them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kafka import TopicPartition

from newsflow.service.lag import LAG_REFRESH, EndOffsets

TP = TopicPartition("articles.ingested", 0)


class FakeClient:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.asked: list[list[TopicPartition]] = []
        self.closed = False

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.asked.append(partitions)
        answer = self.answers.pop(0) if self.answers else {TP: 99}
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


def wait_for(condition: Any, timeout: float = 5 * LAG_REFRESH) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_offsets_are_asked_for_the_wanted_partitions_and_survive_a_failure() -> None:
    client = FakeClient([TimeoutError("broker away"), {TP: 42}])
    stop = threading.Event()
    reader = EndOffsets(lambda: client, stop)
    reader.start()
    try:
        time.sleep(1.5 * LAG_REFRESH)
        assert client.asked == []  # nothing assigned yet: nothing asked
        reader.want({TP})
        assert wait_for(lambda: reader.latest == {TP: 42})  # after one failed attempt
        assert client.asked[:2] == [[TP], [TP]]
    finally:
        stop.set()
        reader.join(5)
    assert not reader.is_alive() and client.closed


def test_one_client_serves_every_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client is made once and kept (each one made holds connections to the brokers)."""
    from newsflow.service import lag

    monkeypatch.setattr(lag, "LAG_REFRESH", 0.01)
    made: list[FakeClient] = []

    def make_client() -> FakeClient:
        made.append(FakeClient([]))
        return made[-1]

    stop = threading.Event()
    reader = EndOffsets(make_client, stop)
    reader.want({TP})
    reader.start()
    try:
        assert wait_for(lambda: bool(made) and len(made[0].asked) >= 3)
    finally:
        stop.set()
        reader.join(5)
    assert len(made) == 1 and made[0].closed

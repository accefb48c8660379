"""A producer that keeps what it is given: for tests of what a tool or route would send,
without a broker (the real one is in the integration tests)."""

from __future__ import annotations


class RecordingProducer:
    """kafka-python's producer as the tools use it; every send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, topic: str, *, key: bytes | None = None, value: bytes) -> RecordingProducer:
        self.sent.append(value)
        return self  # its own future

    def get(self, timeout: float) -> None:
        return None

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None

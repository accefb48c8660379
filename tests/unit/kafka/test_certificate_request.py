"""The listener's TLS 1.2 first flight, read for a CertificateRequest (mutual TLS)."""

from __future__ import annotations

from newsflow.kafka.certificate_request import CERTIFICATE_REQUEST, handshake_messages

SERVER_HELLO, CERTIFICATE, SERVER_HELLO_DONE = 2, 11, 14


def record(content_type: int, payload: bytes) -> bytes:
    return bytes([content_type, 3, 3]) + len(payload).to_bytes(2, "big") + payload


def message(kind: int, body: bytes = b"\0" * 7) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def test_messages_are_read_across_the_records_they_span() -> None:
    flight = message(SERVER_HELLO) + message(CERTIFICATE, b"\1" * 300)
    flight += message(CERTIFICATE_REQUEST) + message(SERVER_HELLO_DONE, b"")
    received = record(22, flight[:100]) + record(22, flight[100:])
    assert list(handshake_messages(received)) == [
        SERVER_HELLO,
        CERTIFICATE,
        CERTIFICATE_REQUEST,
        SERVER_HELLO_DONE,
    ]


def test_nothing_after_change_cipher_spec_is_read() -> None:
    """What follows is encrypted: its bytes are no message types."""
    received = record(22, message(SERVER_HELLO)) + record(20, b"\1")
    received += record(22, message(CERTIFICATE_REQUEST))
    assert list(handshake_messages(received)) == [SERVER_HELLO]


def test_an_alert_alone_holds_no_message() -> None:
    assert list(handshake_messages(record(21, b"\2\x28"))) == []

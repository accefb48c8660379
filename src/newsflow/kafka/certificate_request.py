"""Whether a TLS 1.2 listener asks the client for a certificate (mutual TLS).

Under TLS 1.2 a listener that requires a client certificate and gets none ends the handshake
with `handshake_failure`, the alert OpenSSL sends for any negotiation that fails (no cipher
suite in common, say): the alert alone cannot tell the user what to fix. The listener's
CertificateRequest can: under TLS 1.2 the server's first flight (ServerHello, Certificate,
CertificateRequest, ServerHelloDone) travels in the clear, before ChangeCipherSpec. Python's
`ssl` does not expose the messages it received, so the handshake is run again through memory
buffers, and the bytes the listener sent are read here.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

HANDSHAKE, CHANGE_CIPHER_SPEC = 22, 20  # TLS record content types (RFC 5246 6.2.1)
CERTIFICATE_REQUEST = 13  # handshake message type (RFC 5246 7.4)
RECORD_HEADER, MESSAGE_HEADER = 5, 4  # type, version, length(2); type, length(3)


def asks_for_client_certificate(
    host: str, port: int, context: ssl.SSLContext, timeout: float | None
) -> bool:
    """A fresh handshake with the listener at `host:port`: True if it sent a
    CertificateRequest in the clear (TLS 1.2). False for anything else: under TLS 1.3 the
    request is encrypted (and a refusal says `certificate_required` itself), a listener that
    refused before asking, no answer."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=host.rstrip("."))
    received = bytearray()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(outgoing.read())
                data = sock.recv(65536)
                if not data:
                    break
                received += data
                incoming.write(data)
    except OSError:  # the alert this is about (an SSLError), a timeout, the listener gone
        pass
    return CERTIFICATE_REQUEST in handshake_messages(bytes(received))


def handshake_messages(received: bytes) -> Iterator[int]:
    """The type of each handshake message in `received` (TLS records as sent by a server), up
    to its ChangeCipherSpec: what follows is encrypted."""
    handshake = bytearray()
    offset = 0
    while offset + RECORD_HEADER <= len(received):
        content_type = received[offset]
        length = int.from_bytes(received[offset + 3 : offset + RECORD_HEADER], "big")
        fragment = received[offset + RECORD_HEADER : offset + RECORD_HEADER + length]
        offset += RECORD_HEADER + length
        if content_type == CHANGE_CIPHER_SPEC:
            break
        if content_type == HANDSHAKE:  # a message may span records: joined first
            handshake += fragment
    offset = 0
    while offset + MESSAGE_HEADER <= len(handshake):
        yield handshake[offset]
        offset += MESSAGE_HEADER + int.from_bytes(handshake[offset + 1 : offset + 4], "big")

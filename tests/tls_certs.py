"""Throw-away certificates and a TLS listener, for the Kafka security tests.

`make_certs(directory)` writes a CA, a broker certificate it signed (for localhost and
127.0.0.1), a client certificate with its key (plain and encrypted), an expired one, a
stranger's key, another CA, and a file that is no certificate. `tls_listener(certs)` serves
the broker certificate on a free port and answers as much Kafka as `tests/sasl_broker.py`
(ApiVersions, the SASL handshake), enough for a client's first connect; it can also require a
client certificate (mutual TLS), cap the TLS version, narrow its cipher suites, or answer
nothing.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.sasl_broker import accepting, serve

KEY_PASSWORD = "key-password-0451"


@dataclass(frozen=True)
class Certs:
    ca: Path
    other_ca: Path
    broker: Path  # certificate and key, for the listener
    client_cert: Path
    client_key: Path
    client_key_encrypted: Path  # with KEY_PASSWORD
    client_cert_expired: Path  # signed by the CA, for the client's key; expired yesterday
    stranger_key: Path  # belongs to no certificate here
    not_pem: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    key: ec.EllipticCurvePrivateKey,
    name: str,
    issuer: tuple[ec.EllipticCurvePrivateKey, str] | None = None,
    expired: bool = False,
) -> x509.Certificate:
    signer, issuer_name = issuer or (key, name)
    now = datetime.datetime.now(datetime.UTC)
    if expired:
        now -= datetime.timedelta(days=2)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey, password: str | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def make_certs(directory: Path) -> Certs:
    ca_key, other_key, broker_key, client_key = _key(), _key(), _key(), _key()
    ca = _certificate(ca_key, "newsflow-test-ca")
    certs = Certs(
        ca=directory / "ca.pem",
        other_ca=directory / "other-ca.pem",
        broker=directory / "broker.pem",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        client_key_encrypted=directory / "client-encrypted.key",
        client_cert_expired=directory / "client-expired.pem",
        stranger_key=directory / "stranger.key",
        not_pem=directory / "not-a-certificate.txt",
    )
    certs.ca.write_bytes(_pem(ca))
    certs.other_ca.write_bytes(_pem(_certificate(other_key, "another-ca")))
    broker = _certificate(broker_key, "localhost", (ca_key, "newsflow-test-ca"))
    certs.broker.write_bytes(_pem(broker) + _key_pem(broker_key))
    certs.client_cert.write_bytes(
        _pem(_certificate(client_key, "newsflow", (ca_key, "newsflow-test-ca")))
    )
    certs.client_key.write_bytes(_key_pem(client_key))
    expired = _certificate(client_key, "newsflow", (ca_key, "newsflow-test-ca"), expired=True)
    certs.client_cert_expired.write_bytes(_pem(expired))
    certs.client_key_encrypted.write_bytes(_key_pem(client_key, KEY_PASSWORD))
    certs.stranger_key.write_bytes(_key_pem(_key()))
    certs.not_pem.write_text("a CA bundle copied from a wiki page, or a DER file\n")
    return certs


@contextmanager
def tls_listener(
    certs: Certs,
    host: str = "127.0.0.1",
    *,
    client_ca: Path | None = None,
    tls_version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
    answers: bool = True,
    ciphers: str | None = None,
) -> Iterator[int]:
    """A port on `host` serving the broker certificate; closed at the end. With `client_ca`,
    a client must present a certificate that CA signed (Kafka's `ssl.client.auth=required`);
    `tls_version` is the highest it speaks, `ciphers` (OpenSSL's list) the TLS 1.2 suites it
    takes; unless `answers`, it reads requests and answers none."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.broker)
    context.maximum_version = tls_version
    if ciphers is not None:
        context.set_ciphers(ciphers)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    server = socket.create_server((host, 0))

    def handshake(connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Kafka's listener
        connection.settimeout(5)
        try:
            with context.wrap_socket(connection, server_side=True) as tls:
                if answers:
                    serve(tls)
                else:
                    while tls.recv(4096):  # until the client goes
                        pass
        except OSError:
            pass  # a certificate refused, by either side, or the client went
        finally:
            connection.close()

    with accepting(server, handshake, "tls-listener"):
        yield server.getsockname()[1]

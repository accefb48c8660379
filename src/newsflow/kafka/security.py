"""Kafka security settings checked before any broker is asked, then the broker's certificate
and the SASL credentials at the first connect.

kafka-python reads the CA bundle, the client certificate and its key only as it opens a
connection, and takes any failure there, in the TLS handshake, or a broker refusing the
client's certificate, for an outage: it retries until its bootstrap times out (30 s), then
raises a retriable `KafkaTimeoutError`, the same as for a broker that is down, and the worker
was restarted to fail the same way, again and again. Each such mistake is a `ConfigError`
here, naming the `NEWSFLOW_*` variable to fix and never a secret's value.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any

from kafka.cluster import collect_hosts
from kafka.errors import (
    KafkaTimeoutError,
    RequestTimedOutError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
)
from kafka.net import KafkaConnectionManager, NetworkSelector
from kafka.net.connection import KafkaConnection
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport
from kafka.protocol.metadata import ApiVersionsRequest
from kafka.version import __version__ as kafka_python_version

from newsflow.config import ENV_PREFIX
from newsflow.errors import ConfigError
from newsflow.kafka.certificate_request import asks_for_client_certificate
from newsflow.logs import kafka_records_of_own_check

OPTIONS = {
    "security_protocol": "kafka_security_protocol",
    "sasl_mechanism": "kafka_sasl_mechanism",
    "sasl_plain_username": "kafka_sasl_username",
    "sasl_plain_password": "kafka_sasl_password",
    "ssl_cafile": "kafka_ssl_cafile",
    "ssl_certfile": "kafka_ssl_certfile",
    "ssl_keyfile": "kafka_ssl_keyfile",
    "ssl_password": "kafka_ssl_password",
}
"""Each kafka-python security option → the newsflow setting it comes from."""

SSL_PROTOCOLS = ("SSL", "SASL_SSL")
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
PASSWORD_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SASL_OPTIONS = ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password")
SSL_OPTIONS = ("ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password")


def variable(option: str) -> str:
    """The environment variable behind a kafka-python option (`ssl_cafile` →
    `NEWSFLOW_KAFKA_SSL_CAFILE`)."""
    return ENV_PREFIX + OPTIONS[option].upper()


def check_security(security: Mapping[str, Any]) -> None:
    """Raise `ConfigError` for a security setting kafka-python would fail on at every connect,
    or ignore: SASL or TLS settings under a protocol without SASL or TLS are refused too,
    since credentials the user gave and the client never sends are a mistake either way (the
    listener wants them: the same endless retry; or it does not: no authentication, no
    encryption, where the user asked for them)."""
    protocol = security.get("security_protocol", "PLAINTEXT")
    _check_sasl(security, protocol)
    tls_context(security)


def _check_sasl(security: Mapping[str, Any], protocol: str) -> None:
    given = [option for option in SASL_OPTIONS if security.get(option)]
    if protocol not in SASL_PROTOCOLS:
        if given:
            raise ConfigError(
                f"{_names(given)} set, but {variable('security_protocol')} is {protocol}, "
                "which sends no SASL credentials: set it to SASL_SSL (or SASL_PLAINTEXT), or "
                "unset them"
            )
        return
    mechanism = security.get("sasl_mechanism")
    if not mechanism:
        raise ConfigError(
            f"{variable('security_protocol')} {protocol} needs {variable('sasl_mechanism')}: "
            f"{', '.join(PASSWORD_MECHANISMS)}"
        )
    if mechanism in PASSWORD_MECHANISMS:
        missing = [o for o in ("sasl_plain_username", "sasl_plain_password") if not security.get(o)]
        if missing:
            raise ConfigError(f"{variable('sasl_mechanism')} {mechanism} needs {_names(missing)}")
    elif mechanism == "OAUTHBEARER":
        raise ConfigError(
            f"{variable('sasl_mechanism')} OAUTHBEARER: kafka-python takes its tokens from a "
            "token provider object, which no newsflow setting gives; use "
            f"{', '.join(PASSWORD_MECHANISMS)}"
        )
    elif mechanism == "GSSAPI":
        if importlib.util.find_spec("gssapi") is None:
            raise ConfigError(
                f"{variable('sasl_mechanism')} GSSAPI (Kerberos) needs the Python package "
                "gssapi, which is not installed here (nor in newsflow's images)"
            )
    else:
        raise ConfigError(
            f"{variable('sasl_mechanism')} {mechanism!r} is no mechanism kafka-python knows; use "
            f"{', '.join(PASSWORD_MECHANISMS)}"
        )


def tls_context(security: Mapping[str, Any]) -> ssl.SSLContext | None:
    """The TLS context kafka-python makes for each connection, None without TLS.

    Made as kafka-python 3.0.12 makes it (`kafka.net.transport.KafkaSSLTransport.
    _build_ssl_context`: TLS 1.2 at least, host names checked, the CA file else the system's
    CAs, the client certificate), step by step so that a failure names its setting."""
    if security.get("security_protocol", "PLAINTEXT") not in SSL_PROTOCOLS:
        given = [option for option in SSL_OPTIONS if security.get(option)]
        if given:
            raise ConfigError(
                f"{_names(given)} set, but {variable('security_protocol')} is "
                f"{security.get('security_protocol', 'PLAINTEXT')}, which does not use TLS: "
                "set it to SSL or SASL_SSL, or unset them"
            )
        return None
    for option in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        if security.get(option):
            _check_readable(option, security[option])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    cafile = security.get("ssl_cafile")
    if cafile:
        try:
            context.load_verify_locations(cafile)
        except ssl.SSLError as exc:
            raise ConfigError(
                f"{variable('ssl_cafile')} {cafile} holds no certificate in PEM form ({exc})"
            ) from exc
    else:
        context.load_default_certs()
    if security.get("ssl_certfile"):
        _load_client_certificate(context, security)
    elif security.get("ssl_keyfile") or security.get("ssl_password"):
        given = [o for o in ("ssl_keyfile", "ssl_password") if security.get(o)]
        raise ConfigError(
            f"{_names(given)} set without {variable('ssl_certfile')}: the client certificate "
            "(mutual TLS) is the certificate file, with its key in the key file"
        )
    return context


def _check_readable(option: str, path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:  # missing, a directory, no permission
        raise ConfigError(f"{variable(option)} {path}: {exc.strerror or exc}") from exc


def _load_client_certificate(context: ssl.SSLContext, security: Mapping[str, Any]) -> None:
    certfile, keyfile = security["ssl_certfile"], security.get("ssl_keyfile")
    password = security.get("ssl_password")
    asked: list[bool] = []

    def give_password() -> str:  # called only for an encrypted key; never a terminal prompt
        asked.append(True)
        return str(password or "")

    try:
        context.load_cert_chain(certfile, keyfile, password=give_password)
    except ssl.SSLError as exc:
        files = f"{variable('ssl_certfile')} {certfile}"
        if keyfile:
            files += f" and {variable('ssl_keyfile')} {keyfile}"
        if exc.reason == "KEY_VALUES_MISMATCH":
            problem = "the private key does not belong to the certificate"
        elif asked and password:
            problem = (
                f"the private key is encrypted, and {variable('ssl_password')} does not open it"
            )
        elif asked:
            problem = f"the private key is encrypted: set {variable('ssl_password')}"
        else:
            problem = "no certificate and private key in PEM form can be read from them"
        raise ConfigError(f"{files}: {problem}") from exc


REFUSED_CLIENT_CERTIFICATE = {
    "SSLV3_ALERT_BAD_CERTIFICATE": "bad_certificate",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "unsupported_certificate",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "certificate_revoked",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "certificate_expired",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "certificate_unknown",
    "TLSV1_ALERT_UNKNOWN_CA": "unknown_ca",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "certificate_required",
}
"""OpenSSL's reason for a TLS alert the broker sent → the alert (RFC 8446 6.2): each says the
broker refused the client's certificate, or wanted one (mutual TLS)."""


def check_broker_certificate(
    sock: socket.socket,
    host: str,
    port: int,
    context: ssl.SSLContext,
    security: Mapping[str, Any],
) -> bool:
    """A TLS handshake on a connection to a broker, then kafka-python's first request: True
    when the broker answered it (it took the certificates), False when it did not; a
    `ConfigError` when the broker's certificate fails verification (a CA that did not sign
    it, a name it does not carry, expired), or the broker refuses the client's (mutual TLS):
    trying again cannot help, and kafka-python would retry either as an outage. Anything else
    (no answer, a listener that is not TLS) is left to kafka-python's own connect.

    Under TLS 1.3 the client's handshake is over before the broker has checked the client's
    certificate, and the broker's refusal comes at the client's first read: the ApiVersions
    request every kafka-python connection opens with is sent and its answer awaited, one
    round trip where the broker takes the certificate. Under TLS 1.2 a listener that wants
    a certificate and gets none ends the handshake with the handshake_failure of any failed
    negotiation; whether it asked for one tells the two apart (`certificate_request`)."""
    timeout = sock.gettimeout()
    try:
        with context.wrap_socket(sock, server_hostname=host.rstrip(".")) as tls:
            return _ask_api_versions(tls)
    except ssl.SSLCertVerificationError as exc:
        raise ConfigError(
            f"the broker at {_address(host, port)} presented a certificate that does not verify "
            f"({exc.verify_message}): {variable('ssl_cafile')} must name the CA that signed "
            "it (unset, the system's CAs are used), and the certificate must carry the name "
            f"the client connects to ({host}, from NEWSFLOW_KAFKA_BOOTSTRAP)"
        ) from exc
    except ssl.SSLError as exc:
        alert = REFUSED_CLIENT_CERTIFICATE.get(exc.reason or "")
        if alert is None and _wanted_a_certificate(exc, host, port, context, timeout, security):
            alert = "handshake_failure"
        if alert is not None:
            raise ConfigError(_client_certificate_refused(host, port, alert, security)) from exc
    except OSError:
        pass
    return False


def _wanted_a_certificate(
    exc: ssl.SSLError,
    host: str,
    port: int,
    context: ssl.SSLContext,
    timeout: float | None,
    security: Mapping[str, Any],
) -> bool:
    """Whether a TLS 1.2 handshake_failure, with no client certificate set, is the listener
    refusing to go on without one (mutual TLS): it asked for one. The same alert ends any
    failed negotiation (no cipher suite in common): that stays the clients' to meet."""
    if exc.reason != "SSLV3_ALERT_HANDSHAKE_FAILURE" or security.get("ssl_certfile"):
        return False
    return asks_for_client_certificate(host, port, context, timeout)


def _ask_api_versions(tls: ssl.SSLSocket) -> bool:
    """Whether the broker answered kafka-python's first request (its alert is raised)."""
    request = ApiVersionsRequest(
        version=ApiVersionsRequest.max_version,
        client_software_name="kafka-python",
        client_software_version=kafka_python_version,
    )
    request.with_header(correlation_id=1, client_id="newsflow")
    with contextlib.suppress(OSError):  # a broker that refused may have closed: its alert is read
        tls.sendall(bytes(request.encode(framed=True, header=True)))
    return tls.recv(1) != b""  # the answer's first byte, or the alert (raised), or closed


def _client_certificate_refused(
    host: str, port: int, alert: str, security: Mapping[str, Any]
) -> str:
    broker = _address(host, port)
    if not security.get("ssl_certfile"):
        return (
            f"the broker at {broker} requires a client certificate (mutual TLS), and "
            f"none is set ({alert}): set {variable('ssl_certfile')} and "
            f"{variable('ssl_keyfile')}, to a certificate signed by a CA the listener trusts"
        )
    return (
        f"the broker at {broker} refused the client certificate {variable('ssl_certfile')} "
        f"{security['ssl_certfile']} ({alert}): it must be signed by a CA the listener trusts, "
        f"be valid now and not revoked, with its private key in {variable('ssl_keyfile')}"
    )


CREDENTIALS_TIMEOUT_MS = 10_000
"""How long the credentials check waits for a broker to answer; one that does not is an
outage (a broker still starting, or overloaded, is waited for, not refused)."""


def check_credentials(servers: list[str], security: Mapping[str, Any]) -> bool:
    """One connection to a server of `servers` (one of the list at random, as kafka-python
    picks: `check_at_broker` gives the one that took its connection), authenticated as the
    clients will: True when the broker took the credentials (or there are none), False when
    they could not be tried (the connection refused or closed: left to the clients, which wait
    for the broker); a `ConfigError` when the broker refuses the credentials or does not enable
    the mechanism; a retriable `KafkaTimeoutError`, an outage, when it did not answer within
    `CREDENTIALS_TIMEOUT_MS` (the TLS handshake too, under SASL_SSL).

    kafka-python 3.0.12 retries a refusal as an outage until its bootstrap times out (30 s),
    then raises a retriable `KafkaTimeoutError`: the worker was restarted to be refused again,
    for ever. Its own transport and connection (`kafka.net`) make the handshakes here, so the
    check is the clients' handshake itself. The socket is opened and closed here, whatever
    the broker did: kafka-python's connection manager left the socket of a connection refused,
    and that of a TLS handshake cut, to the garbage collector (a ResourceWarning for every
    client a failed check came before), and puts no timeout on its TLS handshake (a broker
    that took the connection and said nothing held the check until it closed it)."""
    protocol = security.get("security_protocol")
    if protocol not in SASL_PROTOCOLS:
        return True
    host, port, _family = collect_hosts(servers)[0]
    deadline = time.monotonic() + CREDENTIALS_TIMEOUT_MS / 1000
    try:
        sock = socket.create_connection((host, port), timeout=CREDENTIALS_TIMEOUT_MS / 1000)
    except OSError:  # refused, unreachable: an outage, the clients wait for the broker
        return False
    with sock:
        try:
            error = _handshakes(sock, host, security, deadline)
        except Exception:  # as kafka-python's manager: any failure to connect is left to the
            return False  # clients, which wait for the broker and say what they meet
    if error is None:
        return True
    if isinstance(error, SaslAuthenticationFailedError):
        raise ConfigError(
            f"the broker at {_address(host, port)} refused the SASL credentials "
            f"({variable('sasl_plain_username')}, {variable('sasl_plain_password')}, "
            f"{variable('sasl_mechanism')} {security.get('sasl_mechanism')}): {error}"
        ) from error
    if isinstance(error, UnsupportedSaslMechanismError):
        raise ConfigError(
            f"the broker at {_address(host, port)} does not take "
            f"{variable('sasl_mechanism')} {security.get('sasl_mechanism')} on that listener "
            f"({error}): check the mechanism, and that {variable('security_protocol')} is the "
            "listener's"
        ) from error
    if isinstance(error, (KafkaTimeoutError, RequestTimedOutError)):  # not cached as accepted
        raise KafkaTimeoutError(_no_answer(host, port, protocol)) from error
    return False  # the connection closed, a broker still starting: the clients wait for it


def _no_answer(host: str, port: int, protocol: str) -> str:
    """The credentials check's timeout: under SASL_SSL the broker may have stalled in the TLS
    handshake, before any SASL."""
    handshakes = "the TLS and SASL handshakes" if protocol == "SASL_SSL" else "the SASL handshake"
    return (
        f"the broker at {_address(host, port)} did not answer {handshakes} within "
        f"{CREDENTIALS_TIMEOUT_MS / 1000:g} s"
    )


def _handshakes(
    sock: socket.socket, host: str, security: Mapping[str, Any], deadline: float
) -> BaseException | None:
    """kafka-python's handshakes on `sock`, as its connection manager makes them (the TLS
    handshake under SASL_SSL, then ApiVersions and SASL): None when the broker took the
    credentials, else what failed (a `KafkaTimeoutError` when time ran out, whichever
    handshake the broker left unanswered). The transport, which owns the socket (a TLS one
    is its own), is closed before its loop: nothing is left to the garbage collector."""
    for option in KafkaConnectionManager.DEFAULT_CONFIG["socket_options"]:
        sock.setsockopt(*option)  # TCP_NODELAY, SO_KEEPALIVE, as the clients' sockets
    sock.setblocking(False)
    net = NetworkSelector()
    transport: KafkaTCPTransport | None = None
    error: BaseException | None = KafkaTimeoutError("no answer in time")
    try:
        if security.get("security_protocol") in SSL_PROTOCOLS:
            ssl_options = {key: value for key, value in security.items() if key.startswith("ssl_")}
            transport = KafkaSSLTransport(net, sock, host=host, **ssl_options)
        else:
            transport = KafkaTCPTransport(net, sock, host=host)
        connection = KafkaConnection(net, node_id="bootstrap-0", **security)
        shaken = transport

        async def handshakes() -> None:
            await shaken.handshake()
            connection.connection_made(shaken)
            await connection.initialize(timeout_at=deadline)
            await connection  # raises what failed

        done = net.call_soon_with_future(handshakes)
        with kafka_records_of_own_check():  # the caller reports the outcome
            net.poll(timeout_ms=max(0.0, deadline - time.monotonic()) * 1000, future=done)
        if done.is_done:
            error = done.exception
        return error
    finally:
        # cleanly once the broker took the credentials (nothing is left to send), else at
        # once, dropping what is unsent (a clean close would wait for it to be sent)
        with kafka_records_of_own_check():
            if transport is not None:
                if error is None:
                    transport.close()
                else:
                    transport.abort()
            net.close()


def _address(host: str, port: int) -> str:
    """`host:port` as a bootstrap list writes it: an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _names(options: list[str]) -> str:
    return ", ".join(variable(option) for option in options)


_ACCEPTED: set[tuple[object, ...]] = set()
"""The settings `check_at_broker` found accepted in this process."""


def check_at_broker(
    servers: list[str], security: Mapping[str, Any], *, attempt_timeout: float = 1.0
) -> None:
    """With TLS or SASL, once per process and settings: the first bootstrap server that takes a
    connection is asked as the clients will ask it (its certificate verified, the client's
    offered, the SASL credentials tried), a `ConfigError` for what it refuses. A server that
    takes none is left to the clients, which wait for it and say so; one that does not answer
    the credentials within `CREDENTIALS_TIMEOUT_MS` raises a retriable `KafkaTimeoutError`,
    an outage. Only settings a broker took are remembered: the next client checks again.

    The services check at start-up; without this, the commands (`topics create`, the
    Kubernetes init container; `publish`, `replay`, `tail`) met a certificate that does not
    verify, or a refused certificate or credentials, as an outage: after kafka-python's 30 s,
    "is the broker up?"."""
    context = tls_context(security)
    if context is None and security.get("security_protocol") not in SASL_PROTOCOLS:
        return
    key = (tuple(servers), tuple(sorted(security.items())))
    if key in _ACCEPTED:
        return
    for host, port, _family in collect_hosts(servers, randomize=False):
        try:
            sock = socket.create_connection((host, port), timeout=attempt_timeout)
        except OSError:  # refused, unreachable: the next, else the clients' wait
            continue
        with sock:
            answered = context is None or check_broker_certificate(
                sock, host, port, context, security
            )
        # this server, not the list: kafka-python shuffles it, and a server that is down
        # would pass the credentials unchecked
        server = _address(host, port)
        if check_credentials([server], security) and answered:
            _ACCEPTED.add(key)
        return

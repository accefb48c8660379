"""Kafka security mistakes stop a command or a service with a configuration error naming the
setting, instead of kafka-python retrying them as an outage for ever.

kafka-python reads the CA bundle and the client certificate only as it connects, and retried
every failure there until its bootstrap timed out (30 s): a retriable KafkaTimeoutError, the
same as for a broker that is down, and the worker was restarted to fail again, and again. A
genuine outage (connection refused) stays something to wait for."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import re
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import pytest
from kafka.errors import KafkaTimeoutError
from tests.sasl_broker import PASSWORD as BROKER_PASSWORD
from tests.sasl_broker import accepting, sasl_broker
from tests.tls_certs import KEY_PASSWORD, Certs, make_certs, tls_listener

from newsflow.cli import main
from newsflow.config import resolve
from newsflow.errors import CONFIG_ERROR_EXIT, ConfigError
from newsflow.kafka import security
from newsflow.kafka.connect import BackgroundProducer, wait_for_broker
from newsflow.kafka.localbroker import free_port
from newsflow.kafka.security import check_at_broker, check_credentials
from newsflow.kafka.settings import KAFKA_SETTINGS, KafkaSettings

SASL_PASSWORD = "sasl-password-2718"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls"))


def settings(**environ: str) -> KafkaSettings:
    """KafkaSettings from NEWSFLOW_KAFKA_* variables, as every command builds them."""
    named = {f"NEWSFLOW_KAFKA_{key.upper()}": value for key, value in environ.items()}
    return KafkaSettings.from_values(resolve(argparse.Namespace(), KAFKA_SETTINGS, named))


def refused(**environ: str) -> str:
    with pytest.raises(ConfigError) as raised:
        settings(**environ)
    message = str(raised.value)
    assert SASL_PASSWORD not in message and KEY_PASSWORD not in message
    return message


def test_a_ca_file_that_is_missing_or_no_file_is_named(certs: Certs) -> None:
    missing = certs.ca.parent / "ca-bundle.pem"
    message = refused(security_protocol="SSL", ssl_cafile=str(missing))
    assert message == f"NEWSFLOW_KAFKA_SSL_CAFILE {missing}: No such file or directory"
    message = refused(security_protocol="SSL", ssl_cafile=str(certs.ca.parent))
    assert message == f"NEWSFLOW_KAFKA_SSL_CAFILE {certs.ca.parent}: Is a directory"


def test_a_ca_file_that_is_not_pem_is_refused(certs: Certs) -> None:
    message = refused(security_protocol="SSL", ssl_cafile=str(certs.not_pem))
    assert message.startswith(
        f"NEWSFLOW_KAFKA_SSL_CAFILE {certs.not_pem} holds no certificate in PEM form"
    )


def test_a_client_key_that_does_not_belong_to_the_certificate_is_refused(certs: Certs) -> None:
    message = refused(
        security_protocol="SSL",
        ssl_cafile=str(certs.ca),
        ssl_certfile=str(certs.client_cert),
        ssl_keyfile=str(certs.stranger_key),
    )
    assert message.endswith("the private key does not belong to the certificate")
    assert "NEWSFLOW_KAFKA_SSL_CERTFILE" in message and "NEWSFLOW_KAFKA_SSL_KEYFILE" in message


def test_an_encrypted_key_needs_its_password_and_a_wrong_one_is_refused(certs: Certs) -> None:
    mutual = {
        "security_protocol": "SSL",
        "ssl_certfile": str(certs.client_cert),
        "ssl_keyfile": str(certs.client_key_encrypted),
    }
    assert refused(**mutual, ssl_password="not-the-password").endswith(
        "the private key is encrypted, and NEWSFLOW_KAFKA_SSL_PASSWORD does not open it"
    )
    # (without a password OpenSSL asked for one on the terminal, where there is one)
    assert refused(**mutual).endswith(
        "the private key is encrypted: set NEWSFLOW_KAFKA_SSL_PASSWORD"
    )
    assert settings(**mutual, ssl_password=KEY_PASSWORD).security["ssl_password"] == KEY_PASSWORD


def test_a_key_without_its_certificate_is_refused(certs: Certs) -> None:
    message = refused(security_protocol="SSL", ssl_keyfile=str(certs.client_key))
    assert message.startswith("NEWSFLOW_KAFKA_SSL_KEYFILE set without NEWSFLOW_KAFKA_SSL_CERTFILE")


def test_an_unknown_sasl_mechanism_is_refused_as_it_is_read() -> None:
    message = refused(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-1")
    assert message.startswith("invalid NEWSFLOW_KAFKA_SASL_MECHANISM 'SCRAM-SHA-1'")


def test_a_mechanism_no_setting_can_feed_is_refused() -> None:
    """kafka-python's OAUTHBEARER needs a token provider object; GSSAPI the gssapi package,
    which the images do not have."""
    message = refused(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER")
    assert "token provider object" in message
    message = refused(security_protocol="SASL_SSL", sasl_mechanism="GSSAPI")
    assert "needs the Python package gssapi" in message


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_without_username_or_password_is_refused(mechanism: str) -> None:
    """kafka-python's PLAIN failed at each connect on a None password (a TypeError, retried);
    its SCRAM checks build their errors and forget to raise them."""
    message = refused(security_protocol="SASL_SSL", sasl_mechanism=mechanism)
    assert message == (
        f"NEWSFLOW_KAFKA_SASL_MECHANISM {mechanism} needs NEWSFLOW_KAFKA_SASL_USERNAME, "
        "NEWSFLOW_KAFKA_SASL_PASSWORD"
    )
    message = refused(
        security_protocol="SASL_SSL", sasl_mechanism=mechanism, sasl_password=SASL_PASSWORD
    )
    assert message.endswith("needs NEWSFLOW_KAFKA_SASL_USERNAME")


def test_a_sasl_protocol_without_a_mechanism_is_refused() -> None:
    message = refused(security_protocol="SASL_PLAINTEXT", sasl_username="svc")
    assert message.startswith(
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL SASL_PLAINTEXT needs NEWSFLOW_KAFKA_SASL_MECHANISM"
    )


def test_credentials_or_tls_files_the_protocol_would_not_use_are_refused(certs: Certs) -> None:
    """Set, they were silently dropped: against a listener that wants them, the endless retry;
    against a plaintext one, no authentication and no encryption where the user asked for
    them."""
    message = refused(sasl_mechanism="PLAIN", sasl_username="svc", sasl_password=SASL_PASSWORD)
    assert message.startswith(
        "NEWSFLOW_KAFKA_SASL_MECHANISM, NEWSFLOW_KAFKA_SASL_USERNAME, "
        "NEWSFLOW_KAFKA_SASL_PASSWORD set, but NEWSFLOW_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"
    )
    message = refused(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc",
        sasl_password=SASL_PASSWORD,
        ssl_cafile=str(certs.ca),
    )
    assert message.startswith(
        "NEWSFLOW_KAFKA_SSL_CAFILE set, but NEWSFLOW_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT"
    )


def test_complete_security_settings_are_taken(certs: Certs) -> None:
    kafka = settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc",
        sasl_password=SASL_PASSWORD,
        ssl_cafile=str(certs.ca),
        ssl_certfile=str(certs.client_cert),
        ssl_keyfile=str(certs.client_key),
    )
    assert kafka.common()["ssl_keyfile"] == str(certs.client_key)
    assert SASL_PASSWORD not in repr(kafka)


def test_a_command_stops_with_exit_status_2_naming_the_setting(
    certs: Certs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSFLOW_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("NEWSFLOW_KAFKA_SSL_CAFILE", str(certs.not_pem))
    started = time.monotonic()
    assert main(["topics", "create"]) == CONFIG_ERROR_EXIT
    assert time.monotonic() - started < 5  # no broker asked: none runs here
    assert "configuration error: NEWSFLOW_KAFKA_SSL_CAFILE" in capsys.readouterr().err


# --- the broker's certificate, at the first connect ---------------------------------------


@pytest.fixture
def listener(certs: Certs) -> Iterator[str]:
    with tls_listener(certs) as port:
        yield f"localhost:{port}"


def bounded(seconds: float = 10) -> threading.Event:
    """A stop that comes by itself: a test that would wait for ever fails instead."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.daemon = True
    timer.start()
    return stop


def test_a_broker_certificate_the_ca_did_not_sign_stops_the_first_connect(
    certs: Certs, listener: str
) -> None:
    kafka = settings(bootstrap=listener, security_protocol="SSL", ssl_cafile=str(certs.other_ca))
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        wait_for_broker(kafka, bounded())
    assert time.monotonic() - started < 5
    assert re.match(
        rf"the broker at {listener} presented a certificate that does not verify "
        r"\(unable to get local issuer certificate\): NEWSFLOW_KAFKA_SSL_CAFILE must name",
        str(raised.value),
    )


def test_a_broker_certificate_without_the_name_connected_to_stops_the_first_connect(
    certs: Certs, listener: str
) -> None:
    """The certificate names localhost and 127.0.0.1, and the broker listens on 127.0.0.2."""
    with tls_listener(certs, "127.0.0.2") as port:
        kafka = settings(
            bootstrap=f"127.0.0.2:{port}", security_protocol="SSL", ssl_cafile=str(certs.ca)
        )
        with pytest.raises(ConfigError, match=r"does not verify \(IP address mismatch"):
            wait_for_broker(kafka, bounded())


def test_a_broker_certificate_the_ca_signed_is_taken(certs: Certs, listener: str) -> None:
    kafka = settings(
        bootstrap=listener,
        security_protocol="SSL",
        ssl_cafile=str(certs.ca),
        ssl_certfile=str(certs.client_cert),
        ssl_keyfile=str(certs.client_key),
    )
    assert wait_for_broker(kafka, bounded()) is True


def test_a_broker_that_is_down_is_still_waited_for(certs: Certs) -> None:
    """Connection refused is an outage: the worker waits for the broker, and hears a stop."""
    kafka = settings(
        bootstrap=f"localhost:{free_port()}", security_protocol="SSL", ssl_cafile=str(certs.ca)
    )
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    started = time.monotonic()
    assert wait_for_broker(kafka, stop, interval=0.2) is False
    assert time.monotonic() - started >= 1.4


def test_the_intake_stops_trying_a_broker_whose_certificate_does_not_verify(
    certs: Certs, listener: str, caplog: pytest.LogCaptureFixture
) -> None:
    built: list[object] = []
    kafka = settings(bootstrap=listener, security_protocol="SSL", ssl_cafile=str(certs.other_ca))
    background = BackgroundProducer(kafka, lambda: built.append(object()), retry_delay=0.1)
    background._thread.join(5)
    assert not background._thread.is_alive()
    assert built == [] and not background.connected
    assert "the intake cannot reach the broker" in caplog.text


# --- the client's certificate (mutual TLS), at the first connect -------------------------


def mutual(port: int, certs: Certs, certfile: str | None = None) -> KafkaSettings:
    """TLS to localhost:`port`, presenting `certfile` (with the client's encrypted key)."""
    if certfile is None:
        return settings(
            bootstrap=f"localhost:{port}", security_protocol="SSL", ssl_cafile=str(certs.ca)
        )
    return settings(
        bootstrap=f"localhost:{port}",
        security_protocol="SSL",
        ssl_cafile=str(certs.ca),
        ssl_certfile=certfile,
        ssl_keyfile=str(certs.client_key_encrypted),
        ssl_password=KEY_PASSWORD,
    )


def refused_at_connect(kafka: KafkaSettings) -> str:
    """The `ConfigError` both the services' wait and the commands' check raise, promptly."""
    started = time.monotonic()
    with pytest.raises(ConfigError) as waited:
        wait_for_broker(kafka, bounded())
    with pytest.raises(ConfigError) as checked:
        check_at_broker(kafka.servers, kafka.security)
    assert time.monotonic() - started < 5
    assert str(waited.value) == str(checked.value)
    assert KEY_PASSWORD not in str(waited.value)
    return str(waited.value)


@pytest.mark.parametrize(
    "tls_version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2], ids=["TLS 1.3", "TLS 1.2"]
)
def test_a_client_certificate_the_broker_does_not_trust_stops_the_first_connect(
    certs: Certs, tls_version: ssl.TLSVersion
) -> None:
    """Under TLS 1.3 the client's handshake completes, and the broker's refusal comes at its
    first read: kafka-python 3.0.12 retried it as an outage until its bootstrap timed out
    (30 s), and the check, a handshake alone, let it through. Under TLS 1.2 the handshake
    failed, and the check took that for an outage too."""
    with tls_listener(certs, client_ca=certs.other_ca, tls_version=tls_version) as port:
        message = refused_at_connect(mutual(port, certs, str(certs.client_cert)))
    assert message == (
        f"the broker at localhost:{port} refused the client certificate "
        f"NEWSFLOW_KAFKA_SSL_CERTFILE {certs.client_cert} (unknown_ca): it must be signed by a "
        "CA the listener trusts, be valid now and not revoked, with its private key in "
        "NEWSFLOW_KAFKA_SSL_KEYFILE"
    )


def test_an_expired_client_certificate_stops_the_first_connect(certs: Certs) -> None:
    with tls_listener(certs, client_ca=certs.ca) as port:
        message = refused_at_connect(mutual(port, certs, str(certs.client_cert_expired)))
    assert message.startswith(
        f"the broker at localhost:{port} refused the client certificate "
        f"NEWSFLOW_KAFKA_SSL_CERTFILE {certs.client_cert_expired} (certificate_expired)"
    )


@pytest.mark.parametrize(
    ("tls_version", "alert"),
    [
        (ssl.TLSVersion.TLSv1_3, "certificate_required"),
        (ssl.TLSVersion.TLSv1_2, "handshake_failure"),
    ],
    ids=["TLS 1.3", "TLS 1.2"],
)
def test_a_listener_that_requires_a_client_certificate_and_gets_none_stops_the_first_connect(
    certs: Certs, tls_version: ssl.TLSVersion, alert: str
) -> None:
    """TLS 1.3 says certificate_required. Under TLS 1.2 an OpenSSL listener sends the
    handshake_failure of any failed negotiation, which names no certificate, and the check
    took it for an outage: the listener's CertificateRequest, in the clear under TLS 1.2,
    says what it wanted."""
    with tls_listener(certs, client_ca=certs.ca, tls_version=tls_version) as port:
        message = refused_at_connect(mutual(port, certs))
    assert message == (
        f"the broker at localhost:{port} requires a client certificate (mutual TLS), and none "
        f"is set ({alert}): set NEWSFLOW_KAFKA_SSL_CERTFILE and "
        "NEWSFLOW_KAFKA_SSL_KEYFILE, to a certificate signed by a CA the listener trusts"
    )


def test_a_tls_1_2_handshake_failure_that_is_no_certificate_request_is_an_outage(
    certs: Certs,
) -> None:
    """No cipher suite in common: the same handshake_failure, before the listener asked for
    anything. Not a client certificate to set: left to the clients, which say what they
    meet."""
    with tls_listener(
        certs,
        client_ca=certs.ca,
        tls_version=ssl.TLSVersion.TLSv1_2,
        ciphers="ECDHE-ECDSA-AES128-SHA",  # SHA-1: Python's client offers none of those
    ) as port:
        kafka = mutual(port, certs)
        check_at_broker(kafka.servers, kafka.security, attempt_timeout=0.5)


def test_a_client_certificate_the_broker_trusts_is_taken_without_waiting_for_a_timeout(
    certs: Certs,
) -> None:
    """The broker answers kafka-python's first request (ApiVersions): one round trip, where
    a read waiting for the absence of a refusal would wait out its timeout (here 5 s)."""
    with tls_listener(certs, client_ca=certs.ca) as port:
        kafka = mutual(port, certs, str(certs.client_cert))
        started = time.monotonic()
        assert wait_for_broker(kafka, bounded(), attempt_timeout=5) is True
        check_at_broker(kafka.servers, kafka.security, attempt_timeout=5)
        assert time.monotonic() - started < 1


@pytest.mark.parametrize("listener_kind", ["TLS, answering nothing", "not TLS"])
def test_a_listener_that_refuses_nothing_but_does_not_answer_is_an_outage(
    certs: Certs, listener_kind: str
) -> None:
    """A broker still starting, or TLS expected of a plaintext listener: after one attempt's
    timeout, the clients are left to wait for the broker and to say what they meet."""
    with contextlib.ExitStack() as stack:
        if listener_kind == "not TLS":  # plaintext Kafka: a ClientHello is no request it reads
            port = int(stack.enter_context(sasl_broker()).rsplit(":", 1)[1])
        else:
            port = stack.enter_context(tls_listener(certs, client_ca=certs.ca, answers=False))
        kafka = mutual(port, certs, str(certs.client_cert))
        assert wait_for_broker(kafka, bounded(), attempt_timeout=0.5) is True
        check_at_broker(kafka.servers, kafka.security, attempt_timeout=0.5)


def hold_until_the_client_goes(connection: socket.socket) -> None:
    """A listener's connection that answers nothing, read until the client closes it (5 s at
    most), then closed."""
    connection.settimeout(5)
    try:
        while connection.recv(4096):
            pass
    except OSError:
        pass
    finally:
        connection.close()


def test_a_tls_listener_that_did_not_answer_the_check_is_checked_again(certs: Certs) -> None:
    """A broker still starting takes the connection and says nothing: left to the clients as
    an outage, and not remembered as accepted (only settings a broker took are), so the next
    client's check meets the broker's refusal of the client certificate. It was remembered,
    and the refusal left to kafka-python's retries, for ever."""
    refusing = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    refusing.load_cert_chain(certs.broker)
    refusing.verify_mode = ssl.CERT_REQUIRED
    refusing.load_verify_locations(certs.other_ca)  # not the client certificate's CA
    starting = threading.Event()
    starting.set()

    def handle(connection: socket.socket) -> None:
        if starting.is_set():
            return hold_until_the_client_goes(connection)
        connection.settimeout(5)
        try:
            with refusing.wrap_socket(connection, server_side=True) as tls:
                tls.recv(4096)
        except OSError:
            pass
        finally:
            connection.close()

    server = socket.create_server(("127.0.0.1", 0))
    with accepting(server, handle, "starting-listener"):
        kafka = mutual(server.getsockname()[1], certs, str(certs.client_cert))
        check_at_broker(kafka.servers, kafka.security, attempt_timeout=0.3)
        starting.clear()
        with pytest.raises(ConfigError, match="refused the client certificate"):
            check_at_broker(kafka.servers, kafka.security, attempt_timeout=0.3)


# --- SASL credentials, at the first connect (a fake broker: Tansu has no SASL) ------------


def sasl(bootstrap: str, password: str, mechanism: str = "PLAIN") -> KafkaSettings:
    return settings(
        bootstrap=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=mechanism,
        sasl_username="newsflow",
        sasl_password=password,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_sasl_credentials_the_broker_refuses_are_a_configuration_error(host: str) -> None:
    """kafka-python 3.0.12 retried the refusal until its bootstrap timed out (30 s), then
    raised the retriable KafkaTimeoutError of a broker that is down. The broker is named as
    the bootstrap list names it: `[::1]:9092`, not `::1:9092`."""
    with sasl_broker(host=host) as bootstrap:
        kafka = sasl(bootstrap, "not-the-password")
        started = time.monotonic()
        with pytest.raises(ConfigError) as raised:
            check_credentials(kafka.servers, kafka.security)
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert message.startswith(f"the broker at {bootstrap} refused the SASL credentials")
    assert "NEWSFLOW_KAFKA_SASL_PASSWORD" in message and "not-the-password" not in message


def test_a_mechanism_the_broker_does_not_enable_is_a_configuration_error() -> None:
    with sasl_broker() as bootstrap:
        kafka = sasl(bootstrap, SASL_PASSWORD, mechanism="SCRAM-SHA-512")
        with pytest.raises(ConfigError, match="does not take NEWSFLOW_KAFKA_SASL_MECHANISM"):
            check_credentials(kafka.servers, kafka.security)


def test_sasl_credentials_the_broker_takes_pass() -> None:
    with sasl_broker() as bootstrap:
        kafka = sasl(bootstrap, BROKER_PASSWORD)
        check_credentials(kafka.servers, kafka.security)


def test_a_sasl_broker_that_is_down_is_left_to_the_clients_to_wait_for() -> None:
    kafka = sasl(f"127.0.0.1:{free_port()}", "not-the-password")
    check_credentials(kafka.servers, kafka.security)


@pytest.fixture
def quick_credentials_check(monkeypatch: pytest.MonkeyPatch) -> int:
    """The credentials check waits 0.5 s for an answer, not its 10 s."""
    monkeypatch.setattr(security, "CREDENTIALS_TIMEOUT_MS", 500)
    return 500


def assert_an_outage_in_time(check: Callable[[], object], message: str) -> None:
    """`check` raises a retriable `KafkaTimeoutError` saying `message`, within 3 s (the
    check's timeout is 0.5 s: `quick_credentials_check`)."""
    started = time.monotonic()
    with pytest.raises(KafkaTimeoutError) as raised:
        check()
    assert time.monotonic() - started < 3
    assert raised.value.retriable
    assert str(raised.value) == f"KafkaTimeoutError: {message}"


def test_sasl_credentials_without_an_answer_in_time_are_an_outage_checked_again(
    quick_credentials_check: int,
) -> None:
    """No answer to the credentials within the check's timeout is a retriable timeout, as a
    broker that is down: the caller waits and tries again, and checks again. The settings were
    taken as accepted for the rest of the process, and a refusal after the broker came back
    was left to kafka-python's 30 s timeout, for ever."""
    stall = threading.Event()
    stall.set()
    with sasl_broker(stall) as bootstrap:
        kafka = sasl(bootstrap, "not-the-password")
        assert_an_outage_in_time(
            lambda: check_at_broker(kafka.servers, kafka.security),
            f"the broker at {bootstrap} did not answer the SASL handshake within 0.5 s",
        )
        stall.clear()
        with pytest.raises(ConfigError, match=f"the broker at {bootstrap} refused the SASL"):
            check_at_broker(kafka.servers, kafka.security)


def test_a_check_that_got_no_answer_leaves_its_report_to_newsflow(
    quick_credentials_check: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The check's own timeout is newsflow's retriable error, which the caller reports as it
    waits; kafka-python's connection, timed out by the check, logged its "Request timed out",
    "Abort" and "Connection lost" besides, at WARNING and ERROR, on every retry of an outage.
    They are the check's, so they go to DEBUG; the clients' own connections still log theirs."""
    caplog.set_level(logging.INFO)
    stall = threading.Event()
    stall.set()
    with sasl_broker(stall) as bootstrap:
        kafka = sasl(bootstrap, BROKER_PASSWORD)
        with pytest.raises(KafkaTimeoutError):
            check_credentials(kafka.servers, kafka.security)
    kafka_warnings = [r for r in caplog.records if r.name.startswith("kafka") and r.levelno >= 30]
    assert [r.getMessage() for r in kafka_warnings] == []


def test_the_intake_waits_for_a_broker_that_does_not_answer_the_credentials(
    quick_credentials_check: int,
) -> None:
    """The intake's producer is built once the broker took the credentials: a stalled broker
    is retried as an outage, neither taken as accepted nor the end of the connecting thread."""
    stall = threading.Event()
    stall.set()
    built: list[argparse.Namespace] = []

    def build() -> argparse.Namespace:
        built.append(argparse.Namespace(close=lambda timeout=None: None))
        return built[-1]

    with sasl_broker(stall) as bootstrap:
        kafka = sasl(bootstrap, BROKER_PASSWORD)
        background = BackgroundProducer(kafka, build, retry_delay=0.1)
        try:
            time.sleep(1.5)
            assert background._thread.is_alive() and built == []
            stall.clear()
            background._thread.join(5)
            assert built and background.connected
        finally:
            background.close()


def sasl_ssl(port: int, certs: Certs, password: str) -> KafkaSettings:
    return settings(
        bootstrap=f"localhost:{port}",
        security_protocol="SASL_SSL",
        ssl_cafile=str(certs.ca),
        sasl_mechanism="PLAIN",
        sasl_username="newsflow",
        sasl_password=password,
    )


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections and says nothing, not even TLS, until the
    client goes (at most 5 s): a broker still starting, or a listener expecting Kafka in the
    clear."""

    server = socket.create_server(("127.0.0.1", 0))
    with accepting(server, hold_until_the_client_goes, "silent-listener"):
        yield server.getsockname()[1]


@pytest.mark.parametrize("stall", ["in the TLS handshake", "after it"])
def test_sasl_ssl_without_an_answer_in_time_names_both_handshakes(
    certs: Certs, quick_credentials_check: int, stall: str
) -> None:
    """Under SASL_SSL the broker may have stalled in the TLS handshake: the timeout names
    both. kafka-python 3.0.12 puts no timeout on its TLS handshake: the check waited until the
    broker closed the connection (here 5 s; for ever if it never does), then took it for an
    outage."""
    with contextlib.ExitStack() as stack:
        if stall == "after it":  # TLS done, ApiVersions unanswered
            port = stack.enter_context(tls_listener(certs, answers=False))
        else:
            port = stack.enter_context(silent_listener())
        kafka = sasl_ssl(port, certs, BROKER_PASSWORD)
        assert_an_outage_in_time(
            lambda: check_credentials(kafka.servers, kafka.security),
            f"the broker at localhost:{port} did not answer the TLS and SASL handshakes within "
            "0.5 s",
        )


def unclosed_sockets(kafka: KafkaSettings, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ResourceWarnings (`python -X dev`) of the sockets the credentials check left for
    the garbage collector to close. kafka-python's log records are not made: pytest keeps
    them, and with them the exceptions they name, and the frames holding the sockets."""
    caplog.set_level(logging.CRITICAL, logger="kafka")
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with contextlib.suppress(ConfigError, KafkaTimeoutError):
            check_credentials(kafka.servers, kafka.security)
        gc.collect()
    return [
        str(warning.message)
        for warning in caught
        if issubclass(warning.category, ResourceWarning)
        and "socket" in str(warning.message).lower()
    ]


@pytest.mark.parametrize(
    "broker",
    [
        "down",
        "refusing the credentials",
        "accepting the credentials",
        "closing the connection in the TLS handshake",
        "silent in the TLS handshake",
    ],
)
def test_the_credentials_check_closes_its_connection_whatever_the_broker_did(
    certs: Certs, quick_credentials_check: int, broker: str, caplog: pytest.LogCaptureFixture
) -> None:
    """kafka-python 3.0.12 left the socket of a connection refused, and that of a TLS
    handshake cut or unanswered, to the garbage collector: a ResourceWarning for every client
    a failed check came before."""
    with contextlib.ExitStack() as stack:
        if broker == "down":
            kafka = sasl(f"127.0.0.1:{free_port()}", BROKER_PASSWORD)
        elif broker.endswith("credentials"):
            password = BROKER_PASSWORD if broker.startswith("accepting") else "not-the-password"
            kafka = sasl(stack.enter_context(sasl_broker()), password)
        else:
            if broker.startswith("closing"):
                server = socket.create_server(("127.0.0.1", 0))
                stack.enter_context(accepting(server, socket.socket.close, "closing-listener"))
                port = server.getsockname()[1]
            else:
                port = stack.enter_context(silent_listener())
            kafka = sasl_ssl(port, certs, BROKER_PASSWORD)
        assert unclosed_sockets(kafka, caplog) == []


def test_every_security_variable_is_a_setting() -> None:
    from newsflow.kafka.security import OPTIONS, variable

    envs = {setting.env for setting in KAFKA_SETTINGS}
    assert {variable(option) for option in OPTIONS} <= envs


def test_credentials_are_tried_on_the_bootstrap_server_that_took_the_connection() -> None:
    """The first servers listed down, the last up: the credentials are tried on the one that
    answers, not on a server picked at random (kafka-python shuffles the bootstrap list), whose
    outage was taken for the credentials passing, and left the refusal to a 30 s timeout."""
    down = ",".join(f"127.0.0.1:{free_port()}" for _ in range(9))
    with sasl_broker() as bootstrap:
        kafka = sasl(f"{down},{bootstrap}", "not-the-password")
        with pytest.raises(ConfigError, match=f"the broker at {bootstrap} refused the SASL"):
            check_at_broker(kafka.servers, kafka.security)

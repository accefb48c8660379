"""A service whose broker presents a certificate the configured CA does not verify, or refuses
its client certificate or its SASL credentials, stops with a configuration error (exit status
2): real processes.

Before, kafka-python logged the failed handshake or the refusal and retried until its
bootstrap timed out (30 s), raising a retriable KafkaTimeoutError; the worker exited 1 and was
restarted to fail the same way, again and again, and the service never stopped nor worked.
Tansu has neither TLS nor SASL: the TLS listener is Python's ssl module serving a certificate
made by the test, the SASL one a fake broker that answers the handshake and nothing more
(tests/sasl_broker.py); a client gets no further than either, which is all this is about."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.sasl_broker import sasl_broker
from tests.tls_certs import Certs, make_certs, tls_listener

from newsflow.errors import CONFIG_ERROR_EXIT

pytestmark = pytest.mark.kafka


@pytest.fixture
def certs(tmp_path: Path) -> Certs:
    return make_certs(tmp_path)


@pytest.fixture
def listener(certs: Certs) -> Iterator[str]:
    with tls_listener(certs) as port:
        yield f"localhost:{port}"


def ended(running: Any) -> tuple[int | None, str]:
    """The service's exit status within 60 s (None: still running, as it did before), and its
    log."""
    try:
        status = running.process.wait(60)
    except subprocess.TimeoutExpired:
        status = None
    return status, running.log_text(limit=100_000)


@pytest.mark.parametrize("service", ["ingest", "extract"])
def test_a_service_whose_broker_certificate_does_not_verify_stops_with_exit_status_2(
    start_service: Any, certs: Certs, listener: str, service: str
) -> None:
    running = start_service(
        service,
        NEWSFLOW_KAFKA_BOOTSTRAP=listener,
        NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SSL",
        NEWSFLOW_KAFKA_SSL_CAFILE=str(certs.other_ca),
    )
    status, log = ended(running)
    assert status == CONFIG_ERROR_EXIT, log
    assert f"the broker at {listener} presented a certificate that does not verify" in log
    assert "worker died; restarting it" not in log, log


@pytest.mark.parametrize("service", ["ingest", "extract"])
def test_a_service_whose_client_certificate_the_broker_refuses_stops_with_exit_status_2(
    start_service: Any, certs: Certs, service: str
) -> None:
    """Mutual TLS, a listener trusting another CA: under TLS 1.3 its refusal comes after the
    client's handshake, at the first read. The check was a handshake alone, and let it
    through; kafka-python retried the refusal as an outage, and the worker was restarted."""
    with tls_listener(certs, client_ca=certs.other_ca) as port:
        running = start_service(
            service,
            NEWSFLOW_KAFKA_BOOTSTRAP=f"localhost:{port}",
            NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SSL",
            NEWSFLOW_KAFKA_SSL_CAFILE=str(certs.ca),
            NEWSFLOW_KAFKA_SSL_CERTFILE=str(certs.client_cert),
            NEWSFLOW_KAFKA_SSL_KEYFILE=str(certs.client_key),
        )
        status, log = ended(running)
    assert status == CONFIG_ERROR_EXIT, log
    assert (
        f"the broker at localhost:{port} refused the client certificate "
        f"NEWSFLOW_KAFKA_SSL_CERTFILE {certs.client_cert} (unknown_ca)"
    ) in log
    assert "worker died; restarting it" not in log, log


def test_a_service_given_a_ca_file_that_is_not_pem_does_not_start(
    start_service: Any, certs: Certs, listener: str
) -> None:
    running = start_service(
        "extract",
        NEWSFLOW_KAFKA_BOOTSTRAP=listener,
        NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SSL",
        NEWSFLOW_KAFKA_SSL_CAFILE=str(certs.not_pem),
    )
    assert running.process.wait(60) == CONFIG_ERROR_EXIT
    log = running.log_text()
    assert f"configuration error: NEWSFLOW_KAFKA_SSL_CAFILE {certs.not_pem} holds no" in log, log


@pytest.mark.parametrize("service", ["ingest", "extract"])
def test_a_service_whose_sasl_credentials_are_refused_stops_with_exit_status_2(
    start_service: Any, service: str
) -> None:
    with sasl_broker() as bootstrap:
        running = start_service(
            service,
            NEWSFLOW_KAFKA_BOOTSTRAP=bootstrap,
            NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            NEWSFLOW_KAFKA_SASL_MECHANISM="PLAIN",
            NEWSFLOW_KAFKA_SASL_USERNAME="newsflow",
            NEWSFLOW_KAFKA_SASL_PASSWORD="not-the-password",
        )
        status, log = ended(running)
    assert status == CONFIG_ERROR_EXIT, log
    assert f"the broker at {bootstrap} refused the SASL credentials" in log
    assert "not-the-password" not in log
    assert "worker died; restarting it" not in log, log


def topics_create(bootstrap: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`newsflow topics create` (the Kubernetes init container) against `bootstrap`."""
    settings = {**os.environ, "NEWSFLOW_KAFKA_BOOTSTRAP": bootstrap, **env}
    command = [sys.executable, "-m", "newsflow", "topics", "create"]
    return subprocess.run(command, env=settings, capture_output=True, text=True, timeout=60)


def test_topics_create_meeting_a_certificate_that_does_not_verify_is_a_configuration_error(
    certs: Certs, listener: str
) -> None:
    """It waited kafka-python's 30 s, then asked whether the broker was up (exit status 1)."""
    started = time.monotonic()
    done = topics_create(
        listener,
        NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SSL",
        NEWSFLOW_KAFKA_SSL_CAFILE=str(certs.other_ca),
    )
    assert done.returncode == CONFIG_ERROR_EXIT, done.stderr
    assert f"the broker at {listener} presented a certificate that does not verify" in done.stderr
    assert time.monotonic() - started < 20


def test_topics_create_whose_sasl_credentials_are_refused_is_a_configuration_error() -> None:
    with sasl_broker() as bootstrap:
        done = topics_create(
            bootstrap,
            NEWSFLOW_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            NEWSFLOW_KAFKA_SASL_MECHANISM="PLAIN",
            NEWSFLOW_KAFKA_SASL_USERNAME="newsflow",
            NEWSFLOW_KAFKA_SASL_PASSWORD="not-the-password",
        )
    assert done.returncode == CONFIG_ERROR_EXIT, done.stderr
    assert f"the broker at {bootstrap} refused the SASL credentials" in done.stderr
    assert "not-the-password" not in done.stderr

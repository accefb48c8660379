"""Settings: flag beats environment beats default; bad values fail at start-up, clearly."""

import argparse
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.recording import RecordingProducer
from tests.tls_certs import make_certs

from newsflow.cli import main
from newsflow.commands import check_poll_budget, extract_settings
from newsflow.config import (
    Setting,
    add_settings,
    misspelt_variables,
    positive_int,
    redact,
    resolve,
    tcp_port,
)
from newsflow.errors import ConfigError
from newsflow.kafka.settings import KAFKA_SETTINGS, KafkaSettings
from newsflow.service.http import HealthServer
from newsflow.service.runtime import write_ports

SETTINGS = (
    Setting("workers", "processes", 1, positive_int),
    Setting("kafka_sasl_password", "password", secret=True),
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_settings(parser, SETTINGS)
    return parser.parse_args(argv)


def test_flag_beats_environment_beats_default() -> None:
    assert resolve(parse(), SETTINGS, {})["workers"] == 1
    assert resolve(parse(), SETTINGS, {"NEWSFLOW_WORKERS": "3"})["workers"] == 3
    assert resolve(parse("--workers", "5"), SETTINGS, {"NEWSFLOW_WORKERS": "3"})["workers"] == 5


def test_an_empty_variable_means_the_default() -> None:
    """Compose files and Helm values pass `NEWSFLOW_WORKERS: ""` for a setting left unset."""
    assert resolve(parse(), SETTINGS, {"NEWSFLOW_WORKERS": ""})["workers"] == 1


def test_a_bad_value_names_its_source() -> None:
    with pytest.raises(ConfigError, match="invalid NEWSFLOW_WORKERS 'many'"):
        resolve(parse(), SETTINGS, {"NEWSFLOW_WORKERS": "many"})


def test_secrets_are_redacted() -> None:
    values = resolve(parse(), SETTINGS, {"NEWSFLOW_KAFKA_SASL_PASSWORD": "hunter2"})
    assert values["kafka_sasl_password"] == "hunter2"
    assert redact(values, SETTINGS)["kafka_sasl_password"] == "***"
    sasl = {
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "NEWSFLOW_KAFKA_SASL_MECHANISM": "PLAIN",
        "NEWSFLOW_KAFKA_SASL_USERNAME": "svc",
        "NEWSFLOW_KAFKA_SASL_PASSWORD": "hunter2",
    }
    kafka = KafkaSettings.from_values(resolve(argparse.Namespace(), KAFKA_SETTINGS, sasl))
    assert "hunter2" not in repr(kafka)


def test_a_secret_that_does_not_parse_is_not_shown_in_the_error() -> None:
    token = Setting("intake_token", "token", parse=bytes.fromhex, secret=True)
    with pytest.raises(ConfigError) as raised:
        resolve(argparse.Namespace(), [token], {"NEWSFLOW_INTAKE_TOKEN": "hunter2-not-hex"})
    assert "hunter2" not in str(raised.value)
    assert str(raised.value).startswith("invalid NEWSFLOW_INTAKE_TOKEN (secret): ")


@pytest.mark.parametrize(("text", "port"), [("0", 0), ("65535", 65535), ("65536", None)])
def test_a_port_is_any_from_0_for_a_free_one_to_65535(text: str, port: int | None) -> None:
    if port is None:
        with pytest.raises(ValueError, match="from 0 to 65535"):
            tcp_port(text)
    else:
        assert tcp_port(text) == port


def test_security_settings_pass_through_to_kafka_python(tmp_path: Path) -> None:
    ca = make_certs(tmp_path).ca  # (it must be a CA file: tests/unit/kafka/test_security.py)
    environ = {
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        "NEWSFLOW_KAFKA_SASL_MECHANISM": "scram-sha-512",
        "NEWSFLOW_KAFKA_SASL_USERNAME": "svc",
        "NEWSFLOW_KAFKA_SASL_PASSWORD": "pw",
        "NEWSFLOW_KAFKA_SSL_CAFILE": str(ca),
    }
    kafka = KafkaSettings.from_values(resolve(argparse.Namespace(), KAFKA_SETTINGS, environ))
    assert kafka.common() == {
        "bootstrap_servers": ["localhost:9092"],
        "client_id": "newsflow",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "pw",
        "ssl_cafile": str(ca),
    }


def test_unknown_security_protocol_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected one of PLAINTEXT"):
        resolve(argparse.Namespace(), KAFKA_SETTINGS, {"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "TLS"})


@pytest.mark.parametrize(
    ("bootstrap", "said"),
    [
        (",", "names no server"),
        ("kafka:ninety", "is no host:port list"),
        ("[::1", "host:port"),
        # a label over 63 characters: waited for 30 s in plain text, a UnicodeError traceback
        # from the TLS check (exit 1)
        (f"{'a' * 64}.example.com:9092", f"host {'a' * 64}.example.com is no host name"),
        ("kafka..example.com:9092", "host kafka..example.com is no host name"),
    ],
)
def test_a_bootstrap_list_kafka_python_cannot_read_is_refused(bootstrap: str, said: str) -> None:
    """It was taken, and a worker waiting for "," failed with an UnboundLocalError."""
    with pytest.raises(ConfigError, match=f"NEWSFLOW_KAFKA_BOOTSTRAP.*{re.escape(said)}"):
        resolve(argparse.Namespace(), KAFKA_SETTINGS, {"NEWSFLOW_KAFKA_BOOTSTRAP": bootstrap})
    for good in (
        "kafka-0:9092,kafka-1:9092",
        "SASL_SSL://broker:9093",
        "[::1]:9092",
        "kafka",
        "127.0.0.1:9092",
        "bücher.example:9092",
        f"{'a' * 63}.example.com:9092",
    ):
        resolve(argparse.Namespace(), KAFKA_SETTINGS, {"NEWSFLOW_KAFKA_BOOTSTRAP": good})


def test_the_default_poll_budget_fits_and_a_too_large_batch_is_refused() -> None:
    defaults = resolve(argparse.Namespace(), extract_settings(), {})
    check_poll_budget(defaults)
    with pytest.raises(ConfigError, match="kafka_max_poll_records"):
        check_poll_budget({**defaults, "kafka_max_poll_records": 500})
    # 25 records × (5 s + 1 s) is half of the default 300 s interval: that fits, one more not
    check_poll_budget({**defaults, "kafka_max_poll_records": 25})
    with pytest.raises(ConfigError, match="= 156 s exceeds half"):
        check_poll_budget({**defaults, "kafka_max_poll_records": 26})


def test_service_help_documents_every_variable(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    text = capsys.readouterr().out
    for setting in extract_settings():
        assert setting.env in text.replace("\n", " ").replace("  ", " ") or setting.env in text


def test_extract_refuses_to_start_with_an_unsafe_poll_budget(
    capsys: pytest.CaptureFixture,
) -> None:
    assert main(["extract", "--kafka-max-poll-records", "500"]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_a_line_filter_larger_than_a_redis_string_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["process", "--line-filter-mib", "1024", "--out", str(tmp_path), str(tmp_path)])
    assert status == 2
    assert "invalid --line-filter-mib '1024': must be at most 512" in capsys.readouterr().err


@pytest.mark.parametrize(("limit", "sent"), [(None, 1), ("1000", 0)])
def test_publish_refuses_what_process_would_reject_by_the_same_size_setting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    limit: str | None,
    sent: int,
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>" + "word " * 1000 + "</p></body></html>")
    producer = RecordingProducer()
    monkeypatch.setattr("newsflow.kafka.clients.make_producer", lambda kafka: producer)
    if limit:
        monkeypatch.setenv("NEWSFLOW_MAX_MESSAGE_BYTES", limit)
    assert main(["publish", str(page)]) == (0 if sent else 1)
    assert len(producer.sent) == sent
    if not sent:
        assert "too_large" in capsys.readouterr().err


def test_publish_checks_its_inputs_before_it_asks_the_broker_for_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped input was reported only once a producer had connected (against a broker
    that was down, as a Kafka error after a minute)."""

    def no_producer(kafka: object) -> None:
        raise AssertionError("a producer was made")

    monkeypatch.setattr("newsflow.kafka.clients.make_producer", no_producer)
    assert main(["publish", str(tmp_path / "typo.ndjson")]) == 2
    assert "input not found: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        # both ended in a traceback (ValueError, OverflowError) with exit 1, not exit 2
        ("NEWSFLOW_LOG_LEVEL", "verbose", "expected one of DEBUG, INFO, WARNING, ERROR"),
        ("NEWSFLOW_HTTP_PORT", "70000", "must be a port from 0 to 65535"),
        # ran, and ended its first stop in an OverflowError traceback (selectors: cannot
        # convert float infinity to integer)
        ("NEWSFLOW_SHUTDOWN_TIMEOUT", "inf", "must be a finite number"),
        ("NEWSFLOW_INTAKE_RATE_LIMIT", "inf", "must be a finite number"),
        ("NEWSFLOW_KAFKA_LINGER_MS", "-1", "must not be negative"),  # handed to kafka-python
    ],
)
def test_a_service_refuses_a_bad_value_before_it_starts(
    variable: str,
    value: str,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["ingest"]) == 2
    assert f"invalid {variable} {value!r}: {said}" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["ingest"], ["extract"], ["topics", "create"]])
def test_a_heartbeat_no_shorter_than_the_session_is_refused_before_anything_starts(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS=1000 newsflow ingest` (the heartbeat left at 3000):
    kafka-python refused the consumer in each worker, which died with exit 1 and was restarted
    every second, for ever."""
    monkeypatch.setenv("NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS", "1000")
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "kafka_heartbeat_interval_ms (3000) must be lower than" in err
    assert "kafka_session_timeout_ms (1000)" in err


def test_a_metrics_port_that_is_the_intakes_own_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Its listener would not start (the port taken by the intake's): a message naming the two
    settings, not one saying the port is in use."""
    monkeypatch.setenv("NEWSFLOW_HTTP_PORT", "8001")
    monkeypatch.setenv("NEWSFLOW_METRICS_PORT", "8001")
    assert main(["ingest"]) == 2
    assert "NEWSFLOW_METRICS_PORT is NEWSFLOW_HTTP_PORT (8001)" in capsys.readouterr().err


def test_an_http_address_that_cannot_be_served_is_a_configuration_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match="NEWSFLOW_HTTP_PORT"):
            HealthServer("127.0.0.1", taken.getsockname()[1], ready=lambda: (True, {}))
    with pytest.raises(ConfigError, match="NEWSFLOW_HTTP_HOST"):
        HealthServer("no-such-host.invalid", 0, ready=lambda: (True, {}))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match="NEWSFLOW_METRICS_PORT"):
            port = taken.getsockname()[1]
            HealthServer(
                "127.0.0.1", port, ready=lambda: (True, {}), setting="NEWSFLOW_METRICS_PORT"
            )


def test_a_ports_file_that_cannot_be_written_stops_the_service_before_it_starts(
    tmp_path: Path,
) -> None:
    """A health check reading it would find no port: said at once, not found out as an
    unhealthy container."""
    env = {
        **os.environ,
        "NEWSFLOW_HTTP_HOST": "127.0.0.1",
        "NEWSFLOW_HTTP_PORT": "0",
        "NEWSFLOW_PORTS_FILE": str(tmp_path / "no-such-directory" / "ports.json"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    ran = subprocess.run(
        [sys.executable, "-m", "newsflow", "extract"],
        env=env,
        cwd=tmp_path,  # (its embedded store's file, were it to start)
        capture_output=True,
        timeout=30,
    )
    assert ran.returncode == 2
    assert b"NEWSFLOW_PORTS_FILE: cannot write" in ran.stderr
    assert b"No such file or directory" in ran.stderr


def test_a_ports_file_that_cannot_be_put_in_place_leaves_nothing_beside_it(
    tmp_path: Path,
) -> None:
    """The ports are written beside the file, then renamed over it: when the rename fails (a
    directory of its name), the file written beside it was left behind."""
    (tmp_path / "ports.json").mkdir()
    with pytest.raises(ConfigError, match="NEWSFLOW_PORTS_FILE: cannot write"):
        write_ports(str(tmp_path / "ports.json"), {"http_port": 8002, "metrics_port": None})
    assert [path.name for path in tmp_path.iterdir()] == ["ports.json"]


@pytest.mark.parametrize(
    ("error", "said_first", "hinted"),
    [
        ("KafkaTimeoutError", "KafkaTimeoutError: Unable to bootstrap", True),
        ("KafkaConnectionError", "KafkaConnectionError: Unable to bootstrap", True),
        ("NodeNotReadyError", "NodeNotReadyError: Unable to bootstrap", True),
        ("BrokerNotAvailableError", "[Error 8] BrokerNotAvailableError: Unable", True),
        ("TopicAuthorizationFailedError", "[Error 29] TopicAuthorizationFailedError", False),
    ],
)
def test_a_kafka_error_is_said_in_one_line_and_an_unreached_broker_blames_the_address(
    error: str,
    said_first: str,
    hinted: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """`topics create` and `publish` against a broker that is down ended in a traceback; then
    every Kafka error asked whether NEWSFLOW_KAFKA_BOOTSTRAP was right, a refusal by a broker
    that answered (an authorization failure) too."""
    import kafka.errors

    import newsflow.kafka.clients as clients

    def failing(*args: object, **kwargs: object) -> None:
        raise getattr(kafka.errors, error)("Unable to bootstrap from ['127.0.0.1:1']")

    monkeypatch.setattr(clients, "create_topics", failing)
    assert main(["topics", "create", "--kafka-bootstrap", "127.0.0.1:1"]) == 1
    said = capsys.readouterr().err
    assert said.startswith("newsflow: Kafka: " + said_first)
    assert ("NEWSFLOW_KAFKA_BOOTSTRAP" in said) is hinted
    assert "Traceback" not in said and said.count("\n") == 1


def test_ctrl_c_ends_a_command_with_status_130_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`newsflow tail` runs until Ctrl-C: that is its normal end, as the shell's 128 + SIGINT."""
    import newsflow.commands as commands

    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run_tail", interrupted)
    try:
        status = main(["tail", "articles.clean"])
    except KeyboardInterrupt:  # (caught here, or it would stop the test run)
        status = None
    assert status == 130


def test_a_misspelt_variable_is_told_and_other_variables_are_not() -> None:
    """NEWSFLOW_STORE_URLS (a typo) was ignored without a word: the command ran on its
    default store. Names far from every setting's (the suite's own variables) are no typos."""
    known = {"NEWSFLOW_STORE_URL", "NEWSFLOW_WORKERS", "NEWSFLOW_KAFKA_BOOTSTRAP"}
    environ = {
        "NEWSFLOW_STORE_URLS": "redis://x",
        "NEWSFLOW_REDIS_URL": "redis://x",
        "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS": "b:9092",
        "NEWSFLOW_WORKERS": "2",
        "NEWSFLOW_TEST_REDIS_URL": "redis://y",
        "NEWSFLOW_FAULT_SECONDS": "10",
        "STORE_URL": "redis://z",
    }
    assert misspelt_variables(environ, known) == [
        ("NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS", "NEWSFLOW_KAFKA_BOOTSTRAP"),
        ("NEWSFLOW_REDIS_URL", "NEWSFLOW_STORE_URL"),
        ("NEWSFLOW_STORE_URLS", "NEWSFLOW_STORE_URL"),
    ]


def test_the_command_warns_of_a_misspelt_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSFLOW_STORY_TRESHOLD", "0.5")
    assert main(["stories", "--store-url", ":memory:"]) == 0
    assert "NEWSFLOW_STORY_TRESHOLD is no setting, ignored (NEWSFLOW_STORY_THRESHOLD?)" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("flag", ["--partitions", "--replication"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_topics_create_refuses_no_partitions_or_replicas_before_asking_the_broker(
    flag: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Tansu created a topic of 0 partitions, which no worker can read (Kafka refuses it)."""
    import newsflow.kafka.clients as clients

    asked: list[object] = []
    monkeypatch.setattr(clients, "create_topics", lambda *args, **kwargs: asked.append(args))
    with pytest.raises(SystemExit) as stopped:
        main(["topics", "create", "--kafka-bootstrap", "127.0.0.1:1", flag, value])
    assert stopped.value.code == 2 and asked == []
    assert f"argument {flag}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["tail", "articles.clean", "--max", "0"],  # never stopped: it counted from 1
        ["tail", "articles.clean", "--idle-timeout", "nan"],
        ["replay", "--idle-timeout", "-1"],
        ["replay", "--join-timeout", "inf"],
    ],
)
def test_the_tools_refuse_a_count_or_a_wait_that_cannot_end(
    command: list[str], capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(command)
    assert stopped.value.code == 2
    assert f"argument {command[-2]}" in capsys.readouterr().err

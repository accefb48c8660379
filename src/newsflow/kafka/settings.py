"""Kafka client settings: bootstrap, security (SASL/SSL, checked, then passed through), group
timings, topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsflow.config import Setting, boolean, non_negative_int, positive_int
from newsflow.errors import ConfigError
from newsflow.kafka.security import OPTIONS, check_security

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI")
COMPRESSION = ("none", "gzip", "snappy", "lz4", "zstd")


def _choice(options: tuple[str, ...]) -> Any:
    def parse(text: str) -> str:
        value = text.strip()
        match = {o.lower(): o for o in options}.get(value.lower())
        if match is None:
            raise ValueError(f"expected one of {', '.join(options)}")
        return match

    return parse


def _bootstrap(text: str) -> str:
    """At least one `host[:port]`, comma-separated, each as kafka-python reads it."""
    from kafka.cluster import collect_hosts

    servers = [server.strip() for server in text.split(",") if server.strip()]
    if not servers:
        raise ValueError("names no server (host:port, comma-separated)")
    try:
        hosts = collect_hosts(servers, randomize=False)
    except ValueError as exc:  # a port that is no number, an unclosed IPv6 bracket
        raise ValueError(f"is no host:port list ({exc})") from exc
    for host, _port, _family in hosts:
        try:  # as the resolver will: a label empty or over 63 characters fails there
            host.encode("idna")
        except UnicodeError as exc:
            raise ValueError(f"host {host} is no host name ({exc})") from exc
    return text


KAFKA_SETTINGS = (
    Setting(
        "kafka_bootstrap", "Kafka bootstrap servers, comma-separated", "localhost:9092", _bootstrap
    ),
    Setting("kafka_client_id", "client id prefix sent to the broker", "newsflow"),
    Setting(
        "kafka_security_protocol",
        "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
        "PLAINTEXT",
        _choice(SECURITY_PROTOCOLS),
    ),
    Setting(
        "kafka_sasl_mechanism",
        "SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (or GSSAPI with the gssapi package)",
        None,
        _choice(SASL_MECHANISMS),
    ),
    Setting("kafka_sasl_username", "SASL username"),
    Setting("kafka_sasl_password", "SASL password", secret=True),
    Setting("kafka_ssl_cafile", "CA bundle to verify the brokers"),
    Setting("kafka_ssl_certfile", "client certificate (mutual TLS)"),
    Setting("kafka_ssl_keyfile", "client private key (mutual TLS)"),
    Setting("kafka_ssl_password", "password of the client key", secret=True),
    Setting("kafka_session_timeout_ms", "consumer group session timeout", 45000, positive_int),
    Setting("kafka_heartbeat_interval_ms", "consumer heartbeat interval", 3000, positive_int),
    Setting(
        "kafka_max_poll_interval_ms",
        "longest pause between polls before leaving the group",
        300000,
        positive_int,
    ),
    Setting(
        "kafka_max_poll_records", "records per batch (bounds time between polls)", 20, positive_int
    ),
    Setting(
        "kafka_compression",
        "producer compression: none, gzip, snappy, lz4, zstd",
        "zstd",
        _choice(COMPRESSION),
    ),
    Setting(
        "kafka_linger_ms",
        "producer batching delay (a batch's outputs go at its flush at the latest)",
        100,
        non_negative_int,
    ),
    Setting("kafka_batch_bytes", "producer batch size per partition", 256 * 1024, positive_int),
    Setting(
        "kafka_idempotence",
        "idempotent producer (keep on with Apache Kafka; see README for the Tansu restart gap)",
        True,
        boolean,
    ),
    Setting(
        "kafka_max_request_bytes",
        "largest produce request (raise for big pages)",
        16 * 1024 * 1024,
        positive_int,
    ),
)

TOPIC_SETTINGS = (
    Setting("topic_raw", "raw article messages", "articles.raw"),
    Setting("topic_ingested", "validated articles", "articles.ingested"),
    Setting("topic_rejected", "messages rejected by ingest", "articles.rejected"),
    Setting("topic_clean", "clean article events", "articles.clean"),
    Setting("topic_duplicates", "duplicate article events", "articles.duplicates"),
    Setting("topic_dlq", "messages extract could not process", "articles.dlq"),
)


@dataclass(frozen=True)
class Topics:
    """The topic names (configuration; these are the defaults)."""

    raw: str = "articles.raw"
    ingested: str = "articles.ingested"
    rejected: str = "articles.rejected"
    clean: str = "articles.clean"
    duplicates: str = "articles.duplicates"
    dlq: str = "articles.dlq"

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Topics:
        return cls(**{s.field.removeprefix("topic_"): values[s.field] for s in TOPIC_SETTINGS})

    def all(self) -> list[str]:
        return [self.raw, self.ingested, self.rejected, self.clean, self.duplicates, self.dlq]

    def used_by(self, service: str) -> list[str]:
        """The topics a service reads and writes, its input first."""
        if service == "ingest":  # (its HTTP intake writes to its input)
            return [self.raw, self.ingested, self.rejected]
        return [self.ingested, self.clean, self.duplicates, self.dlq]


@dataclass(frozen=True)
class KafkaSettings:
    """Everything the Kafka clients need; `repr` hides the secrets."""

    bootstrap: str
    client_id: str = "newsflow"
    security: dict[str, Any] = field(default_factory=dict, repr=False)
    session_timeout_ms: int = 45000
    heartbeat_interval_ms: int = 3000
    max_poll_interval_ms: int = 300000
    max_poll_records: int = 20
    compression: str = "zstd"
    linger_ms: int = 100
    batch_bytes: int = 256 * 1024
    max_request_bytes: int = 16 * 1024 * 1024
    idempotence: bool = True

    def __post_init__(self) -> None:
        # kafka-python refuses such a consumer when it is made, in each worker: the workers
        # died and were restarted every second, the service never stopping nor working.
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ConfigError(
                f"kafka_heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be lower than "
                f"kafka_session_timeout_ms ({self.session_timeout_ms}); a third of it or less "
                "(NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS, NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS)"
            )
        # kafka-python reads these files and uses these credentials only at each connect, and
        # retries any failure there as an outage: the workers restarted again and again.
        check_security(self.security)

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> KafkaSettings:
        security = {option: values[name] for option, name in OPTIONS.items() if values.get(name)}
        return cls(
            bootstrap=values["kafka_bootstrap"],
            client_id=values["kafka_client_id"],
            security=security,
            session_timeout_ms=values["kafka_session_timeout_ms"],
            heartbeat_interval_ms=values["kafka_heartbeat_interval_ms"],
            max_poll_interval_ms=values["kafka_max_poll_interval_ms"],
            max_poll_records=values["kafka_max_poll_records"],
            compression=values["kafka_compression"],
            linger_ms=values["kafka_linger_ms"],
            batch_bytes=values["kafka_batch_bytes"],
            max_request_bytes=values["kafka_max_request_bytes"],
            idempotence=values["kafka_idempotence"],
        )

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]

    def common(self) -> dict[str, Any]:
        """Options shared by every kafka-python client."""
        return {"bootstrap_servers": self.servers, "client_id": self.client_id, **self.security}

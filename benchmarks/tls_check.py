"""What the TLS start-up check costs a broker that takes the client: `python -m
benchmarks.tls_check`.

Against a local mutual-TLS listener that answers ApiVersions (`tests/tls_certs.py`, TCP_NODELAY
as Kafka's own listener), alternately: `check_at_broker` as a process runs it once (the TLS
context built, a connection, the handshake, kafka-python's ApiVersions request and the first
byte of its answer), and the same without the request, a handshake alone (the check before
2026-12-07, which let a refused client certificate through). Prints the median, 90th
percentile and maximum of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.tls_certs import make_certs, tls_listener

from newsflow.kafka import security


def handshake_alone(port: int, settings: dict[str, str]) -> None:
    context = security.tls_context(settings)
    assert context is not None
    with (
        socket.create_connection(("localhost", port), timeout=1.0) as sock,
        context.wrap_socket(sock, server_hostname="localhost"),
    ):
        pass


def check(port: int, settings: dict[str, str]) -> None:
    security._ACCEPTED.clear()  # as a new process: checked once per process
    security.check_at_broker([f"localhost:{port}"], settings)


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return (
        f"{name}: median {statistics.median(ms):.1f} ms, p90 {ms[int(len(ms) * 0.9)]:.1f} ms, "
        f"max {ms[-1]:.1f} ms ({len(ms)} runs)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    certs = make_certs(Path(tempfile.mkdtemp(prefix="tls-check-")))
    settings = {
        "security_protocol": "SSL",
        "ssl_cafile": str(certs.ca),
        "ssl_certfile": str(certs.client_cert),
        "ssl_keyfile": str(certs.client_key),
    }
    times: dict[str, list[float]] = {"handshake alone": [], "check_at_broker": []}
    with tls_listener(certs, client_ca=certs.ca) as port:
        for _ in range(args.runs):
            for name, run in (("handshake alone", handshake_alone), ("check_at_broker", check)):
                started = time.perf_counter()
                run(port, settings)
                times[name].append(time.perf_counter() - started)
    for name, seconds in times.items():
        print(summary(name, seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

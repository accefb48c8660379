"""`newsflow demo` reads no setting (README, Configuration): its services run on its own broker,
topics and store whatever `NEWSFLOW_*` variables the shell holds."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from newsflow.cli import build_parser
from newsflow.tools import demo


class _Broker:
    bootstrap = "127.0.0.1:19092"

    def __enter__(self) -> _Broker:
        return self

    def __exit__(self, *_: object) -> None:
        pass


def test_the_demo_services_take_none_of_the_shells_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A shell set up for a real deployment sent the demo's services to its topics (the demo
    made the default ones and waited for outcomes that never came) or to its SASL listener."""
    started: list[dict[str, str]] = []

    class Service:
        def __init__(self, name: str, env: dict[str, str], log: Path, args: Any) -> None:
            self.name, self.log = name, log
            started.append(dict(env))

        def url(self, path: str) -> str:
            return path

        def wait_ready(self) -> None:
            raise KeyboardInterrupt  # (the demo stops here, as on Ctrl-C)

    monkeypatch.setattr(demo, "LocalBroker", _Broker)
    monkeypatch.setattr(demo, "create_topics", lambda *a, **k: [])
    monkeypatch.setattr(demo, "ServiceProcess", Service)
    monkeypatch.setattr(demo, "stop_all", lambda *a, **k: None)
    monkeypatch.setenv("NEWSFLOW_TOPIC_RAW", "prod.articles.raw")
    monkeypatch.setenv("NEWSFLOW_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("NEWSFLOW_EXTRACT_TIME_LIMIT", "0.01")
    monkeypatch.setenv("NOT_NEWSFLOWS", "kept")

    assert demo.run_demo([tmp_path], workers=1, keep_running=False, out=io.StringIO()) == 0

    assert [env["NEWSFLOW_KAFKA_BOOTSTRAP"] for env in started] == [_Broker.bootstrap] * 2
    for env in started:
        assert "NEWSFLOW_TOPIC_RAW" not in env
        assert "NEWSFLOW_KAFKA_SECURITY_PROTOCOL" not in env
        assert "NEWSFLOW_EXTRACT_TIME_LIMIT" not in env
        assert env["NOT_NEWSFLOWS"] == "kept"  # the rest of the environment (PATH, HOME…)


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_the_demo_takes_one_extract_worker_at_least(workers: str) -> None:
    """`--workers 0` started a broker and both services before the extract service refused
    it, the demo ending with its log (exit 1) rather than a usage error."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--workers", workers])

"""docker-compose.secure.yml: the SASL_SSL variant is valid Compose and uses real settings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from deploy_support import ROOT, load_yaml, settings_by_command

SECURE = ROOT / "docker-compose.secure.yml"


@pytest.fixture(scope="module")
def secure() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(SECURE)
    return data


def test_validates_against_the_compose_specification(secure: dict[str, Any]) -> None:
    path = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [e.message for e in validator.iter_errors(secure)] == []


def test_every_client_uses_sasl_ssl_with_real_settings(secure: dict[str, Any]) -> None:
    known = settings_by_command()
    commands = {"topics": "topics", "ingest": "ingest", "extract": "extract", "loadgen": "publish"}
    for name, command in commands.items():
        env = secure["services"][name]["environment"]
        assert env["NEWSFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["NEWSFLOW_KAFKA_BOOTSTRAP"] == "kafka:9095"
        assert set(env) <= known[command], name
        assert env["NEWSFLOW_KAFKA_SASL_PASSWORD"].startswith("${")  # never a literal secret


def test_the_broker_offers_the_secure_listener(secure: dict[str, Any]) -> None:
    env = secure["services"]["kafka"]["environment"]
    assert "SECURE:SASL_SSL" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    assert "SECURE://kafka:9095" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_no_listener_published_on_the_host_is_plaintext(secure: dict[str, Any]) -> None:
    """The base file publishes the HOST listener (9094) on the host: left PLAINTEXT, anyone
    reaching the host could produce and consume without credentials."""
    env = secure["services"]["kafka"]["environment"]
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    base = load_yaml(ROOT / "docker-compose.yml")["services"]["kafka"]
    published = {mapping.split(":")[-1] for mapping in base["ports"]}
    listeners = [entry.split("://") for entry in env["KAFKA_LISTENERS"].split(",")]
    exposed = {name for name, address in listeners if address.split(":")[-1] in published}
    assert exposed == {"HOST"} and protocols["HOST"] == "SASL_SSL"
    assert "KAFKA_LISTENER_NAME_HOST_PLAIN_SASL_JAAS_CONFIG" in env


def test_make_certs_writes_a_ca_and_a_pem_keystore(tmp_path: Path) -> None:
    assert shutil.which("openssl"), "openssl is needed to make the development certificates"
    script = tmp_path / "make-certs.sh"
    shutil.copy(ROOT / "deploy/tls/make-certs.sh", script)
    subprocess.run(["sh", str(script)], check=True, capture_output=True)
    keystore = (tmp_path / "broker.pem").read_text()
    assert "PRIVATE KEY-----" in keystore and "BEGIN CERTIFICATE" in keystore
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "broker.crt")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr


def test_what_compose_takes_from_the_shell_is_a_setting_of_that_name() -> None:
    """Exported in a shell, a NEWSFLOW_* name that is no setting draws a warning from every
    newsflow command run there (NEWSFLOW_KAFKA_PASSWORD was taken for the SSL password's)."""
    text = SECURE.read_text() + (ROOT / "docker-compose.yml").read_text()
    taken = set(re.findall(r"\$\{(NEWSFLOW_\w+)", text))
    assert taken and taken <= set().union(*settings_by_command().values())

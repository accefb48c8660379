"""docker-compose.yml: valid Compose, in agreement with the code and deploy/ (no engine here)."""

from __future__ import annotations

import json
import re
import shlex
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
from deploy_support import (
    COMPOSE,
    METRICS_PORT,
    ROOT,
    SERVICES,
    SUPERVISOR_MIB,
    WORKER_RSS_MIB,
    load_yaml,
    parses_as_newsflow_command,
    probed_port,
    setting_default,
    settings_by_command,
)

PINNED_TAG = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$")
NEWSFLOW_IMAGES = {"topics", "ingest", "extract", "loadgen"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def loadgen_commands(services: dict[str, dict[str, Any]]) -> list[list[str]]:
    script = services["loadgen"]["command"][0].replace("$$", "$")
    return [shlex.split(line.strip())[1:] for line in script.splitlines() if "newsflow " in line]


def test_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    # The official Compose specification schema, as vendored by check-jsonschema.
    path = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_whole_system_is_there(services: dict[str, dict[str, Any]]) -> None:
    expected = {"kafka", "redis", "topics", *SERVICES, "prometheus", "grafana", "loadgen"}
    assert set(services) == expected
    assert services["loadgen"]["profiles"] == ["load"]
    assert all("profiles" not in s for name, s in services.items() if name != "loadgen")


def test_every_image_is_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in NEWSFLOW_IMAGES:
            assert service["build"]["dockerfile"] in {f"services/{s}/Dockerfile" for s in SERVICES}
            assert (ROOT / service["build"]["dockerfile"]).is_file()
        else:
            assert PINNED_TAG.match(service["image"]), f"{name}: {service['image']} is not pinned"


def test_kafka_is_one_kraft_node_on_a_volume(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = environment(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    volume, target = kafka["volumes"][0].split(":")
    assert target == env["KAFKA_LOG_DIRS"] and volume in compose["volumes"]
    assert "healthcheck" in kafka


def test_redis_persists(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    volume, target = redis["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]
    assert "healthcheck" in redis


def test_redis_refuses_writes_when_full_instead_of_evicting_dedup_state(
    compose: dict[str, Any],
) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_commands_are_real_newsflow_commands(services: dict[str, dict[str, Any]]) -> None:
    for name in ("topics", *SERVICES):
        parses_as_newsflow_command(services[name]["command"])
    assert services["ingest"]["command"][0] == "ingest"
    assert services["extract"]["command"][0] == "extract"
    assert services["topics"]["command"][:2] == ["topics", "create"]
    published = loadgen_commands(services)
    assert [argv[0] for argv in published] == ["publish"]
    for argv in published:
        parses_as_newsflow_command(argv)


def test_every_newsflow_variable_is_a_setting_of_that_command(
    services: dict[str, dict[str, Any]],
) -> None:
    known = settings_by_command()
    commands = {name: services[name]["command"][0] for name in ("topics", *SERVICES)}
    commands["loadgen"] = "publish"
    for name, command in commands.items():
        used = {key for key in environment(services[name]) if key.startswith("NEWSFLOW_")}
        assert used <= known[command], f"{name}: not settings of {command}: {used - known[command]}"


def test_services_reach_kafka_and_redis_by_service_name(
    services: dict[str, dict[str, Any]],
) -> None:
    listeners = environment(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"].split(",")
    internal = next(url.split("://")[1] for url in listeners if url.startswith("PLAINTEXT://"))
    for name in ("topics", *SERVICES, "loadgen"):
        assert environment(services[name])["NEWSFLOW_KAFKA_BOOTSTRAP"] == internal
    assert environment(services["extract"])["NEWSFLOW_STORE_URL"].startswith("redis://redis:6379/")


def test_ports_agree_with_the_settings(services: dict[str, dict[str, Any]]) -> None:
    for name in SERVICES:
        port = int(environment(services[name])["NEWSFLOW_HTTP_PORT"])
        assert port == setting_default(name, "NEWSFLOW_HTTP_PORT")
    assert services["ingest"]["ports"] == ["8001:8001"]  # the intake, for crawlers on the host
    metrics_port = int(environment(services["ingest"])["NEWSFLOW_METRICS_PORT"])
    assert metrics_port == METRICS_PORT
    assert services["ingest"]["expose"] == [str(METRICS_PORT)]  # for Prometheus, not the host
    assert services["extract"]["expose"] == ["8002"]


def test_extract_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    extract = services["extract"]
    assert "ports" not in extract and "container_name" not in extract
    assert not any("container_name" in s for s in services.values())


def test_start_order_waits_for_health(services: dict[str, dict[str, Any]]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("topics") == {"kafka": "service_healthy"}
    for name in SERVICES:
        assert conditions(name)["kafka"] == "service_healthy"
        assert conditions(name)["topics"] == "service_completed_successfully"
    assert conditions("extract")["redis"] == "service_healthy"
    assert conditions("grafana") == {"prometheus": "service_healthy"}
    assert conditions("loadgen")["ingest"] == "service_healthy"
    # The load generator runs from the ingest image but serves nothing: not always unhealthy.
    assert services["loadgen"]["healthcheck"] == {"disable": True}
    for dependency in ("kafka", "redis", "prometheus"):
        assert "healthcheck" in services[dependency]


def test_newsflow_containers_are_read_only_with_a_tmpfs(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in NEWSFLOW_IMAGES:
        assert services[name]["read_only"] is True
        assert services[name]["tmpfs"] == ["/tmp"]
        assert services[name]["cap_drop"] == ["ALL"]


def test_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_grafana_finds_its_provisioning_and_dashboard(
    services: dict[str, dict[str, Any]],
) -> None:
    grafana = services["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("./"))
    by_target = {target: ROOT / source for source, target in mounts.items()}
    provider = load_yaml(by_target["/etc/grafana/provisioning"] / "dashboards/newsflow.yml")
    dashboards = provider["providers"][0]["options"]["path"]
    assert (by_target[dashboards] / "newsflow.json").is_file()
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards}/newsflow.json"
    datasource = load_yaml(by_target["/etc/grafana/provisioning"] / "datasources/prometheus.yml")
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_prometheus_scrapes_every_replica_by_service_name(
    services: dict[str, dict[str, Any]],
) -> None:
    mounts = dict(v.split(":")[:2] for v in services["prometheus"]["volumes"] if "./" in v)
    config_dir = ROOT / next(s for s, t in mounts.items() if t == "/etc/prometheus")
    config = load_yaml(config_dir / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in SERVICES:
        (sd,) = jobs[f"newsflow-{name}"]["dns_sd_configs"]
        assert sd["names"] == [name] and sd["type"] == "A"
        assert sd["port"] == probed_port(name)  # ingest: not the intake's port, which can fill
    for rule_file in config["rule_files"]:
        assert (config_dir / rule_file).is_file()


def test_the_services_memory_is_limited_and_every_extractor_at_its_cap_fits(
    services: dict[str, dict[str, Any]],
) -> None:
    """No limit was set: what the README measured was enforced on Kubernetes only, and an
    extractor at the default cap (2048 MiB) in each worker could take the host's memory."""
    limits = {name: services[name].get("mem_limit") for name in SERVICES}
    assert all(limits.values()), limits
    extract = environment(services["extract"])
    cap = int(extract.get("NEWSFLOW_EXTRACT_MEMORY_MB") or 0)
    assert cap > 0, "an extractor without a cap can take the whole container"
    needed = int(extract["NEWSFLOW_WORKERS"]) * (cap + WORKER_RSS_MIB) + SUPERVISOR_MIB
    assert needed <= megabytes(str(limits["extract"]))


def megabytes(limit: str) -> float:
    """A Compose memory limit (512m, 3g, bytes) in MiB."""
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    factor = units.get(limit[-1].lower(), 1)
    return int(limit.rstrip("kKmMgG")) * factor / 2**20

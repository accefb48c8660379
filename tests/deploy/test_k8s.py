"""deploy/k8s: the kustomizations render, validate against the Kubernetes schemas, and agree
with the code (commands, settings, ports) and with each other (selectors, scale targets)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from deploy_support import (
    COMPOSE,
    K8S,
    METRICS_PORT,
    RULES,
    SERVICES,
    SUPERVISOR_MIB,
    WORKER_RSS_MIB,
    containers,
    exported_metrics,
    load_yaml,
    parses_as_newsflow_command,
    probed_port,
    render_kustomization,
    setting_default,
    settings_by_command,
)

KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ("base", "keda", "hpa")
CUSTOM_KINDS = {"ServiceMonitor", "ScaledObject", "TriggerAuthentication", "PrometheusRule"}


def partitions() -> int:
    """Partitions per topic, as docker-compose.yml's `newsflow topics create` makes them."""
    command = load_yaml(COMPOSE)["services"]["topics"]["command"]
    return int(command[command.index("--partitions") + 1])


def render(overlay: str) -> dict[tuple[str, str], dict[str, Any]]:
    objects = render_kustomization(K8S / overlay)
    keyed = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    assert len(keyed) == len(objects), "two objects with the same kind and name"
    return keyed


def deployment(objects: dict[tuple[str, str], dict[str, Any]], service: str) -> dict[str, Any]:
    return objects[("Deployment", f"newsflow-{service}")]


def container_env(
    objects: dict[tuple[str, str], dict[str, Any]], container: dict[str, Any]
) -> dict[str, str]:
    """Every variable the container gets: from ConfigMaps and Secrets, then its own env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        kind, ref = (
            ("ConfigMap", source["configMapRef"])
            if "configMapRef" in source
            else ("Secret", source["secretRef"])
        )
        obj = objects[(kind, ref["name"])]
        env.update(obj.get("data") or obj.get("stringData") or {})
    env.update({item["name"]: item["value"] for item in container.get("env", [])})
    return env


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renders_and_validates_against_the_kubernetes_schemas(overlay: str) -> None:
    for (kind, _), obj in render(overlay).items():
        if kind not in CUSTOM_KINDS:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_runs_the_service_as_configured_by_the_code(service: str) -> None:
    objects = render("base")
    (container,) = deployment(objects, service)["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"newsflow-{service}:0.1.0"
    assert container["args"] == [service]
    parses_as_newsflow_command(container["args"])
    env = container_env(objects, container)
    unknown = {key for key in env if key.startswith("NEWSFLOW_")} - settings_by_command()[service]
    assert unknown == set()
    port = int(env["NEWSFLOW_HTTP_PORT"])
    assert port == setting_default(service, "NEWSFLOW_HTTP_PORT")
    ports = [{"name": "http", "containerPort": port}]
    if service == "ingest":
        assert int(env["NEWSFLOW_METRICS_PORT"]) == METRICS_PORT
        ports.append({"name": "metrics", "containerPort": METRICS_PORT})
    assert container["ports"] == ports


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_has_probes_resources_and_hardening(service: str) -> None:
    spec = deployment(render("base"), service)["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    # Ingest's probes ask its metrics port: the intake's closes connections past its 256, and
    # the liveness probe restarted a pod whose intake was merely busy.
    port = "metrics" if service == "ingest" else "http"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    # The intake stays in its Service while the broker is away, answering 503 + Retry-After
    # itself; an extract pod takes no traffic, and is ready once its workers joined.
    ready_path = "/healthz" if service == "ingest" else "/readyz"
    assert container["readinessProbe"]["httpGet"] == {"path": ready_path, "port": port}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/tmp"
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert "emptyDir" in volume
    grace = setting_default(service, "NEWSFLOW_SHUTDOWN_TIMEOUT")
    assert spec["terminationGracePeriodSeconds"] > grace


def test_services_and_disruption_budgets_select_the_pods() -> None:
    objects = render("base")
    pods = {
        name: obj["spec"]["template"]["metadata"]["labels"]
        for (kind, name), obj in objects.items()
        if kind == "Deployment"
    }
    for (kind, name), obj in objects.items():
        if kind == "Service":
            selector = obj["spec"]["selector"]
        elif kind == "PodDisruptionBudget":
            selector = obj["spec"]["selector"]["matchLabels"]
        else:
            continue
        assert [d for d, labels in pods.items() if matches(selector, labels)], f"{kind} {name}"
    budgets = {name for kind, name in objects if kind == "PodDisruptionBudget"}
    assert budgets == set(pods)


def test_service_monitor_scrapes_both_services_as_the_alerts_expect() -> None:
    objects = render("base")
    monitor = objects[("ServiceMonitor", "newsflow")]["spec"]
    (endpoint,) = monitor["endpoints"]
    scraped = [
        obj
        for (kind, _), obj in objects.items()
        if kind == "Service"
        and matches(monitor["selector"]["matchLabels"], obj["metadata"]["labels"])
    ]
    jobs = {svc["metadata"]["labels"][monitor["jobLabel"]] for svc in scraped}
    assert jobs == {f"newsflow-{service}" for service in SERVICES}
    for svc in scraped:
        (port,) = [p for p in svc["spec"]["ports"] if p["name"] == endpoint["port"]]
        assert svc["spec"]["publishNotReadyAddresses"] is True
        (service,) = [s for s in SERVICES if svc["metadata"]["name"] == f"newsflow-{s}-metrics"]
        (container,) = deployment(objects, service)["spec"]["template"]["spec"]["containers"]
        (target,) = [p for p in container["ports"] if p["name"] == port["targetPort"]]
        assert target["containerPort"] == probed_port(service)  # ingest: not the intake's port
    assert endpoint["path"] == "/metrics"
    # The services' own `service` label (ingest, extract), which the dashboard and alerts
    # filter on, is kept: else the operator's target label, the Service's name, replaces it.
    assert endpoint["honorLabels"] is True


def test_keda_scales_extract_on_the_lag_of_its_consumer_group() -> None:
    objects = render("keda")
    scaled = objects[("ScaledObject", "newsflow-extract")]["spec"]
    extract = deployment(objects, "extract")
    assert scaled["scaleTargetRef"]["name"] == extract["metadata"]["name"]
    (trigger,) = scaled["triggers"]
    env = container_env(objects, extract["spec"]["template"]["spec"]["containers"][0])
    group = env.get("NEWSFLOW_GROUP_ID", setting_default("extract", "NEWSFLOW_GROUP_ID"))
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == group
    assert trigger["metadata"]["topic"] == env["NEWSFLOW_TOPIC_INGESTED"]
    assert trigger["metadata"]["bootstrapServers"] == env["NEWSFLOW_KAFKA_BOOTSTRAP"]
    assert scaled["maxReplicaCount"] * int(env["NEWSFLOW_WORKERS"]) <= partitions()


KEDA_KAFKA_PARAMETERS = {"sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword"}
"""What KEDA's kafka scaler reads from a TriggerAuthentication (keda.sh, Apache Kafka scaler)."""
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}


def secret_value(objects: dict[tuple[str, str], dict[str, Any]], name: str, key: str) -> str:
    secret = objects[("Secret", name)]
    values = {**secret.get("data", {}), **secret.get("stringData", {})}
    assert key in values, f"Secret {name} has no key {key}"
    return str(values[key])


def test_keda_reads_the_lag_with_the_services_kafka_credentials() -> None:
    """The ScaledObject had no TriggerAuthentication: against a SASL or TLS listener KEDA
    could not read the lag, and extract was never scaled. Each parameter comes from a Secret
    key that exists, the password from the services' own, and the rest agrees with the
    services' security settings."""
    objects = render("keda")
    (trigger,) = objects[("ScaledObject", "newsflow-extract")]["spec"]["triggers"]
    auth = objects[("TriggerAuthentication", trigger["authenticationRef"]["name"])]
    assert auth["apiVersion"] == "keda.sh/v1alpha1"
    refs = {ref["parameter"]: ref for ref in auth["spec"]["secretTargetRef"]}
    assert set(refs) == KEDA_KAFKA_PARAMETERS
    assert all(set(ref) == {"parameter", "name", "key"} for ref in refs.values())
    value = {p: secret_value(objects, ref["name"], ref["key"]) for p, ref in refs.items()}
    assert (refs["password"]["name"], refs["password"]["key"]) == (
        "newsflow-kafka",
        "NEWSFLOW_KAFKA_SASL_PASSWORD",
    )
    env = container_env(
        objects, deployment(objects, "extract")["spec"]["template"]["spec"]["containers"][0]
    )
    protocol = env.get("NEWSFLOW_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    assert value["tls"] == ("enable" if protocol in ("SSL", "SASL_SSL") else "disable")
    if protocol.startswith("SASL_"):
        assert value["sasl"] == KEDA_SASL[env["NEWSFLOW_KAFKA_SASL_MECHANISM"]]
        assert value["username"] == env["NEWSFLOW_KAFKA_SASL_USERNAME"]
    else:
        assert value["sasl"] == "none"


def test_hpa_scales_extract_on_an_exported_metric() -> None:
    objects = render("hpa")
    hpa = objects[("HorizontalPodAutoscaler", "newsflow-extract")]["spec"]
    extract = deployment(objects, "extract")
    assert hpa["scaleTargetRef"]["name"] == extract["metadata"]["name"]
    pod_metrics = [m["pods"]["metric"]["name"] for m in hpa["metrics"] if m["type"] == "Pods"]
    assert pod_metrics and set(pod_metrics) <= set(exported_metrics())
    env = container_env(objects, extract["spec"]["template"]["spec"]["containers"][0])
    assert hpa["maxReplicas"] * int(env["NEWSFLOW_WORKERS"]) <= partitions()


def test_images_are_set_in_one_place() -> None:
    images = {c["image"] for c in containers(list(render("base").values()))}
    assert images == {f"newsflow-{service}:0.1.0" for service in SERVICES}


def mebibytes(quantity: str) -> float:
    """A Kubernetes memory quantity (512Mi, 3Gi, 1G, 1048576) in MiB."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if quantity.endswith(suffix) and quantity[: -len(suffix)].isdigit():
            return int(quantity[: -len(suffix)]) * factor / 2**20
    return int(quantity) / 2**20


def test_extract_memory_limit_holds_every_extractor_at_its_cap() -> None:
    """Every extractor at its address-space cap stays under the container's limit: the cap
    refuses the page (extractor_crashed) instead of the OOM killer ending the container, with
    every worker's batch in it (the default cap, 2048 MiB, with 2 workers needs 4.5 GiB)."""
    objects = render("base")
    spec = deployment(objects, "extract")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    env = container_env(objects, container)
    workers = int(env["NEWSFLOW_WORKERS"])
    cap = int(
        env.get(
            "NEWSFLOW_EXTRACT_MEMORY_MB", setting_default("extract", "NEWSFLOW_EXTRACT_MEMORY_MB")
        )
    )
    assert cap > 0, "an extractor without a cap can take the whole container"
    (tmp,) = [v for v in spec["volumes"] if v["name"] == container["volumeMounts"][0]["name"]]
    in_memory = mebibytes(tmp["emptyDir"]["sizeLimit"]) if tmp["emptyDir"].get("medium") else 0
    needed = workers * (cap + WORKER_RSS_MIB) + SUPERVISOR_MIB + in_memory
    assert needed <= mebibytes(container["resources"]["limits"]["memory"])


@pytest.mark.parametrize("service", SERVICES)
def test_the_topics_are_created_before_the_service_starts(service: str) -> None:
    """The service stops on a missing topic, and a broker creating it on demand gives it its
    default partition count (1): every pod first creates the topics (idempotent), with the
    service's own settings and enough partitions for the autoscalers' largest scale."""
    objects = render("base")
    spec = deployment(objects, service)["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    (init,) = spec.get("initContainers", [])
    assert init["image"] == container["image"]
    assert init["args"][:2] == ["topics", "create"]
    parses_as_newsflow_command(init["args"])
    assert init["envFrom"] == container["envFrom"]
    env = container_env(objects, init)
    unknown = {key for key in env if key.startswith("NEWSFLOW_")} - settings_by_command()["topics"]
    assert unknown <= settings_by_command()[service]  # the shared ConfigMap, read by the service
    assert (
        env["NEWSFLOW_KAFKA_BOOTSTRAP"]
        == container_env(objects, container)["NEWSFLOW_KAFKA_BOOTSTRAP"]
    )
    created = int(init["args"][init["args"].index("--partitions") + 1])
    assert created == partitions()
    security = init["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert [m["mountPath"] for m in init["volumeMounts"]] == ["/tmp"]
    assert "memory" in init["resources"]["limits"]


def test_the_alert_rules_reach_the_operators_prometheus() -> None:
    """The ServiceMonitor feeds a Prometheus Operator, which loads rules only from
    PrometheusRule objects: without one, no alert of deploy/prometheus/alerts.yml fired on
    Kubernetes. Its groups are alerts.yml's (promtool checks and tests those)."""
    objects = render("base")
    rule = objects[("PrometheusRule", "newsflow")]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"] == load_yaml(RULES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_kafka_password_reaches_every_container_of_both_services(overlay: str) -> None:
    """The ConfigMap said to put it "in a Secret", but each service read only its own: a
    password added to one reached one service."""
    objects = render(overlay)
    objects[("Secret", "newsflow-kafka")]["stringData"]["NEWSFLOW_KAFKA_SASL_PASSWORD"] = "pw"
    for service in SERVICES:
        spec = deployment(objects, service)["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            env = container_env(objects, container)
            assert env.get("NEWSFLOW_KAFKA_SASL_PASSWORD") == "pw", (service, container["name"])


def network_policies(objects: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj for (kind, _), obj in objects.items() if kind == "NetworkPolicy"]


def pod_templates(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployment name → its pod template (labels, containers)."""
    return {
        name: obj["spec"]["template"]
        for (kind, name), obj in objects.items()
        if kind == "Deployment"
    }


def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    assert set(selector) == {"matchLabels"}, "these tests read matchLabels only"
    return matches(selector["matchLabels"], labels)


def ingress_rules(
    objects: dict[tuple[str, str], dict[str, Any]], labels: dict[str, str]
) -> list[dict[str, Any]]:
    """The ingress rules that apply to pods with these labels: those of every policy that
    selects them and isolates them for ingress (an empty list: isolated, nothing allowed)."""
    rules: list[dict[str, Any]] = []
    for policy in network_policies(objects):
        if selects(policy, labels) and "Ingress" in policy["spec"]["policyTypes"]:
            rules += policy["spec"].get("ingress", [])
    return rules


def allows_port(rule: dict[str, Any], port: dict[str, Any]) -> bool:
    """Whether an ingress rule lets connections reach this container port (by name or number;
    a rule without ports allows every port)."""
    if "ports" not in rule:
        return True
    for allowed in rule["ports"]:
        assert "endPort" not in allowed, "these tests read single ports only"
        if allowed.get("protocol", "TCP") == port.get("protocol", "TCP") and allowed["port"] in (
            port.get("name"),
            port["containerPort"],
        ):
            return True
    return False


def container_ports(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [port for c in template["spec"]["containers"] for port in c.get("ports", [])]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_accepts_only_what_a_network_policy_allows(overlay: str) -> None:
    """Without a policy any pod of the cluster could scrape /metrics or connect to extract.
    Each policy selects newsflow's own pods only (never `podSelector: {}`, which would isolate
    Kafka or Redis running in the same namespace too)."""
    objects = render(overlay)
    templates = pod_templates(objects)
    for name, template in templates.items():
        labels = template["metadata"]["labels"]
        isolating = [
            policy["metadata"]["name"]
            for policy in network_policies(objects)
            if selects(policy, labels) and "Ingress" in policy["spec"]["policyTypes"]
        ]
        assert isolating, f"no NetworkPolicy isolates the pods of {name} for ingress"
    for policy in network_policies(objects):
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert selector, f"NetworkPolicy {policy['metadata']['name']} selects every pod"
        selected = [t for t in templates.values() if selects(policy, t["metadata"]["labels"])]
        assert selected, f"NetworkPolicy {policy['metadata']['name']} selects no newsflow pod"


def test_every_port_a_policy_names_is_a_port_of_its_pods() -> None:
    """A named port that no selected container has (a typo, a renamed port) allows nothing,
    silently: the probes still pass (the node is always allowed) while Prometheus is refused."""
    objects = render("base")
    for policy in network_policies(objects):
        ports = [
            port
            for template in pod_templates(objects).values()
            if selects(policy, template["metadata"]["labels"])
            for port in container_ports(template)
        ]
        for rule in policy["spec"].get("ingress", []):
            for allowed in rule.get("ports", []):
                assert any(allows_port({"ports": [allowed]}, port) for port in ports), (
                    policy["metadata"]["name"],
                    allowed,
                )


def peer_is_prometheus(peer: dict[str, Any]) -> bool:
    """One `from` item naming pods in namespaces, both by label: Prometheus' pods in its
    namespace. (A namespaceSelector and a podSelector as two items would allow every pod of
    the namespace, and every pod labelled so in ours; an empty selector, everything.)"""
    return (
        set(peer) == {"namespaceSelector", "podSelector"}
        and bool(peer["namespaceSelector"].get("matchLabels"))
        and bool(peer["podSelector"].get("matchLabels"))
    )


def scrape_peers(objects: dict[tuple[str, str], dict[str, Any]], service: str) -> list[Any]:
    """Who may connect to the port Prometheus scrapes (ingest's metrics listener, extract's
    only one): the `from` items of every rule allowing it ({} for a rule open to all)."""
    template = deployment(objects, service)["spec"]["template"]
    (scraped,) = [
        p for p in container_ports(template) if p["containerPort"] == probed_port(service)
    ]
    rules = [
        r for r in ingress_rules(objects, template["metadata"]["labels"]) if allows_port(r, scraped)
    ]
    return [peer for rule in rules for peer in rule.get("from") or [{}]]


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_are_open_to_prometheus_only(service: str) -> None:
    """/metrics (and the probes' endpoints beside it) accept connections from the monitoring
    namespace's Prometheus and from nobody else."""
    peers = scrape_peers(render("base"), service)
    assert peers, f"nothing may scrape {service}: Prometheus would be refused"
    assert all(peer_is_prometheus(peer) for peer in peers), peers


def test_both_services_are_open_to_the_same_prometheus() -> None:
    """The Prometheus peer is written once per policy: changing it in one only is noticed."""
    objects = render("base")
    ingest, extract = (scrape_peers(objects, service) for service in SERVICES)
    assert ingest == extract


def test_the_intake_is_open_to_every_crawler() -> None:
    """Crawlers reach the intake through its Service (or an Ingress, a load balancer) from
    wherever they run: the intake's port stays open to all sources, and is the only one."""
    objects = render("base")
    template = deployment(objects, "ingest")["spec"]["template"]
    rules = ingress_rules(objects, template["metadata"]["labels"])
    open_to_all = [
        port
        for port in container_ports(template)
        if any(allows_port(rule, port) and not rule.get("from") for rule in rules)
    ]
    env = container_env(objects, template["spec"]["containers"][0])
    assert [port["containerPort"] for port in open_to_all] == [int(env["NEWSFLOW_HTTP_PORT"])]


def test_egress_is_left_open() -> None:
    """The services reach every Kafka broker at the address it advertises (in or out of the
    cluster), Redis and DNS, none of which a policy can name by host: a policy written here
    cannot know their addresses, and a wrong one stops the services. Restricting egress is for
    an overlay that knows them."""
    for policy in network_policies(render("base")):
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        assert "egress" not in policy["spec"]

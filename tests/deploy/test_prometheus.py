"""deploy/prometheus: promtool accepts config and rules, and the rule unit tests pass."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_support import (
    PROMETHEUS_DIR,
    RULE_TESTS,
    RULES,
    alert_rules,
    load_yaml,
    promtool,
    unknown_names,
)

REQUIRED_ALERTS = {
    "NewsflowConsumerLagGrowing",
    "NewsflowNoProgress",
    "NewsflowDeadLetterRateHigh",
    "NewsflowRejectionRateHigh",
    "NewsflowIntakeFailing",
    "NewsflowExtractionSlow",
    "NewsflowDuplicateRatioAnomaly",
    "NewsflowStoreErrors",
    "NewsflowServiceUnavailable",
    "NewsflowReplicaDown",
    "NewsflowWorkerRestarts",
    "NewsflowExtractorsDying",
    "NewsflowWorkersNotReady",
}


def test_promtool_checks_the_config() -> None:
    promtool("check", "config", PROMETHEUS_DIR / "prometheus.yml")


def test_promtool_checks_the_rules() -> None:
    assert f"SUCCESS: {len(alert_rules())} rules found" in promtool("check", "rules", RULES)


def test_promtool_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", RULE_TESTS)


def test_every_required_alert_exists() -> None:
    assert {rule["alert"] for rule in alert_rules()} == REQUIRED_ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_alert_has_severity_summary_and_runbook(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert set(rule["annotations"]) == {"summary", "runbook"}
    assert len(rule["annotations"]["runbook"].split()) >= 25


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_alert_uses_only_exported_metrics_and_labels(rule: dict[str, Any]) -> None:
    assert unknown_names(rule["expr"]) == []


def test_every_alert_is_tested_firing_and_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for case in load_yaml(RULE_TESTS)["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert fired == REQUIRED_ALERTS
    assert silent == REQUIRED_ALERTS


def test_alerts_name_the_scrape_jobs() -> None:
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"newsflow-ingest", "newsflow-extract"} <= jobs
    (unavailable,) = [r for r in alert_rules() if r["alert"] == "NewsflowServiceUnavailable"]
    for job in ("newsflow-ingest", "newsflow-extract"):
        assert f'absent(up{{job="{job}"}})' in unavailable["expr"]

"""The operators' monitoring (DESIGN §10): docker/prometheus/ — the Prometheus config the
compose `prometheus` service runs and its alerting rules — checked with promtool (Debian's
`prometheus` package, installed by scripts/deps.sh):

  promtool test rules   every alert fires on its failing series and stays quiet on the
                        healthy ones (docker/prometheus/alerts_test.yml)
  promtool check config the compose config and the rule files it loads
  the config scrapes every chain service of docker/compose.yaml and the relayer

That the metrics the rules read are the ones the binaries export is checked against the
real relayer and chains in test_relayer.py (test_metrics_for_alerts_*)."""

import os
import re
import shutil
import subprocess

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROM = os.path.join(REPO, "docker", "prometheus")
COMPOSE = os.path.join(REPO, "docker", "compose.yaml")


def promtool():
    p = shutil.which("promtool")
    if not p:
        pytest.fail("promtool is not installed (Debian package `prometheus`: scripts/deps.sh)")
    return p


def run(*args):
    r = subprocess.run([promtool(), *args], cwd=PROM, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def alerts():
    with open(os.path.join(PROM, "alerts.yml")) as f:
        return [r for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]


def test_alert_rules_unit_tests_pass():
    rc, out = run("test", "rules", "alerts_test.yml")
    assert rc == 0 and "SUCCESS" in out, out


def test_every_alert_is_tested_firing_and_quiet():
    """Each rule has an eval that expects it to fire and one that expects it quiet."""
    with open(os.path.join(PROM, "alerts_test.yml")) as f:
        tests = yaml.safe_load(f)["tests"]
    fired, quiet = set(), set()
    for t in tests:
        for a in t["alert_rule_test"]:
            (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
    names = {r["alert"] for r in alerts()}
    assert names - fired == set(), f"never tested firing: {names - fired}"
    assert names - quiet == set(), f"never tested quiet: {names - quiet}"


def test_every_alert_has_a_severity_and_a_summary_naming_what_failed():
    for r in alerts():
        assert r["labels"]["severity"] in ("critical", "warning"), r["alert"]
        s = r["annotations"]["summary"]
        assert re.search(r"\$labels\.(path|chain|chain_id|client|instance)", s), (r["alert"], s)


def test_compose_prometheus_config_is_valid():
    rc, out = run("check", "config", "prometheus.yml")
    assert rc == 0 and "SUCCESS" in out, out
    rc, out = run("check", "rules", "alerts.yml")
    assert rc == 0, out


def test_config_scrapes_every_chain_and_relayer_of_compose():
    """A chain or relayer service added to compose without a scrape target would never be
    alerted on: every one is a target, on the port its /metrics is served on."""
    with open(COMPOSE) as f:
        services = yaml.safe_load(f)["services"]
    with open(os.path.join(PROM, "prometheus.yml")) as f:
        jobs = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
    targets = {job: {t for sc in j["static_configs"] for t in sc["targets"]}
               for job, j in jobs.items()}
    chains = [n for n, s in services.items() if s.get("command") == ["chain"]]
    relayers = [n for n, s in services.items() if s.get("command") == ["relayer"]]
    assert chains and relayers
    for n in chains:
        assert f"{n}:26657" in targets["causeway-chain"], f"chain service {n} is not scraped"
    for n in relayers:
        assert f"{n}:9464" in targets["causeway-relayer"], f"relayer service {n} is not scraped"
    assert services["prometheus"]["profiles"] == ["monitoring"]

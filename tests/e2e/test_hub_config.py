"""The hub's compose file and its Prometheus config agree (DESIGN §10), without containers:
every chain and relayer service of docker/compose.hub.yaml is a scrape target of
docker/prometheus/prometheus-hub.yml — the always-on ones as static targets (so a failed
scrape alerts), the per-path relayers by name through compose's DNS — and promtool accepts
the config with the rules it loads. (tests/integration/test_monitoring.py does the same for
docker/compose.yaml.)"""

import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE = os.path.join(ROOT, "docker", "compose.hub.yaml")
PROM = os.path.join(ROOT, "docker", "prometheus")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def test_every_chain_and_relayer_of_the_hub_is_scraped():
    services = load(COMPOSE)["services"]
    jobs = {j["job_name"]: j for j in load(os.path.join(PROM, "prometheus-hub.yml"))
            ["scrape_configs"]}
    static = {job: {t for sc in j.get("static_configs", []) for t in sc["targets"]}
              for job, j in jobs.items()}
    by_dns = {job: {(n, sd["port"]) for sd in j.get("dns_sd_configs", []) for n in sd["names"]}
              for job, j in jobs.items()}
    chains = [n for n, s in services.items() if s.get("command") == ["chain"]]
    relayers = [n for n, s in services.items() if s.get("command") == ["relayer"]]
    assert sorted(chains) == ["alpha", "beta", "gamma"]
    assert len(relayers) == 5
    for n in chains:
        assert f"{n}:26657" in static["causeway-chain"], f"chain {n} is not scraped"
    for n in relayers:
        if services[n].get("profiles"):  # started on demand: found by name while it runs
            assert (n, 9464) in by_dns["causeway-relayer"], f"relayer {n} is not scraped"
        else:  # always part of the deployment: a static target, alerting when it fails
            assert f"{n}:9464" in static["causeway-relayer"], f"relayer {n} is not scraped"
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert any("prometheus-hub.yml" in a for a in services["prometheus"]["command"])


def test_the_hub_prometheus_config_is_valid():
    if not shutil.which("promtool"):
        pytest.skip("promtool (Debian's prometheus package) is not installed")
    r = subprocess.run(["promtool", "check", "config", "prometheus-hub.yml"], cwd=PROM,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr

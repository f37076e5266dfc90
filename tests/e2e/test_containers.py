"""Container end-to-end test (DESIGN §10, §12): the image and docker/compose.yaml, driven
the way an operator would, with faults only containers can make.

  compose up (health-gated: chains → setup → relayer); collateral crosses alpha → beta
  docker network disconnect beta past a packet's timeout → on reconnect the timeout
    refunds on alpha (and beta never received it)
  docker kill the relayer mid-stream, start it again → every packet lands exactly once
  compose restart of a chain → its state survives from its named volume
  compose down -v → no container, network or volume of the project is left
  the `monitoring` profile's Prometheus comes up, scrapes every node and the relayer (all
    targets up) and has loaded the alerting rules, none firing on the healthy deployment;
    compose stop of beta → the lost-chain and chain-down alerts name beta, and clear after

Run by `make test` (scripts/run-tests.sh) after `make image` when a Docker engine answers.
Each run is its own compose project (causeway-e2e-<pid>) on ports chosen free at test time.
Everything waits on conditions (health, heights, balances, commitments), never on fixed
sleeps; the whole is budgeted by E2E_BUDGET_S (default 300 s).

The chains are read from the host through their published 127.0.0.1 ports with the
integration suites' independent Python MessagePack-RPC client; transactions are signed here
with the keys the chains wrote into their volumes (copied out with `docker exec cat`).
"""

import hashlib
import json
import os
import time

import pytest

from compose_env import (ROOT, IMAGE, PROM_IMAGE, Project, deployment, docker_answers,
                         require_image, run, wait_for)

if not docker_answers():
    pytest.skip("SKIPPED: no Docker engine answers (docker info failed)", allow_module_level=True)

import msgpack  # noqa: E402

COMPOSE_FILE = os.path.join(ROOT, "docker", "compose.yaml")
PORT, CHANNEL = "collateral", "channel-0"


class TwoChains(Project):
    """docker/compose.yaml: alpha, beta, setup, the relayer (and its profiles)."""

    def __init__(self):
        super().__init__(COMPOSE_FILE, ("alpha", "beta"), "e2e")

    # ---- the figures the test checks -----------------------------------------------------
    def escrow(self):  # alpha: collateral/escrow/{channel}/{denom}, be64
        v = self.call("alpha", "query", f"collateral/escrow/{CHANNEL}/stake".encode(), 0, False)[0]
        return int.from_bytes(v, "big") if v else 0

    def total(self):  # beta: collateral/total/{channel}/{denom}, the sum of positions
        v = self.call("beta", "query", f"collateral/total/{CHANNEL}/stake".encode(), 0, False)[0]
        if not v:
            return 0
        x = msgpack.unpackb(v)
        return int(x[0] if isinstance(x, list) else x)

    def commitments(self):  # alpha: packets sent and not yet acknowledged or timed out
        return self.call("alpha", "packet_commitments", PORT, CHANNEL)

    def receipt(self, seq):  # beta: the receipt a received packet leaves
        key = f"receipts/ports/{PORT}/channels/{CHANNEL}/sequences/{seq}".encode()
        return self.call("beta", "query", key, 0, False)[0]


def lock(to, amount, timeout_ns):
    """collateral.lock on alpha: [channel, denom, amount, beneficiary, timeout_height,
    timeout_ns] (DESIGN §8)."""
    return ["collateral.lock", [CHANNEL, "stake", amount, to, 0, timeout_ns]]


def far_timeout(p):
    return p.status("beta")[2] + 600 * 10**9


@pytest.fixture(scope="module")
def project():
    with deployment(TwoChains, ("alpha", "beta", "setup", "relayer"),
                    ("monitoring", "keeper")) as p:
        yield p


def test_image_is_small_non_root_and_health_checked(project):
    size = int(run("docker", "image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    assert size < 100 * 10**6, f"image is {size} bytes"
    assert run("docker", "image", "inspect", "--format", "{{.Config.User}}",
               IMAGE).stdout.strip() not in ("", "root", "0")
    hc = run("docker", "image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}",
             IMAGE).stdout
    assert "healthcheck" in hc
    # chains listen on 0.0.0.0 inside; the host sees them on 127.0.0.1 only
    for svc in ("alpha", "beta", "relayer"):
        assert project.health(svc) == "healthy"
        binds = json.loads(project.inspect(svc, "{{json .HostConfig.PortBindings}}"))
        assert binds and all(b["HostIp"] == "127.0.0.1" for v in binds.values() for b in v)
    assert project.inspect("setup", "{{.State.ExitCode}}") == "0"
    assert project.status("alpha")[0] == "alpha" and project.status("beta")[0] == "beta"


def test_collateral_crosses_and_backs_a_borrow(project):
    p = project
    bob = p.key("beta", "bob").address
    e0, t0 = p.escrow(), p.total()
    p.submit("alpha", "alice", [lock(bob, 1_000_000, far_timeout(p))])
    wait_for(lambda: p.total() == t0 + 1_000_000, "the deposit to be credited on beta")
    wait_for(lambda: not p.commitments(), "the ack to reach alpha")
    assert p.escrow() == e0 + 1_000_000
    # the position backs a borrow of beta's uusd (price 1:1, LTV 50 %), with the CLI
    # inside beta's container as the README does it
    trace = "ibc/" + hashlib.sha256(f"collateral/{CHANNEL}/stake".encode()).hexdigest().upper()
    beta = p.cid("beta")
    for args in (["supply", "--amount", "100000000", "--from", "alice"],
                 ["set-price", "--denom", trace, "--price", str(10**18), "--from", "oracle"],
                 ["borrow", "--amount", "400000", "--from", "bob"]):
        before = p.balance("beta", bob, "uusd")
        run("docker", "exec", beta, "causeway", "tx", *args)
    assert p.balance("beta", bob, "uusd") == before + 400_000


def test_keeper_profile_starts_and_serves_metrics(project):
    """The optional keeper service (profile "keeper") starts from the same image, turns
    healthy and serves /metrics, watching as many borrowers as beta's index lists."""
    p = project
    p.dc("--profile", "keeper", "up", "-d", "keeper", timeout=120)
    try:
        wait_for(lambda: p.health("keeper") == "healthy", "the keeper to be healthy")

        def metrics():
            return p.metrics("keeper")

        def value(text, name):
            for line in text.splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return None

        def watching():
            text = metrics()
            listed = len(p.call("beta", "lend_borrowers", None, 1000)[1])
            return (value(text, "causeway_keeper_rounds_total") or 0) >= 1 and \
                value(text, "causeway_keeper_positions_watched") == listed
        wait_for(watching, "the keeper to watch beta's borrowers")
        text = metrics()
        assert "causeway_keeper_liquidations_total 0" in text, text
    finally:
        p.dc("--profile", "keeper", "rm", "-sf", "keeper", check=False)


def test_network_cut_past_timeout_refunds_on_alpha(project):
    p = project
    alice = p.key("alpha", "alice").address
    bob = p.key("beta", "bob").address
    net = f"{p.name}_default"
    beta = p.cid("beta")
    t0, e0 = p.total(), p.escrow()
    run("docker", "network", "disconnect", net, beta)
    try:
        bal0 = p.balance("alpha", alice, "stake")
        timeout_ns = time.time_ns() + 4 * 10**9  # container clocks are the host's
        _, res = p.submit("alpha", "alice", [lock(bob, 4321, timeout_ns)])
        seq = wait_for(lambda: p.commitments(), "the packet's commitment on alpha")[-1]
        assert p.balance("alpha", alice, "stake") == bal0 - 4321
        assert p.escrow() == e0 + 4321

        def beta_time():  # beta is off the network: ask it from inside its container
            out = run("docker", "exec", beta, "causeway", "query", "status", "--json").stdout
            return json.loads(out)["latest_time"]
        wait_for(lambda: beta_time() > timeout_ns + 10**9, "beta's clock to pass the timeout",
                 timeout=60)
        assert p.commitments() == [seq], "the packet must still be pending while beta is cut"
    finally:
        run("docker", "network", "connect", "--alias", "beta", net, beta)
    wait_for(lambda: p.status("beta"), "beta on its published port again")
    wait_for(lambda: not p.commitments(), "the timeout to be relayed to alpha", timeout=120)
    assert p.balance("alpha", alice, "stake") == bal0, "the timeout must refund alice"
    assert p.escrow() == e0
    assert p.receipt(seq) is None, "beta must never have received the timed-out packet"
    assert p.total() == t0


def test_relayer_killed_mid_stream_delivers_every_packet_once(project):
    p = project
    bob = p.key("beta", "bob").address
    t0, e0 = p.total(), p.escrow()
    amounts = [1000 + i for i in range(40)]
    far = far_timeout(p)
    batches = [amounts[i:i + 5] for i in range(0, len(amounts), 5)]
    sent = 0
    # the first batches land and start flowing, then the relayer dies mid-stream
    for b in batches[:2]:
        p.submit("alpha", "alice", [lock(bob, a, far) for a in b])
        sent += sum(b)
    wait_for(lambda: p.total() > t0, "the first packets to reach beta")
    run("docker", "kill", p.cid("relayer"))
    assert p.inspect("relayer", "{{.State.Running}}") == "false"
    for b in batches[2:]:  # more packets while it is down (some may be in flight)
        p.submit("alpha", "alice", [lock(bob, a, far) for a in b])
        sent += sum(b)
    assert p.total() < t0 + sent, "the relayer was killed after everything had landed"
    p.dc("start", "relayer")
    wait_for(lambda: p.health("relayer") == "healthy", "the relayer to be healthy again")
    wait_for(lambda: p.total() == t0 + sent and not p.commitments(),
             "every packet received on beta and acknowledged on alpha", timeout=120)
    assert p.escrow() == e0 + sent
    assert p.total() == t0 + sent, "a packet was credited twice"


def test_chain_restart_keeps_state_from_its_volume(project):
    p = project
    bob = p.key("beta", "bob").address
    chain_id, height, *_ = p.status("beta")
    total, uusd = p.total(), p.balance("beta", bob, "uusd")
    p.dc("restart", "beta")
    wait_for(lambda: p.health("beta") == "healthy", "beta to be healthy after its restart")
    wait_for(lambda: p.status("beta")[1] > height, "beta to go on past its old height")
    assert p.status("beta")[0] == chain_id
    assert p.total() == total and p.balance("beta", bob, "uusd") == uusd
    # and the relayer finds it again
    p.submit("alpha", "alice", [lock(bob, 77, far_timeout(p))])
    wait_for(lambda: p.total() == total + 77 and not p.commitments(),
             "a packet relayed after beta's restart", timeout=90)


def test_prometheus_scrapes_every_target_and_loads_the_alerts(project):
    """The `monitoring` profile: Prometheus (Debian's package) scrapes both nodes and the
    relayer — every target up — with the rules of docker/prometheus/alerts.yml loaded and
    none firing on this healthy deployment; stopping beta raises the alerts on beta."""
    p = project
    require_image(PROM_IMAGE)
    p.dc("--profile", "monitoring", "up", "-d", "prometheus", timeout=120)
    p.note_volumes("prometheus")
    wait_for(lambda: p.health("prometheus") == "healthy", "Prometheus to be ready", timeout=60)

    def all_up():
        t = p.prometheus_api("targets")["activeTargets"]
        return len(t) == 3 and all(x["health"] == "up" for x in t) and t

    targets = wait_for(all_up, "every scrape target up", timeout=60)
    assert {(x["labels"]["job"], x["labels"]["instance"]) for x in targets} == {
        ("causeway-chain", "alpha:26657"), ("causeway-chain", "beta:26657"),
        ("causeway-relayer", "relayer:9464")}
    rules = [r for g in p.prometheus_api("rules")["groups"] for r in g["rules"]]
    assert len(rules) == 8 and all(r["health"] == "ok" for r in rules), rules
    # the relayer's gauges reached Prometheus: both chains up, its clients read
    wait_for(lambda: len(p.prometheus_api("query?query=causeway_relayer_chain_up%3D%3D1")
                         ["result"]) == 2, "chain_up of both chains in Prometheus")
    wait_for(lambda: len(p.prometheus_api("query?query=causeway_relayer_client_frozen%3D%3D0")
                         ["result"]) == 2, "both clients' frozen gauges in Prometheus")
    firing = [a for a in p.prometheus_api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == [], firing

    # the rules read what the scrapes bring: with beta stopped, the relayer's lost chain and
    # beta's failed scrape become pending alerts (firing after their `for`), naming beta;
    # they clear once it is back
    def alerts_on_beta():
        return {a["labels"]["alertname"] for a in p.prometheus_api("alerts")["alerts"]
                if a["labels"].get("chain") == "beta"}

    p.dc("stop", "beta")
    try:
        wait_for(lambda: alerts_on_beta() >= {"CausewayRelayerLostChain", "CausewayChainDown"},
                 "the lost-chain and chain-down alerts on beta", timeout=60)
    finally:
        p.dc("start", "beta")
    wait_for(lambda: p.health("beta") == "healthy", "beta healthy again")
    wait_for(lambda: not alerts_on_beta(), "beta's alerts to clear", timeout=60)

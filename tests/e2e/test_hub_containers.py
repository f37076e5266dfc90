"""Container end-to-end test of the hub (DESIGN §10, §12; issue 18): docker/compose.hub.yaml
driven the way an operator drives it.

  compose up (health-gated: alpha, beta, gamma → hub-setup → one relayer): four paths open
    (a collateral and a transfer channel from alpha and from gamma to beta), the one
    relayer's status and /metrics list every path
  through the CLI inside the chains' containers, as the README does it: stake locked on
    alpha and atom on gamma back one borrow on beta (health factor from both), the uusd
    borrowed crosses to gamma over ICS-20 as a voucher and back, is repaid, and both
    collaterals go home — every balance and escrow checked at every step
  the `per-path` profile: one relayer per path, four more containers relaying the same
    chains beside the one relayer, then alone — a burst on all four paths lands once each
    (receipts for every sequence, positions and vouchers credited exactly once)
  docker kill of the one relayer mid-burst (the per-path ones stopped), started again →
    every packet received once and acknowledged
  the `monitoring` profile: Prometheus scrapes the three nodes and all five relayers, every
    target up, the rules loaded, none firing
  compose stop gamma → alpha's paths keep relaying, the relayer reports gamma lost and
    Prometheus's lost-chain and chain-down alerts name gamma; a transfer to gamma committed
    meanwhile arrives once gamma is started again, and the alerts clear
  compose down -v → nothing of the project left

Run by `make test` with the other e2e tests (after `make image`, when a Docker engine
answers). Its own compose project (causeway-e2e-hub-<pid>) on ports chosen free at test
time, 200 ms blocks; everything waits on conditions within E2E_BUDGET_S (default 300 s).
"""

import hashlib
import json
import os
import time

import pytest

from compose_env import (ROOT, PROM_IMAGE, Project, deployment, docker_answers,
                         require_image, run, wait_for)

if not docker_answers():
    pytest.skip("SKIPPED: no Docker engine answers (docker info failed)", allow_module_level=True)

import msgpack  # noqa: E402

COMPOSE_FILE = os.path.join(ROOT, "docker", "compose.hub.yaml")
PATHS = ("alpha-collateral", "alpha-transfer", "gamma-collateral", "gamma-transfer")
PER_PATH = tuple(f"relayer-{p}" for p in PATHS)
HOME = {"stake": "alpha", "atom": "gamma"}  # collateral denom -> its home chain
WAD = 10**18


def trace(port, channel, denom):
    """The denom beta's apps name an arriving token by: ibc/ + SHA-256 of its trace."""
    return "ibc/" + hashlib.sha256(f"{port}/{channel}/{denom}".encode()).hexdigest().upper()


def be64(v):
    return int.from_bytes(v, "big") if v else 0


class Hub(Project):
    """docker/compose.hub.yaml: alpha, beta, gamma, hub-setup, the relayer (and profiles)."""

    def __init__(self):
        super().__init__(COMPOSE_FILE, ("alpha", "beta", "gamma"), "e2e-hub")
        self.paths = {}

    def read_paths(self):
        """name -> (spoke chain, spoke's channel, beta's channel), from the config setup
        wrote for the one relayer."""
        cfg = json.loads(run("docker", "exec", self.cid("relayer"), "cat",
                             "/relayer/relayer.json").stdout)
        self.paths = {p["name"]: (p["a"]["chain"], p["a"]["channel"], p["b"]["channel"])
                      for p in cfg["paths"]}
        return cfg

    def ch(self, path, end):
        return self.paths[path][1 if end == "spoke" else 2]

    # ---- the CLI inside a chain's container, as the README drives it ----------------------
    def cli(self, chain, *args, ok=True):
        r = run("docker", "exec", self.cid(chain), "causeway", *args, check=False)
        if ok:
            assert r.returncode == 0, (chain, args, r.stdout, r.stderr)
        return r

    def cli_json(self, chain, *args):
        return json.loads(self.cli(chain, *args, "--json").stdout)

    def addr(self, chain, name):
        return self.cli_json(chain, "keys", "show", name)["address"]

    def bal(self, chain, who, denom):
        return self.cli_json(chain, "query", "balance", who, denom)["amount"]

    # ---- figures read with the Python client -----------------------------------------------
    def query(self, chain, key):
        return self.call(chain, "query", key.encode(), 0, False)[0]

    def escrow(self, denom):  # collateral/escrow/{channel}/{denom} on its home chain
        path = f"{HOME[denom]}-collateral"
        return be64(self.query(HOME[denom], f"collateral/escrow/{self.ch(path, 'spoke')}/{denom}"))

    def total(self, denom):  # collateral/total/{channel}/{denom} on beta
        v = self.query("beta", f"collateral/total/{self.ch(HOME[denom] + '-collateral', 'hub')}/"
                               f"{denom}")
        if not v:
            return 0
        x = msgpack.unpackb(v)
        return int(x[0] if isinstance(x, list) else x)

    def credited(self, bob_beta):
        """What beta has credited per path: positions totals on the collateral paths, bob's
        vouchers from the transfer paths."""
        return {"alpha-collateral": self.total("stake"), "gamma-collateral": self.total("atom"),
                "alpha-transfer": self.balance("beta", bob_beta, trace(
                    "transfer", self.ch("alpha-transfer", "hub"), "stake")),
                "gamma-transfer": self.balance("beta", bob_beta, trace(
                    "transfer", self.ch("gamma-transfer", "hub"), "atom"))}

    def pending(self):
        """Packet commitments on every channel end of the four paths: nothing in flight when
        they are all empty."""
        n = 0
        for name, (spoke, cs, cb) in self.paths.items():
            port = name.split("-")[1]
            n += len(self.call(spoke, "packet_commitments", port, cs))
            n += len(self.call("beta", "packet_commitments", port, cb))
        return n

    def receipt(self, chain, port, channel, seq):
        return self.query(chain, f"receipts/ports/{port}/channels/{channel}/sequences/{seq}")

    def next_send(self, chain, port, channel):
        return be64(self.query(chain, f"nextSequenceSend/ports/{port}/channels/{channel}")) or 1


@pytest.fixture(scope="module")
def hub():
    with deployment(Hub, ("alpha", "beta", "gamma", "setup", "relayer"),
                    ("per-path", "monitoring"), timeout=150) as p:
        p.read_paths()
        yield p


def test_setup_opens_four_paths_and_one_relayer_serves_them(hub):
    p = hub
    assert p.inspect("setup", "{{.State.ExitCode}}") == "0"
    cfg = p.read_paths()
    assert [c["id"] for c in cfg["chains"]] == ["alpha", "gamma", "beta"]
    assert list(p.paths) == list(PATHS)
    for path in cfg["paths"]:
        assert all(path[e]["channel"] and path[e]["client"] for e in ("a", "b")), path
        assert path["b"]["chain"] == "beta" and path["a"]["port"] == path["b"]["port"]
    assert len({p.ch(n, "hub") for n in PATHS}) == 4, "beta has one channel end per path"
    st = run("docker", "exec", p.cid("relayer"), "causeway-relayer", "status").stdout
    for name in PATHS:
        assert f"path {name}:" in st, st
    for chain in ("alpha", "beta", "gamma"):
        assert f"chain {chain}: height" in st, st
    # every path has its own series in the one relayer's /metrics
    wait_for(lambda: all(f'path="{n}"' in p.metrics("metrics") for n in PATHS),
             "a pending_packets series per path")
    # the per-path configs setup wrote name the same channels, each with its own key
    for name in PATHS:
        one = json.loads(run("docker", "exec", p.cid("relayer"), "cat",
                             f"/relayer/paths/{name}.json").stdout)
        assert [x["name"] for x in one["paths"]] == [name]
        assert one["paths"][0]["b"]["channel"] == p.ch(name, "hub")
        assert all(c["key_file"].endswith(f"/rly-{name}.json") for c in one["chains"])


def test_two_chains_collateral_backs_one_borrow_and_uusd_crosses_to_gamma_and_back(hub):
    """The leverage loop through the CLI, every balance checked at every step."""
    p = hub
    bob = {c: p.addr(c, "bob") for c in ("alpha", "beta", "gamma")}
    lock = {"stake": 1_000_000, "atom": 100_000}
    bal0 = {d: p.bal(HOME[d], "bob", d) for d in lock}
    e0 = {d: p.escrow(d) for d in lock}
    t0 = {d: p.total(d) for d in lock}
    # 1. lock on each home chain, for bob's account on beta
    for d, amount in lock.items():
        p.cli(HOME[d], "tx", "lock", "--from", "bob", "--channel",
              p.ch(f"{HOME[d]}-collateral", "spoke"), "--denom", d, "--amount", str(amount),
              "--to", bob["beta"])
        assert p.bal(HOME[d], "bob", d) == bal0[d] - amount
        assert p.escrow(d) == e0[d] + amount
    wait_for(lambda: all(p.total(d) == t0[d] + lock[d] for d in lock),
             "both deposits credited on beta")
    for d in lock:
        pos = p.cli_json("beta", "query", "position", "bob",
                         p.ch(f"{HOME[d]}-collateral", "hub"), d)
        assert pos["position"] == lock[d]
    # 2. priced (stake 1 uusd, atom 10 uusd), both positions back one borrow:
    #    1,000,000 x 1 x 50% + 100,000 x 10 x 60% = 1,100,000
    tr = {d: trace("collateral", p.ch(f"{HOME[d]}-collateral", "hub"), d) for d in lock}
    p.cli("beta", "tx", "set-price", "--from", "oracle", "--denom", tr["stake"], "--price",
          str(WAD))
    p.cli("beta", "tx", "set-price", "--from", "oracle", "--denom", tr["atom"], "--price",
          str(10 * WAD))
    p.cli("beta", "tx", "supply", "--from", "alice", "--amount", "100000000uusd")
    h = p.cli_json("beta", "query", "health", "bob")
    assert h["borrow_limit"] == "1100000", h
    uusd0 = p.bal("beta", "bob", "uusd")
    p.cli("beta", "tx", "borrow", "--from", "bob", "--amount", "1000000uusd")
    assert p.bal("beta", "bob", "uusd") == uusd0 + 1_000_000
    h = p.cli_json("beta", "query", "health", "bob")
    # each at its own threshold: 1,000,000 x 75% + 1,000,000 x 80%, over the debt (which
    # may have accrued interest since the borrow)
    assert h["liquidation_limit"] == "1550000", h
    assert int(h["health_factor_wad"]) == 1_550_000 * WAD // int(h["debt_value"]), h
    assert p.cli("beta", "tx", "borrow", "--from", "bob", "--amount", "100001uusd",
                 ok=False).returncode == 1
    # 3. ICS-20: the uusd to gamma (escrowed on beta, a voucher there) and back
    tb, tg = p.ch("gamma-transfer", "hub"), p.ch("gamma-transfer", "spoke")
    v = trace("transfer", tg, "uusd")
    esc0 = p.cli_json("beta", "query", "transfer-escrow", tb, "uusd")["amount"]
    p.cli("beta", "tx", "transfer", "--from", "bob", "--channel", tb, "--to", bob["gamma"],
          "1000000uusd")
    assert p.bal("beta", "bob", "uusd") == uusd0
    assert p.cli_json("beta", "query", "transfer-escrow", tb, "uusd")["amount"] == esc0 + 1_000_000
    wait_for(lambda: p.bal("gamma", "bob", v) == 1_000_000, "the voucher on gamma")
    assert p.cli_json("gamma", "query", "denom-trace", v)["full_path"] == f"transfer/{tg}/uusd"
    p.cli("gamma", "tx", "transfer", "--from", "bob", "--channel", tg, "--to", bob["beta"],
          f"1000000{v}")
    assert p.bal("gamma", "bob", v) == 0, "the voucher is burned on the way back"
    wait_for(lambda: p.bal("beta", "bob", "uusd") == uusd0 + 1_000_000, "the uusd back on beta")
    assert p.cli_json("beta", "query", "transfer-escrow", tb, "uusd")["amount"] == esc0
    # 4. repay, and each collateral home
    debt = int(p.cli_json("beta", "query", "health", "bob")["debt_value"])
    assert debt >= 1_000_000
    p.cli("beta", "tx", "repay", "--from", "bob", "--amount", f"{debt}uusd")
    assert p.cli_json("beta", "query", "health", "bob")["debt_value"] == "0"
    assert p.bal("beta", "bob", "uusd") == uusd0 + 1_000_000 - debt
    for d, amount in lock.items():
        p.cli("beta", "tx", "withdraw-collateral", "--from", "bob", "--channel",
              p.ch(f"{HOME[d]}-collateral", "hub"), "--denom", d, "--amount", str(amount),
              "--to", bob[HOME[d]])
    wait_for(lambda: all(p.bal(HOME[d], "bob", d) == bal0[d] for d in lock),
             "both collaterals released home")
    wait_for(lambda: p.pending() == 0, "every ack relayed")
    assert all(p.escrow(d) == e0[d] and p.total(d) == t0[d] for d in lock)


def burst(p, bob_beta, n_txs, per_tx, amount):
    """n_txs txs of per_tx msgs on each of the four paths, signed here: locks of stake on
    alpha and atom on gamma (the collateral paths), transfers of stake and atom to beta (the
    transfer paths). Returns path -> (the sequences sent, the amount they carry)."""
    far = time.time_ns() + 600 * 10**9
    msgs = {
        "alpha-collateral": ("alpha", ["collateral.lock", [p.ch("alpha-collateral", "spoke"),
                                                           "stake", amount, bob_beta, 0, far]]),
        "gamma-collateral": ("gamma", ["collateral.lock", [p.ch("gamma-collateral", "spoke"),
                                                           "atom", amount, bob_beta, 0, far]]),
        "alpha-transfer": ("alpha", ["transfer.transfer", [p.ch("alpha-transfer", "spoke"),
                                                           "stake", amount, bob_beta.hex(), 0,
                                                           far, ""]]),
        "gamma-transfer": ("gamma", ["transfer.transfer", [p.ch("gamma-transfer", "spoke"),
                                                           "atom", amount, bob_beta.hex(), 0,
                                                           far, ""]]),
    }
    sent = {}
    for name, (chain, m) in msgs.items():
        port = name.split("-")[1]
        first = p.next_send(chain, port, p.ch(name, "spoke"))
        for _ in range(n_txs):
            p.submit(chain, "alice", [m] * per_tx, wait=False)
        sent[name] = (range(first, first + n_txs * per_tx), n_txs * per_tx * amount)
    return sent


def landed_once(p, sent, before, bob_beta):
    """Every sequence of the burst received on beta (a receipt each), and beta credited
    exactly the burst's amounts over `before`: positions for the collateral paths, vouchers
    for the transfer paths — once, not twice. Returns the figures after."""
    want = {n: before[n] + sent[n][1] for n in sent}
    wait_for(lambda: p.credited(bob_beta) == want and p.pending() == 0,
             "every packet of the burst received on beta and acknowledged", timeout=150)
    for name, (seqs, _amount) in sent.items():
        port = name.split("-")[1]
        missing = [s for s in seqs if p.receipt("beta", port, p.ch(name, "hub"), s) is None]
        assert not missing, f"{name}: no receipt for {missing}"
    assert p.credited(bob_beta) == want, "a packet was credited twice"
    return want


def test_one_relayer_per_path_beside_the_one_relayer_and_alone_deliver_each_packet_once(hub):
    p = hub
    p.dc("--profile", "per-path", "up", "-d", *PER_PATH, timeout=180)
    wait_for(lambda: all(p.health(s) == "healthy" for s in PER_PATH),
             "the four per-path relayers to be healthy", timeout=90)
    bob_beta = p.key("beta", "bob").address
    wait_for(lambda: p.pending() == 0, "nothing in flight before the burst")
    # five relayers on the same packets (the one of every path and one per path): each
    # packet lands once; a loser's relay is a no-op on chain
    before = p.credited(bob_beta)
    before = landed_once(p, burst(p, bob_beta, n_txs=4, per_tx=5, amount=7), before, bob_beta)
    # the alternative alone: the one relayer stopped, the per-path relayers carry everything
    p.dc("stop", "relayer")
    try:
        landed_once(p, burst(p, bob_beta, n_txs=2, per_tx=5, amount=3), before, bob_beta)
    finally:
        p.dc("start", "relayer")
    wait_for(lambda: p.health("relayer") == "healthy", "the relayer healthy again")


def test_the_one_relayer_killed_mid_burst_loses_and_doubles_nothing(hub):
    """docker kill (SIGKILL) of the relayer of every path once the first packets of a burst
    on all four paths have landed on beta (the rest may be in flight), more sent while it is
    down, then started again: every packet received once and acknowledged. The per-path
    relayers are stopped first, so the one relayer is the only one."""
    p = hub
    p.dc("--profile", "per-path", "stop", *PER_PATH)
    bob_beta = p.key("beta", "bob").address
    wait_for(lambda: p.pending() == 0, "nothing in flight before the burst")
    before = p.credited(bob_beta)
    sent = burst(p, bob_beta, n_txs=2, per_tx=5, amount=11)
    wait_for(lambda: p.credited(bob_beta) != before, "the first packets to land on beta")
    run("docker", "kill", p.cid("relayer"))
    assert p.inspect("relayer", "{{.State.Running}}") == "false"
    more = burst(p, bob_beta, n_txs=2, per_tx=5, amount=13)
    p.dc("start", "relayer")
    wait_for(lambda: p.health("relayer") == "healthy", "the relayer healthy again")
    both = {n: (range(sent[n][0].start, more[n][0].stop), sent[n][1] + more[n][1])
            for n in PATHS}
    landed_once(p, both, before, bob_beta)


def test_prometheus_scrapes_gamma_and_every_relayer(hub):
    """The `monitoring` profile with the per-path relayers running: the three nodes and all
    five relayers are targets, every one up; the rules loaded, none firing."""
    p = hub
    require_image(PROM_IMAGE)
    p.dc("--profile", "per-path", "--profile", "monitoring", "up", "-d", *PER_PATH,
         "prometheus", timeout=120)
    p.note_volumes("prometheus")
    wait_for(lambda: p.health("prometheus") == "healthy", "Prometheus to be ready", timeout=60)
    wait_for(lambda: all(p.health(s) == "healthy" for s in PER_PATH),
             "the four per-path relayers to be healthy", timeout=90)
    want = {("causeway-chain", f"{c}:26657") for c in ("alpha", "beta", "gamma")} | \
        {("causeway-relayer", f"{r}:9464") for r in ("relayer",) + PER_PATH}

    def all_up():
        t = p.prometheus_api("targets")["activeTargets"]
        got = {(x["labels"]["job"], x["labels"]["instance"]) for x in t}
        return got == want and all(x["health"] == "up" for x in t)
    wait_for(all_up, "the 3 nodes and 5 relayers scraped, every one up", timeout=60)
    rules = [r for g in p.prometheus_api("rules")["groups"] for r in g["rules"]]
    assert len(rules) == 8 and all(r["health"] == "ok" for r in rules), rules
    # the one relayer reaches the three chains (chain_up from its scrape), and each relayer
    # reports the paths it serves: four from the one, one from each per-path relayer
    q = "query?query=causeway_relayer_chain_up%7Binstance%3D%22relayer%3A9464%22%7D%3D%3D1"
    wait_for(lambda: len(p.prometheus_api(q)["result"]) == 3, "chain_up of alpha, beta, gamma")
    q = "query?query=count%20by%20(instance)%20(count%20by%20(instance%2Cpath)%20" \
        "(causeway_relayer_pending_packets))"
    wait_for(lambda: {r["metric"]["instance"]: r["value"][1]
                      for r in p.prometheus_api(q)["result"]} ==
             {"relayer:9464": "4", **{f"{r}:9464": "1" for r in PER_PATH}},
             "the paths each relayer serves")
    firing = [a for a in p.prometheus_api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == [], firing


def test_stopping_gamma_stalls_only_its_paths(hub):
    """compose stop gamma: alpha's paths keep relaying, the relayer reports gamma lost and
    Prometheus raises the lost-chain and chain-down alerts naming gamma; a transfer to gamma
    committed meanwhile arrives once gamma is back, and the alerts clear. The per-path
    relayers are stopped first: the one relayer alone must keep alpha's paths going."""
    p = hub
    p.dc("--profile", "per-path", "stop", *PER_PATH)  # the one relayer alone, as deployed
    require_image(PROM_IMAGE)
    p.dc("--profile", "monitoring", "up", "-d", "prometheus", timeout=120)  # as it was, or up
    p.note_volumes("prometheus")
    wait_for(lambda: p.health("prometheus") == "healthy", "Prometheus to be ready", timeout=60)

    def alerts_on_gamma():
        return {a["labels"]["alertname"] for a in p.prometheus_api("alerts")["alerts"]
                if a["labels"].get("chain") == "gamma"}
    bob_beta, bob_gamma = p.key("beta", "bob").address, p.key("gamma", "bob").address
    tb, tg = p.ch("gamma-transfer", "hub"), p.ch("gamma-transfer", "spoke")
    v = trace("transfer", tg, "uusd")
    v0 = p.balance("gamma", bob_gamma, v)
    t0 = p.total("stake")
    far = time.time_ns() + 600 * 10**9

    def chain_up(chain):
        for line in p.metrics("metrics").splitlines():
            if line.startswith(f'causeway_relayer_chain_up{{chain="{chain}"}}'):
                return line.split()[1]
    p.dc("stop", "gamma")
    try:
        wait_for(lambda: chain_up("gamma") == "0", "the relayer to report gamma lost")
        p.submit("beta", "bob", [["transfer.transfer", [tb, "uusd", 555, bob_gamma.hex(), 0,
                                                        far, ""]]])
        p.submit("alpha", "alice", [["collateral.lock", [p.ch("alpha-collateral", "spoke"),
                                                         "stake", 321, bob_beta, 0, far]]])
        wait_for(lambda: p.total("stake") == t0 + 321,
                 "alpha's deposit credited on beta while gamma is stopped")
        assert chain_up("alpha") == "1" and chain_up("beta") == "1"
        wait_for(lambda: alerts_on_gamma() >= {"CausewayRelayerLostChain", "CausewayChainDown"},
                 "the lost-chain and chain-down alerts on gamma", timeout=60)
    finally:
        p.dc("start", "gamma")
    wait_for(lambda: p.health("gamma") == "healthy", "gamma healthy again")
    wait_for(lambda: p.balance("gamma", bob_gamma, v) == v0 + 555,
             "the transfer to gamma delivered after its restart", timeout=120)
    wait_for(lambda: p.pending() == 0, "every path quiescent again", timeout=120)
    wait_for(lambda: chain_up("gamma") == "1", "the relayer's gamma connection up again")
    wait_for(lambda: not alerts_on_gamma(), "gamma's alerts to clear", timeout=60)

"""A hub of three chains (issue 18): alpha (stake) and gamma (atom) each open a `collateral`
and a `transfer` channel to beta, the lending hub (market uusd); ONE causeway-relayer process
relays all four paths, created by its create-clients / create-channel. Real binaries on
loopback, driven through the CLI as a user does; every balance checked at every step.

The leverage loop: lock stake on alpha and atom on gamma (both registered on beta with their
own LTV, liquidation threshold and bonus; one borrower's limits count both) → borrow uusd on
beta → transfer it to gamma (a voucher there) → transfer it back (the relayer killed -9 while
that packet is in flight, then restarted: nothing lost or doubled) → repay on beta → release
both collaterals home. `causeway audit` over every path holds at each quiescent point (and
with packets in flight), and catches a node hiding a packet or forging a figure, naming the
path and denom. Then gamma stops: alpha↔beta keep relaying; gamma restarts: its paths catch
up."""

import json
import os
import signal
import subprocess

import relayer_env as R
from conftest import free_port, require_bin
from test_relayer import TamperProxy, metric, metrics_text
from test_transfer import escrowed, ibc_denom

WAD = 10 ** 18
COL, ICS = "collateral", "transfer"
# How long a packet on alpha↔beta may take while gamma hangs: the first call timeout (the
# config's rpc_timeout_ms, 10 s) and a few reconnect handshakes (2 s each); a minute before.
HUNG_BOUND_S = 30
PATHS = ("alpha-beta", "gamma-beta", "alpha-beta-transfer", "gamma-beta-transfer")


class Hub(R.CliUser):
    def __init__(self, procs, tmp):
        t = str(tmp)
        self.procs, self.tmp = procs, t
        a = self.a = R.Chain(procs, t, "alpha", "stake").start()
        b = self.b = R.Chain(procs, t, "beta", "uusd", extra=("--market", "uusd")).start()
        g = self.g = R.Chain(procs, t, "gamma", "atom").start()
        self.mport = free_port()
        paths = [R.hub_path(PATHS[0], COL, a, b), R.hub_path(PATHS[1], COL, g, b),
                 R.hub_path(PATHS[2], ICS, a, b), R.hub_path(PATHS[3], ICS, g, b)]
        self.cfg = R.write_multi_config(os.path.join(t, "relayer.json"), [a, b, g], paths,
                                        os.path.join(t, "rly.db"),
                                        metrics=f"127.0.0.1:{self.mport}")
        R.relayer("create-clients", "--config", self.cfg)
        R.relayer("create-channel", "--config", self.cfg)
        c = R.load_config(self.cfg)
        # channel ids: (the home chain's end, beta's end) per path
        self.ch = {p["name"]: (p["a"]["channel"], p["b"]["channel"]) for p in c["paths"]}
        assert all(x and y for x, y in self.ch.values()), self.ch
        # the audit never trusts a node: each chain's trust root goes into the config
        roots = R.trust_roots(a, b, g)
        for ch in c["chains"]:
            ch["trust_root"] = roots[ch["id"]]
        with open(self.cfg, "w") as f:
            json.dump(c, f, indent=2)
        self.rly = R.start_relayer(procs, self.cfg)
        self.addr = {(ch.id, who): self.json(ch, "keys", "show", who)["address"]
                     for ch in (a, b, g) for who in ("alice", "bob")}

    def bal(self, chain, who, denom):
        return self.json(chain, "query", "balance", self.addr.get((chain.id, who), who),
                         denom)["amount"]

    def position(self, path, denom):
        return self.json(self.b, "query", "position", "alice", self.ch[path][1],
                         denom)["position"]

    def escrow(self, chain, path, denom):
        return self.json(chain, "query", "escrow", self.ch[path][0], denom)["escrow"]

    def supply(self, chain, denom):
        with chain.client() as c:
            v = c.call("query", f"bank/supply/{denom}".encode(), 0, False)[0]
        return int.from_bytes(v, "big") if v else 0

    def in_flight(self, skip=()):
        """(chain, port, channel, sequences) of every packet commitment outstanding (on the
        chains not in skip)."""
        out = []
        for name, (home, hub) in self.ch.items():
            port = COL if name in PATHS[:2] else ICS
            src = self.a if name.startswith("alpha") else self.g
            for chain, chan in ((src, home), (self.b, hub)):
                if chain.id in skip:
                    continue
                with chain.client() as c:
                    seqs = c.call("packet_commitments", port, chan)
                if seqs:
                    out.append((chain.id, port, chan, seqs))
        return out

    def quiescent(self):
        return not self.in_flight()

    def wait_quiescent(self, what):
        R.wait_until(self.quiescent, chain=self.b, what=what)

    def audit(self, *flags, cfg=None, ok=True):
        r = subprocess.run([require_bin("causeway"), "audit", "--config", cfg or self.cfg,
                            "--json", *flags], capture_output=True, text=True, timeout=120)
        if ok:
            assert r.returncode == 0, (r.stdout, r.stderr)
        return r

    def audit_rows(self, *flags):
        """{(path, denom): row} of an all-paths audit that holds."""
        out = json.loads(self.audit(*flags).stdout)
        assert out["holds"] and out["unbalanced"] == [], out
        assert [p["name"] for p in out["paths"]] == list(PATHS), out
        assert {c["chain"] for c in out["chains"]} == {"alpha", "beta", "gamma"}, out
        return {(p["name"], d["denom"]): d for p in out["paths"] for d in p["denoms"]}


def test_hub_leverage_loop_kill9_and_a_stopped_chain(procs, tmp_path):
    h = Hub(procs, tmp_path)
    a, b, g = h.a, h.b, h.g
    ab_h, ab_b = h.ch["alpha-beta"]
    gb_h, gb_b = h.ch["gamma-beta"]
    gt_g, gt_b = h.ch["gamma-beta-transfer"]
    at_a, at_b = h.ch["alpha-beta-transfer"]
    sa0, ga0, ub0 = h.bal(a, "alice", "stake"), h.bal(g, "alice", "atom"), h.bal(b, "alice", "uusd")
    bb0 = h.bal(b, "bob", "uusd")

    # the relayer lists every path; nothing to audit yet but every path is read
    st = R.relayer("status", "--config", h.cfg).stdout
    for name in PATHS:
        assert f"path {name}:" in st, st
    rows = h.audit_rows()
    assert rows == {}, rows

    # 1. both collaterals registered on beta, each with its own weights
    h.cli(b, "tx", "register-collateral", "--from", "admin", "--channel", ab_b, "--denom",
          "stake", "--ltv", "5000", "--lt", "7500", "--bonus", "500")
    h.cli(b, "tx", "register-collateral", "--from", "admin", "--channel", gb_b, "--denom",
          "atom", "--ltv", "4000", "--lt", "6000", "--bonus", "800")

    # 2. lock stake on alpha and atom on gamma → alice's two positions on beta
    h.cli(a, "tx", "lock", "--from", "alice", "--channel", ab_h, "--denom", "stake",
          "--amount", "1000", "--to", h.addr["beta", "alice"])
    h.cli(g, "tx", "lock", "--from", "alice", "--channel", gb_h, "--denom", "atom",
          "--amount", "1000", "--to", h.addr["beta", "alice"])
    assert h.bal(a, "alice", "stake") == sa0 - 1000 and h.bal(g, "alice", "atom") == ga0 - 1000
    R.wait_until(lambda: h.position("alpha-beta", "stake") == 1000 and
                 h.position("gamma-beta", "atom") == 1000, chain=b, what="both positions")
    h.wait_quiescent("both deposits acknowledged")
    assert h.escrow(a, "alpha-beta", "stake") == 1000
    assert h.escrow(g, "gamma-beta", "atom") == 1000
    rows = h.audit_rows()
    assert set(rows) == {("alpha-beta", "stake"), ("gamma-beta", "atom")}, rows
    for k, home in ((("alpha-beta", "stake"), "alpha"), (("gamma-beta", "atom"), "gamma")):
        assert rows[k]["escrow"] == rows[k]["outstanding"] == 1000, rows[k]
        assert rows[k]["escrow_chain"] == home and rows[k]["counterparty_chain"] == "beta"

    # 3. one borrower, both positions: limits = Σ position × price × weight
    strace = h.json(b, "query", "position", "alice", ab_b, "stake")["trace_denom"]
    atrace = h.json(b, "query", "position", "alice", gb_b, "atom")["trace_denom"]
    h.cli(b, "tx", "set-price", "--from", "oracle", "--denom", strace, "--price", str(2 * WAD))
    h.cli(b, "tx", "set-price", "--from", "oracle", "--denom", atrace, "--price", str(3 * WAD))
    h.cli(b, "tx", "supply", "--from", "bob", "--amount", "100000")
    hf = h.json(b, "query", "health", "alice")
    # stake 1000 × 2 × 50% + atom 1000 × 3 × 40%; liquidation 75% and 60%
    assert hf["borrow_limit"] == "2200" and hf["liquidation_limit"] == "3300", hf
    r = h.cli(b, "tx", "borrow", "--from", "alice", "--amount", "2201", ok=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    # more than either position alone allows (1000, 1200): both count
    h.cli(b, "tx", "borrow", "--from", "alice", "--amount", "2000")
    assert h.bal(b, "alice", "uusd") == ub0 + 2000
    hf = h.json(b, "query", "health", "alice")
    # health factor = liquidation limit over both positions / debt
    assert int(hf["debt"]) >= 2000 and hf["liquidation_limit"] == "3300", hf
    assert int(hf["health_factor_wad"]) == 3300 * WAD // int(hf["debt_value"]), hf

    # 4. the borrowed uusd leaves for gamma: escrowed on beta, a voucher on gamma
    v_g = ibc_denom(f"transfer/{gt_g}/uusd")
    h.cli(b, "tx", "transfer", "--from", "alice", "--channel", gt_b, "--to",
          h.addr["gamma", "alice"], "2000uusd")
    assert h.bal(b, "alice", "uusd") == ub0 and escrowed(b, gt_b, "uusd") == 2000
    R.wait_until(lambda: h.bal(g, "alice", v_g) == 2000, chain=g, what="voucher on gamma")
    h.wait_quiescent("transfer acknowledged")
    assert h.supply(g, v_g) == 2000
    rows = h.audit_rows()
    row = rows["gamma-beta-transfer", "uusd"]
    assert row["escrow_chain"] == "beta" and row["counterparty_denom"] == v_g, row
    assert row["escrow"] == row["outstanding"] == 2000 and row["in_flight"] == 0, row

    # 5. ... and comes back; the relayer is killed -9 while that packet is in flight
    h.cli(g, "tx", "transfer", "--from", "alice", "--channel", gt_g, "--to",
          h.addr["beta", "alice"], f"2000{v_g}")
    procs.kill9(h.rly)
    assert h.bal(g, "alice", v_g) == 0 and h.supply(g, v_g) == 0  # burned on gamma
    flying = h.in_flight()
    assert any(c == "gamma" and ch == gt_g for c, _, ch, _ in flying), flying
    # in flight, the books still balance: the return is counted until it is acknowledged
    rows = h.audit_rows()
    row = rows["gamma-beta-transfer", "uusd"]
    assert row["packets_pending_back"] == 1 and row["in_flight"] == 2000, row
    # received on beta or not yet: escrow + paid-not-acked is 2000 either way
    assert row["outstanding"] == 0 and row["lhs"] == row["rhs"] == 2000, row

    # a node hiding that packet, or forging a figure, is caught, naming path and denom
    proxy = TamperProxy(g.port, tamper=False)
    c = R.load_config(h.cfg)
    c["chains"][2]["rpc"] = proxy.url
    lying = os.path.join(h.tmp, "via-proxy.json")
    with open(lying, "w") as f:
        json.dump(c, f)
    proxy.hide_commitments = set(next(s for ch, _, chan, s in flying
                                      if ch == "gamma" and chan == gt_g))
    r = h.audit(cfg=lying, ok=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert (f"path gamma-beta-transfer, denom uusd: chain gamma, channel {gt_g}: 1 "
            f"outstanding return packet(s) of transfer/{gt_g}/uusd (amount 2000) missing "
            "from the node's packet_commitments") in r.stderr, r.stderr
    out = json.loads(r.stdout)
    assert not out["holds"] and out["unbalanced"] == ["gamma-beta-transfer/uusd"], out
    proxy.hide_commitments = set()
    proxy.forge_values = {f"bank/supply/{v_g}".encode(): (5000).to_bytes(8, "big")}
    r = h.audit(cfg=lying, ok=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert f"path gamma-beta-transfer, denom uusd: bank/supply/{v_g}" in r.stderr, r.stderr
    out = json.loads(r.stdout)
    assert out["unbalanced"] == ["gamma-beta-transfer/uusd"], out
    assert proxy.hidden >= 1 and proxy.values_forged >= 1
    # beta's node lying about one collateral's positions total fails that row only
    proxy.forge_values = {}
    bproxy = TamperProxy(b.port, tamper=False)
    c["chains"][1]["rpc"] = bproxy.url
    with open(lying, "w") as f:
        json.dump(c, f)
    key = f"collateral/total/{gb_b}/atom".encode()
    bproxy.forge_values = {key: bytes.fromhex("91cd03e9")}  # [1001], not the 1000 proven
    r = h.audit(cfg=lying, ok=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert f"path gamma-beta, denom atom: {key.decode()}" in r.stderr, r.stderr
    out = json.loads(r.stdout)
    assert out["unbalanced"] == ["gamma-beta/atom"], (out, r.stderr)
    assert bproxy.values_forged >= 1

    h.rly = R.start_relayer(procs, h.cfg, name="relayer-2")
    R.wait_until(lambda: h.bal(b, "alice", "uusd") == ub0 + 2000, chain=b,
                 what="the return credited on beta")
    h.wait_quiescent("the return acknowledged after the restart")
    assert h.bal(b, "alice", "uusd") == ub0 + 2000  # once, not twice
    assert escrowed(b, gt_b, "uusd") == 0 and h.supply(g, v_g) == 0
    assert h.bal(g, "alice", v_g) == 0
    rows = h.audit_rows()
    assert rows["gamma-beta-transfer", "uusd"]["escrow"] == 0, rows

    # 6. repay on beta with the uusd that came back (repaying more than owed pays the debt)
    debt0 = int(h.json(b, "query", "health", "alice")["debt"])
    cash0 = h.json(b, "query", "market")["cash"]
    h.cli(b, "tx", "repay", "--from", "alice", "--amount", "2100")
    paid = ub0 + 2000 - h.bal(b, "alice", "uusd")
    assert debt0 <= paid < 2100, (debt0, paid)
    assert h.json(b, "query", "health", "alice")["debt"] == "0"
    assert h.json(b, "query", "market")["cash"] == cash0 + paid

    # 7. release both collaterals home
    h.cli(b, "tx", "withdraw-collateral", "--from", "alice", "--channel", ab_b, "--denom",
          "stake", "--amount", "1000", "--to", h.addr["alpha", "alice"])
    h.cli(b, "tx", "withdraw-collateral", "--from", "alice", "--channel", gb_b, "--denom",
          "atom", "--amount", "1000", "--to", h.addr["gamma", "alice"])
    assert h.position("alpha-beta", "stake") == 0 and h.position("gamma-beta", "atom") == 0
    R.wait_until(lambda: h.bal(a, "alice", "stake") == sa0 and
                 h.bal(g, "alice", "atom") == ga0, chain=b, what="collateral released")
    h.wait_quiescent("releases acknowledged")
    assert h.escrow(a, "alpha-beta", "stake") == 0 and h.escrow(g, "gamma-beta", "atom") == 0
    rows = h.audit_rows()
    assert all(r["escrow"] == r["outstanding"] == 0 for r in rows.values()), rows

    # 8. gamma stops: the alpha↔beta paths keep relaying
    g.stop()
    h.cli(a, "tx", "lock", "--from", "alice", "--channel", ab_h, "--denom", "stake",
          "--amount", "500", "--to", h.addr["beta", "alice"])
    h.cli(a, "tx", "transfer", "--from", "alice", "--channel", at_a, "--to",
          h.addr["beta", "bob"], "70stake")
    h.cli(b, "tx", "transfer", "--from", "bob", "--channel", gt_b, "--to",
          h.addr["gamma", "bob"], "300uusd")  # waits for gamma
    v_b = ibc_denom(f"transfer/{at_b}/stake")
    assert h.bal(a, "alice", "stake") == sa0 - 570
    assert h.bal(b, "bob", "uusd") == bb0 - 100000 - 300  # bob supplied, then sent 300
    R.wait_until(lambda: h.position("alpha-beta", "stake") == 500 and
                 h.bal(b, "bob", v_b) == 70, chain=b, what="alpha's packets reach beta")
    R.wait_until(lambda: not any(c == "alpha" for c, *_ in h.in_flight(skip=("gamma",))),
                 chain=a,
                 what="alpha's packets acknowledged while gamma is down")
    st = R.relayer("status", "--config", h.cfg, check=False).stdout
    assert "chain gamma: UNREACHABLE" in st, st
    # per chain and per path: gamma is down, alpha's transfer path relayed its one packet
    # (counted when the relayer settles its tx), gamma's transfer path has one pending
    want = ((("causeway_relayer_chain_up", {"chain": "gamma"}), 0),
            (("causeway_relayer_chain_up", {"chain": "alpha"}), 1),
            (("causeway_relayer_packets_relayed_total",
              {"path": "alpha-beta-transfer", "kind": "recv"}), 1),
            (("causeway_relayer_pending_packets", {"path": "gamma-beta-transfer",
                                                   "src": "beta"}), 1))
    R.wait_until(lambda: all(metric(metrics_text(h.mport), *k) == v for k, v in want),
                 chain=b, what=f"metrics {want}")
    r = h.audit(ok=False)  # gamma's tip is not current: its paths are not certified
    assert r.returncode == 1 and "path gamma-beta not read" in r.stderr, r.stderr
    # a relayer (re)started while gamma is down relays the other paths; it seeds gamma's
    # light client when gamma answers (before, it exited: "light client: chain gamma: ...")
    procs.stop(h.rly)
    h.rly = R.start_relayer(procs, h.cfg, name="relayer-3")
    h.cli(a, "tx", "lock", "--from", "alice", "--channel", ab_h, "--denom", "stake",
          "--amount", "20", "--to", h.addr["beta", "alice"])
    R.wait_until(lambda: h.position("alpha-beta", "stake") == 520, chain=b,
                 what="a lock relayed by a relayer started while gamma is down")
    assert h.rly.poll() is None, procs.log(h.rly)

    # 9. gamma restarts: its paths catch up
    g.start()
    R.wait_until(lambda: h.bal(g, "bob", v_g) == 300, chain=g, what="gamma catches up")
    h.wait_quiescent("everything acknowledged")
    rows = h.audit_rows()
    assert rows["gamma-beta-transfer", "uusd"]["escrow"] == 300
    assert rows["alpha-beta-transfer", "stake"]["outstanding"] == 70
    assert rows["alpha-beta", "stake"]["escrow"] == 520
    text = metrics_text(h.mport)
    for name in PATHS:
        assert metric(text, "causeway_relayer_packets_relayed_total",
                      {"path": name, "kind": "recv"}) is not None, name
    R.wait_until(lambda: metric(metrics_text(h.mport), "causeway_relayer_packets_relayed_total",
                                {"path": "gamma-beta-transfer", "kind": "recv"}) >= 1,
                 chain=b, what="gamma's transfer path counts its recv")
    # 10. gamma hangs (SIGSTOP: connections accepted, nothing answered). Its first unanswered
    # call drops it, so alpha↔beta keep relaying without waiting out a call timeout per call
    # (before: every tick waited 10 s on each of gamma's calls, about a minute per packet).
    pos = h.position("alpha-beta", "stake")
    assert pos == 520
    g.proc.send_signal(signal.SIGSTOP)
    try:
        h.cli(b, "tx", "transfer", "--from", "bob", "--channel", gt_b, "--to",
              h.addr["gamma", "bob"], "11uusd")
        for i in (1, 2, 3):
            h.cli(a, "tx", "lock", "--from", "alice", "--channel", ab_h, "--denom", "stake",
                  "--amount", "10", "--to", h.addr["beta", "alice"])
            R.wait_until(lambda: h.position("alpha-beta", "stake") == pos + 10 * i, chain=b,
                         timeout=HUNG_BOUND_S, what=f"lock {i} credited while gamma hangs")
    finally:
        g.proc.send_signal(signal.SIGCONT)
    R.wait_until(lambda: h.bal(g, "bob", v_g) == 311, chain=g, what="gamma catches up again")
    h.wait_quiescent("everything acknowledged after the hang")
    assert h.bal(a, "alice", "stake") == sa0 - 620

    # the audit's text report names every path and denom
    r = subprocess.run([require_bin("causeway"), "audit", "--config", h.cfg],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in PATHS:
        assert f"path {name} (" in r.stdout, r.stdout
    assert "all 4 denoms of 4 paths BALANCED" in r.stdout, r.stdout

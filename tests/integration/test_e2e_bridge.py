"""The main job end to end (issue: `make demo` and the audit): two real chains, the real
relayer and the real CLI, checked with the independent Python client. Covers the demo's
steps, replayed transactions and packets, kill -9 of each chain and of the relayer during
the scenario, and the audit holding at every quiescent point."""

import json
import os
import random
import subprocess

import cwchain
import relayer_env as R
from conftest import require_bin

WAD = 10 ** 18


class Env(R.CliUser):
    def __init__(self, procs, tmp):
        self.procs = procs
        self.a, self.b, self.cfg = R.setup_path(procs, str(tmp), interval_ms=100,
                                                b_extra=("--market", "uusd"))
        self.ch_a, self.ch_b = R.channels(self.cfg)
        self.roots = R.trust_roots(self.a, self.b)
        self.cli(self.b, "tx", "register-collateral", "--from", "admin", "--channel",
                 self.ch_b, "--denom", "stake", "--ltv", "5000", "--lt", "7500", "--bonus",
                 "500")
        self.rly = R.start_relayer(procs, self.cfg)
        self.trace = self.json(self.b, "query", "position", "alice", self.ch_b,
                               "stake")["trace_denom"]

    def position(self, who):
        return self.json(self.b, "query", "position", who, self.ch_b, "stake")["position"]

    def escrow(self):
        return self.json(self.a, "query", "escrow", self.ch_a, "stake")["escrow"]

    def audit(self):
        r = subprocess.run([require_bin("causeway"), "audit", "--config", self.cfg, "--denom",
                            "stake", "--trust-a", self.roots["alpha"], "--trust-b",
                            self.roots["beta"], "--json"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode in (0, 1), r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else {"holds": False, "err": r.stderr}

    def quiescent(self):
        """No packet in flight on the path (as the chains say)."""
        return not R.commitments(self.a, self.ch_a) and not R.commitments(self.b, self.ch_b)


def test_scenario_with_replays_and_audit(procs, tmp_path):
    e = Env(procs, tmp_path)
    alice_b = e.json(e.b, "keys", "show", "alice")["address"]
    alice_a = e.json(e.a, "keys", "show", "alice")["address"]
    # 1. lock → position
    e.cli(e.a, "tx", "lock", "--from", "alice", "--channel", e.ch_a, "--denom", "stake",
          "--amount", "1000", "--to", alice_b)
    R.wait_until(lambda: e.position("alice") == 1000, chain=e.b, what="position credited")
    R.wait_until(e.quiescent, chain=e.a, what="ack relayed")
    assert e.escrow() == 1000 and e.audit()["holds"]
    # 2. price, supply, borrow up to LTV; above LTV refused
    e.cli(e.b, "tx", "set-price", "--from", "oracle", "--denom", e.trace, "--price",
          str(2 * WAD))
    e.cli(e.b, "tx", "supply", "--from", "bob", "--amount", "100000")
    e.cli(e.b, "tx", "borrow", "--from", "alice", "--amount", "1000")
    assert e.cli(e.b, "tx", "borrow", "--from", "alice", "--amount", "1", ok=False).returncode == 1
    # a replayed transaction is refused: the same signed envelope twice
    k = e.b.key("bob")
    with e.b.client() as cl:
        nonce = cl.call("account", k.address)[2]
        env = cwchain.sign_tx(k, "beta", nonce, [cwchain.msg_send(k.address, "uusd", 1)])
        cl.call("broadcast_tx", env)
        try:
            cl.call("broadcast_tx", env)
            raise AssertionError("replayed tx accepted")
        except R.cwrpc.RpcError as err:
            assert "already used" in err.message or "nonce" in err.message
    # 3. price falls; liquidation within the close factor
    e.cli(e.b, "tx", "set-price", "--from", "oracle", "--denom", e.trace, "--price",
          str(12 * WAD // 10))
    e.cli(e.b, "tx", "liquidate", "--from", "bob", "--borrower", alice_b, "--amount", "400",
          "--denom", e.trace)
    assert e.position("alice") == 650 and e.position("bob") == 350
    # 4. repay, withdraw the rest → released on alpha; audit holds once quiescent
    e.cli(e.b, "tx", "repay", "--from", "alice", "--amount", "1000")
    before = e.json(e.a, "query", "balance", "alice", "stake")["amount"]
    e.cli(e.b, "tx", "withdraw-collateral", "--from", "alice", "--channel", e.ch_b, "--denom",
          "stake", "--amount", "650", "--to", alice_a)
    R.wait_until(lambda: e.json(e.a, "query", "balance", "alice", "stake")["amount"] ==
                 before + 650, chain=e.a, what="release paid")
    R.wait_until(e.quiescent, chain=e.b, what="release acked")
    a = e.audit()
    assert a["holds"] and a["escrow"] == 350 and a["total"] == 350 and a["inflight"] == 0
    # the release was received on alpha exactly once
    assert R.receipt(e.a, e.ch_a, 1) == b"\x01"
    assert e.json(e.a, "query", "balance", "alice", "stake")["amount"] == before + 650


def test_kill9_chains_and_relayer_mid_scenario_nothing_lost_or_doubled(procs, tmp_path):
    """Locks commit, then alpha, beta or the relayer is killed with packets in flight. A
    second relayer (another key, its own DB) relays the same path all along, so every packet
    is also replayed: receipts make each land once."""
    rounds = int(os.environ.get("CW_E2E_KILLS", "3"))
    e = Env(procs, tmp_path)
    cfg2 = json.load(open(e.cfg))
    for ch in cfg2["chains"]:
        ch["key_file"] = ch["key_file"].replace("relayer.json", "relayer2.json")
    cfg2["db_path"] += "-2"
    path2 = os.path.join(str(tmp_path), "relayer2.json")
    with open(path2, "w") as f:
        json.dump(cfg2, f)
    R.start_relayer(procs, path2, name="second-relayer")
    alice_b = e.json(e.b, "keys", "show", "alice")["address"]
    rng = random.Random(8)
    sent = 0
    for r in range(rounds):
        for _ in range(4):
            # committed before any kill (the mempool is not durable, by design)
            e.cli(e.a, "tx", "lock", "--from", "alice", "--channel", e.ch_a, "--denom", "stake",
                  "--amount", "10", "--to", alice_b)
            sent += 10
        victim = rng.choice(["alpha", "beta", "relayer"])
        if victim == "relayer":
            procs.kill9(e.rly)
            e.rly = R.start_relayer(procs, e.cfg, name=f"relayer{r}")
        else:
            c = e.a if victim == "alpha" else e.b
            procs.kill9(c.proc)
            c.start()
    # everything lands exactly once: positions = escrow = all that was locked
    R.wait_until(lambda: e.position("alice") == sent, timeout=180, chain=e.b,
                 what="every lock credited")
    R.wait_until(e.quiescent, timeout=180, chain=e.a, what="every ack relayed")
    assert e.position("alice") == sent and e.escrow() == sent
    a = e.audit()
    assert a["holds"] and a["total"] == sent, a

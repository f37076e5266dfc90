"""`causeway keeper` against real chains (DESIGN §8 "Keeper"): two chains, the real relayer
bringing collateral across, a lending chain with two markets (uusd, the price unit, and ueur
at 1.1), and two keepers racing. A price drop makes three of four borrowers liquidatable —
two owing uusd, one owing ueur; the keepers clear all three within two blocks of the price,
each in the market it owes in (repaying from their own uusd or ueur: the keeper holding no
ueur leaves the ueur debt to the other), never touch the
healthy fourth, never liquidate one borrower twice (the loser's tx fails cleanly on chain
and is counted), and serve what they did on /metrics. Everything waits on chain
state or the keepers' /metrics, never on a fixed sleep."""

import os
import re
import subprocess

import relayer_env as R
from conftest import free_port, require_bin
from test_relayer import check_prometheus_text, metric, metrics_text

WAD = 10 ** 18
BORROWERS = ("b1", "b2", "b3", "b4")
# the market each borrows in: b3 owes ueur (priced 1.1 uusd), the others uusd
ASSET = {"b1": "uusd", "b2": "uusd", "b3": "ueur", "b4": "uusd"}
EUR = 11 * WAD // 10


class Env(R.CliUser):
    def __init__(self, procs, tmp, interval_ms):
        self.procs = procs
        root = str(tmp)
        self.a = R.Chain(procs, root, "alpha", "stake", 100,
                         accounts="b1,b2,b3,b4,relayer,relayer2").start()
        # the lending chain's blocks are slow enough for two keepers to reach the same block
        self.b = R.Chain(procs, root, "beta", "uusd,ueur", interval_ms,
                         accounts="b1,b2,b3,b4,bob,k1,k2,relayer,relayer2",
                         extra=("--market", "uusd", "--market", "ueur")).start()
        self.cfg = R.write_config(os.path.join(root, "relayer.json"), self.a, self.b,
                                  os.path.join(root, "rly.db"))
        R.relayer("create-clients", "--config", self.cfg)
        R.relayer("create-channel", "--config", self.cfg)
        self.ch_a, self.ch_b = R.channels(self.cfg)
        self.cli(self.b, "tx", "register-collateral", "--from", "admin", "--channel",
                 self.ch_b, "--denom", "stake", "--ltv", "5000", "--lt", "7500", "--bonus",
                 "500")
        self.rly = R.start_relayer(procs, self.cfg)
        self.trace = self.json(self.b, "query", "position", "b1", self.ch_b,
                               "stake")["trace_denom"]

    def addr(self, who):
        return self.json(self.b, "keys", "show", who)["address"]

    def position(self, who):
        return self.json(self.b, "query", "position", who, self.ch_b, "stake")["position"]

    def debt(self, who, asset=None):
        """who's debt in asset's market (base units of asset), or its debt value over every
        market (price unit) when asset is None"""
        h = self.json(self.b, "query", "health", who)
        if asset is None:
            return int(h["debt_value"])
        return int(next(m for m in h["markets"] if m["asset"] == asset)["debt"])

    def bal(self, who, asset):
        return self.json(self.b, "query", "balance", who, asset)["amount"]

    def keeper(self, name, port):
        argv = [require_bin("causeway"), "keeper", "--from", name, "--node",
                self.b.url.rstrip("/"), "--keyring", os.path.join(self.b.home, "keys"),
                "--metrics-port", str(port), "--poll-ms", "50"]
        return self.procs.start(argv, name=f"keeper-{name}")


def borrowers_page(chain, start=None, limit=1000):
    with chain.client() as c:
        return c.call("lend_borrowers", start, limit)


def test_keepers_clear_three_within_two_blocks_never_twice_never_the_healthy(procs,
                                                                             tmp_path):
    e = Env(procs, tmp_path, interval_ms=1000)
    addr = {w: e.addr(w) for w in BORROWERS + ("k1", "k2")}
    # collateral across the bridge: 1000 stake each
    for w in BORROWERS:
        e.cli(e.a, "tx", "lock", "--from", w, "--channel", e.ch_a, "--denom", "stake",
              "--amount", "1000", "--to", addr[w])
    R.wait_until(lambda: all(e.position(w) == 1000 for w in BORROWERS), chain=e.b,
                 what="positions credited")
    e.cli(e.b, "tx", "set-price", "--from", "oracle", "--denom", e.trace, "--price",
          str(2 * WAD))
    e.cli(e.b, "tx", "set-price", "--from", "oracle", "--denom", "ueur", "--price", str(EUR))
    e.cli(e.b, "tx", "supply", "--from", "bob", "--amount", "100000uusd")
    e.cli(e.b, "tx", "supply", "--from", "bob", "--amount", "100000ueur")
    # b3: 818 ueur, worth ceil(818 × 1.1) = 900 uusd, as the others' 900 uusd
    amounts = {"b1": 900, "b2": 900, "b3": 818, "b4": 400}
    for w in BORROWERS:
        e.cli(e.b, "tx", "borrow", "--from", w, "--amount", f"{amounts[w]}{ASSET[w]}")
    assert 900 <= e.debt("b3") <= 905  # interest may have accrued a unit since
    # the index: exactly the four borrowers, ascending, pageable
    page = borrowers_page(e.b)
    listed = [a.hex() for a in page[1]]
    assert sorted(listed) == listed and set(listed) == {addr[w] for w in BORROWERS}
    assert page[2] is None
    first = borrowers_page(e.b, limit=2)
    assert len(first[1]) == 2 and first[2] == first[1][1]
    rest = borrowers_page(e.b, start=first[2], limit=2)
    assert [a.hex() for a in first[1] + rest[1]] == listed

    # k2 holds no ueur (it repays from its own balance): the ueur debt is k1's alone
    e.cli(e.b, "tx", "send", "--from", "k2", "--to", "bob", "--denom", "ueur", "--amount",
          str(e.bal("k2", "ueur")))
    assert e.bal("k2", "ueur") == 0
    ports = {"k1": free_port(), "k2": free_port()}
    keepers = {k: e.keeper(k, p) for k, p in ports.items()}
    bal0 = {(k, a): e.bal(k, a) for k in ports for a in ("uusd", "ueur")}
    debt0 = {w: e.debt(w, ASSET[w]) for w in BORROWERS}

    def watched(k):
        try:
            return metric(metrics_text(ports[k]), "causeway_keeper_positions_watched") == 4
        except OSError:
            return False

    # both keepers follow the chain and watch the four (healthy: nothing sent)
    R.wait_until(lambda: watched("k1") and watched("k2"), chain=e.b, what="keepers watching")
    for k in ports:
        text = metrics_text(ports[k])
        assert metric(text, "causeway_keeper_liquidations_total") == 0
        assert metric(text, "causeway_keeper_index_mismatches_total") == 0

    # the price halves to 1.0: b1..b3 at health 750/900 = 0.83 (< 0.95: the whole debt may
    # be repaid, in the market owed); b4 at 750/400 = 1.9 stays healthy
    r = e.json(e.b, "tx", "set-price", "--from", "oracle", "--denom", e.trace, "--price",
               str(WAD))
    price_height = r["height"]

    def done():
        total = 0
        for k in ports:
            text = metrics_text(ports[k])
            total += metric(text, "causeway_keeper_liquidations_total")
        return total >= 3
    R.wait_until(done, chain=e.b, what="three liquidations", timeout=60)
    liquidated = ("b1", "b2", "b3")
    assert all(e.debt(w) == 0 for w in liquidated)

    # what each keeper did, from its log: "liquidation done height=H borrower=ADDR ..."
    done_re = re.compile(r"liquidation done height=(\d+) borrower=([0-9a-f]{40}) asset=(\S+) "
                         r"denom=(\S+) repay=(\d+) seize=(\d+)")
    fail_re = re.compile(r'liquidation failed cleanly height=(\d+) borrower=([0-9a-f]{40}) '
                         r'reason="([^"]*)"')
    wins, fails = [], []
    for k, p in keepers.items():
        log = procs.log(p)
        wins += [(k,) + m.groups() for m in done_re.finditer(log)]
        fails += [(k,) + m.groups() for m in fail_re.finditer(log)]
    by_borrower = {}
    for k, h, who, asset, denom, repay, seize in wins:
        by_borrower.setdefault(who, []).append((k, int(h), int(repay), int(seize), asset))
        assert denom == e.trace
    # each of the three exactly once, never the healthy one; within two blocks of the price
    assert sorted(by_borrower) == sorted(addr[w] for w in liquidated), by_borrower
    assert all(len(v) == 1 for v in by_borrower.values()), by_borrower
    heights = [v[0][1] for v in by_borrower.values()]
    assert max(heights) <= price_height + 2, (price_height, heights)
    print(f"\nkeeper: price at height {price_height}, liquidations at {sorted(heights)} "
          f"(blocks after the price: {sorted(h - price_height for h in heights)})")
    # the single correct amount per borrower, in the market it owes in: the whole debt
    # repaid (≥ what was borrowed, interest on top), seize = floor(repay × price of the
    # asset × 1.05 / 1.0) out of its position
    for w in liquidated:
        k, h, repay, seize, asset = by_borrower[addr[w]][0]
        assert asset == ASSET[w], (w, asset)
        assert debt0[w] <= repay <= debt0[w] + 5, (w, debt0[w], repay)
        if asset == "uusd":
            assert seize == repay * 10500 // 10000
        else:
            assert seize == repay * 10500 * 11 // 10 // 10000
        assert e.position(w) == 1000 - seize
        assert e.debt(w) == 0
    # what the keepers hold and spent adds up to exactly those, once
    seized = sum(v[0][3] for v in by_borrower.values())
    assert e.position("k1") + e.position("k2") == seized
    for a in ("uusd", "ueur"):
        repaid = sum(v[0][2] for v in by_borrower.values() if v[0][4] == a)
        assert sum(bal0[(k, a)] - e.bal(k, a) for k in ports) == repaid, a
    # the ueur debt: liquidated by k1, the keeper holding ueur; k2 never sent one for it
    assert by_borrower[addr["b3"]][0][0] == "k1"
    assert not re.search(r"liquidation sent borrower=%s .*asset=ueur" % addr["b3"],
                         procs.log(keepers["k2"]))
    # the healthy borrower: untouched
    assert e.position("b4") == 1000 and e.debt("b4", "uusd") >= debt0["b4"]
    for p in keepers.values():
        assert addr["b4"] not in procs.log(p)
    # a loser's liquidation failed cleanly on chain (nothing changed: the sums above hold)
    for k, h, who, reason in fails:
        assert who in by_borrower and ("no debt" in reason or "healthy" in reason), reason
    # /metrics: well-formed; counts agree with the logs and the chain
    liq = fail = 0
    for k in ports:
        text = metrics_text(ports[k])
        check_prometheus_text(text, tmp_path)
        liq += metric(text, "causeway_keeper_liquidations_total")
        fail += metric(text, "causeway_keeper_liquidation_failures_total")
        mine = [v[0] for v in by_borrower.values() if v[0][0] == k]
        # repaid in the price unit: a ueur repay counts ceil(repay × 1.1)
        assert metric(text, "causeway_keeper_repaid_total") == sum(
            x[2] if x[4] == "uusd" else -(-x[2] * 11 // 10) for x in mine)
        got = metric(text, "causeway_keeper_seized_total", {"denom": e.trace})
        assert (got or 0) == sum(x[3] for x in mine)
        assert metric(text, "causeway_keeper_profit_total") >= 0
    assert liq == 3 and fail == len(fails)
    print(f"keeper: {len(fails)} losing liquidation(s) failed cleanly: "
          f"{sorted(set(f[3] for f in fails))}")
    # the index follows the debts: only b4 is left
    assert [a.hex() for a in borrowers_page(e.b)[1]] == [addr["b4"]]
    R.wait_until(lambda: metric(metrics_text(ports["k1"]),
                                "causeway_keeper_positions_watched") == 1, chain=e.b,
                 what="keeper watching one")


def test_keeper_reconnects_after_the_node_restarts_and_rejects_bad_flags(procs, tmp_path):
    beta = R.Chain(procs, str(tmp_path), "beta", "uusd", 100, accounts="k1",
                   extra=("--market", "uusd")).start()
    home, port = beta.home, beta.port
    keyring = os.path.join(home, "keys")
    cli = require_bin("causeway")
    # usage errors: exit 2, naming the flag
    for bad in (["--metrics-port", "70000"], ["--page", "0"], ["--max-repay", "x"]):
        r = subprocess.run([cli, "keeper", "--from", "k1", "--keyring", keyring, *bad],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and bad[0] in r.stderr, r.stderr
    r = subprocess.run([cli, "keeper", "--keyring", keyring], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2
    r = subprocess.run([cli, "keeper", "--from", "nobody", "--keyring", keyring],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "nobody" in r.stderr
    # --once: one round (nobody borrows here), then exit 0
    r = subprocess.run([cli, "keeper", "--from", "k1", "--keyring", keyring, "--node",
                        f"ws://127.0.0.1:{port}", "--once"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "keeper stopped" in r.stderr, r.stderr
    mport = free_port()
    k = procs.start([cli, "keeper", "--from", "k1", "--node", f"ws://127.0.0.1:{port}",
                     "--keyring", keyring, "--metrics-port", str(mport), "--poll-ms", "50"],
                    name="keeper")

    def rounds():
        try:
            return metric(metrics_text(mport), "causeway_keeper_rounds_total") or 0
        except OSError:
            return 0
    R.wait_until(lambda: rounds() >= 2, what="keeper rounds")
    beta.stop()
    before = rounds()
    beta.start()
    R.wait_until(lambda: rounds() > before + 2, what="keeper rounds after the restart")
    assert k.poll() is None, procs.log(k)
    assert "reconnected" in procs.log(k) or "connection lost" in procs.log(k)


def test_keeper_survives_a_hostile_node(procs, tmp_path):
    """Answers wrong in every way (tests/integration/hostile_node.py): the keeper logs, counts
    and goes on; it never sends what a bad answer asked for, and never exits. With proofs on
    (the default) it cannot even verify a header from this node, so it runs no round."""
    import sys
    from conftest import wait_port
    port = free_port()
    here = os.path.dirname(os.path.abspath(__file__))
    procs.start([sys.executable, os.path.join(here, "hostile_node.py"), str(port)],
                name="hostile-node")
    wait_port(port)
    keyring = str(tmp_path / "keys")
    cli = require_bin("causeway")
    subprocess.run([cli, "keys", "add", "k1", "--keyring", keyring], check=True,
                   capture_output=True, timeout=30)
    ports = {"trusting": free_port(), "proving": free_port()}
    keepers = {}
    for name, mport in ports.items():
        extra = ["--no-prove"] if name == "trusting" else []
        keepers[name] = procs.start([cli, "keeper", "--from", "k1", "--node",
                                     f"ws://127.0.0.1:{port}", "--keyring", keyring,
                                     "--metrics-port", str(mport), "--poll-ms", "20", *extra],
                                    name=f"keeper-{name}")

    def m(name, metric_name):
        try:
            return metric(metrics_text(ports[name]), metric_name) or 0
        except OSError:
            return 0
    # every kind of bad answer, several times over
    R.wait_until(lambda: m("trusting", "causeway_keeper_rounds_total") +
                 m("trusting", "causeway_keeper_round_errors_total") >= 40,
                 what="rounds against the hostile node")
    for name, k in keepers.items():
        assert k.poll() is None, procs.log(k)
    assert m("trusting", "causeway_keeper_round_errors_total") > 0
    assert m("trusting", "causeway_keeper_liquidations_total") == 0
    # the one plausible quote was chosen, but the node's account answer was garbage: the
    # liquidation was never signed and sent, and counted as a failure
    assert m("trusting", "causeway_keeper_liquidation_failures_total") >= 1
    # proving: no header from this node verifies, so no round ever ran; it says why
    assert m("proving", "causeway_keeper_rounds_total") == 0
    assert "level=warn keeper:" in procs.log(keepers["proving"])

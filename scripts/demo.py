#!/usr/bin/env python3
"""make demo — two local chains bridge collateral and bring it back (the main job).

alpha is the home of the collateral asset (stake); beta runs two lending markets (uusd, the
price unit, and ueur, priced by the oracle): borrowing either counts against one limit.
Everything runs as real processes on loopback with data in a temporary directory, driven
through the same binaries and commands a user has. Every step checks what it shows; the
demo exits 0 only if every expectation held, and stops everything it started (unless
--keep, which leaves the chains and relayer running and prints how to reach them).

--hub runs the three-chain scenario instead (README "make demo ARGS=--hub"): alpha (stake)
and gamma (atom) each with a collateral and a transfer channel to beta, the lending hub, all
four relayed by one relayer; both positions back one borrow, the uusd borrowed goes to gamma
over ICS-20 and back, is repaid, the collateral goes home, and every path is audited.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.abspath(os.path.join(BUILD, "rel", "bin"))
BLOCK_MS = 200
KEEP = "--keep" in sys.argv[1:]
WAD = 10 ** 18
VERSIONS = {"collateral": "collateral-1", "transfer": "ics20-1"}

procs = []
failures = []


def say(msg=""):
    print(msg, flush=True)


def step(title):
    say()
    say(f"== {title}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, env=None, ok=True):
    r = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=120)
    if ok and r.returncode != 0:
        raise SystemExit(f"demo: command failed ({r.returncode}): {' '.join(args)}\n"
                         f"{r.stdout}{r.stderr}")
    return r


def start(name, args, log):
    f = open(log, "wb")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    p.name, p.log = name, log
    procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(what, fn, timeout=60.0):
    """Poll fn until it returns a truthy value; the demo's only way of waiting."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise SystemExit(f"demo: timed out waiting for {what}")


def expect(cond, what):
    if cond:
        say(f"   ok: {what}")
    else:
        say(f"   FAILED: {what}")
        failures.append(what)


class Chain:
    def __init__(self, root, cid, denom, markets=()):
        self.id, self.denom = cid, denom
        self.home = os.path.join(root, cid)
        self.port = free_port()
        args = [f"{BIN}/causeway-chain", "init", "--home", self.home, "--chain-id", cid,
                "--port", str(self.port), "--block-interval-ms", str(BLOCK_MS),
                "--accounts", "alice,bob,relayer", "--denoms", ",".join([denom, *markets[1:]])]
        for m in markets:
            args += ["--market", m]
        run(*args)
        self.env = dict(os.environ, CAUSEWAY_NODE=f"ws://127.0.0.1:{self.port}",
                        CAUSEWAY_KEYRING=os.path.join(self.home, "keys"))
        self.proc = None

    def start(self, root):
        self.proc = start(self.id, [f"{BIN}/causeway-chain", "start", "--home", self.home],
                          os.path.join(root, f"{self.id}.log"))
        wait_for(f"{self.id} to answer /healthz",
                 lambda: run(f"{BIN}/causeway", "healthz", f"http://127.0.0.1:{self.port}",
                             ok=False).returncode == 0)

    def cli(self, *args, ok=True):
        return run(f"{BIN}/causeway", *args, env=self.env, ok=ok)

    def json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def address(self, name):
        return self.json("keys", "show", name)["address"]

    def balance(self, who, denom=None):
        return self.json("query", "balance", who, denom or self.denom)["amount"]

    def height(self):
        return self.json("query", "status")["latest_height"]


def relayer_config(root, chains, paths, roots=None):
    """Write the relayer's config: every chain (with its trust root from `roots`, chain id →
    "HEIGHT:HASH", when given), and one path per (name, chain, port), each from that chain to
    the last of `chains` (the lending chain); ids left empty for create-clients and
    create-channel to fill in. Returns its file name."""
    hub = chains[-1]
    cfg = os.path.join(root, "relayer.json")
    with open(cfg, "w") as f:
        json.dump({
            "chains": [{"id": c.id, "rpc": f"ws://127.0.0.1:{c.port}/",
                        "key_file": os.path.join(c.home, "keys", "relayer.json"),
                        **({"trust_root": roots[c.id]} if roots else {})}
                       for c in chains],
            "paths": [{"name": name, "version": VERSIONS[port], "ordering": "unordered",
                       "a": {"chain": c.id, "port": port, "channel": "", "client": ""},
                       "b": {"chain": hub.id, "port": port, "channel": "", "client": ""}}
                      for name, c, port in paths],
            "batch_size": 100, "db_path": os.path.join(root, "relayer.db"),
            "metrics_addr": f"127.0.0.1:{free_port()}", "log_level": "info"}, f, indent=2)
    return cfg


def main():
    if "--hub" in sys.argv[1:]:
        return hub_main()
    root = tempfile.mkdtemp(prefix="causeway-demo-")
    t0 = time.monotonic()
    try:
        step("Two chains: alpha (home of 'stake') and beta (lending markets for 'uusd' and "
             "'ueur')")
        alpha = Chain(root, "alpha", "stake")
        beta = Chain(root, "beta", "uusd", markets=("uusd", "ueur"))
        alpha.start(root)
        beta.start(root)
        say(f"   alpha on ws://127.0.0.1:{alpha.port}, beta on ws://127.0.0.1:{beta.port}, "
            f"blocks every {BLOCK_MS} ms, data in {root}")
        # the trust roots the audit starts from: block 1 of each chain, noted at genesis (an
        # operator would take them from a source they trust)
        wait_for("block 1", lambda: alpha.height() >= 1 and beta.height() >= 1)
        roots = {c.id: f"1:{c.json('query', 'block', '1')['block_hash']}" for c in (alpha, beta)}
        say(f"   trust roots noted: alpha {roots['alpha'][:20]}..., beta {roots['beta'][:20]}...")

        step("Relayer: light clients of each chain on the other, and a collateral channel")
        cfg = relayer_config(root, (alpha, beta), [("collateral", alpha, "collateral")])
        rly = f"{BIN}/causeway-relayer"
        say("   " + run(rly, "create-clients", "--config", cfg).stdout.strip().replace(
            "\n", "\n   "))
        say("   " + run(rly, "create-channel", "--config", cfg).stdout.strip().replace(
            "\n", "\n   "))
        path = json.load(open(cfg))["paths"][0]
        ch_a, ch_b = path["a"]["channel"], path["b"]["channel"]
        say(f"   channel: alpha {ch_a} <-> beta {ch_b} (port collateral, version collateral-1)")
        beta.cli("tx", "register-collateral", "--from", "admin", "--channel", ch_b, "--denom",
                 "stake", "--ltv", "5000", "--lt", "7500", "--bonus", "500")
        say("   beta's admin registered stake over that channel: LTV 50%, liquidation "
            "threshold 75%, bonus 5%")
        relayer = start("relayer", [rly, "start", "--config", cfg],
                        os.path.join(root, "relayer.log"))

        alice_a, alice_b = alpha.address("alice"), beta.address("alice")
        bob_b = beta.address("bob")
        trace = beta.json("query", "position", "alice", ch_b, "stake")["trace_denom"]

        step("1. Alice locks 1000 stake on alpha; her position appears on beta")
        bal0 = alpha.balance("alice")
        t = time.monotonic()
        alpha.cli("tx", "lock", "--from", "alice", "--channel", ch_a, "--denom", "stake",
                  "--amount", "1000", "--to", alice_b)
        pos = wait_for("the position on beta", lambda: beta.json(
            "query", "position", alice_b, ch_b, "stake")["position"] or None)
        lat = time.monotonic() - t
        escrow = alpha.json("query", "escrow", ch_a, "stake")["escrow"]
        say(f"   alice on alpha: {bal0} -> {alpha.balance('alice')} stake; escrow {escrow}")
        say(f"   alice's position on beta: {pos} stake ({trace[:16]}...), "
            f"lock to credit {lat * 1000:.0f} ms")
        expect(pos == 1000 and escrow == 1000, "escrow on alpha = position on beta = 1000")

        step("2. The oracle prices stake at 2 uusd; Bob supplies; Alice borrows up to her LTV")
        beta.cli("tx", "set-price", "--from", "oracle", "--denom", trace, "--price",
                 str(2 * WAD))
        beta.cli("tx", "supply", "--from", "bob", "--amount", "100000uusd")
        beta.cli("tx", "borrow", "--from", "alice", "--amount", "1000uusd")
        h = beta.json("query", "health", "alice", "--asset", "uusd")
        say(f"   alice borrowed 1000 uusd: debt {h['debt']}, borrow limit {h['borrow_limit']},"
            f" health factor {int(h['health_factor_wad']) / WAD:.3f}")
        r = beta.cli("tx", "borrow", "--from", "alice", "--amount", "10uusd", ok=False)
        say(f"   one more borrow of 10 uusd: refused — {(r.stdout + r.stderr).strip()}")
        expect(r.returncode == 1, "a borrow above the LTV is refused")

        # 1.3: health 0.975, under 1 but above 0.95, where one liquidation may repay at most
        # the 50% close factor (below 0.95 the whole debt may go: DESIGN §8)
        step("3. The price falls to 1.3 uusd; Bob liquidates part of Alice's position")
        beta.cli("tx", "set-price", "--from", "oracle", "--denom", trace, "--price",
                 str(13 * WAD // 10))
        h = beta.json("query", "health", "alice")
        hf = int(h["health_factor_wad"]) / WAD
        say(f"   alice's health factor: {hf:.3f} (below 1.0: liquidatable)")
        expect(hf < 1, "the position became liquidatable")
        r = beta.cli("tx", "liquidate", "--from", "bob", "--borrower", alice_b, "--amount",
                     "600uusd", "--denom", trace, ok=False)
        say(f"   liquidating 600 (above the 50% close factor): refused — "
            f"{(r.stdout + r.stderr).strip()}")
        expect(r.returncode == 1, "a liquidation above the close factor is refused")
        beta.cli("tx", "liquidate", "--from", "bob", "--borrower", alice_b, "--amount",
                 "400uusd", "--denom", trace)
        pos_a = beta.json("query", "position", alice_b, ch_b, "stake")["position"]
        pos_b = beta.json("query", "position", bob_b, ch_b, "stake")["position"]
        h = beta.json("query", "health", "alice")
        seize = 400 * 10500 * 10 // 13 // 10000  # floor(400 x 1.05 / 1.3) = 323
        say(f"   bob repaid 400 uusd and seized {pos_b} stake (400 x 1.05 / 1.3 = {seize}); "
            f"alice keeps {pos_a}; her health factor {int(h['health_factor_wad']) / WAD:.3f}")
        expect(pos_b == seize and pos_a == 1000 - seize, "seize = repay x (1 + bonus) / price")

        step("4. Alice repays and withdraws the rest of her collateral back to alpha")
        beta.cli("tx", "repay", "--from", "alice", "--amount", "1000uusd")
        h = beta.json("query", "health", "alice")
        expect(h["debt_value"] == "0", "alice's debt is repaid")
        bal1 = alpha.balance("alice")
        t = time.monotonic()
        beta.cli("tx", "withdraw-collateral", "--from", "alice", "--channel", ch_b, "--denom",
                 "stake", "--amount", str(pos_a), "--to", alice_a)
        bal2 = wait_for("the release on alpha", lambda: (lambda b: b if b > bal1 else None)(
            alpha.balance("alice")))
        lat = time.monotonic() - t
        escrow = alpha.json("query", "escrow", ch_a, "stake")["escrow"]
        say(f"   alice on alpha: {bal1} -> {bal2} stake (+{bal2 - bal1}), withdraw to unescrow "
            f"{lat * 1000:.0f} ms; escrow now {escrow} (bob's {seize} position)")
        expect(bal2 - bal1 == pos_a and escrow == seize, "released exactly her position")

        step("4b. A second borrowable asset: Bob borrows ueur against the stake he seized")
        beta.cli("tx", "set-price", "--from", "oracle", "--denom", "ueur", "--price",
                 str(11 * WAD // 10))
        beta.cli("tx", "supply", "--from", "alice", "--amount", "50000ueur")
        beta.cli("tx", "borrow", "--from", "bob", "--amount", "190ueur")
        h = beta.json("query", "health", "bob")
        eur = next(m for m in h["markets"] if m["asset"] == "ueur")
        say(f"   ueur priced at 1.1 uusd (uusd is the price unit); alice supplied 50000 ueur")
        say(f"   bob's 323 stake at 1.3 x LTV 50% = borrow limit {h['borrow_limit']} uusd "
            f"(209.95, rounded down); he borrowed {eur['debt']} ueur, worth ceil(190 x 1.1) = "
            f"{h['debt_value']} uusd; health factor {int(h['health_factor_wad']) / WAD:.3f}")
        expect(h["borrow_limit"] == "209" and eur["debt"] == "190" and h["debt_value"] == "209",
               "a ueur debt counts at its price against the one borrow limit")
        r = beta.cli("tx", "borrow", "--from", "bob", "--amount", "1ueur", ok=False)
        say(f"   one more ueur (debt value above 209 with it): refused — "
            f"{(r.stdout + r.stderr).strip()}")
        expect(r.returncode == 1, "a ueur borrow above the shared limit is refused")
        bal_eur = beta.balance("alice", "ueur")
        beta.cli("tx", "flash-loan", "--from", "alice", "--amount", "20000ueur")
        fee = bal_eur - beta.balance("alice", "ueur")
        m = beta.json("query", "market", "--asset", "ueur")
        say(f"   alice flash-borrowed 20000 ueur and the tx's end took it back with the fee: "
            f"paid {fee} ueur (9 bps, rounded up); ueur reserves {m['reserves']}")
        expect(fee == 18 and m["reserves"] == "18", "a flash loan's fee lands in reserves")
        beta.cli("tx", "repay", "--from", "bob", "--amount", "1000ueur")
        h = beta.json("query", "health", "bob")
        say(f"   bob repaid his ueur debt from his own ueur (repaying more than owed repays what "
            f"is owed): debt value {h['debt_value']}")
        expect(h["debt_value"] == "0", "bob owes nothing in any market")

        step("5. A deposit sent while beta is stopped times out and is refunded on alpha")
        stop(beta.proc)
        bal3 = alpha.balance("alice")
        alpha.cli("tx", "lock", "--from", "alice", "--channel", ch_a, "--denom", "stake",
                  "--amount", "100", "--to", alice_b, "--timeout-time", "+3")
        say(f"   beta stopped; alice locked 100 stake with a 3 s timeout: "
            f"balance {alpha.balance('alice')}, escrow "
            f"{alpha.json('query', 'escrow', ch_a, 'stake')['escrow']}")
        time.sleep(3.5)  # the timeout itself: beta must restart after it, by design
        beta.start(root)
        bal4 = wait_for("the refund on alpha", lambda: (lambda b: b if b == bal3 else None)(
            alpha.balance("alice")), timeout=90)
        escrow = alpha.json("query", "escrow", ch_a, "stake")["escrow"]
        say(f"   beta restarted; the relayer proved the deposit never arrived: alice refunded "
            f"to {bal4}, escrow back to {escrow}")
        expect(bal4 == bal3 and escrow == seize, "timed-out deposit refunded, escrow unchanged")

        step("6. A keeper liquidates on its own: the price falls, `causeway keeper` clears it")
        mport = free_port()
        keeper = start("keeper", [f"{BIN}/causeway", "keeper", "--from", "bob", "--node",
                                  f"ws://127.0.0.1:{beta.port}", "--keyring",
                                  os.path.join(beta.home, "keys"), "--metrics-port",
                                  str(mport)], os.path.join(root, "keeper.log"))

        def metrics():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                            timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                return None
            return {ln.split()[0]: ln.split()[1] for ln in text.splitlines()
                    if ln and not ln.startswith("#")}
        alpha.cli("tx", "lock", "--from", "alice", "--channel", ch_a, "--denom", "stake",
                  "--amount", "1000", "--to", alice_b)
        wait_for("the new position on beta", lambda: beta.json(
            "query", "position", alice_b, ch_b, "stake")["position"] == 1000)
        beta.cli("tx", "borrow", "--from", "alice", "--amount", "536ueur")
        wait_for("the keeper to watch alice", lambda: (metrics() or {}).get(
            "causeway_keeper_positions_watched") == "1")
        h = beta.json("query", "health", "alice")
        say(f"   alice locked 1000 stake again and borrowed 536 ueur, worth {h['debt_value']} "
            f"uusd at 1.1 (health factor {int(h['health_factor_wad']) / WAD:.3f}); the keeper, "
            f"signing as bob, watches 1 borrower and leaves her alone. It repays from bob's "
            f"own balance, so bob holds ueur, the asset it would repay")
        pos_bob0, bal_bob0 = (beta.json("query", "position", bob_b, ch_b, "stake")["position"],
                              beta.balance("bob", "ueur"))
        r = beta.json("tx", "set-price", "--from", "oracle", "--denom", trace, "--price",
                      str(7 * WAD // 10))
        price_h = r["height"]
        h = beta.json("query", "health", "alice")
        say(f"   the oracle prices stake at 0.7 uusd at height {price_h}: alice's health "
            f"factor {int(h['health_factor_wad']) / WAD:.3f}")
        m = wait_for("the keeper's liquidation", lambda: (lambda x: x if x and x.get(
            "causeway_keeper_liquidations_total") == "1" else None)(metrics()))
        done = [ln for ln in open(os.path.join(root, "keeper.log")).read().splitlines()
                if "liquidation done" in ln]
        liq_h = int(done[0].split("height=")[1].split()[0]) if done else 0
        seized = beta.json("query", "position", bob_b, ch_b, "stake")["position"] - pos_bob0
        repaid = bal_bob0 - beta.balance("bob", "ueur")
        h = beta.json("query", "health", "alice")
        left = beta.json("query", "position", alice_b, ch_b, "stake")["position"]
        say(f"   the keeper liquidated alice at height {liq_h} ({liq_h - price_h} block(s) "
            f"after the price), in the ueur market: repaid {repaid} ueur (her whole debt: "
            f"health was below 0.95), seized {seized} stake = {repaid} x 1.1 x 1.05 / 0.7, "
            f"worth {m['causeway_keeper_seize_value_total']} uusd for a repay worth "
            f"{m['causeway_keeper_repaid_total']} uusd (profit "
            f"{m['causeway_keeper_profit_total']}); alice keeps {left} stake, debt value "
            f"{h['debt_value']}")
        expect(h["debt_value"] == "0" and seized == repaid * 10500 * 11 // 7 // 10000 and
               seized + left == 1000,
               "the keeper repaid the ueur debt and seized repay x 1.1 x 1.05 / 0.7")
        expect(m["causeway_keeper_seize_value_total"] == str(seized * 7 // 10) and
               m["causeway_keeper_repaid_total"] == str(-(-repaid * 11 // 10)) and
               m["causeway_keeper_liquidation_failures_total"] == "0",
               "the keeper's /metrics agree with the chain")
        stop(keeper)
        escrow = alpha.json("query", "escrow", ch_a, "stake")["escrow"]

        step("Books, and the audit: every figure proven against headers it verified itself")
        total = beta.json("query", "position", alice_b, ch_b, "stake")["position"] + \
            beta.json("query", "position", bob_b, ch_b, "stake")["position"]
        say(f"   escrow on alpha {escrow} = positions on beta {total}")
        expect(escrow == total, "escrow = total positions with nothing in flight")
        r = run(f"{BIN}/causeway", "audit", "--config", cfg, "--denom", "stake", "--trust-a",
                roots["alpha"], "--trust-b", roots["beta"], ok=False)
        say("   " + (r.stdout if r.returncode == 0 else r.stdout + r.stderr).strip()
            .replace("\n", "\n   "))
        expect(r.returncode == 0 and "BALANCED" in r.stdout and "NOT" not in r.stdout,
               "causeway audit: balanced")
        for asset in ("uusd", "ueur"):
            m = beta.json("query", "market", "--asset", asset)
            say(f"   market {asset}: cash {m['cash']}, borrows {m['total_borrows']}, reserves "
                f"{m['reserves']}, bad debt {m['bad_debt']}")
        say(f"   scenario time {time.monotonic() - t0:.1f} s")
    finally:
        finish(root, [
            f"export CAUSEWAY_NODE=ws://127.0.0.1:{beta.port} CAUSEWAY_KEYRING={beta.home}/keys",
            f"{BIN}/causeway query health bob",
            f"{BIN}/causeway query market --asset ueur",
            f"{BIN}/causeway-relayer status --config {os.path.join(root, 'relayer.json')}"])
    return verdict()



def voucher(channel, denom):
    """ICS-20: the voucher a chain mints for `denom` arriving over its end `channel`."""
    return "ibc/" + hashlib.sha256(f"transfer/{channel}/{denom}".encode()).hexdigest().upper()


def hub_main():
    """make demo ARGS=--hub: three chains, one relayer for four paths (DESIGN §9, §8a)."""
    root = tempfile.mkdtemp(prefix="causeway-demo-hub-")
    t0 = time.monotonic()
    beta = None
    try:
        step("Three chains: alpha (home of 'stake'), gamma (home of 'atom') and beta, the "
             "lending hub (market 'uusd')")
        alpha = Chain(root, "alpha", "stake")
        gamma = Chain(root, "gamma", "atom")
        beta = Chain(root, "beta", "uusd", markets=("uusd",))
        chains = (alpha, gamma, beta)
        for c in chains:
            c.start(root)
        say("   " + ", ".join(f"{c.id} on ws://127.0.0.1:{c.port}" for c in chains) +
            f"; blocks every {BLOCK_MS} ms, data in {root}")
        wait_for("block 1", lambda: all(c.height() >= 1 for c in chains))
        roots = {c.id: f"1:{c.json('query', 'block', '1')['block_hash']}" for c in chains}
        say("   trust roots noted at block 1 (in the relayer config: the relayer and the "
            "audit start from them)")

        step("One relayer, four paths: a collateral and a transfer channel from alpha and "
             "from gamma to beta")
        names = [("alpha-collateral", alpha, "collateral"), ("alpha-transfer", alpha, "transfer"),
                 ("gamma-collateral", gamma, "collateral"), ("gamma-transfer", gamma, "transfer")]
        cfg = relayer_config(root, chains, names, roots)
        rly = f"{BIN}/causeway-relayer"
        n_clients = run(rly, "create-clients", "--config", cfg).stdout.count("created")
        run(rly, "create-channel", "--config", cfg)
        ch = {p["name"]: (p["a"]["channel"], p["b"]["channel"])
              for p in json.load(open(cfg))["paths"]}
        for name, c, port in names:
            say(f"   {name:17s} {c.id} {ch[name][0]} <-> beta {ch[name][1]}  (port {port}, "
                f"{VERSIONS[port]})")
        say(f"   {n_clients} light clients created (one of each end's chain on the other, per "
            f"path)")
        expect(n_clients == 8, "a client on each end of each of the 4 paths")
        params = {"stake": ("alpha-collateral", 5000, 7500, 500),
                  "atom": ("gamma-collateral", 6000, 8000, 400)}
        for denom, (path, ltv, lt, bonus) in params.items():
            beta.cli("tx", "register-collateral", "--from", "admin", "--channel", ch[path][1],
                     "--denom", denom, "--ltv", str(ltv), "--lt", str(lt), "--bonus", str(bonus))
            say(f"   beta's admin registered {denom} over {ch[path][1]}: LTV {ltv // 100}%, "
                f"liquidation threshold {lt // 100}%, bonus {bonus / 100:g}%")
        relayer = start("relayer", [rly, "start", "--config", cfg],
                        os.path.join(root, "relayer.log"))
        home = {"stake": (alpha, "alpha-collateral"), "atom": (gamma, "gamma-collateral")}
        alice = {c.id: c.address("alice") for c in chains}

        def position(denom, who="alice"):
            return beta.json("query", "position", beta.address(who), ch[home[denom][1]][1],
                             denom)["position"]

        def escrow(denom):
            c, path = home[denom]
            return c.json("query", "escrow", ch[path][0], denom)["escrow"]

        step("1. Alice locks 1000 stake on alpha and 100 atom on gamma, both for her account "
             "on beta")
        bal0 = {d: home[d][0].balance("alice", d) for d in home}
        t = time.monotonic()
        for denom, amount in (("stake", 1000), ("atom", 100)):
            c, path = home[denom]
            c.cli("tx", "lock", "--from", "alice", "--channel", ch[path][0], "--denom", denom,
                  "--amount", str(amount), "--to", alice["beta"])
        wait_for("both positions on beta", lambda: position("stake") and position("atom"))
        lat = time.monotonic() - t
        for denom, amount in (("stake", 500), ("atom", 50)):  # bob's stay there to the end
            c, path = home[denom]
            c.cli("tx", "lock", "--from", "bob", "--channel", ch[path][0], "--denom", denom,
                  "--amount", str(amount), "--to", beta.address("bob"), "--no-wait")
        for denom in home:
            say(f"   {denom}: alice on {home[denom][0].id} {bal0[denom]} -> "
                f"{home[denom][0].balance('alice', denom)}; her position on beta "
                f"{position(denom)}")
        say(f"   both credited {lat * 1000:.0f} ms after the first lock, by the one relayer")
        wait_for("bob's positions on beta", lambda: all(position(d, "bob") for d in home))
        say(f"   bob locks 500 stake and 50 atom too (kept to the end); escrow on alpha "
            f"{escrow('stake')}, on gamma {escrow('atom')}")
        expect(escrow("stake") == 1500 and escrow("atom") == 150,
               "escrow on each home chain = the positions on beta (1500 stake, 150 atom)")
        expect(position("stake") == 1000 and position("atom") == 100,
               "alice's positions on beta: 1000 stake, 100 atom")
        trace = {d: beta.json("query", "position", alice["beta"], ch[home[d][1]][1],
                              d)["trace_denom"] for d in home}

        step("2. Priced (stake 2 uusd, atom 10 uusd), the two positions back one borrow")
        beta.cli("tx", "set-price", "--from", "oracle", "--denom", trace["stake"], "--price",
                 str(2 * WAD))
        beta.cli("tx", "set-price", "--from", "oracle", "--denom", trace["atom"], "--price",
                 str(10 * WAD))
        beta.cli("tx", "supply", "--from", "bob", "--amount", "100000uusd")
        h = beta.json("query", "health", "alice")
        say(f"   alice's borrow limit: 1000 x 2 x 50% + 100 x 10 x 60% = {h['borrow_limit']} "
            f"uusd (stake alone: 1000, atom alone: 600)")
        expect(h["borrow_limit"] == "1600", "the borrow limit counts both positions")
        uusd0 = beta.balance("alice", "uusd")
        beta.cli("tx", "borrow", "--from", "alice", "--amount", "1500uusd")
        h = beta.json("query", "health", "alice")
        hf = int(h["health_factor_wad"]) / WAD
        say(f"   alice borrowed 1500 uusd (more than either position backs alone): debt "
            f"{h['debt_value']}, health factor {hf:.3f} = (2000 x 75% + 1000 x 80%) / 1500")
        expect(beta.balance("alice", "uusd") == uusd0 + 1500 and
               int(h["health_factor_wad"]) == 2300 * WAD // 1500,
               "the health factor counts both chains' positions at their own thresholds")
        r = beta.cli("tx", "borrow", "--from", "alice", "--amount", "101uusd", ok=False)
        say(f"   101 more: refused — {(r.stdout + r.stderr).strip()}")
        expect(r.returncode == 1, "a borrow above the two positions' limit is refused")

        step("3. ICS-20: alice sends the 1500 uusd to gamma, a voucher there, and back")
        tb, tg = ch["gamma-transfer"][1], ch["gamma-transfer"][0]
        v = voucher(tg, "uusd")
        t = time.monotonic()
        beta.cli("tx", "transfer", "--from", "alice", "--channel", tb, "--to", alice["gamma"],
                 "1500uusd")
        wait_for("the voucher on gamma", lambda: gamma.balance("alice", v) == 1500)
        lat = time.monotonic() - t
        esc = beta.json("query", "transfer-escrow", tb, "uusd")["amount"]
        tr = gamma.json("query", "denom-trace", v)
        say(f"   beta escrowed {esc} uusd on {tb}; gamma minted 1500 {v[:20]}... to alice in "
            f"{lat * 1000:.0f} ms; denom-trace: {tr['full_path']}")
        expect(esc == 1500 and tr["full_path"] == f"transfer/{tg}/uusd" and
               beta.balance("alice", "uusd") == uusd0,
               "escrowed on beta, the voucher (ibc/ + SHA-256 of its trace) on gamma")
        gamma.cli("tx", "transfer", "--from", "alice", "--channel", tg, "--to", alice["beta"],
                  f"1500{v}")
        wait_for("the uusd back on beta", lambda: beta.balance("alice", "uusd") == uusd0 + 1500)
        esc = beta.json("query", "transfer-escrow", tb, "uusd")["amount"]
        say(f"   sent back: gamma burned the voucher (alice holds {gamma.balance('alice', v)}), "
            f"beta unescrowed it (escrow {esc}); alice has her 1500 uusd on beta again")
        expect(esc == 0 and gamma.balance("alice", v) == 0, "burned on gamma, unescrowed on beta")
        ta, tb2 = ch["alpha-transfer"]
        va = voucher(ta, "uusd")
        beta.cli("tx", "transfer", "--from", "bob", "--channel", tb2, "--to", alpha.address("bob"),
                 "250uusd")
        wait_for("bob's voucher on alpha", lambda: alpha.balance("bob", va) == 250)
        say(f"   and bob sends 250 uusd to alpha, where they stay ({va[:20]}...): the fourth "
            f"path relayed by the same process")

        step("4. Alice repays and takes each collateral home")
        debt = int(beta.json("query", "health", "alice")["debt_value"])
        beta.cli("tx", "repay", "--from", "alice", "--amount", f"{debt}uusd")
        h = beta.json("query", "health", "alice")
        say(f"   alice repaid {debt} uusd on beta (1500 and {debt - 1500} of interest): debt "
            f"{h['debt_value']}, uusd balance {uusd0} -> {beta.balance('alice', 'uusd')}")
        expect(h["debt_value"] == "0" and beta.balance("alice", "uusd") == uusd0 + 1500 - debt,
               "alice's debt is repaid from the uusd that came back from gamma")
        for denom, amount in (("stake", 1000), ("atom", 100)):
            c, path = home[denom]
            beta.cli("tx", "withdraw-collateral", "--from", "alice", "--channel", ch[path][1],
                     "--denom", denom, "--amount", str(amount), "--to", alice[c.id])
        wait_for("both releases home", lambda: all(
            home[d][0].balance("alice", d) == bal0[d] for d in home))
        for denom in home:
            say(f"   {denom}: alice on {home[denom][0].id} back to {bal0[denom]}; her position "
                f"on beta {position(denom)}, escrow {escrow(denom)} (bob's)")
        expect(position("stake") == position("atom") == 0 and escrow("stake") == 500 and
               escrow("atom") == 50, "alice's positions released home; escrow = bob's positions")

        step("The audit of every path, each figure proven against headers it verified itself")
        st = run(rly, "status", "--config", cfg).stdout.splitlines()
        say("   causeway-relayer status: " + "; ".join(
            ln.strip().rstrip(":") for ln in st if ln.startswith(("chain ", "path "))))
        audit_every_path(cfg)
        say(f"   scenario time {time.monotonic() - t0:.1f} s")
    finally:
        hints = []
        if beta is not None:
            hints = [f"export CAUSEWAY_NODE=ws://127.0.0.1:{beta.port} "
                     f"CAUSEWAY_KEYRING={beta.home}/keys",
                     f"{BIN}/causeway query health alice",
                     f"{BIN}/causeway-relayer status --config {os.path.join(root, 'relayer.json')}"]
        finish(root, hints)
    return verdict()



def pending(cfg):
    """Packets pending on every path direction, as `causeway-relayer status` reports them
    (None when it could not read a chain)."""
    r = run(f"{BIN}/causeway-relayer", "status", "--config", cfg, ok=False)
    if r.returncode != 0:
        return None
    return sum(int(ln.split("pending")[1].split()[0]) for ln in r.stdout.splitlines()
               if "pending" in ln)


def audit_every_path(cfg):
    """causeway audit of every path of the config in one run (no --path): each collateral
    registered on beta and each ICS-20 escrow against the vouchers on the other side, every
    figure proven; run once the relayer reports nothing pending."""
    wait_for("every path quiescent (nothing pending)", lambda: pending(cfg) == 0)
    r = run(f"{BIN}/causeway", "audit", "--config", cfg, ok=False)
    say("   $ causeway audit --config relayer.json")
    say("   " + (r.stdout if r.returncode == 0 else r.stdout + r.stderr).strip()
        .replace("\n", "\n   "))
    expect(r.returncode == 0 and "BALANCED" in r.stdout and "NOT" not in r.stdout,
           "causeway audit: every path balanced")

def finish(root, hints):
    """Stop what the demo started (or, with --keep and every expectation held, leave it
    running and print `hints`); remove the data unless something failed."""
    if KEEP and not failures:
        say()
        say("--keep: left running. Try:")
        for h in hints:
            say(f"   {h}")
        say(f"   stop: kill {' '.join(str(p.pid) for p in procs if p.poll() is None)}")
        return
    for p in reversed(procs):
        stop(p)
    if not failures:
        shutil.rmtree(root, ignore_errors=True)
    else:
        say(f"logs kept in {root}")


def verdict():
    if failures:
        say()
        say(f"DEMO FAILED: {len(failures)} expectation(s) did not hold")
        return 1
    say()
    say("demo: every expectation held")
    return 0

if __name__ == "__main__":
    sys.exit(main())

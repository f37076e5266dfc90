"""causeway-relayer against two real causeway-chain nodes on loopback (DESIGN §9).

Every wait is on chain state (heights, tx results, commitments, receipts) or on the
relayer's own /metrics, never on a fixed sleep. CW_RLY_PACKETS / CW_RLY_KILLS scale the
kill -9 stream (defaults 500 packets, 10 kills)."""

import asyncio
import collections
import json
import os
import random
import re
import shutil
import subprocess
import threading
import time
import urllib.request

import msgpack
import pytest

import cwrpc
import relayer_env as R
from conftest import free_port

PACKETS = int(os.environ.get("CW_RLY_PACKETS", "500"))
KILLS = int(os.environ.get("CW_RLY_KILLS", "10"))


# ---- helpers -----------------------------------------------------------------------------

def events_by_seq(chain, etype, upto=None):
    """Counter sequence -> number of `etype` events in every block of chain."""
    seen = collections.Counter()
    with chain.client() as c:
        top = upto or c.call("status")[1]
        for h in range(1, top + 1):
            _, txs = cwrpc.block_results(c, h)
            for _hash, _tx, result in txs:
                for ev in result[2]:
                    if ev[0] == etype:
                        attrs = dict((k, v) for k, v in ev[1])
                        seen[attrs["sequence"]] += 1
    return seen


def metrics_text(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        return r.read().decode()


def metric(text, name, labels=None):
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        if labels and not all(f'{k}="{v}"' in (m.group(2) or "") for k, v in labels.items()):
            continue
        total += float(m.group(3))
        found = True
    return total if found else None


PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?'
                       r' (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')


def check_prometheus_text(text, tmp_path):
    """Validate the exposition format: promtool when installed, else a strict Python check
    (and say so loudly)."""
    helps, types = set(), {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            helps.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, t = line.split()
            assert t in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"duplicate TYPE for {name}"
            types[name] = t
        else:
            assert PROM_LINE.match(line), f"not Prometheus text: {line!r}"
    promtool = shutil.which("promtool")
    if not promtool:
        print("\n######## promtool not installed (Debian package `prometheus`): "
              "checked /metrics with the Python parser only ########")
        return
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    # promtool exits 1 for lint findings as well as for parse errors; parse errors are fatal
    assert "error while linting" not in (r.stdout + r.stderr), r.stdout + r.stderr
    assert r.returncode in (0, 3) or not r.stderr.strip() or "lint" in r.stdout + r.stderr, \
        r.stdout + r.stderr


def lock_packets(a, ca, n, beneficiary, per_tx=100, name="alice", wait=True, **kw):
    """Send n deposit packets from alice on a; returns the tx hashes."""
    hashes = []
    with a.client() as c:
        while n > 0:
            k = min(per_tx, n)
            hashes.append(a.submit(name, [R.lock_msg(ca, "stake", 1, beneficiary, **kw)
                                          for _ in range(k)], c=c, wait=False))
            n -= k
    if wait:
        for h in hashes:
            res = a.wait_tx(h)
            assert res[3][0] == 0, res[3]
    return hashes


def all_delivered(a, b, ca, cb, n):
    """True when sequences 1..n are received on b and no commitment is left on a."""
    if R.commitments(a, ca):
        return False
    with b.client() as c:
        return c.call("unreceived_packets", R.CHANNEL_PORT, cb, list(range(1, n + 1))) == []


def assert_exactly_once(a, b, n):
    recv = events_by_seq(b, "recv_packet")
    acks = events_by_seq(a, "acknowledge_packet")
    assert sorted(recv) == list(range(1, n + 1)), "some packets were not received"
    assert max(recv.values()) == 1, f"received twice: {[s for s, k in recv.items() if k > 1]}"
    assert sorted(acks) == list(range(1, n + 1)), "some packets were not acknowledged"
    assert max(acks.values()) == 1


# ---- config and commands -----------------------------------------------------------------

def test_bad_config_names_file_field_value(tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"chains": [{"id": "alpha", "rpc": "ws://127.0.0.1:1/"},
                                          {"id": "beta", "rpc": "ws://127.0.0.1:2/"}],
                               "paths": [], "batch_size": 0}))
    r = R.relayer("status", "--config", str(cfg), check=False)
    assert r.returncode == 1
    assert str(cfg) in r.stderr and "batch_size" in r.stderr and "0" in r.stderr, r.stderr
    cfg.write_text(json.dumps({"chains": [{"id": "alpha", "rpc": "http://x:1/"}], "paths": []}))
    r = R.relayer("status", "--config", str(cfg), check=False)
    assert r.returncode == 1 and "chains[0].rpc" in r.stderr and "http://x:1/" in r.stderr, r.stderr
    cfg.write_text(json.dumps({"chains": [{"id": "alpha", "rpc": "ws://h:1/",
                                           "trust_root": "12:zz"}], "paths": []}))
    r = R.relayer("status", "--config", str(cfg), check=False)
    assert r.returncode == 1 and "trust_root" in r.stderr and "12:zz" in r.stderr, r.stderr
    cfg.write_text(json.dumps({"chains": [], "paths": [], "colour": "blue"}))
    r = R.relayer("status", "--config", str(cfg), check=False)
    assert r.returncode == 1 and "colour" in r.stderr, r.stderr
    r = R.relayer("frobnicate", check=False)
    assert r.returncode == 2
    r = R.relayer("start", check=False)
    assert r.returncode == 2 and "--config" in r.stderr


def test_create_clients_from_trust_roots(procs, tmp_path):
    a = R.Chain(procs, str(tmp_path), "alpha", "stake").start()
    b = R.Chain(procs, str(tmp_path), "beta", "uusd").start()
    a.wait_height(3)
    b.wait_height(3)
    with a.client() as c:
        ha = c.call("light_block", 2)
    with b.client() as c:
        hb = c.call("light_block", 2)
    import hashlib
    import cwchain
    root_a = f"2:{hashlib.sha256(cwchain.pack(ha[0][0])).hexdigest()}"
    root_b = f"2:{hashlib.sha256(cwchain.pack(hb[0][0])).hexdigest()}"
    wrong = "2:" + "ab" * 32
    cfg = R.write_config(str(tmp_path / "r.json"), a, b, str(tmp_path / "db1"), trust_a=wrong,
                         trust_b=root_b)
    r = R.relayer("create-clients", "--config", cfg, check=False)
    assert r.returncode == 1 and "does not match" in r.stderr, r.stderr
    assert R.load_config(cfg)["paths"][0]["a"]["client"] == ""
    cfg = R.write_config(str(tmp_path / "r.json"), a, b, str(tmp_path / "db2"), trust_a=root_a,
                         trust_b=root_b)
    r = R.relayer("create-clients", "--config", cfg)
    assert "NO TRUST ROOT" not in r.stderr, r.stderr
    conf = R.load_config(cfg)
    assert conf["paths"][0]["a"]["client"] and conf["paths"][0]["b"]["client"]
    assert "created client-0 on alpha" in r.stdout and "ids written to" in r.stdout


def test_relay_deliver_ack_metrics_status(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}", batch=50)
    ca, cb = R.channels(cfg)
    st = R.relayer("status", "--config", cfg).stdout
    assert "Active" in st and "pending 0" in st, st
    rly = R.start_relayer(procs, cfg)
    R.wait_port = R.wait_port  # noqa (keeps the import used)
    from conftest import wait_port
    wait_port(mport, proc=rly)
    n = 120
    lock_packets(a, ca, n, b.key("bob").address, per_tx=60)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, n), chain=a, what="delivery and acks")
    assert_exactly_once(a, b, n)
    text = metrics_text(mport)
    check_prometheus_text(text, tmp_path)
    assert metric(text, "causeway_relayer_packets_relayed_total", {"kind": "recv"}) == n
    R.wait_until(lambda: metric(metrics_text(mport), "causeway_relayer_packets_relayed_total",
                                {"kind": "ack"}) == n, what="ack metric")
    assert metric(text, "causeway_relayer_client_updates_total") > 0
    assert metric(text, "causeway_relayer_db_write_failures_total") == 0
    assert metric(text, "causeway_relayer_chain_height", {"chain": "alpha"}) > 0
    assert metric(text, "causeway_relayer_relay_latency_seconds_count") > 0
    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/healthz", timeout=5) as r:
        assert r.status == 200
    assert procs.stop(rly) == 0, procs.log(rly)
    log = procs.log(rly)
    assert "ERROR" not in log and "level=error" not in log, log[-3000:]


def test_timeout_refunds_on_source(procs, tmp_path):
    a, b, cfg = R.setup_path(procs, str(tmp_path))
    ca, cb = R.channels(cfg)
    alice = a.key("alice").address
    import cwchain
    with a.client() as c:
        before, _ = cwchain.balance(c, alice, "stake")
    # a deposit that times out at beta's height + 3; no relayer runs meanwhile (the
    # destination, as far as this packet is concerned, stalls past its timeout)
    th = b.height() + 3
    lock_packets(a, ca, 1, b.key("bob").address, timeout_height=th)
    with a.client() as c:
        mid, _ = cwchain.balance(c, alice, "stake")
    assert mid == before - 1
    b.wait_height(th + 1)
    r = R.relayer("clear", "--config", cfg, "--timeout-s", "60")
    assert "clear: done" in r.stdout, r.stdout
    assert R.commitments(a, ca) == []
    assert R.receipt(b, cb, 1) is None, "the timed-out packet must not be received"
    with a.client() as c:
        after, _ = cwchain.balance(c, alice, "stake")
    assert after == before, "the timeout refunds the owner on the source"
    assert sum(events_by_seq(a, "timeout_packet").values()) == 1


def test_destination_down_past_timeout_refunds(procs, tmp_path):
    """The relayer runs; the destination chain stops; a packet's timeout time passes while it
    is down; once it is back, the relayer proves non-receipt and the source refunds."""
    import cwchain
    import time
    a, b, cfg = R.setup_path(procs, str(tmp_path))
    ca, cb = R.channels(cfg)
    alice = a.key("alice").address
    rly = R.start_relayer(procs, cfg)
    with a.client() as c:
        before, _ = cwchain.balance(c, alice, "stake")
    b.stop()
    deadline_ns = time.time_ns() + 1_500_000_000
    lock_packets(a, ca, 1, b.key("bob").address, timeout_ns=deadline_ns)
    R.wait_until(lambda: time.time_ns() > deadline_ns, what="the timeout time to pass")
    b.start()
    R.wait_until(lambda: R.commitments(a, ca) == [], chain=a, what="timeout relayed")
    with a.client() as c:
        after, _ = cwchain.balance(c, alice, "stake")
    assert after == before
    assert R.receipt(b, cb, 1) is None
    assert sum(events_by_seq(a, "timeout_packet").values()) == 1
    assert procs.stop(rly) == 0


def test_idle_clients_refreshed_before_a_third_of_trusting_period(procs, tmp_path):
    a, b, cfg = R.setup_path(procs, str(tmp_path), extra={"trusting_period_s": 9})
    c = R.load_config(cfg)

    def latest(chain, client):
        key = f"clients/{client}/clientState".encode()
        with chain.client() as cl:
            return msgpack.unpackb(cl.call("query", key, 0, False)[0])[5]

    ha = latest(a, c["paths"][0]["a"]["client"])
    hb = latest(b, c["paths"][0]["b"]["client"])
    rly = R.start_relayer(procs, cfg)
    # no packets at all: only the refresh can move the clients
    R.wait_until(lambda: latest(a, c["paths"][0]["a"]["client"]) > ha and
                 latest(b, c["paths"][0]["b"]["client"]) > hb, timeout=60, chain=a,
                 what="both idle clients refreshed")
    assert "client refreshed" in procs.log(rly)
    assert procs.stop(rly) == 0


def test_kill9_during_stream_exactly_once(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}", batch=40,
                             extra={"max_inflight": 8})
    ca, cb = R.channels(cfg)
    bob = b.key("bob").address
    rng = random.Random(int(os.environ.get("CW_SEED", "1")))
    rly = R.start_relayer(procs, cfg)
    # the stream is sent in KILLS slices; after each slice, kill -9 the relayer once a random
    # 1..4 source blocks have passed (mid-relay: recvs, acks and updates in flight), restart
    hashes = []
    per_slice = PACKETS // KILLS
    for k in range(KILLS):
        n = per_slice if k < KILLS - 1 else PACKETS - per_slice * (KILLS - 1)
        hashes += lock_packets(a, ca, n, bob, per_tx=25, wait=False)
        a.wait_height(a.height() + rng.randint(1, 4))
        procs.kill9(rly)
        rly = R.start_relayer(procs, cfg, name=f"relayer-{k}")
    for h in hashes:
        assert a.wait_tx(h)[3][0] == 0
    R.wait_until(lambda: all_delivered(a, b, ca, cb, PACKETS), timeout=300, chain=a,
                 what="every packet delivered and acknowledged after the restarts")
    assert_exactly_once(a, b, PACKETS)
    # resubmissions after a kill land as no-ops; report how many (the DB's in-flight records
    # keep them rare: only a kill between broadcast and the record's write loses one)
    red = sum(events_by_seq(b, "recv_packet_redundant").values()) + \
        sum(events_by_seq(a, "acknowledge_packet_redundant").values())
    print(f"\nkill -9 x{KILLS} over {PACKETS} packets: {red} redundant relays (no-ops)")
    assert procs.stop(rly) == 0


def test_two_relayers_no_double_delivery_no_failed_batch(procs, tmp_path):
    m1, m2 = free_port(), free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{m1}", batch=30)
    ca, cb = R.channels(cfg)
    c = R.load_config(cfg)
    cfg2 = R.write_config(str(tmp_path / "relayer2.json"), a, b, str(tmp_path / "rly2.db"),
                          key="relayer2", metrics=f"127.0.0.1:{m2}", batch=30,
                          chan_a=ca, chan_b=cb, client_a=c["paths"][0]["a"]["client"],
                          client_b=c["paths"][0]["b"]["client"])
    r1 = R.start_relayer(procs, cfg, name="relayer-1")
    r2 = R.start_relayer(procs, cfg2, name="relayer-2")
    n = 200
    lock_packets(a, ca, n, b.key("bob").address, per_tx=20)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, n), chain=a, what="delivery")
    assert_exactly_once(a, b, n)
    from conftest import wait_port
    wait_port(m1), wait_port(m2)
    # each relayer counts what it saw land once it settles its txs (its next block)
    R.wait_until(lambda: sum(metric(metrics_text(m), "causeway_relayer_packets_relayed_total",
                                    {"kind": "recv"}) for m in (m1, m2)) == n,
                 chain=b, what="both relayers settled their txs")
    t1, t2 = metrics_text(m1), metrics_text(m2)
    assert metric(t1, "causeway_relayer_tx_failures_total") == 0, t1
    assert metric(t2, "causeway_relayer_tx_failures_total") == 0, t2
    print(f"\ntwo relayers: recv landed {metric(t1, 'causeway_relayer_packets_relayed_total', {'kind': 'recv'}):.0f}"
          f" + {metric(t2, 'causeway_relayer_packets_relayed_total', {'kind': 'recv'}):.0f}, redundant "
          f"{metric(t1, 'causeway_relayer_redundant_relays_total') + metric(t2, 'causeway_relayer_redundant_relays_total'):.0f}")
    for p in (r1, r2):
        assert procs.stop(p) == 0
        assert "tx failed" not in procs.log(p) and "msg failed" not in procs.log(p)


def test_chain_restart_reconnects_and_catches_up(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}")
    ca, cb = R.channels(cfg)
    rly = R.start_relayer(procs, cfg)
    from conftest import wait_port
    wait_port(mport, proc=rly)  # listening once its light clients are seeded (connected)
    bob = b.key("bob").address
    lock_packets(a, ca, 50, bob, per_tx=50)
    # the first half is delivered, then the destination goes away mid-stream
    def first_half_received():
        with b.client() as c:
            return c.call("unreceived_packets", R.CHANNEL_PORT, cb, list(range(1, 51))) == []

    R.wait_until(first_half_received, chain=a, what="first half")
    b.stop()
    lock_packets(a, ca, 50, bob, per_tx=50)
    b.start()
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 100), chain=a, what="catch-up")
    assert_exactly_once(a, b, 100)
    from conftest import wait_port
    wait_port(mport)
    R.wait_until(lambda: metric(metrics_text(mport), "causeway_relayer_reconnects_total") >= 1,
                 timeout=30, chain=b, what="the reconnect counted in /metrics")
    assert procs.stop(rly) == 0


# ---- the gauges the operators' alerts read (docker/prometheus/alerts.yml) --------------------

ALERTS_YML = os.path.join(os.path.dirname(__file__), "..", "..", "docker", "prometheus",
                          "alerts.yml")


def consensus_time_ns(chain, client_id, height):
    key = f"clients/{client_id}/consensusStates/{height}".encode()
    with chain.client() as cl:
        return msgpack.unpackb(cl.call("query", key, 0, False)[0])[0]


def test_packets_of_a_refused_tx_are_asked_about_again(procs, tmp_path):
    """A tick asks the destination only about packets whose receipt the relayer does not know
    (DESIGN §9): a packet it saw received is not asked about again, but a packet whose tx
    failed must be. Here beta refuses the relayer's txs: the test takes the relayer's next
    nonce on beta with a tx of its own, signed with the relayer's key, so the relayer's next
    txs there fail (refused, or failing in their block without the client update the
    refused tx carried). Their packets are then asked about again and delivered, once."""
    import cwchain
    from conftest import wait_port
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}")
    ca, cb = R.channels(cfg)
    bob = b.key("bob").address
    rly = R.start_relayer(procs, cfg)
    wait_port(mport, proc=rly)
    lock_packets(a, ca, 5, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 5), chain=a, what="the first packets")
    failures = metric(metrics_text(mport), "causeway_relayer_tx_failures_total")
    b.submit("relayer", [cwchain.msg_send(bob, "uusd", 1)])
    lock_packets(a, ca, 5, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 10), chain=a,
                 what="the packets of the failed txs delivered and acknowledged")
    assert_exactly_once(a, b, 10)
    assert metric(metrics_text(mport), "causeway_relayer_tx_failures_total") > failures, \
        "no tx of the relayer failed: the test did not test what it says"
    assert procs.stop(rly) == 0


def test_metrics_for_alerts_chain_lost_pending_age_and_client_expiry(procs, tmp_path):
    """What the alerts read, against real chains: each client's trusting period and expiry
    are the ones its chain stores, and it is not frozen; causeway_relayer_chain_up goes to 0
    while beta is stopped (alpha stays 1) and back to 1 when it returns; a packet stuck
    meanwhile is counted in alpha's blocks from the height that committed it, and back to 0
    once delivered; every metric an alert names is exported by the relayer or a chain."""
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}",
                             extra={"trusting_period_s": 600})
    ca, cb = R.channels(cfg)
    c = R.load_config(cfg)["paths"][0]
    rly = R.start_relayer(procs, cfg)
    from conftest import wait_port
    wait_port(mport, proc=rly)

    def m(name, **labels):
        return metric(metrics_text(mport), name, labels)

    # clients: read from their chains every 5 s (the first pass at start); no packet has
    # moved, so nothing updates them while this compares
    for end, host in (("a", a), ("b", b)):
        cid = c[end]["client"]
        lab = {"path": "p0", "chain": host.id, "client": cid}

        def expiry_is_the_chains():
            cs = client_state_of(host, cid)  # [.., trusting period ns, drift, latest, frozen]
            want = (consensus_time_ns(host, cid, cs[5]) + cs[3]) / 1e9
            got = m("causeway_relayer_client_expiry_timestamp_seconds", **lab)
            return got is not None and abs(got - want) < 0.002

        R.wait_until(expiry_is_the_chains, timeout=30, chain=a, what=f"{cid}'s expiry gauge")
        assert m("causeway_relayer_client_trusting_period_seconds", **lab) == 600
        assert m("causeway_relayer_client_frozen", **lab) == 0
        left = m("causeway_relayer_client_expiry_timestamp_seconds", **lab) - time.time()
        assert 400 < left <= 600, left  # just created: well over a third left
    R.wait_until(lambda: m("causeway_relayer_chain_up", chain="alpha") == 1 and
                 m("causeway_relayer_chain_up", chain="beta") == 1, what="both chains up")
    assert m("causeway_relayer_oldest_pending_age_blocks", path="p0", src="alpha") == 0

    b.stop()
    R.wait_until(lambda: m("causeway_relayer_chain_up", chain="beta") == 0, timeout=60,
                 chain=a, what="chain_up{beta} 0 while beta is stopped")
    assert m("causeway_relayer_chain_up", chain="alpha") == 1
    (h,) = lock_packets(a, ca, 1, b.key("bob").address, wait=False)
    committed = a.wait_tx(h)[0]
    # the relayer lists it on every tick of alpha; its age counts alpha's blocks since
    # `committed`, never more than alpha's height now minus that
    R.wait_until(lambda: (m("causeway_relayer_oldest_pending_age_blocks", path="p0",
                            src="alpha") or 0) >= 10, timeout=60, chain=a,
                 what="the stuck packet's age passing 10 blocks")
    age = m("causeway_relayer_oldest_pending_age_blocks", path="p0", src="alpha")
    assert 10 <= age <= a.height() - committed, (age, committed)
    assert m("causeway_relayer_pending_packets", path="p0", src="alpha") == 1

    b.start()
    R.wait_until(lambda: m("causeway_relayer_chain_up", chain="beta") == 1, timeout=60,
                 chain=a, what="chain_up{beta} back to 1")
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 1), chain=a, what="the packet delivered")
    R.wait_until(lambda: m("causeway_relayer_oldest_pending_age_blocks", path="p0",
                           src="alpha") == 0, chain=a, what="the age back to 0")

    # every metric an alert reads is one the binaries export
    text = metrics_text(mport) + cwrpc.http_get(f"http://127.0.0.1:{a.port}", "/metrics")[2]
    check_prometheus_text(metrics_text(mport), tmp_path)
    with open(ALERTS_YML) as f:
        names = set(re.findall(r"\bcauseway_[a-z_]+", f.read()))
    assert names, "no metric named in alerts.yml"
    exported = {l.split("{")[0].split()[0] for l in text.splitlines() if l and l[0] != "#"}
    assert names <= exported, f"alerts.yml reads metrics nobody exports: {names - exported}"
    assert procs.stop(rly) == 0, procs.log(rly)


# ---- a tampering RPC proxy -----------------------------------------------------------------

def _key_bytes(k):
    return k.encode() if isinstance(k, str) else bytes(k)


class TamperProxy:
    """A WebSocket proxy in front of a chain that flips one byte of the first commit
    signature in every light_block answer while `tamper` is set, flips one byte in the middle
    of every proof of a query_many answer while `corrupt_proofs` is set, and answers
    light_block(h) with forge[h] (a whole answer) when there is one, and leaves the sequences
    in `hide_commitments` out of every packet_commitments answer (a node hiding a packet in
    flight), and answers query(key) with the value forge_values[key] (bytes; the proof left
    as it was: a node lying about a figure). drop() closes every connection."""

    def __init__(self, upstream_port, tamper=True):
        self.upstream = f"ws://127.0.0.1:{upstream_port}/"
        self.port = free_port()
        self.tamper = tamper
        self.tampered = 0
        self.forge = {}
        self.forged = 0
        self.corrupt_proofs = False
        self.proofs_corrupted = 0
        self.hide_commitments = set()
        self.hidden = 0
        self.forge_values = {}
        self.values_forged = 0
        self.conns = set()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self):
        import websockets
        asyncio.set_event_loop(self.loop)

        async def handler(ws, *_):
            self.conns.add(ws)
            async with websockets.connect(self.upstream, subprotocols=["causeway-rpc"],
                                          max_size=64 << 20) as up:
                pending = {}

                async def c2s():
                    async for m in ws:
                        try:
                            f = msgpack.unpackb(m, raw=False)
                            if f[0] == 0:
                                pending[f[1]] = (f[2], f[3])
                        except Exception:
                            pass
                        await up.send(m)

                async def s2c():
                    async for m in up:
                        try:
                            f = msgpack.unpackb(m, raw=False)
                            method, params = (pending.pop(f[1], (None, None)) if f[0] == 1
                                              else (None, None))
                            if (method == "light_block" and f[2] is None and
                                    params[0] in self.forge):
                                f[3] = self.forge[params[0]]
                                m = msgpack.packb(f, use_bin_type=True)
                                self.forged += 1
                            elif self.tamper and method == "light_block" and f[2] is None:
                                sigs = f[3][0][1][2]
                                if sigs:
                                    s = bytearray(sigs[0][1])
                                    s[5] ^= 1
                                    sigs[0][1] = bytes(s)
                                    m = msgpack.packb(f, use_bin_type=True)
                                    self.tampered += 1
                            elif (self.corrupt_proofs and method == "query_many" and
                                  f[2] is None):
                                for item in f[3][1]:  # [height, [[value, proof], ...]]
                                    if item[1]:
                                        pb = bytearray(item[1])
                                        pb[len(pb) // 2] ^= 1
                                        item[1] = bytes(pb)
                                        self.proofs_corrupted += 1
                                m = msgpack.packb(f, use_bin_type=True)
                            elif (self.forge_values and method == "query" and f[2] is None and
                                  _key_bytes(params[0]) in self.forge_values):
                                f[3][0] = self.forge_values[_key_bytes(params[0])]
                                self.values_forged += 1
                                m = msgpack.packb(f, use_bin_type=True)
                            elif (self.hide_commitments and method == "packet_commitments" and
                                  f[2] is None):
                                kept = [q for q in f[3] if q not in self.hide_commitments]
                                self.hidden += len(f[3]) - len(kept)
                                f[3] = kept
                                m = msgpack.packb(f, use_bin_type=True)
                        except Exception:
                            pass
                        await ws.send(m)

                try:
                    await asyncio.gather(c2s(), s2c())
                finally:
                    self.conns.discard(ws)

        async def main():
            async with websockets.serve(handler, "127.0.0.1", self.port,
                                        subprotocols=["causeway-rpc"], max_size=64 << 20):
                self.ready.set()
                await asyncio.Future()

        try:
            self.loop.run_until_complete(main())
        except Exception:
            pass

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/"

    def drop(self):
        """Close every client connection (the clients reconnect through the proxy)."""
        async def close_all():
            for ws in list(self.conns):
                await ws.close()
        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(10)


def test_tampered_header_is_never_submitted(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path))
    ca, cb = R.channels(cfg)
    c = R.load_config(cfg)
    client_on_b = c["paths"][0]["b"]["client"]
    proxy = TamperProxy(a.port)
    # trust root: alpha's current header as the honest node serves it
    with a.client() as cl:
        st = cl.call("status")
    trust = f"{st[1]}:{st[3].hex()}"
    cfg2 = R.write_config(str(tmp_path / "tampered.json"), a, b, str(tmp_path / "rly2.db"),
                          metrics=f"127.0.0.1:{mport}", chan_a=ca, chan_b=cb,
                          client_a=c["paths"][0]["a"]["client"], client_b=client_on_b,
                          rpc_a=proxy.url, trust_a=trust)

    def client_height():
        key = f"clients/{client_on_b}/clientState".encode()
        with b.client() as cl:
            v = cl.call("query", key, 0, False)[0]
        return msgpack.unpackb(v)[5]

    h0 = client_height()
    rly = R.start_relayer(procs, cfg2)
    lock_packets(a, ca, 3, b.key("bob").address)
    from conftest import wait_port
    wait_port(mport, proc=rly)
    R.wait_until(lambda: (metric(metrics_text(mport), "causeway_relayer_headers_rejected_total")
                          or 0) >= 3, what="tampered headers rejected")
    assert proxy.tampered >= 3
    assert client_height() == h0, "a tampered header reached the destination's client"
    assert R.receipt(b, cb, 1) is None
    # honest answers again: the same relayer delivers
    proxy.tamper = False
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 3), chain=a, what="delivery once honest")
    assert procs.stop(rly) == 0


def test_corrupted_proofs_are_never_submitted(procs, tmp_path):
    """A node that serves query_many proofs with a flipped byte: the relayer checks each
    proof against the state root of the header its light client verified, refuses them
    (counted in proofs_rejected_total, logged), drops the node and reconnects, and submits no
    RecvPacket (no failing tx, nothing received); once the node is honest it delivers."""
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path))
    ca, cb = R.channels(cfg)
    c = R.load_config(cfg)
    proxy = TamperProxy(a.port, tamper=False)
    proxy.corrupt_proofs = True
    cfg2 = R.write_config(str(tmp_path / "lying.json"), a, b, str(tmp_path / "rly2.db"),
                          metrics=f"127.0.0.1:{mport}", chan_a=ca, chan_b=cb,
                          client_a=c["paths"][0]["a"]["client"],
                          client_b=c["paths"][0]["b"]["client"], rpc_a=proxy.url)
    rly = R.start_relayer(procs, cfg2)
    lock_packets(a, ca, 3, b.key("bob").address)
    from conftest import wait_port
    wait_port(mport, proc=rly)

    def seen():
        t = metrics_text(mport)
        return (metric(t, "causeway_relayer_proofs_rejected_total") or 0,
                metric(t, "causeway_relayer_tx_failures_total") or 0,
                metric(t, "causeway_relayer_reconnects_total") or 0)

    # wait until the relayer has met the lying node several times, or submitted a bad proof
    R.wait_until(lambda: seen()[0] >= 6 or seen()[1] > 0, chain=a,
                 what="corrupted proofs rejected (or submitted)")
    rejected, failures, reconnects = seen()
    assert failures == 0, "a tx with a corrupted proof was submitted and failed"
    assert rejected >= 6 and proxy.proofs_corrupted >= rejected
    assert reconnects >= 1, "the lying node was not dropped"
    assert events_by_seq(b, "recv_packet") == {}, "a packet was received on corrupted proofs"
    assert R.receipt(b, cb, 1) is None
    log = procs.log(rly)
    assert "proof rejected chain=alpha key=commitments/ports/" in log, log[-3000:]
    # honest answers again: the same relayer delivers
    proxy.corrupt_proofs = False
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 3), chain=a, what="delivery once honest")
    assert seen()[1] == 0
    assert procs.stop(rly) == 0


def test_validator_set_change_crossed_by_bisection(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}")
    ca, cb = R.channels(cfg)
    c = R.load_config(cfg)
    client_on_b = c["paths"][0]["b"]["client"]
    # alpha's admin replaces the set of 4 (power 10 each) by one validator with power 100:
    # a skip from before the change has only 10/40 < 1/3 of the trusted power signing
    with a.client() as cl:
        lb = cl.call("light_block", cl.call("status")[1])
    vs = lb[1]
    new = [[vs[0][0], 100]]
    a.submit("admin", [["admin.update_validators", [new]]])
    h_change = a.height()
    a.wait_height(h_change + 5)
    rly = R.start_relayer(procs, cfg)
    lock_packets(a, ca, 5, b.key("bob").address)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 5), chain=a, what="delivery across the change")
    key = f"clients/{client_on_b}/clientState".encode()
    with b.client() as cl:
        latest = msgpack.unpackb(cl.call("query", key, 0, False)[0])[5]
    assert latest > h_change
    assert "bisecting" in procs.log(rly) or "skip lacks trust" in procs.log(rly), procs.log(rly)[-3000:]
    assert procs.stop(rly) == 0


def forge_light_block(chain, height):
    """The light block at `height` with its state root changed, re-signed by every validator
    (the test holds their keys): a valid header that conflicts with the real one."""
    import hashlib
    import coincurve
    import cwchain
    with chain.client() as c:
        sh, vs, nvs = c.call("light_block", height)
    header = list(sh[0])
    header[4] = hashlib.sha256(b"forged" + header[4]).digest()
    pack = cwchain.pack
    bh = hashlib.sha256(pack(header)).digest()
    vote = cwchain.tagged_hash(b"causeway/vote", pack([header[0], header[1], bh]))
    keys = {}
    for i in range(len(vs)):
        k = chain.key(f"validator-{i}")
        keys[k.pubkey] = k
    sigs = [[i, coincurve.PrivateKey(keys[pk].secret).sign_schnorr(vote, os.urandom(32))]
            for i, (pk, _power) in enumerate(vs)]
    return [header, [height, bh, sigs]], vs


def store_forged_header(a, b, client_on_b, target, trusted):
    """alice (not a relayer) updates beta's client of alpha to a forged header at `target`,
    verified from `trusted`; the tx must succeed."""
    forged_sh, vs = forge_light_block(a, target)
    with a.client() as cl:
        trusted_vals = cl.call("light_block", trusted)[2]
    h = b.submit("alice", [["ibc.update_client", [client_on_b, forged_sh, vs, trusted,
                                                  trusted_vals]]])
    assert b.wait_tx(h)[3][0] == 0


def test_conflicting_header_on_client_submits_misbehaviour(procs, tmp_path):
    mport = free_port()
    a, b, cfg = R.setup_path(procs, str(tmp_path), metrics=f"127.0.0.1:{mport}")
    c = R.load_config(cfg)
    client_on_b = c["paths"][0]["b"]["client"]
    key = f"clients/{client_on_b}/clientState".encode()
    with b.client() as cl:
        trusted = msgpack.unpackb(cl.call("query", key, 0, False)[0])[5]
    target = a.height() + 1
    a.wait_height(target)
    # someone (not our relayer) updates beta's client with the forged, validly signed header
    store_forged_header(a, b, client_on_b, target, trusted)
    with b.client() as cl:
        assert msgpack.unpackb(cl.call("query", key, 0, False)[0])[5] == target
    rly = R.start_relayer(procs, cfg)

    def frozen():
        with b.client() as cl:
            return msgpack.unpackb(cl.call("query", key, 0, False)[0])[6] != 0

    R.wait_until(frozen, chain=b, what="beta's client frozen by the relayer's evidence")
    # the relayer logs once it has seen its tx commit, which may be just after the freeze
    R.wait_until(lambda: "MISBEHAVIOUR submitted" in procs.log(rly), chain=b,
                 what="the relayer's own account of the evidence")
    # what CausewayClientFrozen reads (clients are read every 5 s): beta's client 1, alpha's 0
    frozen_gauge = {"path": "p0", "chain": "beta", "client": client_on_b}
    R.wait_until(lambda: metric(metrics_text(mport), "causeway_relayer_client_frozen",
                                frozen_gauge) == 1, timeout=30, chain=b,
                 what="causeway_relayer_client_frozen of beta's client 1")
    assert metric(metrics_text(mport), "causeway_relayer_client_frozen",
                  {"path": "p0", "chain": "alpha",
                   "client": R.load_config(cfg)["paths"][0]["a"]["client"]}) == 0
    assert procs.stop(rly) == 0


def path_and_client_on_b(procs, tmp_path):
    """setup_path, plus the channels and beta's client of alpha from the written config."""
    a, b, cfg = R.setup_path(procs, str(tmp_path))
    ca, cb = R.channels(cfg)
    return a, b, cfg, ca, cb, R.load_config(cfg)["paths"][0]["b"]["client"]


def client_state_of(chain, client_id):
    """The client state [chain_id, trust num, den, trusting period, max clock drift, latest
    height, frozen height] of client_id on chain."""
    key = f"clients/{client_id}/clientState".encode()
    with chain.client() as cl:
        return msgpack.unpackb(cl.call("query", key, 0, False)[0])


def test_conflicting_headers_met_by_the_relayer_become_evidence(procs, tmp_path):
    """The relayer's own light client meets two valid headers for one height of alpha: the
    one it verified, and — after a reconnect lands on a node that serves a fork — a
    conflicting one signed by alpha's validators. It stops trusting alpha and hands both to
    beta's client of alpha as MsgSubmitMisbehaviour, which freezes that client."""
    a, b, cfg, ca, cb, client_on_b = path_and_client_on_b(procs, tmp_path)

    def client_state():
        return client_state_of(b, client_on_b)

    proxy = TamperProxy(a.port, tamper=False)
    client_on_a = R.load_config(cfg)["paths"][0]["a"]["client"]
    cfg2 = R.write_config(str(tmp_path / "via-proxy.json"), a, b, str(tmp_path / "rly2.db"),
                          chan_a=ca, chan_b=cb, client_a=client_on_a, client_b=client_on_b,
                          rpc_a=proxy.url)
    rly = R.start_relayer(procs, cfg2)
    bob = b.key("bob").address
    # two rounds: beta's client stores two heights of alpha this relayer verified
    lock_packets(a, ca, 2, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 2), chain=a, what="round 1")
    h1 = client_state()[5]
    lock_packets(a, ca, 2, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 4), chain=a, what="round 2")
    h2 = client_state()[5]
    assert h2 > h1 and client_state()[6] == 0
    # from now on the node behind the proxy serves a fork at h2 and above
    with a.client() as cl:
        top = cl.call("status")[1]
        for h in range(h2, top + 1):
            sh, vs = forge_light_block(a, h)
            proxy.forge[h] = [sh, vs, cl.call("light_block", h)[2]]
    proxy.drop()
    R.wait_until(lambda: client_state()[6] != 0, chain=b,
                 what="beta's client of alpha frozen by the relayer's evidence")
    assert proxy.forged >= 1
    R.wait_until(lambda: "MISBEHAVIOUR submitted" in procs.log(rly), chain=b,
                 what="the relayer's own account of the evidence")
    log = procs.log(rly)
    assert "CONFLICTING HEADERS chain=alpha" in log, log[-3000:]
    assert procs.stop(rly) == 0


def test_create_channel_resumes_where_a_kill_stopped_it(procs, tmp_path):
    """create-channel killed right after INIT, then again right after TRYOPEN: each run takes
    the handshake up where the last one stopped (the ends' states on chain say which step is
    next; ids are on record after each step) — no second INIT or TRY, one channel each side."""
    a = R.Chain(procs, str(tmp_path), "alpha", "stake", 100).start()
    b = R.Chain(procs, str(tmp_path), "beta", "uusd", 100).start()
    cfg = R.write_config(str(tmp_path / "relayer.json"), a, b, str(tmp_path / "rly.db"))
    R.relayer("create-clients", "--config", cfg)
    exe = R.require_bin("causeway-relayer")

    def run_until(line_part):
        p = subprocess.Popen([exe, "create-channel", "--config", cfg], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line_part in line:
                p.kill()
                break
        p.wait(timeout=60)
        assert any(line_part in s for s in seen), "".join(seen)
        return "".join(seen)

    run_until("INIT on alpha")
    assert R.channels(cfg)[0] == "channel-0" and R.channels(cfg)[1] == ""
    out = run_until("TRYOPEN on beta")
    assert "INIT on" not in out, out
    assert R.channels(cfg) == ("channel-0", "channel-0")
    r = R.relayer("create-channel", "--config", cfg)
    assert "INIT on" not in r.stdout and "TRYOPEN on" not in r.stdout, r.stdout
    ca, cb = R.channels(cfg)
    assert (ca, cb) == ("channel-0", "channel-0")

    def end(chain, ch):
        key = f"channelEnds/ports/{R.CHANNEL_PORT}/channels/{ch}".encode()
        with chain.client() as c:
            v = c.call("query", key, 0, False)[0]
        return msgpack.unpackb(v) if v else None

    assert end(a, ca)[0] == 3 and end(b, cb)[0] == 3, (end(a, ca), end(b, cb))
    assert end(a, ca)[3] == cb and end(b, cb)[3] == ca
    assert end(a, "channel-1") is None and end(b, "channel-1") is None
    # a run on an open channel keeps it
    r = R.relayer("create-channel", "--config", cfg)
    assert "already open; kept" in r.stdout, r.stdout


def test_conflicting_header_below_the_latest_is_caught_from_its_event(procs, tmp_path):
    """Someone stores a forged (validly signed) header in beta's client of alpha at a height
    between two the relayer stored — so the client's latest header stays honest. The
    relayer checks every update_client event of its clients against its own light client:
    it finds the conflict at that height and freezes the client with the evidence."""
    a, b, cfg, ca, cb, client_on_b = path_and_client_on_b(procs, tmp_path)

    def client_state():
        return client_state_of(b, client_on_b)

    rly = R.start_relayer(procs, cfg)
    bob = b.key("bob").address
    lock_packets(a, ca, 1, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 1), chain=a, what="round 1")
    h1 = client_state()[5]
    a.wait_height(h1 + 3)
    lock_packets(a, ca, 1, bob)
    R.wait_until(lambda: all_delivered(a, b, ca, cb, 2), chain=a, what="round 2")
    h2 = client_state()[5]
    assert h2 >= h1 + 2
    target = h1 + 1
    with b.client() as cl:
        assert cl.call("query", f"clients/{client_on_b}/consensusStates/{target}".encode(),
                       0, False)[0] is None
    store_forged_header(a, b, client_on_b, target, h1)
    assert client_state()[5] == h2, "the forged header is below the latest"
    R.wait_until(lambda: client_state()[6] != 0, chain=b,
                 what="beta's client frozen by the relayer's evidence")
    R.wait_until(lambda: "MISBEHAVIOUR submitted" in procs.log(rly), chain=b,
                 what="the relayer's own account of the evidence")
    assert f"CONFLICTING HEADERS chain=alpha height={target}" in procs.log(rly)
    assert procs.stop(rly) == 0


def test_ordered_channel_in_order_and_a_timeout_closes_it(procs, tmp_path):
    """An ORDERED channel on the echo app: packets are received and acknowledged in sequence
    order; a packet whose destination passed its timeout while no relayer ran is timed out
    with a proof of beta's nextSequenceRecv (ICS-04 ordered), which closes the channel; the
    packet after it is never sent to beta, and beta's end is closed by ChanCloseConfirm."""
    a = R.Chain(procs, str(tmp_path), "alpha", "stake", 100).start()
    b = R.Chain(procs, str(tmp_path), "beta", "uusd", 100).start()
    cfg = R.write_config(str(tmp_path / "relayer.json"), a, b, str(tmp_path / "rly.db"))
    c = R.load_config(cfg)
    c["paths"][0].update(ordering="ordered", version="echo-1")
    c["paths"][0]["a"]["port"] = c["paths"][0]["b"]["port"] = "echo"
    with open(cfg, "w") as f:
        json.dump(c, f)
    R.relayer("create-clients", "--config", cfg)
    R.relayer("create-channel", "--config", cfg)
    ca, cb = R.channels(cfg)

    def query(chain, key):
        with chain.client() as cl:
            return cl.call("query", key.encode(), 0, False)[0]

    def end(chain, ch):
        return msgpack.unpackb(query(chain, f"channelEnds/ports/echo/channels/{ch}"))

    def next_seq(chain, which, ch):
        return int.from_bytes(query(chain, f"{which}/ports/echo/channels/{ch}"), "big")

    def pending():
        with a.client() as cl:
            return cl.call("packet_commitments", "echo", ca)

    assert end(a, ca)[:2] == [3, 2] and end(b, cb)[:2] == [3, 2], "OPEN and ORDERED"
    # the host applies each app's open rules: collateral speaks UNORDERED only
    c2 = R.load_config(cfg)
    c2["paths"][0].update(version="collateral-1")
    for e in "ab":
        c2["paths"][0][e].update(port="collateral", channel="")
    cfg2 = str(tmp_path / "ordered-collateral.json")
    with open(cfg2, "w") as f:
        json.dump(c2, f)
    r = R.relayer("create-channel", "--config", cfg2, check=False)
    assert r.returncode != 0 and "collateral channels must be UNORDERED" in r.stderr, r.stderr
    rly = R.start_relayer(procs, cfg)
    far = time.time_ns() + 3600 * 10**9
    a.submit("alice", [["echo.send", [ca, f"ping-{i}".encode(), 0, far]] for i in range(1, 6)])
    R.wait_until(lambda: pending() == [], chain=a, what="5 ordered packets acknowledged")
    assert next_seq(b, "nextSequenceRecv", cb) == 6
    assert next_seq(a, "nextSequenceAck", ca) == 6
    with b.client() as cl:  # no receipts on an ordered channel: nextSequenceRecv decides
        assert cl.call("unreceived_packets", "echo", cb, list(range(1, 8))) == [6, 7]
    with b.client() as cl:
        recv = [dict(ev[1])["sequence"] for h in range(1, cl.call("status")[1] + 1)
                for _x, _tx, res in cwrpc.block_results(cl, h)[1] for ev in res[2]
                if ev[0] == "recv_packet"]
    assert recv == [1, 2, 3, 4, 5], recv
    assert procs.stop(rly) == 0
    # sequence 6 times out on beta while nobody relays; 7 (no hurry) may not pass it
    deadline = time.time_ns() + 2 * 10**9
    a.submit("alice", [["echo.send", [ca, b"late", 0, deadline]],
                       ["echo.send", [ca, b"after", 0, far]]])
    def beta_time():
        with b.client() as cl:
            return cl.call("status")[2]

    R.wait_until(lambda: beta_time() > deadline, chain=b, what="beta's time past the timeout")
    hb0 = b.height()
    rly = R.start_relayer(procs, cfg, name="relayer-2")
    R.wait_until(lambda: end(a, ca)[0] == 4, chain=a, what="the ordered channel closed by the timeout")
    R.wait_until(lambda: end(b, cb)[0] == 4, chain=b, what="ChanCloseConfirm relayed to beta")
    b.wait_height(b.height() + 2)  # anything else the relayer sent beta has landed
    with b.client() as cl:
        codes = [(res[0], res[1]) for h in range(hb0, cl.call("status")[1] + 1)
                 for _x, _tx, res in cwrpc.block_results(cl, h)[1]]
    assert all(code == 0 for code, _log in codes), f"a tx failed on beta: {codes}"
    assert next_seq(b, "nextSequenceRecv", cb) == 6, "beta received neither 6 nor 7"
    assert pending() == [7], "6's commitment went with its timeout; 7 is stranded by design"
    assert procs.stop(rly) == 0
    log = procs.log(rly)
    assert "msg failed" not in log and "tx failed" not in log, log[-3000:]


# ---- blocks over the frame limit: paged block_results, cut notifications ---------------------

BIG = int(os.environ.get("CW_RLY_BIG_PACKETS", "20000"))  # packets in the block over 4 MiB
NOTE_BIG = int(os.environ.get("CW_RLY_NOTE_PACKETS", "12288"))  # a cut note, relayer running
PER_TX_MAX = 256  # msgs in one tx, at most


def one_block_of_locks(a, ca, n, beneficiary, sub):
    """n lock msgs (PER_TX_MAX a tx) signed first, then broadcast right after one of a's
    blocks (sub: subscribed to a's blocks) so they land in one block (a's interval is long
    here); returns (height, the note of that block)."""
    key = a.key("alice")
    far = time.time_ns() + 3600 * 10**9
    with a.client() as c:
        nonce = c.call("account", key.address)[2]
        envs = []
        while n > 0:
            k = min(PER_TX_MAX, n)
            msgs = [R.lock_msg(ca, "stake", 1, beneficiary, timeout_ns=far) for _ in range(k)]
            envs.append(R.cwchain.sign_tx(key, a.id, nonce, msgs))
            nonce += 1
            n -= k
        while sub.notifications:  # start right after a block: the next one takes them all
            sub.next_notification(timeout=5)
        sub.next_notification(timeout=30)
        ids = [c.request("broadcast_tx", [e]) for e in envs]
        hashes = [c.wait_response(i) for i in ids]
        res = [a.wait_tx(h) for h in hashes]
    heights = {r[0] for r in res}
    assert len(heights) == 1, f"the txs landed in blocks {sorted(heights)}: not one block"
    assert all(r[3][0] == 0 for r in res), [r[3][1] for r in res if r[3][0]][:3]
    height = heights.pop()
    while True:
        _topic, payload = sub.next_notification(timeout=60)
        if cwrpc.block_note(payload)[0][1] == height:
            return height, payload


def unreceived(b, cb, n):
    with b.client() as c:
        return sum(len(c.call("unreceived_packets", R.CHANNEL_PORT, cb,
                              list(range(lo, min(lo + 10000, n + 1)))))
                   for lo in range(1, n + 1, 10000))


def test_block_over_the_frame_limit_is_paged_and_caught_up_after_a_restart(procs, tmp_path):
    """A block whose results and events pass the 4 MiB frame limit: its notification is cut
    (never dropped) and the relayer reads the rest page by page; a relayer restarted after a
    block of 20,000 packets fills the gap through paged block_results and relays them all."""
    tmp = str(tmp_path)
    mport = free_port()
    a = R.Chain(procs, tmp, "alpha", "stake", 100)
    b = R.Chain(procs, tmp, "beta", "uusd", 100)
    # room for BIG locks in one block (gas) and one tx (CW_TX_MAX_BYTES is the bound there)
    a.set_config(max_block_gas=40 * 10**9)
    b.set_config(max_block_gas=40 * 10**9)
    a.start()
    b.start()
    cfg = R.write_config(os.path.join(tmp, "relayer.json"), a, b, os.path.join(tmp, "rly.db"),
                         metrics=f"127.0.0.1:{mport}", batch=PER_TX_MAX)
    R.relayer("create-clients", "--config", cfg)
    R.relayer("create-channel", "--config", cfg)
    ca, cb = R.channels(cfg)
    bob = b.key("bob").address
    # alpha's blocks far apart from here: every lock of a burst lands in one block
    a.stop()
    a.set_config(block_interval_ms=3000)
    a.start()
    from conftest import wait_port
    with a.client(timeout=60) as sub:
        sub.subscribe("blocks")
        # 1. the relayer running: a block whose note is cut; the relayer reads the rest
        rly = R.start_relayer(procs, cfg)
        wait_port(mport, proc=rly)
        h1, note = one_block_of_locks(a, ca, NOTE_BIG, bob, sub)
        header, events, txs, total = cwrpc.block_note(note)
        assert txs < total, f"the note ({len(msgpack.packb(note))} bytes) carries every event"
        assert len(msgpack.packb(note)) <= 4 << 20
        sends = [ev for ev in cwrpc.note_events(sub, note) if ev[0] == "send_packet"]
        assert len(sends) == NOTE_BIG  # the note's own plus the rest through block_results
        R.wait_until(lambda: metric(metrics_text(mport), "causeway_relayer_blocks_paged_total")
                     >= 1, timeout=60, chain=a, what="the cut note completed by the relayer")
        R.wait_until(lambda: unreceived(b, cb, NOTE_BIG) == 0 and not R.commitments(a, ca),
                     timeout=120, chain=a, what="the first big block relayed and acknowledged")
        text = metrics_text(mport)
        assert metric(text, "causeway_relayer_blocks_paged_failures_total") == 0
        assert procs.stop(rly) == 0
        log = procs.log(rly)
        assert f"block events completed chain=alpha height={h1}" in log, log[-3000:]
        assert "block events incomplete" not in log, log[-3000:]

        # 2. the relayer stopped: a block of BIG packets, whose results pass 4 MiB
        h2, note = one_block_of_locks(a, ca, BIG, bob, sub)
        assert not cwrpc.block_note(note)[2] == cwrpc.block_note(note)[3]
        with a.client(timeout=60) as c:
            first = c.call("block_results", h2)
            assert first[1] == 0 and 0 < len(first[3]) < first[2], "not cut into pages"
            _h, txs2 = cwrpc.block_results(c, h2)
        assert len(txs2) == (BIG + PER_TX_MAX - 1) // PER_TX_MAX
        assert len(msgpack.packb(txs2)) > 4 << 20
        assert sum(1 for _x, _t, r in txs2 for ev in r[2] if ev[0] == "send_packet") == BIG
        # the chain dropped no notification and no subscriber, and said which it cut
        chain_metrics = cwrpc.http_get(f"http://127.0.0.1:{a.port}", "/metrics")[2]
        # (at least the two big blocks: a block of the relayer's acks may be cut too)
        assert metric(chain_metrics, "causeway_chain_block_notes_partial_total") >= 2
        assert metric(chain_metrics, "causeway_chain_block_notes_failed_total") == 0
        assert metric(chain_metrics, "cw_rpc_subscribers_dropped_total") == 0
    # 3. fast blocks again, the relayer restarted: the gap fill pages through block h2
    a.stop()
    a.set_config(block_interval_ms=100)
    a.start()
    rly = R.start_relayer(procs, cfg, name="relayer-2")
    wait_port(mport, proc=rly)
    total_n = NOTE_BIG + BIG
    R.wait_until(lambda: unreceived(b, cb, total_n) == 0 and not R.commitments(a, ca),
                 timeout=300, chain=a, what=f"the {BIG}-packet block relayed after the restart")
    text = metrics_text(mport)
    assert metric(text, "causeway_relayer_block_results_more_pages_total") >= 1
    assert metric(text, "causeway_relayer_blocks_paged_failures_total") == 0
    assert procs.stop(rly) == 0
    log = procs.log(rly)
    assert "gap fill failed" not in log, log[-3000:]
    filled = [tuple(map(int, m)) for m in re.findall(r"gap filled chain=alpha from=(\d+) to=(\d+)",
                                                     log)]
    assert any(lo <= h2 <= hi for lo, hi in filled), (h2, filled, log[-3000:])
    assert "level=error" not in log, log[-3000:]

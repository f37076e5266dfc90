"""`causeway audit` proves CURRENT state (issue 15, "the audit certifies whatever height the
node picks"): the real chains, relayer and CLI on loopback.

A node that serves an old tip is made honestly: alpha is stopped and restarted with a block
interval of an hour, so it keeps answering `status`, `light_block` and proofs with its last
header while the local clock moves on. The audit must refuse that header when it is older
than --max-age (naming the header time, the local time and the age), and refuse two chains
whose header times are more than --max-skew apart (naming both heights and times); a bad
duration is a usage error naming the value.

The audit reads settled history through proven aggregates and only the packets in flight one
by one, so it works at any channel age (issue "Hardening": it refused channels of more than
20,000 packets): a channel of more than 20,000 packets, with more than one page of packets in
flight, audits exactly; a node that leaves a packet in flight out of its packet_commitments
answer is caught."""

import json
import os
import re
import subprocess
import time

import pytest

import relayer_env as R
from conftest import require_bin

HOUR_MS = 3600000


def hdr_time(ns):
    """A header time as the audit prints it: UTC, ms, "YYYY-MM-DDTHH:MM:SS.mmmZ"."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
        f".{ns % 10**9 // 10**6:03d}Z"


def audit(cfg, roots, *flags):
    return subprocess.run([require_bin("causeway"), "audit", "--config", cfg, "--denom",
                           "stake", "--trust-a", roots["alpha"], "--trust-b", roots["beta"],
                           *flags], capture_output=True, text=True, timeout=120)


trust_roots = R.trust_roots


def lock_many(chain, channel, amounts, beneficiary, per_tx=256):
    """One collateral.lock from alice per amount, per_tx msgs to a tx, every tx broadcast
    before any is waited on; asserts each tx succeeded."""
    hashes = []
    with chain.client() as c:
        for i in range(0, len(amounts), per_tx):
            msgs = [R.lock_msg(channel, "stake", x, beneficiary) for x in amounts[i:i + per_tx]]
            hashes.append(chain.submit("alice", msgs, c=c, wait=False))
    for h in hashes:
        res = chain.wait_tx(h)[3]
        assert res[0] == 0, res


def stale_alpha(procs, tmp, age_s=2.0):
    """Two chains and an open channel; then alpha restarted so that it produces no block for
    an hour, and waited on until its tip header is more than age_s old. Returns (a, b, cfg,
    trust roots, alpha's status [chain_id, height, time_ns, ...])."""
    a, b, cfg = R.setup_path(procs, str(tmp), interval_ms=100)
    roots = trust_roots(a, b)
    # fresh chains: the audit holds, and says at which heights and header times
    r = audit(cfg, roots, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["holds"] and out["height_a"] > 0 and out["height_b"] > 0
    assert out["time_a"] == hdr_time(out["time_a_ns"])
    assert out["time_b"] == hdr_time(out["time_b_ns"])
    assert abs(out["time_a_ns"] - time.time_ns()) < 30 * 10**9
    a.stop()
    conf = os.path.join(a.home, "config.json")
    with open(conf) as f:
        c = json.load(f)
    c["block_interval_ms"] = HOUR_MS
    with open(conf, "w") as f:
        json.dump(c, f)
    a.start()
    with a.client() as cl:
        tip = cl.call("status")
    # the condition is the tip's age on the local clock (no block comes for an hour)
    R.wait_until(lambda: time.time_ns() - tip[2] > age_s * 10**9, timeout=30,
                 what=f"alpha's tip older than {age_s}s")
    with a.client() as cl:
        assert cl.call("status")[1] == tip[1], "alpha produced a block: not a stale tip"
    return a, b, cfg, roots, tip


def test_audit_refuses_a_stale_tip(procs, tmp_path):
    a, b, cfg, roots, tip = stale_alpha(procs, tmp_path)
    r = audit(cfg, roots, "--max-age", "1s")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""  # no figure is printed for a state that is not current
    err = r.stderr
    assert "chain alpha" in err and f"height {tip[1]}" in err, err
    m = re.search(r"has time (\S+Z), local clock (\S+Z): (\d+\.\d{3})s old, more than "
                  r"--max-age 1\.000s", err)
    assert m and m.group(1) == hdr_time(tip[2]), err
    # the local time named is after the header's, by the age named (> 1s)
    assert m.group(2) > m.group(1) and float(m.group(3)) > 1.0, err
    # a generous bound certifies it again, and says exactly which state it proved
    r = audit(cfg, roots, "--max-age", "2m", "--max-skew", "2m", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["holds"] and out["height_a"] == tip[1] and out["time_a_ns"] == tip[2]
    assert out["time_a"] == hdr_time(tip[2]) and out["max_age_ms"] == 120000
    r = audit(cfg, roots, "--max-age", "2m", "--max-skew", "2m")
    assert r.returncode == 0, r.stderr
    assert (f"alpha height {tip[1]}, header time {hdr_time(tip[2])}" in r.stdout and
            "BALANCED" in r.stdout), r.stdout


def test_audit_refuses_chains_read_apart(procs, tmp_path):
    a, b, cfg, roots, tip = stale_alpha(procs, tmp_path)
    # within the default --max-age (30s), but more than 500ms behind beta's header
    r = audit(cfg, roots, "--max-skew", "500ms")
    assert r.returncode == 1, (r.stdout, r.stderr)
    err = r.stderr
    assert f"alpha at height {tip[1]} (header time {hdr_time(tip[2])})" in err, err
    assert "beta at height " in err and "more than --max-skew 0.500s" in err, err
    hb = int(err.split("beta at height ")[1].split(" ")[0])
    assert hb > 0, err
    with b.client() as cl:
        assert cl.call("status")[1] >= hb


def test_audit_channel_beyond_20000_packets(procs, tmp_path):
    """20,001 deposits relayed and settled, then a release in flight on beta and 1,100
    deposits in flight on alpha (more than one 1,000-sequence page): the audit proves the
    21,101-packet channel balanced, with exactly the packets in flight as its packet terms.
    (Before, it refused any channel of more than 20,000 packets.)"""
    from test_e2e_bridge import Env
    e = Env(procs, tmp_path)  # collateral registered on beta; the relayer running
    settled, in_flight, released = 20001, 1100, 7
    alice_b = e.b.key("alice").address
    lock_many(e.a, e.ch_a, [1] * settled, alice_b)
    R.wait_until(e.quiescent, chain=e.a, what=f"{settled} deposits relayed and acknowledged")
    assert e.position("alice") == settled
    e.procs.stop(e.rly)  # nothing relays from now on
    alice_a = e.json(e.a, "keys", "show", "alice")["address"]
    e.cli(e.b, "tx", "withdraw-collateral", "--from", "alice", "--channel", e.ch_b, "--denom",
          "stake", "--amount", str(released), "--to", alice_a)
    lock_many(e.a, e.ch_a, [1] * in_flight, alice_b)
    assert len(R.commitments(e.a, e.ch_a)) == in_flight
    out = e.audit()
    assert out["holds"], out
    assert out["packets_sent_a"] == settled + in_flight and out["packets_sent_b"] == 1, out
    assert out["escrow"] == settled + in_flight, out
    assert out["total"] == settled - released and out["inflight"] == released, out
    assert out["deposit_packets_pending"] == in_flight, out
    assert out["deposits_not_credited"] == in_flight, out
    assert out["release_packets_pending"] == 1 and out["releases_paid_not_acked"] == 0, out


def test_audit_catches_a_node_hiding_a_packet_in_flight(procs, tmp_path):
    """Alpha's node, behind a proxy, leaves packets in flight out of its packet_commitments
    answers: the proven count and amount of alpha's packets in flight do not add up, and the
    audit fails naming how many and how much the node hid. The same proxy hiding nothing
    passes."""
    from test_relayer import TamperProxy
    a, b, cfg = R.setup_path(procs, str(tmp_path), interval_ms=100)
    ch_a, _ = R.channels(cfg)
    roots = trust_roots(a, b)
    lock_many(a, ch_a, [10, 20, 30], b.key("alice").address)  # sequences 1, 2, 3; no relayer
    proxy = TamperProxy(a.port, tamper=False)
    c = R.load_config(cfg)
    c["chains"][0]["rpc"] = proxy.url
    lying = str(tmp_path / "via-proxy.json")
    with open(lying, "w") as f:
        json.dump(c, f)
    r = audit(lying, roots, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["holds"] and out["deposit_packets_pending"] == 3, out
    assert out["deposits_not_credited"] == 60 and out["escrow"] == 60, out
    for hide, n, amount in (({2}, 1, 20), ({1, 2, 3}, 3, 60)):
        proxy.hide_commitments = hide
        r = audit(lying, roots, "--json")
        assert r.returncode == 1 and r.stdout == "", (r.stdout, r.stderr)
        assert (f"chain alpha, channel {ch_a}: {n} outstanding deposit packet(s) of stake "
                f"(amount {amount}) missing from the node's packet_commitments") in r.stderr, \
            r.stderr
        assert ("the proven aggregate collateral/pending/" + ch_a + "/deposit/stake") in \
            r.stderr and "[3, 60]" in r.stderr and "the node hides commitments" in r.stderr, \
            r.stderr
    assert proxy.hidden >= 4


@pytest.mark.parametrize("flag,value", [("--max-age", "5parsecs"), ("--max-age", "30"),
                                        ("--max-age", "0s"), ("--max-age", "-1s"),
                                        ("--max-skew", "1.5s"), ("--max-age", "999999h")])
def test_audit_bad_duration_is_a_usage_error(tmp_path, flag, value):
    r = subprocess.run([require_bin("causeway"), "audit", "--config",
                        str(tmp_path / "absent.json"), flag, value],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{flag}: '{value}' is not a duration" in r.stderr, r.stderr


def test_audit_help_says_what_as_of_when_and_against_what_trust():
    r = subprocess.run([require_bin("causeway"), "audit", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0
    for s in ("What it proves", "Against what trust", "As of when", "--max-age",
              "--max-skew", "default 30s", "default 10s", "trust_root"):
        assert s in r.stdout, (s, r.stdout)

#!/usr/bin/env python3
"""`causeway audit` of an old channel (DESIGN §8 "Audit", §12): two local causeway-chain
nodes (release build), causeway-relayer and the CLI on one machine.

Setup (untimed): CW_BENCH_AUDIT_PACKETS deposits (default 100,000; 256 per tx) sent on
alpha's collateral channel while the relayer runs, until every one is received on beta and
acknowledged on alpha.

Phase 1 (settled): `causeway audit --json` of that channel with nothing in flight. The audit
reads settled history through the proven aggregates only, so this is its cost at any channel
age. Phase 2 (in flight): the relayer stopped, CW_BENCH_AUDIT_INFLIGHT more deposits
(default 10,000) sent and left in flight; the audit proves each of them (commitment,
packet, receipt on beta) page by page. Each phase runs CW_BENCH_REPEAT audits (default 3):
the median wall time of the process (start to exit) and its peak RSS (getrusage of the
child, ru_maxrss, measured from the small C launcher so that it is the audit's own) are printed, with the packet counts the audit itself reported.
"""

import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("CW_BUILD", os.path.join(HERE, "..", "build"))
os.environ.setdefault("CW_BIN_FLAVOUR", "rel")

import json  # noqa: E402
import subprocess  # noqa: E402

import relayer_env as R  # noqa: E402
from conftest import Procs, require_bin  # noqa: E402
from test_audit import lock_many  # noqa: E402
from test_e2e_bridge import Env  # noqa: E402

N = int(os.environ.get("CW_BENCH_AUDIT_PACKETS", "100000"))
INFLIGHT = int(os.environ.get("CW_BENCH_AUDIT_INFLIGHT", "10000"))
REPEAT = int(os.environ.get("CW_BENCH_REPEAT", "3"))
# the launcher that ran this script (argv[1]), whose --measure times one audit
LAUNCHER = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else \
    os.path.join(HERE, "..", "build", "rel", "bench", "bench_audit")


def timed_audit(e, tmp):
    """One `causeway audit --json` run, timed by the launcher (`bench_audit --measure`, a
    small C process, so the peak RSS is the audit's own): (seconds, peak RSS in KiB, the
    audit's JSON)."""
    argv = [require_bin("causeway"), "audit", "--config", e.cfg, "--denom", "stake",
            "--trust-a", e.roots["alpha"], "--trust-b", e.roots["beta"], "--json"]
    fig = os.path.join(tmp, "measure.txt")
    r = subprocess.run([LAUNCHER, "--measure", fig, *argv], capture_output=True, text=True,
                       timeout=3600)
    if r.returncode != 0:
        raise SystemExit(f"bench_audit: the audit exited {r.returncode}: {r.stderr[-2000:]}")
    with open(fig) as f:
        wall_ns, rss_kib = (int(x) for x in f.read().split())
    return wall_ns / 1e9, rss_kib, json.loads(r.stdout)


def phase(e, tmp, name):
    runs = [timed_audit(e, tmp) for _ in range(REPEAT)]
    t = statistics.median(x[0] for x in runs)
    rss = max(x[1] for x in runs)
    out = runs[-1][2]
    assert out["holds"], out
    print(f"  {name}: channel of {out['packets_sent_a']} packets, "
          f"{out['deposit_packets_pending']} in flight: audit {t * 1000:.0f} ms "
          f"(median of {REPEAT}), peak RSS {rss / 1024:.1f} MiB", flush=True)
    return t, rss


def main():
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        procs = Procs(tmp)
        try:
            e = Env(procs, tmp)
            t0 = time.monotonic()
            alice_b = e.b.key("alice").address
            for i in range(0, N, 25600):  # in chunks, so the relayer keeps up
                lock_many(e.a, e.ch_a, [1] * min(25600, N - i), alice_b)
            R.wait_until(e.quiescent, chain=e.a, timeout=1800,
                         what=f"{N} deposits relayed and acknowledged")
            print(f"bench_audit: {N} deposits sent and settled in "
                  f"{time.monotonic() - t0:.1f} s (setup, untimed)", flush=True)
            t1, _ = phase(e, tmp, "settled")
            procs.stop(e.rly)
            lock_many(e.a, e.ch_a, [1] * INFLIGHT, alice_b)
            t2, _ = phase(e, tmp, "in flight")
            if INFLIGHT:
                print(f"  per packet in flight: {(t2 - t1) / INFLIGHT * 1e6:.0f} us "
                      f"(settled packets: none)", flush=True)
        finally:
            procs.stop_all()


if __name__ == "__main__":
    main()

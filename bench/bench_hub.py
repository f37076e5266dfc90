#!/usr/bin/env python3
"""One relayer serving two paths at once vs one path (DESIGN §12; issue 18): three local
causeway-chain nodes — alpha (stake) and gamma (atom), each with a collateral channel to
beta, the hub — and causeway-relayer, in one run, side by side.

Each round has two phases, each with a relayer already running, caught up and idle (started
on its config, then a warm-up tx of packets on each of its paths relayed and acknowledged):
  one path   the relayer's config has only the path alpha → beta (and only those two
             chains); CW_BENCH_HUB_PACKETS deposit packets sent on alpha as fast as the chain
             takes them (100 a tx)
  two paths  one relayer whose config has both paths (alpha → beta, gamma → beta); the same
             number sent on alpha AND on gamma at once (a sender thread each)
packets/s = the packets over the time from the arrival of the beta `blocks` notification
right before the sends to the one whose recv_packet events complete them (in the two-path
phase both paths' packets over the time the later one took, and each path's own rate). CPU µs
per packet of each process — the relayer, alpha, gamma and beta — from /proc/PID/stat
(utime + stime) from that first notification until every packet is acknowledged on its
source (each packet's whole life: recv and ack), over the phase's packets; in the one-path
phase gamma is idle and its column is what an idle node costs over that time, per packet of
the other path. The phases alternate CW_BENCH_HUB_REPEAT times; the medians are printed with
every round's rate. The ratio two paths / one path says how one relayer's single thread
(relayer/README.md "Runtime"), shared by both paths, and the hub, which ingests both paths'
packets, bound the rate together: 2 would be two paths at no cost to each other, 1 one
path's rate shared between two.

Environment: CW_BENCH_HUB_PACKETS (per path, default 6000), CW_BENCH_HUB_REPEAT (3),
CW_BENCH_INTERVAL_MS (block interval, 200), CW_BENCH_BATCH (relayer batch size, 200).
"""

import os
import shutil
import statistics
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_relayer as B  # noqa: E402  (sets up the paths to tests/integration)
import relayer_env as R  # noqa: E402
from conftest import Procs  # noqa: E402

N = int(os.environ.get("CW_BENCH_HUB_PACKETS", "6000"))
REPEAT = int(os.environ.get("CW_BENCH_HUB_REPEAT", "3"))
INTERVAL = B.INTERVAL
BATCH = B.BATCH


def warm(procs, cfg, paths, bob):
    """Start a relayer on `cfg` and wait until it has relayed and acknowledged one tx of
    packets on each of `paths` (spoke chain, its channel, its client connection, denom):
    from then on it is running, caught up and idle."""
    rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
    ends = []
    for s, ch, cl, denom in paths:
        ends.append(B.a_next_seq(cl, ch) + B.PER_TX)
        B.send_stream(s, ch, B.PER_TX, bob, 1e9, cl, denom=denom)
    for (s, ch, cl, _denom), end in zip(paths, ends):
        # sent (the next sequence moved past them: the tx is in a block, and the sender's
        # nonce with it) and acknowledged
        R.wait_until(lambda: B.a_next_seq(cl, ch) >= end and B.outstanding(s, ch) == 0,
                     timeout=120, chain=s, what=f"the warm-up on {s.id} acknowledged")
    return rly


def stream(b, rly, paths, bob, pids):
    """With `rly` running and idle: N packets sent as fast as the chains take them on each
    of `paths` (spoke chain, its channel, its client connection, denom, beta's channel) at
    once, one sender thread per path. Returns (seconds from the beta block before the
    sends until beta received each path's N: beta's channel -> s, CPU µs per packet per
    process until every packet is acknowledged)."""
    firsts = {cb: B.a_next_seq(cl, ch) for _s, ch, cl, _d, cb in paths}
    procs_ = dict(pids, relayer=rly.pid)
    with b.client(timeout=600) as sub:
        sub.subscribe("blocks")
        t0 = B.block_edge(sub)
        cpu0 = {k: B.cpu_s(p) for k, p in procs_.items()}
        senders = [threading.Thread(target=B.send_stream, args=(s, ch, N, bob, 1e9, cl),
                                    kwargs={"denom": d}) for s, ch, cl, d, _cb in paths]
        for t in senders:
            t.start()
        done = B.wait_received_each(sub, {cb: range(firsts[cb], firsts[cb] + N)
                                          for *_x, cb in paths}, timeout=300)
        for t in senders:
            t.join()
    for s, ch, *_x in paths:
        R.wait_until(lambda: B.outstanding(s, ch) == 0, timeout=600, chain=s,
                     what=f"{s.id}'s packets acknowledged")
    n = N * len(paths)
    cpu = {k: (B.cpu_s(p) - cpu0[k]) / n * 1e6 for k, p in procs_.items()}
    return {cb: t - t0 for cb, t in done.items()}, cpu


def main():
    tmp = tempfile.mkdtemp(prefix="cwbench-hub-")
    procs = Procs(tmp)
    ok = False
    try:
        a = R.Chain(procs, tmp, "alpha", "stake", INTERVAL).start()
        g = R.Chain(procs, tmp, "gamma", "atom", INTERVAL).start()
        b = R.Chain(procs, tmp, "beta", "uusd", INTERVAL).start()
        bob = b.key("bob").address
        opts = {"batch": BATCH, "extra": {"max_inflight": 64}}
        both = R.write_multi_config(os.path.join(tmp, "two-paths.json"), (a, g, b),
                                    [R.hub_path("alpha-collateral", "collateral", a, b),
                                     R.hub_path("gamma-collateral", "collateral", g, b)],
                                    os.path.join(tmp, "two.db"), **opts)
        R.relayer("create-clients", "--config", both)
        R.relayer("create-channel", "--config", both)
        paths = R.load_config(both)["paths"]
        ids = {p["name"]: (p["a"]["channel"], p["b"]["channel"]) for p in paths}
        # the same path alpha -> beta, its clients and channel, alone with its two chains
        one = R.write_multi_config(os.path.join(tmp, "one-path.json"), (a, b), paths[:1],
                                   os.path.join(tmp, "one.db"), **opts)
        ca, cb_a = ids["alpha-collateral"]
        cg, cb_g = ids["gamma-collateral"]
        pids = {"alpha": a.proc.pid, "gamma": g.proc.pid, "beta": b.proc.pid}
        ones, twos = [], []
        with a.client(timeout=60) as ca_cl, g.client(timeout=60) as cg_cl:
            pa = (a, ca, ca_cl, "stake", cb_a)
            pg = (g, cg, cg_cl, "atom", cb_g)
            for _ in range(REPEAT):
                rly = warm(procs, one, [pa[:4]], bob)
                t, cpu = stream(b, rly, [pa], bob, pids)
                procs.stop(rly)
                ones.append({"rate": N / t[cb_a], "cpu": cpu})
                rly = warm(procs, both, [pa[:4], pg[:4]], bob)
                t, cpu = stream(b, rly, [pa, pg], bob, pids)
                procs.stop(rly)
                twos.append({"rate": 2 * N / max(t.values()), "alpha": N / t[cb_a],
                             "gamma": N / t[cb_g], "cpu": cpu})
        try:
            load = open("/proc/loadavg").read().split()[:3]
        except OSError:
            load = ["?"] * 3

        def med(rows, key):
            return statistics.median(r[key] for r in rows)

        def cpu_med(rows, k):
            return statistics.median(r["cpu"][k] for r in rows)

        def each(rows, key):
            return ", ".join(f"{r[key]:.0f}" for r in rows)
        procs_ = ("relayer", "alpha", "gamma", "beta")
        print(f"one relayer, two paths at once vs one path (block interval {INTERVAL} ms, batch "
              f"{BATCH}, {N} packets per path, median of {REPEAT}; load average "
              f"{' '.join(load)} at the end):")
        print(f"  {'':28s}{'packets/s':>10s}   CPU us/packet: "
              + " ".join(f"{k:>8s}" for k in procs_) + "     total")
        for label, rows in (("one path (alpha -> beta)", ones),
                            ("two paths (alpha, gamma)", twos)):
            cols = [cpu_med(rows, k) for k in procs_]
            print(f"  {label:28s}{med(rows, 'rate'):10.0f}                  "
                  + " ".join(f"{c:8.1f}" for c in cols) + f"  {sum(cols):8.1f}")
        print(f"    of which alpha -> beta    {med(twos, 'alpha'):10.0f}   gamma -> beta "
              f"{med(twos, 'gamma'):.0f} (each path's {N} packets over the time its last one "
              f"took)")
        print(f"  ratio two paths / one path  {med(twos, 'rate') / med(ones, 'rate'):10.2f}   "
              f"(rounds: one path {each(ones, 'rate')}; two paths {each(twos, 'rate')})")
        print("  (gamma's column in the one-path row: an idle node over that time, per packet "
              "of alpha's path)")
        ok = True
        return 0
    finally:
        procs.stop_all()
        if ok:  # kept when something failed: the logs are there
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

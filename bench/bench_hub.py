#!/usr/bin/env python3
"""One relayer serving two paths at once vs one path (DESIGN §12; issue 18): three local
causeway-chain nodes — alpha (stake) and gamma (atom), each with a collateral channel to
beta, the hub — and causeway-relayer, in one run, side by side.

Each round has two phases, each a backlog drained by a freshly started relayer:
  one path   CW_BENCH_HUB_BACKLOG deposit packets committed on alpha while no relayer runs;
             a relayer whose config has only the path alpha → beta (and only those two
             chains) starts, and the time until beta has received them all gives packets/s
  two paths  the same backlog committed on alpha AND on gamma; one relayer whose config has
             both paths (alpha → beta, gamma → beta) starts; packets/s over both (2 x the
             backlog), and each path's own rate (its backlog over the time its last packet
             took)
Timing starts on the arrival of one of beta's `blocks` notifications right before the
relayer starts and ends on the notification whose recv_packet events complete the set (as
bench_relayer.py's backlog phase). CPU µs per packet of each process — alpha, gamma, beta and
the relayer — from /proc/PID/stat (utime + stime) from the relayer's start until every
packet is acknowledged on its source (each packet's whole life: recv and ack), over the
packets of the phase; in the one-path phase gamma is idle and its column is what an idle
node costs over that time, per packet of the other path. The phases alternate
CW_BENCH_HUB_REPEAT times; the medians are printed with every round's figure. The ratio
two paths / one path says whether one relayer's single thread (relayer/README.md "Runtime")
or the hub, which ingests both paths' packets, bounds the rate: with the relayer the bound
the ratio is about 1 (one thread shared), with beta the bound the relayer's CPU per packet
stays flat while beta's work per block doubles.

Environment: CW_BENCH_HUB_BACKLOG (packets per path, default 6000), CW_BENCH_HUB_REPEAT (2),
CW_BENCH_INTERVAL_MS (block interval, 200), CW_BENCH_BATCH (relayer batch size, 200).
"""

import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_relayer as B  # noqa: E402  (sets up the paths to tests/integration)
import relayer_env as R  # noqa: E402
from conftest import Procs  # noqa: E402

N = int(os.environ.get("CW_BENCH_HUB_BACKLOG", "6000"))
REPEAT = int(os.environ.get("CW_BENCH_HUB_REPEAT", "2"))
INTERVAL = B.INTERVAL
BATCH = B.BATCH


def config(path, chains, paths, db):
    """A relayer config of `chains` and `paths` (name, spoke chain, spoke's channel and
    client, beta's channel and client; empty ids for create-clients/create-channel)."""
    cfg = {
        "chains": [{"id": c.id, "rpc": c.url,
                    "key_file": os.path.join(c.home, "keys", "relayer.json")} for c in chains],
        "paths": [{"name": name, "version": "collateral-1", "ordering": "unordered",
                   "a": {"chain": s.id, "port": "collateral", "channel": ca, "client": cla},
                   "b": {"chain": "beta", "port": "collateral", "channel": cb, "client": clb}}
                  for name, s, ca, cla, cb, clb in paths],
        "batch_size": BATCH, "rpc_timeout_ms": 10000, "tx_timeout_ms": 60000,
        "max_inflight": 64, "db_path": db, "metrics_addr": ""}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return path


def drain(procs, cfg, b, backlogs, pids):
    """Start a relayer on `cfg` with `backlogs` (spoke chain, its channel, beta's channel,
    first sequence) committed and waiting; returns (seconds until beta received each path's
    backlog: beta's channel -> s, CPU µs per packet per process)."""
    with b.client(timeout=600) as sub:
        sub.subscribe("blocks")
        t0 = B.block_edge(sub)
        cpu0 = {k: B.cpu_s(p) for k, p in pids.items()}
        rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
        done = B.wait_received_each(sub, {cb: range(first, first + N)
                                          for _s, _ca, cb, first in backlogs})
    for s, ca, _cb, _first in backlogs:
        R.wait_until(lambda: B.outstanding(s, ca) == 0, timeout=600, chain=s,
                     what=f"{s.id}'s backlog acknowledged")
    n = N * len(backlogs)
    cpu = {k: (B.cpu_s(p) - cpu0[k]) / n * 1e6 for k, p in pids.items()}
    cpu["relayer"] = B.cpu_s(rly.pid) / n * 1e6
    procs.stop(rly)
    return {cb: t - t0 for cb, t in done.items()}, cpu


def commit_backlog(chain, channel, bob, denom, c):
    """N deposits committed on `chain` with no relayer running; the first sequence."""
    first = B.a_next_seq(c, channel)
    B.send_stream(chain, channel, N, bob, 1e9, c, denom=denom)
    R.wait_until(lambda: B.outstanding(chain, channel) >= N, chain=chain,
                 what=f"{chain.id}'s backlog committed")
    return first


def main():
    tmp = tempfile.mkdtemp(prefix="cwbench-hub-")
    procs = Procs(tmp)
    try:
        a = R.Chain(procs, tmp, "alpha", "stake", INTERVAL).start()
        g = R.Chain(procs, tmp, "gamma", "atom", INTERVAL).start()
        b = R.Chain(procs, tmp, "beta", "uusd", INTERVAL).start()
        bob = b.key("bob").address
        both = config(os.path.join(tmp, "two-paths.json"), (a, g, b),
                      [("alpha-collateral", a, "", "", "", ""),
                       ("gamma-collateral", g, "", "", "", "")], os.path.join(tmp, "two.db"))
        R.relayer("create-clients", "--config", both)
        R.relayer("create-channel", "--config", both)
        ids = {p["name"]: (p["a"]["channel"], p["a"]["client"], p["b"]["channel"],
                           p["b"]["client"]) for p in R.load_config(both)["paths"]}
        one = config(os.path.join(tmp, "one-path.json"), (a, b),
                     [("alpha-collateral", a, *ids["alpha-collateral"])],
                     os.path.join(tmp, "one.db"))
        ca, cb_a = ids["alpha-collateral"][0], ids["alpha-collateral"][2]
        cg, cb_g = ids["gamma-collateral"][0], ids["gamma-collateral"][2]
        pids = {"alpha": a.proc.pid, "gamma": g.proc.pid, "beta": b.proc.pid}
        ones, twos = [], []
        with a.client(timeout=60) as ca_cl, g.client(timeout=60) as cg_cl:
            for _ in range(REPEAT):
                first = commit_backlog(a, ca, bob, "stake", ca_cl)
                t, cpu = drain(procs, one, b, [(a, ca, cb_a, first)], pids)
                ones.append({"rate": N / t[cb_a], "cpu": cpu})
                fa = commit_backlog(a, ca, bob, "stake", ca_cl)
                fg = commit_backlog(g, cg, bob, "atom", cg_cl)
                t, cpu = drain(procs, both, b, [(a, ca, cb_a, fa), (g, cg, cb_g, fg)], pids)
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
              f"{BATCH}, backlog {N} packets per path, median of {REPEAT}; load average "
              f"{' '.join(load)} at the end):")
        print(f"  {'':28s}{'packets/s':>10s}   CPU us/packet: "
              + " ".join(f"{k:>8s}" for k in procs_) + "     total")
        for label, rows in (("one path (alpha -> beta)", ones),
                            ("two paths (alpha, gamma)", twos)):
            cols = [cpu_med(rows, k) for k in procs_]
            print(f"  {label:28s}{med(rows, 'rate'):10.0f}                  "
                  + " ".join(f"{c:8.1f}" for c in cols) + f"  {sum(cols):8.1f}")
        print(f"    of which alpha -> beta    {med(twos, 'alpha'):10.0f}   gamma -> beta "
              f"{med(twos, 'gamma'):.0f} (each path's backlog over the time its last packet "
              f"took)")
        print(f"  ratio two paths / one path  {med(twos, 'rate') / med(ones, 'rate'):10.2f}   "
              f"(rounds: one path {each(ones, 'rate')}; two paths {each(twos, 'rate')})")
        print("  (gamma's column in the one-path row: an idle node over the drain, per packet "
              "of alpha's path)")
        return 0
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())

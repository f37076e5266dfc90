#!/usr/bin/env python3
"""Soak (DESIGN §12, `make soak`): CW_SOAK_PACKETS (default 10^6) deposit packets streamed
from alpha to beta through causeway-relayer at CW_SOAK_RATE packets/s (default 2000), in
windows of CW_SOAK_WINDOW packets (default 50,000), with both nodes keeping
CW_SOAK_STATE_VERSIONS heights of state history (default: the node's 10000, more blocks than
the soak makes, so nothing is pruned; a small value makes pruning part of the cost). Per
window, for each process (source chain, relayer, destination chain): CPU µs per packet
(/proc/PID/stat utime + stime) and bytes written per packet (the write, pwrite, writev and
pwritev calls the process makes on regular files other than its log — LMDB's pages —
counted by the LD_PRELOAD shim bench/iocount.c, CW_IOCOUNT_SO; /proc/PID/io write_bytes is
not used: with a large-folio page cache it counts a whole folio each time a page in it is
dirtied, and it grew with the file, not with what LMDB wrote); each chain's LMDB data file
size; the relayer's resident set. The claim it checks: cost per packet stays flat as the
state grows (last window / first window printed per figure).

Each window waits until every packet of the window is acknowledged before the next one, so
a window's figures are its own packets' whole cost.
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("CW_BUILD", os.path.join(HERE, "..", "build"))
os.environ.setdefault("CW_BIN_FLAVOUR", "rel")

import bench_relayer as B  # noqa: E402
import relayer_env as R  # noqa: E402
from conftest import Procs  # noqa: E402

TOTAL = int(os.environ.get("CW_SOAK_PACKETS", "1000000"))
RATE = float(os.environ.get("CW_SOAK_RATE", "2000"))
WINDOW = int(os.environ.get("CW_SOAK_WINDOW", "50000"))
INTERVAL = int(os.environ.get("CW_BENCH_INTERVAL_MS", "200"))
# heights of state history each node keeps (its state_versions; unset: the node's default,
# 10000 — more blocks than a 10^6-packet soak makes, so nothing is pruned)
STATE_VERSIONS = os.environ.get("CW_SOAK_STATE_VERSIONS")


IOCOUNT_SO = os.environ.get("CW_IOCOUNT_SO", os.path.join(os.environ["CW_BUILD"], "rel",
                                                          "bench", "libiocount.so"))


def written(pid, counters):
    """Bytes the process has written to regular files so far (bench/iocount.c's counter)."""
    try:
        with open(os.path.join(counters, str(pid)), "rb") as f:
            raw = f.read(8)
    except FileNotFoundError:
        return 0
    return int.from_bytes(raw, sys.byteorder) if len(raw) == 8 else 0


def vm_rss_kb(pid):
    """The process's resident set now (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def data_mb(chain):
    size = 0
    for root, _dirs, files in os.walk(chain.home):
        for name in files:
            if name == "data.mdb":
                size += os.path.getsize(os.path.join(root, name))
    return size / 2**20


def main():
    tmp = tempfile.mkdtemp(prefix="cwsoak-")
    if not os.path.exists(IOCOUNT_SO):
        print(f"soak: {IOCOUNT_SO} is missing (make soak builds it)", file=sys.stderr)
        return 1
    counters = os.path.join(tmp, "iocount")
    os.mkdir(counters)
    # every process started from here on counts its file writes (bench/iocount.c)
    os.environ["LD_PRELOAD"] = IOCOUNT_SO
    os.environ["CW_IOCOUNT_DIR"] = counters
    procs = Procs(tmp)
    try:
        a, b, cfg, ca, _cb, bob = B.two_chains(
            procs, tmp, INTERVAL, 200,
            {"state_versions": int(STATE_VERSIONS)} if STATE_VERSIONS else None)
        rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
        pids = {"source": a.proc.pid, "relayer": rly.pid, "destination": b.proc.pid}
        # the shim must be counting in all three, or every "written" figure would read 0
        R.wait_until(lambda: all(os.path.exists(os.path.join(counters, str(p)))
                                 for p in pids.values()), timeout=30, chain=a,
                     what="the iocount shim's counters in all three processes")
        rows = []
        print(f"soak: {TOTAL} packets at {RATE:.0f}/s offered, windows of {WINDOW}, block "
              f"interval {INTERVAL} ms, state_versions {STATE_VERSIONS or 'default'}",
              flush=True)
        print("  window    packets   CPU us/packet: src  relayer  dst   written B/packet: src  "
              "relayer  dst   LMDB MB: src  dst   relayer RSS MB", flush=True)
        with a.client(timeout=60) as ca_cl:
            done = 0
            while done < TOTAL:
                n = min(WINDOW, TOTAL - done)
                cpu0 = {k: B.cpu_s(p) for k, p in pids.items()}
                w0 = {k: written(p, counters) for k, p in pids.items()}
                B.send_stream(a, ca, n, bob, RATE, ca_cl)
                R.wait_until(lambda: B.outstanding(a, ca) == 0, timeout=3600, chain=a,
                             what="window acknowledged")
                cpu = {k: (B.cpu_s(p) - cpu0[k]) / n * 1e6 for k, p in pids.items()}
                wr = {k: (written(p, counters) - w0[k]) / n for k, p in pids.items()}
                done += n
                row = (done, cpu, wr, data_mb(a), data_mb(b))
                rows.append(row)
                print(f"  {len(rows):6d} {done:10d}   {cpu['source']:18.1f} {cpu['relayer']:8.1f} "
                      f"{cpu['destination']:5.1f}   {wr['source']:20.0f} {wr['relayer']:8.0f} "
                      f"{wr['destination']:5.0f}"
                      f"   {row[3]:12.0f} {row[4]:4.0f}   {vm_rss_kb(rly.pid) / 1024:14.1f}",
                      flush=True)
        if len(rows) >= 2:
            f, l = rows[0], rows[-1]
            for k in ("source", "relayer", "destination"):
                print(f"  CPU per packet, {k}: last window / first = "
                      f"{l[1][k] / max(f[1][k], 1e-9):.2f}")
            for k in ("source", "relayer", "destination"):
                print(f"  bytes written per packet, {k}: last window / first = "
                      f"{l[2][k] / max(f[2][k], 1e-9):.2f}")
        print(f"  relayer RSS {B.rss_kb(rly.pid) / 1024:.1f} MB peak (VmHWM)")
        return 0
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())

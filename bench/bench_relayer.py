#!/usr/bin/env python3
"""Relayer end to end (DESIGN §12): two local causeway-chain nodes, causeway-relayer and this
load generator on one machine.

Phase 1 (rate sweep, relayed): for each offered rate in CW_BENCH_RATES (packets/s), a paced
stream of deposit packets on alpha (about CW_BENCH_SECONDS of it); the relayer delivers them
to beta and relays the acks back. Per rate: offered vs delivered packets/s (packets over the
time from the alpha block of the first send to the beta block of the last receive),
latency per packet from the alpha block that sent it to the beta block that received it
(header times; p50/p99 in ms and in block intervals), and the CPU time per packet of each
process — source chain, relayer, destination chain — from /proc/PID/stat (utime + stime)
between the first send and the last ack (recv + ack, both directions, so each packet's
whole cost). The sweep stops at saturation (delivered < 90% of offered).

Phase 2 (backlog, relayed): CW_BENCH_BACKLOG packets (default 12,000: several blocks)
committed on alpha while the relayer is stopped; the relayer starts and the time until beta
has received them all gives the relayer-bound rate over a multi-block run.

Phase 3 (direct ingest, the baseline): another backlog committed with the relayer stopped;
this script builds beta's MsgUpdateClient and every RecvPacket with its proof beforehand
(untimed) and times only their ingestion by beta. Ratio = phase-2 rate / phase-3 rate, both
over whole multi-block runs, so one late tx at a block edge moves it little.

Both backlog phases start and end at the same events, measured the same way: they start on
the arrival of one of beta's `blocks` notifications and end at the arrival of the `blocks`
notification whose recv_packet events complete the set. Phases 2 and 3 alternate
CW_BENCH_REPEAT times and the medians are compared. The relayer's peak RSS (VmHWM) is taken
over every phase.

Environment: CW_BENCH_RATES (comma list, default 1000,2000,4000,8000,12000),
CW_BENCH_SECONDS (per sweep rate, 3), CW_BENCH_BACKLOG (12000), CW_BENCH_INTERVAL_MS (block
interval, 200), CW_BENCH_BATCH (relayer batch size, 200), CW_BENCH_REPEAT (backlog rounds, 3).
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

import msgpack  # noqa: E402

import cwchain  # noqa: E402
import cwrpc  # noqa: E402
import relayer_env as R  # noqa: E402
from conftest import Procs  # noqa: E402

RATES = [float(r) for r in os.environ.get("CW_BENCH_RATES", "1000,2000,4000,8000,12000").split(",")]
SECONDS = float(os.environ.get("CW_BENCH_SECONDS", "3"))
N = int(os.environ.get("CW_BENCH_BACKLOG", "12000"))
INTERVAL = int(os.environ.get("CW_BENCH_INTERVAL_MS", "200"))
BATCH = int(os.environ.get("CW_BENCH_BATCH", "200"))
REPEAT = int(os.environ.get("CW_BENCH_REPEAT", "3"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PER_TX = 100


def send_stream(a, ca, n, beneficiary, rate, c, denom="stake"):
    """Paced: PER_TX lock msgs (of `denom`) per tx, txs spaced to offer `rate` packets/s."""
    key = a.key("alice")
    nonce = c.call("account", key.address)[2]
    t0 = time.monotonic()
    sent = 0
    hashes = []
    while sent < n:
        k = min(PER_TX, n - sent)
        msgs = [R.lock_msg(ca, denom, 1, beneficiary, timeout_ns=time.time_ns() + 3600 * 10**9)
                for _ in range(k)]
        env = cwchain.sign_tx(key, a.id, nonce, msgs)
        nonce += 1
        hashes.append(c.call("broadcast_tx", env))
        sent += k
        due = t0 + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the offered load (a rate, not a wait for a condition)
    return hashes


def block_times(chain, lo, hi, c):
    return {h: c.call("light_block", h)[0][0][2] for h in range(lo, hi + 1)}


def events(chain, etype, c, lo=1):
    """seq -> height of the first `etype` event."""
    out = {}
    top = c.call("status")[1]
    for h in range(lo, top + 1):
        _, txs = cwrpc.block_results(c, h)
        for _h, _tx, res in txs:
            for ev in res[2]:
                if ev[0] == etype:
                    seq = dict(ev[1])["sequence"]
                    out.setdefault(seq, h)
    return out, top


def wait_received_each(sub, need, timeout=600):
    """need: beta's channel -> sequences (channel None: on any channel). Read beta's block
    notifications until their recv_packet events cover every set; returns channel -> the
    monotonic arrival time of the notification that completed its set. TimeoutError after
    `timeout` seconds in all."""
    need = {ch: set(seqs) for ch, seqs in need.items()}
    done = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(need):
        if time.monotonic() > deadline:
            raise TimeoutError(f"recv_packet events still missing: "
                               f"{ {ch: len(left) for ch, left in need.items()} }")
        _topic, payload = sub.next_notification(timeout=timeout)
        t = time.monotonic()
        evs = cwrpc.note_events(sub, payload)  # a cut note's rest through block_results
        for ev in evs:
            if ev[0] == "recv_packet":
                attrs = dict(ev[1])
                for ch in {attrs.get("dst_channel"), None} & need.keys():
                    need[ch].discard(attrs["sequence"])
        done.update({ch: t for ch, left in need.items() if not left and ch not in done})
    return done


def wait_received(sub, seqs, timeout=600):
    """Read beta's block notifications until their recv_packet events cover seqs (on any
    channel); the monotonic arrival time of the notification that completed them."""
    return wait_received_each(sub, {None: seqs}, timeout)[None]


def block_edge(sub, timeout=60):
    """Wait for beta's next block notification: phases start right after a block."""
    sub.next_notification(timeout=timeout)
    return time.monotonic()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cpu_s(pid):
    """CPU seconds (user + system) a live process has used (/proc/PID/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def direct_ingest(a, b, ca, cb, cfg, first_seq, n, ca_cl, cb_cl):
    """Phase 2: build beta's update + recv msgs ourselves, time beta's ingestion only."""
    conf = R.load_config(cfg)
    client = conf["paths"][0]["b"]["client"]
    cs = msgpack.unpackb(cb_cl.call("query", f"clients/{client}/clientState".encode(), 0,
                                    False)[0])
    trusted = cs[5]
    target = ca_cl.call("status")[1]
    lb_t = ca_cl.call("light_block", target)
    lb_tr = ca_cl.call("light_block", trusted)
    update = ["ibc.update_client", [client, lb_t[0], lb_t[1], trusted, lb_tr[2]]]
    recvs = []
    for seq in range(first_seq, first_seq + n):
        pkt = ca_cl.call("packet", R.CHANNEL_PORT, ca, seq)
        key = f"commitments/ports/{R.CHANNEL_PORT}/channels/{ca}/sequences/{seq}".encode()
        _v, proof, at = ca_cl.call("query", key, target, True)
        assert at == target
        recvs.append(["ibc.recv_packet", [msgpack.unpackb(pkt), proof, target]])
    key = b.key("relayer2")
    nonce = cb_cl.call("account", key.address)[2]
    envs = [cwchain.sign_tx(key, b.id, nonce, [update])]
    nonce += 1
    for i in range(0, len(recvs), BATCH):
        envs.append(cwchain.sign_tx(key, b.id, nonce, recvs[i:i + BATCH]))
        nonce += 1
    with b.client(timeout=600) as sub:
        sub.subscribe("blocks")
        t0 = block_edge(sub)
        hashes = [cb_cl.call("broadcast_tx", e) for e in envs]
        t1 = wait_received(sub, range(first_seq, first_seq + n))
    ok = all(cb_cl.call("tx", h)[3][0] == 0 for h in hashes)
    assert ok, "direct ingest: a tx failed"
    return n / (t1 - t0)


def stream_phase(a, b, ca, cb, bob, rate, n, ca_cl, cb_cl, pids):
    """One sweep point: n packets offered at `rate`; returns its figures."""
    h_a0 = ca_cl.call("status")[1]
    h_b0 = cb_cl.call("status")[1]
    first = a_next_seq(ca_cl, ca)
    cpu0 = {k: cpu_s(p) for k, p in pids.items()}
    t_start = time.monotonic()
    send_stream(a, ca, n, bob, rate, ca_cl)
    t_sent = time.monotonic()
    R.wait_until(lambda: outstanding(a, ca) == 0, timeout=600, chain=a,
                 what="all relayed and acknowledged")
    cpu = {k: (cpu_s(p) - cpu0[k]) / n * 1e6 for k, p in pids.items()}
    sent, _ = events(a, "send_packet", ca_cl, h_a0)
    recv, _ = events(b, "recv_packet", cb_cl, h_b0)
    sent = {q: h for q, h in sent.items() if q >= first}
    recv = {q: h for q, h in recv.items() if q >= first}
    ta = block_times(a, min(sent.values()), max(sent.values()), ca_cl)
    tb = block_times(b, min(recv.values()), max(recv.values()), cb_cl)
    lat_ms = [(tb[recv[q]] - ta[sent[q]]) / 1e6 for q in sent if q in recv]
    assert len(lat_ms) == n, f"{len(lat_ms)} of {n} received"
    span_s = (max(tb.values()) - min(ta.values())) / 1e9
    return {"offered": n / (t_sent - t_start), "delivered": n / span_s,
            "p50": statistics.median(lat_ms), "p99": pct(lat_ms, 99), "cpu": cpu}


def outstanding(chain, ch):
    """How many packet commitments the channel holds, through every page of
    packet_commitments [port, channel, start, limit] (one page is at most 10,000)."""
    n, start = 0, 1
    with chain.client() as c:
        while True:
            page = c.call("packet_commitments", R.CHANNEL_PORT, ch, start, 10000)
            n += len(page)
            if len(page) < 10000:
                return n
            start = page[-1] + 1


def a_next_seq(c, ca):
    """The next send sequence of alpha's channel end (ICS-24 nextSequenceSend)."""
    key = f"nextSequenceSend/ports/{R.CHANNEL_PORT}/channels/{ca}".encode()
    v = c.call("query", key, 0, False)[0]
    return int.from_bytes(v, "big") if v else 1


def two_chains(procs, tmp, interval, batch, node_config=None):
    """alpha and beta started, clients and the collateral channel made by the relayer's
    setup commands; returns (alpha, beta, relayer config, alpha's channel, beta's channel,
    bob's address on beta: the beneficiary of the deposits). node_config: settings merged
    into both nodes' config.json before they start."""
    a = R.Chain(procs, tmp, "alpha", "stake", interval)
    b = R.Chain(procs, tmp, "beta", "uusd", interval)
    for ch in (a, b):
        if node_config:
            ch.set_config(**node_config)
        ch.start()
    cfg = R.write_config(os.path.join(tmp, "relayer.json"), a, b, os.path.join(tmp, "db"),
                         batch=batch, extra={"max_inflight": 64})
    R.relayer("create-clients", "--config", cfg)
    R.relayer("create-channel", "--config", cfg)
    ca, cb = R.channels(cfg)
    return a, b, cfg, ca, cb, b.key("bob").address


def main():
    tmp = tempfile.mkdtemp(prefix="cwbench-rly-")
    procs = Procs(tmp)
    try:
        a, b, cfg, ca, cb, bob = two_chains(procs, tmp, INTERVAL, BATCH)
        rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
        rss = 0
        sweep = []
        with a.client(timeout=60) as ca_cl, b.client(timeout=60) as cb_cl:
            pids = {"source": a.proc.pid, "relayer": rly.pid, "destination": b.proc.pid}
            for rate in RATES:
                n = max(1000, int(rate * SECONDS) // PER_TX * PER_TX)
                r = stream_phase(a, b, ca, cb, bob, rate, n, ca_cl, cb_cl, pids)
                r["rate"], r["n"] = rate, n
                sweep.append(r)
                rss = max(rss, rss_kb(rly.pid))
                if r["delivered"] < 0.9 * r["offered"]:
                    break  # saturated: higher offers only queue
            procs.stop(rly)
            # phases 2 and 3, alternated: a backlog relayed, then the same ingested directly
            backlogs, directs = [], []
            next_seq = a_next_seq(ca_cl, ca)
            for _ in range(REPEAT):
                send_stream(a, ca, N, bob, 1e9, ca_cl)
                R.wait_until(lambda: outstanding(a, ca) >= N, chain=a,
                             what="phase-2 sends")
                with b.client(timeout=600) as sub:
                    sub.subscribe("blocks")
                    t0 = block_edge(sub)
                    rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
                    t1 = wait_received(sub, range(next_seq, next_seq + N))
                backlogs.append(N / (t1 - t0))
                R.wait_until(lambda: outstanding(a, ca) == 0, timeout=600, chain=a,
                             what="backlog acknowledged")
                rss = max(rss, rss_kb(rly.pid))
                procs.stop(rly)
                next_seq += N
                send_stream(a, ca, N, bob, 1e9, ca_cl)
                R.wait_until(lambda: outstanding(a, ca) >= N, chain=a,
                             what="phase-3 sends")
                directs.append(direct_ingest(a, b, ca, cb, cfg, next_seq, N, ca_cl, cb_cl))
                next_seq += N
                # phase 3 leaves its packets unacknowledged on alpha: acked here, untimed,
                # so that the next round starts from an empty queue
                rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
                R.wait_until(lambda: outstanding(a, ca) == 0, timeout=600, chain=a,
                             what="phase-3 packets acknowledged")
                procs.stop(rly)
            backlog_rate = statistics.median(backlogs)
            direct = statistics.median(directs)
        try:
            load = open("/proc/loadavg").read().split()[:3]
        except OSError:
            load = ["?"] * 3
        print(f"relayer end to end (block interval {INTERVAL} ms, batch {BATCH}; load average "
              f"{' '.join(load)} at the end):")
        print(f"  rate sweep        offered  delivered   p50 ms (blocks)   p99 ms (blocks)   "
              f"CPU us/packet: source relayer destination total")
        for r in sweep:
            c = r["cpu"]
            tot = c["source"] + c["relayer"] + c["destination"]
            print(f"  {r['n']:6d} packets  {r['offered']:7.0f}  {r['delivered']:9.0f}  "
                  f"{r['p50']:7.1f} ({r['p50'] / INTERVAL:4.2f})  {r['p99']:8.1f} "
                  f"({r['p99'] / INTERVAL:4.2f})   {c['source']:8.1f} {c['relayer']:7.1f} "
                  f"{c['destination']:11.1f} {tot:6.1f}")
        top = max(sweep, key=lambda r: r["delivered"])
        print(f"  saturation       {top['delivered']:8.0f} packets/s delivered at best "
              f"(target >= 10000; p99 target <= {2 * INTERVAL + 50} ms; CPU target <= 80 "
              f"us/packet)")
        print(f"  backlog drained  {backlog_rate:8.0f} packets/s  ({N} committed packets, relayer "
              f"started, until beta received all; median of {REPEAT}: "
              f"{', '.join(f'{r:.0f}' for r in backlogs)})")
        print(f"  direct ingest    {direct:8.0f} packets/s  (beta taking the same RecvPackets "
              f"with proofs, pre-built, nobody relaying; median of {REPEAT}: "
              f"{', '.join(f'{r:.0f}' for r in directs)})")
        print(f"  ratio            {backlog_rate / direct:8.2f}  (backlog relayed / direct over "
              f"whole multi-block runs, medians; target >= 0.8)")
        print(f"  relayer RSS      {rss / 1024:8.1f} MB peak (VmHWM over every phase; target "
              f"<= 30 MB)")
        return 0
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())

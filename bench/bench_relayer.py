#!/usr/bin/env python3
"""Relayer end to end (DESIGN §12): two local causeway-chain nodes, causeway-relayer and this
load generator on one machine.

Phase 1 (relayed): a paced stream of deposit packets on alpha; the relayer delivers them to
beta and relays the acks back. Figures: sustained packets/s (packets received on beta over
the time from the first send to the last receive), latency per packet from the alpha block
that sent it to the beta block that received it (header times; ms and block intervals),
p50/p99, and the relayer's peak RSS (VmHWM).

Phase 2 (backlog, relayed): N packets committed on alpha while the relayer is stopped; the
relayer starts and the time until beta has received them all gives the relayer-bound rate
(process start, proof queries, header verification, tx building and beta's ingestion, end to
end).

Phase 3 (direct ingest, the baseline): another N packets committed with the relayer
stopped; this script builds beta's MsgUpdateClient and every RecvPacket with its proof
beforehand (untimed) and times only their ingestion by beta — the rate beta takes exactly
these msgs at when nobody relays them. Ratio = phase-2 rate / phase-3 rate.

Both phases start and end at the same events, measured the same way: they start on the
arrival of one of beta's `blocks` notifications (so each starts at the same point of beta's
block cycle, rather than a random 0..1 interval before the next tick) and end at the arrival
of the `blocks` notification whose recv_packet events complete the set (a client that does
nothing but read notifications, so no RPC queue delays either clock). Phases 2 and 3 are
alternated CW_BENCH_REPEAT times and the medians compared.

Environment: CW_BENCH_PACKETS (default 6000), CW_BENCH_RATE (offered packets/s, 1500),
CW_BENCH_INTERVAL_MS (block interval, 200), CW_BENCH_BATCH (relayer batch size, 200),
CW_BENCH_REPEAT (phase 2/3 rounds, 5).
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

N = int(os.environ.get("CW_BENCH_PACKETS", "6000"))
RATE = float(os.environ.get("CW_BENCH_RATE", "1500"))
INTERVAL = int(os.environ.get("CW_BENCH_INTERVAL_MS", "200"))
BATCH = int(os.environ.get("CW_BENCH_BATCH", "200"))
REPEAT = int(os.environ.get("CW_BENCH_REPEAT", "5"))
PER_TX = 100


def send_stream(a, ca, n, beneficiary, rate, c):
    """Paced: PER_TX lock msgs per tx, txs spaced to offer `rate` packets/s."""
    key = a.key("alice")
    nonce = c.call("account", key.address)[2]
    t0 = time.monotonic()
    sent = 0
    hashes = []
    while sent < n:
        k = min(PER_TX, n - sent)
        msgs = [R.lock_msg(ca, "stake", 1, beneficiary, timeout_ns=time.time_ns() + 3600 * 10**9)
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


def wait_received(sub, seqs, timeout=600):
    """Read beta's block notifications until their recv_packet events cover seqs; the
    monotonic arrival time of the notification that completed them."""
    need = set(seqs)
    while True:
        _topic, payload = sub.next_notification(timeout=timeout)
        t = time.monotonic()
        evs = cwrpc.note_events(sub, payload)  # a cut note's rest through block_results
        for ev in evs:
            if ev[0] == "recv_packet":
                need.discard(dict(ev[1])["sequence"])
        if not need:
            return t


def block_edge(sub, timeout=60):
    """Wait for beta's next block notification: phases start right after a block."""
    sub.next_notification(timeout=timeout)
    return time.monotonic()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


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


def main():
    tmp = tempfile.mkdtemp(prefix="cwbench-rly-")
    procs = Procs(tmp)
    try:
        a = R.Chain(procs, tmp, "alpha", "stake", INTERVAL).start()
        b = R.Chain(procs, tmp, "beta", "uusd", INTERVAL).start()
        cfg = R.write_config(os.path.join(tmp, "relayer.json"), a, b, os.path.join(tmp, "db"),
                             batch=BATCH, extra={"max_inflight": 64})
        R.relayer("create-clients", "--config", cfg)
        R.relayer("create-channel", "--config", cfg)
        ca, cb = R.channels(cfg)
        bob = b.key("bob").address
        rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
        with a.client(timeout=60) as ca_cl, b.client(timeout=60) as cb_cl:
            h_a0 = ca_cl.call("status")[1]
            h_b0 = cb_cl.call("status")[1]
            t_start = time.monotonic()
            send_stream(a, ca, N, bob, RATE, ca_cl)
            t_sent = time.monotonic()
            R.wait_until(lambda: len(R.commitments(a, ca)) == 0 and
                         cb_cl.call("unreceived_packets", R.CHANNEL_PORT, cb,
                                    list(range(max(1, N - 50), N + 1))) == [],
                         timeout=600, chain=a, what="all relayed and acknowledged")
            rss = rss_kb(rly.pid)
            procs.stop(rly)
            sent, top_a = events(a, "send_packet", ca_cl, h_a0)
            recv, top_b = events(b, "recv_packet", cb_cl, h_b0)
            ta = block_times(a, min(sent.values()), max(sent.values()), ca_cl)
            tb = block_times(b, min(recv.values()), max(recv.values()), cb_cl)
            lat_ms = [(tb[recv[s]] - ta[sent[s]]) / 1e6 for s in sent if s in recv]
            assert len(lat_ms) == N, f"{len(lat_ms)} of {N} received"
            span_s = (max(tb.values()) - min(ta.values())) / 1e9
            relayed_rate = N / span_s
            offered = N / (t_sent - t_start)
            # phases 2 and 3, alternated: a backlog relayed, then the same ingested directly
            backlogs, directs = [], []
            next_seq = N + 1
            for _ in range(REPEAT):
                send_stream(a, ca, N, bob, 1e9, ca_cl)
                R.wait_until(lambda: len(R.commitments(a, ca)) >= N, chain=a,
                             what="phase-2 sends")
                with b.client(timeout=600) as sub:
                    sub.subscribe("blocks")
                    t0 = block_edge(sub)
                    rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
                    t1 = wait_received(sub, range(next_seq, next_seq + N))
                backlogs.append(N / (t1 - t0))
                R.wait_until(lambda: len(R.commitments(a, ca)) == 0, timeout=600, chain=a,
                             what="backlog acknowledged")
                rss = max(rss, rss_kb(rly.pid))
                procs.stop(rly)
                next_seq += N
                send_stream(a, ca, N, bob, 1e9, ca_cl)
                R.wait_until(lambda: len(R.commitments(a, ca)) >= N, chain=a,
                             what="phase-3 sends")
                directs.append(direct_ingest(a, b, ca, cb, cfg, next_seq, N, ca_cl, cb_cl))
                next_seq += N
                # phase 3 leaves its packets unacknowledged on alpha: acked here, untimed,
                # so that the next round starts from an empty queue
                rly = R.start_relayer(procs, cfg, env={"CAUSEWAY_RELAYER_METRICS": ""})
                R.wait_until(lambda: len(R.commitments(a, ca)) == 0, timeout=600, chain=a,
                             what="phase-3 packets acknowledged")
                procs.stop(rly)
            backlog_rate = statistics.median(backlogs)
            direct = statistics.median(directs)
        p50, p99 = statistics.median(lat_ms), pct(lat_ms, 99)
        print(f"relayer end to end ({N} packets, block interval {INTERVAL} ms, batch {BATCH}, "
              f"offered {offered:.0f} packets/s):")
        print(f"  sustained        {relayed_rate:8.0f} packets/s  (first send block to last "
              f"receive block)")
        print(f"  latency p50      {p50:8.1f} ms  ({p50 / INTERVAL:.2f} blocks)")
        print(f"  latency p99      {p99:8.1f} ms  ({p99 / INTERVAL:.2f} blocks)   target <= "
              f"{2 * INTERVAL + 50} ms")
        print(f"  backlog drained  {backlog_rate:8.0f} packets/s  (relayer started on {N} committed "
              f"packets, until beta received all; median of {REPEAT}: "
              f"{', '.join(f'{r:.0f}' for r in backlogs)})")
        print(f"  direct ingest    {direct:8.0f} packets/s  (beta taking the same RecvPackets "
              f"with proofs, pre-built, nobody relaying; median of {REPEAT}: "
              f"{', '.join(f'{r:.0f}' for r in directs)})")
        print(f"  ratio            {backlog_rate / direct:8.2f}  (backlog relayed / direct, "
              f"medians; target >= 0.8)")
        print(f"  relayer RSS      {rss / 1024:8.1f} MB peak (VmHWM; target <= 30 MB)")
        return 0
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())

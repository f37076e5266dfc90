#!/usr/bin/env python3
"""make bench: block time under the gas-exhaustion attack vs an idle chain (DESIGN §5 "Gas").

One causeway-chain (release build, block interval CW_BENCH_INTERVAL_MS, default 1000) holds a
light client of a generated chain of 1,024 validators (`causeway light gen`). Then:
  idle    CW_BENCH_BLOCKS (default 8) consecutive blocks with nothing to do;
  attack  the same number of blocks while CW_BENCH_ATTACKERS (default 8) senders keep the
          mempool full of the two costliest things anyone can send:
          - the reported attack: no-op MsgUpdateClients carrying the 1,024-signature commit of
            the header already stored (before gas, one 9.4 s block, repeatable every block);
          - updates to a new height whose commit carries 1,024 bad signatures (the verifier
            stops at the first bad one; the whole commit is precharged);
          - updates carrying two fresh 1,024-validator sets and a one-entry commit: the light
            client's set cache lifts every key (~7 µs each) before anything is verified — the
            most CPU per gas a sender can buy (found in review; priced by CW_GAS_VALIDATOR).
Printed: median and max time between consecutive blocks (header times) in each phase and
their ratio (target: attack ≤ 2 × idle), txs and gas per block under attack, the node's CPU
per gas used under attack (utime+stime from /proc/<pid>/stat over the phase), and the gas and
gas of one no-op update (the no-op short-circuit: no signature checked).
Runs in about 40 s.
"""

import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("CW_BUILD", os.path.join(HERE, "..", "build"))
os.environ.setdefault("CW_BIN_FLAVOUR", "rel")

import coincurve  # noqa: E402

import cwchain  # noqa: E402
from conftest import Procs, free_port, init_chain, start_chain  # noqa: E402
from cwrpc import Client, block_note, block_results  # noqa: E402

INTERVAL = int(os.environ.get("CW_BENCH_INTERVAL_MS", "1000"))
BLOCKS = int(os.environ.get("CW_BENCH_BLOCKS", "8"))
ATTACKERS = int(os.environ.get("CW_BENCH_ATTACKERS", "8"))
VALIDATORS = 1024
TICK = os.sysconf("SC_CLK_TCK")
# an attacker states the least gas that lets the tx run: the 1,024 signatures' precharge
# (DESIGN §5: 5,000 each), the two 1,024-validator sets' (750 a validator) and the ~145 KB
# tx's intrinsic gas, with a little room
TIGHT_GAS = VALIDATORS * (cwchain.GAS_SIG + 2 * cwchain.GAS_VALIDATOR) + 1_400_000
# two fresh sets (CW_GAS_VALIDATOR a key) and ~95 KB of tx
FRESH_GAS = 2 * VALIDATORS * cwchain.GAS_VALIDATOR + 1_000_000


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def block_times(c, n):
    """Header times of the next n+1 blocks (following `blocks`) → n intervals in ms."""
    times = []
    while len(times) < n + 1:
        header = block_note(c.next_notification(timeout=120)[1])[0]
        times.append(header[2])  # header[2] = time_ns
    return [(b - a) / 1e6 for a, b in zip(times, times[1:])], header[1]


def main():
    with tempfile.TemporaryDirectory(prefix="cw-gasbench-") as tmp:
        procs = Procs(tmp)
        try:
            return run(procs, tmp)
        finally:
            procs.stop_all()


def run(procs, tmp):
    home = os.path.join(tmp, "alpha")
    port = free_port()
    names = ["alice"] + [f"a{i}" for i in range(ATTACKERS)]
    init_chain(home, "alpha", port=port, interval_ms=INTERVAL, accounts=",".join(names))
    node = start_chain(procs, home, port)
    cs, trusted, blocks = cwchain.light_gen(os.path.join(tmp, "zeta"), VALIDATORS, 3)
    keys = {n: cwchain.Key.load(home, n) for n in names}
    nonces = {n: 0 for n in names}
    c = Client(f"ws://127.0.0.1:{port}/", timeout=120)
    c.subscribe("blocks")

    def send(name, msgs, gas=None):
        env = cwchain.sign_tx(keys[name], "alpha", nonces[name], msgs, gas=gas)
        nonces[name] += 1
        c.call("broadcast_tx", env)
        return cwchain.tx_hash(env)

    res = cwchain.wait_tx(c, send("alice", [cwchain.msg_create_client(cs, trusted)]))[3]
    client_id = cwchain.event_attr(res, "create_client", "client_id")
    noop = cwchain.msg_update_client(client_id, blocks[1], 1, trusted[2])
    assert cwchain.wait_tx(c, send("alice", [noop]))[3][0] == 0
    one = cwchain.wait_tx(c, send("alice", [noop]))[3]  # a no-op update's gas
    bad = [blocks[2][0][0], [blocks[2][0][1][0], blocks[2][0][1][1],
                             [[i, bytes([s[0] ^ 1]) + s[1:]] for i, s in blocks[2][0][1][2]]]]
    forged = cwchain.msg_update_client(client_id, [bad, blocks[2][1], blocks[2][2]], 1,
                                       trusted[2])

    # fresh sets: 1,024 keys drawn from a pool (every draw a set no cache has seen)
    pool = [coincurve.PublicKeyXOnly.from_secret(os.urandom(32)).format()
            for _ in range(4 * VALIDATORS)]

    def fresh_set():
        return [[pk, 1] for pk in sorted(random.sample(pool, VALIDATORS))]
    one_sig = [blocks[2][0][0], [blocks[2][0][1][0], blocks[2][0][1][1], blocks[2][0][1][2][:1]]]

    def fresh():
        return cwchain.msg_update_client(client_id, [one_sig, fresh_set(), None], 1, fresh_set())
    kinds = [lambda: (noop, TIGHT_GAS), lambda: (forged, TIGHT_GAS),
             lambda: (fresh(), FRESH_GAS)]

    idle, _ = block_times(c, BLOCKS)

    # attack: each sender keeps a few of each kind pending, topped up after every block
    pending = {n: 0 for n in names[1:]}
    cpu0 = cpu_s(node.pid)
    t_start = None
    intervals, gas_used, txs = [], 0, 0
    last = None
    while len(intervals) < BLOCKS:
        for n in names[1:]:
            while pending[n] < 4:
                # the three kinds in turn, each with the tightest limit that lets it run
                msg, gas = kinds[nonces[n] % 3]()
                send(n, [msg], gas=gas)
                pending[n] += 1
        header = block_note(c.next_notification(timeout=120)[1])[0]
        if t_start is None:
            t_start, last = header[1], header[2]
            cpu0 = cpu_s(node.pid)
            continue
        intervals.append((header[2] - last) / 1e6)
        last = header[2]
        _h, results = block_results(c, header[1])
        txs += len(results)
        gas_used += sum(r[2][5] for r in results)
        for n in names[1:]:  # what is still pending per sender
            acct = c.call("account", keys[n].address)
            pending[n] = acct[2] - acct[1]
    cpu_attack = cpu_s(node.pid) - cpu0
    c.close()

    med_i, med_a = statistics.median(idle), statistics.median(intervals)
    print(f"gas-exhaustion attack (block interval {INTERVAL} ms, light client of "
          f"{VALIDATORS} validators, {ATTACKERS} attackers, {BLOCKS} blocks each)")
    print(f"  idle chain        block time median {med_i:7.0f} ms  max {max(idle):7.0f} ms")
    print(f"  under attack      block time median {med_a:7.0f} ms  max {max(intervals):7.0f} ms"
          f"  ({txs / BLOCKS:.1f} txs, {gas_used / BLOCKS / 1e6:.1f} M gas used per block)")
    print(f"  ratio             {med_a / med_i:.2f}x median, {max(intervals) / max(idle):.2f}x max"
          f"  (target <= 2)")
    print(f"  node CPU          {cpu_attack * 1e9 / max(gas_used, 1):.2f} ns per gas used under "
          f"attack ({cpu_attack:.2f} s CPU over {sum(intervals) / 1000:.1f} s)")
    print(f"  no-op update      {one[5]} gas used of {one[4]} stated (no signature checked; "
          f"a real update checks {2 * VALIDATORS // 3 + 1}: CPU figures in bench_chain)")
    return 0 if max(intervals) <= 2 * max(idle) else 1


if __name__ == "__main__":
    sys.exit(main())

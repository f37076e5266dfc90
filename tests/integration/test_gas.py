"""Gas on the real chain (DESIGN §5 "Gas"): the free-work attack that stalled block production
— blocks filled with no-op MsgUpdateClients carrying a 1,024-signature commit — now costs gas
and is bounded by the block's gas; a no-op update checks no signature (they are refunded); an
update whose limit does not cover its signatures fails before checking any. Block times under
the attack are measured by `make bench` (bench/bench_gas_attack.py), not here."""

from conftest import free_port, init_chain, start_chain
from cwchain import (Key, event_attr, light_gen, msg_create_client, msg_update_client, sign_tx,
                     tx_hash, wait_tx, GAS_SIG, BLOCK_GAS_DEFAULT)
from cwrpc import Client, block_results

CW_EOUTOFGAS = -30024
VALIDATORS = 1024
ATTACKERS = 6
TXS_EACH = 4


def test_noop_update_flood_is_bounded_by_block_gas(procs, tmp_path):
    home = str(tmp_path / "alpha")
    port = free_port()
    names = ["alice"] + [f"a{i}" for i in range(ATTACKERS)]
    init_chain(home, "alpha", port=port, interval_ms=100, accounts=",".join(names))
    start_chain(procs, home, port)
    cs, trusted, blocks = light_gen(str(tmp_path / "zeta"), VALIDATORS, 2)
    keys = {n: Key.load(home, n) for n in names}
    nonces = {n: 0 for n in names}
    sizes = {}  # tx hash -> envelope bytes

    def send(name, msgs, gas=None):
        env = sign_tx(keys[name], "alpha", nonces[name], msgs, gas=gas)
        nonces[name] += 1
        assert c.call("broadcast_tx", env) == tx_hash(env)
        sizes[tx_hash(env)] = len(env)
        return tx_hash(env)

    with Client(f"ws://127.0.0.1:{port}/", timeout=60) as c:
        c.subscribe("blocks")
        res = wait_tx(c, send("alice", [msg_create_client(cs, trusted)]))[3]
        assert res[0] == 0, res
        client_id = event_attr(res, "create_client", "client_id")
        update = msg_update_client(client_id, blocks[1], 1, trusted[2])

        # the first update is real: at least 2/3 of the 1,024 signatures checked and charged
        res = wait_tx(c, send("alice", [update]))[3]
        assert res[0] == 0 and event_attr(res, "update_client", "height") == 2, res
        assert res[5] >= (2 * VALIDATORS // 3) * GAS_SIG

        # a limit that covers the tx's bytes but not its commit: out of gas before any check
        res = wait_tx(c, send("alice", [update], gas=2_000_000))[3]
        assert res[0] == CW_EOUTOFGAS and "verifying a header" in res[1], res
        assert res[5] <= 2_000_000

        # the flood: identical no-op updates from several senders
        hashes = [send(f"a{i}", [update]) for i in range(ATTACKERS) for _ in range(TXS_EACH)]
        results = [wait_tx(c, h) for h in hashes]
        heights = sorted({r[0] for r in results})
        for h, (height, _index, _tx, res) in zip(hashes, results):
            assert res[0] == 0 and event_attr(res, "update_client_noop", "height") == 2, res
            # nothing was checked, parsed or hashed: the whole precharge (1,024 signatures, two
            # 1,024-validator sets) was refunded; it pays for its bytes (intrinsic gas, 4 a
            # byte and two hashes of them) and its store reads only
            assert res[5] < res[4] and res[5] < GAS_SIG + 7 * sizes[h] + 100_000, res
        # every block's txs used at most the block's gas
        for h in heights:
            _h, txs = block_results(c, h)
            assert sum(t[2][5] for t in txs) <= BLOCK_GAS_DEFAULT, h
        # and the node answers while it works through them
        assert c.call("status")[1] >= heights[-1]

"""causeway-chain as a user meets it: the real binary on loopback, driven by an independent
Python client (msgpack + websockets + coincurve), DESIGN §5.

CW_KILL9_ROUNDS (default 20) sets how many kill -9 moments the durability test uses."""

import json
import os
import random
import subprocess
import threading

import pytest

import cwrpc

from conftest import bin_path, free_port, init_chain, require_bin, start_chain
from cwchain import Key, balance, balance_key, msg_send, pack, sign_tx, tx_hash, wait_tx
from cwrpc import Client, RpcError, http_get

CW_EMALFORMED = -30001
CW_ETOOBIG = -30003
CW_ENONCE = -30017
CW_EBADSIG = -30005
CW_EINVAL = -30004
CW_ENOTFOUND = -30013
CW_EOUTOFGAS = -30024


@pytest.fixture
def chain(procs, tmp_path):
    home = str(tmp_path / "alpha")
    port = free_port()
    init_chain(home, "alpha", port=port, interval_ms=50)
    p = start_chain(procs, home, port)
    c = Client(f"ws://127.0.0.1:{port}")
    yield {"home": home, "port": port, "proc": p, "client": c, "procs": procs}
    c.close()
    # a clean shutdown on SIGTERM, and nothing the sanitizers complained about
    assert procs.stop(p) == 0, procs.log(p)
    log = procs.log(p)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def test_status_light_blocks_and_block_notifications(chain):
    c = chain["client"]
    chain_id, h, t, block_hash, root, earliest, mempool = c.call("status")
    assert chain_id == "alpha" and len(block_hash) == 32 and len(root) == 32
    c.subscribe("blocks")
    heights = []
    for _ in range(3):
        topic, payload = c.next_notification(timeout=10)
        assert topic == "blocks"
        header, events, txs, txs_total = cwrpc.block_note(payload)
        assert txs == txs_total  # small blocks: every event in the notification
        heights.append(header[1])
        assert header[0] == "alpha" and isinstance(events, list)
    assert heights == sorted(heights) and len(set(heights)) == 3
    lb = c.call("light_block", heights[-1])
    (header, commit), valset, next_valset = lb
    assert header[1] == heights[-1] and commit[0] == heights[-1]
    assert len(commit[2]) == len(valset) == 4  # every validator signed
    prev = c.call("light_block", heights[-1] - 1)
    assert header[3] == prev[0][1][1]  # last_block_hash links to the previous block's hash
    with pytest.raises(RpcError) as e:
        c.call("light_block", 10 ** 9)
    assert e.value.code == CW_ENOTFOUND


def test_metrics_block_time_is_the_latest_headers(chain):
    """/metrics' causeway_chain_latest_block_time_seconds (what the operators' "no new block"
    alert reads: time() minus it) is the time in the header of the height causeway_chain_height
    reports beside it, and both move on with the chain."""
    url = f"http://127.0.0.1:{chain['port']}"

    def gauges():
        status, _, body = http_get(url, "/metrics")
        assert status == 200
        g = {}
        for line in body.splitlines():
            if line.startswith("causeway_chain_height{") or \
                    line.startswith("causeway_chain_latest_block_time_seconds{"):
                assert 'chain_id="alpha"' in line, line
                g[line.split("{")[0]] = float(line.split()[-1])
        return int(g["causeway_chain_height"]), g["causeway_chain_latest_block_time_seconds"]

    c = chain["client"]
    c.subscribe("blocks")

    def block_above(h):  # the notification of a block above h (published once committed)
        while True:
            topic, payload = c.next_notification(timeout=10)
            if topic == "blocks" and cwrpc.block_note(payload)[0][1] > h:
                return

    block_above(0)
    h1, t1 = gauges()
    header = c.call("light_block", h1)[0][0]
    assert header[1] == h1
    assert abs(t1 - header[2] / 1e9) < 0.002, (t1, header[2])
    block_above(h1)
    h2, t2 = gauges()
    assert h2 > h1 and t2 > t1


def test_transfer_from_independent_client(chain):
    c, home = chain["client"], chain["home"]
    alice, bob = Key.load(home, "alice"), Key.load(home, "bob")
    before, _ = balance(c, bob.address, "stake")
    env = sign_tx(alice, "alpha", 0, [msg_send(bob.address, "stake", 1234)], "hello")
    c.subscribe("blocks")
    assert c.call("broadcast_tx", env) == tx_hash(env)
    height, index, tx, result = wait_tx(c, tx_hash(env))
    assert tx == env and result[0] == 0 and result[3] is None
    assert any(ev[0] == "transfer" for ev in result[2])
    after, at = balance(c, bob.address, "stake")
    assert after == before + 1234 and at >= height
    assert cwrpc.block_results(c, height)[1][index][0] == tx_hash(env)
    addr, nonce, pending, _bals = c.call("account", alice.address)
    assert addr == alice.address and nonce == 1 and pending == 1


def test_bad_transactions_get_clear_errors_and_node_keeps_serving(chain):
    c, home = chain["client"], chain["home"]
    alice, bob = Key.load(home, "alice"), Key.load(home, "bob")
    good = sign_tx(alice, "alpha", 0, [msg_send(bob.address, "stake", 1)])
    c.subscribe("blocks")
    c.call("broadcast_tx", good)
    wait_tx(c, tx_hash(good))
    cases = [
        ("replayed tx", good, CW_ENONCE, "already used"),
        ("wrong chain id", sign_tx(alice, "beta", 1, [msg_send(bob.address, "stake", 1)]),
         CW_EINVAL, "not this chain"),
        ("nonce gap", sign_tx(alice, "alpha", 7, [msg_send(bob.address, "stake", 1)]),
         CW_ENONCE, "nonce gap"),
        ("invalid signature", good[:-1] + bytes([good[-1] ^ 1]), CW_EBADSIG, "signature"),
        ("not msgpack", b"\xc1\x00", None, "reserved"),
        ("wrong arity", pack([["alpha"], b"x" * 64]), None, "tx.body"),
        ("no msgs", pack([["alpha", alice.pubkey, 1, 100000, [], ""], b"\x00" * 64]),
         CW_EINVAL, "at least one msg"),
        ("gas limit 0", pack([["alpha", alice.pubkey, 1, 0, [msg_send(bob.address, "stake", 1)],
                               ""], b"\x00" * 64]), CW_EINVAL, "tx.body.gas_limit"),
        ("gas below intrinsic", sign_tx(alice, "alpha", 1, [msg_send(bob.address, "stake", 1)],
                                        gas=100), CW_EOUTOFGAS, "intrinsic gas"),
        ("gas over the block's", sign_tx(alice, "alpha", 1, [msg_send(bob.address, "stake", 1)],
                                         gas=10**12), CW_ETOOBIG, "block gas limit"),
    ]
    for name, env, code, text in cases:
        with pytest.raises(RpcError) as e:
            c.call("broadcast_tx", env)
        assert text in e.value.message, (name, e.value.message)
        if code is not None:
            assert e.value.code == code, (name, e.value.code)
    # still serving, and the next good nonce is accepted
    nxt = sign_tx(alice, "alpha", 1, [msg_send(bob.address, "stake", 1)])
    c.call("broadcast_tx", nxt)
    assert wait_tx(c, tx_hash(nxt))[3][0] == 0


def test_batched_reads_agree_with_single_reads(chain):
    """query_many answers each key exactly as query does, at one height; tx_status is tx
    without the tx bytes and the event attributes; packets is aligned with its seqs."""
    c, home = chain["client"], chain["home"]
    alice, bob = Key.load(home, "alice"), Key.load(home, "bob")
    c.subscribe("blocks")
    c.next_notification(timeout=10)  # block 1 exists: the tx lands at height >= 2
    env = sign_tx(alice, "alpha", 0, [msg_send(bob.address, "stake", 5),
                                      msg_send(bob.address, "stake", 6)])
    c.call("broadcast_tx", env)
    height, index, _tx, result = wait_tx(c, tx_hash(env))
    keys = [balance_key(bob.address, "stake"), balance_key(b"\x42" * 20, "stake"),
            balance_key(alice.address, "stake"), b"ibc/no/such/key"]
    assert height >= 2
    for h in (height - 1, height):  # bob's balance differs between the two
        for prove in (False, True):
            at, items = c.call("query_many", keys, h, prove)
            assert at == h and len(items) == len(keys)
            for key, item in zip(keys, items):
                value, proof, qh = c.call("query", key, h, prove)
                assert qh == h and item == [value, proof], key
            assert items[0][0] is not None and items[1][0] is None and items[3][0] is None
            assert (items[0][1] is not None) == prove
    before = c.call("query_many", keys[:1], height - 1, False)[1][0][0]
    assert before != c.call("query_many", keys[:1], height, False)[1][0][0]
    latest_at, _ = c.call("query_many", keys, 0, False)
    assert latest_at >= height

    st = c.call("tx_status", tx_hash(env))
    code, log, events, failed, gas_wanted, gas_used = result
    assert st[:5] == [height, index, code, log, failed] and st[6:] == [gas_wanted, gas_used]
    assert code == 0 and failed is None and st[5] == [["transfer", 2]]
    assert 0 < gas_used <= gas_wanted
    assert [e[0] for e in events] == ["transfer", "transfer"]

    assert c.call("packets", "transfer", "channel-0", [1, 2]) == [None, None]


def test_batched_reads_refuse_bad_params_and_node_keeps_serving(chain):
    c = chain["client"]
    key = b"bank/x"
    _cid, latest, *_ = c.call("status")
    cases = [
        ("query_many: wrong arity", "query_many", [[key]], CW_EMALFORMED, "query_many params"),
        ("query_many: keys not an array", "query_many", [key, 0, True], CW_EMALFORMED,
         "query_many params.keys"),
        ("query_many: no keys", "query_many", [[], 0, True], CW_EINVAL, "keys: none"),
        ("query_many: 1001 keys", "query_many", [[key] * 1001, 0, True], CW_ETOOBIG,
         "params.keys"),
        ("query_many: empty key", "query_many", [[key, b""], 0, True], CW_EINVAL,
         "keys[1]: empty"),
        ("query_many: key not bin", "query_many", [[key, key, "str"], 0, True], CW_EMALFORMED,
         "params.keys[2]"),
        ("query_many: key too long", "query_many", [[b"k" * 513], 0, True], CW_ETOOBIG,
         "params.keys[0]"),
        ("query_many: future height", "query_many", [[key], latest + 10 ** 6, True],
         CW_ENOTFOUND, "in the future"),
        ("packets: no seqs", "packets", ["transfer", "channel-0", []], CW_EINVAL, "seqs: none"),
        ("packets: 1001 seqs", "packets", ["transfer", "channel-0", [1] * 1001], CW_ETOOBIG,
         "params.seqs"),
        ("packets: seq not an int", "packets", ["transfer", "channel-0", [1, "2"]],
         CW_EMALFORMED, "params.seqs[1]"),
        ("packets: bad port", "packets", ["", "channel-0", [1]], None, "params.port"),
        ("tx_status: short hash", "tx_status", [b"\x00" * 31], None, "tx_status params.hash"),
        ("tx_status: unknown", "tx_status", [b"\xab" * 32], CW_ENOTFOUND,
         "tx_status: not found"),
    ]
    for name, method, params, code, text in cases:
        with pytest.raises(RpcError) as e:
            c.call(method, *params)
        assert text in e.value.message, (name, e.value.message)
        if code is not None:
            assert e.value.code == code, (name, e.value.code)
    # the same refusal for a query of a future height, by code
    with pytest.raises(RpcError) as e:
        c.call("query", key, latest + 10 ** 6, True)
    assert e.value.code == CW_ENOTFOUND
    # still serving on the same connection
    at, items = c.call("query_many", [key], 0, True)
    assert at >= latest and items[0][0] is None and items[0][1] is not None
    assert c.call("status")[0] == "alpha"


def test_random_frames_never_break_the_node(chain):
    rng = random.Random(7)
    url = f"ws://127.0.0.1:{chain['port']}"
    with Client(url) as bad:
        for _ in range(200):
            n = rng.randrange(1, 64)
            bad.send_raw(bytes(rng.randrange(256) for _ in range(n)))
        # every frame got an answer or was ignored; the connection still works
        assert bad.call("status")[0] == "alpha"
    assert chain["client"].call("status")[0] == "alpha"


def test_idle_socket_flood_from_one_peer_does_not_lock_out_clients(chain):
    """A peer opening far more idle sockets than its per-peer cap (32 WebSocket sessions by
    default) plus raw TCP sockets that never upgrade: the excess sessions are refused and
    counted, and a client that was already connected is still served."""
    import socket

    url = f"ws://127.0.0.1:{chain['port']}"
    raw = [socket.create_connection(("127.0.0.1", chain["port"]), timeout=10) for _ in range(20)]
    idle, refused = [], 0
    try:
        for _ in range(40):
            try:
                idle.append(Client(url))
            except Exception:  # refused at the handshake: the per-peer cap
                refused += 1
        # the fixture's client is one of this peer's 32 sessions
        assert len(idle) == 31 and refused == 9
        assert chain["client"].call("status")[0] == "alpha"
        status, _, body = http_get(f"http://127.0.0.1:{chain['port']}", "/metrics")
        assert status == 200
        line = [l for l in body.splitlines()
                if l.startswith("cw_rpc_sessions_refused_per_peer_total ")]
        assert line and int(line[0].split()[1]) == 9, body
    finally:
        for c in idle:
            c.close()
        for s in raw:
            s.close()


def set_config(home, **fields):
    path = os.path.join(home, "config.json")
    with open(path) as f:
        c = json.load(f)
    c.update(fields)
    with open(path, "w") as f:
        json.dump(c, f)


def test_rpc_session_limits_come_from_config_json(procs, tmp_path):
    """The RPC server's session limits are config.json fields: a bad one stops the node with
    a line naming field and value; a per-peer cap of 2 refuses this peer's third WebSocket
    session at the handshake (counted on /metrics), and a 1 s handshake timeout closes a TCP
    connection that never sends a request (the default, 10 s, would hold it past the 8 s this
    test waits)."""
    import socket

    home, port = str(tmp_path / "alpha"), free_port()
    init_chain(home, "alpha", port=port, interval_ms=50)
    exe = require_bin("causeway-chain")
    for fields, want in [
        ({"max_connections": 32, "max_sessions_per_peer": 40},
         "max_sessions_per_peer: 40 is more than max_connections (32)"),
        ({"max_connections": 32, "max_sessions_per_peer": 2, "idle_timeout_s": 0},
         "idle_timeout_s: 0 is outside"),
    ]:
        set_config(home, **fields)
        r = subprocess.run([exe, "start", "--home", home, "--port", str(port)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and want in r.stderr, (r.returncode, r.stderr)
        assert "config.json" in r.stderr
    set_config(home, max_connections=32, max_sessions_per_peer=2, idle_timeout_s=120,
               handshake_timeout_s=1)
    p = start_chain(procs, home, port)
    url = f"ws://127.0.0.1:{port}"
    first, second = Client(url), Client(url)
    try:
        with pytest.raises(Exception):
            Client(url)  # this peer's third session: refused at the handshake
        assert first.call("status")[0] == "alpha" and second.call("status")[0] == "alpha"
        status, _, body = http_get(url.replace("ws://", "http://"), "/metrics")
        assert status == 200
        line = [l for l in body.splitlines()
                if l.startswith("cw_rpc_sessions_refused_per_peer_total ")]
        assert line and int(line[0].split()[1]) == 1, body
        raw = socket.create_connection(("127.0.0.1", port), timeout=8)
        try:
            assert raw.recv(1) == b""  # closed by the server, not by our timeout
        finally:
            raw.close()
    finally:
        first.close()
        second.close()
    assert procs.stop(p) == 0, procs.log(p)
    assert "max_sessions_per_peer=2" in procs.log(p)


def test_cli_send_and_query_end_to_end(chain):
    cli = require_bin("causeway")
    env = dict(os.environ, CAUSEWAY_NODE=f"ws://127.0.0.1:{chain['port']}",
               CAUSEWAY_KEYRING=os.path.join(chain["home"], "keys"))
    r = subprocess.run([cli, "tx", "send", "--from", "alice", "--to", "bob", "--denom",
                        "stake", "--amount", "77", "--json"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert '"committed":true' in r.stdout and '"code":0' in r.stdout
    r = subprocess.run([cli, "tx", "send", "--from", "alice", "--to", "bob", "--denom",
                        "stake", "--amount", "0"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "--amount" in r.stderr
    r = subprocess.run([cli, "query", "balance", "bob", "stake", "--json"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and '"amount":1000000000077' in r.stdout
    r = subprocess.run([cli, "healthz", f"http://127.0.0.1:{chain['port']}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0


def test_kill9_at_random_moments_loses_nothing(procs, tmp_path):
    """Under a stream of transactions, kill -9 the node at CW_KILL9_ROUNDS random moments;
    after each restart every committed height serves the same header hash and state root,
    and every tx seen committed is still there."""
    rounds = int(os.environ.get("CW_KILL9_ROUNDS", "20"))
    home = str(tmp_path / "alpha")
    port = free_port()
    init_chain(home, "alpha", port=port, interval_ms=20)
    alice, bob = Key.load(home, "alice"), Key.load(home, "bob")
    rng = random.Random(20261122)
    seen_blocks = {}  # height -> (block_hash, state_root)
    committed = []    # tx hashes seen committed
    nonce = 0
    for r in range(rounds):
        p = start_chain(procs, home, port, name=f"chain{r}")
        c = Client(f"ws://127.0.0.1:{port}")
        # everything recorded before the last kill is still served identically
        for h, (bh, root) in seen_blocks.items():
            (header, commit), _v, _n = c.call("light_block", h)
            assert commit[1] == bh and header[4] == root, f"height {h} changed after restart"
        for th in committed:
            c.call("tx", th)  # raises if lost
        _cid, latest, *_ = c.call("status")
        nonce = c.call("account", alice.address)[1]
        # a stream of txs, then kill at a random moment while blocks are being produced
        sent = []
        for _ in range(rng.randrange(1, 8)):
            env = sign_tx(alice, "alpha", nonce, [msg_send(bob.address, "stake", 1)])
            c.call("broadcast_tx", env)
            sent.append(tx_hash(env))
            nonce += 1
        c.subscribe("blocks")
        for _ in range(rng.randrange(1, 4)):
            c.next_notification(timeout=10)
        for th in sent:
            try:
                c.call("tx", th)
                committed.append(th)
            except RpcError:
                pass
        _cid, latest, *_ = c.call("status")
        for h in range(max(1, latest - 5), latest + 1):
            (header, commit), _v, _n = c.call("light_block", h)
            seen_blocks[h] = (commit[1], header[4])
        # fire-and-forget more txs and kill mid-flight
        for _ in range(rng.randrange(0, 5)):
            env = sign_tx(alice, "alpha", nonce, [msg_send(bob.address, "stake", 1)])
            try:
                c.call("broadcast_tx", env)
                nonce += 1
            except RpcError:
                break
        c.close()
        procs.kill9(p)
    assert len(committed) > 0 and len(seen_blocks) > rounds

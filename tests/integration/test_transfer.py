"""ICS-20 end to end (issue 18): two real chains, the real relayer on a `transfer` path
(port transfer, version ics20-1, unordered) and the real CLI, checked with the independent
Python client. A transfer alpha → beta arrives as a voucher ibc/HASH of its trace; sent back
it is burned on beta and unescrowed on alpha; a transfer to a receiver beta cannot accept is
refunded on alpha after beta's error ack (ibc-go's bytes); a timed-out transfer is refunded.
Packet data and acks are checked byte for byte against ibc-go's JSON (independently of the C
encoder: built here with Python's json, sorted keys, compact separators)."""

import hashlib
import json
import os

import relayer_env as R

PORT = "transfer"
ERR_ACK_5 = b'{"error":"ABCI code: 5: error handling packet: see events for details"}'


def ibc_denom(path):
    return "ibc/" + hashlib.sha256(path.encode()).hexdigest().upper()


def escrow_address(channel):
    # ibc-go GetEscrowAddress: SHA-256("ics20-1" || 0x00 || "port/channel")[:20]
    return hashlib.sha256(b"ics20-1\x00" + f"{PORT}/{channel}".encode()).hexdigest()[:40]


def escrowed(c, channel, denom):
    """What chain c's transfer escrow for channel holds of denom, through the CLI (and the
    escrow account is ibc-go's)."""
    j = R.cli_json(c, "query", "transfer-escrow", channel, denom)
    assert j["escrow_address"] == escrow_address(channel)
    return j["amount"]


class Env:
    def __init__(self, procs, tmp):
        self.procs = procs
        self.a = R.Chain(procs, str(tmp), "alpha", "stake").start()
        self.b = R.Chain(procs, str(tmp), "beta", "uusd").start()
        self.cfg = R.write_config(os.path.join(str(tmp), "relayer.json"), self.a, self.b,
                                  os.path.join(str(tmp), "rly.db"))
        c = R.load_config(self.cfg)
        del c["paths"][0]["version"]  # the relayer takes ics20-1 from the port
        for end in ("a", "b"):
            c["paths"][0][end]["port"] = PORT
        with open(self.cfg, "w") as f:
            json.dump(c, f, indent=2)
        R.relayer("create-clients", "--config", self.cfg)
        R.relayer("create-channel", "--config", self.cfg)
        c = R.load_config(self.cfg)
        self.ch_a, self.ch_b = c["paths"][0]["a"]["channel"], c["paths"][0]["b"]["channel"]
        self.rly = R.start_relayer(procs, self.cfg)

    def cli(self, c, *args, ok=True):
        return R.cli(c, *args, ok=ok)

    def json(self, c, *args):
        return R.cli_json(c, *args)

    def addr(self, c, name):
        return self.json(c, "keys", "show", name)["address"]

    def balance(self, c, who, denom):
        return self.json(c, "query", "balance", who, denom)["amount"]

    def escrowed(self, c, channel, denom):
        return escrowed(c, channel, denom)

    def commitments(self, c, channel):
        with c.client() as cl:
            return cl.call("packet_commitments", PORT, channel)

    def quiescent(self):
        return not self.commitments(self.a, self.ch_a) and not self.commitments(self.b, self.ch_b)

    def packet_data(self, c, channel, seq):
        with c.client() as cl:
            pkt = cl.call("packet", PORT, channel, seq)
        return R.cwrpc.unpack(pkt)[5]

    def ack(self, c, channel, seq):
        with c.client() as cl:
            return cl.call("ack", PORT, channel, seq)


def ibc_go_bytes(amount, denom, receiver, sender, memo=""):
    """ibc-go's GetBytes for these ASCII values: sorted keys, compact, memo left out when
    empty (no character here needs Go's HTML escaping)."""
    d = {"amount": str(amount), "denom": denom, "receiver": receiver, "sender": sender}
    if memo:
        d["memo"] = memo
    return json.dumps(d, sort_keys=True, separators=(",", ":")).encode()


def test_transfer_voucher_back_error_ack_and_timeout_refunds(procs, tmp_path):
    e = Env(procs, tmp_path)
    alice_a, bob_b = e.addr(e.a, "alice"), e.addr(e.b, "bob")
    a0 = e.balance(e.a, "alice", "stake")
    voucher = ibc_denom(f"{PORT}/{e.ch_b}/stake")

    # 1. alpha → beta: escrowed on alpha, a voucher on beta
    e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to", bob_b,
          "1000stake", "--memo", "hello")
    assert e.packet_data(e.a, e.ch_a, 1) == ibc_go_bytes(1000, "stake", bob_b, alice_a, "hello")
    assert e.json(e.a, "query", "packet", PORT, e.ch_a, "1")["ics20"] == {
        "amount": "1000", "denom": "stake", "sender": alice_a, "receiver": bob_b,
        "memo": "hello"}
    R.wait_until(lambda: e.balance(e.b, bob_b, voucher) == 1000, chain=e.b,
                 what="voucher minted")
    R.wait_until(e.quiescent, chain=e.a, what="ack relayed")
    assert e.ack(e.b, e.ch_b, 1) == b'{"result":"AQ=="}'
    assert e.balance(e.a, "alice", "stake") == a0 - 1000
    assert e.escrowed(e.a, e.ch_a, "stake") == 1000
    tr = e.json(e.b, "query", "denom-trace", voucher)
    assert tr == {"denom": voucher, "full_path": f"{PORT}/{e.ch_b}/stake",
                  "path": f"{PORT}/{e.ch_b}", "base_denom": "stake"}
    assert [t["denom"] for t in e.json(e.b, "query", "denom-traces")["denom_traces"]] == [voucher]

    # 2. back beta → alpha: burned on beta, unescrowed on alpha
    e.cli(e.b, "tx", "transfer", "--from", "bob", "--channel", e.ch_b, "--to", alice_a,
          f"400{voucher}")
    assert e.balance(e.b, bob_b, voucher) == 600
    assert e.packet_data(e.b, e.ch_b, 1) == ibc_go_bytes(400, f"{PORT}/{e.ch_b}/stake",
                                                          alice_a, bob_b)
    R.wait_until(lambda: e.balance(e.a, "alice", "stake") == a0 - 600, chain=e.a,
                 what="unescrowed on alpha")
    R.wait_until(e.quiescent, chain=e.b, what="ack relayed")
    assert e.escrowed(e.a, e.ch_a, "stake") == 600
    assert e.escrowed(e.b, e.ch_b, voucher) == 0  # burned, not escrowed

    # 3. a receiver beta cannot accept: error ack, refunded on alpha
    e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to",
          "cosmos1notanaddress", "50stake")
    assert e.balance(e.a, "alice", "stake") == a0 - 650
    R.wait_until(lambda: e.ack(e.b, e.ch_b, 2) if e.commitments(e.a, e.ch_a) == [] else None,
                 chain=e.a, what="error ack relayed")
    assert e.ack(e.b, e.ch_b, 2) == ERR_ACK_5
    assert e.balance(e.a, "alice", "stake") == a0 - 600
    assert e.escrowed(e.a, e.ch_a, "stake") == 600
    assert [t["denom"] for t in e.json(e.b, "query", "denom-traces")["denom_traces"]] == [voucher]

    # 4. a transfer that times out (the relayer is down past its timeout height) is refunded
    e.procs.stop(e.rly)
    th = e.b.height() + 3
    e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to", bob_b,
          "70stake", "--timeout-height", str(th))
    assert e.balance(e.a, "alice", "stake") == a0 - 670
    assert e.escrowed(e.a, e.ch_a, "stake") == 670
    e.b.wait_height(th + 1)
    e.rly = R.start_relayer(procs, e.cfg, name="relayer-2")
    R.wait_until(lambda: e.balance(e.a, "alice", "stake") == a0 - 600, chain=e.a,
                 what="timeout refund")
    R.wait_until(e.quiescent, chain=e.a, what="timeout relayed")
    assert e.escrowed(e.a, e.ch_a, "stake") == 600
    assert e.balance(e.b, bob_b, voucher) == 600  # nothing arrived
    with e.b.client() as cl:
        key = f"receipts/ports/{PORT}/channels/{e.ch_b}/sequences/3".encode()
        assert cl.call("query", key, 0, False)[0] is None


def test_cli_refuses_bad_transfer_arguments(procs, tmp_path):
    e = Env(procs, tmp_path)
    for coin in ("stake", "0stake", "10", "10a/b", "10ibc/abc"):
        r = e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to", "x",
                  coin, ok=False)
        assert r.returncode == 2, (coin, r.stderr)
    r = e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to", "x",
              "1stake", "--timeout", "10", ok=False)
    assert r.returncode == 2 and "duration" in r.stderr
    # a voucher this chain has no trace of is refused by the chain, nothing escrowed
    r = e.cli(e.a, "tx", "transfer", "--from", "alice", "--channel", e.ch_a, "--to", "x",
              "1" + ibc_denom("transfer/channel-9/uatom"), ok=False)
    assert r.returncode == 1 and "no denom trace" in (r.stdout + r.stderr)
    r = e.cli(e.a, "query", "denom-trace", ibc_denom("transfer/channel-9/uatom"), ok=False)
    assert r.returncode == 1
    assert e.cli(e.a, "query", "denom-trace", "ibc/xyz", ok=False).returncode == 2

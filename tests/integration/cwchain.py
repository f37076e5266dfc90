"""Independent Python view of a Causeway chain for the integration suites: keys, addresses,
transactions built and signed here (msgpack + coincurve's BIP-340), waiting on the `blocks`
topic. Written from DESIGN §4–§5, not from our C code."""

import hashlib
import json
import os

import coincurve
import msgpack

TAG_TX = b"causeway/tx"


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag).digest()
    return hashlib.sha256(t + t + msg).digest()


class Key:
    def __init__(self, secret32):
        self.secret = secret32
        self.pubkey = coincurve.PublicKeyXOnly.from_secret(secret32).format()
        self.address = hashlib.sha256(self.pubkey).digest()[:20]

    @classmethod
    def load(cls, home, name):
        with open(os.path.join(home, "keys", f"{name}.json")) as f:
            return cls(bytes.fromhex(json.load(f)["secret_key"]))


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def msg_send(to_addr, denom, amount):
    return ["bank.send", [to_addr, denom, amount]]


# Gas (DESIGN §5 "Gas"): what a tx states as its limit unless told. A client's choice, not
# the chain's rule: generous per msg (the largest a msg of its kind was seen to use, with
# room), commits paying per byte for their signatures; the intrinsic part is the chain's
# documented formula.
GAS_SIG, GAS_TX_BYTE, GAS_MSG, GAS_HASH_FLAT = 5000, 4, 1000, 30
GAS_VALIDATOR = 750  # per validator of a set a header carries (the key lift)
BLOCK_GAS_DEFAULT = 50_000_000


def gas_estimate(msgs, tx_len):
    g = GAS_SIG + 2 * (GAS_HASH_FLAT + tx_len) + GAS_TX_BYTE * tx_len + GAS_MSG * len(msgs)
    for m in msgs:
        n = len(pack(m))
        if m[0] in ("ibc.update_client", "ibc.submit_misbehaviour"):
            g += 40_000 + 80 * n
        else:
            g += (60_000 if m[0].startswith("lend.") else 30_000) + 4 * n
    return min(g, BLOCK_GAS_DEFAULT)


def sign_tx(key, chain_id, nonce, msgs, memo="", gas=None):
    """The envelope bytes [body, signature];
    body = [chain_id, pubkey, nonce, gas_limit, msgs, memo]."""
    if gas is None:
        gas = gas_estimate(msgs, len(pack(msgs)) + len(memo) + 200)
    body = [chain_id, key.pubkey, nonce, gas, msgs, memo]
    sighash = tagged_hash(TAG_TX, pack(body))
    sig = coincurve.PrivateKey(key.secret).sign_schnorr(sighash, os.urandom(32))
    return pack([body, sig])


def tx_hash(envelope):
    return hashlib.sha256(envelope).digest()


def balance_key(addr, denom):
    return f"bank/balances/{addr.hex()}/{denom}".encode()


def balance(client, addr, denom, height=0):
    value, _proof, at = client.call("query", balance_key(addr, denom), height, False)
    return (int.from_bytes(value, "big") if value is not None else 0), at


def wait_tx(client, h, blocks=200, timeout=30.0):
    """Follow `blocks` notifications until tx(h) is found; returns [height, index, tx, result].
    The client must already be subscribed to `blocks`."""
    from cwrpc import RpcError
    for _ in range(blocks):
        try:
            return client.call("tx", h)
        except RpcError as e:
            if "not found" not in e.message:
                raise
        client.next_notification(timeout=timeout)
    raise AssertionError(f"tx {h.hex()} not committed within {blocks} blocks")


# ---- a light client of a generated chain (`causeway light gen`), for tests that need a
# client with a large validator set without running a second chain ----

def light_gen(out, validators, heights, chain_id="zeta"):
    """`causeway light gen` into out (block times from 60 s ago, 1 s apart); returns
    (client_state, trusted_state, [light_block_1, ...]) decoded."""
    import subprocess
    import time

    from conftest import require_bin
    start = time.time_ns() - 60 * 10**9
    subprocess.run([require_bin("causeway"), "light", "gen", "--out", out, "--validators",
                    str(validators), "--heights", str(heights), "--chain-id", chain_id,
                    "--start-time", str(start), "--interval", str(10**9)], check=True,
                   stdout=subprocess.DEVNULL)

    def load(name):
        with open(os.path.join(out, name), "rb") as f:
            return msgpack.unpackb(f.read())
    return (load("client_state.msgpack"), load("trusted.msgpack"),
            [load(f"block_{h}.msgpack") for h in range(1, heights + 1)])


def msg_create_client(client_state, trusted):
    """MsgCreateClient from a TrustedState [height, consensus_state, vals]."""
    return ["ibc.create_client", ["causeway-bip340", client_state, trusted[1]]]


def msg_update_client(client_id, light_block, trusted_height, trusted_vals):
    """MsgUpdateClient: [client_id, signed_header, validator_set, trusted_height,
    trusted_validator_set]."""
    return ["ibc.update_client", [client_id, light_block[0], light_block[1], trusted_height,
                                  trusted_vals]]


def event_attr(result, ev_type, attr):
    """The value of attr in the first event of ev_type in a tx result, or None."""
    for ev in result[2]:
        if ev[0] == ev_type:
            for k, v in ev[1]:
                if k == attr:
                    return v
    return None

"""Two real causeway-chain nodes on loopback and causeway-relayer processes between them,
for the relayer suites and the relayer benchmark. Everything waits on chain state (heights,
tx results, RPC answers), never on fixed sleeps."""

import hashlib
import json
import os
import subprocess
import time

import cwchain
import cwrpc
from conftest import free_port, require_bin, start_chain, wait_port

CHANNEL_PORT = "collateral"


class Chain:
    def __init__(self, procs, root, chain_id, denom, interval_ms=100, validators=4,
                 accounts="alice,bob,relayer,relayer2", extra=()):
        self.procs = procs
        self.id = chain_id
        self.denom = denom
        self.home = os.path.join(root, chain_id)
        self.port = free_port()
        self.interval_ms = interval_ms
        exe = require_bin("causeway-chain")
        subprocess.run([exe, "init", "--home", self.home, "--chain-id", chain_id, "--port",
                        str(self.port), "--block-interval-ms", str(interval_ms), "--validators",
                        str(validators), "--accounts", accounts, "--denoms", denom, "--amount",
                        "1000000000000", *extra], check=True, stdout=subprocess.DEVNULL)
        self.proc = None
        self.nonces = {}

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/"

    def start(self):
        self.proc = start_chain(self.procs, self.home, self.port, name=f"chain-{self.id}")
        return self

    def set_config(self, **kv):
        """Merge kv into the node's config.json (read when the node starts)."""
        path = os.path.join(self.home, "config.json")
        with open(path) as f:
            conf = json.load(f)
        conf.update(kv)
        with open(path, "w") as f:
            json.dump(conf, f, indent=2)

    def stop(self):
        self.procs.stop(self.proc)

    def client(self, timeout=20.0):
        return cwrpc.Client(self.url, timeout=timeout)

    def key(self, name):
        return cwchain.Key.load(self.home, name)

    def height(self, c=None):
        own = c is None
        c = c or self.client()
        try:
            return c.call("status")[1]
        finally:
            if own:
                c.close()

    def wait_height(self, h, timeout=30.0):
        with self.client() as c:
            deadline = time.monotonic() + timeout
            c.subscribe("blocks")
            while self.height(c) < h:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.id} did not reach height {h}")
                c.next_notification(timeout=timeout)

    def submit(self, name, msgs, c=None, wait=True):
        """Sign and broadcast msgs from account `name`; returns the tx hash (and waits)."""
        own = c is None
        c = c or self.client()
        try:
            k = self.key(name)
            if name not in self.nonces:
                self.nonces[name] = c.call("account", k.address)[2]
            env = cwchain.sign_tx(k, self.id, self.nonces[name], msgs)
            self.nonces[name] += 1
            h = c.call("broadcast_tx", env)
            if wait:
                self.wait_tx(h)
            return h
        finally:
            if own:
                c.close()

    def wait_tx(self, h, timeout=60.0):
        with self.client() as c:
            c.subscribe("blocks")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    return c.call("tx", h)
                except cwrpc.RpcError as e:
                    if "not found" not in e.message:
                        raise
                if time.monotonic() > deadline:
                    raise TimeoutError(f"tx {h.hex()} not committed on {self.id}")
                c.next_notification(timeout=timeout)


class CliUser:
    """The `causeway` CLI run against a Chain as a user runs it (mixed into the suites'
    scenario classes): the module's cli / cli_json / cli_env, as methods."""

    def env(self, c):
        return cli_env(c)

    def cli(self, c, *args, ok=True):
        return cli(c, *args, ok=ok)

    def json(self, c, *args):
        return cli_json(c, *args)


def lock_msg(channel, denom, amount, beneficiary, timeout_height=0, timeout_ns=None):
    if timeout_ns is None and timeout_height == 0:
        timeout_ns = time.time_ns() + 600 * 10**9
    return ["collateral.lock", [channel, denom, amount, beneficiary, timeout_height,
                                timeout_ns or 0]]


def write_config(path, a, b, db, key="relayer", metrics="", batch=100, chan_a="", chan_b="",
                 client_a="", client_b="", extra=None, rpc_a=None, rpc_b=None,
                 trust_a=None, trust_b=None):
    p0 = {"name": "p0", "version": "collateral-1", "ordering": "unordered",
          "a": {"chain": a.id, "port": CHANNEL_PORT, "channel": chan_a, "client": client_a},
          "b": {"chain": b.id, "port": CHANNEL_PORT, "channel": chan_b, "client": client_b}}
    return write_multi_config(path, [a, b], [p0], db, key=key, metrics=metrics, batch=batch,
                              extra=extra, rpc={a.id: rpc_a, b.id: rpc_b},
                              trust={a.id: trust_a, b.id: trust_b})


def hub_path(name, port, a, b):
    """A path entry between chains a and b on `port` at both ends (the relayer takes the
    version from the port: collateral-1, ics20-1), for write_multi_config."""
    return {"name": name, "ordering": "unordered",
            "a": {"chain": a.id, "port": port, "channel": "", "client": ""},
            "b": {"chain": b.id, "port": port, "channel": "", "client": ""}}


def write_multi_config(path, chains, paths, db, key="relayer", metrics="", batch=100,
                       extra=None, rpc=None, trust=None):
    """A relayer config over any number of chains and paths (one relayer, many paths);
    rpc / trust: optional {chain id: RPC URL / trust root "HEIGHT:HASH"}."""
    rpc, trust = rpc or {}, trust or {}
    out = []
    for c in chains:
        e = {"id": c.id, "rpc": rpc.get(c.id) or c.url,
             "key_file": os.path.join(c.home, "keys", f"{key}.json")}
        if trust.get(c.id):
            e["trust_root"] = trust[c.id]
        out.append(e)
    cfg = {
        "chains": out,
        "paths": paths,
        "batch_size": batch,
        "rpc_timeout_ms": 10000,
        "tx_timeout_ms": 60000,
        "db_path": db,
        "metrics_addr": metrics,
    }
    cfg.update(extra or {})
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return path


def trust_roots(*chains):
    """Each chain's height-1 header hash as a trust root "1:HASH" (for the audit)."""
    roots = {}
    for c in chains:
        with c.client() as cl:
            lb = cl.call("light_block", 1)
        # block hash = SHA256(canonical header); Python's msgpack packs canonically
        roots[c.id] = f"1:{hashlib.sha256(cwchain.pack(lb[0][0])).hexdigest()}"
    return roots


def relayer(*args, check=True, timeout=180, env=None):
    exe = require_bin("causeway-relayer")
    full = dict(os.environ)
    full.update(env or {})
    r = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, env=full)
    if check and r.returncode != 0:
        raise AssertionError(f"causeway-relayer {' '.join(args)} exited {r.returncode}:\n"
                             f"{r.stdout}\n{r.stderr}")
    return r


def load_config(path):
    with open(path) as f:
        return json.load(f)


def setup_path(procs, tmp, interval_ms=100, a_extra=(), b_extra=(), **cfg_kw):
    """Two chains, clients and an open collateral channel; returns (a, b, config path)."""
    a = Chain(procs, tmp, "alpha", "stake", interval_ms, extra=a_extra).start()
    b = Chain(procs, tmp, "beta", "uusd", interval_ms, extra=b_extra).start()
    cfg = write_config(os.path.join(tmp, "relayer.json"), a, b, os.path.join(tmp, "rly.db"),
                       **cfg_kw)
    relayer("create-clients", "--config", cfg)
    relayer("create-channel", "--config", cfg)
    return a, b, cfg


def channels(cfg_path):
    c = load_config(cfg_path)
    return c["paths"][0]["a"]["channel"], c["paths"][0]["b"]["channel"]


def commitments(chain, channel):
    with chain.client() as c:
        return c.call("packet_commitments", CHANNEL_PORT, channel)


def receipt(chain, channel, seq):
    key = f"receipts/ports/{CHANNEL_PORT}/channels/{channel}/sequences/{seq}".encode()
    with chain.client() as c:
        return c.call("query", key, 0, False)[0]


def wait_until(pred, timeout=120.0, what="condition", chain=None):
    """Wait for pred() to hold, re-checking on every new block of `chain` (or every 50 ms
    when no chain is given)."""
    deadline = time.monotonic() + timeout
    if chain is not None:
        with chain.client() as c:
            c.subscribe("blocks")
            while True:
                v = pred()
                if v:
                    return v
                if time.monotonic() > deadline:
                    raise TimeoutError(f"timed out waiting for {what}")
                c.next_notification(timeout=timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling a condition, not waiting for time to pass


def cli_env(c):
    """The environment that points the `causeway` CLI at chain c and its keyring."""
    return dict(os.environ, CAUSEWAY_NODE=c.url.rstrip("/"),
                CAUSEWAY_KEYRING=os.path.join(c.home, "keys"))


def cli(c, *args, ok=True):
    """Run `causeway ARGS` against chain c; with ok, assert it exits 0."""
    r = subprocess.run([require_bin("causeway"), *args], env=cli_env(c),
                       capture_output=True, text=True, timeout=120)
    if ok:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def cli_json(c, *args):
    return json.loads(cli(c, *args, "--json").stdout)


def start_relayer(procs, cfg, name="relayer", env=None):
    exe = require_bin("causeway-relayer")
    return procs.start([exe, "start", "--config", cfg], name=name, env=env)

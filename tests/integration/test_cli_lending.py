"""The lending market through the `causeway` CLI against a real chain (DESIGN §8): the
admin registers collateral, the oracle prices it, suppliers supply and withdraw, and every
refusal is a clear message with exit status 1 (2 for usage)."""

import json
import os
import subprocess

import pytest

from conftest import free_port, init_chain, require_bin, start_chain


@pytest.fixture
def beta(procs, tmp_path):
    home = str(tmp_path / "beta")
    port = free_port()
    exe = require_bin("causeway-chain")
    subprocess.run([exe, "init", "--home", home, "--chain-id", "beta", "--port", str(port),
                    "--block-interval-ms", "50", "--accounts", "alice,bob", "--denoms", "uusd",
                    "--market", "uusd"], check=True, stdout=subprocess.DEVNULL)
    start_chain(procs, home, port)
    env = dict(os.environ, CAUSEWAY_NODE=f"ws://127.0.0.1:{port}",
               CAUSEWAY_KEYRING=os.path.join(home, "keys"))
    return {"home": home, "env": env}


def cli(beta, *args, ok=True):
    r = subprocess.run([require_bin("causeway"), *args], env=beta["env"], capture_output=True,
                       text=True, timeout=90)
    if ok:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def test_supply_register_price_and_refusals(beta):
    cli(beta, "tx", "supply", "--from", "bob", "--amount", "5000")
    m = json.loads(cli(beta, "query", "market", "--json").stdout)
    assert m["borrow_denom"] == "uusd" and m["cash"] == 5000 and m["paused"] is False
    # only the admin registers collateral; invalid parameters are refused with the rule
    r = cli(beta, "tx", "register-collateral", "--from", "alice", "--channel", "channel-0",
            "--denom", "stake", "--ltv", "5000", "--lt", "7500", "--bonus", "500", ok=False)
    assert r.returncode == 1 and "admin" in (r.stdout + r.stderr)
    r = cli(beta, "tx", "register-collateral", "--from", "admin", "--channel", "channel-0",
            "--denom", "stake", "--ltv", "8000", "--lt", "7500", "--bonus", "500", ok=False)
    assert r.returncode == 1 and "ltv" in (r.stdout + r.stderr).lower()
    # collateral is registered only for a channel that exists (opened first)
    r = cli(beta, "tx", "register-collateral", "--from", "admin", "--channel", "channel-0",
            "--denom", "stake", "--ltv", "5000", "--lt", "7500", "--bonus", "500", ok=False)
    assert r.returncode == 1 and "does not exist" in r.stdout
    pos = json.loads(cli(beta, "query", "position", "alice", "channel-0", "stake",
                         "--json").stdout)
    assert pos["position"] == 0 and pos["trace_denom"].startswith("ibc/")
    # prices come from the oracle key only; zero and future-dated prices are refused
    trace = pos["trace_denom"]
    r = cli(beta, "tx", "set-price", "--from", "bob", "--denom", trace,
            "--price", "2000000000000000000", ok=False)
    assert r.returncode == 1 and "oracle" in r.stdout
    r = cli(beta, "tx", "set-price", "--from", "oracle", "--denom", trace, "--price", "0",
            ok=False)
    assert r.returncode == 1
    r = cli(beta, "tx", "set-price", "--from", "oracle", "--denom", trace, "--price", "1",
            "--time", str(2 ** 62), ok=False)
    assert r.returncode == 1
    cli(beta, "tx", "set-price", "--from", "oracle", "--denom", trace, "--price",
        "2000000000000000000")
    # no collateral: borrowing is refused as unhealthy
    r = cli(beta, "tx", "borrow", "--from", "alice", "--amount", "1", ok=False)
    assert r.returncode == 1 and "limit" in (r.stdout + r.stderr).lower()
    h = json.loads(cli(beta, "query", "health", "alice", "--json").stdout)
    assert h["debt"] == "0" and h["borrow_limit"] == "0"
    cli(beta, "tx", "withdraw-supply", "--from", "bob", "--amount", "5000")
    assert json.loads(cli(beta, "query", "market", "--json").stdout)["cash"] == 0
    # usage errors exit 2
    assert cli(beta, "tx", "borrow", "--from", "alice", ok=False).returncode == 2
    assert cli(beta, "tx", "supply", "--from", "alice", "--amount", "x", ok=False).returncode == 2
    assert cli(beta, "query", "packet", "collateral", "channel-0", "0", ok=False).returncode == 2

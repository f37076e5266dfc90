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
    assert m["borrow_denom"] == "uusd" and m["cash"] == 5000 and m["paused_actions"] == []
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


def test_query_market_rates_pause_and_withdraw_all(beta):
    """query market shows the rate model's figures; the admin pauses actions by name (repay
    never); withdraw-supply --all takes every share, all or nothing; reserves are the
    admin's to withdraw, within what there is."""
    cli(beta, "tx", "supply", "--from", "bob", "--amount", "7000")
    m = json.loads(cli(beta, "query", "market", "--json").stdout)
    # nothing borrowed: utilization 0, the borrow APR is the base rate's (634195839 wad per
    # second, the `init --market` default) over a 365-day year, suppliers earn nothing yet
    assert m["utilization_wad"] == "0"
    assert m["borrow_apr_wad"] == str(634195839 * 31536000)
    assert m["supply_apr_wad"] == "0"
    assert m["borrow_index_wad"] == str(10 ** 18)
    assert m["total_supply"] == "7000" and m["supply_cap"] == 0 and m["borrow_cap"] == 0
    text = cli(beta, "query", "market").stdout
    assert "utilization 0.00%, borrow APR 1.99%, supply APR 0.00%" in text, text
    assert "total supply 7000 (cap none)" in text and "paused: nothing" in text, text

    # pauses: admin only, by name; repay is not an action that can be paused
    r = cli(beta, "tx", "pause", "--from", "bob", "--actions", "supply", ok=False)
    assert r.returncode == 1 and "admin" in r.stdout
    r = cli(beta, "tx", "pause", "--from", "admin", "--actions", "repay", ok=False)
    assert r.returncode == 2 and "never paused" in r.stderr
    cli(beta, "tx", "pause", "--from", "admin", "--actions", "supply,withdraw")
    m = json.loads(cli(beta, "query", "market", "--json").stdout)
    assert m["paused_actions"] == ["supply", "withdraw_supply", "withdraw_collateral"]
    assert "paused: supply, withdraw_supply, withdraw_collateral" in cli(
        beta, "query", "market").stdout
    r = cli(beta, "tx", "supply", "--from", "bob", "--amount", "1", ok=False)
    assert r.returncode == 1 and "supply is paused by the market's admin" in r.stdout
    r = cli(beta, "tx", "withdraw-supply", "--from", "bob", "--all", ok=False)
    assert r.returncode == 1 and "withdraw_supply is paused" in r.stdout
    assert json.loads(cli(beta, "query", "market", "--json").stdout)["cash"] == 7000
    cli(beta, "tx", "pause", "--from", "admin", "--actions", "supply,withdraw", "--resume")
    assert json.loads(cli(beta, "query", "market", "--json").stdout)["paused_actions"] == []

    # --all: every share; then there are none to withdraw
    assert cli(beta, "tx", "withdraw-supply", "--from", "bob", "--all", "--amount", "5",
               ok=False).returncode == 2
    cli(beta, "tx", "withdraw-supply", "--from", "bob", "--all")
    m = json.loads(cli(beta, "query", "market", "--json").stdout)
    assert m["cash"] == 0 and m["total_shares"] == "0"
    h = json.loads(cli(beta, "query", "health", "bob", "--json").stdout)
    assert h["shares"] == "0" and h["supply_value"] == "0"
    r = cli(beta, "tx", "withdraw-supply", "--from", "bob", "--all", ok=False)
    assert r.returncode == 1 and "the account holds no shares" in r.stdout

    # reserves: nothing has accrued, so nothing can be withdrawn, and only by the admin
    r = cli(beta, "tx", "withdraw-reserves", "--from", "admin", "--to", "alice", "--amount",
            "1", ok=False)
    assert r.returncode == 1 and "exceeds the reserves of 0" in r.stdout
    r = cli(beta, "tx", "withdraw-reserves", "--from", "bob", "--to", "bob", "--amount", "1",
            ok=False)
    assert r.returncode == 1 and "admin" in r.stdout


@pytest.fixture
def beta2(procs, tmp_path):
    """A lending chain with two markets: uusd (the price unit) and ueur."""
    home = str(tmp_path / "beta2")
    port = free_port()
    exe = require_bin("causeway-chain")
    subprocess.run([exe, "init", "--home", home, "--chain-id", "beta", "--port", str(port),
                    "--block-interval-ms", "50", "--accounts", "alice,bob",
                    "--denoms", "uusd,ueur", "--market", "uusd", "--market", "ueur"],
                   check=True, stdout=subprocess.DEVNULL)
    start_chain(procs, home, port)
    env = dict(os.environ, CAUSEWAY_NODE=f"ws://127.0.0.1:{port}",
               CAUSEWAY_KEYRING=os.path.join(home, "keys"))
    return {"home": home, "env": env}


def test_two_markets_named_by_asset_and_a_flash_loan(beta2):
    """Each market is named by its asset (--asset or the amount's suffix); with several,
    naming none is refused with the list; a flash loan is repaid with its fee, which lands in
    that market's reserves; health lists the account in every market."""
    b = beta2
    r = cli(b, "query", "market", ok=False)
    assert r.returncode == 1 and "2 markets (uusd, ueur): name one" in r.stderr, r.stderr
    r = cli(b, "tx", "supply", "--from", "bob", "--amount", "5000", ok=False)
    assert r.returncode == 1 and "--asset" in r.stderr
    cli(b, "tx", "supply", "--from", "bob", "--amount", "5000ueur")
    cli(b, "tx", "supply", "--from", "bob", "--amount", "7000", "--asset", "uusd")
    assert cli(b, "tx", "supply", "--from", "bob", "--amount", "5uusd", "--asset", "ueur",
               ok=False).returncode == 2
    eur = json.loads(cli(b, "query", "market", "--asset", "ueur", "--json").stdout)
    usd = json.loads(cli(b, "query", "market", "--asset", "uusd", "--json").stdout)
    assert eur["borrow_denom"] == "ueur" and eur["cash"] == 5000
    assert usd["borrow_denom"] == "uusd" and usd["cash"] == 7000
    assert eur["markets"] == ["uusd", "ueur"] and eur["flash_fee_bps"] == 9
    assert "markets on this chain: uusd (price unit) ueur" in cli(
        b, "query", "market", "--asset", "ueur").stdout
    # prices: ueur is priced by the oracle, uusd is the unit (1 by definition)
    cli(b, "tx", "set-price", "--from", "oracle", "--denom", "ueur",
        "--price", "1100000000000000000")
    r = cli(b, "tx", "set-price", "--from", "oracle", "--denom", "uusd", "--price", "1", ok=False)
    assert r.returncode == 1 and "price unit" in r.stdout
    # a flash loan of 2000 ueur, repaid at the tx's end with ceil(2000 × 9 / 10000) = 2
    before = json.loads(cli(b, "query", "balance", "bob", "ueur", "--json").stdout)["amount"]
    cli(b, "tx", "flash-loan", "--from", "bob", "--amount", "2000ueur")
    after = json.loads(cli(b, "query", "balance", "bob", "ueur", "--json").stdout)["amount"]
    assert before - after == 2
    eur = json.loads(cli(b, "query", "market", "--asset", "ueur", "--json").stdout)
    assert eur["reserves"] == "2" and eur["cash"] == 5002
    # more than the market holds: refused, nothing lent
    r = cli(b, "tx", "flash-loan", "--from", "bob", "--amount", "6000ueur", ok=False)
    assert r.returncode == 1 and "liquidity" in r.stdout
    # health: every market listed; no collateral, so no borrowing in either
    h = json.loads(cli(b, "query", "health", "bob", "--json").stdout)
    assert [m["asset"] for m in h["markets"]] == ["uusd", "ueur"]
    assert h["markets"][1]["shares"] == "5000" and h["debt_value"] == "0"
    assert "debt" not in h  # two markets: the per-market figures are in the list
    h = json.loads(cli(b, "query", "health", "bob", "--asset", "ueur", "--json").stdout)
    assert h["asset"] == "ueur" and h["shares"] == "5000"
    r = cli(b, "tx", "borrow", "--from", "alice", "--amount", "1ueur", ok=False)
    assert r.returncode == 1 and "limit" in r.stdout

"""`causeway --help`, `causeway COMMAND --help` and `causeway COMMAND SUBCOMMAND --help`
exit 0 and print the full usage: every command the top-level dispatcher knows, and every
subcommand each command's dispatcher knows.

The lists are read from the dispatchers' source (cli/main.c's command table, the
strcmp(argv[1]|sub|cmd, "NAME") tests and the cw_clicmd tables {"NAME", cmd_X, ...} in each
command's files), so a subcommand added to a dispatcher but not to its usage text fails
here."""

import os
import re
import subprocess

import pytest

from conftest import REPO, require_bin

CLI = os.path.join(REPO, "cli")

# Which files hold each command's subcommand dispatch (a command missing here fails the
# coverage test below, so a new command is not silently unchecked).
DISPATCH_FILES = {
    "proof": ["proof.c"],
    "light": ["light.c"],
    "keys": ["keys.c"],
    "query": ["query.c"],
    "tx": ["tx.c", "txapp.c", "txtransfer.c"],
    "audit": [],
    "healthz": [],
    "keeper": [],
}


def src(name):
    with open(os.path.join(CLI, name), encoding="utf-8") as f:
        return f.read()


def commands():
    """The names in cli/main.c's command table: {"name", cw_cli_fn, "help"}."""
    return re.findall(r'\{"([a-z-]+)",\s*cw_cli_\w+,', src("main.c"))


def subcommands(command):
    found = set()
    for name in DISPATCH_FILES[command]:
        found.update(re.findall(r'strcmp\((?:argv\[1\]|sub|cmd),\s*"([a-z][a-z-]*)"\)',
                                src(name)))
        found.update(re.findall(r'\{"([a-z][a-z-]*)",\s*cmd_\w+,', src(name)))
    found.discard("help")
    return sorted(found)


def run(*argv):
    return subprocess.run([require_bin("causeway"), *argv], capture_output=True, text=True,
                          timeout=30)


def test_the_dispatch_map_covers_every_command():
    assert commands(), "no commands parsed from cli/main.c"
    assert sorted(commands()) == sorted(DISPATCH_FILES)
    assert "send" in subcommands("tx") and "lock" in subcommands("tx")
    assert "escrow" in subcommands("query")
    assert subcommands("light") == ["gen", "verify"]


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_top_level_help_lists_every_command(flag):
    r = run(flag)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: causeway")
    for c in commands():
        assert re.search(rf"^  {re.escape(c)}\s", r.stdout, re.M), f"{c} missing:\n{r.stdout}"


@pytest.mark.parametrize("command", sorted(DISPATCH_FILES))
def test_command_help_exits_0_with_every_subcommand(command):
    r = run(command, "--help")
    assert r.returncode == 0, f"causeway {command} --help: {r.returncode}\n{r.stderr}"
    assert "usage:" in r.stdout and r.stderr == ""
    for sub in subcommands(command):
        assert re.search(rf"\b{re.escape(sub)}\b", r.stdout), \
            f"causeway {command} --help does not show '{sub}':\n{r.stdout}"


@pytest.mark.parametrize("command,sub", [(c, s) for c in sorted(DISPATCH_FILES)
                                         for s in subcommands(c)])
def test_subcommand_help_exits_0_and_shows_it(command, sub):
    r = run(command, sub, "--help")
    assert r.returncode == 0, f"causeway {command} {sub} --help: {r.returncode}\n{r.stderr}"
    assert "usage:" in r.stdout and re.search(rf"\b{re.escape(sub)}\b", r.stdout)


def test_tx_help_shows_each_subcommands_options():
    out = run("tx", "--help").stdout
    for line in ("send                --to ADDRESS|NAME --denom DENOM --amount N",
                 "repay               --amount N[ASSET] [--asset ASSET] [--on-behalf-of ADDR|NAME]",
                 "flash-loan          --amount N[ASSET] [--asset ASSET]",
                 "register-collateral --channel CH --denom BASE --ltv BPS --lt BPS --bonus BPS"):
        assert line in out
    for common in ("--from NAME", "--node URL", "--keyring DIR", "--no-wait", "--timeout S",
                   "--memo TEXT", "--json"):
        assert common in out


def test_unknown_subcommands_are_usage_errors():
    for argv in (("tx", "bogus"), ("tx", "bogus", "--help"), ("light", "bogus")):
        r = run(*argv)
        assert r.returncode == 2, f"causeway {' '.join(argv)}: {r.returncode}"
        assert "unknown" in r.stderr

"""causeway-relayer's command line: `COMMAND --help` prints that command's full usage on
stdout and exits 0, whatever else is on the line (no config is read, no chain is needed);
`--help` alone lists every command; a wrong command or option still exits 2."""

import subprocess

import pytest

from conftest import require_bin

COMMANDS = ["start", "create-clients", "create-channel", "clear", "status"]


def run(*args):
    exe = require_bin("causeway-relayer")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_command_help_prints_its_usage_and_exits_0(cmd, flag):
    r = run(cmd, flag)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout.startswith(f"usage: causeway-relayer {cmd} --config FILE"), r.stdout
    assert "--config FILE" in r.stdout and "--log-level" in r.stdout, r.stdout
    assert "unknown" not in r.stderr, r.stderr
    # the help wins over whatever else is on the line (no config is read)
    r2 = run(cmd, "--config", "/nonexistent.json", flag)
    assert r2.returncode == 0 and r2.stdout == r.stdout, (r2.returncode, r2.stderr)


def test_clear_help_names_its_own_option():
    assert "--timeout-s N" in run("clear", "--help").stdout
    assert "--timeout-s" not in run("status", "--help").stdout


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_lists_every_command(args):
    r = run(*args)
    assert r.returncode == 0, r.stderr
    for cmd in COMMANDS:
        assert f"\n  {cmd} " in r.stdout, r.stdout
    assert "COMMAND --help" in r.stdout


def test_help_command_names_one_command():
    r = run("help", "clear")
    assert r.returncode == 0 and r.stdout.startswith("usage: causeway-relayer clear"), r.stdout


def test_usage_errors_still_exit_2():
    r = run("bogus", "--help")
    assert r.returncode == 2 and 'unknown command "bogus"' in r.stderr, r.stderr
    r = run("status", "--bogus")
    assert r.returncode == 2 and "unknown or incomplete option" in r.stderr, r.stderr
    r = run()
    assert r.returncode == 2 and "usage:" in r.stderr

"""Shared fixtures for the integration suites: where the binaries are, free ports, and
process start/stop that always kills what it started (even when a test fails).

Environment:
  CW_BUILD          build directory (scripts/run-tests.sh sets it); default <repo>/build
  CW_RPC_SERVER_CMD run the RPC suites against this command instead of causeway-chain, with
                    {port} and {home} substituted (e.g. a demo server exposing `status` and
                    the `blocks` topic)
"""

import os
import shlex
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CW_BUILD") or os.path.join(REPO, "build")


# `make test` runs the integration suites against the ASan+UBSan builds (CW_BIN_FLAVOUR=san),
# so bad input reaching a real process is checked by the sanitizers too.
FLAVOUR = os.environ.get("CW_BIN_FLAVOUR", "rel")


def bin_path(name, flavour=None):
    """Path of build/<flavour>/bin/<name> (it may not exist: see require_bin)."""
    return os.path.join(BUILD, flavour or FLAVOUR, "bin", name)


def require_bin(name, flavour=None):
    """The binary's path, or skip the test LOUDLY when it has not been built."""
    p = bin_path(name, flavour)
    if not os.access(p, os.X_OK):
        msg = f"SKIPPING: {p} is not built (yet)"
        print(f"\n######## {msg} ########", file=sys.stderr)
        pytest.skip(msg)
    return p


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago (the kernel's ephemeral choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None, host="127.0.0.1"):
    """Wait until something accepts TCP connections on host:port (or proc exits)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening "
                               f"on {port}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(delay)  # polling a condition with backoff, not a fixed sleep
            delay = min(delay * 2, 0.2)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout} s")


class Procs:
    """Processes started by one test; stop_all() kills every one of them (TERM, then KILL)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = []

    def start(self, argv, name=None, env=None):
        name = name or os.path.basename(argv[0])
        log = open(os.path.join(self.logdir, f"{name}.{len(self.procs)}.log"), "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                             start_new_session=True)
        p.log_path = log.name
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=10.0):
        """Stop one process we started; returns its exit code."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
                return p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
        return p.wait()

    def kill9(self, p):
        return self.stop(p, signal.SIGKILL)

    def log(self, p):
        with open(p.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


@pytest.fixture
def procs(tmp_path):
    ps = Procs(str(tmp_path))
    try:
        yield ps
    finally:
        ps.stop_all()


def init_chain(home, chain_id="alpha", port=0, interval_ms=50, validators=4,
               accounts="alice,bob,relayer", denoms="stake", amount=1000000000000):
    """`causeway-chain init` a home directory (the real binary, as a user runs it)."""
    exe = require_bin("causeway-chain")
    subprocess.run([exe, "init", "--home", home, "--chain-id", chain_id, "--port", str(port),
                    "--block-interval-ms", str(interval_ms), "--validators", str(validators),
                    "--accounts", accounts, "--denoms", denoms, "--amount", str(amount)],
                   check=True, stdout=subprocess.DEVNULL)
    return home


def chain_argv(home, port):
    """How a test chain node is started (CW_RPC_SERVER_CMD overrides, for other servers)."""
    custom = os.environ.get("CW_RPC_SERVER_CMD")
    if custom:
        return [a.format(port=port, home=home) for a in shlex.split(custom)]
    exe = require_bin("causeway-chain")
    if not os.path.exists(os.path.join(home, "genesis.json")):
        init_chain(home, port=port)
    return [exe, "start", "--home", home, "--port", str(port)]


def start_chain(procs, home, port, name="chain"):
    """Start causeway-chain on home and wait until it listens; returns the process."""
    p = procs.start(chain_argv(home, port), name=name)
    try:
        wait_port(port, proc=p)
    except Exception:
        print(procs.log(p), file=sys.stderr)
        raise
    return p


@pytest.fixture
def rpc_server(procs, tmp_path):
    """A running RPC server (causeway-chain, or CW_RPC_SERVER_CMD): yields its port."""
    port = free_port()
    home = str(tmp_path / "home")
    start_chain(procs, home, port, name="rpc-server")
    yield port


def pytest_terminal_summary(terminalreporter):
    """Make skips loud in `make test`'s short output: one banner per distinct reason."""
    reasons = {}
    for rep in terminalreporter.stats.get("skipped", []):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, n in reasons.items():
        terminalreporter.write_line(f"######## {n} integration test(s) {reason} ########")

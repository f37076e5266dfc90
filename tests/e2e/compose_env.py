"""What the container e2e tests share (DESIGN §10, §12): a compose project driven the way an
operator drives it — its own project name, ports chosen free at test time, waits on
conditions within a budget, never on fixed sleeps — and the chains read from the host with
the integration suites' independent Python MessagePack-RPC client, txs signed here with the
keys the chains wrote into their volumes (copied out with `docker exec cat`).

Used by test_containers.py (docker/compose.yaml, two chains) and test_hub_containers.py
(docker/compose.hub.yaml, three chains)."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import cwchain  # noqa: E402
import cwrpc  # noqa: E402

IMAGE = os.environ.get("CAUSEWAY_IMAGE", "causeway:latest")
PROM_IMAGE = os.environ.get("CAUSEWAY_PROMETHEUS_IMAGE", "causeway-prometheus:latest")
BUDGET_S = float(os.environ.get("E2E_BUDGET_S", "300"))
BLOCK_MS = os.environ.get("E2E_BLOCK_INTERVAL_MS", "200")
_budget = {"t0": time.monotonic()}


def start_budget():
    """Start the E2E_BUDGET_S budget of one test module (its project fixture calls it)."""
    _budget["t0"] = time.monotonic()


def docker_answers():
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_cmd():
    """`docker compose` (v2) when the CLI has it, else `docker-compose` (v1)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor `docker-compose` is installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remaining(cap):
    """Seconds left for one wait: at most cap, never past the whole module's budget."""
    left = BUDGET_S - (time.monotonic() - _budget["t0"])
    if left <= 0:
        raise TimeoutError(f"e2e budget of {BUDGET_S:.0f} s exhausted")
    return min(cap, left)


def run(*args, check=True, timeout=120, env=None):
    r = subprocess.run(list(args), capture_output=True, text=True, env=env,
                       timeout=remaining(timeout))
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def wait_for(pred, what, timeout=60.0, interval=0.2):
    """Poll pred() until it returns a true value. The interval only paces the polling of a
    condition; nothing waits for time alone to pass."""
    deadline = time.monotonic() + remaining(timeout)
    last = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except (OSError, cwrpc.RpcError, TimeoutError, EOFError) as e:  # node (re)starting
            last = e
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last})"
                                                                   if last else ""))
        time.sleep(interval)


class Project:
    """One compose project of `compose_file` with `chains` (services running
    causeway-chain), each published on a free port (CAUSEWAY_<CHAIN>_PORT), as are the
    relayer's, Prometheus's and the keeper's metrics."""

    def __init__(self, compose_file, chains, tag):
        self.name = f"causeway-{tag}-{os.getpid()}"
        self.file = compose_file
        self.compose = compose_cmd()
        self.ports = {c: free_port() for c in chains}
        self.ports.update(metrics=free_port(), prometheus=free_port(), keeper=free_port())
        self.env = dict(os.environ, CAUSEWAY_IMAGE=IMAGE, CAUSEWAY_BLOCK_INTERVAL_MS=BLOCK_MS,
                        CAUSEWAY_RELAYER_METRICS_PORT=str(self.ports["metrics"]),
                        CAUSEWAY_PROMETHEUS_IMAGE=PROM_IMAGE,
                        CAUSEWAY_PROMETHEUS_PORT=str(self.ports["prometheus"]),
                        CAUSEWAY_KEEPER_METRICS_PORT=str(self.ports["keeper"]),
                        **{f"CAUSEWAY_{c.upper()}_PORT": str(self.ports[c]) for c in chains})
        self.keys = tempfile.mkdtemp(prefix=f"causeway-{tag}-keys-")
        self.nonces = {}
        self.volumes = set()

    def dc(self, *args, check=True, timeout=180):
        return run(*self.compose, "-p", self.name, "-f", self.file, *args, check=check,
                   timeout=timeout, env=self.env)

    def cid(self, service):
        out = self.dc("ps", "-q", service).stdout.strip()
        assert out, f"no container for service {service}"
        return out.splitlines()[0]

    def inspect(self, service, fmt):
        return run("docker", "inspect", "--format", fmt, self.cid(service)).stdout.strip()

    def health(self, service):
        return self.inspect(service, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")

    def note_volumes(self, *services):
        """Remember the named volumes of these services, for the check after `down -v`."""
        for s in services:
            for m in json.loads(run("docker", "inspect", "--format", "{{json .Mounts}}",
                                    self.cid(s)).stdout):
                if m.get("Type") == "volume":
                    self.volumes.add(m["Name"])

    def url(self, chain):
        return f"ws://127.0.0.1:{self.ports[chain]}/"

    def call(self, chain, method, *params):
        with cwrpc.Client(self.url(chain), timeout=10) as c:
            return c.call(method, *params)

    def key(self, chain, name):
        """The key `name` from the chain's volume, copied out once."""
        home = os.path.join(self.keys, chain)
        path = os.path.join(home, "keys", f"{name}.json")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = run("docker", "exec", self.cid(chain), "cat", f"/data/keys/{name}.json").stdout
            with open(path, "w") as f:
                f.write(data)
        return cwchain.Key.load(home, name)

    def status(self, chain):
        return self.call(chain, "status")  # [chain_id, height, time_ns, hash, root, ...]

    def submit(self, chain, name, msgs, wait=True):
        k = self.key(chain, name)
        with cwrpc.Client(self.url(chain), timeout=10) as c:
            if (chain, name) not in self.nonces:
                self.nonces[(chain, name)] = c.call("account", k.address)[2]
            env = cwchain.sign_tx(k, chain, self.nonces[(chain, name)], msgs)
            self.nonces[(chain, name)] += 1
            h = c.call("broadcast_tx", env)
        if wait:
            res = wait_for(lambda: self.tx(chain, h), f"tx {h.hex()} on {chain}", timeout=60)
            return h, res
        return h, None

    def tx(self, chain, h):
        try:
            return self.call(chain, "tx", h)
        except cwrpc.RpcError as e:
            if "not found" in e.message:
                return None
            raise

    def balance(self, chain, addr, denom):
        with cwrpc.Client(self.url(chain), timeout=10) as c:
            return cwchain.balance(c, addr, denom)[0]

    def metrics(self, which):
        """The text of /metrics on the published port `which` (metrics: the relayer's)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[which]}/metrics",
                                    timeout=5) as r:
            return r.read().decode()

    def prometheus_api(self, path):
        url = f"http://127.0.0.1:{self.ports['prometheus']}/api/v1/{path}"
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def down_and_check(self, *profiles):
        """`down -v` with every profile, then assert nothing of the project is left."""
        flags = [x for p in profiles for x in ("--profile", p)]
        down = self.dc(*flags, "down", "-v", "--remove-orphans", "--timeout", "5", check=False,
                       timeout=120)
        shutil.rmtree(self.keys, ignore_errors=True)
        label = f"label=com.docker.compose.project={self.name}"
        left = [run("docker", *kind, "--filter", label, check=False, timeout=30).stdout.split()
                for kind in (["ps", "-aq"], ["network", "ls", "-q"], ["volume", "ls", "-q"])]
        left_volumes = [v for v in self.volumes
                        if run("docker", "volume", "inspect", v, check=False,
                               timeout=30).returncode == 0]
        assert down.returncode == 0, f"compose down failed:\n{down.stdout}\n{down.stderr}"
        assert left == [[], [], []] and not left_volumes, \
            f"compose down left containers/networks/volumes {left} {left_volumes}"


def require_image(image):
    if run("docker", "image", "inspect", image, check=False).returncode != 0:
        pytest.fail(f"image {image} is missing: run `make image` first")


@contextlib.contextmanager
def deployment(make_project, services, profiles, timeout=120):
    """A module's deployment: its budget started, the image required, `compose up -d`, the
    relayer healthy, the named volumes of `services` noted; on exit `down -v` with every one
    of `profiles` and the check that nothing is left."""
    start_budget()
    require_image(IMAGE)
    p = make_project()
    try:
        p.dc("up", "-d", timeout=240)
        wait_for(lambda: p.health("relayer") == "healthy", "the relayer to be healthy",
                 timeout=timeout)
        p.note_volumes(*services)
        yield p
    finally:
        p.down_and_check(*profiles)

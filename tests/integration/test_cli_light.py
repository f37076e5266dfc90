"""causeway light gen / verify, driven as a user would (exit codes 0/1/2, --json), with an
independent MessagePack implementation checking the formats of DESIGN §5-§6."""
import hashlib
import json
import os
import subprocess

import msgpack
import pytest

BUILD = os.environ.get("CW_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
CAUSEWAY = os.path.join(BUILD, "rel", "bin", "causeway")
SEC = 10**9
START = 1_700_000_000 * SEC
NOW = START + 3600 * SEC


def run(*args, stdin=None):
    return subprocess.run([CAUSEWAY, "light", *args], input=stdin, capture_output=True,
                          timeout=60)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("chain")
    r = run("gen", "--out", str(d), "--validators", "7", "--heights", "12",
            "--start-time", str(START), "--change-at", "5", "--fork-at", "8")
    assert r.returncode == 0, r.stderr
    return d


def verify(d, block, *extra, trusted="trusted.msgpack", now=NOW):
    return run("verify", "--client-state", str(d / "client_state.msgpack"),
               "--trusted", str(d / trusted) if trusted != "-" else "-",
               "--light-block", str(d / block) if "/" not in block else block,
               "--now", str(now), *extra)


def test_adjacent_block_is_valid_and_json_names_the_new_state(chain):
    r = verify(chain, "block_2.msgpack", "--json")
    assert r.returncode == 0, r.stdout
    out = json.loads(r.stdout)
    assert out["valid"] and out["mode"] == "adjacent" and out["height"] == 2
    hdr = msgpack.unpackb((chain / "block_2.msgpack").read_bytes())[0][0]
    assert out["consensus_state"]["timestamp_ns"] == hdr[2]
    assert out["consensus_state"]["state_root"] == hdr[4].hex()
    assert out["consensus_state"]["next_validators_hash"] == hdr[7].hex()


def test_skipping_across_a_validator_set_change(chain):
    r = verify(chain, "block_12.msgpack", "--json")
    assert r.returncode == 0, r.stdout
    out = json.loads(r.stdout)
    assert out["mode"] == "skipping"
    assert out["trusted_signed_power"] * 3 > out["trusted_total_power"]


def test_formats_match_an_independent_msgpack(chain):
    lb = msgpack.unpackb((chain / "block_3.msgpack").read_bytes())
    (header, commit), vals, next_vals = lb
    assert len(header) == 9 and isinstance(header[0], str)
    # canonical: the independent encoder reproduces the bytes, and the hashes bind
    assert msgpack.packb(lb) == (chain / "block_3.msgpack").read_bytes()
    assert hashlib.sha256(msgpack.packb(header)).digest() == commit[1]
    assert hashlib.sha256(msgpack.packb(vals)).digest() == header[6]
    assert hashlib.sha256(msgpack.packb(next_vals)).digest() == header[7]
    assert [v[0] for v in vals] == sorted(v[0] for v in vals)
    idx = [s[0] for s in commit[2]]
    assert idx == sorted(set(idx))
    cs = msgpack.unpackb((chain / "client_state.msgpack").read_bytes())
    assert cs[:3] == ["alpha", 1, 3] and cs[6] == 0
    ts = msgpack.unpackb((chain / "trusted.msgpack").read_bytes())
    assert ts[0] == 1 and len(ts[1]) == 3


def test_chained_verification_with_out_trusted_and_stdin(chain, tmp_path):
    nxt = tmp_path / "t5.msgpack"
    r = verify(chain, "block_5.msgpack", "--out-trusted", str(nxt))
    assert r.returncode == 0, r.stdout
    r = run("verify", "--client-state", str(chain / "client_state.msgpack"), "--trusted", "-",
            "--light-block", str(chain / "block_6.msgpack"), "--now", str(NOW),
            stdin=nxt.read_bytes())
    assert r.returncode == 0, r.stdout
    assert b"adjacent header at height 6" in r.stdout


def test_too_few_signatures_is_invalid(tmp_path):
    r = run("gen", "--out", str(tmp_path), "--validators", "3", "--heights", "3",
            "--start-time", str(START), "--missing", "1")
    assert r.returncode == 0
    r = verify(tmp_path, "block_2.msgpack", "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert not out["valid"] and "2/3" in out["error"] and out["code"].startswith("CW_ETHRESHOLD")


def test_tampered_block_is_invalid(chain, tmp_path):
    raw = bytearray((chain / "block_2.msgpack").read_bytes())
    lb = msgpack.unpackb(bytes(raw))
    lb[0][0][4] = bytes(32)  # another state root under the same signatures
    p = tmp_path / "tampered.msgpack"
    p.write_bytes(msgpack.packb(lb))
    r = verify(chain, str(p))
    assert r.returncode == 1 and b"SHA256(header)" in r.stdout


def test_non_canonical_and_truncated_inputs_are_invalid(chain, tmp_path):
    raw = (chain / "block_2.msgpack").read_bytes()
    for name, data in [("trunc", raw[:-1]), ("extra", raw + b"\xc0")]:
        p = tmp_path / name
        p.write_bytes(data)
        r = verify(chain, str(p))
        assert r.returncode == 1, name
    cs = msgpack.unpackb((chain / "client_state.msgpack").read_bytes())
    p = tmp_path / "cs_noncanon"
    # latest_height 1 as a uint64 (0xcf): same value, not the canonical bytes
    p.write_bytes(b"\x97" + b"".join(msgpack.packb(x) for x in cs[:5]) +
                  b"\xcf" + (1).to_bytes(8, "big") + msgpack.packb(cs[6]))
    r = run("verify", "--client-state", str(p), "--trusted", str(chain / "trusted.msgpack"),
            "--light-block", str(chain / "block_2.msgpack"), "--now", str(NOW))
    assert r.returncode == 1 and b"non-canonical" in r.stdout


def test_expired_trust_and_future_header_are_invalid(chain):
    r = verify(chain, "block_2.msgpack", now=START + 15 * 24 * 3600 * SEC)
    assert r.returncode == 1 and b"CW_EEXPIRED" in r.stdout
    # block H has time START + H s; max clock drift is 10 s
    r = verify(chain, "block_2.msgpack", now=START)  # 2 s ahead of now: within the drift
    assert r.returncode == 0
    r = verify(chain, "block_12.msgpack", now=START + 2 * SEC)  # exactly now + drift
    assert r.returncode == 1 and b"max clock drift" in r.stdout


def test_usage_errors_exit_2(chain):
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("verify").returncode == 2
    assert run("verify", "--client-state", "x", "--trusted", "y").returncode == 2
    assert verify(chain, "block_2.msgpack", "--bogus").returncode == 2
    assert verify(chain, "block_2.msgpack", now="soon").returncode == 2
    assert run("gen").returncode == 2
    assert run("gen", "--out", "/tmp/x", "--validators", "0").returncode == 2
    assert run("verify", "--help").returncode == 0


def test_missing_file_is_a_failure_not_a_crash(chain):
    r = verify(chain, "block_99.msgpack")
    assert r.returncode == 1 and b"block_99" in r.stdout


def test_the_trust_roots_own_block_with_bad_signatures_is_invalid(chain, tmp_path):
    # block 1 yields exactly the trusted consensus state: the light client's update calls it
    # a no-op without checking its commit (DESIGN §6), but "valid" here means verified, so
    # the header is still verified and refused (it is not above the trusted height)
    ts = msgpack.unpackb((chain / "trusted.msgpack").read_bytes())
    lb = msgpack.unpackb((chain / "block_1.msgpack").read_bytes())
    assert ts[0] == 1 and lb[0][0][2] == ts[1][0]
    for s in lb[0][1][2]:
        s[1] = bytes(b ^ 0xff for b in s[1])
    p = tmp_path / "root_badsig.msgpack"
    p.write_bytes(msgpack.packb(lb))
    r = verify(chain, str(p), "--json")
    assert r.returncode == 1, r.stdout
    out = json.loads(r.stdout)
    assert not out["valid"] and "not above the trusted height" in out["error"]

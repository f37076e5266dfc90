"""`causeway proof verify` end to end: the release binary on the ICS-23 vectors.

Exit codes 0 valid / 1 invalid / 2 usage error, --json output, @FILE (hex and raw bytes).
Vectors are read from $CW_SHARED/vectors/ics23 (skipped loudly locally, failed in CI).
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("CW_BUILD", ROOT / "build")) / "rel" / "bin" / "causeway"
SHARED = Path(os.environ.get("CW_SHARED", ROOT.parent / "shared"))
VEC = SHARED / "vectors" / "ics23" / "testdata"
TREES = ["iavl", "tendermint", "smt"]
NAMES = ["exist_left", "exist_middle", "exist_right",
         "nonexist_left", "nonexist_middle", "nonexist_right"]


def need_vectors():
    if not VEC.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"test vectors missing in CI: {VEC}")
        pytest.skip(f"WARNING: SKIPPING - vectors not found at {VEC}")


def run(*args, stdin=None):
    assert BIN.exists(), f"build the CLI first: {BIN}"
    return subprocess.run([str(BIN), "proof", *args], capture_output=True, text=True,
                          input=stdin, timeout=30)


def load(tree, name):
    return json.loads((VEC / tree / f"{name}.json").read_text())


def args_for(v, spec, proof=None):
    a = ["verify", "--spec", spec, "--root", v["root"], "--key", v["key"],
         "--proof", proof or v["proof"]]
    if v["value"]:
        a += ["--value", v["value"]]
    return a


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("name", NAMES)
def test_vector_valid_under_own_spec(tree, name):
    need_vectors()
    v = load(tree, name)
    r = run(*args_for(v, tree), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["valid"] is True
    assert out["kind"] == ("membership" if v["value"] else "non-membership")


@pytest.mark.parametrize("tree", TREES)
def test_vector_invalid_under_other_spec_names_the_step(tree):
    need_vectors()
    v = load(tree, "exist_middle")
    other = TREES[(TREES.index(tree) + 1) % 3]
    r = run(*args_for(v, other), "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["valid"] is False and out["code"] == "CW_EBADPROOF"
    assert out["error"].startswith("exist: ")


def test_wrong_root_is_invalid_human_output():
    need_vectors()
    v = load("smt", "exist_left")
    v["root"] = ("0" if v["root"][0] != "0" else "1") + v["root"][1:]
    r = run(*args_for(v, "smt"))
    assert r.returncode == 1
    assert r.stdout.startswith("invalid: ") and "root" in r.stdout


def test_proof_from_file_hex_raw_and_stdin(tmp_path):
    need_vectors()
    v = load("iavl", "nonexist_middle")
    hexf = tmp_path / "p.hex"
    hexf.write_text("0x" + v["proof"] + "\n")
    rawf = tmp_path / "p.bin"
    rawf.write_bytes(bytes.fromhex(v["proof"]))
    for p in (f"@{hexf}", f"@{rawf}"):
        assert run(*args_for(v, "iavl", proof=p)).returncode == 0
    r = run(*args_for(v, "iavl", proof="@-"), stdin=v["proof"])
    assert r.returncode == 0, r.stderr


def test_garbage_proof_is_invalid_not_a_crash():
    need_vectors()
    v = load("iavl", "exist_left")
    r = run(*args_for(v, "iavl", proof="ffffffff"), "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["code"] == "CW_EMALFORMED"


HIST = SHARED / "vectors" / "ics23" / "historical" / "90b4eefc0c10ccd6d707965a3c51f185727c99a7" / "testdata"


@pytest.mark.parametrize("tree", TREES)
def test_batch_vector_item_valid_variant_decided_by_library(tree):
    need_vectors()
    b = json.loads((HIST / tree / "batch_exist.json").read_text())
    it = b["items"][0]
    v = {"root": b["root"], "key": it["key"], "value": it["value"], "proof": b["proof"]}
    r = run(*args_for(v, tree), "--json")
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_and_library_agree_on_the_variant():
    """The CLI used to pick the batch or single verifier from the first byte, while the
    library keeps the last oneof member protobuf-c decodes: on `1a 00 ‖ exist` (an empty
    batch member, then the exist proof) the CLI ran the batch verifier and said "needs the
    batch variant", while the library's membership verifier accepted the same bytes; on
    `0a 00 ‖ batch` the reverse. Now one library call decides, and both inputs are refused
    for the one reason the library gives: they are not canonical protobuf."""
    need_vectors()
    v = load("iavl", "exist_middle")
    b = json.loads((HIST / "iavl" / "batch_exist.json").read_text())
    it = b["items"][0]
    bv = {"root": b["root"], "key": it["key"], "value": it["value"], "proof": b["proof"]}
    for case in ({**v, "proof": "1a00" + v["proof"]}, {**bv, "proof": "0a00" + bv["proof"]}):
        r = run(*args_for(case, "iavl"), "--json")
        assert r.returncode == 1, r.stdout + r.stderr
        out = json.loads(r.stdout)
        assert out["code"] == "CW_EMALFORMED", out
        assert "not canonical protobuf" in out["error"], out


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["verify"],
    ["verify", "--spec", "nope", "--root", "00" * 32, "--key", "01", "--proof", "0a00"],
    ["verify", "--spec", "smt", "--root", "00" * 31, "--key", "01", "--proof", "0a00"],
    ["verify", "--spec", "smt", "--root", "zz" * 32, "--key", "01", "--proof", "0a00"],
    ["verify", "--spec", "smt", "--root", "11" * 32, "--key", "", "--proof", "0a00"],
    ["verify", "--spec", "smt", "--root", "11" * 32, "--key", "01", "--proof", "@/nonexistent"],
    ["verify", "--spec", "smt", "--root", "11" * 32, "--key", "01", "--proof", "0a00", "--bogus"],
    ["verify", "--spec", "smt", "--spec", "smt", "--root", "11" * 32, "--key", "01", "--proof", "0a"],
])
def test_usage_errors_exit_2(argv):
    r = run(*argv)
    assert r.returncode == 2, (argv, r.stdout, r.stderr)
    assert r.stderr


def test_help_exits_0():
    r = run("verify", "--help")
    assert r.returncode == 0 and "usage:" in r.stdout

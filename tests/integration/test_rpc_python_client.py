"""The RPC server seen by an independent Python client (msgpack + websockets, not our C
client): DESIGN §5 "RPC" and §11 behaviour on bad input, against a real server process.

Needs build/rel/bin/causeway-chain (skipped loudly until it exists) or CW_RPC_SERVER_CMD
(see conftest.py). Only relies on what every Causeway RPC server has: the `status` method,
the `blocks` topic, and the runtime's HTTP endpoints."""

import json
import re

import pytest

import cwrpc
from cwrpc import Client, RpcClosed, RpcError, pack


@pytest.fixture
def url(rpc_server):
    return f"ws://127.0.0.1:{rpc_server}"


def test_call_and_msgid_matching(url):
    with Client(url) as c:
        assert c.call("status") is not None
        # pipelined: both requests out before either answer is read; matched by msgid
        a = c.request("status")
        b = c.request("nonesuch")
        with pytest.raises(RpcError) as e:
            c.wait_response(b)
        assert e.value.code == cwrpc.CW_ENOTFOUND
        assert "nonesuch" in e.value.message
        assert c.wait_response(a) is not None


def test_connect_without_subprotocol(url):
    with Client(url, subprotocol=None) as c:
        assert c.call("status") is not None


def test_malformed_frames_answered_connection_lives(url):
    with Client(url) as c:
        c.send_raw(b"\xc1")  # reserved msgpack byte
        f = c.next_orphan()
        assert f[0] == 1 and f[1] is None and f[3] is None
        assert f[2][0] == cwrpc.CW_EMALFORMED

        c.send_raw(bytes.fromhex("9400cd0007a16d90"))  # msgid 7 as uint16: not canonical
        f = c.next_orphan()
        assert f[2][0] == cwrpc.CW_ENONCANONICAL

        c.send_raw(pack([0, 9, "status", "not-an-array"]))  # msgid readable: echoed
        f = c.next_orphan()
        assert f[1] == 9 and f[2][0] == cwrpc.CW_EMALFORMED

        c.send_raw(pack([0, 10, "status", [{"a": 1}]]))  # maps are not allowed anywhere
        f = c.next_orphan()
        assert f[2][0] == cwrpc.CW_EMALFORMED

        c.send_raw('[0, 1, "status", []]')  # text frame
        f = c.next_orphan()
        assert f[1] is None and f[2][0] == cwrpc.CW_EMALFORMED

        assert c.call("status") is not None


def test_fragmented_request_is_reassembled(url):
    with Client(url) as c:
        c.send_raw(pack([0, 77, "status", []]), fragments=4)
        assert c.wait_response(77) is not None
        # a big fragmented request (unknown method, so the size does not matter to it)
        c.send_raw(pack([0, 78, "nonesuch", [b"\0" * 200000]]), fragments=16)
        with pytest.raises(RpcError) as e:
            c.wait_response(78)
        assert e.value.code == cwrpc.CW_ENOTFOUND


def test_oversized_frame_closes_only_that_connection(url):
    with Client(url) as big, Client(url) as other:
        try:  # the server may close while the client is still sending
            big.send_raw(pack([0, 1, "status", [b"\0" * (5 << 20)]]), fragments=40)
            code = big.wait_closed()
        except RpcClosed:
            code = big.close_code
        assert code == 1009
        with pytest.raises(RpcClosed):
            big.call("status")
        assert other.call("status") is not None


def test_subscribe_blocks_in_order(url):
    with Client(url) as c:
        with pytest.raises(RpcError) as e:
            c.subscribe("nonesuch")
        assert e.value.code == cwrpc.CW_ENOTFOUND
        c.subscribe("blocks")
        seen = []
        for _ in range(3):
            topic, payload = c.next_notification(timeout=30)
            assert topic == "blocks"
            seen.append(payload)
        assert len(seen) == 3
        assert c.call("status") is not None  # calls still work while notifications flow


PROM_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def test_http_endpoints(rpc_server):
    base = f"http://127.0.0.1:{rpc_server}"
    status, ctype, body = cwrpc.http_get(base, "/healthz")
    assert status == 200 and ctype.startswith("text/plain") and body.strip() == "ok"

    status, ctype, body = cwrpc.http_get(base, "/status")
    assert status == 200 and ctype.startswith("application/json")
    assert isinstance(json.loads(body), dict)

    status, ctype, body = cwrpc.http_get(base, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    typed = set()
    for line in body.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        m = PROM_SAMPLE.match(line)
        assert m, line
        float(m.group(3))  # a number (NaN and +Inf parse too)
        assert m.group(1) in typed, f"no # TYPE before {line}"
    assert "cw_rpc_subscribers_dropped_total" in typed
    assert "cw_rpc_frames_rejected_total" in typed

    status, _, _ = cwrpc.http_get(base, "/nope")
    assert status == 404

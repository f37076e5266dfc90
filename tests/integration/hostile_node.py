"""A hostile 'lending node' for the keeper's robustness test: a MessagePack-RPC WebSocket
server whose status answers are well formed (a new height each time, so the keeper keeps
running rounds) and whose every other answer is wrong in a different way each time —
wrong types and arities, addresses out of order, quotes about someone else, bad trace
denoms and market assets, garbage notifications, refusals. Usage: hostile_node.py PORT."""

import asyncio
import itertools
import sys

import msgpack
import websockets

A = bytes([0x22]) * 20
B = bytes([0x11]) * 20
TRACE = "ibc/" + "AB" * 32
U128 = (10 ** 17).to_bytes(16, "big")  # health factor 0.1
DEBT = (900).to_bytes(16, "big")
ONE = (10 ** 18).to_bytes(16, "big")  # the price unit's asset: 1.0

height = itertools.count(1)

BORROWERS = itertools.cycle([
    "not an array",
    [1, 2],
    [5, [A, B], None],                    # not ascending
    [5, [b"\x01" * 19], None],            # a 19-byte address
    [5, [B, A], None],                    # a good page
    [5, [B, A], B],                       # more pages promised, then garbage
])
QUOTES = itertools.cycle([
    [],
    [A, DEBT, U128, 0, "", [["uusd", DEBT, ONE, TRACE, 1000, U128, 500, True, DEBT]]],  # another
    [B, DEBT, U128, 0, "", [["uusd", DEBT, ONE, "ibc/bad", 1000, U128, 500, True, DEBT]]],  # trace
    [B, DEBT, U128, 0, "", [["u/sd", DEBT, ONE, TRACE, 1000, U128, 500, True, DEBT]]],  # asset
    [B, DEBT, U128, 0, "", [[TRACE, 1000, U128, 500, True, DEBT]]],        # the old item shape
    [B, DEBT, U128, 7, "", []],                                            # refusal not a code
    [B, DEBT, U128, 0, "x\x00y", []],                                      # NUL in the reason
    [B, DEBT, U128, 0, "", [["uusd", DEBT, ONE, TRACE, 1000, U128, 500, True, DEBT]]],  # looks ok
])


def answer(method):
    if method == "status":
        h = next(height)
        return None, ["beta", h, 10 ** 18 + h, b"\x00" * 32, b"\x00" * 32, 0, 0]
    if method == "subscribe":
        return None, None
    if method == "lend_borrowers":
        return None, next(BORROWERS)
    if method == "lend_quote":
        return None, next(QUOTES)
    if method == "account":
        return None, {"not": "an account"}
    return [-30013, f"{method}: not here"], None


async def serve(ws):
    async def noise():
        for i in itertools.count():
            await asyncio.sleep(0.05)  # pacing the garbage notifications, nothing waits on it
            await ws.send(msgpack.packb([2, "blocks", [["garbage", i]]]))
    task = asyncio.ensure_future(noise())
    try:
        async for frame in ws:
            try:
                req = msgpack.unpackb(frame)
                _, msgid, method, _params = req
            except Exception:
                continue
            err, res = answer(method)
            await ws.send(msgpack.packb([1, msgid, err, res], use_bin_type=True))
    except websockets.exceptions.ConnectionClosed:
        pass
    finally:
        task.cancel()


async def main(port):
    async with websockets.serve(serve, "127.0.0.1", port, subprotocols=["causeway-rpc"],
                                compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

"""An independent MessagePack-RPC-over-WebSocket client for the integration suites.

Independent of the C code on purpose: Python's `msgpack` for the encoding (it packs
canonically: shortest ints, bin for bytes) and `websockets` for RFC 6455, so a bug shared by
our C client and server cannot hide. Synchronous API over a private asyncio loop (works with
websockets 10 … 17).

    with Client("ws://127.0.0.1:26657") as c:
        c.call("status")                       # -> result, or raises RpcError(code, message)
        c.subscribe("blocks")
        topic, payload = c.next_notification(timeout=5)
        header, events, txs, txs_total = block_note(payload)   # a `blocks` notification
        height, txs = block_results(c, height)                 # every page of a block

The chain's answers whose shapes the suites read are decoded here once (block_results,
the `blocks` notification), as the C code reads them with causeway/rpc_results.h.

Frames: request [0, msgid, method, params], response [1, msgid, error, result] with
error = [code, message] (code: a negative Causeway CW_E* code or -errno), notification
[2, method, params]. Everything is bounded by timeouts; queues are bounded (overflow raises
instead of dropping silently).
"""

import asyncio
import collections
import urllib.error
import urllib.request

import msgpack
import websockets

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2
SUBPROTOCOL = "causeway-rpc"

# Causeway error codes (include/causeway/error.h) the RPC runtime puts on the wire.
CW_EMALFORMED = -30001
CW_ENONCANONICAL = -30002
CW_ETOOBIG = -30003
CW_EINVAL = -30004
CW_ENOTFOUND = -30013

QUEUE_MAX = 10000


class RpcError(Exception):
    """The server answered with an error [code, message]."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RpcClosed(Exception):
    """The connection is closed (close_code says how, when known)."""


class RpcTimeout(Exception):
    """Nothing arrived before the deadline."""


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True)


class Client:
    def __init__(self, url, timeout=10.0, subprotocol=SUBPROTOCOL, max_size=8 << 20):
        self.url = url
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._msgid = 0
        self.notifications = collections.deque()  # (topic, params)
        self.orphans = collections.deque()  # responses nobody waited for (e.g. msgid nil)
        self._pending = set()  # msgids sent and not yet answered
        self._answered = {}  # msgid -> response frame, for pipelined requests
        self.close_code = None
        kwargs = dict(max_size=max_size, compression=None)
        if subprotocol:
            kwargs["subprotocols"] = [subprotocol]
        try:
            self._ws = self._run(websockets.connect(url, **kwargs), timeout)
        except BaseException:
            self._loop.close()
            raise

    # -- plumbing ------------------------------------------------------------------------
    def _run(self, coro, timeout):
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coro, timeout))
        except asyncio.TimeoutError:
            raise RpcTimeout(f"{self.url}: nothing within {timeout} s") from None

    def _recv_one(self, timeout):
        """One frame from the socket, decoded and sorted into queues; returns it."""
        try:
            data = self._run(self._ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed as e:
            self.close_code = _close_code(e)
            raise RpcClosed(f"{self.url}: closed ({self.close_code})") from None
        if isinstance(data, str):
            raise AssertionError(f"server sent a text frame: {data!r}")
        frame = unpack(data)
        if not isinstance(frame, list) or not frame or frame[0] not in (1, 2):
            raise AssertionError(f"server sent a bad frame: {frame!r}")
        return frame

    def _sort(self, frame):
        """Put a frame where it belongs: notification queue, answered, or orphans."""
        if frame[0] == NOTIFICATION:
            self._queue(self.notifications, (frame[1], frame[2]))
        elif len(frame) == 4 and frame[1] in self._pending:
            self._pending.discard(frame[1])
            self._answered[frame[1]] = frame
        else:
            self._queue(self.orphans, frame)

    def _queue(self, q, item):
        if len(q) >= QUEUE_MAX:
            raise AssertionError("client queue overflow: read your notifications")
        q.append(item)

    def _next_msgid(self):
        self._msgid = (self._msgid + 1) % (1 << 32)
        return self._msgid

    # -- API -----------------------------------------------------------------------------
    def send_raw(self, data, fragments=None):
        """Send bytes (binary frame) or str (text frame) as-is; with fragments=N, split a
        binary message into N WebSocket fragments (RFC 6455 §5.4)."""
        if fragments:
            step = max(1, -(-len(data) // fragments))
            data = [data[i:i + step] for i in range(0, len(data), step)]
        try:
            self._run(self._ws.send(data), self.timeout)
        except websockets.exceptions.ConnectionClosed as e:
            self.close_code = _close_code(e)
            raise RpcClosed(f"{self.url}: closed ({self.close_code})") from None

    def request(self, method, params=(), msgid=None):
        """Send a request without waiting; returns its msgid."""
        msgid = self._next_msgid() if msgid is None else msgid
        self._pending.add(msgid)
        self.send_raw(pack([REQUEST, msgid, method, list(params)]))
        return msgid

    def wait_response(self, msgid, timeout=None):
        """Wait for the response to msgid (sent with request()); notifications and other
        responses that arrive meanwhile are kept for later."""
        self._pending.add(msgid)  # also for frames sent with send_raw
        deadline = self._loop.time() + (timeout or self.timeout)
        while msgid not in self._answered:
            left = deadline - self._loop.time()
            if left <= 0:
                raise RpcTimeout(f"no response to msgid {msgid}")
            self._sort(self._recv_one(left))
        frame = self._answered.pop(msgid)
        if frame[2] is not None:
            raise RpcError(frame[2][0], frame[2][1])
        return frame[3]

    def call(self, method, *params, timeout=None):
        return self.wait_response(self.request(method, params), timeout)

    def subscribe(self, topic, timeout=None):
        return self.call("subscribe", topic, timeout=timeout)

    def next_notification(self, timeout=None):
        """(topic, payload) of the oldest notification; payload is params[0]."""
        deadline = self._loop.time() + (timeout or self.timeout)
        while not self.notifications:
            left = deadline - self._loop.time()
            if left <= 0:
                raise RpcTimeout("no notification")
            self._sort(self._recv_one(left))
        topic, params = self.notifications.popleft()
        return topic, (params[0] if len(params) == 1 else params)

    def next_orphan(self, timeout=None):
        """The oldest response nobody waited for (e.g. the error answering a bad frame)."""
        deadline = self._loop.time() + (timeout or self.timeout)
        while not self.orphans:
            left = deadline - self._loop.time()
            if left <= 0:
                raise RpcTimeout("no unsolicited response")
            self._sort(self._recv_one(left))
        return self.orphans.popleft()

    def wait_closed(self, timeout=None):
        """Read until the server closes the connection; returns the close code."""
        deadline = self._loop.time() + (timeout or self.timeout)
        while True:
            left = deadline - self._loop.time()
            if left <= 0:
                raise RpcTimeout("connection still open")
            try:
                self._recv_one(left)
            except RpcClosed:
                return self.close_code

    def close(self):
        if self._loop.is_closed():
            return
        try:
            self._run(self._ws.close(), 5)
        except Exception:
            pass
        finally:
            self._loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def block_results(client, height):
    """Every tx of block `height` as [tx_hash, tx, result], read page by page: the chain
    answers block_results [height, start] with [height, start, total, [entry, ...]], a prefix
    of the txs from start cut at its size cap (DESIGN §5). Returns (height, txs)."""
    txs, start, total = [], 0, None
    while True:
        h, s, t, page = client.call("block_results", height, start) if start else \
            client.call("block_results", height)
        assert h == height and s == start, (height, start, h, s)
        assert total is None or t == total, "block_results: the block's tx count changed"
        total = t
        assert s + len(page) <= t, (s, len(page), t)
        txs.extend(page)
        start = s + len(page)
        if start >= total:
            return height, txs
        assert page, f"block_results({height}, {start}): an empty page before the end"


def block_note(payload):
    """A `blocks` notification [header, events, txs, txs_total]: events are those of the
    block's first txs txs (of txs_total; fewer when the chain cut the note at its frame
    limit: the rest come from block_results). Returns the four fields."""
    header, events, txs, txs_total = payload
    assert 0 <= txs <= txs_total, (txs, txs_total)
    return header, events, txs, txs_total


def note_events(client, payload):
    """Every event of the block a `blocks` notification announces: the note's own, and
    when it was cut, those of txs txs.. read with block_results (through client)."""
    header, events, txs, txs_total = block_note(payload)
    if txs == txs_total:
        return list(events)
    rest, start = list(events), txs
    while start < txs_total:
        h, s, t, page = client.call("block_results", header[1], start)
        assert h == header[1] and s == start and t == txs_total and page, (h, s, t)
        for _hash, _tx, result in page:
            rest.extend(result[2])
        start += len(page)
    return rest


def _close_code(exc):
    rcvd = getattr(exc, "rcvd", None)  # websockets >= 10
    if rcvd is not None:
        return rcvd.code
    return getattr(exc, "code", None)


def http_get(base, path, timeout=10.0):
    """(status, content_type, body text) for GET base+path; base like http://127.0.0.1:26657."""
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode(errors="replace")

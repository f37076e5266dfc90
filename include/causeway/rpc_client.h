/* Causeway — MessagePack-RPC client over WebSocket (libwebsockets 4.1).
 *
 * One lws client context and one connection per cw_rpc_client, serviced only inside the
 * calls below (no background thread): a call sends its request and services the socket
 * until the matching response arrives, the deadline passes or the connection closes.
 * Requests may also be pipelined: cw_rpc_call_send queues a request and returns its msgid at
 * once; cw_rpc_call_take later returns that request's response (responses may come in any
 * order; each is kept for its request until taken, at most CW_RPC_CLIENT_MAX_PENDING
 * requests outstanding and 64 MiB of responses not yet taken). cw_rpc_call is send + take.
 * Notifications (and responses nobody waits for) that arrive meanwhile are queued, bounded
 * by CW_RPC_CLIENT_QUEUE_FRAMES frames and CW_RPC_CLIENT_QUEUE_BYTES bytes; on overflow the
 * client closes the connection rather than lose frames silently (later calls return
 * CW_ECLOSED and err says why) — reconnect and fill the gap from queries.
 *
 * Timeouts are in milliseconds, measured on CLOCK_MONOTONIC through lws timers; a
 * timeout_ms of 0 means "do not wait" for next_* and is invalid for connect/call.
 * A call that timed out leaves the connection usable; its late response is discarded.
 *
 * Thread safety: thread-compatible. Distinct clients may be used from distinct threads at
 * once; one client must not be used by two threads at a time.
 * Memory: each client allocates its context, a receive buffer (≤ CW_RPC_MAX_FRAME_DEFAULT)
 * and the queue. A completed frame keeps the buffer it arrived in (a pending response or a
 * queued frame holds it; the next frame starts a new one), and the bytes handed out
 * (results, notification payloads) are that buffer with the element moved to its front —
 * no second copy. They are malloc'd: the caller free()s.
 *
 * Source: MessagePack-RPC spec; RFC 6455 via libwebsockets 4.1.
 */
#ifndef CAUSEWAY_RPC_CLIENT_H
#define CAUSEWAY_RPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"
#include "causeway/rpc.h"

#define CW_RPC_CLIENT_QUEUE_FRAMES 1024
#define CW_RPC_CLIENT_QUEUE_BYTES (16u << 20)
/** Requests sent and not yet taken (cw_rpc_call_send), at most. */
#define CW_RPC_CLIENT_MAX_PENDING 1024u
/** Longest URL accepted by cw_rpc_url_parse, in bytes. */
#define CW_RPC_URL_MAX 255

typedef struct cw_rpc_client cw_rpc_client;

/** A parsed ws:// URL. */
typedef struct cw_rpc_url {
    char host[CW_RPC_URL_MAX + 1]; /* hostname or IPv4 literal, or IPv6 literal without [] */
    int port;                      /* 1..65535 */
    char path[CW_RPC_URL_MAX + 1]; /* starts with '/'; "/" when the URL has none */
} cw_rpc_url;

/** Parse "ws://HOST:PORT[/PATH]" strictly. HOST: a DNS name ([A-Za-z0-9.-], labels not
 *  starting with '-'), an IPv4 literal or a bracketed IPv6 literal; PORT: required, decimal
 *  1..65535; PATH: printable ASCII without spaces; no userinfo, query or fragment.
 *  Returns: CW_OK; CW_EUNSUPPORTED wss:// (no TLS); CW_EINVAL anything else (err names the
 *           part that is wrong: scheme, host, port, path, length).
 *  Memory: writes *out only. Thread-safe. Source: RFC 6455 §3 (ws URIs). */
int cw_rpc_url_parse(cw_rpc_url *out, const char *url, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Connect and complete the WebSocket handshake (subprotocol "causeway-rpc").
 *
 *  Returns: CW_OK and *cl set; CW_EINVAL/CW_EUNSUPPORTED bad URL (see cw_rpc_url_parse) or
 *           timeout_ms == 0; CW_ETIMEOUT no handshake within timeout_ms; CW_ECLOSED refused or
 *           failed (err carries lws's reason); -ENOMEM.
 *  Memory:  *cl is owned by the caller: cw_rpc_client_close. *cl is NULL on failure.
 */
int cw_rpc_client_connect(cw_rpc_client **cl, const char *url, uint32_t timeout_ms, char *err,
                          size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Close the connection (if open) and free everything. Accepts NULL. Pending queued
 *  notifications are discarded. */
void cw_rpc_client_close(cw_rpc_client *cl);

/** Call a method and wait for its response.
 *
 *  In:      method: identifier ≤ CW_RPC_METHOD_MAX bytes; params/params_len: one encoded
 *           msgpack array (NULL/0 means []), copied.
 *  Out:     *result, *result_len: on CW_OK, the encoded result object (malloc'd; free()); nil
 *           is the one byte 0xc0. NULL/0 on failure.
 *  Returns: CW_OK; the server's error code (negative CW_E* or -errno, or whatever int32 the
 *           server sent) with its message in err; CW_ETIMEOUT no response within
 *           timeout_ms; CW_ECLOSED the connection is (or became) closed; CW_EINVAL bad method
 *           or params, or timeout_ms == 0; CW_ETOOBIG request over CW_RPC_MAX_FRAME_DEFAULT;
 *           CW_EMALFORMED/CW_ENONCANONICAL the server sent an undecodable frame (the
 *           connection is closed then); -ENOMEM.
 */
int cw_rpc_call(cw_rpc_client *cl, const char *method, const uint8_t *params, size_t params_len,
                uint8_t **result, size_t *result_len, uint32_t timeout_ms, char *err,
                size_t err_len) CW_NONNULL(1, 2, 5, 6) CW_WARN_UNUSED;

/** Send a request without waiting for its response (pipelining). The request is written
 *  while the client is serviced by any later call on cl (take, poll, next_*, call).
 *
 *  In:      method, params, params_len: as cw_rpc_call.
 *  Out:     *msgid: the request's id, for cw_rpc_call_take / cw_rpc_call_forget; 0 on failure.
 *  Returns: CW_OK; CW_EINVAL bad method or params; CW_ETOOBIG request over
 *           CW_RPC_MAX_FRAME_DEFAULT, CW_RPC_CLIENT_MAX_PENDING requests already
 *           outstanding, or the outbound queue full (2048 frames / 64 MiB); CW_ECLOSED the
 *           connection is closed; -ENOMEM.
 *  Memory:  params are copied. The request stays outstanding until taken or forgotten.
 */
int cw_rpc_call_send(cw_rpc_client *cl, const char *method, const uint8_t *params,
                     size_t params_len, uint32_t *msgid, char *err, size_t err_len)
    CW_NONNULL(1, 2, 5) CW_WARN_UNUSED;

/** Take the response to a request sent with cw_rpc_call_send, waiting up to timeout_ms for
 *  it (0: only what has arrived by the time the socket has been serviced once, no waiting).
 *
 *  Out:     *result, *result_len: as cw_rpc_call.
 *  Returns: as cw_rpc_call (the request is done and forgotten), except CW_ETIMEOUT: the
 *           response has not arrived yet and the request stays outstanding (take it again
 *           later, or cw_rpc_call_forget it); CW_ENOTFOUND msgid is not outstanding;
 *           CW_ECLOSED the connection closed before the response arrived.
 */
int cw_rpc_call_take(cw_rpc_client *cl, uint32_t msgid, uint8_t **result, size_t *result_len,
                     uint32_t timeout_ms, char *err, size_t err_len) CW_NONNULL(1, 3, 4)
    CW_WARN_UNUSED;

/** Give up on an outstanding request: a response already kept is freed; one that arrives
 *  later is treated as a response nobody waited for (queued, then discarded by
 *  cw_rpc_next_notification). Unknown ids are ignored. */
void cw_rpc_call_forget(cw_rpc_client *cl, uint32_t msgid) CW_NONNULL(1);

/** Subscribe to a topic: the call `subscribe [topic]`.
 *  Returns: as cw_rpc_call (CW_ENOTFOUND from the server for an unknown topic). */
int cw_rpc_subscribe(cw_rpc_client *cl, const char *topic, uint32_t timeout_ms, char *err,
                     size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Take the oldest queued notification, waiting up to timeout_ms for one (0: do not wait).
 *  Responses nobody waited for that are ahead of it in the queue are discarded.
 *  Out:     topic: receives the notification's method (NUL-terminated) — the topic name.
 *           *payload, *payload_len: the encoded params[0] (malloc'd; free()); for a
 *           notification whose params are not exactly one object, the encoded params array.
 *  Returns: CW_OK; CW_ETIMEOUT none arrived in time; CW_ECLOSED connection closed and
 *           nothing queued; -ENOMEM.
 */
int cw_rpc_next_notification(cw_rpc_client *cl, char topic[static CW_RPC_METHOD_MAX + 1],
                             uint8_t **payload, size_t *payload_len, uint32_t timeout_ms,
                             char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/* ---- for tests and diagnostics ------------------------------------------------------- */

/** Send one raw frame as it is (binary, or text when text is true), then return once lws has
 *  taken it (or the deadline passed). For exercising a server with malformed input.
 *  Returns: CW_OK; CW_ETIMEOUT; CW_ECLOSED; CW_ETOOBIG len > CW_RPC_MAX_FRAME_DEFAULT; -ENOMEM. */
int cw_rpc_client_send_raw(cw_rpc_client *cl, const uint8_t *frame, size_t len, bool text,
                           uint32_t timeout_ms, char *err, size_t err_len) CW_NONNULL(1)
    CW_WARN_UNUSED;

/** Take the oldest queued inbound frame of any kind (a notification or a response nobody
 *  waited for, e.g. an error answering a malformed frame), raw bytes, waiting up to
 *  timeout_ms. Returns and memory: as cw_rpc_next_notification. */
int cw_rpc_client_next_frame(cw_rpc_client *cl, uint8_t **frame, size_t *len,
                             uint32_t timeout_ms, char *err, size_t err_len) CW_NONNULL(1, 2, 3)
    CW_WARN_UNUSED;

/** Bytes of requests queued and not yet handed to lws (pipelined sends waiting for the
 *  socket). Thread-compatible, no I/O. */
size_t cw_rpc_client_outbound_bytes(const cw_rpc_client *cl) CW_NONNULL(1);

/** Service the connection for up to timeout_ms without waiting for anything in particular
 *  (queues arriving frames). Returns: CW_OK; CW_ECLOSED. */
int cw_rpc_client_poll(cw_rpc_client *cl, uint32_t timeout_ms) CW_NONNULL(1);

#endif

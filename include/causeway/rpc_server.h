/* Causeway — MessagePack-RPC server runtime over libwebsockets 4.1 (DESIGN §5 "RPC").
 *
 * One lws context, one vhost listening on listen_addr:port, one lws protocol
 * ("causeway-rpc", also the vhost's default, so WebSocket clients may connect with that
 * subprotocol name or with none) carrying:
 *   - WebSocket (RFC 6455, binary frames): MessagePack-RPC requests (rpc.h) dispatched to
 *     registered handlers; the built-in methods `subscribe [topic]` and
 *     `unsubscribe [topic]`; notifications `[2, topic, [payload]]` from
 *     cw_rpc_server_publish;
 *   - plain HTTP/1.1 on the same port: GET /healthz → 200 text/plain "ok";
 *     GET /status → 200 application/json from the status callback ("{}" without one);
 *     GET /metrics → 200 Prometheus text format 0.0.4: the runtime's own counters followed by
 *     the metrics callback's text; other paths → 404; other methods → 405.
 *
 * Behaviour on bad input (never exits, never aborts):
 *   - a frame that does not decode → error response (msgid when it could be read, else nil;
 *     code as cw_rpc_decode returned); the connection lives on;
 *   - a text frame → error response CW_EMALFORMED, msgid nil; the connection lives on;
 *   - a frame (all fragments together) over max_frame bytes → that connection alone is
 *     closed (close code 1009) as soon as the declared length shows it;
 *   - a response or notification sent by a client → counted as rejected; a response gets an
 *     error response with msgid nil, a notification is ignored (the spec gives it no reply);
 *   - unknown method or topic → CW_ENOTFOUND.
 * Every counted rejection increments cw_rpc_frames_rejected_total.
 *
 * Bounds: frames ≤ max_frame; per-connection send queue ≤ max_queue_frames frames and
 * ≤ max_queue_bytes bytes: a connection whose queue would overflow (a subscriber or a
 * pipelining client that does not read) is closed at once and counted in
 * cw_rpc_subscribers_dropped_total — never buffered further; ≤ CW_RPC_MAX_TOPICS topics; ≤
 * CW_RPC_MAX_METHODS methods; ≤ CW_RPC_MAX_TIMERS pending timers; HTTP bodies ≤
 * CW_RPC_HTTP_BODY_MAX bytes.
 *
 * Session limits (so idle sockets cannot keep clients off a node):
 *   - handshake: an accepted TCP connection that does not complete its HTTP request or
 *     WebSocket upgrade within handshake_timeout_s is closed by lws;
 *   - idle: a WebSocket session with no traffic for idle_timeout_s is closed and counted in
 *     cw_rpc_sessions_timed_out_total. Traffic is a message fragment received or a frame
 *     sent (a response or a notification), so a `blocks` subscriber that is sent
 *     notifications is not idle; PINGs and PONGs are not traffic (any WebSocket stack answers
 *     PINGs by itself, so they prove the socket is alive, not that it is used). Checked every
 *     min(1 s, idle/4) (≥ 100 ms);
 *   - liveness: lws PINGs a peer after ping_interval_s without proof of life and closes it
 *     after 2 × ping_interval_s (the vhost's lws_retry_bo_t idle policy: lws 4.1 has no
 *     ws_ping_pong_interval), so dead peers go even under a long idle_timeout_s;
 *   - per peer: an upgrade from an IP address that already has max_sessions_per_peer live
 *     sessions is refused at the handshake (log line names the peer), counted in
 *     cw_rpc_sessions_refused_per_peer_total;
 *   - full: at max_connections live sessions a new upgrade is accepted and the live session
 *     idle longest is closed (cw_rpc_sessions_evicted_total). Sessions being closed do not
 *     count, so the open sockets may exceed max_connections briefly by those.
 *
 * Threading: the server is single-threaded. Every function here except cw_rpc_server_wake
 * must be called from the thread that runs cw_rpc_server_run — from handlers, timer
 * callbacks, or before/after run. Handlers and timers run on that thread, one at a time.
 *
 * Memory: create allocates the server; each connection allocates a queue of
 * max_queue_frames pointers and a receive buffer that grows with the bytes actually received
 * (≤ max_frame; freed after a message over 64 KiB); a published notification is encoded
 * once and shared (reference counted) by every subscriber's queue. Worst case held for
 * peers: max_connections × (max_frame + max_queue_bytes), plus lws's own per-connection
 * buffers; size the config accordingly.
 *
 * Source: MessagePack-RPC spec; RFC 6455 and HTTP/1.1 via libwebsockets 4.1;
 *         Prometheus text exposition format 0.0.4.
 */
#ifndef CAUSEWAY_RPC_SERVER_H
#define CAUSEWAY_RPC_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/error.h"
#include "causeway/rpc.h"

#define CW_RPC_MAX_TOPICS 32
#define CW_RPC_MAX_METHODS 128
#define CW_RPC_MAX_TIMERS 256
#define CW_RPC_HTTP_BODY_MAX (1u << 20)
#define CW_RPC_PER_PEER_DEFAULT 32           /* WebSocket sessions per peer IP */
#define CW_RPC_IDLE_TIMEOUT_DEFAULT 120      /* seconds */
#define CW_RPC_HANDSHAKE_TIMEOUT_DEFAULT 10  /* seconds */
#define CW_RPC_PING_INTERVAL_DEFAULT 30      /* seconds */

typedef struct cw_rpc_server cw_rpc_server;

/** A bounded text builder handed to the /status and /metrics callbacks. */
typedef struct cw_rpc_text cw_rpc_text;

/** Append printf-style text. Output beyond CW_RPC_HTTP_BODY_MAX bytes is refused and the
 *  request answered with 500. Sticky: after a failure later appends do nothing and return
 *  the same code, so a callback may return only its last result.
 *  Returns: CW_OK; CW_ETOOBIG; -ENOMEM; CW_EINVAL a formatting error.
 *  Memory: t is owned by the runtime and valid only during the callback. Server thread. */
int cw_rpc_text_appendf(cw_rpc_text *t, const char *fmt, ...) CW_NONNULL(1, 2) CW_PRINTF(2, 3);

/** Write a JSON object (/status) or Prometheus text lines (/metrics: "# HELP", "# TYPE", then
 *  "name value", each line ending in \n) with cw_rpc_text_appendf.
 *  Return CW_OK, or an error code to answer 500. Called on the server thread. */
typedef int (*cw_rpc_text_cb)(void *user, cw_rpc_text *out);

/** A method handler, called on the server thread for each request of its method.
 *  In:      params: the request's params array. BORROWED: valid only during this call (it
 *             points into the connection's receive buffer); copy what must live longer.
 *  Out:     result: an initialised, empty encoder; on CW_OK write exactly one object
 *             (nil, a value, an array) — anything else is answered with CW_ESTATE.
 *           err, err_len: on failure, one line for the error message (may be left empty:
 *             cw_strerror(code) is sent then).
 *  Returns: CW_OK, or a negative code sent as the error code (a positive value is sent as
 *           CW_ESTATE). The handler may call cw_rpc_server_publish and _schedule, not
 *           _destroy. It runs on the loop: a handler that blocks stalls every connection.
 */
typedef int (*cw_rpc_handler)(void *user, const msgpack_object *params, cw_enc *result,
                              char *err, size_t err_len);

/** Timer callback, called once on the server thread. */
typedef void (*cw_rpc_timer_cb)(cw_rpc_server *srv, void *user);

typedef struct cw_rpc_server_config {
    const char *listen_addr;   /* IPv4/IPv6 literal to bind; NULL → "127.0.0.1" */
    int port;                  /* TCP port 1..65535, or 0 for an ephemeral port */
    size_t max_frame;          /* bytes; 0 → CW_RPC_MAX_FRAME_DEFAULT */
    uint32_t max_queue_frames; /* per connection; 0 → 1024 */
    size_t max_queue_bytes;    /* per connection, bytes; 0 → 4 × max_frame; must be ≥ max_frame */
    uint32_t max_connections;  /* WebSocket connections; 0 → 256. At the limit a new session
                                  evicts the live session idle longest (see above) */
    uint32_t max_sessions_per_peer; /* live WebSocket sessions from one IP address; 0 →
                                  min(CW_RPC_PER_PEER_DEFAULT, max_connections); more are
                                  refused at the handshake (≥ max_connections: no cap) */
    uint32_t idle_timeout_s;   /* seconds without traffic before a WebSocket session is
                                  closed; 0 → CW_RPC_IDLE_TIMEOUT_DEFAULT; ≤ 86400 */
    uint32_t handshake_timeout_s; /* seconds an accepted TCP connection has to complete its
                                  HTTP request / WebSocket upgrade (lws timeout_secs); 0 →
                                  CW_RPC_HANDSHAKE_TIMEOUT_DEFAULT; ≤ 3600 */
    uint32_t ping_interval_s;  /* seconds without proof of life before lws PINGs a WebSocket
                                  peer; no PONG/traffic by twice that → closed; 0 →
                                  CW_RPC_PING_INTERVAL_DEFAULT; ≤ 3600 */
    cw_rpc_text_cb status_cb;  /* may be NULL */
    void *status_user;
    cw_rpc_text_cb metrics_cb; /* may be NULL */
    void *metrics_user;
} cw_rpc_server_config;

/** The runtime's counters (also exported on /metrics). */
typedef struct cw_rpc_server_stats {
    uint64_t connections_total;     /* WebSocket connections accepted */
    uint64_t connections_open;      /* currently open */
    uint64_t requests_total;        /* requests dispatched (including subscribe) */
    uint64_t errors_total;          /* error responses sent */
    uint64_t subscribers_dropped;   /* connections closed because their queue was full */
    uint64_t frames_rejected;       /* malformed, oversized, text or unexpected frames */
    uint64_t notifications_total;   /* notification frames queued (one per subscriber) */
    uint64_t http_requests_total;
    uint64_t sessions_evicted;          /* idlest sessions closed at max_connections */
    uint64_t sessions_refused_per_peer; /* upgrades refused by max_sessions_per_peer */
    uint64_t sessions_timed_out;        /* sessions closed by idle_timeout_s */
} cw_rpc_server_stats;

/** Create the server and start listening.
 *
 *  Returns: CW_OK and *srv set; CW_EINVAL a config value out of range or listen_addr not an
 *           IP literal (err names it); -EADDRINUSE, -EADDRNOTAVAIL, -EACCES … when the
 *           address cannot be bound (checked with a throwaway socket first), -EIO when lws
 *           still fails (err says which address and port); -ENOMEM.
 *  In:      cfg: copied (listen_addr too); callbacks' user pointers are kept as given.
 *  Memory:  *srv is owned by the caller; free with cw_rpc_server_destroy. Not thread-safe
 *           (routes lws logging into cw_log on first use, process-wide).
 */
int cw_rpc_server_create(cw_rpc_server **srv, const cw_rpc_server_config *cfg, char *err,
                         size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Close every connection, cancel pending timers (their callbacks are not called), free all.
 *  Accepts NULL. Must not be called from a handler or timer of this server. */
void cw_rpc_server_destroy(cw_rpc_server *srv);

/** The TCP port actually bound (useful with cfg.port = 0). */
int cw_rpc_server_port(const cw_rpc_server *srv) CW_NONNULL(1);

/** Register a method. name: identifier ≤ CW_RPC_METHOD_MAX bytes, copied; not "subscribe"
 *  or "unsubscribe". user is passed to the handler unchanged.
 *  Returns: CW_OK; CW_EINVAL bad name; CW_EEXISTS already registered; CW_ETOOBIG more than
 *           CW_RPC_MAX_METHODS. */
int cw_rpc_server_register(cw_rpc_server *srv, const char *name, cw_rpc_handler handler,
                           void *user) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Declare a topic clients may subscribe to. name: identifier, copied.
 *  Returns: CW_OK; CW_EINVAL bad name; CW_EEXISTS; CW_ETOOBIG more than CW_RPC_MAX_TOPICS. */
int cw_rpc_server_add_topic(cw_rpc_server *srv, const char *name) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/** Queue the notification [2, topic, [payload]] to every subscriber of topic.
 *  payload/payload_len: exactly one encoded msgpack object (copied once into the shared
 *  frame). A subscriber whose queue cannot take the frame is dropped (see above).
 *  Returns: CW_OK (also with zero subscribers); CW_ENOTFOUND unknown topic; CW_EINVAL payload
 *           not one object; CW_ETOOBIG frame > max_frame; -ENOMEM.
 *  Memory:  payload is not kept. Server thread only. */
int cw_rpc_server_publish(cw_rpc_server *srv, const char *topic, const uint8_t *payload,
                          size_t payload_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Call cb(srv, user) once, delay_ms milliseconds from now, on the server thread (lws_sul).
 *  Returns: CW_OK; CW_ETOOBIG more than CW_RPC_MAX_TIMERS pending; -ENOMEM. */
int cw_rpc_server_schedule(cw_rpc_server *srv, uint32_t delay_ms, cw_rpc_timer_cb cb,
                           void *user) CW_NONNULL(1, 3) CW_WARN_UNUSED;

/** Service the loop until *stop becomes non-zero or lws fails:
 *  `while (!*stop && lws_service(ctx, 0) >= 0)`.
 *  *stop is set by a signal handler (sigaction, no SA_RESTART) that then calls
 *  cw_rpc_server_wake, or by a handler/timer on the server thread; another thread should not
 *  write it (a sig_atomic_t is not an inter-thread atomic): signal the server thread instead
 *  (pthread_kill), as tests/unit/test_rpc_server.c does.
 *  Returns: CW_OK when stopped by *stop; -EIO when lws_service failed. */
int cw_rpc_server_run(cw_rpc_server *srv, volatile sig_atomic_t *stop) CW_NONNULL(1, 2);

/** Wake a blocked cw_rpc_server_run so it re-reads *stop (lws_cancel_service). Safe from any
 *  thread and from a signal handler: in lws 4.1 it writes one byte to lws's event pipe, and
 *  errno is preserved. */
void cw_rpc_server_wake(cw_rpc_server *srv) CW_NONNULL(1);

/** A server on a thread of its own: a daemon's /metrics, /healthz and /status beside its
 *  main loop (the relayer, the keeper). */
typedef struct cw_rpc_server_thread cw_rpc_server_thread;

/** Create a server from cfg (cw_rpc_server_create) and run it (cw_rpc_server_run) on a new
 *  thread until cw_rpc_server_thread_stop.
 *  Returns: CW_OK and *out set; cw_rpc_server_create's codes; -EAGAIN no thread could be
 *           started; -ENOMEM. *out is NULL on failure.
 *  Threads: the callbacks run on the new thread: guard what they share with the caller.
 *  Call start and stop from one thread (as cw_rpc_server_create). */
int cw_rpc_server_thread_start(cw_rpc_server_thread **out, const cw_rpc_server_config *cfg,
                               char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** The TCP port its server bound. */
int cw_rpc_server_thread_port(const cw_rpc_server_thread *t) CW_NONNULL(1);
/** Stop the loop (its stop flag, then cw_rpc_server_wake), join the thread, destroy the
 *  server and free t. Accepts NULL. */
void cw_rpc_server_thread_stop(cw_rpc_server_thread *t);

/** Copy the counters. Server thread only. */
void cw_rpc_server_get_stats(const cw_rpc_server *srv, cw_rpc_server_stats *out)
    CW_NONNULL(1, 2);

#endif

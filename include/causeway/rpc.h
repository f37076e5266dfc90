/* Causeway — MessagePack-RPC frame codec (DESIGN §5 "RPC").
 *
 * Three frame shapes, each one canonical msgpack array (DESIGN §4 rules apply: strict,
 * bounded, no maps/floats/ext, shortest integers, nothing trailing):
 *
 *   request       [0, msgid, method, params]       msgid u32, method str, params array
 *   response      [1, msgid, error, result]        msgid u32, or nil when the request's
 *                                                   msgid could not be read (malformed frame)
 *                 error  = nil | [code, message]   code int32, message str ≤ CW_RPC_ERRMSG_MAX
 *                 result = any object (nil when error is set)
 *   notification  [2, method, params]              method str, params array
 *
 * Error codes on the wire are Causeway's own return codes: a negative CW_E* code from
 * include/causeway/error.h (−30000 … −30999) or a negative errno, so cw_strerror() names
 * them on either side. The runtime uses: CW_ENOTFOUND unknown method or topic;
 * CW_EMALFORMED / CW_ENONCANONICAL / CW_ETOOBIG undecodable frame (as cw_rpc_decode
 * returns), text frame (CW_EMALFORMED); CW_EINVAL bad params; CW_ESTATE a handler broke its
 * contract; handlers pass their own codes through unchanged.
 *
 * Method and topic names are identifiers: 1..CW_RPC_METHOD_MAX bytes of [A-Za-z0-9._+-].
 *
 * Source: MessagePack-RPC specification (github.com/msgpack-rpc/msgpack-rpc, spec.md);
 *         the nil msgid in error responses to unreadable requests is our extension.
 */
#ifndef CAUSEWAY_RPC_H
#define CAUSEWAY_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/error.h"

/** Longest method or topic name, in bytes. */
#define CW_RPC_METHOD_MAX 64
/** Longest error message carried in a response, in bytes. */
#define CW_RPC_ERRMSG_MAX 1024
/** Default bound on one frame (request, response or notification), in bytes: 4 MiB. */
#define CW_RPC_MAX_FRAME_DEFAULT (4u << 20)
/** WebSocket subprotocol name the client requests (the server also accepts none). */
#define CW_RPC_SUBPROTOCOL "causeway-rpc"

enum cw_rpc_kind { CW_RPC_REQUEST = 0, CW_RPC_RESPONSE = 1, CW_RPC_NOTIFICATION = 2 };

/** One decoded frame. Pointers borrow from the decoder's zone and from the input buffer:
 *  valid while BOTH the cw_dec (until cw_dec_close) and the input buffer live. */
typedef struct cw_rpc_frame {
    int kind;                          /* enum cw_rpc_kind; -1 when not even that decoded */
    bool has_msgid;                    /* request/response: msgid was read (see below) */
    uint32_t msgid;
    char method[CW_RPC_METHOD_MAX + 1]; /* request/notification: NUL-terminated copy */
    const msgpack_object *params;      /* request/notification: an array */
    bool is_error;                     /* response: error was not nil */
    int32_t err_code;                  /* response with is_error */
    const char *err_msg;               /* response with is_error: NOT NUL-terminated;
                                          never NULL ("" when empty) */
    size_t err_msg_len;
    const msgpack_object *result;      /* response: the result (nil object when is_error) */
} cw_rpc_frame;

/** Decode and validate one frame occupying buf[0..len).
 *
 *  Returns: CW_OK and *f filled;
 *           CW_ETOOBIG len > max_len, a declared length/count beyond the input, or a method
 *             name longer than CW_RPC_METHOD_MAX;
 *           CW_EMALFORMED not an array of a known shape: wrong tag, arity, field type,
 *             method not an identifier, error not [int32, str], result set beside an error;
 *           CW_ENONCANONICAL not the canonical encoding;
 *           -ENOMEM.
 *  On failure f->kind and f->has_msgid/f->msgid still report what was read before the
 *  failure, so a server can answer with the right msgid (or nil).
 *  In:      d: decoder to open (caller must cw_dec_close(d) whatever this returns).
 *           buf, len: the frame bytes; max_len: bound in bytes (e.g. CW_RPC_MAX_FRAME_DEFAULT).
 *           err, err_len: receives one line naming the problem (may be NULL).
 *  Memory:  allocates O(len) in d's zone; *f borrows from d and buf (see cw_rpc_frame).
 *           Thread-compatible (one decoder per thread).
 *  Source:  MessagePack-RPC spec, "Request/Response/Notification Message".
 */
int cw_rpc_decode(cw_dec *d, cw_rpc_frame *f, const uint8_t *buf, size_t len, size_t max_len,
                  char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Check that name is a valid method/topic name (an identifier of ≤ CW_RPC_METHOD_MAX bytes).
 *  Returns: CW_OK; CW_EINVAL (err names the bad byte or length). Thread-safe. */
int cw_rpc_name_validate(const char *name, size_t len, char *err, size_t err_len)
    CW_WARN_UNUSED;

/* ---- encoders -------------------------------------------------------------------------
 * Each appends one frame to e (an initialised cw_enc; usually empty). Raw inputs (params,
 * result) must be exactly one canonical msgpack object (checked with cw_codec_prescan, so a
 * caller cannot smuggle two objects or a map into a frame; canonical form is the caller's
 * promise, as with cw_enc_raw). On failure e's sticky rc is set too, so the bytes are never
 * used by mistake.
 * Memory: e's buffer grows; nothing else is kept. Thread-compatible.
 */

/** [0, msgid, method, params]. params/params_len: one encoded array (NULL/0 means []).
 *  Returns: CW_OK; CW_EINVAL bad method name or params not one array; -ENOMEM. */
int cw_rpc_encode_request(cw_enc *e, uint32_t msgid, const char *method, const uint8_t *params,
                          size_t params_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;

/** [1, msgid, nil, result]. result/result_len: one encoded object (NULL/0 means nil).
 *  Returns: CW_OK; CW_EINVAL result not exactly one object; -ENOMEM. */
int cw_rpc_encode_result(cw_enc *e, uint32_t msgid, const uint8_t *result, size_t result_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** [1, msgid|nil, [code, message], nil]. has_msgid false encodes msgid as nil.
 *  message: NUL-terminated, truncated to CW_RPC_ERRMSG_MAX bytes (at a UTF-8 boundary is
 *  not guaranteed: callers pass ASCII). code: a negative CW_E* or -errno.
 *  Returns: CW_OK; -ENOMEM. */
int cw_rpc_encode_error(cw_enc *e, bool has_msgid, uint32_t msgid, int32_t code,
                        const char *message) CW_NONNULL(1, 5) CW_WARN_UNUSED;

/** [2, method, params]. params as for cw_rpc_encode_request.
 *  Returns: CW_OK; CW_EINVAL bad method name or params not one array; -ENOMEM. */
int cw_rpc_encode_notification(cw_enc *e, const char *method, const uint8_t *params,
                               size_t params_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** [2, method, [payload]]: a notification carrying one object (a topic's message, as the
 *  server publishes it). payload/payload_len: exactly one encoded object (required).
 *  Returns: CW_OK; CW_EINVAL bad method name or payload not exactly one object; -ENOMEM. */
int cw_rpc_encode_notification_one(cw_enc *e, const char *method, const uint8_t *payload,
                                   size_t payload_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Re-encode one decoded object (e.g. f->params or f->result) into e. Because accepted frames
 *  are canonical, the bytes equal the object's bytes in the frame.
 *  Returns: CW_OK; -ENOMEM. */
int cw_rpc_encode_object(cw_enc *e, const msgpack_object *o) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* ---- frame reassembly ------------------------------------------------------------------ */

/** One WebSocket message received in fragments: the RPC server's per-connection buffer and
 *  the client's. Zero-initialise; buf is malloc'd and owned by the holder (free(buf)). */
typedef struct cw_rpc_rxbuf {
    uint8_t *buf;
    size_t len, cap;
    bool started; /* a message is in progress; the holder clears it after the last fragment */
    bool text;    /* the message's first fragment was a text frame */
} cw_rpc_rxbuf;

/** Append a received fragment in[0..n) to the message in b. When no message is in progress
 *  (!b->started) this one starts: len = 0, text recorded. remaining: the bytes the transport
 *  still announces for this fragment; the message may not grow beyond max bytes. The buffer
 *  grows with bytes received, not bytes announced (4096 first, then doubling up to max).
 *  Returns: CW_OK; CW_ETOOBIG received + announced bytes would exceed max; -ENOMEM. On
 *  failure nothing is appended. Thread-compatible (one buffer per thread). */
int cw_rpc_rxbuf_append(cw_rpc_rxbuf *b, const void *in, size_t n, size_t remaining,
                        size_t max, bool text) CW_NONNULL(1) CW_WARN_UNUSED;

/** Route libwebsockets' own log lines (its err and warn levels only) into cw_log at
 *  CW_LOG_WARN, as "lws: <line>". lws's severities are not ours (a peer's bad handshake is an
 *  lws "error"), hence one level. Called by the RPC server and client on creation; idempotent
 *  and thread-safe (pthread_once). lws logging is process-wide.
 */
void cw_rpc_route_lws_logs(void);

#endif

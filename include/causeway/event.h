/* Causeway — events emitted by transactions and blocks (DESIGN §5 "Events").
 *
 *   Event = [type(str id), attributes(array of [key(str id), value])]
 * where value is a str, an unsigned integer or a bin (a packet's bytes, ack bytes, …).
 * A cw_events list grows while a block executes; cw_events_mark / cw_events_truncate drop
 * the events of a failed tx or of an app callback whose writes are discarded, mirroring the
 * state caches (cw_kv_cache). Used by one thread at a time.
 */
#ifndef CAUSEWAY_EVENT_H
#define CAUSEWAY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"

#define CW_EVENTS_MAX 65536 /* events per block */

typedef struct cw_events {
    cw_enc enc;      /* concatenated encoded events */
    uint32_t count;  /* events in enc */
    uint32_t open;   /* attributes still owed by the event being written */
} cw_events;

void cw_events_init(cw_events *ev) CW_NONNULL(1);
void cw_events_free(cw_events *ev);

/** Begin an event with n_attrs attributes; write exactly n_attrs with the cw_event_attr_*
 *  calls below before the next cw_event_begin. */
void cw_event_begin(cw_events *ev, const char *type, uint32_t n_attrs) CW_NONNULL(1, 2);
void cw_event_attr_str(cw_events *ev, const char *key, const char *value) CW_NONNULL(1, 2, 3);
void cw_event_attr_u64(cw_events *ev, const char *key, uint64_t value) CW_NONNULL(1, 2);
void cw_event_attr_bin(cw_events *ev, const char *key, const void *p, size_t n) CW_NONNULL(1, 2);

/** A position to return to: the number of complete events so far plus their byte length. */
typedef struct cw_events_mark {
    uint32_t count;
    size_t len;
} cw_events_mark;

cw_events_mark cw_events_mark_now(const cw_events *ev) CW_NONNULL(1);
/** Drop every event written after mark. */
void cw_events_truncate(cw_events *ev, cw_events_mark mark) CW_NONNULL(1);

/** Encode the events written since `from` as one msgpack array into out.
 *  Returns: CW_OK; CW_EINVAL an event is incomplete; -ENOMEM. */
int cw_events_encode(const cw_events *ev, cw_events_mark from, cw_enc *out)
    CW_NONNULL(1, 3) CW_WARN_UNUSED;

#endif

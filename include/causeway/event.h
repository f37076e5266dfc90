/* Causeway — events emitted by transactions and blocks (DESIGN §5 "Events"): the writer
 * the chain uses, the type and attribute names, and the readers clients use.
 *
 *   Event = [type(str id), attributes(array of [key(str id), value])]
 * where value is a str, an unsigned integer or a bin (a packet's bytes, ack bytes, …).
 * A cw_events list grows while a block executes; cw_events_mark / cw_events_truncate drop
 * the events of a failed tx or of an app callback whose writes are discarded, mirroring the
 * state caches (cw_kv_cache). Used by one thread at a time.
 *
 * The events clients read, with their attributes:
 *   send_packet, recv_packet, write_acknowledgement, acknowledge_packet, timeout_packet and
 *   the *_redundant variants (a relayer lost a race; nothing changed):
 *       src_port, src_channel, dst_channel (str), sequence (u64), packet (bin: the Packet's
 *       canonical encoding), ack (bin: write_acknowledgement and acknowledge_packet only)
 *   create_client, update_client, update_client_noop, client_misbehaviour, recover_client:
 *       client_id (str), height (u64: the consensus height added, or frozen at).
 *       update_client: a verified header stored its state; update_client_noop: the identical
 *       state was already stored, the header was NOT verified (DESIGN §6) — never evidence.
 *   channel_open_init/_try/_ack/_confirm, channel_close_init/_confirm:
 *       port, channel, counterparty_port, counterparty_channel, client_id (str)
 *   transfer (bank.send): sender, recipient (address hex), denom (str), amount (u64)
 *   collateral_locked/_withdrawn/_credited/_released/_refunded/_recredited:
 *       channel, denom (str), amount (u64), from, to (address hex)
 *   update_validators: validators (u64 count); lend_* and oracle_price: causeway/lending.h.
 *   ics20_transfer (sent), ics20_received (credited here), ics20_refunded (error ack or
 *   timeout): channel (str), denom (str: the full denom path, may hold '/'), amount (u64),
 *   sender, receiver (str: the packet's address texts), sequence (u64).
 */
#ifndef CAUSEWAY_EVENT_H
#define CAUSEWAY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/packet.h"

#define CW_EVENTS_MAX 65536 /* events per block */

/* ---- event types ---- */
#define CW_EV_SEND_PACKET "send_packet"
#define CW_EV_RECV_PACKET "recv_packet"
#define CW_EV_RECV_PACKET_REDUNDANT "recv_packet_redundant"
#define CW_EV_WRITE_ACK "write_acknowledgement"
#define CW_EV_ACK_PACKET "acknowledge_packet"
#define CW_EV_ACK_PACKET_REDUNDANT "acknowledge_packet_redundant"
#define CW_EV_TIMEOUT_PACKET "timeout_packet"
#define CW_EV_TIMEOUT_PACKET_REDUNDANT "timeout_packet_redundant"
#define CW_EV_CREATE_CLIENT "create_client"
#define CW_EV_UPDATE_CLIENT "update_client"
#define CW_EV_UPDATE_CLIENT_NOOP "update_client_noop"
#define CW_EV_CLIENT_MISBEHAVIOUR "client_misbehaviour"
#define CW_EV_RECOVER_CLIENT "recover_client"
#define CW_EV_CHANNEL_OPEN_INIT "channel_open_init"
#define CW_EV_CHANNEL_OPEN_TRY "channel_open_try"
#define CW_EV_CHANNEL_OPEN_ACK "channel_open_ack"
#define CW_EV_CHANNEL_OPEN_CONFIRM "channel_open_confirm"
#define CW_EV_CHANNEL_CLOSE_INIT "channel_close_init"
#define CW_EV_CHANNEL_CLOSE_CONFIRM "channel_close_confirm"
#define CW_EV_TRANSFER "transfer"
#define CW_EV_UPDATE_VALIDATORS "update_validators"
#define CW_EV_COLLATERAL_LOCKED "collateral_locked"
#define CW_EV_COLLATERAL_WITHDRAWN "collateral_withdrawn"
#define CW_EV_COLLATERAL_CREDITED "collateral_credited"
#define CW_EV_COLLATERAL_RELEASED "collateral_released"
#define CW_EV_COLLATERAL_REFUNDED "collateral_refunded"
#define CW_EV_COLLATERAL_RECREDITED "collateral_recredited"
#define CW_EV_LEND_SUPPLY "lend_supply"
#define CW_EV_LEND_WITHDRAW_SUPPLY "lend_withdraw_supply"
#define CW_EV_LEND_BORROW "lend_borrow"
#define CW_EV_LEND_REPAY "lend_repay"
#define CW_EV_LEND_LIQUIDATE "lend_liquidate"
#define CW_EV_LEND_BAD_DEBT "lend_bad_debt"
#define CW_EV_LEND_REGISTER_COLLATERAL "lend_register_collateral"
#define CW_EV_LEND_UPDATE_MARKET "lend_update_market"
#define CW_EV_LEND_UPDATE_COLLATERAL "lend_update_collateral"
#define CW_EV_LEND_PAUSE "lend_pause"
#define CW_EV_LEND_WITHDRAW_RESERVES "lend_withdraw_reserves"
#define CW_EV_LEND_FLASH_LOAN "lend_flash_loan"
#define CW_EV_LEND_FLASH_REPAY "lend_flash_repay"
#define CW_EV_ORACLE_PRICE "oracle_price"
#define CW_EV_ICS20_TRANSFER "ics20_transfer"
#define CW_EV_ICS20_RECEIVED "ics20_received"
#define CW_EV_ICS20_REFUNDED "ics20_refunded"

/* ---- attribute keys (the writers in channels/ and chain/ use these too) ---- */
#define CW_ATTR_SRC_PORT "src_port"
#define CW_ATTR_SRC_CHANNEL "src_channel"
#define CW_ATTR_DST_CHANNEL "dst_channel"
#define CW_ATTR_SEQUENCE "sequence"
#define CW_ATTR_PACKET "packet"
#define CW_ATTR_ACK "ack"
#define CW_ATTR_CLIENT_ID "client_id"
#define CW_ATTR_HEIGHT "height"
#define CW_ATTR_PORT "port"
#define CW_ATTR_CHANNEL "channel"
#define CW_ATTR_COUNTERPARTY_PORT "counterparty_port"
#define CW_ATTR_COUNTERPARTY_CHANNEL "counterparty_channel"
#define CW_ATTR_SENDER "sender"
#define CW_ATTR_RECIPIENT "recipient"
#define CW_ATTR_RECEIVER "receiver" /* ICS-20: the packet's receiver text */
#define CW_ATTR_DENOM "denom"
#define CW_ATTR_AMOUNT "amount"
#define CW_ATTR_FROM "from"
#define CW_ATTR_TO "to"
#define CW_ATTR_VALIDATORS "validators"
/* the lending market's (lend_*, oracle_price; causeway/lending.h) */
#define CW_ATTR_SUPPLIER "supplier"
#define CW_ATTR_SHARES "shares"
#define CW_ATTR_BORROWER "borrower"
#define CW_ATTR_PAYER "payer"
#define CW_ATTR_LIQUIDATOR "liquidator"
#define CW_ATTR_REPAY_AMOUNT "repay_amount"
#define CW_ATTR_COLLATERAL "collateral"
#define CW_ATTR_SEIZED "seized"
#define CW_ATTR_FROM_RESERVES "from_reserves"
#define CW_ATTR_SOCIALIZED "socialized"
#define CW_ATTR_BASE_DENOM "base_denom"
#define CW_ATTR_LTV_BPS "ltv_bps"
#define CW_ATTR_LIQUIDATION_THRESHOLD_BPS "liquidation_threshold_bps"
#define CW_ATTR_LIQUIDATION_BONUS_BPS "liquidation_bonus_bps"
#define CW_ATTR_MARKET_PARAMS "market_params"
#define CW_ATTR_COLLATERALS "collaterals"
#define CW_ATTR_PAUSED "paused"
#define CW_ATTR_ACTIONS "actions"
#define CW_ATTR_PAUSED_ACTIONS "paused_actions"
#define CW_ATTR_RESERVES "reserves"
#define CW_ATTR_FEE "fee"
#define CW_ATTR_PRICE_WAD "price_wad"
#define CW_ATTR_TIME_NS "time_ns"

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

/* ---- readers ------------------------------------------------------------------------------
 * Over objects of a decoded event list (a tx result's events, a block notification's, …;
 * causeway/codec.h). They are lenient like a client must be with a newer chain: a value of
 * the wrong shape reads as absent, never as an error, and nothing is allocated (cw_bytes and
 * decoded packets borrow from the buffer the list was decoded from). Pure; thread-safe. */

/** ev's type, borrowed; false when ev is not [str, array]. type->p is never NULL (an empty
 *  type points at a static ""). */
bool cw_event_type(const msgpack_object *ev, cw_bytes *type) CW_NONNULL(1, 2);

/** The attributes (an array of [key, value]) of ev when it is an event of `type`; NULL when
 *  it is not (another type, or not an event). */
const msgpack_object *cw_event_of(const msgpack_object *ev, const char *type) CW_NONNULL(1, 2);

/** The value of the first attribute `key` in attrs; NULL when absent. */
const msgpack_object *cw_event_get(const msgpack_object *attrs, const char *key)
    CW_NONNULL(1, 2);
/** Typed reads of attribute `key`: true and *out when present with that type; false (and
 *  out untouched) otherwise. A str must hold at most CW_ID_MAX bytes (out: NUL-terminated). */
bool cw_event_get_str(const msgpack_object *attrs, const char *key, char out[static CW_ID_MAX + 1])
    CW_NONNULL(1, 2, 3);
bool cw_event_get_u64(const msgpack_object *attrs, const char *key, uint64_t *out)
    CW_NONNULL(1, 2, 3);
bool cw_event_get_bin(const msgpack_object *attrs, const char *key, cw_bytes *out)
    CW_NONNULL(1, 2, 3);

/** The attrs of the first event of `type` in events (an array of events) at index ≥ *pos;
 *  *pos is set past it, so a loop `while ((a = cw_events_find(evs, T, &i)))` visits every
 *  one. NULL when there is none (or events is not an array). */
const msgpack_object *cw_events_find(const msgpack_object *events, const char *type,
                                     uint32_t *pos) CW_NONNULL(1, 2, 3);

/** The str attribute `key` of the first event of `type` in events that has it (a tx's new
 *  client id, channel id, …). Returns true with out; false when no such event has it. */
bool cw_events_find_str(const msgpack_object *events, const char *type, const char *key,
                        char out[static CW_ID_MAX + 1]) CW_NONNULL(1, 2, 3, 4);

/** Count the events of `type` in an ENCODED event list (the bytes cw_events_encode writes, a
 *  tx result's events). Returns the count (≥ 0), or a negative CW_E* code when buf is not a
 *  canonical array of events (cw_dec_open's codes). Allocates a decoder zone for the call. */
int cw_events_count(const uint8_t *buf, size_t len, const char *type) CW_NONNULL(3)
    CW_WARN_UNUSED;

/** Which packet event an event is (CW_PACKET_EV_NONE: not a packet event). */
typedef enum cw_packet_event_kind {
    CW_PACKET_EV_NONE = 0,
    CW_PACKET_EV_SEND,              /* send_packet */
    CW_PACKET_EV_RECV,              /* recv_packet */
    CW_PACKET_EV_WRITE_ACK,         /* write_acknowledgement (has ack) */
    CW_PACKET_EV_ACK,               /* acknowledge_packet (has ack) */
    CW_PACKET_EV_TIMEOUT,           /* timeout_packet */
    CW_PACKET_EV_RECV_REDUNDANT,    /* the *_redundant variants */
    CW_PACKET_EV_ACK_REDUNDANT,
    CW_PACKET_EV_TIMEOUT_REDUNDANT
} cw_packet_event_kind;

/** The kind of a packet event type string; CW_PACKET_EV_NONE for any other type. */
cw_packet_event_kind cw_packet_event_kind_of(const uint8_t *type, size_t len) CW_NONNULL(1);

/** A packet event, read. packet_bytes and ack borrow from the event list's buffer; packet is
 *  decoded from packet_bytes (its data borrowed likewise, timeouts included). */
typedef struct cw_packet_event {
    cw_packet_event_kind kind;
    cw_bytes packet_bytes; /* the Packet's canonical encoding (cw_packet_enc) */
    cw_packet packet;
    bool has_ack;          /* an ack bin is present (write_acknowledgement, acknowledge_packet) */
    cw_bytes ack;          /* the encoded Acknowledgement ({NULL, 0} without) */
} cw_packet_event;

/** Read ev as a packet event.
 *  Returns: CW_OK with *out; CW_ENOTFOUND ev is not a packet event (another type or not an
 *  event: skip it); CW_EMALFORMED a packet event without a packet bin, or whose packet does
 *  not decode as a Packet (cw_packet_dec's checks; > CW_PACKET_EVENT_MAX bytes is refused).
 *  An ack attribute that is not a bin reads as absent. *out is zeroed first. Allocates a
 *  decoder zone for the call, nothing that outlives it. */
int cw_packet_event_read(const msgpack_object *ev, cw_packet_event *out) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;
/** A packet event's packet attribute at most (bytes). */
#define CW_PACKET_EVENT_MAX (1u << 16)

/** A client event (create_client, update_client, update_client_noop, client_misbehaviour,
 *  recover_client). */
typedef struct cw_client_event {
    char client_id[CW_ID_MAX + 1];
    uint64_t height;
} cw_client_event;

/** Read ev as a client event of `type` (e.g. CW_EV_UPDATE_CLIENT). Returns true with *out
 *  when ev is of that type with a str client_id and a u64 height; false otherwise (*out is
 *  then zeroed). */
bool cw_client_event_read(const msgpack_object *ev, const char *type, cw_client_event *out)
    CW_NONNULL(1, 2, 3);

#endif

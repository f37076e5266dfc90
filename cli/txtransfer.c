/* causeway tx transfer — an ICS-20 transfer (transfer.transfer, causeway/app_msgs.h):
 *   causeway tx transfer --channel CH --to RECEIVER AMOUNTDENOM [--timeout DURATION]
 *                        [--timeout-height H] [--memo M] --from NAME ...
 * As ibc-go's `tx ibc-transfer transfer`, --memo is the PACKET's memo and the timeout is the
 * packet's: DURATION (a number with s, m or h) after the counterparty's latest time as this
 * chain's client knows it (default 10m); --wait S bounds the wait for the tx's block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/cliopt.h"
#include "causeway/ics20.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"
#include "causeway/schnorr.h"
#include "cli.h"

static void usage(FILE *f) { cw_cli_tx_usage(f); }

/* "90s", "10m", "2h" → ns; -1 on anything else. */
static int parse_duration(const char *s, uint64_t *ns)
{
    char num[32], err[128];
    size_t n = strlen(s);
    if (n < 2 || n >= sizeof num)
        return -1;
    uint64_t unit = s[n - 1] == 's' ? 1 : s[n - 1] == 'm' ? 60 : s[n - 1] == 'h' ? 3600 : 0;
    memcpy(num, s, n - 1);
    num[n - 1] = '\0';
    uint64_t v;
    if (!unit || cw_u64_from_dec(&v, num, err, sizeof err) || v == 0 || v > 366ull * 86400)
        return -1;
    *ns = v * unit * 1000000000ull; /* ≤ 366 days × 3600 s: no overflow */
    return 0;
}

/* "100stake" / "5ibc/HASH" → amount, denom */
static int parse_coin(const char *s, uint64_t *amount, char denom[static CW_TRACE_DENOM_LEN + 1])
{
    char num[24], err[128];
    size_t d = strspn(s, "0123456789");
    if (d == 0 || d >= sizeof num || strlen(s + d) > CW_TRACE_DENOM_LEN)
        return -1;
    memcpy(num, s, d);
    num[d] = '\0';
    snprintf(denom, CW_TRACE_DENOM_LEN + 1, "%s", s + d);
    if (cw_u64_from_dec(amount, num, err, sizeof err) || *amount == 0 ||
        !cw_bank_denom_valid(denom))
        return -1;
    return 0;
}

int cw_cli_tx_transfer(int argc, char **argv)
{
    const char *from = NULL, *node = NULL, *keyring = NULL, *channel = NULL, *to = NULL;
    const char *memo = "", *timeout = NULL, *theight = NULL;
    bool no_wait = false, json = false;
    uint64_t wait_s = 60, gas = 0;
    const char *wait_str = NULL;
    const cw_cliopt opts[] = {
        {"from", .str = &from},       {"node", .str = &node},       {"keyring", .str = &keyring},
        {"channel", .str = &channel}, {"to", .str = &to},           {"memo", .str = &memo},
        {"timeout", .str = &timeout}, {"timeout-height", .str = &theight},
        {"no-wait", .flag = &no_wait}, {"json", .flag = &json},      {"wait", .str = &wait_str},
        {"gas", .parse = cw_cli_parse_gas, .dst = &gas}, {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 2, opts, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc - 1 || !from || !channel || !to) {
        fprintf(stderr, "causeway tx transfer: --from, --channel, --to and one AMOUNTDENOM "
                        "(e.g. 100stake) are required\n");
        usage(stderr);
        return 2;
    }
    char err[256];
    cw_msg_transfer m = {0};
    if (cw_id_validate(channel, strlen(channel), "--channel", err, sizeof err)) {
        fprintf(stderr, "causeway tx transfer: %s\n", err);
        return 2;
    }
    if (parse_coin(argv[end], &m.amount, m.denom)) {
        fprintf(stderr, "causeway tx transfer: '%s' is not AMOUNTDENOM (a positive whole "
                        "number followed by a denom or an ibc/HASH voucher)\n", argv[end]);
        return 2;
    }
    if (wait_str && (cw_u64_from_dec(&wait_s, wait_str, err, sizeof err) || wait_s == 0 ||
                     wait_s > 3600)) {
        fprintf(stderr, "causeway tx transfer: --wait: '%s' is not 1..3600 seconds\n", wait_str);
        return 2;
    }
    if (strlen(memo) > CW_MSG_TRANSFER_MEMO_MAX || strlen(to) == 0 ||
        strlen(to) > CW_MSG_TRANSFER_RECEIVER_MAX) {
        fprintf(stderr, "causeway tx transfer: --to must be 1..%u bytes and --memo at most %u\n",
                CW_MSG_TRANSFER_RECEIVER_MAX, CW_MSG_TRANSFER_MEMO_MAX);
        return 2;
    }
    keyring = cw_cli_keyring(keyring);
    node = cw_cli_node(node);
    /* the receiver is text on the other chain; a key name here stands for its address */
    snprintf(m.receiver, sizeof m.receiver, "%s", to);
    {
        char path[4096];
        cw_seckey sk;
        cw_pubkey32 pk;
        snprintf(path, sizeof path, "%s/%s.json", keyring, to);
        if (cw_id_validate(to, strlen(to), "name", NULL, 0) == CW_OK && strlen(to) != 40 &&
            cw_keyfile_read(path, &sk, &pk, err, sizeof err) == CW_OK) {
            cw_address a;
            cw_seckey_wipe(&sk);
            cw_address_of(&a, &pk);
            cw_hex_encode(m.receiver, sizeof m.receiver, a.b, 20);
        }
    }
    snprintf(m.channel, sizeof m.channel, "%s", channel);
    snprintf(m.memo, sizeof m.memo, "%s", memo);
    if (theight && (cw_u64_from_dec(&m.timeout_height, theight, err, sizeof err) ||
                    m.timeout_height == 0)) {
        fprintf(stderr, "causeway tx transfer: --timeout-height: '%s' is not a height\n",
                theight);
        return 2;
    }
    uint64_t rel = 600ull * 1000000000ull;
    if (timeout && parse_duration(timeout, &rel)) {
        fprintf(stderr, "causeway tx transfer: --timeout: '%s' is not a duration (90s, 10m, "
                        "2h)\n", timeout);
        return 2;
    }
    if ((timeout || !theight) &&
        cw_cli_default_timeout(node, CW_ICS20_PORT, channel, rel, &m.timeout_timestamp_ns))
        return 1;
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_transfer_enc(&e, &m);
    const uint8_t *mp = cw_enc_data(&e);
    size_t ml = cw_enc_len(&e);
    int rc = cw_cli_broadcast(node, keyring, from, &mp, &ml, 1, "", gas, no_wait,
                              (unsigned)wait_s, json);
    cw_enc_free(&e);
    return rc;
}

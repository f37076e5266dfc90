#include "causeway/error.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cw_strerror(int rc)
{
    static _Thread_local char buf[128];

    switch (rc) {
    case CW_OK: return "success";
    case CW_EMALFORMED: return "CW_EMALFORMED: input does not decode";
    case CW_ENONCANONICAL: return "CW_ENONCANONICAL: input is not in canonical encoding";
    case CW_ETOOBIG: return "CW_ETOOBIG: length or count exceeds its bound";
    case CW_EINVAL: return "CW_EINVAL: value outside its allowed domain";
    case CW_EBADSIG: return "CW_EBADSIG: signature does not verify";
    case CW_EBADPROOF: return "CW_EBADPROOF: proof does not verify";
    case CW_EBADHEADER: return "CW_EBADHEADER: header or commit does not verify";
    case CW_ETHRESHOLD: return "CW_ETHRESHOLD: not enough voting power";
    case CW_EEXPIRED: return "CW_EEXPIRED: past the trusting period";
    case CW_EFROZEN: return "CW_EFROZEN: client is frozen";
    case CW_EMISBEHAVIOUR: return "CW_EMISBEHAVIOUR: conflicting headers";
    case CW_EOVERFLOW: return "CW_EOVERFLOW: arithmetic overflow";
    case CW_ENOTFOUND: return "CW_ENOTFOUND: not found";
    case CW_EEXISTS: return "CW_EEXISTS: already exists";
    case CW_ESTATE: return "CW_ESTATE: wrong state for this operation";
    case CW_ETIMEOUT: return "CW_ETIMEOUT: timed out";
    case CW_ENONCE: return "CW_ENONCE: wrong nonce";
    case CW_EUNAUTHORIZED: return "CW_EUNAUTHORIZED: signer not authorized";
    case CW_EINSUFFICIENT: return "CW_EINSUFFICIENT: insufficient funds or collateral";
    case CW_ESTALE: return "CW_ESTALE: stale price";
    case CW_EUNSUPPORTED: return "CW_EUNSUPPORTED: unsupported";
    case CW_EUNHEALTHY: return "CW_EUNHEALTHY: position would be under its LTV";
    case CW_ECLOSED: return "CW_ECLOSED: connection closed";
    case CW_EOUTOFGAS: return "CW_EOUTOFGAS: out of gas";
    default: break;
    }
    if (rc <= CW_ERR_FIRST && rc >= CW_ERR_LAST) {
        snprintf(buf, sizeof buf, "CW_E(%d): unknown Causeway error", rc);
        return buf;
    }
    if (rc < 0) {
        /* GNU strerror_r may return a static string instead of filling buf. */
        const char *s = strerror_r(-rc, buf, sizeof buf);
        return s ? s : "unknown error";
    }
    snprintf(buf, sizeof buf, "unexpected positive return %d", rc);
    return buf;
}

int cw_errf(char *err, size_t err_len, int rc, const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int cw_err_prefix(char *err, size_t err_len, int rc, const char *prefix)
{
    if (err && err_len > 0) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, err_len, "%s: %s", prefix, tmp);
    }
    return rc;
}

int cw_lmdb_error(int mdb_rc)
{
    if (mdb_rc >= 0)
        return -mdb_rc; /* MDB_SUCCESS, or an errno */
    switch (mdb_rc) {
    case MDB_NOTFOUND: return CW_ENOTFOUND;
    case MDB_KEYEXIST: return CW_EEXISTS;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_DBS_FULL: return -ENOSPC;
    case MDB_READERS_FULL:
    case MDB_TLS_FULL:
    case MDB_MAP_RESIZED: return -EAGAIN;
    case MDB_BAD_VALSIZE: return CW_ETOOBIG;
    case MDB_BAD_TXN:
    case MDB_BAD_RSLOT:
    case MDB_BAD_DBI: return CW_ESTATE;
    case MDB_INCOMPATIBLE: return CW_EINVAL;
    default: return -EIO; /* MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC, … */
    }
}

/* causeway keys add|show|list — BIP-340 keys as 0600 JSON files in a keyring directory. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "causeway/cliopt.h"
#include "causeway/hex.h"
#include "causeway/schnorr.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: causeway keys add NAME | show NAME | list   [--keyring DIR] [--json]\n"
               "  The keyring is --keyring, else $CAUSEWAY_KEYRING, else ~/.causeway/keys.\n");
}

static int mkdirs(const char *dir)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void print_key(const char *name, const cw_pubkey32 *pk, bool json)
{
    cw_address a;
    char ah[41], ph[65];
    cw_address_of(&a, pk);
    cw_hex_encode(ah, sizeof ah, a.b, 20);
    cw_hex_encode(ph, sizeof ph, pk->b, 32);
    if (json)
        printf("{\"name\":\"%s\",\"address\":\"%s\",\"public_key\":\"%s\"}\n", name, ah, ph);
    else
        printf("%-16s address %s  public key %s\n", name, ah, ph);
}

int cw_cli_keys(int argc, char **argv)
{
    const char *keyring_flag = NULL;
    bool json = false;
    const cw_cliopt opts[] = {{"keyring", .str = &keyring_flag}, {"json", .flag = &json}, {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    const char *keyring = cw_cli_keyring(keyring_flag);
    if (end >= argc) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[end];
    char err[512], path[PATH_MAX];
    cw_seckey sk;
    cw_pubkey32 pk;
    if (strcmp(sub, "add") == 0 || strcmp(sub, "show") == 0) {
        if (end + 2 != argc) {
            usage(stderr);
            return 2;
        }
        const char *name = argv[end + 1];
        if (cw_id_validate(name, strlen(name), "key name", err, sizeof err)) {
            fprintf(stderr, "causeway keys: %s\n", err);
            return 2;
        }
        snprintf(path, sizeof path, "%s/%s.json", keyring, name);
        if (strcmp(sub, "add") == 0) {
            if (mkdirs(keyring) != 0) {
                fprintf(stderr, "causeway keys: %s: %s\n", keyring, strerror(errno));
                return 1;
            }
            if (cw_key_generate(&sk, &pk) || cw_keyfile_write(path, &sk, err, sizeof err)) {
                cw_seckey_wipe(&sk);
                fprintf(stderr, "causeway keys: %s\n", err);
                return 1;
            }
        } else if (cw_keyfile_read(path, &sk, &pk, err, sizeof err)) {
            fprintf(stderr, "causeway keys: %s\n", err);
            return 1;
        }
        cw_seckey_wipe(&sk);
        print_key(name, &pk, json);
        return 0;
    }
    if (strcmp(sub, "list") == 0 && end + 1 == argc) {
        DIR *d = opendir(keyring);
        if (!d) {
            fprintf(stderr, "causeway keys: %s: %s\n", keyring, strerror(errno));
            return 1;
        }
        struct dirent *de;
        int status = 0;
        while ((de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
                continue;
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(n - 5), de->d_name);
            snprintf(path, sizeof path, "%s/%s", keyring, de->d_name);
            if (cw_keyfile_read(path, &sk, &pk, err, sizeof err)) {
                fprintf(stderr, "causeway keys: %s\n", err);
                status = 1;
                continue;
            }
            cw_seckey_wipe(&sk);
            print_key(name, &pk, json);
        }
        closedir(d);
        return status;
    }
    usage(stderr);
    return 2;
}

/* Layered key/value caches: read-through, commit, discard, nesting, deletes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "causeway/kv.h"

static void expect(const cw_kv *kv, const char *key, const char *want)
{
    const uint8_t *v;
    size_t n;
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (!want) {
        assert_int_equal(rc, CW_ENOTFOUND);
        return;
    }
    assert_int_equal(rc, CW_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
}

static void test_store_set_get_delete(void **s)
{
    (void)s;
    cw_kv_cache *st;
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(st);
    assert_int_equal(cw_kv_set_s(&kv, "a", "1", 1), CW_OK);
    assert_int_equal(cw_kv_set_s(&kv, "b", "", 0), CW_OK); /* empty value exists */
    expect(&kv, "a", "1");
    expect(&kv, "b", "");
    expect(&kv, "c", NULL);
    assert_int_equal(cw_kv_set_s(&kv, "a", "22", 2), CW_OK);
    expect(&kv, "a", "22");
    assert_int_equal(cw_kv_del_s(&kv, "a"), CW_OK);
    assert_int_equal(cw_kv_del_s(&kv, "zz"), CW_OK);
    expect(&kv, "a", NULL);
    assert_int_equal(cw_kv_cache_pending(st), 1);
    assert_int_equal(cw_kv_cache_commit(st), CW_EINVAL); /* no parent */
    cw_kv_cache_destroy(st);
}

static void test_cache_reads_through_and_commits_in_order(void **s)
{
    (void)s;
    cw_kv_cache *st, *tx;
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv base = cw_kv_cache_kv(st);
    assert_int_equal(cw_kv_set_s(&base, "k1", "base", 4), CW_OK);
    assert_int_equal(cw_kv_set_s(&base, "k2", "gone", 4), CW_OK);
    assert_int_equal(cw_kv_cache_create(&tx, &base), CW_OK);
    cw_kv t = cw_kv_cache_kv(tx);
    expect(&t, "k1", "base");
    assert_int_equal(cw_kv_set_s(&t, "k1", "tx", 2), CW_OK);
    assert_int_equal(cw_kv_del_s(&t, "k2"), CW_OK);
    assert_int_equal(cw_kv_set_s(&t, "k3", "new", 3), CW_OK);
    expect(&t, "k1", "tx");
    expect(&t, "k2", NULL);
    expect(&base, "k1", "base"); /* parent untouched until commit */
    expect(&base, "k2", "gone");
    assert_int_equal(cw_kv_cache_commit(tx), CW_OK);
    assert_int_equal(cw_kv_cache_pending(tx), 0);
    expect(&base, "k1", "tx");
    expect(&base, "k2", NULL);
    expect(&base, "k3", "new");
    cw_kv_cache_destroy(tx);
    cw_kv_cache_destroy(st);
}

static void test_discard_leaves_parent_unchanged(void **s)
{
    (void)s;
    cw_kv_cache *st, *tx, *app;
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv base = cw_kv_cache_kv(st);
    assert_int_equal(cw_kv_set_s(&base, "bal", "10", 2), CW_OK);
    assert_int_equal(cw_kv_cache_create(&tx, &base), CW_OK);
    cw_kv t = cw_kv_cache_kv(tx);
    assert_int_equal(cw_kv_cache_create(&app, &t), CW_OK);
    cw_kv a = cw_kv_cache_kv(app);
    assert_int_equal(cw_kv_set_s(&a, "bal", "0", 1), CW_OK);
    expect(&a, "bal", "0");
    cw_kv_cache_discard(app); /* e.g. an error acknowledgement */
    expect(&a, "bal", "10");
    expect(&t, "bal", "10");
    assert_int_equal(cw_kv_set_s(&a, "x", "1", 1), CW_OK);
    assert_int_equal(cw_kv_cache_commit(app), CW_OK); /* into the tx layer only */
    expect(&t, "x", "1");
    expect(&base, "x", NULL);
    cw_kv_cache_discard(tx); /* a failing tx */
    expect(&base, "x", NULL);
    cw_kv_cache_destroy(app);
    cw_kv_cache_destroy(tx);
    cw_kv_cache_destroy(st);
}

struct seen {
    char keys[8][8];
    int n, deletes;
};

static int visit(void *user, const uint8_t *key, size_t key_len, const uint8_t *val,
                 size_t val_len)
{
    (void)val_len;
    struct seen *s = user;
    memcpy(s->keys[s->n], key, key_len);
    s->keys[s->n++][key_len] = '\0';
    s->deletes += val == NULL;
    return 0;
}

static void test_each_visits_in_key_order(void **s)
{
    (void)s;
    cw_kv_cache *st, *c;
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv base = cw_kv_cache_kv(st);
    assert_int_equal(cw_kv_cache_create(&c, &base), CW_OK);
    cw_kv kv = cw_kv_cache_kv(c);
    const char *keys[] = {"m", "b", "zz", "a", "ba"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cw_kv_set_s(&kv, keys[i], "v", 1), CW_OK);
    assert_int_equal(cw_kv_del_s(&kv, "c"), CW_OK);
    struct seen seen = {0};
    assert_int_equal(cw_kv_cache_each(c, visit, &seen), 0);
    assert_int_equal(seen.n, 6);
    const char *want[] = {"a", "b", "ba", "c", "m", "zz"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(seen.keys[i], want[i]);
    assert_int_equal(seen.deletes, 1);
    cw_kv_cache_destroy(c);
    cw_kv_cache_destroy(st);
}

static void test_bounds_on_keys_and_values(void **s)
{
    (void)s;
    cw_kv_cache *st;
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(st);
    static uint8_t big[CW_KV_VALUE_MAX + 1];
    const uint8_t *v;
    size_t n;
    assert_int_equal(cw_kv_set(&kv, "k", 0, "v", 1), CW_EINVAL);
    assert_int_equal(cw_kv_set(&kv, big, CW_KV_KEY_MAX + 1, "v", 1), CW_ETOOBIG);
    assert_int_equal(cw_kv_set(&kv, big, CW_KV_KEY_MAX, "v", 1), CW_OK);
    assert_int_equal(cw_kv_set(&kv, "k", 1, big, CW_KV_VALUE_MAX + 1), CW_ETOOBIG);
    assert_int_equal(cw_kv_get(&kv, big, CW_KV_KEY_MAX + 1, &v, &n), CW_ETOOBIG);
    assert_int_equal(cw_kv_cache_pending(st), 1);
    cw_kv_cache_destroy(st);
    cw_kv_cache_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_set_get_delete),
        cmocka_unit_test(test_cache_reads_through_and_commits_in_order),
        cmocka_unit_test(test_discard_leaves_parent_unchanged),
        cmocka_unit_test(test_each_visits_in_key_order),
        cmocka_unit_test(test_bounds_on_keys_and_values),
    };
    return cmocka_run_group_tests_name("kv", tests, NULL, NULL);
}

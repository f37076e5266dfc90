/* Command-line parsing (common/cliopt.c): options into their variables, --help, usage
 * errors, operands behind the options, and the subcommand dispatcher's answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "causeway/cliopt.h"

static int g_usage_out, g_usage_err;

static void usage(FILE *f)
{
    if (f == stdout)
        g_usage_out++;
    else
        g_usage_err++;
}

static int parse_even(const cw_cliopt *o, const char *arg)
{
    uint64_t v = 0;
    for (const char *p = arg; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v % 2 || v < o->min || v > o->max)
        return -1;
    *(uint64_t *)o->dst = v;
    return 0;
}

struct vals {
    const char *name;
    bool json, have_n;
    uint64_t n;
};

/* parse argv (NULL-terminated, from index first) into v; *end the first operand */
static int run(struct vals *v, char **argv, int first, const char *unknown, int *end)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(v, 0, sizeof *v);
    g_usage_out = g_usage_err = 0;
    const cw_cliopt opts[] = {
        {"name", .str = &v->name},
        {"json", .flag = &v->json},
        {"n", .parse = parse_even, .dst = &v->n, .seen = &v->have_n, .min = 2, .max = 10},
        {0}};
    return cw_cliopt_parse(argc, argv, first, opts, usage, unknown, end);
}

static void test_options_land_in_their_variables(void **s)
{
    (void)s;
    char *argv[] = {"cmd", "sub", "op1", "--name", "x", "--json", "op2", "--n", "4", NULL};
    struct vals v;
    int end;
    assert_int_equal(run(&v, argv, 2, NULL, &end), CW_CLIOPT_GO);
    assert_string_equal(v.name, "x");
    assert_true(v.json);
    assert_true(v.have_n);
    assert_int_equal(v.n, 4);
    /* operands are permuted behind the options */
    assert_int_equal(end, 7);
    assert_string_equal(argv[end], "op1");
    assert_string_equal(argv[end + 1], "op2");
    assert_int_equal(g_usage_out + g_usage_err, 0);

    char *none[] = {"cmd", NULL};
    assert_int_equal(run(&v, none, 1, NULL, &end), CW_CLIOPT_GO);
    assert_null(v.name);
    assert_false(v.json);
    assert_false(v.have_n);
    assert_int_equal(end, 1);
}

static void test_help_is_exit_0_with_usage_on_stdout(void **s)
{
    (void)s;
    char *argv[] = {"cmd", "--name", "x", "--help", "--bogus", NULL};
    struct vals v;
    int end;
    assert_int_equal(run(&v, argv, 1, NULL, &end), 0);
    assert_int_equal(g_usage_out, 1);
    assert_int_equal(g_usage_err, 0);
}

static void test_usage_errors_are_exit_2(void **s)
{
    (void)s;
    struct vals v;
    int end;
    char *unknown[] = {"cmd", "--bogus", NULL};
    assert_int_equal(run(&v, unknown, 1, "test", &end), 2);
    assert_int_equal(g_usage_err, 1);
    char *missing[] = {"cmd", "--name", NULL};
    assert_int_equal(run(&v, missing, 1, "test", &end), 2);
    assert_int_equal(g_usage_err, 1);
    char *flag_arg[] = {"cmd", "--json=yes", NULL};
    assert_int_equal(run(&v, flag_arg, 1, "test", &end), 2);
    /* a parse function's refusal: its own message, no usage */
    char *odd[] = {"cmd", "--n", "3", NULL};
    assert_int_equal(run(&v, odd, 1, NULL, &end), 2);
    assert_int_equal(g_usage_err, 0);
    char *range[] = {"cmd", "--n", "12", NULL};
    assert_int_equal(run(&v, range, 1, NULL, &end), 2);
    assert_true(v.have_n); /* seen, though refused */
}

static void test_too_many_options_is_refused(void **s)
{
    (void)s;
    static cw_cliopt many[CW_CLIOPT_MAX + 2];
    static bool flags[CW_CLIOPT_MAX + 1];
    static char names[CW_CLIOPT_MAX + 1][8];
    for (int i = 0; i <= CW_CLIOPT_MAX; i++) {
        snprintf(names[i], sizeof names[i], "o%d", i);
        many[i] = (cw_cliopt){names[i], .flag = &flags[i]};
    }
    char *argv[] = {"cmd", NULL};
    int end;
    assert_int_equal(cw_cliopt_parse(1, argv, 1, many, usage, NULL, &end), 2);
    many[CW_CLIOPT_MAX] = (cw_cliopt){0};
    char *last[] = {"cmd", "--o31", NULL};
    assert_int_equal(cw_cliopt_parse(2, last, 1, many, usage, NULL, &end), CW_CLIOPT_GO);
    assert_true(flags[CW_CLIOPT_MAX - 1]);
}

static int g_ran_argc;
static const char *g_ran_argv0;
static int sub_run(int argc, char **argv)
{
    g_ran_argc = argc;
    g_ran_argv0 = argv[0];
    return 7;
}

static void test_dispatch(void **s)
{
    (void)s;
    static const cw_clicmd cmds[] = {{"one", sub_run, NULL}, {"two", sub_run, "second"}};
    char *run_two[] = {"prog", "two", "--x", NULL};
    g_usage_out = g_usage_err = 0;
    assert_int_equal(cw_clicmd_dispatch(3, run_two, cmds, 2, usage, "prog", "command"), 7);
    assert_int_equal(g_ran_argc, 2);
    assert_string_equal(g_ran_argv0, "two");
    for (int i = 0; i < 3; i++) {
        char *help[] = {"prog", (char *[]){"--help", "-h", "help"}[i], NULL};
        assert_int_equal(cw_clicmd_dispatch(2, help, cmds, 2, usage, "prog", "command"), 0);
    }
    assert_int_equal(g_usage_out, 3);
    char *bogus[] = {"prog", "three", NULL};
    assert_int_equal(cw_clicmd_dispatch(2, bogus, cmds, 2, usage, "prog", "command"), 2);
    char *none[] = {"prog", NULL};
    assert_int_equal(cw_clicmd_dispatch(1, none, cmds, 2, usage, "prog", "command"), 2);
    assert_int_equal(g_usage_err, 2);
    assert_true(cw_cliopt_is_help("help"));
    assert_false(cw_cliopt_is_help("--helpx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_land_in_their_variables),
        cmocka_unit_test(test_help_is_exit_0_with_usage_on_stdout),
        cmocka_unit_test(test_usage_errors_are_exit_2),
        cmocka_unit_test(test_too_many_options_is_refused),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("cliopt", tests, NULL, NULL);
}

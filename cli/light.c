/* Placeholder until the light command lands; replaced whole by its module's change. */
#include <stdio.h>

#include "cli.h"

int cw_cli_light(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "causeway light: this command is not built yet\n");
    return 2;
}

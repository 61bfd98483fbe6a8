// SPDX-License-Identifier: BSD-3-Clause
/* Placeholder while under construction in this session; replaced by the real command group. */
#include <stdio.h>
#include "commands.h"

int do_xdp(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "sipwallctl %s: not built yet\n", argv[0]);
	return 1;
}

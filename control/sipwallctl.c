// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl: the control CLI of sipwall. A table of command groups in the manner of ip(8) and bpftool(8);
 * each group parses its own options and prints its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct ctl_command commands[] = {
	{ "check", do_check, "run the SIP core on captured traffic and say what sipwall would do" },
	{ "policy", do_policy, "validate and show policy files" },
	{ "xdp", do_xdp, "attach, detach and inspect the XDP prefilter" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl COMMAND [ARGS...]\n       sipwallctl COMMAND --help\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sipwallctl: unknown command '%s' (try 'sipwallctl --help')\n", argv[1]);
	return 1;
}

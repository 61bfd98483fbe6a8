// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl: the control CLI of sipwall. A table of command groups in the manner of ip(8) and bpftool(8);
 * each group parses its own options and prints its own --help.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctl_client.h"

static const struct ctl_command commands[] = {
	{ "check", do_check, "run the SIP core on captured traffic and say what sipwall would do" },
	{ "policy", do_policy, "validate, show, diff policy files; load one into the running sipwall" },
	{ "rule", do_rule, "add, delete, list the running rules; per-rule hits" },
	{ "limits", do_limits, "set a limit of the running policy" },
	{ "block", do_block, "the XDP blocklist: add, del, list, gc (same as 'xdp block')" },
	{ "stats", do_stats, "dataplane and XDP counters, once or every N seconds with rates" },
	{ "top", do_top, "live full-screen rates per status, drop reason and rule" },
	{ "xdp", do_xdp, "attach, detach and inspect the XDP prefilter" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl [-s|--socket PATH] COMMAND [ARGS...]\n       sipwallctl COMMAND --help\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nCommands on the running sipwall use its control socket: -s/--socket PATH, else $%s, else %s\n"
		   "(docs/control.md). Read commands take -j/--json. Exit status 0, or 1 with the reason on stderr.\n",
		CTL_SOCKET_ENV, CTL_SOCKET_DEFAULT);
}

/*
 * -s/--socket PATH before the command; --socket PATH or --socket=PATH also after it (no command uses that name).
 * Removes them from argv. Returns the new argc, or -1 on a missing PATH.
 */
static int take_socket_option(int argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		bool before_cmd = out == 1;

		if (!strncmp(argv[i], "--socket=", 9)) {
			ctl_set_socket(argv[i] + 9);
		} else if (!strcmp(argv[i], "--socket") || (before_cmd && !strcmp(argv[i], "-s"))) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sipwallctl: %s needs a PATH\n", argv[i]);
				return -1;
			}
			ctl_set_socket(argv[++i]);
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	argc = take_socket_option(argc, argv);
	if (argc < 0)
		return 1;
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

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipwallctl's command table: one entry per command group, each implemented in its own file as
 * do_<group>(argc, argv) with argv[0] the group name. Returns the process exit code (0 or 1).
 */
#ifndef SIPWALLCTL_COMMANDS_H
#define SIPWALLCTL_COMMANDS_H

struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int do_check(int argc, char **argv);  /* cmd_check.c */
int do_policy(int argc, char **argv); /* cmd_policy.c */
int do_xdp(int argc, char **argv);    /* cmd_xdp.c */

#endif

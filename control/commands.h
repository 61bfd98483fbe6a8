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

/* A command group's subcommands (policy, rule, limits): run gets argv[0] = the subcommand's name. */
struct ctl_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *summary;
};

int do_check(int argc, char **argv);  /* cmd_check.c */
int do_policy(int argc, char **argv); /* cmd_policy.c */
int do_xdp(int argc, char **argv);    /* cmd_xdp.c */
int do_rule(int argc, char **argv);   /* cmd_rule.c */
int do_limits(int argc, char **argv); /* cmd_rule.c */
int do_block(int argc, char **argv);  /* cmd_stats.c: the same code as `xdp block` */
int do_stats(int argc, char **argv);  /* cmd_stats.c */
int do_top(int argc, char **argv);    /* cmd_stats.c */

/* sipwallctl policy diff (cmd_policy_diff.c), a subcommand of do_policy. */
int do_policy_diff(int argc, char **argv);

struct sw_policy;
/* Load a policy file as the dataplane would (cmd_policy.c); NULL after the loader's message on stderr. */
struct sw_policy *ctl_policy_load(const char *file);

#endif

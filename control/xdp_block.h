/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blocklist commands over the pinned XDP maps: add, del, list, gc. Kept apart from cmd_xdp.c so that another
 * command group (a top-level `sipwallctl block`) can run them unchanged.
 */
#ifndef SIPWALLCTL_XDP_BLOCK_H
#define SIPWALLCTL_XDP_BLOCK_H

/*
 * Run a blocklist command. cmd is how the user reached it, for messages and usage ("xdp block", "block");
 * argv[0] is the group's own name and argv[1] the subcommand. Returns the process exit code (0 or 1).
 */
int xdp_block_main(const char *cmd, int argc, char **argv);

#endif

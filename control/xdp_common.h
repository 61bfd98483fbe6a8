/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by sipwallctl's XDP commands (cmd_xdp.c, xdp_block.c): privilege check, opening the pinned maps
 * with a clear message, and the few pieces of output both print. Only meaningful when built with SW_HAVE_XDP.
 */
#ifndef SIPWALLCTL_XDP_COMMON_H
#define SIPWALLCTL_XDP_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"

#ifdef SW_HAVE_XDP
#include "sw_xdp_lib.h"

/* Route libbpf's and libxdp's logs to stderr at warning level ($SIPWALL_DEBUG=1: everything). Idempotent. */
void xdp_cli_logging(void);

/* Hold libbpf/libxdp warnings back from now on; release() prints them if print is true, else drops them. */
void xdp_cli_log_hold(void);
void xdp_cli_log_release(bool print);

/* 0 when running as root; otherwise prints "CMD: must be run as root ..." and returns -EPERM. */
int xdp_cli_need_root(const char *cmd);

/* Open the pinned maps; on failure prints why (not pinned, permission) prefixed by cmd and returns -errno. */
int xdp_cli_open_maps(const char *cmd, struct sw_xdp_maps *m);
/* The message xdp_cli_open_maps() prints for err (from sw_xdp_maps_open()). */
void xdp_cli_maps_error(const char *cmd, int err);

/* Print "CMD: WHAT: strerror" with the hint that fits err (permissions, not pinned, ...). */
void xdp_cli_error(const char *cmd, const char *what, int err);
#endif

/* A JSON string: quotes, backslashes and control characters escaped. */

bool xdp_cli_is_help(const char *arg);

#endif

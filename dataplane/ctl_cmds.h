/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's commands (docs/control.md): policy show/load, rule list/stats/add/del, limits set, stats.
 * One table; each entry takes the request object and returns the response object.
 */
#ifndef DP_CTL_CMDS_H
#define DP_CTL_CMDS_H

#include <jansson.h>

/* The ctl_handler_fn of the daemon's control socket: arg is the struct dp_app. */
json_t *dp_ctl_handle(void *arg, json_t *req);

#endif

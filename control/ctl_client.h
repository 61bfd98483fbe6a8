/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipwallctl's client of the daemon's control socket (protocol: docs/control.md). The socket is -s/--socket PATH,
 * else $SIPWALL_SOCKET, else /run/sipwall/sipwall.sock.
 */
#ifndef SIPWALLCTL_CTL_CLIENT_H
#define SIPWALLCTL_CTL_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define CTL_SOCKET_ENV "SIPWALL_SOCKET"
#define CTL_SOCKET_DEFAULT "/run/sipwall/sipwall.sock"

/* Set by -s/--socket (sipwallctl.c); NULL: $SIPWALL_SOCKET or the default. */
void ctl_set_socket(const char *path);
const char *ctl_socket(void);

/*
 * Send req (taken, freed here) and wait for the response. Returns the response when it says "ok": true;
 * otherwise prints "sipwallctl CMD: <why>" on stderr (the daemon's error, or why it could not be reached) and
 * returns NULL. cmd is how the user reached it ("policy load"), for messages.
 */
json_t *ctl_call(const char *cmd, json_t *req);

/* Print v as one line of JSON on stdout. */
void ctl_print_json(json_t *v);

/* -j / --json */
bool ctl_is_json_flag(const char *arg);

/* Integer field of a response (0 when absent), and a number field as double. */
long long ctl_int(json_t *o, const char *key);
double ctl_num(json_t *o, const char *key);

#endif

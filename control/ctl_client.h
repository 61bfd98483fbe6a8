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

/*
 * ctl_call(cmd, req), then the response on stdout: as one line of JSON when json, else as print(r, arg) has it.
 * Returns the exit code: 0, or 1 when the call failed (ctl_call said why).
 */
int ctl_call_print(const char *cmd, json_t *req, bool json, void (*print)(json_t *r, const void *arg), const void *arg);

/* -j / --json */
bool ctl_is_json_flag(const char *arg);

/* -h / --help */
bool ctl_is_help_flag(const char *arg);

/* The command line most live commands take: -j|--json and exactly npos positional arguments, in any order. */
struct ctl_args {
	const char *cmd;     /* messages say "sipwallctl CMD: ..."; NULL: "sipwallctl: ..." */
	const char *usage;   /* printed on stdout by -h|--help */
	const char *missing; /* what "missing ..." calls the positional arguments ("FILE") */
	int npos;
	bool usage_on_error; /* usage follows an error message on stderr */
};

/*
 * Parse argv[1..argc) by spec into pos[0..npos) and *json (set when -j is given). Returns 0; 1 after a message on
 * stderr (exit 1); -1 after printing the usage for -h (exit 0). A lone "-" is positional (stdin by convention).
 */
int ctl_parse_args(int argc, char **argv, const struct ctl_args *spec, const char **pos, bool *json);

/* Integer field of a response (0 when absent), and a number field as double. */
long long ctl_int(json_t *o, const char *key);
double ctl_num(json_t *o, const char *key);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's control socket (docs/control.md): a UNIX stream socket where each connection carries one JSON
 * request (ended by a newline or by the client's shutdown) and gets one JSON response line back. Served from the
 * main lcore's control loop with poll(): requests run one at a time, so two policy loads are serialised by
 * construction, and nothing here ever runs on a worker.
 */
#ifndef DP_CTL_SERVER_H
#define DP_CTL_SERVER_H

#include <stddef.h>

#include <jansson.h>

#define CTL_DEFAULT_SOCKET "/run/sipwall/sipwall.sock"
#define CTL_GROUP "sipwall"
#define CTL_MAX_REQUEST (16u << 20) /* a policy of 10,000 rules is ~1 MiB of YAML: 16 MiB leaves room */
#define CTL_MAX_CLIENTS 16          /* connections read at once; more are answered "busy" and closed */
#define CTL_CLIENT_TIMEOUT_MS 5000  /* a request must arrive whole, and its response be taken, within this */

struct ctl_server;

/*
 * Answer one request. req is a JSON object with a string "cmd"; returns a new JSON object (the server adds
 * "ok": true when it has no "ok", and frees it), never NULL except on memory exhaustion.
 */
typedef json_t *(*ctl_handler_fn)(void *arg, json_t *req);

/*
 * Listen on path: its directory is created 0750 when missing; the socket is mode 0660, group CTL_GROUP when that
 * group exists, else 0600 (root only). A stale socket file is replaced; a live one (another daemon) is an error.
 * NULL with a message in err.
 */
struct ctl_server *ctl_server_open(const char *path, ctl_handler_fn fn, void *arg, char *err, size_t errlen);

/*
 * One round of the control loop: wait up to timeout_ms for the socket or a client, accept, read, run the handler
 * for every complete request, answer, close. Clients past their deadline are closed. Returns the number of
 * requests answered.
 */
unsigned ctl_server_poll(struct ctl_server *s, int timeout_ms);

/* Close every client and the socket and remove the socket file. NULL-safe. */
void ctl_server_close(struct ctl_server *s);

#endif

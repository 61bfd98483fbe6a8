// SPDX-License-Identifier: BSD-3-Clause
/* The control socket client (see ctl_client.h): one connection per request, one JSON line each way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_client.h"

/* A load of 10,000 rules compiles in seconds; far beyond that the daemon is wedged, and saying so beats hanging. */
#define CTL_REPLY_TIMEOUT_S 300

static const char *socket_path;

void ctl_set_socket(const char *path)
{
	socket_path = path;
}

const char *ctl_socket(void)
{
	const char *env = getenv(CTL_SOCKET_ENV);

	if (socket_path)
		return socket_path;
	return env && *env ? env : CTL_SOCKET_DEFAULT;
}

static int connect_daemon(const char *cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_REPLY_TIMEOUT_S };
	const char *path = ctl_socket();
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sipwallctl %s: socket path too long: %s\n", cmd, path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	err = -errno;
	close(fd);
	if (err == -EACCES || err == -EPERM)
		fprintf(stderr, "sipwallctl %s: %s: permission denied (root or group 'sipwall' only)\n", cmd, path);
	else
		fprintf(stderr, "sipwallctl %s: cannot reach sipwall at %s: %s (is it running? -s/--socket PATH or $%s)\n",
			cmd, path, strerror(-err), CTL_SOCKET_ENV);
	return err;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until EOF or a newline: the response. NULL with errno set. */
static char *recv_line(int fd, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			char *grown = realloc(buf, cap ? cap * 2 : 65536);

			if (!grown) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = grown;
			cap = cap ? cap * 2 : 65536;
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0 || memchr(buf + n, '\n', (size_t)r)) {
			n += (size_t)r;
			break;
		}
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

json_t *ctl_call(const char *cmd, json_t *req)
{
	char *text, *line = NULL;
	json_t *resp = NULL;
	json_error_t jerr;
	size_t len = 0;
	int fd, err;

	/* jansson refuses strings that are not UTF-8: a request that could not be built is the arguments' fault */
	if (!req) {
		fprintf(stderr, "sipwallctl %s: arguments must be UTF-8 text\n", cmd);
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) {
		fprintf(stderr, "sipwallctl %s: out of memory\n", cmd);
		return NULL;
	}
	fd = connect_daemon(cmd);
	if (fd < 0)
		goto out;
	err = send_all(fd, text, strlen(text));
	if (!err)
		err = send_all(fd, "\n", 1);
	/*
	 * The daemon may refuse a request before it has read it all (one over its size limit): it answers why, then
	 * closes. Read that answer rather than report the broken pipe.
	 */
	if (err == -EPIPE || err == -ECONNRESET)
		shutdown(fd, SHUT_WR);
	else if (err) {
		fprintf(stderr, "sipwallctl %s: sending to %s: %s\n", cmd, ctl_socket(), strerror(-err));
		goto out;
	}
	line = recv_line(fd, &len);
	if (err && (!line || !len)) {
		fprintf(stderr, "sipwallctl %s: sending to %s: %s\n", cmd, ctl_socket(), strerror(-err));
		goto out;
	}
	if (!line || !len) {
		fprintf(stderr, "sipwallctl %s: no response from %s: %s\n", cmd, ctl_socket(),
			line ? "connection closed" : errno == EAGAIN ? "timed out" : strerror(errno));
		goto out;
	}
	resp = json_loadb(line, len, 0, &jerr);
	if (!resp) {
		fprintf(stderr, "sipwallctl %s: bad response from %s: %s\n", cmd, ctl_socket(), jerr.text);
	} else if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *why = json_string_value(json_object_get(resp, "error"));

		fprintf(stderr, "sipwallctl %s: %s\n", cmd, why ? why : "failed (no reason given)");
		json_decref(resp);
		resp = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(line);
	free(text);
	return resp;
}

void ctl_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15));
	putchar('\n');
}

int ctl_call_print(const char *cmd, json_t *req, bool json, void (*print)(json_t *r, const void *arg), const void *arg)
{
	json_t *r = ctl_call(cmd, req);

	if (!r)
		return 1;
	if (json)
		ctl_print_json(r);
	else
		print(r, arg);
	json_decref(r);
	return 0;
}

bool ctl_is_json_flag(const char *arg)
{
	return !strcmp(arg, "-j") || !strcmp(arg, "--json");
}

bool ctl_is_help_flag(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int ctl_parse_args(int argc, char **argv, const struct ctl_args *spec, const char **pos, bool *json)
{
	const char *sep = spec->cmd ? " " : "", *cmd = spec->cmd ? spec->cmd : "";
	const char *usage = spec->usage_on_error ? spec->usage : "";
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (ctl_is_help_flag(argv[i])) {
			fputs(spec->usage, stdout);
			return -1;
		} else if (ctl_is_json_flag(argv[i])) {
			*json = true;
		} else if (n < spec->npos && (argv[i][0] != '-' || !argv[i][1])) {
			pos[n++] = argv[i];
		} else {
			fprintf(stderr, "sipwallctl%s%s: unexpected argument '%s'\n%s", sep, cmd, argv[i], usage);
			return 1;
		}
	}
	if (n != spec->npos) {
		fprintf(stderr, "sipwallctl%s%s: missing %s\n%s", sep, cmd, spec->missing, usage);
		return 1;
	}
	return 0;
}

long long ctl_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

double ctl_num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (see ctl_server.h). Non-blocking accept and reads under one poll(), so a slow or silent
 * client only holds its own slot until its deadline; the handler itself runs inline on the main lcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_server.h"

struct ctl_client {
	int fd;                 /* -1: free slot */
	char *buf;
	size_t len, cap;
	int64_t deadline_ms;    /* CLOCK_MONOTONIC */
};

struct ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn fn;
	void *arg;
	struct ctl_client c[CTL_MAX_CLIENTS];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mkdir -p of the socket's directory, the last component 0750 (only what it creates: an existing one is kept). */
static int make_dir(const char *path, gid_t gid)
{
	char dir[sizeof(((struct ctl_server *)0)->path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0750) == 0) {
		/* the group may open the directory; a daemon not in the group (not root) leaves it its own */
		if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0 && errno != EPERM)
			return -errno;
	} else if (errno != EEXIST) {
		return -errno;
	}
	return 0;
}

/* A socket file left by a daemon that died is replaced; one that still answers belongs to a running daemon. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, live;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return -EADDRINUSE;
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

struct ctl_server *ctl_server_open(const char *path, ctl_handler_fn fn, void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const struct group *gr = getgrnam(CTL_GROUP);
	gid_t gid = gr ? gr->gr_gid : (gid_t)-1;
	struct ctl_server *s;
	const char *what;
	mode_t old_umask;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	s->fd = -1;
	s->fn = fn;
	s->arg = arg;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		s->c[i].fd = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	what = "creating its directory";
	rc = make_dir(path, gid);
	if (rc < 0)
		goto fail;
	what = "replacing the old socket";
	rc = clear_stale(&sa);
	if (rc < 0)
		goto fail;
	what = "socket";
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail_errno;
	/* bind under a umask that leaves no window where the socket is wider than it ends up */
	old_umask = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	what = "bind";
	if (rc < 0)
		goto fail_errno;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* group access only once the group owns it: a daemon that cannot give it away (EPERM) stays at 0600 */
	what = "setting its group and mode";
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == 0) {
		if (chmod(path, 0660) < 0)
			goto fail_errno;
	} else if (gid != (gid_t)-1 && errno != EPERM) {
		goto fail_errno;
	}
	what = "listen";
	if (listen(s->fd, CTL_MAX_CLIENTS) < 0)
		goto fail_errno;
	return s;
fail_errno:
	rc = -errno;
fail:
	snprintf(err, errlen, "control socket %s: %s: %s", path, what,
		 rc == -EADDRINUSE ? "another sipwall is serving it" :
		 rc == -EEXIST ? "a file that is not a socket is in the way" : strerror(-rc));
	ctl_server_close(s);
	return NULL;
}

static void client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Write all of buf before the client's deadline (the socket is non-blocking). 0 or -errno. */
static int send_all(struct ctl_client *c, const char *buf, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int64_t left = c->deadline_ms - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static void respond(struct ctl_client *c, json_t *resp)
{
	char *text;

	if (!resp)
		return;
	if (!json_object_get(resp, "ok"))
		json_object_set_new(resp, "ok", json_true());
	text = json_dumps(resp, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	json_decref(resp);
	if (!text)
		return;
	c->deadline_ms = now_ms() + CTL_CLIENT_TIMEOUT_MS;
	if (send_all(c, text, strlen(text)) == 0)
		send_all(c, "\n", 1);
	free(text);
}

static json_t *error_response(const char *fmt, const char *detail)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, detail);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* A complete request in c->buf: parse, dispatch, answer. */
static void handle(struct ctl_server *s, struct ctl_client *c)
{
	json_error_t jerr;
	json_t *req = json_loadb(c->buf, c->len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *resp;

	if (!req)
		resp = error_response("malformed request: %s", jerr.text);
	else if (!json_is_object(req) || !json_is_string(json_object_get(req, "cmd")))
		resp = error_response("%s", "malformed request: expected a JSON object with a string \"cmd\"");
	else
		resp = s->fn(s->arg, req);
	json_decref(req);
	respond(c, resp);
}

/* Read what is there. Returns true when the request is complete (newline or EOF) or the client is done for. */
static bool client_read(struct ctl_server *s, struct ctl_client *c)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *grown;

			if (cap > CTL_MAX_REQUEST + 65536)
				cap = CTL_MAX_REQUEST + 65536;
			grown = cap > c->cap ? realloc(c->buf, cap) : NULL;
			if (!grown) {
				respond(c, error_response("request larger than %s bytes", "16777216"));
				return true;
			}
			c->buf = grown;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
		if (n == 0) {
			if (c->len)
				handle(s, c);
			return true;
		}
		nl = memchr(c->buf + c->len, '\n', (size_t)n);
		c->len += (size_t)n;
		if (nl) {
			c->len = (size_t)(nl - c->buf);
			handle(s, c);
			return true;
		}
		if (c->len > CTL_MAX_REQUEST) {
			respond(c, error_response("request larger than %s bytes", "16777216"));
			return true;
		}
	}
}

static void accept_clients(struct ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *free_slot = NULL;

		if (fd < 0)
			return;
		for (unsigned i = 0; i < CTL_MAX_CLIENTS && !free_slot; i++)
			if (s->c[i].fd < 0)
				free_slot = &s->c[i];
		if (!free_slot) {
			static const char busy[] = "{\"ok\":false,\"error\":\"busy: too many control connections\"}\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		free_slot->fd = fd;
		free_slot->deadline_ms = now_ms() + CTL_CLIENT_TIMEOUT_MS;
	}
}

unsigned ctl_server_poll(struct ctl_server *s, int timeout_ms)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	struct ctl_client *who[CTL_MAX_CLIENTS + 1];
	unsigned n = 0, answered = 0;
	int64_t now;

	pfd[n] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	who[n++] = NULL;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->c[i].fd < 0)
			continue;
		pfd[n] = (struct pollfd){ .fd = s->c[i].fd, .events = POLLIN };
		who[n++] = &s->c[i];
	}
	if (poll(pfd, n, timeout_ms) < 0)
		return 0;
	for (unsigned i = 1; i < n; i++) {
		int64_t t0;

		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		t0 = now_ms();
		if (client_read(s, who[i])) {
			answered++;
			client_close(who[i]);
		}
		/* time spent serving one client is not the others' slowness: push their deadlines back by it */
		t0 = now_ms() - t0;
		for (unsigned k = 0; k < CTL_MAX_CLIENTS; k++)
			if (s->c[k].fd >= 0)
				s->c[k].deadline_ms += t0;
	}
	if (pfd[0].revents & POLLIN)
		accept_clients(s);
	now = now_ms();
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->c[i].fd >= 0 && now > s->c[i].deadline_ms) {
			static const char late[] = "{\"ok\":false,\"error\":\"timed out waiting for a whole request\"}\n";

			/* one try, never waiting: a client too slow to send is likely too slow to read */
			(void)!send(s->c[i].fd, late, sizeof(late) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			client_close(&s->c[i]);
		}
	}
	return answered;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(&s->c[i]);
	if (s->fd >= 0)
		close(s->fd);
	if (s->path[0])
		unlink(s->path);
	free(s);
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Helpers shared by the SIP core unit tests (see testutil.h). Test-only code: allocation failures abort the test.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"

const uint8_t tu_secret_a[16] = { 0x73, 0x69, 0x70, 0x77, 0x61, 0x6c, 0x6c, 0x2d,
				  0x74, 0x65, 0x73, 0x74, 0x2d, 0x6b, 0x65, 0x79 };
const uint8_t tu_secret_b[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				  0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

struct tu_dgram tu_dup(const void *p, uint32_t len)
{
	struct tu_dgram d = { malloc(len ? len : 1), len };

	assert_non_null(d.p);
	if (len)
		memcpy(d.p, p, len);
	return d;
}

struct tu_dgram tu_crlf(const char *s)
{
	size_t n = strlen(s), extra = 0;
	char *tmp;
	uint32_t o = 0;
	struct tu_dgram d;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			extra++;
	tmp = malloc(n + extra + 1);
	assert_non_null(tmp);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			tmp[o++] = '\r';
		tmp[o++] = s[i];
	}
	d = tu_dup(tmp, o);
	free(tmp);
	return d;
}

struct tu_dgram tu_load(const char *rel)
{
	char path[1024];
	FILE *f;
	long sz;
	struct tu_dgram d;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0 && sz <= SW_MAX_DATAGRAM);
	rewind(f);
	d.len = (uint32_t)sz;
	d.p = malloc(sz ? (size_t)sz : 1);
	assert_non_null(d.p);
	assert_int_equal(fread(d.p, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	return d;
}

void tu_free(struct tu_dgram *d)
{
	free(d->p);
	d->p = NULL;
	d->len = 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tu_list(const char *rel, const char *suffix, size_t *n)
{
	char path[1024];
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t cnt = 0, cap = 0, sl = strlen(suffix);

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
	dir = opendir(path);
	if (!dir)
		fail_msg("cannot open fixture directory %s", path);
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < sl || strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[cnt++] = strdup(de->d_name);
	}
	closedir(dir);
	if (cnt)
		qsort(names, cnt, sizeof(*names), cmp_names);
	*n = cnt;
	return names;
}

void tu_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void tu_policy_supported(struct sw_policy *p, const char *const *tags)
{
	p->nsupported = 0;
	for (; *tags; tags++) {
		assert_true(p->nsupported < SW_MAX_SUPPORTED);
		snprintf(p->supported[p->nsupported++], SW_OPTION_TAG_MAX, "%s", *tags);
	}
}

struct sw_policy *tu_policy(void)
{
	static const char *const tags[] = { "100rel", "timer", "replaces", "path", "gruu", "outbound", NULL };
	struct sw_policy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	policy_defaults(p);
	/* pinned: the documented defaults these tests are written against */
	p->max_message_bytes = 4096;
	p->max_request_uri_bytes = 1024;
	p->retry_after_seconds = 0;
	p->require_max_forwards = false;
	p->check_require = false;
	p->server[0] = '\0';
	tu_policy_supported(p, tags);
	return p;
}

void tu_policy_free(struct sw_policy *p)
{
	policy_free(p);
}

struct sw_worker *tu_worker(const uint8_t *secret)
{
	struct sw_worker *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	sw_worker_init(w, 0, secret ? secret : tu_secret_a);
	return w;
}

void tu_worker_free(struct sw_worker *w)
{
	free(w);
}

struct sw_peer tu_peer4(const char *addr, uint16_t port)
{
	struct sw_peer p = { .family = 4, .port = port };

	assert_int_equal(inet_pton(AF_INET, addr, p.addr), 1);
	return p;
}

struct sw_peer tu_peer6(const char *addr, uint16_t port)
{
	struct sw_peer p = { .family = 6, .port = port };

	assert_int_equal(inet_pton(AF_INET6, addr, p.addr), 1);
	return p;
}

void tu_print_verdict(const char *what, const struct sw_verdict *v)
{
	print_message("%s: action=%s why=%s status=%u reason=\"%s\" err_off=%u\n", what, sw_action_name(v->action),
		      sw_why_name(v->why), v->status, v->reason ? v->reason : "(null)", v->err_off);
}

const char *tu_reply_header(const char *reply, uint32_t len, const char *name, unsigned n, uint32_t *vlen)
{
	const char *p = reply, *end = reply + len;
	size_t nl = strlen(name);

	/* skip the status line */
	p = memmem(p, (size_t)(end - p), "\r\n", 2);
	while (p && p + 2 < end) {
		const char *line = p + 2, *eol = memmem(line, (size_t)(end - line), "\r\n", 2);

		if (!eol || eol == line)
			return NULL;
		if ((size_t)(eol - line) >= nl + 2 && memcmp(line, name, nl) == 0 && line[nl] == ':' &&
		    line[nl + 1] == ' ') {
			if (n-- == 0) {
				*vlen = (uint32_t)(eol - line - nl - 2);
				return line + nl + 2;
			}
		}
		p = eol;
	}
	return NULL;
}

unsigned tu_reply_count(const char *reply, uint32_t len, const char *name)
{
	unsigned n = 0;
	uint32_t vl;

	while (tu_reply_header(reply, len, name, n, &vl))
		n++;
	return n;
}

const char *tu_param(const char *s, uint32_t len, const char *pname, uint32_t *plen, bool *present)
{
	size_t nl = strlen(pname);
	const char *end = s + len, *p = s;

	*present = false;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p)), *q, *stop;

		if (!semi)
			return NULL;
		q = semi + 1;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		stop = q;
		while (stop < end && *stop != ';' && *stop != ',')
			stop++;
		if ((size_t)(stop - q) >= nl && strncasecmp(q, pname, nl) == 0 &&
		    (q + nl == stop || q[nl] == '=' || q[nl] == ' ')) {
			const char *v = q + nl;

			*present = true;
			while (v < stop && (*v == ' ' || *v == '='))
				v++;
			*plen = (uint32_t)(stop - v);
			return v;
		}
		p = stop;
	}
	return NULL;
}

const char *tu_show(const char *p, uint32_t len)
{
	static char out[16384];
	size_t o = 0;

	for (uint32_t i = 0; i < len && o + 8 < sizeof(out); i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\n\n");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

void tu_assert_bytes_(const char *got, uint32_t glen, const char *want, uint32_t wlen, const char *file, int line)
{
	if (glen == wlen && (wlen == 0 || memcmp(got, want, wlen) == 0)) /* memcmp wants pointers even for 0 */
		return;
	print_error("%s:%d: bytes differ (got %u, want %u)\n--- want:\n%s\n", file, line, glen, wlen,
		    tu_show(want, wlen));
	print_error("--- got:\n%s\n", tu_show(got, glen));
	fail();
}

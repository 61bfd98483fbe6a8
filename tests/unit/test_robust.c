// SPDX-License-Identifier: BSD-3-Clause
/*
 * Robustness of sw_judge() + sw_respond() on every sample and torture datagram: every truncation length 0..len,
 * every byte replaced by a set of troublesome values, and a seeded random multi-byte mutation loop. Each input is
 * copied into a buffer of exactly its length (the reply buffer too, sized to the request), so ASan reports any read
 * or write past either. Properties checked on every input:
 *   - the verdict is well formed (action, why, status 400..699 and a reason for a reply);
 *   - only requests are answered: never a response ("SIP/..."), never an ACK, never something that is not SIP;
 *   - a reply is never longer than the request; when none can be built the verdict becomes a drop
 *     (amplification / no Via); a built reply is a well-formed SIP response with no body;
 *   - the verdict and reply do not depend on bytes after the datagram (same bytes, different trailing garbage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct ctx {
	struct sw_policy *pol[2]; /* [0] defaults; [1] every option that adds a check or a header */
	struct sw_peer src[2];    /* IPv4 for [0], IPv6 for [1] */
	struct sw_worker *w;
	const char *file;
	unsigned judged, replies, unsent;
};

static void setup_ctx(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->pol[0] = tu_policy();
	c->pol[1] = tu_policy();
	c->pol[1]->check_require = true;
	c->pol[1]->require_max_forwards = true;
	c->pol[1]->retry_after_seconds = 5;
	c->pol[1]->max_message_bytes = 512;
	c->pol[1]->max_request_uri_bytes = 40;
	snprintf(c->pol[1]->server, sizeof(c->pol[1]->server), "sipwall-robust/1.0");
	c->src[0] = tu_peer4("192.0.2.1", 5060);
	c->src[1] = tu_peer6("2001:db8::1", 40000);
	c->w = tu_worker(NULL);
}

static void teardown_ctx(struct ctx *c)
{
	tu_worker_free(c->w);
	tu_policy_free(c->pol[0]);
	tu_policy_free(c->pol[1]);
}

/* What the bytes are, independent of the parser: a response, an ACK, or something else. */
static bool looks_like_response(const char *p, uint32_t n)
{
	return n >= 4 && memcmp(p, "SIP/", 4) == 0;
}

static bool looks_like_ack(const char *p, uint32_t n)
{
	return n >= 4 && memcmp(p, "ACK ", 4) == 0;
}

/* Property violations, by kind: every kind is counted; the first two examples of each are printed. */
static struct {
	const char *msg;
	unsigned count;
} violations[16];
static bool violations_printing; /* the last report() printed its example */

static void report(const struct ctx *c, const char *what, const char *in, uint32_t n, const struct sw_verdict *v,
		   const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(violations) / sizeof(violations[0]) && violations[i].msg; i++)
		if (strcmp(violations[i].msg, msg) == 0)
			break;
	assert_true(i < sizeof(violations) / sizeof(violations[0]));
	violations[i].msg = msg;
	violations_printing = violations[i].count++ < 2;
	if (!violations_printing)
		return;
	print_error("%s [%s]: %s\n", c->file, what, msg);
	tu_print_verdict("verdict", v);
	print_error("input (%u bytes):\n%s\n", n, tu_show(in, n));
}

/* At the end of a test: fail with the count of each kind of violation. */
static void assert_no_violations(void)
{
	unsigned total = 0;

	for (size_t i = 0; i < sizeof(violations) / sizeof(violations[0]) && violations[i].msg; i++) {
		print_error("violation: %-60s %u inputs\n", violations[i].msg, violations[i].count);
		total += violations[i].count;
	}
	memset(violations, 0, sizeof(violations));
	if (total)
		fail_msg("%u property violations", total);
}

struct outcome {
	struct sw_verdict v;
	char *reply; /* malloc'ed, reply_len bytes */
	uint32_t reply_len;
};

/* Judge buf[0..n) (buf may be longer: the tail must not matter), check the properties, build any reply. */
static void judge_check(struct ctx *c, int k, const char *buf, uint32_t n, const char *what, struct outcome *o)
{
	struct sw_verdict *v = &o->v;
	static struct sip_msg m;

	sw_judge(c->pol[k], c->w, buf, n, v);
	c->judged++;
	o->reply = NULL;
	o->reply_len = 0;
	if ((unsigned)v->action > SW_ACT_REPLY || (unsigned)v->why >= SW_WHY__COUNT)
		report(c, what, buf, n, v, "verdict out of range");
	if (v->action != SW_ACT_REPLY)
		return;
	if (v->status < 400 || v->status > 699 || !v->reason || !v->reason[0])
		report(c, what, buf, n, v, "reply without a 4xx-6xx status and a reason");
	if (looks_like_response(buf, n))
		report(c, what, buf, n, v, "a response was answered");
	if (looks_like_ack(buf, n))
		report(c, what, buf, n, v, "an ACK was answered");

	/* the reply buffer is exactly the request's size: the documented anti-amplification cap */
	char *out = malloc(n ? n : 1);

	assert_non_null(out);
	o->reply_len = sw_respond(c->pol[k], c->w, v, &c->src[k], out, n);
	if (o->reply_len > n)
		report(c, what, buf, n, v, "reply longer than the request");
	if (o->reply_len == 0) {
		if (v->action != SW_ACT_DROP || (v->why != SW_WHY_AMPLIFICATION && v->why != SW_WHY_NO_VIA))
			report(c, what, buf, n, v, "no reply built, but the verdict is not a drop");
		c->unsent++;
		free(out);
		return;
	}
	c->replies++;
	if (v->action != SW_ACT_REPLY)
		report(c, what, buf, n, v, "a reply was built for a verdict that is no longer a reply");
	if (o->reply_len < 12 || memcmp(out, "SIP/2.0 ", 8) != 0 ||
	    memcmp(out + o->reply_len - 4, "\r\n\r\n", 4) != 0)
		report(c, what, out, o->reply_len, v, "reply is not a SIP response");
	if (sip_msg_parse(&m, out, o->reply_len) != SIP_PARSE_OK) {
		/* one kind per parser error: the reason string is static */
		report(c, what, buf, n, v, m.err_reason ? m.err_reason : "reply does not parse back");
		print_error("%s", violations_printing ? "reply:\n" : "");
		if (violations_printing)
			print_error("%s\n", tu_show(out, o->reply_len));
	} else if (m.is_request || m.status != v->status || m.body.len != 0) {
		report(c, what, buf, n, v, "reply parses back, but not as this status with no body");
		if (violations_printing)
			print_error("reply:\n%s\n", tu_show(out, o->reply_len));
	}
	o->reply = out;
}

static void outcome_free(struct outcome *o)
{
	free(o->reply);
	o->reply = NULL;
}

/* The whole check for one input: exact-size copy under both policies, then the trailing-garbage comparison. */
static void check_input(struct ctx *c, const char *in, uint32_t n, const char *what)
{
	static const char tail_a[] = "\r\n\r\nINVITE sip:x SIP/2.0\r\nContent-Length: 99\r\n\r\n"
				     "01234567890123456789012345678901234567890123456789";
	static const char tail_b[] = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
	const uint32_t tail = 64;

	_Static_assert(sizeof(tail_a) > 64 && sizeof(tail_b) > 64, "64 bytes of each tail");

	for (int k = 0; k < 2; k++) {
		struct tu_dgram exact = tu_dup(in, n);
		char *padded = malloc(n + tail);
		struct outcome o1, o2, o3;

		assert_non_null(padded);
		judge_check(c, k, exact.p, n, what, &o1);

		memcpy(padded, in, n);
		memcpy(padded + n, tail_a, tail);
		judge_check(c, k, padded, n, what, &o2);
		memcpy(padded + n, tail_b, tail);
		judge_check(c, k, padded, n, what, &o3);
		if (o1.v.action != o2.v.action || o1.v.why != o2.v.why || o1.v.status != o2.v.status ||
		    o1.v.action != o3.v.action || o1.v.why != o3.v.why || o1.v.status != o3.v.status ||
		    o1.reply_len != o2.reply_len || o1.reply_len != o3.reply_len ||
		    (o1.reply_len && (memcmp(o1.reply, o2.reply, o1.reply_len) != 0 ||
				      memcmp(o1.reply, o3.reply, o1.reply_len) != 0))) {
			tu_print_verdict("exact", &o1.v);
			tu_print_verdict("tail a", &o2.v);
			tu_print_verdict("tail b", &o3.v);
			report(c, what, in, n, &o1.v, "the outcome depends on bytes after the datagram");
		}
		outcome_free(&o1);
		outcome_free(&o2);
		outcome_free(&o3);
		free(padded);
		tu_free(&exact);
	}
}

/* Every fixture: the .sip samples and the .dat torture messages (RFC 4475, RFC 5118). */
struct fixture_set {
	char **paths;
	size_t n;
};

static void add_dir(struct fixture_set *s, const char *dir, const char *suffix)
{
	size_t n;
	char **names = tu_list(dir, suffix, &n);

	s->paths = realloc(s->paths, (s->n + n) * sizeof(*s->paths));
	assert_non_null(s->paths);
	for (size_t i = 0; i < n; i++) {
		char rel[512];

		snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
		s->paths[s->n++] = strdup(rel);
	}
	tu_free_names(names, n);
}

static struct fixture_set all_fixtures(void)
{
	struct fixture_set s = { NULL, 0 };

	add_dir(&s, "samples", ".sip");
	add_dir(&s, "torture/rfc4475", ".dat");
	add_dir(&s, "torture/rfc5118", ".dat");
	assert_true(s.n >= 16 + 50 + 12);
	return s;
}

static void free_fixtures(struct fixture_set *s)
{
	tu_free_names(s->paths, s->n);
}

static void test_truncation(void **state)
{
	struct fixture_set s = all_fixtures();
	struct ctx c;

	(void)state;
	setup_ctx(&c);
	for (size_t f = 0; f < s.n; f++) {
		struct tu_dgram d = tu_load(s.paths[f]);

		c.file = s.paths[f];
		for (uint32_t n = 0; n <= d.len; n++) {
			char what[64];

			snprintf(what, sizeof(what), "first %u of %u bytes", n, d.len);
			check_input(&c, d.p, n, what);
		}
		tu_free(&d);
	}
	print_message("truncation: %zu files, %u judgements, %u replies built, %u replies not sent\n", s.n, c.judged,
		      c.replies, c.unsent);
	teardown_ctx(&c);
	free_fixtures(&s);
	assert_no_violations();
}

static const unsigned char flip_values[] = { 0x00, 0xff, 0x80, ' ', '\t', '\r', '\n', ':', ';', ',', '"', '\\',
					     '<', '>', '[', ']', '=', '%', '0', '9', 'A' };

static void test_byte_flip(void **state)
{
	struct fixture_set s = all_fixtures();
	struct ctx c;

	(void)state;
	setup_ctx(&c);
	for (size_t f = 0; f < s.n; f++) {
		struct tu_dgram d = tu_load(s.paths[f]);
		char *mut = malloc(d.len ? d.len : 1);

		c.file = s.paths[f];
		for (uint32_t i = 0; i < d.len; i++) {
			for (size_t k = 0; k < sizeof(flip_values); k++) {
				char what[64];

				if ((unsigned char)d.p[i] == flip_values[k])
					continue;
				memcpy(mut, d.p, d.len);
				mut[i] = (char)flip_values[k];
				snprintf(what, sizeof(what), "byte %u set to 0x%02x", i, flip_values[k]);
				check_input(&c, mut, d.len, what);
			}
		}
		free(mut);
		tu_free(&d);
	}
	print_message("byte flip: %zu files, %u judgements, %u replies built, %u replies not sent\n", s.n, c.judged,
		      c.replies, c.unsent);
	teardown_ctx(&c);
	free_fixtures(&s);
	assert_no_violations();
}

/* xorshift32: a fixed seed, so a failure reproduces */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Several edits at once: overwrite, delete, insert (including CRLF and folding), duplicate a span. */
static void test_random_mutations(void **state)
{
	static const char *const inserts[] = { "\r\n", "\r\n ", "\r\n\r\n", ",", ";", "\"", "\\", "\0", ":", "<",
					       "Via: SIP/2.0/UDP x\r\n", "Content-Length: 5\r\n", "l:9999\r\n",
					       "Proxy-Require: zz\r\n", "Max-Forwards: 0\r\n", ";rport", ";tag=x",
					       "ACK ", "SIP/2.0 " };
	struct fixture_set s = all_fixtures();
	struct ctx c;
	uint32_t seed = 0x5eed1234u;

	(void)state;
	setup_ctx(&c);
	for (size_t f = 0; f < s.n; f++) {
		struct tu_dgram d = tu_load(s.paths[f]);
		uint32_t cap = d.len + 256;
		char *mut = malloc(cap);

		c.file = s.paths[f];
		for (unsigned iter = 0; iter < 300; iter++) {
			uint32_t n = d.len, edits = 1 + rnd(&seed) % 4;
			char what[64];

			memcpy(mut, d.p, d.len);
			for (uint32_t e = 0; e < edits && n > 0; e++) {
				uint32_t at = rnd(&seed) % n, op = rnd(&seed) % 4;

				if (op == 0) {
					mut[at] = (char)rnd(&seed);
				} else if (op == 1) {
					uint32_t k = 1 + rnd(&seed) % 8;

					k = k > n - at ? n - at : k;
					memmove(mut + at, mut + at + k, n - at - k);
					n -= k;
				} else {
					const char *ins = inserts[rnd(&seed) % (sizeof(inserts) / sizeof(inserts[0]))];
					uint32_t k = ins[0] ? (uint32_t)strlen(ins) : 1;

					if (op == 3) { /* duplicate a span of the message itself */
						k = 1 + rnd(&seed) % 32;
						k = k > n - at ? n - at : k;
						ins = mut + at;
					}
					if (n + k > cap)
						continue;
					char tmp[64];

					memcpy(tmp, ins, k);
					memmove(mut + at + k, mut + at, n - at);
					memcpy(mut + at, tmp, k);
					n += k;
				}
			}
			snprintf(what, sizeof(what), "mutation %u (seed state %08x)", iter, seed);
			check_input(&c, mut, n, what);
		}
		free(mut);
		tu_free(&d);
	}
	print_message("random mutations: %zu files, %u judgements, %u replies built, %u replies not sent\n", s.n,
		      c.judged, c.replies, c.unsent);
	teardown_ctx(&c);
	free_fixtures(&s);
	assert_no_violations();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_byte_flip),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests_name("robust", tests, NULL, NULL);
}

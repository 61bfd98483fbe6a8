// SPDX-License-Identifier: BSD-3-Clause
/*
 * sw_respond(): golden responses (exact bytes) for each status sipwall sends, received=/rport= on the top Via for
 * IPv4 and IPv6 sources (RFC 3261 18.2.1, RFC 3581, RFC 5118 4.5), the To tag (added when absent, deterministic
 * per secret, an existing tag kept), Unsupported, Retry-After, Server, and the anti-amplification cap.
 * Requests are constructed after the RFC 3261 section 24 / RFC 3665 call flows; each golden says what it shows.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sw_str.h"
#include "testutil.h"

/* Fixture tables leave the fields a case does not use to zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct reply {
	struct tu_dgram req; /* must outlive the reply: w->msg points into it */
	char *out;
	uint32_t len;
	struct sw_verdict v;
};

/*
 * sw_respond() takes what the verdict parsed (w->judged) instead of parsing it again: with none of it (have = 0),
 * parsing everything itself, it must build the very same bytes and leave the very same verdict.
 */
static void assert_same_unjudged(const struct reply *r, const struct sw_policy *pol, struct sw_worker *w,
				 const struct sw_peer *src, uint32_t cap)
{
	struct sw_verdict v;
	char *out = malloc(cap);
	uint32_t n;

	assert_non_null(out);
	sw_judge(pol, w, r->req.p, r->req.len, &v);
	w->judged.have = 0;
	n = sw_respond(pol, w, &v, src, out, cap);
	tu_assert_bytes(out, n, r->out, r->len);
	assert_int_equal(v.action, r->v.action);
	assert_int_equal(v.why, r->v.why);
	assert_int_equal(v.status, r->v.status);
	free(out);
}

/*
 * A reply whose bound (reply_bound in sip_reply.c) fits the cap with SLACK bytes to spare is written without a room
 * check per piece; the bound is always above the reply's own length, so a cap of exactly that length makes every
 * piece checked. Both must give the same bytes (and the exact cap must not make the reply compact or drop it).
 */
static void assert_same_checked(const struct reply *r, const struct sw_policy *pol, struct sw_worker *w,
				const struct sw_peer *src)
{
	struct sw_verdict v = r->v;
	char *out;
	uint32_t n;

	if (r->len == 0)
		return;
	out = malloc(r->len);
	assert_non_null(out);
	n = sw_respond(pol, w, &v, src, out, r->len);
	tu_assert_bytes(out, n, r->out, r->len);
	assert_int_equal(v.action, r->v.action);
	free(out);
	/*
	 * Every cap from there up: checked (under the bound), then unchecked with slack once SLACK bytes are to spare
	 * past the bound, request pieces over-written in whole 32-byte moves. Each buffer is exactly cap bytes, so
	 * ASan sees a move past cap; the bytes must be the same whichever way they were written.
	 */
	for (uint32_t cap = r->len + 1; cap <= r->len + 160; cap++) {
		v = r->v;
		out = malloc(cap);
		assert_non_null(out);
		n = sw_respond(pol, w, &v, src, out, cap);
		/* a reply made compact to fit a tight cap gets its full names back once they fit: from there, stop */
		if (n != r->len || memcmp(out, r->out, n) != 0) {
			assert_true(memchr(r->out, '\n', r->len) && !memcmp((const char *)memchr(r->out, '\n', r->len) + 1,
									      "v: ", 3));
			free(out);
			break;
		}
		assert_int_equal(v.action, r->v.action);
		free(out);
	}
}

/*
 * Judge the request (text with "\n" made CRLF) and build the reply into a buffer of exactly cap bytes
 * (0: cap = request length, the documented anti-amplification setting), so ASan sees any write past cap.
 * Every reply is also built without the verdict's parses (assert_same_unjudged).
 */
static void respond(struct reply *r, const struct sw_policy *pol, struct sw_worker *w, const char *text,
		    const struct sw_peer *src, uint32_t cap)
{
	r->req = tu_crlf(text);
	sw_judge(pol, w, r->req.p, r->req.len, &r->v);
	if (r->v.action != SW_ACT_REPLY) {
		tu_print_verdict("not a reply", &r->v);
		fail_msg("request was not answered: %s", tu_show(r->req.p, r->req.len));
	}
	if (!cap)
		cap = r->req.len;
	r->out = malloc(cap);
	assert_non_null(r->out);
	r->len = sw_respond(pol, w, &r->v, src, r->out, cap);
	assert_true(r->len <= cap);
	assert_same_checked(r, pol, w, src);
	assert_same_unjudged(r, pol, w, src, cap);
}

static void reply_free(struct reply *r)
{
	free(r->out);
	tu_free(&r->req);
}

/* A reply is a well-formed SIP response: status line, headers, Content-Length: 0, no body, not longer than asked. */
static void assert_wellformed(const struct reply *r, uint16_t status)
{
	static struct sip_msg m;
	char line[32];
	int n = snprintf(line, sizeof(line), "SIP/2.0 %u ", status);

	assert_true(r->len > 0);
	assert_true(r->len <= r->req.len);
	assert_memory_equal(r->out, line, (size_t)n);
	assert_int_equal(sip_msg_parse(&m, r->out, r->len), SIP_PARSE_OK);
	assert_false(m.is_request);
	assert_int_equal(m.status, status);
	assert_int_equal(m.content_length, 0);
	assert_int_equal(m.body.len, 0);
	assert_int_equal(m.hdr_end, r->len);
}

/* The To tag a reply carries (last ";tag=" of its To line), copied into tag. */
static void reply_to_tag(const struct reply *r, char *tag, size_t cap)
{
	uint32_t vl;
	const char *to = tu_reply_header(r->out, r->len, "To", 0, &vl);
	const char *t = NULL;

	assert_non_null(to);
	for (const char *p = to; p + 5 <= to + vl; p++)
		if (memcmp(p, ";tag=", 5) == 0)
			t = p + 5;
	assert_non_null(t);
	assert_true((size_t)(to + vl - t) < cap);
	memcpy(tag, t, (size_t)(to + vl - t));
	tag[to + vl - t] = '\0';
}

/* expected golden with every "@TAG@" replaced by tag, then made CRLF */
static struct tu_dgram golden(const char *text, const char *tag)
{
	char buf[8192];
	size_t o = 0;

	for (const char *p = text; *p && o + 80 < sizeof(buf);) {
		if (strncmp(p, "@TAG@", 5) == 0) {
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", tag);
			p += 5;
		} else {
			buf[o++] = *p++;
		}
	}
	buf[o] = '\0';
	return tu_crlf(buf);
}

/* ---------------------------------------------------------------- golden replies */

enum tweak {
	T_NONE = 0,
	T_URI_32,       /* limits.max_request_uri_bytes: 32 */
	T_MSG_300,      /* limits.max_message_bytes: 300, retry_after_seconds: 30, response.server set */
	T_SERVER,       /* response.server: "sipwall-test/1.0" */
};

struct golden_case {
	const char *name;
	enum tweak tweak;
	const char *src; /* IPv4 source; its port is 5060 */
	const char *request;
	uint16_t status;
	const char *reply; /* "@TAG@" stands for the generated To tag */
};

static const struct golden_case goldens[] = {
	{
		/* 483: Max-Forwards 0 (RFC 3261 16.3 step 3). Source = sent-by: no received=. Second Via line with two
		 * via-parms copied verbatim; To tag kept; Max-Forwards, User-Agent not copied. */
		"483, in-dialog BYE", T_NONE, "192.0.2.4",
		"BYE sip:alice@pc33.atlanta.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds10\n"
		"Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK77ef4c2312983.1, SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKx1\n"
		"Max-Forwards: 0\n"
		"From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n"
		"To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
		"CSeq: 231 BYE\n"
		"User-Agent: golden-fixture/1.0\n"
		"Content-Length: 0\n\n",
		483,
		"SIP/2.0 483 Too Many Hops\n"
		"Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds10\n"
		"Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK77ef4c2312983.1, SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKx1\n"
		"From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n"
		"To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
		"CSeq: 231 BYE\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 400 naming the missing header; no Call-ID line in the reply since there is none to copy */
		"400, missing Call-ID", T_NONE, "192.0.2.101",
		"INVITE sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\n"
		"Max-Forwards: 70\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\n"
		"CSeq: 2 INVITE\n"
		"Contact: <sip:alice@192.0.2.101>\n"
		"Content-Length: 0\n\n",
		400,
		"SIP/2.0 400 Missing Call-ID header field\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\n"
		"CSeq: 2 INVITE\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 400 for a CSeq method mismatch (RFC 4475 3.1.2.17); To has no tag: one is added */
		"400, CSeq mismatch, To tag added", T_NONE, "192.0.2.101",
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bfa\n"
		"Max-Forwards: 70\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 8 INVITE\n"
		"Accept: application/sdp\n"
		"Content-Length: 0\n\n",
		400,
		"SIP/2.0 400 CSeq method does not match request method\n"
		"Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bfa\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=@TAG@\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 8 INVITE\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 505 (RFC 3261 21.5.6, RFC 4475 3.1.2.16); compact names in the request, canonical in the reply */
		"505, compact request", T_NONE, "192.0.2.33",
		"OPTIONS sip:t.watson@example.org SIP/7.0\n"
		"v: SIP/2.0/UDP 192.0.2.33;branch=z9hG4bKkdjuw\n"
		"Max-Forwards: 70\n"
		"f: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
		"t: T. Watson <sip:t.watson@example.org>;tag=2xcv9\n"
		"i: badvers.31417@c.example.com\n"
		"CSeq: 1 OPTIONS\n"
		"Accept: application/sdp, application/pkcs7-mime, multipart/mixed\n"
		"l: 0\n\n",
		505,
		"SIP/2.0 505 Version Not Supported\n"
		"Via: SIP/2.0/UDP 192.0.2.33;branch=z9hG4bKkdjuw\n"
		"From: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
		"To: T. Watson <sip:t.watson@example.org>;tag=2xcv9\n"
		"Call-ID: badvers.31417@c.example.com\n"
		"CSeq: 1 OPTIONS\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 420 (RFC 3261 8.2.2.3, 16.3 step 5): every unknown Proxy-Require tag of every line, known ones left out */
		"420, Unsupported", T_NONE, "192.0.2.45",
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.45;branch=z9hG4bKext1\n"
		"Max-Forwards: 70\n"
		"From: <sip:alice@atlanta.example.com>;tag=ext1\n"
		"To: <sip:bob@biloxi.example.com>;tag=ext2\n"
		"Call-ID: ext.1@192.0.2.45\n"
		"CSeq: 5 OPTIONS\n"
		"Proxy-Require: foo, 100rel, bar\n"
		"Proxy-Require: baz\n"
		"User-Agent: golden-fixture/1.0 (padding so that the request is longer than its reply)\n"
		"Content-Length: 0\n\n",
		420,
		"SIP/2.0 420 Bad Extension\n"
		"Via: SIP/2.0/UDP 192.0.2.45;branch=z9hG4bKext1\n"
		"From: <sip:alice@atlanta.example.com>;tag=ext1\n"
		"To: <sip:bob@biloxi.example.com>;tag=ext2\n"
		"Call-ID: ext.1@192.0.2.45\n"
		"CSeq: 5 OPTIONS\n"
		"Unsupported: foo, bar, baz\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 414 (RFC 3261 21.4.12) with max_request_uri_bytes 32 */
		"414", T_URI_32, "192.0.2.46",
		"INVITE sip:a-very-long-user-part-for-the-414-golden@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.46:5060;branch=z9hG4bKuri1\n"
		"Max-Forwards: 70\n"
		"From: <sip:alice@atlanta.example.com>;tag=uri1\n"
		"To: <sip:bob@biloxi.example.com>;tag=uri2\n"
		"Call-ID: uri.1@192.0.2.46\n"
		"CSeq: 1 INVITE\n"
		"Content-Length: 0\n\n",
		414,
		"SIP/2.0 414 Request-URI Too Long\n"
		"Via: SIP/2.0/UDP 192.0.2.46:5060;branch=z9hG4bKuri1\n"
		"From: <sip:alice@atlanta.example.com>;tag=uri1\n"
		"To: <sip:bob@biloxi.example.com>;tag=uri2\n"
		"Call-ID: uri.1@192.0.2.46\n"
		"CSeq: 1 INVITE\n"
		"Content-Length: 0\n\n",
	},
	{
		/* 413 (RFC 3261 21.4.11) with Retry-After (20.33) and Server (20.35): a 340-byte request, limit 300 */
		"413, Retry-After, Server", T_MSG_300, "192.0.2.47",
		"MESSAGE sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.47:5060;branch=z9hG4bKbig1\n"
		"Max-Forwards: 70\n"
		"From: <sip:alice@atlanta.example.com>;tag=big1\n"
		"To: <sip:bob@biloxi.example.com>;tag=big2\n"
		"Call-ID: big.1@192.0.2.47\n"
		"CSeq: 1 MESSAGE\n"
		"Content-Type: text/plain\n"
		"Content-Length: 60\n\n"
		"0123456789012345678901234567890123456789012345678901234567\n",
		413,
		"SIP/2.0 413 Request Entity Too Large\n"
		"Via: SIP/2.0/UDP 192.0.2.47:5060;branch=z9hG4bKbig1\n"
		"From: <sip:alice@atlanta.example.com>;tag=big1\n"
		"To: <sip:bob@biloxi.example.com>;tag=big2\n"
		"Call-ID: big.1@192.0.2.47\n"
		"CSeq: 1 MESSAGE\n"
		"Retry-After: 30\n"
		"Server: sipwall-test/1.0\n"
		"Content-Length: 0\n\n",
	},
	{
		/* Server on another status; To tag added to an addr-spec with a parameter */
		"483, Server, tag after To params", T_SERVER, "192.0.2.48",
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.48;branch=z9hG4bKsrv1\n"
		"Max-Forwards: 0\n"
		"From: <sip:alice@atlanta.example.com>;tag=srv1\n"
		"To: sip:bob@biloxi.example.com;x-param=1\n"
		"Call-ID: srv.1@192.0.2.48\n"
		"CSeq: 77 OPTIONS\n"
		"User-Agent: golden-fixture/1.0 (padding so that the request is longer than its reply)\n"
		"Content-Length: 0\n\n",
		483,
		"SIP/2.0 483 Too Many Hops\n"
		"Via: SIP/2.0/UDP 192.0.2.48;branch=z9hG4bKsrv1\n"
		"From: <sip:alice@atlanta.example.com>;tag=srv1\n"
		"To: sip:bob@biloxi.example.com;x-param=1;tag=@TAG@\n"
		"Call-ID: srv.1@192.0.2.48\n"
		"CSeq: 77 OPTIONS\n"
		"Server: sipwall-test/1.0\n"
		"Content-Length: 0\n\n",
	},
};

static void apply(struct sw_policy *p, enum tweak t)
{
	switch (t) {
	case T_NONE:
		break;
	case T_URI_32:
		p->max_request_uri_bytes = 32;
		break;
	case T_MSG_300:
		p->max_message_bytes = 300;
		p->retry_after_seconds = 30;
		snprintf(p->server, sizeof(p->server), "sipwall-test/1.0");
		break;
	case T_SERVER:
		snprintf(p->server, sizeof(p->server), "sipwall-test/1.0");
		break;
	}
}

static void test_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		const struct golden_case *g = &goldens[i];
		struct sw_policy *pol = tu_policy();
		struct sw_worker *w = tu_worker(NULL);
		struct sw_peer src = tu_peer4(g->src, 5060);
		struct reply r;
		struct tu_dgram want;
		char tag[128] = "";

		print_message("golden: %s\n", g->name);
		apply(pol, g->tweak);
		respond(&r, pol, w, g->request, &src, 0);
		assert_int_equal(r.v.status, g->status);
		if (r.len == 0) {
			tu_print_verdict("dropped", &r.v);
			fail_msg("%s: no reply built", g->name);
		}
		if (strstr(g->reply, "@TAG@"))
			reply_to_tag(&r, tag, sizeof(tag));
		want = golden(g->reply, tag);
		tu_assert_bytes(r.out, r.len, want.p, want.len);
		assert_wellformed(&r, g->status);
		/* the verdict stays a reply */
		assert_int_equal(r.v.action, SW_ACT_REPLY);
		tu_free(&want);
		reply_free(&r);
		tu_worker_free(w);
		tu_policy_free(pol);
	}
}

/* ---------------------------------------------------------------- received= and rport= (18.2.1, RFC 3581) */

struct via_case {
	const char *name;
	const char *via;     /* the request's top Via value */
	int family;          /* source */
	const char *src;
	uint16_t port;
	const char *sent_by; /* what the reply's top Via must still start with */
	const char *received; /* NULL: no received= */
	int rport;            /* -1: no rport; else its value */
};

static const struct via_case via_cases[] = {
	{ "v4 source = sent-by", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1", 4, "192.0.2.10", 5060,
	  "SIP/2.0/UDP 192.0.2.10:5060", NULL, -1 },
	{ "v4 source = sent-by, other port (18.2.1 compares the address)", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr1", 4,
	  "192.0.2.10", 40000, "SIP/2.0/UDP 192.0.2.10", NULL, -1 },
	{ "host name (RFC 3261 18.2.1 example)", "SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKr2", 4,
	  "192.0.2.4", 5060, "SIP/2.0/UDP bobspc.biloxi.example.com:5060", "192.0.2.4", -1 },
	{ "v4 address differs (NAT)", "SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKr3", 4, "192.0.2.1", 5060,
	  "SIP/2.0/UDP 10.1.1.1:5060", "192.0.2.1", -1 },
	{ "bare rport (RFC 3581 4 example)", "SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff", 4, "192.0.2.1",
	  9988, "SIP/2.0/UDP 10.1.1.1:4540", "192.0.2.1", 9988 },
	{ "bare rport, source = sent-by: received= anyway (RFC 3581 4)", "SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKr4",
	  4, "192.0.2.10", 5060, "SIP/2.0/UDP 192.0.2.10:5060", "192.0.2.10", 5060 },
	{ "rport last", "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKr5;rport", 4, "198.51.100.20", 61000,
	  "SIP/2.0/UDP pc33.example.com", "198.51.100.20", 61000 },
	{ "received= already there is not doubled", "SIP/2.0/UDP 10.0.0.1;received=203.0.113.1;branch=z9hG4bKr6", 4,
	  "192.0.2.7", 5060, "SIP/2.0/UDP 10.0.0.1", "192.0.2.7", -1 },
	{ "two rport parameters: both replaced by one", "SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKd1;rport=7", 4,
	  "192.0.2.1", 9988, "SIP/2.0/UDP 10.1.1.1:4540", "192.0.2.1", 9988 },
	{ "two received parameters: both replaced by one",
	  "SIP/2.0/UDP 10.0.0.1;received=203.0.113.1;branch=z9hG4bKd2;received=198.51.100.9", 4, "192.0.2.7", 5060,
	  "SIP/2.0/UDP 10.0.0.1", "192.0.2.7", -1 },
	{ "another r parameter kept", "SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKd3;rn=1", 4, "192.0.2.7", 5060,
	  "SIP/2.0/UDP 10.0.0.1", "192.0.2.7", 5060 },
	{ "v6 source = sent-by (RFC 5118 4.1)", "SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111", 6, "2001:db8::9:1",
	  5060, "SIP/2.0/UDP [2001:db8::9:1]", NULL, -1 },
	{ "v6 same address, other spelling", "SIP/2.0/UDP [2001:DB8:0::9:1]:5060;branch=z9hG4bKv6b", 6,
	  "2001:db8::9:1", 5060, "SIP/2.0/UDP [2001:DB8:0::9:1]:5060", NULL, -1 },
	{ "v6 address differs: received= without brackets (RFC 3261 25.1, RFC 5118 4.5)",
	  "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKv6c", 6, "2001:db8::9:255", 6050,
	  "SIP/2.0/UDP [2001:db8::9:1]:6050", "2001:db8::9:255", -1 },
	{ "v6 bare rport", "SIP/2.0/UDP [2001:db8::20]:5062;rport;branch=z9hG4bKv6d", 6, "2001:db8::20", 40000,
	  "SIP/2.0/UDP [2001:db8::20]:5062", "2001:db8::20", 40000 },
	{ "v6 sent-by, v4 source", "SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKv6e", 4, "192.0.2.9", 5060,
	  "SIP/2.0/UDP [2001:db8::20]", "192.0.2.9", -1 },
};

static unsigned count_param(const char *s, uint32_t len, const char *name)
{
	unsigned n = 0;
	size_t nl = strlen(name);

	for (uint32_t i = 0; i + nl + 1 <= len; i++)
		if (s[i] == ';' && strncasecmp(s + i + 1, name, nl) == 0 &&
		    (i + 1 + nl == len || s[i + 1 + nl] == '=' || s[i + 1 + nl] == ';' || s[i + 1 + nl] == ','))
			n++;
	return n;
}

static void test_received_rport(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(via_cases) / sizeof(via_cases[0]); i++) {
		const struct via_case *c = &via_cases[i];
		struct sw_policy *pol = tu_policy();
		struct sw_worker *w = tu_worker(NULL);
		struct sw_peer src = c->family == 6 ? tu_peer6(c->src, c->port) : tu_peer4(c->src, c->port);
		char req[1024], num[16];
		struct reply r;
		const char *via, *branch, *val;
		uint32_t vl, bl, pl;
		bool present;
		bool want_branch = strstr(c->via, "branch=") != NULL;

		print_message("via: %s\n", c->name);
		snprintf(req, sizeof(req),
			 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
			 "Via: %s\n"
			 "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKsecond\n"
			 "Max-Forwards: 0\n"
			 "From: <sip:alice@atlanta.example.com>;tag=rr1\n"
			 "To: <sip:bob@biloxi.example.com>;tag=rr2\n"
			 "Call-ID: rr.%zu@example.com\n"
			 "CSeq: 1 OPTIONS\n"
			 "User-Agent: fixture padding so that received= and rport= fit in a reply no longer than this\n"
			 "Content-Length: 0\n\n",
			 c->via, i);
		respond(&r, pol, w, req, &src, 0);
		assert_int_equal(r.v.status, 483);
		assert_true(r.len > 0);
		assert_wellformed(&r, 483);
		assert_int_equal(tu_reply_count(r.out, r.len, "Via"), 2);
		via = tu_reply_header(r.out, r.len, "Via", 0, &vl);
		assert_non_null(via);
		/* sent-protocol and sent-by untouched */
		if (vl < strlen(c->sent_by) || memcmp(via, c->sent_by, strlen(c->sent_by)) != 0)
			fail_msg("top Via \"%s\" does not start with \"%s\"", tu_show(via, vl), c->sent_by);
		/* branch kept */
		branch = tu_param(via, vl, "branch", &bl, &present);
		assert_int_equal(present, want_branch);
		if (want_branch) {
			const char *b0 = strstr(c->via, "branch=") + 7;
			size_t b0l = strcspn(b0, ";,");

			assert_int_equal(bl, b0l);
			assert_memory_equal(branch, b0, b0l);
		}
		/* received= */
		val = tu_param(via, vl, "received", &pl, &present);
		assert_true(count_param(via, vl, "received") <= 1);
		if (!c->received) {
			if (present)
				fail_msg("unexpected received= in \"%s\"", tu_show(via, vl));
		} else {
			if (!present || pl != strlen(c->received) || memcmp(val, c->received, pl) != 0)
				fail_msg("want received=%s in \"%s\"", c->received, tu_show(via, vl));
		}
		/* rport= */
		val = tu_param(via, vl, "rport", &pl, &present);
		assert_true(count_param(via, vl, "rport") <= 1);
		if (c->rport < 0) {
			assert_false(present);
		} else {
			snprintf(num, sizeof(num), "%d", c->rport);
			if (!present || pl != strlen(num) || memcmp(val, num, pl) != 0)
				fail_msg("want rport=%s in \"%s\"", num, tu_show(via, vl));
		}
		/* the second Via verbatim */
		via = tu_reply_header(r.out, r.len, "Via", 1, &vl);
		assert_non_null(via);
		assert_int_equal(vl, strlen("SIP/2.0/UDP proxy.example.net;branch=z9hG4bKsecond"));
		assert_memory_equal(via, "SIP/2.0/UDP proxy.example.net;branch=z9hG4bKsecond", vl);
		reply_free(&r);
		tu_worker_free(w);
		tu_policy_free(pol);
	}
}

/*
 * received= and rport= are written from tables (a word of text per octet, two digits per load): every octet value
 * in every position of the address, and ports of one to five digits (0, 9, 10, 99, 100, ..., 65535), must read as
 * snprintf writes them. The Via has a bare rport, so both are always written.
 */
static void test_received_rport_digits(void **state)
{
	static const uint16_t ports[] = { 1, 9, 10, 42, 99, 100, 101, 999, 1000, 5060, 9999, 10000, 10001, 65535 };
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);

	(void)state;
	for (unsigned i = 0; i < 256 + sizeof(ports) / sizeof(ports[0]); i++) {
		unsigned v = i < 256 ? i : 7;
		uint16_t port = i < 256 ? (uint16_t)(1000 + i) : ports[i - 256];
		char addr[32], want[160], req[1024];
		struct sw_peer src;
		struct reply r;
		const char *via;
		uint32_t vl;

		/* v in each position, the others chosen to have 1, 2 and 3 digits */
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", i % 4 == 0 ? v : 203, i % 4 == 1 ? v : 0,
			 i % 4 == 2 ? v : 113, i % 4 == 3 ? v : 45);
		src = tu_peer4(addr, port);
		snprintf(req, sizeof(req),
			 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
			 "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKdig%u;rport\n"
			 "Max-Forwards: 0\n"
			 "From: <sip:alice@atlanta.example.com>;tag=dd1\n"
			 "To: <sip:bob@biloxi.example.com>;tag=dd2\n"
			 "Call-ID: dig.%u@example.com\n"
			 "CSeq: 1 OPTIONS\n"
			 "User-Agent: fixture padding so that received= and rport= fit in a reply no longer than this\n"
			 "Content-Length: 0\n\n",
			 i, i);
		respond(&r, pol, w, req, &src, 0);
		assert_int_equal(r.v.status, 483);
		via = tu_reply_header(r.out, r.len, "Via", 0, &vl);
		assert_non_null(via);
		snprintf(want, sizeof(want), "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKdig%u;received=%s;rport=%u", i,
			 addr, port);
		if (vl != strlen(want) || memcmp(via, want, vl) != 0)
			fail_msg("want \"%s\", got \"%s\"", want, tu_show(via, vl));
		reply_free(&r);
	}
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The source address's text is copied with fixed-size overlapping moves (put_local()): IPv6 sources whose text is
 * every length from 2 ("::") to 39 bytes, and IPv4 ones of 7 to 15, must read as inet_ntop() writes them.
 */
static void test_received_lengths(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	uint64_t x = 0x853c49e6748fea9bull;
	bool seen[48] = { false };

	(void)state;
	for (unsigned i = 0; i < 3000; i++) {
		char addr[INET6_ADDRSTRLEN], want[200], req[1024];
		uint8_t a[16];
		struct sw_peer src;
		struct reply r;
		const char *via;
		uint32_t vl;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (i % 3 == 0) {
			snprintf(addr, sizeof(addr), "%u.%u.%u.%u", (unsigned)(x & 0xff) % (i % 2 ? 10 : 256),
				 (unsigned)(x >> 8 & 0xff) % (i % 4 ? 100 : 256), (unsigned)(x >> 16 & 0xff),
				 (unsigned)(x >> 24 & 0xff) % 10);
			src = tu_peer4(addr, 5060);
		} else {
			/* groups of 0 to 4 hex digits, some zero runs: text of every length */
			for (int g = 0; g < 8; g++) {
				unsigned bits = i % 7 == 1 ? 12 + 4 * (unsigned)(x >> (4 * g) & 1) /* long texts */
							   : (unsigned)(x >> (4 * g) & 0xf) % 5 * 4;
				uint16_t v = (uint16_t)((x >> (16 + 5 * g)) & (bits ? (1u << bits) - 1 : 0));

				if ((x >> (40 + g)) & (i % 2))
					v = 0;
				a[2 * g] = (uint8_t)(v >> 8);
				a[2 * g + 1] = (uint8_t)v;
			}
			assert_non_null(inet_ntop(AF_INET6, a, addr, sizeof(addr)));
			src = tu_peer6(addr, 5060);
		}
		seen[strlen(addr)] = true;
		snprintf(req, sizeof(req),
			 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
			 "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKlen%u;rport\n"
			 "Max-Forwards: 0\n"
			 "From: <sip:alice@atlanta.example.com>;tag=ll1\n"
			 "To: <sip:bob@biloxi.example.com>;tag=ll2\n"
			 "Call-ID: len.%u@example.com\n"
			 "CSeq: 1 OPTIONS\n"
			 "User-Agent: fixture padding so that received= and rport= fit in a reply no longer than this,"
			 " an IPv6 address included\n"
			 "Content-Length: 0\n\n",
			 i, i);
		respond(&r, pol, w, req, &src, 0);
		assert_int_equal(r.v.status, 483);
		via = tu_reply_header(r.out, r.len, "Via", 0, &vl);
		assert_non_null(via);
		snprintf(want, sizeof(want), "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKlen%u;received=%s;rport=5060", i,
			 addr);
		if (vl != strlen(want) || memcmp(via, want, vl) != 0)
			fail_msg("want \"%s\", got \"%s\"", want, tu_show(via, vl));
		reply_free(&r);
	}
	for (unsigned n = 2; n <= 39; n++)
		if (!seen[n])
			fail_msg("no address text of %u bytes", n);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * Whether the sent-by names the source (18.2.1: received= only when it does not) is decided on the address's text
 * 16 bytes at a time when the datagram holds 16 bytes from the host on, byte by byte otherwise. Addresses of 7 to
 * 15 bytes, equal to the source or differing in their last byte or their length, with the Via in the middle of
 * the request and as its last line (the host then lies closer than 16 bytes to the datagram's end).
 */
static void test_sent_by_compare(void **state)
{
	static const char *const hosts[] = { "1.2.3.4", "10.0.0.1", "192.0.2.10", "203.0.113.200", "203.113.100.200" };
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);

	(void)state;
	for (unsigned i = 0; i < 5 * 3 * 2; i++) {
		const char *host = hosts[i % 5];
		unsigned how = i / 5 % 3; /* 0: source = sent-by; 1: last byte differs; 2: source one byte shorter */
		bool last = i / 15;
		char src_text[32], req[1024], want[128];
		const char *via;
		uint32_t vl;
		struct reply r;
		size_t hl = strlen(host);

		snprintf(src_text, sizeof(src_text), "%s", host);
		if (how == 1)
			src_text[hl - 1] = src_text[hl - 1] == '9' ? '8' : (char)(src_text[hl - 1] + 1);
		else if (how == 2)
			src_text[hl - 1] = '\0';
		if (how == 2 && src_text[hl - 2] == '.')
			strcat(src_text, "0"); /* "1.2.3." is no address: "1.2.3.0" differs at the last byte instead */
		struct sw_peer src = tu_peer4(src_text, 5060);
		snprintf(req, sizeof(req),
			 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
			 "%s"
			 "Max-Forwards: 0\n"
			 "From: <sip:alice@atlanta.example.com>;tag=sb1\n"
			 "To: <sip:bob@biloxi.example.com>;tag=sb2\n"
			 "Call-ID: sb.%u@example.com\n"
			 "CSeq: 1 OPTIONS\n"
			 "User-Agent: fixture padding so that received= and rport= fit in a reply no longer than this\n"
			 "Content-Length: 0\n"
			 "%s"
			 "\n",
			 last ? "" : "Via: SIP/2.0/UDP ", i, last ? "Via: SIP/2.0/UDP " : "");
		/* the host goes where the Via line was left open */
		char *open = strstr(req, "Via: SIP/2.0/UDP ") + strlen("Via: SIP/2.0/UDP ");
		memmove(open + hl + 1, open, strlen(open) + 1);
		memcpy(open, host, hl);
		open[hl] = '\n';
		respond(&r, pol, w, req, &src, 0);
		assert_int_equal(r.v.status, 483);
		via = tu_reply_header(r.out, r.len, "Via", 0, &vl);
		assert_non_null(via);
		if (how == 0)
			snprintf(want, sizeof(want), "SIP/2.0/UDP %s", host);
		else
			snprintf(want, sizeof(want), "SIP/2.0/UDP %s;received=%s", host, src_text);
		if (vl != strlen(want) || memcmp(via, want, vl) != 0)
			fail_msg("Via %s, source %s, %s: want \"%s\", got \"%s\"", host, src_text,
				 last ? "last line" : "first line", want, tu_show(via, vl));
		reply_free(&r);
	}
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The top via-parm that the verdict's Via check found well formed is read by the reply from byte masks
 * (top_via_checked), the usual form only; everything else is parsed as before. Each of these Vias, inside and just
 * outside that form, must give a reply byte for byte the same as the parser's reading gives (respond() builds every
 * reply twice, with the verdict's findings and without: assert_same_unjudged), received=/rport= where expected.
 */
static void test_via_fast_and_parsed(void **state)
{
	static const char *const vias[] = {
		"SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74b;rport",
		"SIP/2.0/UDP 192.0.2.101:5060;BRANCH=z9hG4bK74b;RPort",
		"SIP/2.0/UDP 192.0.2.101;branch=z9hG4bK74b",
		"SIP/2.0/TCP pc33.example.com;rport;branch=z9hG4bKx1;rport=1",
		"SIP/2.0/UDP 10.0.0.1;received=203.0.113.1;branch=z9hG4bKr6;received=198.51.100.2",
		"SIP/2.0/UDP 10.0.0.1;Received=203.0.113.1;branch=z9hG4bKr7;maddr=192.0.2.4;ttl=16",
		"SIP/2.0/UDP 10.0.0.1;branchx=1;rportx;receivedx=2;branch=z9hG4bKr8",
		"SIP/2.0/UDP 10.0.0.1;rpor;receive=1;branc=2;branch=z9hG4bKr9",
		"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKr10;received=2001:db8::1",
		"SIP/2.0/UDP 10.0.0.1;received=203.0.113.9;branch=z9hG4bKs1;rport=5",
		"SIP/2.0/UDP 10.0.0.1;rport;x=1;RECEIVED=1.2.3.4;branch=z9hG4bKs2",
		"SIP/2.0/UDP 10.0.0.1;rport;received=1.2.3.4",
		"SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;rport",
		"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr11, SIP/2.0/UDP proxy.example.net;branch=z9hG4bKr12",
		"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr13,SIP/2.0/UDP proxy.example.net",
		"SIP/2.0/UDP\t10.0.0.1;branch=z9hG4bKr14;rport",
		"SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK0123456789abcdef01234",   /* 64 bytes */
		"SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK0123456789abcdef012345",  /* 65 bytes */
		"SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK0123456789abcdef0123456789abcdef;rport",
		/* outside the usual form: parsed */
		"SIP/2.0/UDP 10.0.0.1 ;branch=z9hG4bKp1;rport",
		"SIP/2.0/UDP 10.0.0.1;branch = z9hG4bKp2",
		"SIP / 2.0 / UDP 10.0.0.1;branch=z9hG4bKp3",
		"SIP/2.0/UDP [2001:db8::9:1]:5060;branch=z9hG4bKp4;rport",
		"SIP/2.0/UDP 10.0.0.1;x=\"a;rport,b\";branch=z9hG4bKp5",
		"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKp6 , SIP/2.0/UDP 10.0.0.2",
		"SIP/2.0/UDP 10.0.0.1:5060 ;received=192.0.2.1;rport=7;branch=z9hG4bKp7",
	};
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.101", 5060);

	(void)state;
	for (size_t i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
		char req[1024];
		struct sw_verdict v;
		struct reply r;

		print_message("via: %s\n", vias[i]);
		snprintf(req, sizeof(req),
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
			 "Via: %s\n"
			 "Max-Forwards: 0\n"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=vf1\n"
			 "To: <sip:bob@biloxi.example.com>\n"
			 "Call-ID: via.%zu@example.com\n"
			 "CSeq: 1 INVITE\n"
			 "User-Agent: fixture padding so that received= and rport= fit in a reply no longer than this\n"
			 "Content-Length: 0\n\n",
			 vias[i], i);
		respond(&r, pol, w, req, &src, 0);
		assert_int_equal(r.v.status, 483);
		assert_wellformed(&r, 483);
		/* respond() left have cleared: judge again to see how the reply read the Via */
		sw_judge(pol, w, r.req.p, r.req.len, &v);
		assert_true(w->judged.have & SW_JUDGED_VIA_OK);
		reply_free(&r);
	}
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The status line's code is written from reciprocal multiplications: every three-digit status (a rule may reply
 * with any of 400-699; the arithmetic holds for 100-999) must read as printf writes it.
 */
static void test_status_codes(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.101", 5060);
	struct tu_dgram req = tu_crlf("OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
				      "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKst1\n"
				      "Max-Forwards: 0\n"
				      "From: <sip:alice@atlanta.example.com>;tag=st1\n"
				      "To: <sip:bob@biloxi.example.com>\n"
				      "Call-ID: st.1@example.com\n"
				      "CSeq: 1 OPTIONS\n"
				      "Content-Length: 0\n\n");
	char out[1024], want[32];

	(void)state;
	for (uint16_t st = 100; st <= 999; st++) {
		struct sw_verdict v;
		uint32_t n;

		sw_judge(pol, w, req.p, req.len, &v);
		assert_int_equal(v.action, SW_ACT_REPLY);
		v.status = st;
		v.reason = "X";
		n = sw_respond(pol, w, &v, &src, out, sizeof(out));
		snprintf(want, sizeof(want), "SIP/2.0 %u X\r\n", st);
		assert_true(n > strlen(want));
		assert_memory_equal(out, want, strlen(want));
	}
	tu_free(&req);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* received= goes on the first via-parm of a line that holds several; the others stay as they are. */
static void test_received_multi_parm(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("203.0.113.5", 5060);
	struct reply r;
	const char *via, *comma, *val;
	uint32_t vl, pl;
	bool present;

	(void)state;
	respond(&r, pol, w,
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\n"
		"Max-Forwards: 0\n"
		"From: <sip:alice@atlanta.example.com>;tag=mp1\n"
		"To: <sip:bob@biloxi.example.com>;tag=mp2\n"
		"Call-ID: mp.1@example.com\n"
		"CSeq: 1 OPTIONS\n"
		"User-Agent: fixture padding so that received= fits in a reply no longer than this request\n"
		"Content-Length: 0\n\n",
		&src, 0);
	assert_wellformed(&r, 483);
	via = tu_reply_header(r.out, r.len, "Via", 0, &vl);
	assert_non_null(via);
	comma = memchr(via, ',', vl);
	assert_non_null(comma);
	val = tu_param(via, (uint32_t)(comma - via), "received", &pl, &present);
	assert_true(present);
	assert_int_equal(pl, strlen("203.0.113.5"));
	assert_memory_equal(val, "203.0.113.5", pl);
	/* after the comma: the second via-parm, untouched */
	assert_int_equal(via + vl - comma, strlen(", SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2"));
	assert_memory_equal(comma, ", SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2", (size_t)(via + vl - comma));
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* ---------------------------------------------------------------- the To tag */

#define TAG_REQ(callid, to) TAG_REQ_B("z9hG4bKtag1", callid, to)
#define TAG_REQ_B(branch, callid, to) \
	"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n" \
	"Via: SIP/2.0/UDP 192.0.2.60;branch=" branch "\n" \
	"Max-Forwards: 0\n" \
	"From: <sip:alice@atlanta.example.com>;tag=from1\n" \
	"To: " to "\n" \
	"Call-ID: " callid "\n" \
	"CSeq: 1 OPTIONS\n" \
	"User-Agent: fixture padding so that a To tag fits in a reply no longer than this request\n" \
	"Content-Length: 0\n\n"

static void tag_of(const char *text, const uint8_t *secret, char *tag, size_t cap, struct reply *keep)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(secret);
	struct sw_peer src = tu_peer4("192.0.2.60", 5060);
	struct reply r;

	respond(&r, pol, w, text, &src, 0);
	assert_wellformed(&r, 483);
	reply_to_tag(&r, tag, cap);
	if (keep)
		*keep = r;
	else
		reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

static void assert_tag_format(const char *tag)
{
	size_t n = strlen(tag);

	/* RFC 3261 19.3: a token with at least 32 bits of randomness */
	assert_true(n >= 8 && n <= 64);
	for (size_t i = 0; i < n; i++)
		assert_true(sw_is((uint8_t)tag[i], SW_C_TOKEN));
}

static void test_to_tag(void **state)
{
	char a1[128], a2[128], b[128], c[128];
	struct reply r1, r2;

	(void)state;
	/* same request, same secret: the same tag, and the same bytes, from two workers */
	tag_of(TAG_REQ("tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, a1, sizeof(a1), &r1);
	tag_of(TAG_REQ("tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, a2, sizeof(a2), &r2);
	assert_tag_format(a1);
	assert_string_equal(a1, a2);
	tu_assert_bytes(r1.out, r1.len, r2.out, r2.len);
	reply_free(&r1);
	reply_free(&r2);
	/* another secret: another tag */
	tag_of(TAG_REQ("tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_b, b, sizeof(b), NULL);
	assert_tag_format(b);
	assert_string_not_equal(a1, b);
	/* another transaction (another RFC 3261 branch): another tag */
	tag_of(TAG_REQ_B("z9hG4bKtag2", "tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, c,
	       sizeof(c), NULL);
	assert_string_not_equal(a1, c);
	/* an RFC 3261 branch names its transaction (17.2.3): the Call-ID is not hashed with it */
	tag_of(TAG_REQ("tag.2@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, c, sizeof(c), NULL);
	assert_string_equal(a1, c);
	/* an RFC 2543 branch (no z9hG4bK cookie) does not: the Call-ID is hashed, another dialog gets another tag */
	tag_of(TAG_REQ_B("tag1", "tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, a2, sizeof(a2),
	       NULL);
	tag_of(TAG_REQ_B("tag1", "tag.2@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, c, sizeof(c), NULL);
	assert_tag_format(a2);
	assert_string_not_equal(a2, c);
	assert_string_not_equal(a1, a2);
}

/* msg[n..n + len) = p[0..len); returns n + len. */
static size_t put_piece(uint8_t *msg, size_t n, const void *p, size_t len)
{
	memcpy(msg + n, p, len);
	return n + len;
}

/*
 * The To tag's value, pinned: crypto_shorthash() under the worker's secret of the documented message (to_tag() in
 * core/sip_reply.c), as 16 lower-case hex digits. With an RFC 3261 branch: 0xff, the branch, 0, the CSeq value, 0,
 * the status in memory order; with an RFC 2543 one, the Call-ID, 0, the From tag, 0 in front of the branch instead.
 */
static void expect_tag(const uint8_t *msg, size_t n, const char *tag)
{
	uint8_t h[crypto_shorthash_BYTES];
	char want[17];

	crypto_shorthash(h, msg, n, tu_secret_a);
	for (int i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02x", h[i]);
	assert_string_equal(tag, want);
}

static void test_to_tag_value(void **state)
{
	uint16_t status = 483;
	uint8_t msg[128];
	size_t n = 0;
	char tag[128];

	(void)state;
	assert_int_equal(sodium_init() < 0, 0);
	tag_of(TAG_REQ("tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, tag, sizeof(tag), NULL);
	/* each piece with its NUL, the separator; then the status's two bytes as they lie in memory */
	msg[n++] = 0xff;
	n = put_piece(msg, n, "z9hG4bKtag1", 12);
	n = put_piece(msg, n, "1 OPTIONS", 10);
	n = put_piece(msg, n, &status, 2);
	expect_tag(msg, n, tag);

	tag_of(TAG_REQ_B("tag1", "tag.1@example.com", "<sip:bob@biloxi.example.com>"), tu_secret_a, tag, sizeof(tag),
	       NULL);
	n = put_piece(msg, 0, "tag.1@example.com", 18);
	n = put_piece(msg, n, "from1", 6);
	n = put_piece(msg, n, "tag1", 5);
	n = put_piece(msg, n, "1 OPTIONS", 10);
	n = put_piece(msg, n, &status, 2);
	expect_tag(msg, n, tag);
}

/* The same worker, the same request judged twice: the same reply (a retransmission gets the same answer). */
#define FROM_REQ(from) \
	"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n" \
	"Via: SIP/2.0/UDP 192.0.2.60;branch=rfc2543tag1\n" \
	"Max-Forwards: 0\n" \
	"From: " from "\n" \
	"To: <sip:bob@biloxi.example.com>\n" \
	"Call-ID: from.1@example.com\n" \
	"CSeq: 1 OPTIONS\n" \
	"User-Agent: fixture padding so that a To tag fits in a reply no longer than this request\n" \
	"Content-Length: 0\n\n"

/*
 * Without an RFC 3261 branch (here an RFC 2543 one) the From tag is hashed, wherever it is found: in the usual
 * name-addr (read by the reply itself), after a quoted display name or in an addr-spec (read by sip_addr_parse).
 * Another From tag gives another To tag; the same tag written with other case or LWS around its '=' is the same tag.
 */
static void test_to_tag_from_tag(void **state)
{
	static const char *const forms[][2] = {
		{ FROM_REQ("Alice <sip:alice@atlanta.example.com>;tag=f1"),
		  FROM_REQ("Alice <sip:alice@atlanta.example.com>;tag=f2") },
		{ FROM_REQ("\"Alice;tag=x\" <sip:alice@atlanta.example.com>;tag=f1"),
		  FROM_REQ("\"Alice;tag=x\" <sip:alice@atlanta.example.com>;tag=f2") },
		{ FROM_REQ("sip:alice@atlanta.example.com;tag=f1"), FROM_REQ("sip:alice@atlanta.example.com;tag=f2") },
	};
	char a[128], b[128], c[128];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		tag_of(forms[i][0], tu_secret_a, a, sizeof(a), NULL);
		tag_of(forms[i][1], tu_secret_a, b, sizeof(b), NULL);
		assert_tag_format(a);
		assert_string_not_equal(a, b);
	}
	tag_of(FROM_REQ("Alice <sip:alice@atlanta.example.com>;tag=f1"), tu_secret_a, a, sizeof(a), NULL);
	tag_of(FROM_REQ("Alice <sip:alice@atlanta.example.com> ;x=1; TAG = f1"), tu_secret_a, b, sizeof(b), NULL);
	tag_of(FROM_REQ("\"Alice\" <sip:alice@atlanta.example.com>;tag=f1"), tu_secret_a, c, sizeof(c), NULL);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	/*
	 * Two tag parameters (the grammar allows it): the usual name-addr hashes the first, as the reply's scan finds
	 * it; a quoted display name the last, as sip_addr_parse (and the verdict, whose tag the reply then takes) does.
	 */
	tag_of(FROM_REQ("Alice <sip:alice@atlanta.example.com>;tag=f1;tag=f2"), tu_secret_a, b, sizeof(b), NULL);
	assert_string_equal(a, b);
	tag_of(FROM_REQ("\"Alice\" <sip:alice@atlanta.example.com>;tag=f2;tag=f1"), tu_secret_a, b, sizeof(b), NULL);
	assert_string_equal(a, b);
}

static void test_to_tag_retransmission(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.60", 5060);
	struct reply r1, r2;

	(void)state;
	respond(&r1, pol, w, TAG_REQ("tag.3@example.com", "<sip:bob@biloxi.example.com>"), &src, 0);
	respond(&r2, pol, w, TAG_REQ("tag.3@example.com", "<sip:bob@biloxi.example.com>"), &src, 0);
	assert_true(r1.len > 0);
	tu_assert_bytes(r1.out, r1.len, r2.out, r2.len);
	reply_free(&r1);
	reply_free(&r2);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* A To that has a tag is copied as it is: no second tag (RFC 3261 8.2.6.2). */
static void test_to_tag_kept(void **state)
{
	static const char *const tos[] = {
		"<sip:bob@biloxi.example.com>;tag=a6c85cf",
		"Bob <sip:bob@biloxi.example.com>;tag=a6c85cf;x=1",
		"sip:bob@biloxi.example.com;TAG=UPPER1", /* parameter names are case-insensitive */
		/* RFC 4475 3.1.1.1 wsinv, unfolded: LWS around ';' and '=' */
		"sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tos) / sizeof(tos[0]); i++) {
		struct sw_policy *pol = tu_policy();
		struct sw_worker *w = tu_worker(NULL);
		struct sw_peer src = tu_peer4("192.0.2.60", 5060);
		char req[1024];
		struct reply r;
		const char *to;
		uint32_t vl;

		snprintf(req, sizeof(req),
			 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
			 "Via: SIP/2.0/UDP 192.0.2.60;branch=z9hG4bKkept\n"
			 "Max-Forwards: 0\n"
			 "From: <sip:alice@atlanta.example.com>;tag=from1\n"
			 "To: %s\n"
			 "Call-ID: kept.%zu@example.com\n"
			 "CSeq: 1 OPTIONS\n"
			 "Content-Length: 0\n\n",
			 tos[i], i);
		print_message("To: %s\n", tos[i]);
		respond(&r, pol, w, req, &src, 0);
		assert_wellformed(&r, 483);
		to = tu_reply_header(r.out, r.len, "To", 0, &vl);
		assert_non_null(to);
		tu_assert_bytes(to, vl, tos[i], (uint32_t)strlen(tos[i]));
		reply_free(&r);
		tu_worker_free(w);
		tu_policy_free(pol);
	}
}

/* ---------------------------------------------------------------- Unsupported, Retry-After, Server */

/*
 * Unsupported lists what sip_token_list_next() reads of each Proxy-Require value; a value that is one token is
 * taken whole without it (put_unsupported()'s one_token()). A 483 (Max-Forwards is checked before Proxy-Require,
 * so the values are not validated, as for a rule's reply) answered as 420: for every byte in three positions, alone
 * and beside a supported tag, the list must be the one the tokenizer gives.
 */
static void test_unsupported_one_token(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.70", 5060);
	unsigned answered = 0;

	(void)state;
	for (unsigned c = 1; c < 256; c++)
		for (unsigned form = 0; form < 4; form++) {
			char val[16], req[1024], want[64], *out;
			struct sw_verdict v;
			struct tu_dgram rq;
			const char *u;
			uint32_t ul, n, pos = 0, wl = 0;
			struct sw_str tok;
			bool bad;

			if (c == '\r' || c == '\n')
				continue;
			snprintf(val, sizeof(val), form == 0 ? "x%cy" : form == 1 ? "%c" : form == 2 ? "xy%c" : "timer%c",
				 (char)c);
			snprintf(req, sizeof(req),
				 "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
				 "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKtok%u;rport\n"
				 "Max-Forwards: 0\n"
				 "Proxy-Require: %s\n"
				 "Proxy-Require: timer\n"
				 "From: <sip:alice@atlanta.example.com>;tag=tt1\n"
				 "To: <sip:bob@biloxi.example.com>;tag=tt2\n"
				 "Call-ID: tok.%u@example.com\n"
				 "CSeq: 1 OPTIONS\n"
				 "User-Agent: fixture padding so that the reply fits in one no longer than this request\n"
				 "Content-Length: 0\n\n",
				 c, val, c);
			rq = tu_crlf(req);
			sw_judge(pol, w, rq.p, rq.len, &v);
			if (v.action != SW_ACT_REPLY || v.status != 483 || !w->msg.count[SIP_HDR_PROXY_REQUIRE]) {
				tu_free(&rq);
				continue; /* the byte broke the message (a NUL, a bare CR...) */
			}
			/* the tokenizer's list of the first value (the second, timer, is supported) */
			struct sw_str pr = sip_msg_hdr(&w->msg, SIP_HDR_PROXY_REQUIRE)->value;

			while (sip_token_list_next(pr, &pos, &tok, &bad)) {
				if (bad || sw_policy_supports(pol, tok))
					continue;
				wl += (uint32_t)snprintf(want + wl, sizeof(want) - wl, "%s%.*s", wl ? ", " : "", (int)tok.len,
							 tok.p);
			}
			v.status = 420;
			v.reason = "Bad Extension";
			out = malloc(rq.len);
			assert_non_null(out);
			n = sw_respond(pol, w, &v, &src, out, rq.len);
			assert_true(n > 0);
			u = tu_reply_header(out, n, "Unsupported", 0, &ul);
			if (wl == 0 ? u != NULL : !u || ul != wl || memcmp(u, want, wl) != 0)
				fail_msg("Proxy-Require byte 0x%02x form %u: want \"%s\", got \"%s\"", c, form, want,
					 u ? tu_show(u, ul) : "(none)");
			answered++;
			free(out);
			tu_free(&rq);
		}
	assert_true(answered > 600);
	tu_worker_free(w);
	tu_policy_free(pol);
}

static void test_unsupported_require(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.70", 5060);
	struct reply r;
	const char *u;
	uint32_t ul;
	char list[256];

	(void)state;
	pol->check_require = true;
	/* RFC 4475 3.3.5 bext01 shape: unknown tags in both headers */
	respond(&r, pol, w,
		"OPTIONS sip:user@example.com SIP/2.0\n"
		"To: sip:j_user@example.com\n"
		"From: sip:caller@example.net;tag=242etr\n"
		"Max-Forwards: 6\n"
		"Call-ID: bext01.0ha0isndaksdj\n"
		"Require: nothingSupportsThis, nothingSupportsThisEither, timer\n"
		"Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\n"
		"CSeq: 8 OPTIONS\n"
		"Via: SIP/2.0/UDP 192.0.2.70;branch=z9hG4bKkdjuw\n"
		"Content-Length: 0\n\n",
		&src, 0);
	assert_int_equal(r.v.status, 420);
	assert_wellformed(&r, 420);
	assert_int_equal(tu_reply_count(r.out, r.len, "Unsupported"), 1);
	u = tu_reply_header(r.out, r.len, "Unsupported", 0, &ul);
	assert_true(ul < sizeof(list));
	memcpy(list, u, ul);
	list[ul] = '\0';
	/* every unknown tag, none of the known ones */
	assert_non_null(strstr(list, "noProxiesSupportThis"));
	assert_non_null(strstr(list, "norDoAnyProxiesSupportThis"));
	assert_non_null(strstr(list, "nothingSupportsThis"));
	assert_non_null(strstr(list, "nothingSupportsThisEither"));
	assert_null(strstr(list, "timer"));
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* Retry-After only in a 413, and only when configured; Server only when configured; Unsupported only in a 420. */
static void test_optional_headers(void **state)
{
	static const char *const req483 = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
					  "Via: SIP/2.0/UDP 192.0.2.80;branch=z9hG4bKopt1\n"
					  "Max-Forwards: 0\n"
					  "From: <sip:alice@atlanta.example.com>;tag=opt1\n"
					  "To: <sip:bob@biloxi.example.com>;tag=opt2\n"
					  "Call-ID: opt.1@example.com\n"
					  "CSeq: 1 OPTIONS\n"
					  "Proxy-Require: foo\n"
					  "User-Agent: fixture padding so that optional headers fit into the reply\n"
					  "Content-Length: 0\n\n";
	struct sw_peer src = tu_peer4("192.0.2.80", 5060);

	(void)state;
	for (int server = 0; server < 2; server++) {
		for (int msg413 = 0; msg413 < 2; msg413++) {
			struct sw_policy *pol = tu_policy();
			struct sw_worker *w = tu_worker(NULL);
			struct reply r;

			pol->retry_after_seconds = 120;
			if (server)
				snprintf(pol->server, sizeof(pol->server), "sipwall");
			if (msg413)
				pol->max_message_bytes = 64;
			respond(&r, pol, w, req483, &src, 0);
			assert_int_equal(r.v.status, msg413 ? 413 : 483);
			assert_wellformed(&r, r.v.status);
			assert_int_equal(tu_reply_count(r.out, r.len, "Retry-After"), msg413 ? 1 : 0);
			assert_int_equal(tu_reply_count(r.out, r.len, "Server"), server ? 1 : 0);
			assert_int_equal(tu_reply_count(r.out, r.len, "Unsupported"), 0);
			if (msg413) {
				uint32_t vl;
				const char *v = tu_reply_header(r.out, r.len, "Retry-After", 0, &vl);

				tu_assert_bytes(v, vl, "120", 3);
			}
			if (server) {
				uint32_t vl;
				const char *v = tu_reply_header(r.out, r.len, "Server", 0, &vl);

				tu_assert_bytes(v, vl, "sipwall", 7);
			}
			reply_free(&r);
			tu_worker_free(w);
			tu_policy_free(pol);
		}
	}
}

/* ---------------------------------------------------------------- the anti-amplification cap */

/* A terse request whose reply cannot be shorter, even with compact names: no reply, a drop. */
static void test_amplification_drop(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.90", 5060);
	struct reply r;

	(void)state;
	respond(&r, pol, w,
		"OPTIONS sip:b SIP/2.0\nv:SIP/2.0/UDP h\nf:<sip:a>;tag=1\nt:<sip:b>\ni:x\nCSeq:1 OPTIONS\nMax-Forwards:0\n\n",
		&src, 0);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.v.action, SW_ACT_DROP);
	assert_int_equal(r.v.why, SW_WHY_AMPLIFICATION);
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* Any cap below the reply's size: no reply, a drop, and nothing written past cap (the buffer is exactly cap). */
static void test_amplification_caps(void **state)
{
	static const char *const req = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
				       "Via: SIP/2.0/UDP 192.0.2.91;branch=z9hG4bKcap1\n"
				       "Max-Forwards: 0\n"
				       "From: <sip:alice@atlanta.example.com>;tag=cap1\n"
				       "To: <sip:bob@biloxi.example.com>\n"
				       "Call-ID: cap.1@example.com\n"
				       "CSeq: 1 OPTIONS\n"
				       "User-Agent: fixture padding so that the full reply fits in the request\n"
				       "Content-Length: 0\n\n";
	struct sw_peer src = tu_peer4("192.0.2.91", 5060);
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct reply full;
	uint32_t need;

	(void)state;
	respond(&full, pol, w, req, &src, 0);
	assert_wellformed(&full, 483);
	need = full.len;
	for (uint32_t cap = 1; cap < need; cap++) {
		struct reply r;

		respond(&r, pol, w, req, &src, cap);
		if (r.len) {
			/* a shorter form (compact names, RFC 3261 7.3.3) is allowed: it must fit and be well formed */
			static struct sip_msg m;

			assert_true(r.len <= cap);
			assert_int_equal(sip_msg_parse(&m, r.out, r.len), SIP_PARSE_OK);
			assert_int_equal(m.status, 483);
			assert_int_equal(r.v.action, SW_ACT_REPLY);
		} else {
			assert_int_equal(r.v.action, SW_ACT_DROP);
			assert_int_equal(r.v.why, SW_WHY_AMPLIFICATION);
		}
		reply_free(&r);
	}
	/* the exact size is enough */
	{
		struct reply r;

		respond(&r, pol, w, req, &src, need);
		assert_int_equal(r.len, need);
		tu_assert_bytes(r.out, r.len, full.out, full.len);
		reply_free(&r);
	}
	reply_free(&full);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * Header names in a reply are the canonical full names (RFC 3261 7.3.3 lets a sender choose; sipwall writes full
 * names whenever they fit under the cap).
 */
static void test_canonical_names(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.95", 5060);
	struct reply r;

	(void)state;
	respond(&r, pol, w,
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"v: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKcn1\n"
		"V: SIP/2.0/UDP 192.0.2.96;branch=z9hG4bKcn0\n"
		"Max-Forwards: 0\n"
		"f: <sip:alice@atlanta.example.com>;tag=cn1\n"
		"t: <sip:bob@biloxi.example.com>;tag=cn2\n"
		"i: cn.1@example.com\n"
		"cseq: 1 OPTIONS\n"
		"s: padding subject so that full names fit in a reply no longer than this request\n"
		"l: 0\n\n",
		&src, 0);
	assert_wellformed(&r, 483);
	assert_int_equal(tu_reply_count(r.out, r.len, "Via"), 2);
	assert_int_equal(tu_reply_count(r.out, r.len, "From"), 1);
	assert_int_equal(tu_reply_count(r.out, r.len, "To"), 1);
	assert_int_equal(tu_reply_count(r.out, r.len, "Call-ID"), 1);
	assert_int_equal(tu_reply_count(r.out, r.len, "CSeq"), 1);
	assert_int_equal(tu_reply_count(r.out, r.len, "Content-Length"), 1);
	assert_int_equal(tu_reply_count(r.out, r.len, "Subject"), 0);
	assert_int_equal(tu_reply_count(r.out, r.len, "Max-Forwards"), 0);
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* A folded top Via is copied as written (folding is legal in a response), and the reply still parses. */
static void test_folded_via(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.2", 5060);
	struct reply r;
	static struct sip_msg m;
	struct sip_via via;

	(void)state;
	respond(&r, pol, w,
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw\n"
		"Max-Forwards: 0\n"
		"From: <sip:alice@atlanta.example.com>;tag=fv1\n"
		"To: <sip:bob@biloxi.example.com>;tag=fv2\n"
		"Call-ID: fv.1@example.com\n"
		"CSeq: 1 OPTIONS\n"
		"User-Agent: fixture padding so that the reply fits\n"
		"Content-Length: 0\n\n",
		&src, 0);
	assert_wellformed(&r, 483);
	assert_int_equal(sip_msg_parse(&m, r.out, r.len), SIP_PARSE_OK);
	assert_true(sip_via_parse(sip_msg_hdr(&m, SIP_HDR_VIA)->value, &via));
	assert_int_equal(via.host.len, 9);
	assert_memory_equal(via.host.p, "192.0.2.2", 9);
	assert_int_equal(via.branch.len, 9);
	assert_memory_equal(via.branch.p, "390skdjuw", 9);
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/* A header value folded onto a blank continuation line: the reply must not end its header section early. */
static void test_blank_continuation(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct sw_peer src = tu_peer4("192.0.2.3", 5060);
	struct reply r;

	(void)state;
	respond(&r, pol, w,
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKblank\n"
		"Max-Forwards: 0\n"
		"From: <sip:alice@atlanta.example.com>;tag=bl1\n"
		"To: <sip:bob@biloxi.example.com>;tag=bl2\n"
		"Call-ID: blank.1@example.com\n"
		"CSeq: 1 OPTIONS\n \n"
		"User-Agent: fixture padding so that the reply fits\n"
		"Content-Length: 0\n\n",
		&src, 0);
	assert_wellformed(&r, 483);
	reply_free(&r);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The 420 whose extension headers hold one tag in all takes it as the verdict's unsupported one (v->unsupported_from)
 * without asking the policy again: the same bytes as the full walk (unsupported_from cleared), for a Proxy-Require
 * tag, a Require tag (check_require), either with the other header absent or empty of tags, and compact names.
 */
static void test_unsupported_single_tag(void **state)
{
	static const char *const reqs[] = {
		"INVITE sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKone1;rport\n"
		"Max-Forwards: 70\n"
		"Proxy-Require: foo\n"
		"From: <sip:alice@atlanta.example.com>;tag=o1\n"
		"To: <sip:bob@biloxi.example.com>\n"
		"Call-ID: one.1@example.com\n"
		"CSeq: 1 INVITE\n"
		"User-Agent: fixture padding so that the reply fits in one no longer than this request\n"
		"Content-Length: 0\n\n",
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKone2\n"
		"Max-Forwards: 70\n"
		"Require: x-unknown-ext\n"
		"f: <sip:alice@atlanta.example.com>;tag=o2\n"
		"t: <sip:bob@biloxi.example.com>\n"
		"i: one.2@example.com\n"
		"CSeq: 2 OPTIONS\n"
		"User-Agent: fixture padding so that the reply fits in one no longer than this request\n"
		"Content-Length: 0\n\n",
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKone3\n"
		"Max-Forwards: 70\n"
		"Require: x-unknown-ext\n"
		"Proxy-Require: x-other, timer\n"
		"From: <sip:alice@atlanta.example.com>;tag=o3\n"
		"To: <sip:bob@biloxi.example.com>\n"
		"Call-ID: one.3@example.com\n"
		"CSeq: 3 OPTIONS\n"
		"User-Agent: fixture padding so that the reply fits in one no longer than this request\n"
		"Content-Length: 0\n\n",
	};
	struct sw_peer src = tu_peer4("192.0.2.71", 5060);
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);

	(void)state;
	pol->check_require = true;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		for (uint32_t shrink = 0; shrink < 2; shrink++) {
			struct tu_dgram rq = tu_crlf(reqs[i]);
			uint32_t cap = rq.len - shrink * 60, n1, n2; /* 60 short: the compact form */
			char *a = malloc(cap), *b = malloc(cap);
			struct sw_verdict v1, v2;

			assert_non_null(a);
			assert_non_null(b);
			sw_judge(pol, w, rq.p, rq.len, &v1);
			assert_int_equal(v1.action, SW_ACT_REPLY);
			assert_int_equal(v1.status, 420);
			assert_non_null(v1.unsupported_from);
			v2 = v1;
			n1 = sw_respond(pol, w, &v1, &src, a, cap);
			v2.unsupported_from = NULL; /* the walk over every tag, each asked of the policy */
			n2 = sw_respond(pol, w, &v2, &src, b, cap);
			tu_assert_bytes(a, n1, b, n2);
			assert_int_equal(v1.action, v2.action);
			if (n1)
				assert_non_null(memmem(a, n1, "Unsupported: ", 13));
			free(a);
			free(b);
			tu_free(&rq);
		}
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The status line of every status a reply can carry: the three digits of 100..999 from the table, and the written
 * number of the rest (0..99, 1000 and up: put_u32), each followed by SP and the reason.
 */
static void test_status_line_digits(void **state)
{
	static const char *const req = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
				       "Via: SIP/2.0/UDP 192.0.2.91;branch=z9hG4bKst1\n"
				       "Max-Forwards: 0\n"
				       "From: <sip:alice@atlanta.example.com>;tag=st1\n"
				       "To: <sip:bob@biloxi.example.com>\n"
				       "Call-ID: st.1@example.com\n"
				       "CSeq: 1 OPTIONS\n"
				       "User-Agent: fixture padding so that the full reply fits in the request\n"
				       "Content-Length: 0\n\n";
	static const uint32_t others[] = { 0, 1, 9, 10, 99, 1000, 9999, 65535 };
	struct sw_peer src = tu_peer4("192.0.2.91", 5060);
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct tu_dgram rq = tu_crlf(req);
	char out[1024], want[32];
	struct sw_verdict v0;

	(void)state;
	sw_judge(pol, w, rq.p, rq.len, &v0);
	assert_int_equal(v0.action, SW_ACT_REPLY);
	for (uint32_t k = 0; k < 900 + sizeof(others) / sizeof(others[0]); k++) {
		uint32_t st = k < 900 ? 100 + k : others[k - 900], n;
		struct sw_verdict v = v0;
		int wl;

		v.status = (uint16_t)st;
		v.reason = "Test";
		n = sw_respond(pol, w, &v, &src, out, sizeof(out));
		wl = snprintf(want, sizeof(want), "SIP/2.0 %u Test\r\n", (unsigned)st);
		assert_true(n >= (uint32_t)wl);
		assert_memory_equal(out, want, (size_t)wl);
	}
	tu_free(&rq);
	tu_worker_free(w);
	tu_policy_free(pol);
}

/*
 * The To tag's hash: sw_siphash24() (inline) gives crypto_shorthash()'s bytes for every length from 0 to 300 (each
 * tail length of 0 to 7 bytes many times over), at every alignment of the input, under random keys and contents.
 */
static void test_siphash_is_crypto_shorthash(void **state)
{
	uint8_t buf[8 + 300 + 8], key[16], want[crypto_shorthash_BYTES], got[8];

	(void)state;
	assert_int_equal(sodium_init() < 0, 0);
	for (unsigned round = 0; round < 4; round++)
		for (size_t n = 0; n <= 300; n++)
			for (size_t off = 0; off < 8; off++) {
				randombytes_buf(key, sizeof(key));
				randombytes_buf(buf, sizeof(buf));
				crypto_shorthash(want, buf + off, n, key);
				sw_siphash24(got, buf + off, n, key);
				assert_memory_equal(got, want, 8);
			}
	/* the published test vector (SipHash paper, appendix A): key 00..0f, message 00..0e */
	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < 15; i++)
		buf[i] = (uint8_t)i;
	sw_siphash24(got, buf, 15, key);
	assert_memory_equal(got, "\xe5\x45\xbe\x49\x61\xca\x29\xa1", 8);
}

/*
 * The To tag's hash piece by piece (sw_siphash_*()): crypto_shorthash()'s bytes for the pieces put one after the
 * other, for messages of 0 to 300 bytes cut at random into 1 to 6 pieces (empty ones too) and words, each piece read
 * with its buffer's end (hi) at every distance from 0 to 9 bytes past it, so that both the 8-byte loads and the
 * byte loop near hi are taken.
 */
static void test_siphash_pieces(void **state)
{
	uint8_t msg[300], key[16], want[crypto_shorthash_BYTES], got[8];
	uint8_t *piece = malloc(300 + 16);

	(void)state;
	assert_non_null(piece);
	assert_int_equal(sodium_init() < 0, 0);
	for (unsigned round = 0; round < 20000; round++) {
		uint32_t n = randombytes_uniform(301), at = 0;
		unsigned parts = 1 + randombytes_uniform(6);
		struct sw_siphash sh;

		randombytes_buf(key, sizeof(key));
		randombytes_buf(msg, n);
		crypto_shorthash(want, msg, n, key);
		sw_siphash_init(&sh, key);
		for (unsigned i = 0; i < parts; i++) {
			uint32_t k = i + 1 == parts ? n - at : randombytes_uniform(n - at + 1);
			uint32_t slack = randombytes_uniform(10);

			/* the piece at the end of an allocation of k + slack bytes, so that hi is where it says */
			if (k && k <= 8 && randombytes_uniform(2)) {
				uint64_t w = 0;

				for (uint32_t b = 0; b < k; b++)
					w |= (uint64_t)msg[at + b] << (8 * b);
				sw_siphash_word(&sh, w, k);
			} else {
				uint8_t *p = piece + 316 - k - slack;

				memcpy(p, msg + at, k);
				memset(p + k, 0xa5, slack); /* readable past the piece: must be masked off */
				sw_siphash_bytes(&sh, p, k, p + k + slack);
			}
			at += k;
		}
		sw_siphash_final(&sh, got);
		assert_memory_equal(got, want, 8);
		if (n <= sizeof(msg) - 8) { /* and the one-buffer form, which reads 8 bytes past the message */
			sw_siphash24(got, msg, n, key);
			assert_memory_equal(got, want, 8);
		}
	}
	free(piece);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_received_rport),
		cmocka_unit_test(test_received_multi_parm),
		cmocka_unit_test(test_received_rport_digits),
		cmocka_unit_test(test_received_lengths),
		cmocka_unit_test(test_sent_by_compare),
		cmocka_unit_test(test_via_fast_and_parsed),
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test(test_to_tag),
		cmocka_unit_test(test_to_tag_value),
		cmocka_unit_test(test_to_tag_retransmission),
		cmocka_unit_test(test_to_tag_from_tag),
		cmocka_unit_test(test_to_tag_kept),
		cmocka_unit_test(test_unsupported_require),
		cmocka_unit_test(test_unsupported_one_token),
		cmocka_unit_test(test_unsupported_single_tag),
		cmocka_unit_test(test_optional_headers),
		cmocka_unit_test(test_amplification_drop),
		cmocka_unit_test(test_amplification_caps),
		cmocka_unit_test(test_canonical_names),
		cmocka_unit_test(test_folded_via),
		cmocka_unit_test(test_blank_continuation),
		cmocka_unit_test(test_siphash_is_crypto_shorthash),
		cmocka_unit_test(test_siphash_pieces),
		cmocka_unit_test(test_status_line_digits),
	};

	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}

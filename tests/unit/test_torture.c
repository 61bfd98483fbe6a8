// SPDX-License-Identifier: BSD-3-Clause
/*
 * Every message of RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests), byte-exact from
 * tests/data/torture, through sw_judge() and, for replies, sw_respond(). The table holds what the RFC text says a
 * conforming element does with each message; where the RFC leaves the choice open, the choice sipwall documents
 * (docs/verdict.md). docs/torture.md gives the reasoning for every row.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Fixture tables leave the fields a case does not use to zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct torture {
	const char *file; /* under tests/data/torture */
	const char *section;
	const char *title;
	enum sw_action action;
	enum sw_why why;
	uint16_t status;
	const char *reason_has; /* a reply's reason names this (NULL: not pinned) */
	int alt_why;            /* another acceptable why for a drop (0: none) */
};

#define PASS SW_ACT_PASS, SW_WHY_VALID
#define RESP SW_ACT_PASS, SW_WHY_RESPONSE
#define REPLY(s) SW_ACT_REPLY, SW_WHY_CHECK, s

static const struct torture table[] = {
	/* ---- RFC 4475 3.1.1: valid messages; parsers must accept them ---- */
	{ "rfc4475/wsinv.dat", "4475 3.1.1.1", "A Short Tortuous INVITE", PASS },
	{ "rfc4475/intmeth.dat", "4475 3.1.1.2", "Wide Range of Valid Characters", PASS },
	{ "rfc4475/esc01.dat", "4475 3.1.1.3", "Valid Use of the % Escaping Mechanism", PASS },
	{ "rfc4475/escnull.dat", "4475 3.1.1.4", "Escaped Nulls in URIs", PASS },
	{ "rfc4475/esc02.dat", "4475 3.1.1.5", "Use of % When It Is Not an Escape", PASS },
	{ "rfc4475/lwsdisp.dat", "4475 3.1.1.6", "Message with No LWS between Display Name and <", PASS },
	{ "rfc4475/longreq.dat", "4475 3.1.1.7", "Long Values in Header Fields", PASS },
	{ "rfc4475/dblreq.dat", "4475 3.1.1.8", "Extra Trailing Octets in a UDP Datagram", PASS },
	{ "rfc4475/semiuri.dat", "4475 3.1.1.9", "Semicolon-Separated Parameters in URI User Part", PASS },
	{ "rfc4475/transports.dat", "4475 3.1.1.10", "Varied and Unknown Transport Types", PASS },
	{ "rfc4475/mpart01.dat", "4475 3.1.1.11", "Multipart MIME Message", PASS },
	{ "rfc4475/unreason.dat", "4475 3.1.1.12", "Unusual Reason Phrase", RESP },
	{ "rfc4475/noreason.dat", "4475 3.1.1.13", "Empty Reason Phrase", RESP },

	/* ---- RFC 4475 3.1.2: invalid messages ---- */
	/* RFC: 400; sipwall drops: a top Via whose parameters do not parse is not usable (docs/torture.md) */
	{ "rfc4475/badinv01.dat", "4475 3.1.2.1", "Extraneous Header Field Separators", SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "rfc4475/clerr.dat", "4475 3.1.2.2", "Content Length Larger Than Message", REPLY(400), "Content-Length" },
	{ "rfc4475/ncl.dat", "4475 3.1.2.3", "Negative Content-Length", REPLY(400), "Content-Length" },
	{ "rfc4475/scalar02.dat", "4475 3.1.2.4", "Request Scalar Fields with Overlarge Values", REPLY(400), "CSeq" },
	{ "rfc4475/scalarlg.dat", "4475 3.1.2.5", "Response Scalar Fields with Overlarge Values", SW_ACT_DROP,
	  SW_WHY_BAD_RESPONSE },
	{ "rfc4475/quotbal.dat", "4475 3.1.2.6", "Unterminated Quoted String in Display Name", REPLY(400) },
	{ "rfc4475/ltgtruri.dat", "4475 3.1.2.7", "<> Enclosing Request-URI", REPLY(400) },
	{ "rfc4475/lwsruri.dat", "4475 3.1.2.8", "Malformed SIP Request-URI (embedded LWS)", REPLY(400) },
	{ "rfc4475/lwsstart.dat", "4475 3.1.2.9", "Multiple SP Separating Request-Line Elements", REPLY(400) },
	{ "rfc4475/trws.dat", "4475 3.1.2.10", "SP Characters at End of Request-Line", REPLY(400) },
	{ "rfc4475/escruri.dat", "4475 3.1.2.11", "Escaped Headers in SIP Request-URI", REPLY(400) },
	{ "rfc4475/baddate.dat", "4475 3.1.2.12", "Invalid Time Zone in Date Header Field", PASS },
	{ "rfc4475/regbadct.dat", "4475 3.1.2.13", "Failure to Enclose name-addr URI in <>", REPLY(400), "Contact" },
	{ "rfc4475/badaspec.dat", "4475 3.1.2.14", "Spaces within addr-spec", REPLY(400), "To" },
	{ "rfc4475/baddn.dat", "4475 3.1.2.15", "Non-token Characters in Display Name", REPLY(400) },
	{ "rfc4475/badvers.dat", "4475 3.1.2.16", "Unknown Protocol Version", REPLY(505) },
	{ "rfc4475/mismatch01.dat", "4475 3.1.2.17", "Start Line and CSeq Method Mismatch", REPLY(400), "CSeq" },
	{ "rfc4475/mismatch02.dat", "4475 3.1.2.18", "Unknown Method with CSeq Method Mismatch", REPLY(400), "CSeq" },
	{ "rfc4475/bigcode.dat", "4475 3.1.2.19", "Overlarge Response Code", SW_ACT_DROP, SW_WHY_BAD_RESPONSE },

	/* ---- RFC 4475 3.2: transaction layer ---- */
	{ "rfc4475/badbranch.dat", "4475 3.2.1", "Missing Transaction Identifier", PASS },

	/* ---- RFC 4475 3.3: application layer ---- */
	{ "rfc4475/insuf.dat", "4475 3.3.1", "Missing Required Header Fields", REPLY(400), "Missing" },
	{ "rfc4475/unkscm.dat", "4475 3.3.2", "Request-URI with Unknown Scheme", PASS },
	{ "rfc4475/novelsc.dat", "4475 3.3.3", "Request-URI with Known but Atypical Scheme", PASS },
	{ "rfc4475/unksm2.dat", "4475 3.3.4", "Unknown URI Schemes in Header Fields", PASS },
	{ "rfc4475/bext01.dat", "4475 3.3.5", "Proxy-Require and Require", REPLY(420) },
	{ "rfc4475/invut.dat", "4475 3.3.6", "Unknown Content-Type", PASS },
	{ "rfc4475/regaut01.dat", "4475 3.3.7", "Unknown Authorization Scheme", PASS },
	{ "rfc4475/multi01.dat", "4475 3.3.8", "Multiple Values in Single Value Required Fields", REPLY(400) },
	{ "rfc4475/mcl01.dat", "4475 3.3.9", "Multiple Content-Length Values", REPLY(400), "Content-Length" },
	{ "rfc4475/bcast.dat", "4475 3.3.10", "200 OK Response with Broadcast Via Header Field Value", RESP },
	{ "rfc4475/zeromf.dat", "4475 3.3.11", "Max-Forwards of Zero", REPLY(483) },
	{ "rfc4475/cparam01.dat", "4475 3.3.12", "REGISTER with a Contact Header Parameter", PASS },
	{ "rfc4475/cparam02.dat", "4475 3.3.13", "REGISTER with a url-parameter", PASS },
	{ "rfc4475/regescrt.dat", "4475 3.3.14", "REGISTER with a URL Escaped Header", PASS },
	{ "rfc4475/sdp01.dat", "4475 3.3.15", "Unacceptable Accept Offering", PASS },

	/* ---- RFC 4475 3.4: backward compatibility ---- */
	{ "rfc4475/inv2543.dat", "4475 3.4.1", "INVITE with RFC 2543 Syntax", PASS },

	/* ---- RFC 4475 archive only: not described by the RFC text ---- */
	{ "rfc4475/test.dat", "4475 archive", "Request-Line without SIP-Version (archive file test.dat)", SW_ACT_DROP,
	  SW_WHY_NOT_SIP, .alt_why = SW_WHY_NO_VIA },

	/* ---- RFC 5118 ---- */
	{ "rfc5118/ipv6-good.dat", "5118 4.1", "Valid SIP Message with an IPv6 Reference", PASS },
	{ "rfc5118/ipv6-bad.dat", "5118 4.2", "Invalid SIP Message with an IPv6 Reference", REPLY(400) },
	{ "rfc5118/port-ambiguous.dat", "5118 4.3", "Port Ambiguous in a SIP URI", PASS },
	{ "rfc5118/port-unambiguous.dat", "5118 4.4", "Port Unambiguous in a SIP URI", PASS },
	{ "rfc5118/via-received-param-with-delim.dat", "5118 4.5", "IPv6 Reference Delimiters in Via Header (with [])",
	  PASS },
	{ "rfc5118/via-received-param-no-delim.dat", "5118 4.5", "IPv6 Reference Delimiters in Via Header (no [])",
	  PASS },
	{ "rfc5118/ipv6-in-sdp.dat", "5118 4.6", "SIP Request with IPv6 Addresses in SDP Body", PASS },
	{ "rfc5118/mult-ip-in-header.dat", "5118 4.7", "Multiple IP Addresses in SIP Headers", PASS },
	{ "rfc5118/mult-ip-in-sdp.dat", "5118 4.8", "Multiple IP Addresses in SDP", PASS },
	{ "rfc5118/ipv4-mapped-ipv6.dat", "5118 4.9", "IPv4-Mapped IPv6 Addresses", PASS },
	{ "rfc5118/ipv6-bug-abnf-3-colons.dat", "5118 4.10", "IPv6 Reference Bug in RFC 3261 ABNF (3 colons)", PASS },
	{ "rfc5118/ipv6-correct-abnf-2-colons.dat", "5118 4.10", "IPv6 Reference Bug in RFC 3261 ABNF (2 colons)",
	  PASS },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Where a reply would go: the top Via's sent-by when it is an address, else a documentation address. */
static struct sw_peer source_of(const struct tu_dgram *d)
{
	static struct sip_msg m;
	struct sip_via via;
	char host[64];
	struct sw_peer p = tu_peer4("192.0.2.1", 5060);

	sip_msg_parse_headers(&m, d->p, d->len);
	if (!sip_msg_hdr(&m, SIP_HDR_VIA) || !sip_via_parse(sip_msg_hdr(&m, SIP_HDR_VIA)->value, &via) ||
	    via.host.len >= sizeof(host))
		return p;
	memcpy(host, via.host.p, via.host.len);
	host[via.host.len] = '\0';
	if (inet_pton(AF_INET, host, p.addr) == 1)
		p.family = 4;
	else if (inet_pton(AF_INET6, host, p.addr) == 1)
		p.family = 6;
	p.port = via.port ? via.port : 5060;
	return p;
}

static bool matches(const struct torture *t, const struct sw_verdict *v)
{
	if (v->action != t->action)
		return false;
	if (v->why != t->why && !(t->alt_why && v->why == (enum sw_why)t->alt_why))
		return false;
	if (t->action != SW_ACT_REPLY)
		return true;
	return v->status == t->status && v->reason && v->reason[0] &&
	       (!t->reason_has || strstr(v->reason, t->reason_has));
}

/* Build the reply under the anti-amplification cap and check what can be checked on any reply. */
static void check_reply(const struct torture *t, const struct sw_policy *pol, struct sw_worker *w,
			const struct tu_dgram *d, struct sw_verdict *v)
{
	static struct sip_msg m;
	struct sw_peer src = source_of(d);
	char *out = malloc(d->len);
	uint32_t n;

	assert_non_null(out);
	n = sw_respond(pol, w, v, &src, out, d->len);
	if (n == 0) {
		/* allowed: the reply would amplify, or there is nowhere to send it */
		assert_int_equal(v->action, SW_ACT_DROP);
		assert_true(v->why == SW_WHY_AMPLIFICATION || v->why == SW_WHY_NO_VIA);
		print_message("  %-48s reply not sent: %s\n", t->file, sw_why_name(v->why));
	} else {
		char line[32];
		int ll = snprintf(line, sizeof(line), "SIP/2.0 %u ", t->status);

		assert_true(n <= d->len);
		assert_memory_equal(out, line, (size_t)ll);
		if (sip_msg_parse(&m, out, n) != SIP_PARSE_OK || m.is_request || m.status != t->status)
			fail_msg("%s: reply does not parse back:\n%s", t->file, tu_show(out, n));
		assert_int_equal(m.body.len, 0);
		/* Call-ID and CSeq, when the request had exactly one, are copied */
		assert_true(m.count[SIP_HDR_VIA] >= 1);
	}
	free(out);
}

static void test_torture(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < NTABLE; i++) {
		const struct torture *t = &table[i];
		char rel[256];
		struct tu_dgram d;
		struct sw_verdict v;

		snprintf(rel, sizeof(rel), "torture/%s", t->file);
		d = tu_load(rel);
		sw_judge(pol, w, d.p, d.len, &v);
		if (!matches(t, &v)) {
			print_error("FAIL %-14s %-44s want %s/%s/%u%s%s, got %s/%s/%u \"%s\"\n", t->section, t->file,
				    sw_action_name(t->action), sw_why_name(t->why), t->status, t->reason_has ? " ~" : "",
				    t->reason_has ? t->reason_has : "", sw_action_name(v.action), sw_why_name(v.why), v.status,
				    v.reason ? v.reason : "");
			failed++;
		} else if (v.action == SW_ACT_REPLY) {
			check_reply(t, pol, w, &d, &v);
		}
		tu_free(&d);
	}
	tu_worker_free(w);
	tu_policy_free(pol);
	if (failed)
		fail_msg("%u of %zu torture messages judged differently from the RFC", failed, NTABLE);
}

/* Every file under tests/data/torture has a row (a new fixture cannot slip in untested). */
static void test_table_complete(void **state)
{
	static const char *const dirs[] = { "rfc4475", "rfc5118" };
	size_t total = 0;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		char rel[64];
		size_t n;
		char **names;

		snprintf(rel, sizeof(rel), "torture/%s", dirs[k]);
		names = tu_list(rel, ".dat", &n);
		for (size_t i = 0; i < n; i++) {
			char want[256];
			bool found = false;

			snprintf(want, sizeof(want), "%s/%s", dirs[k], names[i]);
			for (size_t j = 0; j < NTABLE && !found; j++)
				found = strcmp(table[j].file, want) == 0;
			if (!found)
				fail_msg("%s has no row in the torture table", want);
		}
		total += n;
		tu_free_names(names, n);
	}
	assert_int_equal(total, NTABLE);
	/* 49 RFC 4475 messages + test.dat + 12 RFC 5118 messages */
	assert_int_equal(NTABLE, 49 + 1 + 12);
}

/* RFC 4475 3.3.5 bext01: the 420 lists the Proxy-Require tags (the role of a proxy; Require is not checked). */
static void test_bext01_unsupported(void **state)
{
	struct sw_policy *pol = tu_policy();
	struct sw_worker *w = tu_worker(NULL);
	struct tu_dgram d = tu_load("torture/rfc4475/bext01.dat");
	struct sw_peer src = tu_peer4("192.0.2.1", 5060);
	struct sw_verdict v;
	char *out = malloc(d.len);
	uint32_t n, ul;
	const char *u;
	char list[256];

	(void)state;
	sw_judge(pol, w, d.p, d.len, &v);
	assert_int_equal(v.action, SW_ACT_REPLY);
	assert_int_equal(v.status, 420);
	n = sw_respond(pol, w, &v, &src, out, d.len);
	assert_true(n > 0);
	u = tu_reply_header(out, n, "Unsupported", 0, &ul);
	assert_non_null(u);
	assert_true(ul < sizeof(list));
	memcpy(list, u, ul);
	list[ul] = '\0';
	assert_non_null(strstr(list, "noProxiesSupportThis"));
	assert_non_null(strstr(list, "norDoAnyProxiesSupportThis"));
	assert_null(strstr(list, "nothingSupportsThis"));
	free(out);
	tu_free(&d);
	tu_worker_free(w);
	tu_policy_free(pol);
}

static void test_parse_all(void **state)
{
	static struct sip_msg m;

	(void)state;
	/* every message indexes without touching a byte past its end (ASan) and reports a status */
	for (size_t i = 0; i < NTABLE; i++) {
		char rel[256];
		struct tu_dgram d;
		enum sip_parse_status st;

		snprintf(rel, sizeof(rel), "torture/%s", table[i].file);
		d = tu_load(rel);
		st = sip_msg_parse(&m, d.p, d.len);
		assert_true(st >= SIP_PARSE_OK && st <= SIP_PARSE_BAD_FRAMING);
		if (st != SIP_PARSE_OK && st != SIP_PARSE_NOT_SIP) {
			assert_non_null(m.err_reason);
			assert_true(m.err_off <= d.len);
		}
		tu_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_torture),
		cmocka_unit_test(test_bext01_unsupported),
	};

	return cmocka_run_group_tests_name("torture", tests, NULL, NULL);
}

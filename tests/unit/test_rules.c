// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pattern rules (core/rules.c) end to end through sw_judge: every kind of `where`, evasion attempts (folding, case,
 * compact names, repeated headers, several values on one line), precedence and pass/count semantics, per-rule
 * counters, compile errors and budgets. Policies are built in memory (as policy_load_* leaves them) except one
 * test that goes through the YAML loader and the policy store.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "policy_store.h"
#include "rules.h"
#include "sw_verdict.h"

/* ---- fixtures ---- */

/*
 * The requests: RFC 3261 section 4's INVITE from Alice to Bob (tests/data/samples/invite-sdp.sip), with the
 * method, Request-URI, extra header lines and body of each case substituted. Written with "\n", sent with CRLF;
 * Content-Length is computed. Every message here passes every protocol check when no rule matches.
 */
struct dgram {
	char *p;
	uint32_t len;
};

static const char sdp[] = "v=0\n"
			  "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\n"
			  "s=-\n"
			  "c=IN IP4 192.0.2.101\n"
			  "t=0 0\n"
			  "m=audio 49172 RTP/AVP 0\n"
			  "a=rtpmap:0 PCMU/8000\n";

/* s with every "\n" made "\r\n", in a buffer of exactly its length (ASan sees any over-read). */
static struct dgram crlf(const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c; c++)
		n += *c == '\n' ? 2 : 1;
	struct dgram d = { malloc(n ? n : 1), (uint32_t)n };
	char *o = d.p;
	for (const char *c = s; *c; c++) {
		if (*c == '\n')
			*o++ = '\r';
		*o++ = *c;
	}
	return d;
}

/* A request: method (also in CSeq), Request-URI, extra header lines ("Name: value\n" each) and body (LF form). */
static struct dgram request(const char *method, const char *ruri, const char *extra, const char *body)
{
	static char text[8192];
	size_t blen = 0;

	for (const char *c = body; *c; c++)
		blen += *c == '\n' ? 2 : 1;
	snprintf(text, sizeof(text),
		 "%s %s SIP/2.0\n"
		 "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n"
		 "Max-Forwards: 70\n"
		 "To: Bob <sip:bob@biloxi.example.com>\n"
		 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
		 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
		 "CSeq: 314159 %s\n"
		 "Contact: <sip:alice@pc33.atlanta.example.com>\n"
		 "%s"
		 "%s"
		 "Content-Length: %zu\n"
		 "\n"
		 "%s",
		 method, ruri, method, extra, *body ? "Content-Type: application/sdp\n" : "", blen, body);
	return crlf(text);
}

static struct dgram invite(const char *extra)
{
	return request("INVITE", "sip:bob@biloxi.example.com", extra, sdp);
}

/* A rule as a test writes it; turned into a struct sw_rule_spec owned by the policy (policy_free frees it). */
struct rule_def {
	const char *id;
	enum sw_rule_where where;
	const char *header;
	const char *lit[4];
	const char *re[4];
	bool caseless;
	enum sw_rule_action action;
	uint16_t status;
	const char *reason;
};

static char **strings(const char *const *v, uint32_t *n)
{
	char **out = calloc(4, sizeof(*out));

	*n = 0;
	for (uint32_t i = 0; i < 4 && v[i]; i++)
		out[(*n)++] = strdup(v[i]);
	return out;
}

static void add_rule(struct sw_policy *p, const struct rule_def *d)
{
	struct sw_rule_spec *r;

	p->rules = realloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", d->id);
	r->where = d->where;
	if (d->header) {
		snprintf(r->header, sizeof(r->header), "%s", d->header);
		r->hdr_id = sip_hdr_lookup(d->header, (uint32_t)strlen(d->header));
	}
	r->literals = strings(d->lit, &r->nliterals);
	r->regexes = strings(d->re, &r->nregexes);
	r->caseless = d->caseless;
	r->action = d->action;
	r->status = d->status;
	snprintf(r->reason, sizeof(r->reason), "%s", d->reason ? d->reason : "");
	r->line = 10 + p->nrules;
}

static struct sw_policy *policy_new(void)
{
	struct sw_policy *p = calloc(1, sizeof(*p));

	policy_defaults(p);
	return p;
}

/* A policy with the given rules (up to a NULL id), compiled for nworkers; fails the test on a compile error. */
static struct sw_policy *policy_with(const struct rule_def *defs, unsigned nworkers)
{
	struct sw_policy *p = policy_new();
	char err[512] = "";

	for (const struct rule_def *d = defs; d->id; d++)
		add_rule(p, d);
	if (rules_compile(p, nworkers, err, sizeof(err)) != 0)
		fail_msg("compile: %s", err);
	return p;
}

static struct sw_worker *worker(unsigned id)
{
	static const uint8_t secret[16] = "rules-test-key!";
	struct sw_worker *w = malloc(sizeof(*w));

	sw_worker_init(w, id, secret);
	return w;
}

/* Judge d under p; returns the deciding rule's id, or "" when no rule decided. */
static const char *judge(const struct sw_policy *p, struct sw_worker *w, struct dgram d, struct sw_verdict *v)
{
	sw_judge(p, w, d.p, d.len, v);
	return v->rule < 0 ? "" : p->rules[v->rule].id;
}

static struct rules_stats stats(const struct sw_policy *p, uint32_t rule)
{
	struct rules_stats s;

	assert_int_equal(rules_stats(p->db, rule, &s), 0);
	return s;
}

/* ---- every kind of where, and evasion attempts: a table ---- */

/*
 * The rule set every case of the table runs against. Sources: the scanners named in the issue (SIPVicious's
 * svmap/svwar default User-Agent "friendly-scanner", sipcli, VaxSIPUserAgent, pplsip), its From display name, an
 * SDP session name, a fraud destination domain, SQL-injection characters in a user part.
 */
static const struct rule_def table_rules[] = {
	{ "ua-scanners", SW_WHERE_HEADER, "User-Agent",
	  { "friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "ua-pplsip", SW_WHERE_HEADER, "user-agent", { "pplsip" }, { 0 }, false, SW_RULE_REPLY, 403, "Forbidden" },
	{ "ua-phrase", SW_WHERE_HEADER, "User-Agent", { "sip scanner suite" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "from-name", SW_WHERE_HEADER, "From", { "\"sipvicious\"" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "callid", SW_WHERE_HEADER, "Call-ID", { "scan-cid-" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
	{ "compact-rule", SW_WHERE_HEADER, "s", { "free calls" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "contact-evil", SW_WHERE_HEADER, "Contact", { 0 }, { "(^|,)\\s*<sip:[^>]*@evil\\.example>" }, false,
	  SW_RULE_DROP, 0, NULL },
	{ "x-campaign", SW_WHERE_HEADER, "X-Campaign", { "spray" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "any-hdr", SW_WHERE_ANY_HEADER, NULL, { "toll-fraud-kit" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "method", SW_WHERE_METHOD, NULL, { 0 }, { "^PUBLISH$" }, false, SW_RULE_REPLY, 405, "Method Not Allowed" },
	{ "ruri-domain", SW_WHERE_REQUEST_URI, NULL, { "@premium-rate.example" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
	{ "ruri-sqli", SW_WHERE_REQUEST_URI, NULL, { 0 }, { "^sips?:[^@]*('|%27|--)[^@]*@" },
	  true, SW_RULE_DROP, 0, NULL },
	{ "sdp-name", SW_WHERE_BODY, NULL, { 0 }, { "^s=sipvicious" }, true, SW_RULE_DROP, 0, NULL },
	{ "whole", SW_WHERE_MESSAGE, NULL, { "X-Probe-Marker" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
	{ 0 },
};

struct where_case {
	const char *name;
	const char *method;   /* NULL: INVITE */
	const char *ruri;     /* NULL: sip:bob@biloxi.example.com */
	const char *extra;    /* header lines added to the INVITE */
	const char *body;     /* NULL: the SDP above */
	const char *want;     /* deciding rule id, "" for none */
};

static const struct where_case where_cases[] = {
	/* No rule matches the plain RFC 3261 INVITE, and the verdict is the one without rules. */
	{ "clean", NULL, NULL, "User-Agent: Linphone/5.2 (belle-sip/5.2)\n", NULL, "" },
	/* header NAME, literal, caseless */
	{ "ua exact", NULL, NULL, "User-Agent: friendly-scanner\n", NULL, "ua-scanners" },
	{ "ua caseless", NULL, NULL, "User-Agent: SIPVicious 0.3.4\n", NULL, "ua-scanners" },
	{ "ua inside", NULL, NULL, "User-Agent: Mozilla (VaxSIPUserAgent/3.1)\n", NULL, "ua-scanners" },
	{ "ua case-sensitive rule, same case", NULL, NULL, "User-Agent: pplsip\n", NULL, "ua-pplsip" },
	{ "ua case-sensitive rule, other case", NULL, NULL, "User-Agent: PPLSIP\n", NULL, "" },
	/* the header name in any case: the rule says "user-agent", the message "USER-AGENT" and "uSeR-aGeNt" */
	{ "name upper", NULL, NULL, "USER-AGENT: pplsip\n", NULL, "ua-pplsip" },
	{ "name mixed", NULL, NULL, "uSeR-aGeNt: sipcli/v1.8\n", NULL, "ua-scanners" },
	/* folding (RFC 3261 7.3.1): the value split over lines reads as one SP; the literal spans the fold */
	{ "folded at the space", NULL, NULL, "User-Agent: sip\n scanner suite\n", NULL, "ua-phrase" },
	{ "folded, tabs and spaces", NULL, NULL, "User-Agent: sip  \n\t  scanner \n  suite 2.0\n", NULL,
	  "ua-phrase" },
	{ "value on the next line", NULL, NULL, "User-Agent:\n friendly-scanner\n", NULL, "ua-scanners" },
	/* compact forms: rule on Call-ID sees i:, rule written "s" (compact Subject) sees Subject */
	{ "compact i:", NULL, NULL, "i: scan-cid-77@10.0.0.1\n", NULL, "callid" },
	{ "rule named compact", NULL, NULL, "Subject: FREE CALLS tonight\n", NULL, "compact-rule" },
	{ "rule named compact, compact line", NULL, NULL, "s: free calls\n", NULL, "compact-rule" },
	/* every line of a repeated header; several values on one line; a list split over lines */
	{ "second Contact line", NULL, NULL, "Contact: <sip:x@evil.example>\n", NULL, "contact-evil" },
	{ "two values on one line", NULL, NULL, "Contact: <sip:a@ok.example>, <sip:b@evil.example>\n", NULL,
	  "contact-evil" },
	{ "list split over lines", NULL, NULL, "Contact: <sip:a@ok.example>,\n <sip:b@evil.example>\n", NULL,
	  "contact-evil" },
	/* an unknown header matched by name in any case; any-header on any line */
	{ "unknown name", NULL, NULL, "x-CAMPAIGN: Spray-42\n", NULL, "x-campaign" },
	{ "unknown name, other header", NULL, NULL, "X-Campaigns: spray\n", NULL, "" },
	{ "any header", NULL, NULL, "Organization: toll-fraud-kit\n", NULL, "any-hdr" },
	{ "any header, folded", NULL, NULL, "Organization: x\n Toll-Fraud-Kit\n", NULL, "any-hdr" },
	/* a place is a place: the same text elsewhere does not match */
	{ "ua text in Subject", NULL, NULL, "Subject: friendly-scanner\n", NULL, "" },
	{ "header text in body", NULL, NULL, "", "v=0\ns=-\ni=friendly-scanner toll-fraud-kit\n", "" },
	/* method */
	{ "method", "PUBLISH", "sip:bob@biloxi.example.com", "", "", "method" },
	{ "method, not a prefix", "PUBLISHX", "sip:bob@biloxi.example.com", "", "", "" },
	/* Request-URI: a domain, SQL-injection characters in the user part */
	{ "ruri domain", NULL, "sip:00441234@Premium-Rate.example", "", NULL, "ruri-domain" },
	{ "ruri sqli", NULL, "sip:1'or'1'='1@biloxi.example.com", "", NULL, "ruri-sqli" },
	{ "ruri sqli escaped", NULL, "sip:100%27--@biloxi.example.com", "", NULL, "ruri-sqli" },
	{ "ruri clean", NULL, "sip:+15551234@biloxi.example.com;user=phone", "", NULL, "" },
	/* body: the SDP session name line */
	{ "sdp s= line", NULL, NULL, "", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=SIPVicious\nt=0 0\n", "sdp-name" },
	{ "sdp s= not first", NULL, NULL, "", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\ni=s=sipvicious\n", "" },
	/* message: anywhere in the datagram */
	{ "message, header", NULL, NULL, "X-Probe-Marker: 1\n", NULL, "whole" },
	{ "message, body", NULL, NULL, "", "v=0\ns=X-Probe-Marker\n", "whole" },
	{ 0 },
};

/* Judge every case (up to a NULL name) under p: the deciding rule, and with none, the verdict without rules. */
static void run_where_cases(const struct sw_policy *p, const struct where_case *cases)
{
	struct sw_worker *w = worker(0);

	for (const struct where_case *c = cases; c->name; c++) {
		struct dgram d = request(c->method ? c->method : "INVITE",
					 c->ruri ? c->ruri : "sip:bob@biloxi.example.com", c->extra,
					 c->body ? c->body : sdp);
		struct sw_verdict v;
		const char *got = judge(p, w, d, &v);

		if (strcmp(got, c->want) != 0)
			fail_msg("%s: rule \"%s\", want \"%s\" (why %s)", c->name, got, c->want, sw_why_name(v.why));
		if (!*c->want && (v.action != SW_ACT_PASS || v.why != SW_WHY_VALID))
			fail_msg("%s: no rule, yet %s/%s", c->name, sw_action_name(v.action), sw_why_name(v.why));
		free(d.p);
	}
	free(w);
}

static void test_where_table(void **state)
{
	struct sw_policy *p = policy_with(table_rules, 1);

	(void)state;
	run_where_cases(p, where_cases);
	policy_free(p);
}

/* The From display name, including the compact form f: (RFC 3261 20.20) and a folded From. */
static void test_from_display_name(void **state)
{
	static const char *const msgs[] = {
		"INVITE sip:100@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\n"
		"From: \"sipvicious\" <sip:100@1.1.1.1>;tag=6134\n",
		"INVITE sip:100@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\n"
		"f: \"SIPVicious\" <sip:100@1.1.1.1>;tag=6134\n",
		"INVITE sip:100@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\n"
		"FROM:\n \"sipvicious\"\n <sip:100@1.1.1.1>;tag=6134\n",
	};
	static const char tail[] = "To: <sip:100@biloxi.example.com>\n"
				   "Call-ID: 1234@192.0.2.9\n"
				   "CSeq: 1 INVITE\n"
				   "Max-Forwards: 70\n"
				   "Content-Length: 0\n\n";
	struct sw_policy *p = policy_with(table_rules, 1);
	struct sw_worker *w = worker(0);

	(void)state;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "%s%s", msgs[i], tail);
		struct dgram d = crlf(text);
		struct sw_verdict v;
		const char *got = judge(p, w, d, &v);
		if (strcmp(got, "from-name") != 0)
			fail_msg("message %zu: rule \"%s\"", i, got);
		assert_int_equal(v.action, SW_ACT_DROP);
		assert_int_equal(v.why, SW_WHY_RULE_DROP);
		free(d.p);
	}
	free(w);
	policy_free(p);
}

/* ---- precedence, pass and count ---- */

static void test_first_rule_in_file_order_decides(void **state)
{
	const struct rule_def drop_first[] = {
		{ "drop", SW_WHERE_HEADER, "User-Agent", { "friendly" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ "reply", SW_WHERE_ANY_HEADER, NULL, { "scanner" }, { 0 }, false, SW_RULE_REPLY, 403, "Go Away" },
		{ 0 },
	};
	const struct rule_def reply_first[] = {
		{ "reply", SW_WHERE_ANY_HEADER, NULL, { "scanner" }, { 0 }, false, SW_RULE_REPLY, 403, "Go Away" },
		{ "drop", SW_WHERE_HEADER, "User-Agent", { "friendly" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	struct sw_worker *w = worker(0);
	struct dgram d = invite("User-Agent: friendly-scanner\n");
	struct sw_verdict v;

	(void)state;
	struct sw_policy *p = policy_with(drop_first, 1);
	assert_string_equal(judge(p, w, d, &v), "drop");
	assert_int_equal(v.action, SW_ACT_DROP);
	assert_int_equal(stats(p, 1).matches, 1); /* it matched, */
	assert_int_equal(stats(p, 1).replied, 0); /* but never ran */
	policy_free(p);

	p = policy_with(reply_first, 1);
	assert_string_equal(judge(p, w, d, &v), "reply");
	assert_int_equal(v.action, SW_ACT_REPLY);
	assert_int_equal(v.why, SW_WHY_RULE_REPLY);
	assert_int_equal(v.status, 403);
	assert_string_equal(v.reason, "Go Away");
	assert_int_equal(stats(p, 0).replied, 1);
	assert_int_equal(stats(p, 1).dropped, 0);

	/* The reply is built like every other reply of the core (RFC 3261 8.2.6). */
	struct sw_peer src = { .family = 4, .addr = { 192, 0, 2, 101 }, .port = 5060 };
	static char out[SW_MAX_DATAGRAM];
	uint32_t n = sw_respond(p, w, &v, &src, out, sizeof(out));
	assert_true(n > 0);
	assert_memory_equal(out, "SIP/2.0 403 Go Away\r\n", 21);
	static const char callid[] = "\r\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n";
	assert_non_null(memmem(out, n, callid, sizeof(callid) - 1));
	policy_free(p);
	free(d.p);
	free(w);
}

static void test_pass_and_count(void **state)
{
	const struct rule_def defs[] = {
		{ "trial", SW_WHERE_HEADER, "User-Agent", { "scanner" }, { 0 }, false, SW_RULE_COUNT, 0, NULL },
		{ "trusted", SW_WHERE_HEADER, "Via", { "192.0.2.200" }, { 0 }, false, SW_RULE_PASS, 0, NULL },
		{ "scanners", SW_WHERE_HEADER, "User-Agent", { "friendly-scanner" }, { 0 },
		  false, SW_RULE_DROP, 0, NULL },
		{ "late-count", SW_WHERE_HEADER, "User-Agent", { "friendly" }, { 0 }, false, SW_RULE_COUNT, 0, NULL },
		{ 0 },
	};
	struct sw_policy *p = policy_with(defs, 1);
	struct sw_worker *w = worker(0);
	struct sw_verdict v;

	(void)state;
	/* A scanner: the count rule before counts, the drop decides, the count rule after never runs. */
	struct dgram d = invite("User-Agent: friendly-scanner\n");
	assert_string_equal(judge(p, w, d, &v), "scanners");
	assert_int_equal(v.why, SW_WHY_RULE_DROP);
	free(d.p);

	/* Through a trusted peer (a Via it added): pass decides, the drop rule below it is not applied. */
	d = request("INVITE", "sip:bob@biloxi.example.com",
		    "Via: SIP/2.0/UDP 192.0.2.200;branch=z9hG4bK-t\nUser-Agent: friendly-scanner\n", sdp);
	assert_string_equal(judge(p, w, d, &v), "trusted");
	assert_int_equal(v.action, SW_ACT_PASS);
	assert_int_equal(v.why, SW_WHY_RULE_PASS);
	free(d.p);

	/* Only a count rule matches: counted, and the verdict is the one without rules. */
	d = invite("User-Agent: port-scanner 1.0\n");
	assert_string_equal(judge(p, w, d, &v), "");
	assert_int_equal(v.action, SW_ACT_PASS);
	assert_int_equal(v.why, SW_WHY_VALID);
	free(d.p);

	struct rules_stats s = stats(p, 0);
	assert_int_equal(s.matches, 3);
	assert_int_equal(s.counted, 3);
	s = stats(p, 1);
	assert_int_equal(s.matches, 1);
	assert_int_equal(s.passed, 1);
	s = stats(p, 2);
	assert_int_equal(s.matches, 2); /* the scanner, and the scanner behind the trusted Via */
	assert_int_equal(s.dropped, 1);
	s = stats(p, 3);
	assert_int_equal(s.matches, 2);
	assert_int_equal(s.counted, 0);
	assert_int_equal(rules_stats(p->db, 4, &s), -EINVAL);
	free(w);
	policy_free(p);
}

/* More rules match one message than the per-message hit list holds: the bitset path counts them all. */
static void test_many_rules_match_one_message(void **state)
{
	struct sw_policy *p = policy_new();
	struct sw_worker *w = worker(0);
	struct sw_verdict v;
	char err[512];

	(void)state;
	for (int i = 0; i < 150; i++) {
		char id[32];
		snprintf(id, sizeof(id), "count-%d", i);
		struct rule_def d = { id, SW_WHERE_ANY_HEADER, NULL, { "scanner" }, { 0 },
		  false, SW_RULE_COUNT, 0, NULL };
		add_rule(p, &d);
	}
	struct rule_def last = { "drop", SW_WHERE_HEADER, "User-Agent", { "friendly" }, { 0 },
	  false, SW_RULE_DROP, 0, NULL };
	add_rule(p, &last);
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), 0);

	struct dgram d = invite("User-Agent: friendly-scanner\n");
	for (int round = 1; round <= 2; round++) {
		assert_string_equal(judge(p, w, d, &v), "drop");
		for (uint32_t i = 0; i < 150; i++)
			assert_int_equal(stats(p, i).counted, round);
		assert_int_equal(stats(p, 150).dropped, round);
	}
	free(d.p);
	free(w);
	policy_free(p);
}

/* Counters live per worker and sum over workers; a worker id beyond the compiled ones matches nothing. */
static void test_counters_per_worker(void **state)
{
	const struct rule_def defs[] = {
		{ "scanners", SW_WHERE_HEADER, "User-Agent", { "friendly-scanner" }, { 0 },
		  false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	struct sw_policy *p = policy_with(defs, 3);
	struct sw_worker *w0 = worker(0), *w2 = worker(2), *w3 = worker(3);
	struct dgram d = invite("User-Agent: friendly-scanner\n");
	struct sw_verdict v;
	struct rules_db_info info;

	(void)state;
	assert_string_equal(judge(p, w0, d, &v), "scanners");
	assert_string_equal(judge(p, w2, d, &v), "scanners");
	assert_string_equal(judge(p, w2, d, &v), "scanners");
	assert_int_equal(rules_eval(p->db, w3), -1);
	assert_int_equal(stats(p, 0).dropped, 3);
	rules_db_info(p->db, &info);
	assert_int_equal(info.nworkers, 3);
	assert_int_equal(info.nrules, 1);
	assert_int_equal(info.nliterals, 1);
	assert_true(info.literal_api);
	assert_true(info.db_bytes > 0 && info.scratch_bytes > 0);
	assert_int_equal(info.scan_errors, 0);
	rules_db_info(NULL, &info);
	assert_int_equal(info.nrules, 0);
	free(d.p);
	free(w0);
	free(w2);
	free(w3);
	policy_free(p);
}

/*
 * A set with a regex compiles every literal as an escaped regex in the same database: the literal's
 * metacharacters stay literal. The literal "a.b*(c)" must not match "axbbb(c)".
 */
static void test_mixed_set_escapes_literals(void **state)
{
	const struct rule_def defs[] = {
		{ "lit", SW_WHERE_HEADER, "User-Agent", { "a.b*(c)\\x" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ "re", SW_WHERE_HEADER, "Subject", { 0 }, { "^spam[0-9]+$" }, false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	struct sw_policy *p = policy_with(defs, 1);
	struct sw_worker *w = worker(0);
	struct rules_db_info info;
	struct sw_verdict v;

	(void)state;
	rules_db_info(p->db, &info);
	assert_false(info.literal_api);
	assert_int_equal(info.nregexes, 1);
	struct dgram d = invite("User-Agent: axbbb(c)x\n");
	assert_string_equal(judge(p, w, d, &v), "");
	free(d.p);
	d = invite("User-Agent: 1 a.b*(c)\\x 2\n");
	assert_string_equal(judge(p, w, d, &v), "lit");
	free(d.p);
	d = invite("Subject: spam42\n");
	assert_string_equal(judge(p, w, d, &v), "re");
	free(d.p);
	free(w);
	policy_free(p);
}

/* A REGISTER without a body, and a body rule: nothing to scan, nothing matches; a truncated Content-Length
 * frames the body the rules see (RFC 3261 18.3: bytes past Content-Length are not part of the message). */
static void test_body_framing(void **state)
{
	const struct rule_def defs[] = {
		{ "body", SW_WHERE_BODY, NULL, { "scanner" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	struct sw_policy *p = policy_with(defs, 1);
	struct sw_worker *w = worker(0);
	struct sw_verdict v;

	(void)state;
	struct dgram d = request("REGISTER", "sip:registrar.biloxi.example.com", "", "");
	assert_string_equal(judge(p, w, d, &v), "");
	assert_int_equal(v.why, SW_WHY_VALID);
	free(d.p);
	d = crlf("OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		 "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2\n"
		 "To: <sip:bob@biloxi.example.com>\n"
		 "From: <sip:a@192.0.2.9>;tag=1\n"
		 "Call-ID: 77@192.0.2.9\n"
		 "CSeq: 1 OPTIONS\n"
		 "Max-Forwards: 70\n"
		 "Content-Length: 4\n"
		 "\n"
		 "v=0\nscanner\n");
	assert_string_equal(judge(p, w, d, &v), "");
	free(d.p);
	free(w);
	policy_free(p);
}

/* Truncations of a matching message: whatever the parser makes of each prefix, rules never read past it. */
static void test_truncation(void **state)
{
	struct sw_policy *p = policy_with(table_rules, 1);
	struct sw_worker *w = worker(0);
	struct dgram full = invite("User-Agent: sip\n scanner suite\nX-Campaign: spray\n"
				   "Contact: <sip:b@evil.example>\n");
	struct sw_verdict v;

	(void)state;
	for (uint32_t n = 0; n <= full.len; n++) {
		char *cut = malloc(n ? n : 1);
		memcpy(cut, full.p, n);
		sw_judge(p, w, cut, n, &v);
		free(cut);
	}
	for (uint32_t i = 0; i < full.len; i++) {
		char *flip = malloc(full.len);
		memcpy(flip, full.p, full.len);
		flip[i] ^= 0x20;
		sw_judge(p, w, flip, full.len, &v);
		flip[i] = '\n';
		sw_judge(p, w, flip, full.len, &v);
		free(flip);
	}
	free(full.p);
	free(w);
	policy_free(p);
}

/* ---- compile errors and budgets ---- */

struct bad_case {
	const char *name;
	struct rule_def def;
	int rc;
	const char *says[3]; /* substrings of the message */
};

static const struct bad_case bad_cases[] = {
	{ "unbalanced regex",
	  { "bad-re", SW_WHERE_HEADER, "User-Agent", { "ok" }, { "(sipvicious" }, false, SW_RULE_DROP, 0, NULL },
	  -EINVAL,
	  { "rule \"bad-re\" (line 11)", "regex \"(sipvicious\"", "Missing close parenthesis" } },
	{ "regex matching the empty string",
	  { "empty-re", SW_WHERE_BODY, NULL, { 0 }, { "x*" }, false, SW_RULE_DROP, 0, NULL },
	  -EINVAL,
	  { "rule \"empty-re\"", "regex \"x*\"", "empty" } },
	{ "unsupported construct",
	  { "backref", SW_WHERE_BODY, NULL, { 0 }, { "(a)\\1" }, false, SW_RULE_DROP, 0, NULL },
	  -EINVAL,
	  { "rule \"backref\"", "regex \"(a)\\1\"", "unsupported" } },
	{ "reply with a 2xx",
	  { "r200", SW_WHERE_METHOD, NULL, { "INVITE" }, { 0 }, false, SW_RULE_REPLY, 200, "OK" },
	  -EINVAL,
	  { "rule \"r200\"", "400-699" } },
	{ "header rule without a name",
	  { "nohdr", SW_WHERE_HEADER, NULL, { "x" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
	  -EINVAL,
	  { "rule \"nohdr\"", "header name" } },
	{ "no pattern",
	  { "nopat", SW_WHERE_BODY, NULL, { 0 }, { 0 }, false, SW_RULE_DROP, 0, NULL },
	  -EINVAL,
	  { "rule \"nopat\"", "no literal or regex" } },
	{ 0 },
};

static void test_compile_errors(void **state)
{
	const struct rule_def good = { "good", SW_WHERE_HEADER, "User-Agent", { "sipcli" }, { 0 }, false,
				       SW_RULE_DROP, 0, NULL };

	(void)state;
	for (const struct bad_case *c = bad_cases; c->name; c++) {
		struct sw_policy *p = policy_new();
		char err[512] = "";

		add_rule(p, &c->def);
		add_rule(p, &good);
		int rc = rules_compile(p, 2, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err);
		assert_null(p->db);
		for (int i = 0; i < 3 && c->says[i]; i++)
			if (!strstr(err, c->says[i]))
				fail_msg("%s: \"%s\" does not say \"%s\"", c->name, err, c->says[i]);
		policy_free(p);
	}
}

static void test_compile_edges(void **state)
{
	const struct rule_def defs[] = {
		{ "a", SW_WHERE_HEADER, "User-Agent", { "sipcli" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	struct sw_policy *p = policy_new();
	char err[256] = "";

	(void)state;
	/* No rules: nothing to compile, no database, sw_judge skips the rules. */
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), 0);
	assert_null(p->db);
	policy_free(p);

	p = policy_with(defs, 1);
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), -EALREADY);
	policy_free(p);

	p = policy_new();
	add_rule(p, &defs[0]);
	assert_int_equal(rules_compile(p, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "workers"));
	rules_db_free(NULL);
	policy_free(p);
}

static struct sw_policy *many_literals(uint32_t n)
{
	struct sw_policy *p = policy_new();
	uint64_t x = 0x9e3779b97f4a7c15ull;

	p->rules = calloc(n, sizeof(*p->rules));
	for (uint32_t i = 0; i < n; i++) {
		struct sw_rule_spec *r = &p->rules[p->nrules++];
		char lit[32];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(lit, sizeof(lit), "ua-%016llx", (unsigned long long)x);
		snprintf(r->id, sizeof(r->id), "r%u", i);
		r->where = SW_WHERE_HEADER;
		strcpy(r->header, "User-Agent");
		r->hdr_id = SIP_HDR_USER_AGENT;
		r->literals = malloc(sizeof(char *));
		r->literals[0] = strdup(lit);
		r->nliterals = 1;
		r->action = SW_RULE_DROP;
	}
	return p;
}

static void test_budgets(void **state)
{
	struct rules_budget b;
	char err[512];

	(void)state;
	rules_budget_defaults(&b);
	assert_int_equal(b.time_ms, 10000);
	assert_int_equal(b.max_bytes, 256ull << 20);

	struct sw_policy *p = many_literals(1000);
	b.max_rules = 999;
	assert_int_equal(rules_compile_ex(p, 1, &b, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "1000 rules exceed the budget of 999"));
	rules_budget_defaults(&b);
	b.max_patterns = 10;
	assert_int_equal(rules_compile_ex(p, 1, &b, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "1000 patterns exceed the budget of 10"));
	rules_budget_defaults(&b);
	b.max_bytes = 4096;
	assert_int_equal(rules_compile_ex(p, 2, &b, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "over the budget of 0.0 MiB"));
	assert_null(p->db);
	policy_free(p);

	/* A compile that runs past its time budget is refused at once; the abandoned compile cleans up after itself. */
	p = many_literals(10000);
	rules_budget_defaults(&b);
	b.time_ms = 1;
	assert_int_equal(rules_compile_ex(p, 1, &b, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "longer than the time budget of 1 ms"));
	assert_null(p->db);
	policy_free(p); /* while the compile may still run: it owns copies of the patterns */
	for (int i = 0; i < 6000 && rules_compiles_running(); i++)
		usleep(10000);
	assert_int_equal(rules_compiles_running(), 0);
}

/* 10,000 literal rules compile within the issue's floor (2 s) even here, and one of them matches. */
static void test_ten_thousand_literals(void **state)
{
	struct sw_policy *p = many_literals(10000);
	struct sw_worker *w = worker(0);
	struct rules_db_info info;
	struct sw_verdict v;
	char err[512], ua[64];

	(void)state;
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), 0);
	rules_db_info(p->db, &info);
	print_message("10000 literals: compile %.3f s, database %zu bytes, scratch %zu bytes\n",
		      (double)info.compile_ns / 1e9, info.db_bytes, info.scratch_bytes);
	snprintf(ua, sizeof(ua), "User-Agent: x %s y\n", p->rules[7777].literals[0]);
	struct dgram d = invite(ua);
	assert_string_equal(judge(p, w, d, &v), "r7777");
	free(d.p);
	d = invite("User-Agent: ua-0000000000000000\n");
	assert_string_equal(judge(p, w, d, &v), "");
	free(d.p);
	free(w);
	policy_free(p);
}

/*
 * The prefilter in front of Hyperscan (core/rules.c, gram_may_match()) rules a region out only when no rule can
 * match it. Random literal rule sets on User-Agent over a small alphabet (so that literals overlap, share their
 * first bytes and turn up by chance), caseless or not, against random values: some plain, some with a literal
 * inside (its case flipped when the rule is caseless), some with a literal cut short by one byte. The deciding
 * rule must be the one a naive search finds: the lowest rule with a literal in the value. Each set is judged with
 * the prefilter on, as its compile reports.
 */
static uint64_t prng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	prng ^= prng << 13;
	prng ^= prng >> 7;
	prng ^= prng << 17;
	return (uint32_t)(prng >> 32) % n;
}

static char other_case(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? (char)(c ^ 0x20) : c;
}

static bool contains(const char *hay, const char *needle, bool caseless)
{
	size_t n = strlen(needle), h = strlen(hay);

	for (size_t i = 0; i + n <= h; i++) {
		size_t k = 0;
		while (k < n && (hay[i + k] == needle[k] || (caseless && hay[i + k] == other_case(needle[k]))))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static void test_prefilter_agrees(void **state)
{
	static const char alpha[] = "abAB-/.1c";
	struct sw_worker *w = worker(0);
	unsigned matched = 0, unmatched = 0;

	(void)state;
	for (unsigned set = 0; set < 40; set++) {
		struct sw_policy *p = policy_new();
		unsigned nrules = 1 + rnd(set < 20 ? 8 : 300);
		struct rules_db_info info;
		char err[512] = "";

		for (unsigned i = 0; i < nrules; i++) {
			char lit[2][16], id[16];
			const char *lits[2] = { lit[0], lit[1] };
			struct rule_def d = { id, SW_WHERE_HEADER, "User-Agent", { 0 }, { 0 }, rnd(2) == 0,
					      SW_RULE_DROP, 0, NULL };

			snprintf(id, sizeof(id), "r%u", i);
			for (unsigned k = 0; k < 2; k++) {
				unsigned n = 4 + rnd(6);
				for (unsigned c = 0; c < n; c++)
					lit[k][c] = alpha[rnd(sizeof(alpha) - 1)];
				lit[k][n] = '\0';
				d.lit[k] = lits[k];
			}
			add_rule(p, &d);
		}
		if (rules_compile(p, 1, err, sizeof(err)) != 0)
			fail_msg("compile: %s", err);
		rules_db_info(p->db, &info);
		assert_true(info.prefilter);
		for (unsigned t = 0; t < 400; t++) {
			char value[160], line[200];
			unsigned n = rnd(48), kind = rnd(3); /* most under the prefilter's 32 positions, some past them */
			int want = -1;
			struct sw_verdict v;

			for (unsigned c = 0; c < n; c++)
				value[c] = alpha[rnd(sizeof(alpha) - 1)];
			value[n] = '\0';
			if (kind > 0) { /* a literal inside, whole (kind 1) or less its last byte (kind 2) */
				const struct sw_rule_spec *r = &p->rules[rnd(nrules)];
				const char *lit = r->literals[rnd(r->nliterals)];
				size_t ln = strlen(lit) - (kind == 2), at = rnd(n + 1);
				char piece[16];

				for (size_t c = 0; c < ln; c++)
					piece[c] = r->caseless && rnd(2) ? other_case(lit[c]) : lit[c];
				if (at + ln >= sizeof(value))
					at = sizeof(value) - 1 - ln;
				memcpy(value + at, piece, ln);
				if (at + ln > n)
					n = (unsigned)(at + ln);
				value[n] = '\0';
			}
			for (uint32_t i = 0; i < p->nrules && want < 0; i++)
				for (uint32_t k = 0; k < p->rules[i].nliterals && want < 0; k++)
					if (contains(value, p->rules[i].literals[k], p->rules[i].caseless))
						want = (int)i;
			/* no LWS in the alphabet: the value is the region scanned, first and last bytes included */
			snprintf(line, sizeof(line), "User-Agent: %s\n", value);
			struct dgram d = invite(line);
			judge(p, w, d, &v);
			free(d.p);
			if (v.rule != want)
				fail_msg("set %u, value \"%s\": rule %d decided, the naive search finds %d", set, value,
					 (int)v.rule, want);
			if (want >= 0)
				matched++;
			else
				unmatched++;
		}
		policy_free(p);
	}
	/* both outcomes were exercised, many times */
	assert_true(matched > 1000);
	assert_true(unmatched > 1000);
	free(w);
}

/*
 * The prefilter looks only where a literal of the place's own rules could begin: each place has its shortest
 * literal. A long literal on User-Agent, a 4-byte one on Subject, another on the Request-URI and one on any header:
 * each must still match at the very end of its place, and the long one must not be looked for where it cannot fit.
 */
static void test_prefilter_places(void **state)
{
	const struct rule_def defs[] = {
		{ "ua-long", SW_WHERE_HEADER, "User-Agent", { "friendly-scanner-9000" }, { 0 }, true, SW_RULE_DROP, 0,
		  NULL },
		{ "subj-short", SW_WHERE_HEADER, "Subject", { "spam" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
		{ "ruri", SW_WHERE_REQUEST_URI, NULL, { "evil.example" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ "any", SW_WHERE_ANY_HEADER, NULL, { "zzyx" }, { 0 }, false, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	static const struct where_case cases[] = {
		{ "short literal at the end", NULL, NULL, "Subject: buy SPAM\n", NULL, "subj-short" },
		{ "short literal less a byte", NULL, NULL, "Subject: spa\n", NULL, "" },
		{ "long literal at the end", NULL, NULL, "User-Agent: x friendly-scanner-9000\n", NULL, "ua-long" },
		{ "long literal less a byte", NULL, NULL, "User-Agent: friendly-scanner-900\n", NULL, "" },
		{ "short literal of another header", NULL, NULL, "User-Agent: spam\n", NULL, "" },
		{ "Request-URI at the end", NULL, "sip:bob@evil.example", "", NULL, "ruri" },
		{ "any header", NULL, NULL, "Organization: zzyx\n", NULL, "any" },
		{ "any header, Subject too", NULL, NULL, "Subject: zzyx\n", NULL, "any" },
		{ 0 },
	};
	struct sw_policy *p = policy_with(defs, 1);
	struct rules_db_info info;

	(void)state;
	rules_db_info(p->db, &info);
	assert_true(info.prefilter);
	run_where_cases(p, cases);
	policy_free(p);
}

/* What turns the prefilter off: a regex, a literal shorter than its 4 bytes, more than 2,048 literals. */
static void test_prefilter_off(void **state)
{
	const struct rule_def with_regex[] = {
		{ "lit", SW_WHERE_HEADER, "User-Agent", { "friendly" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
		{ "re", SW_WHERE_HEADER, "User-Agent", { 0 }, { "scan+er" }, true, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	const struct rule_def short_lit[] = {
		{ "lit", SW_WHERE_HEADER, "User-Agent", { "friendly", "sip" }, { 0 }, true, SW_RULE_DROP, 0, NULL },
		{ 0 },
	};
	const struct rule_def *sets[] = { with_regex, short_lit };
	struct sw_worker *w = worker(0);
	struct rules_db_info info;
	struct sw_verdict v;
	char err[512];

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct sw_policy *p = policy_with(sets[i], 1);
		struct dgram d = invite("User-Agent: SIP/2.0 phone\n");

		rules_db_info(p->db, &info);
		assert_false(info.prefilter);
		assert_string_equal(judge(p, w, d, &v), i == 1 ? "lit" : ""); /* "sip" caseless, 3 bytes */
		free(d.p);
		policy_free(p);
	}
	struct sw_policy *p = many_literals(2049);
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), 0);
	rules_db_info(p->db, &info);
	assert_false(info.prefilter);
	policy_free(p);
	p = many_literals(2048);
	assert_int_equal(rules_compile(p, 1, err, sizeof(err)), 0);
	rules_db_info(p->db, &info);
	assert_true(info.prefilter);
	/* turned off and on again (tests and fuzz_policy compare the two); a set without one stays without */
	rules_prefilter_set(p->db, false);
	rules_db_info(p->db, &info);
	assert_false(info.prefilter);
	rules_prefilter_set(p->db, true);
	rules_db_info(p->db, &info);
	assert_true(info.prefilter);
	policy_free(p);
	p = policy_with(with_regex, 1);
	rules_prefilter_set(p->db, true);
	rules_db_info(p->db, &info);
	assert_false(info.prefilter);
	rules_prefilter_set(NULL, true);
	policy_free(p);
	free(w);
}

/* ---- through the YAML loader and the store, as sipwallctl and the dataplane use them ---- */

static const char yaml_policy[] = "rules:\n"
				  "  - id: scanners\n"
				  "    where: header User-Agent\n"
				  "    literal: [friendly-scanner, sipvicious, sipcli, VaxSIPUserAgent, pplsip]\n"
				  "    caseless: true\n"
				  "    action: drop\n"
				  "  - id: fraud-domains\n"
				  "    where: request-uri\n"
				  "    regex: ['@(premium|intl-rate)\\.example(;|$)']\n"
				  "    action: reply\n"
				  "    status: 603\n"
				  "    reason: Decline\n";

static void test_yaml_through_store(void **state)
{
	struct policy_store *s = policy_store_create(1, NULL, NULL);
	struct sw_worker *w = worker(0);
	struct sw_verdict v;
	char err[1024] = "";

	(void)state;
	struct sw_policy *p = policy_store_prepare_buffer(s, yaml_policy, strlen(yaml_policy), "inline.yaml", err,
							  sizeof(err));
	if (!p)
		fail_msg("prepare: %s", err);
	assert_int_equal(policy_store_swap(s, p), 1);
	const struct sw_policy *cur = policy_store_current(s);

	struct dgram d = invite("User-Agent: VaxSIPUserAgent/3.1\n");
	assert_string_equal(judge(cur, w, d, &v), "scanners");
	free(d.p);
	d = request("INVITE", "sip:0099@intl-rate.example", "", sdp);
	assert_string_equal(judge(cur, w, d, &v), "fraud-domains");
	assert_int_equal(v.status, 603);
	assert_string_equal(v.reason, "Decline");
	free(d.p);

	static const char bad[] = "rules:\n"
				  "  - id: broken\n"
				  "    where: body\n"
				  "    regex: ['s=(sipvicious']\n"
				  "    action: drop\n";
	assert_null(policy_store_prepare_buffer(s, bad, strlen(bad), "bad.yaml", err, sizeof(err)));
	assert_non_null(strstr(err, "bad.yaml: rule \"broken\""));
	assert_non_null(strstr(err, "regex \"s=(sipvicious\""));
	assert_int_equal(policy_store_version(s), 1);
	free(w);
	policy_store_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_where_table),
		cmocka_unit_test(test_from_display_name),
		cmocka_unit_test(test_first_rule_in_file_order_decides),
		cmocka_unit_test(test_pass_and_count),
		cmocka_unit_test(test_many_rules_match_one_message),
		cmocka_unit_test(test_counters_per_worker),
		cmocka_unit_test(test_mixed_set_escapes_literals),
		cmocka_unit_test(test_body_framing),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_compile_edges),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_ten_thousand_literals),
		cmocka_unit_test(test_prefilter_agrees),
		cmocka_unit_test(test_prefilter_places),
		cmocka_unit_test(test_prefilter_off),
		cmocka_unit_test(test_yaml_through_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

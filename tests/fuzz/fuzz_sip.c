// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the SIP core as a worker runs it: sw_judge() then sw_respond() with cap = request length,
 * on every input, under three policies (the defaults; a strict one with small limits, Require checked,
 * Max-Forwards required, no option tag supported; and one with compiled rules of every kind). Besides the
 * sanitizers, it asserts on every input the properties of docs/fuzzing.md: no reply to an ACK or to a response,
 * a reply never longer than its request, a well-formed reply whose top Via names the packet's source, and a
 * verdict that depends on nothing but the datagram's own bytes (not the bytes after it, not an earlier input).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "policy.h"
#include "rules.h"
#include "sip_int.h"
#include "sw_verdict.h"

#define HARNESS "fuzz_sip"

/* Bytes after the datagram in the larger copy: what a parser that reads past len would trip on. */
#define TAIL_LEN 256
static const char tail_pattern[] = "\r\n\r\nContent-Length: 99999\r\n"
				   "Via: SIP/2.0/UDP 6.6.6.6:666;rport;received=6.6.6.6;branch=z9hG4bKtail\r\n"
				   "Max-Forwards: 0\r\nRequire: evil\r\n\0\"\\;,:= \t9";

/* Rules of every `where` and action, literal and regex; compiled once in LLVMFuzzerInitialize. */
static const char rules_yaml[] =
	"extensions:\n"
	"  supported: [100rel, timer]\n"
	"  check_require: true\n"
	"response:\n"
	"  server: \"sipwall fuzz\"\n"
	"rules:\n"
	"  - id: ua-scanner\n"
	"    where: header User-Agent\n"
	"    caseless: true\n"
	"    literal: [friendly-scanner, sipvicious]\n"
	"    action: drop\n"
	"  - id: from-sqli\n"
	"    where: header f\n"
	"    caseless: true\n"
	"    regex: [\"(?:'|%27)\\\\s*or\\\\s+\\\\d+\\\\s*=\\\\s*\\\\d+\"]\n"
	"    action: reply\n"
	"    status: 403\n"
	"  - id: unknown-header\n"
	"    where: header X-Fuzz\n"
	"    literal: [bad]\n"
	"    action: reply\n"
	"    status: 488\n"
	"    reason: \"Fuzz Says No\"\n"
	"  - id: any-header-probe\n"
	"    where: any-header\n"
	"    regex: [\"^probe-[0-9]+$\"]\n"
	"    action: count\n"
	"  - id: ruri-test\n"
	"    where: request-uri\n"
	"    regex: [\"^sips?:(?:100|test)@\"]\n"
	"    action: reply\n"
	"    status: 404\n"
	"  - id: no-message\n"
	"    where: method\n"
	"    literal: [MESSAGE]\n"
	"    action: reply\n"
	"    status: 405\n"
	"  - id: body-evil\n"
	"    where: body\n"
	"    literal: [\"evil\"]\n"
	"    regex: [\"^m=application \"]\n"
	"    action: drop\n"
	"  - id: message-allow\n"
	"    where: message\n"
	"    caseless: true\n"
	"    regex: [\"x-allow:\\\\s*yes\"]\n"
	"    action: pass\n";

/* One policy, the source its datagrams come from, and the text received= must carry. */
struct fcase {
	const char *name;
	struct sw_policy *pol;
	struct sw_peer src;
	char src_text[INET6_ADDRSTRLEN];
};

static struct fcase cases[3];
static struct sw_worker worker;     /* large (64 KiB unfold buffer): static, like the dataplane's */
static struct sip_msg reply_msg;    /* the reply, parsed back */
static const uint8_t secret[16] = "sipwall-fuzz-key";

static struct sw_peer peer(const char *addr, uint16_t port)
{
	struct sw_peer p = { .family = strchr(addr, ':') ? 6 : 4, .port = port };

	if (inet_pton(p.family == 6 ? AF_INET6 : AF_INET, addr, p.addr) != 1)
		abort();
	return p;
}

static void init_case(struct fcase *c, const char *name, struct sw_policy *pol, const char *addr, uint16_t port)
{
	c->name = name;
	c->pol = pol;
	c->src = peer(addr, port);
	snprintf(c->src_text, sizeof(c->src_text), "%s", addr);
}

static struct sw_policy *strict_policy(void)
{
	struct sw_policy *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	policy_defaults(p);
	p->max_message_bytes = 512;
	p->max_request_uri_bytes = 40;
	p->retry_after_seconds = 30;
	p->require_max_forwards = true;
	p->check_require = true;
	p->nsupported = 0; /* every Require / Proxy-Require tag is unknown: 420 with Unsupported */
	snprintf(p->server, sizeof(p->server), "%s", "sipwall-fuzz/1.0");
	return p;
}

static struct sw_policy *rules_policy(void)
{
	struct policy_error err;
	char msg[1024];
	struct sw_policy *p = policy_load_buffer(rules_yaml, sizeof(rules_yaml) - 1, "fuzz_sip rules", &err);

	if (!p) {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s: %s\n", HARNESS, msg);
		abort();
	}
	if (rules_compile(p, 1, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "%s: %s\n", HARNESS, msg);
		abort();
	}
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sw_policy *def = calloc(1, sizeof(*def));

	(void)argc;
	(void)argv;
	if (!def)
		abort();
	policy_defaults(def);
	/* sources: the first two are the sent-by of sample datagrams, so "sent-by is the source" is reachable */
	init_case(&cases[0], "default", def, "192.0.2.20", 5060);
	init_case(&cases[1], "strict", strict_policy(), "2001:db8::20", 5062);
	init_case(&cases[2], "rules", rules_policy(), "192.0.2.1", 40000);
	sw_worker_init(&worker, 0, secret);
	return 0;
}

static bool reason_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool verdict_eq(const struct sw_verdict *a, const struct sw_verdict *b)
{
	return a->action == b->action && a->why == b->why && a->status == b->status && a->rule == b->rule &&
	       a->err_off == b->err_off && reason_eq(a->reason, b->reason) &&
	       reason_eq(a->unsupported_from, b->unsupported_from);
}

static void show_verdict(const char *what, const struct sw_verdict *v)
{
	fprintf(stderr, "  %s: %s/%s status %u reason \"%s\" rule %d err_off %u\n", what, sw_action_name(v->action),
		sw_why_name(v->why), v->status, v->reason ? v->reason : "", v->rule, v->err_off);
}

static bool why_fits_action(const struct sw_verdict *v, uint32_t len)
{
	if (v->err_off > len)
		return false;
	switch (v->action) {
	case SW_ACT_PASS:
		return v->why == SW_WHY_VALID || v->why == SW_WHY_RESPONSE || v->why == SW_WHY_ACK ||
		       v->why == SW_WHY_RULE_PASS || v->why == SW_WHY_KEEPALIVE;
	case SW_ACT_DROP:
		return v->why >= SW_WHY_NOT_SIP && v->why <= SW_WHY_BUDGET;
	case SW_ACT_REPLY:
		return (v->why == SW_WHY_CHECK || v->why == SW_WHY_RULE_REPLY) && v->status >= 400 && v->status <= 699;
	}
	return false;
}

/* Offset of a CR not followed by LF, or of an LF not preceded by CR, in buf[0..end); end when there is none. */
static uint32_t bare_cr_lf(const char *buf, uint32_t end)
{
	for (uint32_t i = 0; i < end; i++) {
		if (buf[i] == '\r' && (i + 1 == end || buf[i + 1] != '\n'))
			return i;
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return i;
	}
	return end;
}

/* ---- the reply's top Via: every received= and rport= in it must name the packet's source ---- */

struct via_params {
	unsigned received, rport;
	bool received_ok, rport_ok; /* every one seen equals the source */
};

static bool ieq(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && !strncasecmp(p, s, n);
}

static bool lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **p, const char **e)
{
	while (*p < *e && lws(**p))
		(*p)++;
	while (*e > *p && lws((*e)[-1]))
		(*e)--;
}

/* One ;name[=value] of the first via-parm. */
static void via_param(const struct fcase *c, const char *p, const char *e, struct via_params *vp)
{
	const char *eq = memchr(p, '=', (size_t)(e - p)), *ne = eq ? eq : e, *v = eq ? eq + 1 : e;
	char port[8];

	trim(&p, &ne);
	trim(&v, &e);
	if (ieq(p, (size_t)(ne - p), "received")) {
		vp->received++;
		vp->received_ok &= ieq(v, (size_t)(e - v), c->src_text);
	} else if (ieq(p, (size_t)(ne - p), "rport")) {
		snprintf(port, sizeof(port), "%u", c->src.port);
		vp->rport++;
		vp->rport_ok &= eq && ieq(v, (size_t)(e - v), port);
	}
}

/* Walk the parameters of a via-parm (sent-protocol sent-by *( ";" param )), quoted strings respected. */
static struct via_params scan_via_params(const struct fcase *c, const char *p, uint32_t len)
{
	struct via_params vp = { 0, 0, true, true };
	const char *e = p + len, *param = NULL;
	bool q = false;

	for (const char *s = p; s <= e; s++) {
		if (s < e && q && *s == '\\') {
			s++;
			continue;
		}
		if (s < e && *s == '"')
			q = !q;
		if (s == e || (!q && (*s == ';' || *s == ','))) {
			if (param)
				via_param(c, param, s, &vp);
			param = s < e && *s == ';' ? s + 1 : NULL;
			if (s < e && *s == ',')
				break;
		}
	}
	return vp;
}

/* The reply: well-formed, a response with the verdict's status, its top Via naming where the request came from. */
static void check_reply(const struct fcase *c, const struct sw_verdict *v, const char *req, uint32_t req_len,
			const char *out, uint32_t n)
{
	char status[16];
	const struct sip_hdr *top;
	struct sip_via req_via, via;
	enum sip_parse_status st;
	struct via_params vp, rp;
	const char *what;
	bool ok;

	snprintf(status, sizeof(status), "SIP/2.0 %u ", v->status);
	ok = n >= strlen(status) + 4 && !memcmp(out, status, strlen(status)) && !memcmp(out + n - 4, "\r\n\r\n", 4);
	if (!ok && !fuzz_ignored("reply-form")) {
		fuzz_show("request", req, req_len);
		fuzz_show("reply", out, n);
		fuzz_fail(HARNESS, "reply-form", "[%s] the reply is not \"SIP/2.0 %u ...\\r\\n\\r\\n\"", c->name,
			  v->status);
	}
	/* every CR of the reply starts a CRLF and every LF ends one: a lone CR or LF from a request value would be a
	 * line end to the many parsers that accept one, i.e. a header injected into sipwall's own reply */
	if (bare_cr_lf(out, n) < n) {
		if (fuzz_ignored("reply-bare-cr-lf"))
			return;
		fuzz_show("request", req, req_len);
		fuzz_show("reply", out, n);
		fuzz_fail(HARNESS, "reply-bare-cr-lf", "[%s] the reply holds a CR or LF outside a CRLF at %u", c->name,
			  bare_cr_lf(out, n));
	}
	st = sip_msg_parse(&reply_msg, out, n);
	/* a request with ~128 header lines can get a legal reply with more lines than the parser indexes */
	ok = (st == SIP_PARSE_OK || st == SIP_PARSE_TOO_MANY_HEADERS) && !reply_msg.is_request &&
	     reply_msg.status == v->status && reply_msg.count[SIP_HDR_VIA] > 0 &&
	     reply_msg.count[SIP_HDR_VIA] <= worker.msg.count[SIP_HDR_VIA];
	/* the header section ends where sipwall ended it, after its own Content-Length: 0, with no body */
	ok = ok && (st != SIP_PARSE_OK || (reply_msg.hdr_end == n && reply_msg.count[SIP_HDR_CONTENT_LENGTH] == 1 &&
					   reply_msg.content_length == 0));
	/* a raw NUL copied from the request is its own property, so that exploring past it keeps the rest */
	what = memchr(out, 0, n) ? "reply-has-nul" : "reply-parses";
	if (!ok && fuzz_ignored(what))
		return;
	if (!ok) {
		fuzz_show("request", req, req_len);
		fuzz_show("reply", out, n);
		fuzz_fail(HARNESS, what, "[%s] the reply does not parse back as a %u response (%s at %u)", c->name,
			  v->status, reply_msg.err_reason ? reply_msg.err_reason : "ok", reply_msg.err_off);
	}
	top = sip_msg_hdr(&reply_msg, SIP_HDR_VIA);
	if (!sip_via_parse(sip_msg_hdr(&worker.msg, SIP_HDR_VIA)->value, &req_via))
		fuzz_fail(HARNESS, "reply-needs-via", "[%s] replied although the request's top Via does not parse",
			  c->name);
	ok = sip_via_parse(top->value, &via);
	what = "reply-via-source";
	if (ok) {
		vp = scan_via_params(c, via.value.p, via.value.len);
		/* RFC 3581 4 / RFC 3261 18.2.1: rport gets the source port and implies received */
		ok = vp.received_ok && vp.rport_ok && vp.received <= 1 && vp.rport == (req_via.has_rport ? 1u : 0u) &&
		     (!req_via.has_rport || vp.received == 1) && sw_str_eq(via.branch, req_via.branch);
		rp = scan_via_params(c, req_via.value.p, req_via.value.len);
		if (rp.received > 1 || rp.rport > 1) /* the request carried one twice: the other copy stays */
			what = "reply-via-duplicate";
	}
	if (!ok && !fuzz_ignored(what)) {
		fuzz_show("request", req, req_len);
		fuzz_show("reply", out, n);
		fuzz_fail(HARNESS, what,
			  "[%s] the reply's top Via must carry received=%s (and rport=%u when asked) exactly once, "
			  "and the request's branch", c->name, c->src_text, c->src.port);
	}
}

/* ---- one datagram under one policy ---- */

struct outcome {
	struct sw_verdict v;  /* after sw_respond */
	struct sw_verdict judged; /* as sw_judge left it */
	uint32_t len;
	char *reply;          /* exactly cap bytes: ASan catches a write past the cap */
};

static void judge(const struct fcase *c, const char *buf, uint32_t len, struct outcome *o)
{
	sw_judge(c->pol, &worker, buf, len, &o->v);
	o->judged = o->v;
	o->len = sw_respond(c->pol, &worker, &o->v, &c->src, o->reply, len);
}

static void same_outcome(const struct fcase *c, const char *what, const char *req, uint32_t len,
			 const struct outcome *a, const struct outcome *b)
{
	if (verdict_eq(&a->v, &b->v) && verdict_eq(&a->judged, &b->judged) && a->len == b->len &&
	    !memcmp(a->reply, b->reply, a->len))
		return;
	if (fuzz_ignored(what))
		return;
	fuzz_show("request", req, len);
	show_verdict("first", &a->v);
	show_verdict("then ", &b->v);
	fuzz_show("first reply", a->reply, a->len);
	fuzz_show("then reply", b->reply, b->len);
	fuzz_fail(HARNESS, what, "[%s] the same datagram got a different verdict or reply", c->name);
}

/* sip_msg.h: every indexed value is trimmed, so a copy of it can never end a header line or section early. */
static bool values_trimmed(const struct sip_msg *m)
{
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		struct sw_str v = m->hdrs[i].value;

		if (v.len && (lws(v.p[0]) || lws(v.p[v.len - 1])))
			return false;
	}
	return true;
}

/*
 * sip_value.c: the value checks the verdict calls (sip_via_check_in(), sip_addr_parse_in(), sip_contact_parse_in())
 * try a one-load check first; whatever it accepts, the general parser (sip_via_parse() and the others, on a tight
 * copy) must accept too, with the same end and the same tag. Every Via, From, To and Contact value of the datagram,
 * read up to the datagram's end as the verdict reads it (the lines indexed before any fault).
 */
static void value_paths(const char *buf, uint32_t len)
{
	static struct sip_msg msg;
	const struct sip_msg *m = &msg;

	sip_msg_parse_headers(&msg, buf, len);
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		struct sw_str v = h->value;
		bool differ;
		char *copy;

		if (h->id != SIP_HDR_VIA && h->id != SIP_HDR_FROM && h->id != SIP_HDR_TO && h->id != SIP_HDR_CONTACT)
			continue;
		copy = malloc(v.len ? v.len : 1);
		if (!copy)
			abort();
		memcpy(copy, v.p, v.len);
		differ = !sip_value_entry_agrees((enum sip_hdr_id)h->id, v, buf + len, sw_str_make(copy, v.len));
		free(copy);
		if (differ && !fuzz_ignored("value-paths")) {
			fuzz_show("value", v.p, v.len);
			fuzz_fail(HARNESS, "value-paths", "the %s check and the general parser differ on a value",
				  sip_hdr_name((enum sip_hdr_id)h->id));
		}
	}
}

static void run_case(const struct fcase *c, const char *buf, uint32_t len, char *big, struct outcome *o,
		     struct outcome *again)
{
	bool request, ack;

	sw_judge(c->pol, &worker, buf, len, &o->v);
	o->judged = o->v;
	if (!values_trimmed(&worker.msg)) {
		if (fuzz_ignored("value-trimmed"))
			return; /* exploring past this finding: every later check would trip on it again */
		fuzz_show("datagram", buf, len);
		fuzz_fail(HARNESS, "value-trimmed", "[%s] a header value starts or ends with whitespace, CR or LF",
			  c->name);
	}
	request = worker.msg.is_request;
	ack = request && sw_str_eq(worker.msg.method, SW_STR_LIT("ACK"));
	if (!why_fits_action(&o->v, len) && !fuzz_ignored("verdict-sane")) {
		show_verdict("verdict", &o->v);
		fuzz_fail(HARNESS, "verdict-sane", "[%s] action and reason do not go together, or err_off is past the "
			  "datagram", c->name);
	}
	if (o->v.action == SW_ACT_REPLY && (!request || ack) && !fuzz_ignored("never-answer")) {
		fuzz_show("datagram", buf, len);
		show_verdict("verdict", &o->v);
		fuzz_fail(HARNESS, "never-answer", "[%s] a reply verdict for %s", c->name,
			  request ? "an ACK" : "a response or non-request");
	}
	/* what sipwall passes, every element behind it must parse the same way: no line end but CRLF (sip_parse.c) */
	if (o->v.action == SW_ACT_PASS && request && bare_cr_lf(buf, worker.msg.hdr_end) < worker.msg.hdr_end &&
	    !fuzz_ignored("pass-bare-cr-lf")) {
		fuzz_show("datagram", buf, len);
		show_verdict("verdict", &o->v);
		fuzz_fail(HARNESS, "pass-bare-cr-lf", "[%s] passed a request whose header section holds a CR or LF "
			  "outside a CRLF at %u", c->name, bare_cr_lf(buf, worker.msg.hdr_end));
	}
	o->len = sw_respond(c->pol, &worker, &o->v, &c->src, o->reply, len);
	if (o->len > len)
		fuzz_fail(HARNESS, "no-amplification", "[%s] reply of %u bytes to a request of %u", c->name, o->len,
			  len);
	if (o->len == 0 && o->v.action == SW_ACT_REPLY)
		fuzz_fail(HARNESS, "respond-contract", "[%s] sw_respond built nothing but left a reply verdict",
			  c->name);
	if (o->len && (o->judged.action != SW_ACT_REPLY || o->v.action != SW_ACT_REPLY))
		fuzz_fail(HARNESS, "respond-contract", "[%s] sw_respond built a reply for a %s verdict", c->name,
			  sw_action_name(o->judged.action));
	if (o->len == 0 && o->judged.action == SW_ACT_REPLY &&
	    !(o->v.action == SW_ACT_DROP && (o->v.why == SW_WHY_AMPLIFICATION || o->v.why == SW_WHY_NO_VIA)))
		fuzz_fail(HARNESS, "respond-contract", "[%s] an unanswerable reply became %s/%s", c->name,
			  sw_action_name(o->v.action), sw_why_name(o->v.why));
	if (o->len)
		check_reply(c, &o->v, buf, len, o->reply, o->len);

	/* determinism: the same bytes again, after the worker judged them once */
	judge(c, buf, len, again);
	same_outcome(c, "deterministic", buf, len, o, again);

	/* independence: the same datagram followed by other bytes in the buffer (len unchanged) */
	memcpy(big, buf, len);
	for (uint32_t i = 0; i < TAIL_LEN; i++)
		big[len + i] = tail_pattern[i % (sizeof(tail_pattern) - 1)];
	judge(c, big, len, again);
	same_outcome(c, "trailing-bytes", buf, len, o, again);
	for (uint32_t i = 0; i < TAIL_LEN; i++) /* a retransmission right behind it */
		big[len + i] = len ? buf[i % len] : '\n';
	judge(c, big, len, again);
	same_outcome(c, "trailing-bytes", buf, len, o, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome o, again;
	uint32_t len;
	char *buf, *big;

	if (size > SW_MAX_DATAGRAM)
		return 0; /* a UDP payload is at most 65535 bytes: sw_judge's contract */
	len = (uint32_t)size;
	/* exactly sized copies: an over-read of the datagram or of the reply's cap is an ASan report */
	buf = malloc(len ? len : 1);
	big = malloc(len + TAIL_LEN);
	o.reply = malloc(len ? len : 1);
	again.reply = malloc(len ? len : 1);
	if (!buf || !big || !o.reply || !again.reply)
		abort();
	if (len)
		memcpy(buf, data, len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], buf, len, big, &o, &again);
	value_paths(buf, len);
	free(again.reply);
	free(o.reply);
	free(big);
	free(buf);
	return 0;
}

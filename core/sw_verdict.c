// SPDX-License-Identifier: BSD-3-Clause
/*
 * sw_judge(): the one place where sipwall decides what happens to a datagram. The check order is fixed and written
 * down in docs/verdict.md; each check is a small function returning true when it decided. Nothing here allocates,
 * locks, logs or makes a system call.
 */
#include "sw_verdict.h"

#include "rules.h"
#include "sip_int.h"

static const char *const why_names[] = {
	[SW_WHY_VALID] = "valid",
	[SW_WHY_RESPONSE] = "response",
	[SW_WHY_ACK] = "ack",
	[SW_WHY_RULE_PASS] = "rule_pass",
	[SW_WHY_NOT_SIP] = "not_sip",
	[SW_WHY_BAD_RESPONSE] = "bad_response",
	[SW_WHY_BAD_ACK] = "bad_ack",
	[SW_WHY_NO_VIA] = "no_via",
	[SW_WHY_RULE_DROP] = "rule_drop",
	[SW_WHY_AMPLIFICATION] = "amplification",
	[SW_WHY_BUDGET] = "reply_budget",
	[SW_WHY_CHECK] = "check",
	[SW_WHY_RULE_REPLY] = "rule_reply",
	[SW_WHY_KEEPALIVE] = "keepalive",
};
_Static_assert(sizeof(why_names) / sizeof(why_names[0]) == SW_WHY__COUNT, "a name for every sw_why");

const char *sw_why_name(enum sw_why why)
{
	return (unsigned)why < SW_WHY__COUNT ? why_names[why] : "unknown";
}

const char *sw_action_name(enum sw_action a)
{
	switch (a) {
	case SW_ACT_PASS:
		return "pass";
	case SW_ACT_DROP:
		return "drop";
	case SW_ACT_REPLY:
		return "reply";
	}
	return "unknown";
}

static bool set_drop(struct sw_verdict *v, enum sw_why why, const char *note)
{
	v->action = SW_ACT_DROP;
	v->why = why;
	v->status = 0;
	v->reason = note;
	return true;
}

static bool set_reply(struct sw_verdict *v, uint16_t status, const char *reason)
{
	v->action = SW_ACT_REPLY;
	v->why = SW_WHY_CHECK;
	v->status = status;
	v->reason = reason;
	return true;
}

static bool set_400(struct sw_verdict *v, const struct sip_msg *m, const char *at, const char *reason)
{
	v->err_off = (uint32_t)(at - m->buf);
	return set_reply(v, 400, reason);
}

/* The request method is exactly the literal name (case-sensitive, RFC 3261 7.1). */
#define method_is(m, name) SW_STR_IS((m)->method, name)

/* The single-valued mandatory headers of 8.1.1: present, once, and parsable. */
static bool check_single(struct sw_verdict *v, const struct sip_msg *m, enum sip_hdr_id id, const char *missing,
			 const char *multiple)
{
	if (m->count[id] == 0)
		return set_400(v, m, m->buf + m->hdr_end, missing);
	if (m->count[id] > 1)
		return set_400(v, m, m->hdrs[m->hdrs[m->first[id]].next].name.p, multiple);
	return false;
}

/*
 * To and From: present once and parsable. The parse writes the tag it finds straight into *tag (w->judged, for the
 * reply: the From tag goes into our To tag's hash, the To tag decides whether one is added) instead of a local, so
 * keeping it costs the pass path nothing; never_answer() says whether it holds.
 */
static bool check_addr(struct sw_verdict *v, const struct sip_msg *m, enum sip_hdr_id id, struct sw_str *tag,
		       const char *missing, const char *multiple, const char *malformed)
{
	if (check_single(v, m, id, missing, multiple))
		return true;
	if (!sip_addr_parse_in(sip_msg_hdr(m, id)->value, m->buf + m->len, tag))
		return set_400(v, m, sip_msg_hdr(m, id)->value.p, malformed);
	return false;
}

/* Visible ASCII (0x21-0x7e) as a class for sw_span(); and token (an option tag, RFC 3261 20.29). */
static uint8_t vchar_tab[256];
static struct sw_cset vchar_set, token_set;

__attribute__((constructor)) static void vchar_init(void)
{
	for (unsigned c = 0x21; c < 0x7f; c++)
		vchar_tab[c] = 1;
	sw_cset_init(&vchar_set, vchar_tab, 1);
	sw_cset_init(&token_set, sw_cclass, SW_C_TOKEN);
}

/*
 * callid = word [ "@" word ]: one run of visible ASCII. Up to 32 bytes with 32 readable (hi: the datagram's end),
 * two signed compares of one load say it (0x21-0x7e are the bytes above ' ' and below DEL; those >= 0x80 are
 * negative); else the class span.
 */
static bool call_id_ok(struct sw_str s, const char *hi)
{
#if defined(__AVX2__)
	if (s.len && s.len <= 32 && hi - s.p >= 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)s.p);
		__m256i in = _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8(0x20)),
					      _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7f), x));
		uint32_t k = s.len == 32 ? ~0u : (1u << s.len) - 1;

		return ((uint32_t)_mm256_movemask_epi8(in) & k) == k;
	}
#else
	(void)hi;
#endif
	return s.len && sw_span(s.p, s.p + s.len, s.p, &vchar_set) == s.p + s.len;
}

/*
 * How far the mandatory checks went: what is known of the top Via (the first via-parm of the first Via line;
 * never_answer() parses it only when unknown), and whether To and From parsed too (their tags are in w->judged).
 */
enum top_via { TOP_VIA_UNKNOWN, TOP_VIA_OK, TOP_VIA_BAD, TOP_VIA_OK_ADDR };

/* Every via-parm of every Via line must parse; the top one is where a reply goes (its outcome goes to *top). */
static bool check_via(struct sw_verdict *v, const struct sip_msg *m, enum top_via *top)
{
	const char *end;

	if (m->count[SIP_HDR_VIA] == 0) {
		*top = TOP_VIA_BAD;
		return set_400(v, m, m->buf + m->hdr_end, "Missing Via header field");
	}
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA); h; h = sip_msg_hdr_next(m, h)) {
		struct sw_str rest = h->value;

		for (;;) {
			bool ok = sip_via_check_in(rest, m->buf + m->len, &end);

			if (*top == TOP_VIA_UNKNOWN)
				*top = ok ? TOP_VIA_OK : TOP_VIA_BAD;
			if (!ok)
				return set_400(v, m, rest.p, "Malformed Via header field");
			if (end >= rest.p + rest.len)
				break;
			rest = sw_str_make(end + 1, (uint32_t)(rest.p + rest.len - end - 1));
		}
	}
	return false;
}

/* sw_str_eq() without the library call: methods are a few bytes long (4 to 8: two overlapping 4-byte loads). */
static inline bool same_bytes(struct sw_str a, struct sw_str b)
{
	if (a.len != b.len)
		return false;
	if (a.len >= 4 && a.len <= 8) {
		uint32_t a0, a1, b0, b1;

		memcpy(&a0, a.p, 4);
		memcpy(&a1, a.p + a.len - 4, 4);
		memcpy(&b0, b.p, 4);
		memcpy(&b1, b.p + b.len - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (a.len > 16)
		return memcmp(a.p, b.p, a.len) == 0;
	for (uint32_t i = 0; i < a.len; i++)
		if (a.p[i] != b.p[i])
			return false;
	return true;
}

/*
 * The usual CSeq of a request, "1*DIGIT SP Method" with the request's own method, checked in one pass against
 * m->method: no slices for nobody. True only when sip_cseq_parse() would accept it with that method (the method
 * was checked as a token by the parser; the value was trimmed), so false sends anything else to the full parse.
 */
static inline bool cseq_is_usual(struct sw_str val, struct sw_str method)
{
	const char *p = val.p, *end = val.p + val.len;
	uint32_t n = 0;

	while (p < end && (unsigned)(*p - '0') <= 9 && n <= 0x7fffffffu / 10 && p - val.p < 10) {
		n = n * 10 + (uint32_t)(*p - '0');
		p++;
	}
	if (p == val.p || n > 0x7fffffffu || p >= end || *p != ' ')
		return false;
	p++;
	return end - p == (long)method.len && same_bytes(sw_str_make(p, method.len), method);
}

static bool check_cseq(struct sw_verdict *v, const struct sip_msg *m)
{
	uint32_t num;
	struct sw_str method;

	if (check_single(v, m, SIP_HDR_CSEQ, "Missing CSeq header field", "Multiple CSeq header fields"))
		return true;
	if (cseq_is_usual(sip_msg_hdr(m, SIP_HDR_CSEQ)->value, m->method))
		return false;
	if (!sip_cseq_parse(sip_msg_hdr(m, SIP_HDR_CSEQ)->value, &num, &method))
		return set_400(v, m, sip_msg_hdr(m, SIP_HDR_CSEQ)->value.p, "Malformed CSeq header field");
	if (!same_bytes(method, m->method))
		return set_400(v, m, method.p, "CSeq method does not match request method");
	return false;
}

static bool check_mandatory(struct sw_verdict *v, const struct sip_msg *m, struct sw_judged *j, enum top_via *top)
{
	if (check_via(v, m, top) ||
	    check_addr(v, m, SIP_HDR_TO, &j->to_tag, "Missing To header field", "Multiple To header fields",
		       "Malformed To header field") ||
	    check_addr(v, m, SIP_HDR_FROM, &j->from_tag, "Missing From header field", "Multiple From header fields",
		       "Malformed From header field"))
		return true;
	*top = TOP_VIA_OK_ADDR;
	if (check_single(v, m, SIP_HDR_CALL_ID, "Missing Call-ID header field", "Multiple Call-ID header fields"))
		return true;
	if (!call_id_ok(sip_msg_hdr(m, SIP_HDR_CALL_ID)->value, m->buf + m->len))
		return set_400(v, m, sip_msg_hdr(m, SIP_HDR_CALL_ID)->value.p, "Malformed Call-ID header field");
	if (check_cseq(v, m))
		return true;
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTACT); h; h = sip_msg_hdr_next(m, h))
		if (!sip_contact_parse_in(h->value, m->buf + m->len))
			return set_400(v, m, h->value.p, "Malformed Contact header field");
	return false;
}

/* 16.3 step 3. "00" is 0 and "0068" is 68: the value is a number, not a string. */
static bool check_max_forwards(struct sw_verdict *v, const struct sw_policy *pol, const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS);
	uint64_t n;

	if (!h) {
		if (pol->require_max_forwards)
			return set_400(v, m, m->buf + m->hdr_end, "Missing Max-Forwards header field");
		return false;
	}
	if (m->count[SIP_HDR_MAX_FORWARDS] > 1)
		return set_400(v, m, m->hdrs[h->next].name.p, "Multiple Max-Forwards header fields");
	if (!sw_str_to_u64_inline(h->value, 255, &n))
		return set_400(v, m, h->value.p, "Malformed Max-Forwards header field");
	if (n == 0)
		return set_reply(v, 483, "Too Many Hops");
	return false;
}

bool sw_policy_is_sip_port(const struct sw_policy *pol, uint16_t sport, uint16_t dport)
{
	for (uint32_t i = 0; i < pol->nsip_ports; i++)
		if (pol->sip_ports[i] == dport || pol->sip_ports[i] == sport)
			return true;
	return false;
}

/*
 * sw_str_ieq_cstr() against each entry, without its strlen() per entry: an entry of tag.len bytes has its NUL at
 * supported[i][tag.len] (inside the array: tag.len < SW_OPTION_TAG_MAX), so one load turns most entries away; the
 * bytes of the rest compare through sw_lower as sw_str_ieq() does, an earlier NUL in the entry being a mismatch.
 * Nothing is precomputed in the policy: tests and tools fill supported[] directly, so a derived table could go stale.
 */
bool sw_policy_supports(const struct sw_policy *pol, struct sw_str tag)
{
	if (tag.len >= SW_OPTION_TAG_MAX)
		return false;
	for (uint32_t i = 0; i < pol->nsupported; i++) {
		const char *s = pol->supported[i];
		uint32_t k = 0;

		if (s[tag.len] != 0)
			continue;
		while (k < tag.len && s[k] && sw_lower[(uint8_t)tag.p[k]] == sw_lower[(uint8_t)s[k]])
			k++;
		if (k == tag.len)
			return true;
	}
	return false;
}

/*
 * Any tag of this header that the policy does not support? A malformed list is a 400. The usual value is one tag:
 * all token bytes (the value is trimmed), which is the one token sip_token_list_next() would return, so it is
 * looked up at once; any other value (a list, LWS, a fault) is read tag by tag.
 */
static bool unknown_tags(struct sw_verdict *v, const struct sw_policy *pol, const struct sip_msg *m,
			 enum sip_hdr_id id, bool *unknown)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		uint32_t pos = 0;
		struct sw_str tok;
		bool bad;

		if (h->value.len && sw_span(h->value.p, h->value.p + h->value.len, m->buf, &token_set) ==
					    h->value.p + h->value.len) {
			if (!*unknown && !sw_policy_supports(pol, h->value)) {
				*unknown = true;
				v->unsupported_from = id == SIP_HDR_REQUIRE ? "Require" : "Proxy-Require";
			}
			continue;
		}
		while (sip_token_list_next(h->value, &pos, &tok, &bad)) {
			if (bad)
				return set_400(v, m, h->value.p, id == SIP_HDR_REQUIRE ? "Malformed Require header field"
										: "Malformed Proxy-Require header field");
			if (!sw_policy_supports(pol, tok) && !*unknown) {
				*unknown = true;
				v->unsupported_from = id == SIP_HDR_REQUIRE ? "Require" : "Proxy-Require";
			}
		}
	}
	return false;
}

/* 16.3 step 5 (Proxy-Require) and, by policy, 8.2.2.3 (Require). Both are ignored in CANCEL (and ACK). */
static bool check_extensions(struct sw_verdict *v, const struct sw_policy *pol, const struct sip_msg *m)
{
	bool unknown = false;

	if (method_is(m, "CANCEL") || method_is(m, "ACK"))
		return false;
	/* the usual request has neither header: no call (unknown_tags() is not inlined) */
	if (m->count[SIP_HDR_PROXY_REQUIRE] && unknown_tags(v, pol, m, SIP_HDR_PROXY_REQUIRE, &unknown))
		return true;
	if (pol->check_require && m->count[SIP_HDR_REQUIRE] && unknown_tags(v, pol, m, SIP_HDR_REQUIRE, &unknown))
		return true;
	if (unknown)
		return set_reply(v, 420, "Bad Extension");
	return false;
}

/* Rules decide after parsing and before the protocol checks (docs/rules.md). */
static bool apply_rules(struct sw_verdict *v, const struct sw_policy *pol, struct sw_worker *w)
{
	int32_t r;

	if (!pol->db)
		return false;
	r = rules_eval(pol->db, w);
	if (r < 0)
		return false;
	const struct sw_rule_spec *rule = &pol->rules[r];

	v->rule = r;
	switch (rule->action) {
	case SW_RULE_DROP:
		return set_drop(v, SW_WHY_RULE_DROP, rule->id);
	case SW_RULE_REPLY:
		set_reply(v, rule->status, rule->reason);
		v->why = SW_WHY_RULE_REPLY;
		return true;
	case SW_RULE_PASS:
		v->action = SW_ACT_PASS;
		v->why = SW_WHY_RULE_PASS;
		v->reason = rule->id;
		return true;
	case SW_RULE_COUNT:
		break;
	}
	v->rule = -1;
	return false;
}

/* The protocol checks of a parsed request, in their documented order. */
static bool check_request(struct sw_verdict *v, const struct sw_policy *pol, struct sip_msg *m, struct sw_judged *j,
			  enum top_via *top)
{
	if (check_mandatory(v, m, j, top) || check_max_forwards(v, pol, m))
		return true;
	if (sip_msg_frame(m) != SIP_PARSE_OK) {
		v->err_off = m->err_off;
		return set_reply(v, 400, m->err_reason);
	}
	return check_extensions(v, pol, m);
}

/*
 * A reply needs a usable top Via; an ACK is never answered. Turn such replies into silent drops. For a reply that
 * stays one, say what w->judged holds for sw_respond() (only here: the pass path does not touch it). When nothing
 * checked the top Via yet (413, 414, 505, a parse error's 400, a rule's reply), its first via-parm is checked here
 * as the verdict's Via check does (sip_via_check_in(): one 64-byte load for the usual form on AVX-512 builds);
 * either way the reply reads the usual form from byte masks (top_via_checked()) instead of parsing it in full.
 * The check accepts exactly what sip_via_parse_in() accepts (test_value_fast_agrees, fuzz_sip's value-paths).
 */
static void never_answer(struct sw_verdict *v, const struct sip_msg *m, struct sw_judged *j, enum top_via known)
{
	const struct sip_hdr *top;
	const char *end;

	if (v->action != SW_ACT_REPLY)
		return;
	if (method_is(m, "ACK")) {
		set_drop(v, SW_WHY_BAD_ACK, "ACK is never answered");
		return;
	}
	if (known == TOP_VIA_UNKNOWN) {
		top = sip_msg_hdr(m, SIP_HDR_VIA);
		known = top && sip_via_check_in(top->value, m->buf + m->len, &end) ? TOP_VIA_OK : TOP_VIA_BAD;
	}
	if (known == TOP_VIA_BAD) {
		set_drop(v, SW_WHY_NO_VIA, "no usable top Via");
		return;
	}
	j->have = known == TOP_VIA_OK_ADDR ? SW_JUDGED_VIA_OK | SW_JUDGED_TO | SW_JUDGED_FROM : SW_JUDGED_VIA_OK;
}

static void judge_request(const struct sw_policy *pol, struct sw_worker *w, enum sip_parse_status st,
			  struct sw_verdict *v)
{
	struct sip_msg *m = &w->msg;
	enum top_via top = TOP_VIA_UNKNOWN;

	if (m->ruri.len > pol->max_request_uri_bytes)
		set_reply(v, 414, "Request-URI Too Long");
	else if (m->version.len && !SW_STR_IS(m->version, "SIP/2.0"))
		set_reply(v, 505, "Version Not Supported");
	else if (st != SIP_PARSE_OK)
		set_400(v, m, m->buf + m->err_off, m->err_reason);
	else if (!apply_rules(v, pol, w) && !check_request(v, pol, m, &w->judged, &top) && method_is(m, "ACK"))
		v->why = SW_WHY_ACK;
	never_answer(v, m, &w->judged, top);
}

/*
 * A response is passed only when what its receiver matches it by parses: a CSeq with a number below 2^31
 * (RFC 4475 3.1.2.5 scalarlg: discard) and a body framing that holds (RFC 3261 18.3).
 */
static bool response_ok(struct sip_msg *m)
{
	const struct sip_hdr *cseq = sip_msg_hdr(m, SIP_HDR_CSEQ);
	struct sw_str method;
	uint32_t num;

	if (!cseq || m->count[SIP_HDR_CSEQ] > 1 || !sip_cseq_parse(cseq->value, &num, &method))
		return false;
	return sip_msg_frame(m) == SIP_PARSE_OK;
}

/* RFC 5626 3.5.1 keepalives: a "ping" CRLF CRLF or a "pong" CRLF; they pass so that NAT bindings stay open. */
static bool is_keepalive(const char *buf, uint32_t len)
{
	return (len == 2 && buf[0] == '\r' && buf[1] == '\n') ||
	       (len == 4 && buf[0] == '\r' && buf[1] == '\n' && buf[2] == '\r' && buf[3] == '\n');
}

void sw_judge(const struct sw_policy *pol, struct sw_worker *w, const char *buf, uint32_t len,
	      struct sw_verdict *v)
{
	struct sip_msg *m = &w->msg;
	enum sip_parse_status st;

	*v = (struct sw_verdict){ .action = SW_ACT_PASS, .why = SW_WHY_VALID, .rule = -1 };
	/*
	 * Size first: an oversized datagram is indexed only as far as its header section, never framed or matched, and
	 * its Request-URI is not checked for structure (ruri_max 0): the 413 does not depend on it.
	 */
	st = sip_msg_parse_headers_ruri(m, buf, len, len > pol->max_message_bytes ? 0 : pol->max_request_uri_bytes);
	if (st == SIP_PARSE_NOT_SIP) {
		/* w->msg now indexes this datagram (as nothing), whatever the outcome */
		if (is_keepalive(buf, len))
			v->why = SW_WHY_KEEPALIVE;
		else
			set_drop(v, SW_WHY_NOT_SIP, "not SIP");
		return;
	}
	if (!m->is_request) {
		if (st != SIP_PARSE_OK || len > pol->max_message_bytes || !response_ok(m))
			set_drop(v, SW_WHY_BAD_RESPONSE, "malformed or oversized response");
		else
			v->why = SW_WHY_RESPONSE;
		return;
	}

	if (len > pol->max_message_bytes) {
		set_reply(v, 413, "Request Entity Too Large");
		never_answer(v, m, &w->judged, TOP_VIA_UNKNOWN);
		return;
	}
	judge_request(pol, w, st, v);
}

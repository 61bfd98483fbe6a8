// SPDX-License-Identifier: BSD-3-Clause
/*
 * sw_respond(): a stateless response to a judged request, as RFC 3261 8.2.6 asks: every Via in order (the top one
 * with received= and rport= per 18.2.1 and RFC 3581), From, To (tag added when absent), Call-ID and CSeq copied,
 * Unsupported for 420, Retry-After for 413 when configured, Server only when the policy names one,
 * Content-Length: 0, no body. The response never exceeds cap bytes, so the caller can forbid amplification.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdlib.h>

#include "sw_verdict.h"

struct out {
	char *p;
	uint32_t len;
	uint32_t cap;
	bool over;
	bool compact; /* write compact header names (RFC 3261 7.3.3) */
};

static void put(struct out *o, const char *s, uint32_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, struct sw_str s)
{
	put(o, s.p, s.len);
}

/* A string literal, its length known at compile time. */
#define PUT_LIT(o, lit) put((o), "" lit, sizeof(lit) - 1)

static void put_cstr(struct out *o, const char *s)
{
	put(o, s, (uint32_t)strlen(s));
}

/* "Via: " or, in a compact reply, "v: " (CSeq and the rest have no compact form) */
static void put_name(struct out *o, enum sip_hdr_id id)
{
	static const struct sw_str full[SIP_HDR__COUNT] = {
		[SIP_HDR_VIA] = SW_STR_LIT("Via: "), [SIP_HDR_FROM] = SW_STR_LIT("From: "),
		[SIP_HDR_TO] = SW_STR_LIT("To: "), [SIP_HDR_CALL_ID] = SW_STR_LIT("Call-ID: "),
		[SIP_HDR_CSEQ] = SW_STR_LIT("CSeq: "), [SIP_HDR_CONTENT_LENGTH] = SW_STR_LIT("Content-Length: "),
	};
	static const struct sw_str compact[SIP_HDR__COUNT] = {
		[SIP_HDR_VIA] = SW_STR_LIT("v: "), [SIP_HDR_FROM] = SW_STR_LIT("f: "), [SIP_HDR_TO] = SW_STR_LIT("t: "),
		[SIP_HDR_CALL_ID] = SW_STR_LIT("i: "), [SIP_HDR_CONTENT_LENGTH] = SW_STR_LIT("l: "),
	};

	put_str(o, o->compact && compact[id].len ? compact[id] : full[id]);
}

static void put_u32(struct out *o, uint32_t v)
{
	char b[10];
	int i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	put(o, b + i, (uint32_t)(sizeof(b) - i));
}

/* The source address as text: dotted quad, or RFC 5952 IPv6 (received= carries it without brackets, RFC 5118). */
static void peer_text(const struct sw_peer *src, char *buf, size_t len)
{
	if (src->family == 6) {
		if (!inet_ntop(AF_INET6, src->addr, buf, (socklen_t)len))
			buf[0] = 0;
		return;
	}
	/* dotted quad by hand: inet_ntop goes through sprintf, ~2,000 instructions on the reply path */
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = src->addr[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : 0;
	}
}

/* Does the sent-by host name exactly the source address? A host name never does (18.2.1). */
static bool sent_by_is_source(const struct sip_via *via, const struct sw_peer *src)
{
	char host[64];
	uint8_t a[16];

	if (via->host.len >= sizeof(host))
		return false;
	memcpy(host, via->host.p, via->host.len);
	host[via->host.len] = 0;
	if (src->family == 6)
		return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, src->addr, 16) == 0;
	return inet_pton(AF_INET, host, a) == 1 && memcmp(a, src->addr, 4) == 0;
}

/* Is the parameter at p (just past its ';', LWS skipped) named name, case-insensitively? */
static bool param_is(const char *p, const char *end, const char *name, uint32_t n)
{
	if ((uint32_t)(end - p) < n || !sw_str_ieq_cstr(sw_str_make(p, n), name))
		return false;
	return p + n == end || p[n] == '=' || p[n] == ';' || p[n] == ' ' || p[n] == '\t' || p[n] == '\r' ||
	       p[n] == ',';
}

/*
 * The top via-parm with received= and rport= set from the source. Every received/rport parameter the request
 * carried is left out, however many there were: only this element knows where the request came from, and a
 * client must never be handed an address an attacker wrote. Quoted parameter values are skipped whole.
 */
static void put_top_via(struct out *o, const struct sip_via *via, const struct sw_peer *src)
{
	const char *p = via->value.p, *end = via->value.p + via->value.len, *from = p;
	char addr[INET6_ADDRSTRLEN];
	bool quoted = false;

	/* the usual case: the request carried no received/rport (a bare rport is recorded too): copy as it is */
	if (!via->received_param.p && !via->rport_param.p)
		p = end;
	for (; p < end; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (quoted && *p == '\\' && p + 1 < end)
			p++;
		if (quoted || *p != ';')
			continue;
		const char *name = p + 1, *q;

		while (name < end && (*name == ' ' || *name == '\t' || *name == '\r' || *name == '\n'))
			name++;
		if (!param_is(name, end, "received", 8) && !param_is(name, end, "rport", 5))
			continue;
		put(o, from, (uint32_t)(p - from));
		for (q = name; q < end && *q != ';'; q++) {
			if (*q != '"')
				continue;
			/* a quoted value goes whole, quoted-pairs included */
			for (q++; q < end && *q != '"'; q++)
				if (*q == '\\' && q + 1 < end)
					q++;
			if (q == end)
				break;
		}
		p = q - 1; /* the loop's p++ lands on the next ';' */
		from = q;
	}
	put(o, from, (uint32_t)(end - from));
	if (via->has_rport || !sent_by_is_source(via, src)) {
		peer_text(src, addr, sizeof(addr));
		PUT_LIT(o, ";received=");
		put_cstr(o, addr);
	}
	if (via->has_rport) {
		PUT_LIT(o, ";rport=");
		put_u32(o, src->port);
	}
}

/* What a reply needs from the request, parsed once (the compact retry reuses it). */
struct reply_ctx {
	const struct sip_msg *m;
	struct sip_via via;   /* top via-parm */
	bool to_has_tag;
	char tag[17];         /* our To tag when the request's To has none */
};

static void put_vias(struct out *o, const struct reply_ctx *c, const struct sw_peer *src)
{
	const struct sip_msg *m = c->m;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);

	put_name(o, SIP_HDR_VIA);
	put_top_via(o, &c->via, src);
	put(o, c->via.end, (uint32_t)(h->value.p + h->value.len - c->via.end));
	PUT_LIT(o, "\r\n");
	for (h = sip_msg_hdr_next(m, h); h; h = sip_msg_hdr_next(m, h)) {
		put_name(o, SIP_HDR_VIA);
		put_str(o, h->value);
		PUT_LIT(o, "\r\n");
	}
}

static void put_header(struct out *o, const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (!h)
		return;
	put_name(o, id);
	put_str(o, h->value);
	PUT_LIT(o, "\r\n");
}

/*
 * A To tag that a retransmission gets again: SipHash-2-4 (libsodium crypto_shorthash) under the instance secret of
 * what identifies the transaction (Call-ID, From tag, top Via branch, CSeq) and the status.
 */
static void to_tag(struct reply_ctx *c, const struct sw_verdict *v, const uint8_t key[16])
{
	static const char digits[] = "0123456789abcdef";
	const struct sip_msg *m = c->m;
	unsigned char in[1024], h[crypto_shorthash_BYTES];
	struct sw_str parts[4] = { SW_STR_NULL, SW_STR_NULL, c->via.branch, SW_STR_NULL };
	uint32_t n = 0;

	if (sip_msg_hdr(m, SIP_HDR_CALL_ID))
		parts[0] = sip_msg_hdr(m, SIP_HDR_CALL_ID)->value;
	if (sip_msg_hdr(m, SIP_HDR_FROM))
		sip_addr_parse(sip_msg_hdr(m, SIP_HDR_FROM)->value, &parts[1]);
	if (sip_msg_hdr(m, SIP_HDR_CSEQ))
		parts[3] = sip_msg_hdr(m, SIP_HDR_CSEQ)->value;
	for (int i = 0; i < 4; i++) {
		uint32_t k = parts[i].len < 240 ? parts[i].len : 240;

		memcpy(in + n, parts[i].p ? parts[i].p : "", k);
		n += k;
		in[n++] = 0; /* separator: ("ab","c") and ("a","bc") hash apart */
	}
	memcpy(in + n, &v->status, sizeof(v->status));
	n += sizeof(v->status);
	crypto_shorthash(h, in, n, key);
	for (int i = 0; i < 8; i++) {
		c->tag[2 * i] = digits[h[i] >> 4];
		c->tag[2 * i + 1] = digits[h[i] & 15];
	}
	c->tag[16] = 0;
}

static void put_to(struct out *o, const struct reply_ctx *c)
{
	const struct sip_hdr *h = sip_msg_hdr(c->m, SIP_HDR_TO);

	if (!h)
		return;
	put_name(o, SIP_HDR_TO);
	put_str(o, h->value);
	if (!c->to_has_tag) {
		PUT_LIT(o, ";tag=");
		put(o, c->tag, 16);
	}
	PUT_LIT(o, "\r\n");
}

/* Unsupported: every tag of Proxy-Require (and Require, when checked) that the policy does not support. */
static void put_unsupported(struct out *o, const struct sw_policy *pol, const struct sip_msg *m)
{
	enum sip_hdr_id ids[2] = { SIP_HDR_PROXY_REQUIRE, SIP_HDR_REQUIRE };
	bool first = true;

	for (int i = 0; i < (pol->check_require ? 2 : 1); i++)
		for (const struct sip_hdr *h = sip_msg_hdr(m, ids[i]); h; h = sip_msg_hdr_next(m, h)) {
			uint32_t pos = 0;
			struct sw_str tok;
			bool bad;

			while (sip_token_list_next(h->value, &pos, &tok, &bad)) {
				if (bad || sw_policy_supports(pol, tok))
					continue;
				put_cstr(o, first ? "Unsupported: " : ", ");
				put_str(o, tok);
				first = false;
			}
		}
	if (!first)
		PUT_LIT(o, "\r\n");
}

static void build(struct out *o, const struct sw_policy *pol, const struct reply_ctx *c, const struct sw_verdict *v,
		  const struct sw_peer *src)
{
	PUT_LIT(o, "SIP/2.0 ");
	put_u32(o, v->status);
	PUT_LIT(o, " ");
	put_cstr(o, v->reason ? v->reason : "Rejected");
	PUT_LIT(o, "\r\n");
	put_vias(o, c, src);
	put_header(o, c->m, SIP_HDR_FROM);
	put_to(o, c);
	put_header(o, c->m, SIP_HDR_CALL_ID);
	put_header(o, c->m, SIP_HDR_CSEQ);
	if (v->status == 420)
		put_unsupported(o, pol, c->m);
	if (v->status == 413 && pol->retry_after_seconds) {
		PUT_LIT(o, "Retry-After: ");
		put_u32(o, pol->retry_after_seconds);
		PUT_LIT(o, "\r\n");
	}
	if (pol->server[0]) {
		PUT_LIT(o, "Server: ");
		put_cstr(o, pol->server);
		PUT_LIT(o, "\r\n");
	}
	put_name(o, SIP_HDR_CONTENT_LENGTH);
	PUT_LIT(o, "0\r\n\r\n");
}

uint32_t sw_respond(const struct sw_policy *pol, struct sw_worker *w, struct sw_verdict *v,
		    const struct sw_peer *src, char *out, uint32_t cap)
{
	const struct sip_hdr *top = sip_msg_hdr(&w->msg, SIP_HDR_VIA), *to = sip_msg_hdr(&w->msg, SIP_HDR_TO);
	struct reply_ctx c = { .m = &w->msg };
	struct out o = { out, 0, cap, false, false };
	struct sw_str tag = SW_STR_NULL;

	if (v->action != SW_ACT_REPLY)
		return 0;
	if (!top || !sip_via_parse(top->value, &c.via)) {
		v->action = SW_ACT_DROP;
		v->why = SW_WHY_NO_VIA;
		return 0;
	}
	c.to_has_tag = to && sip_addr_parse(to->value, &tag) && tag.len;
	if (to && !c.to_has_tag)
		to_tag(&c, v, w->secret);
	build(&o, pol, &c, v, src);
	if (o.over) {
		/* RFC 3261 7.3.3: compact names exist for transports where size matters; try them before dropping */
		o = (struct out){ out, 0, cap, false, true };
		build(&o, pol, &c, v, src);
	}
	if (o.over) {
		v->action = SW_ACT_DROP;
		v->why = SW_WHY_AMPLIFICATION;
		v->reason = "reply longer than request";
		return 0;
	}
	return o.len;
}

void sw_worker_init(struct sw_worker *w, unsigned id, const uint8_t secret[16])
{
	if (sodium_init() < 0)
		abort();
	w->id = id;
	memcpy(w->secret, secret, sizeof(w->secret));
}

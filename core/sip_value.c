// SPDX-License-Identifier: BSD-3-Clause
/*
 * Header value parsers, each as deep as a decision of the verdict or the reply needs: the top Via (RFC 3261 20.42,
 * RFC 3581), CSeq (20.16), From/To name-addr / addr-spec (20.20, 20.39), option-tag lists (20.29, 20.32).
 * Values come from sip_msg_parse(): trimmed, possibly folded (CRLF always followed by SP/HTAB), so every CR or LF
 * inside a value is part of an LWS and is skipped like a space.
 */
#include <arpa/inet.h>

#include "sip_msg.h"

struct cur {
	const char *p;
	const char *end;
};

static bool at_end(const struct cur *c)
{
	return c->p >= c->end;
}

static bool peek(const struct cur *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool is_lws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Skip LWS; returns true when anything was skipped. */
static bool skip_lws(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && is_lws(*c->p))
		c->p++;
	return c->p != s;
}

static struct sw_str take_class(struct cur *c, unsigned cls)
{
	const char *s = c->p;

	while (c->p < c->end && sw_is((uint8_t)*c->p, cls))
		c->p++;
	return sw_str_make(s, (uint32_t)(c->p - s));
}

/* SWS ch SWS */
static bool expect_sep(struct cur *c, char ch)
{
	skip_lws(c);
	if (!peek(c, ch))
		return false;
	c->p++;
	skip_lws(c);
	return true;
}

/* quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; any octet but CR/LF may be escaped; NUL is allowed. */
static bool take_quoted(struct cur *c, struct sw_str *out)
{
	const char *s = c->p;

	if (!peek(c, '"'))
		return false;
	for (c->p++; c->p < c->end; c->p++) {
		if (*c->p == '\\') {
			if (c->p + 1 >= c->end || c->p[1] == '\r' || c->p[1] == '\n')
				return false;
			c->p++;
		} else if (*c->p == '"') {
			c->p++;
			*out = sw_str_make(s, (uint32_t)(c->p - s));
			return true;
		}
	}
	return false;
}

/* host = hostname / IPv4address / IPv6reference */
static bool take_host(struct cur *c, struct sw_str *host)
{
	if (peek(c, '[')) {
		const char *s = ++c->p;

		while (c->p < c->end && (sw_is((uint8_t)*c->p, SW_C_HOST) && *c->p != ']' && *c->p != '['))
			c->p++;
		if (!peek(c, ']') || c->p == s)
			return false;
		*host = sw_str_make(s, (uint32_t)(c->p - s));
		c->p++;
		return true;
	}
	const char *s = c->p;

	while (c->p < c->end && sw_is((uint8_t)*c->p, SW_C_HOST) && *c->p != ':' && *c->p != '[' && *c->p != ']')
		c->p++;
	*host = sw_str_make(s, (uint32_t)(c->p - s));
	return host->len != 0;
}

/* gen-value = token / host / quoted-string */
static bool take_gen_value(struct cur *c, struct sw_str *v)
{
	if (peek(c, '"'))
		return take_quoted(c, v);
	if (peek(c, '[')) {
		const char *s = c->p;
		struct sw_str h;

		if (!take_host(c, &h))
			return false;
		*v = sw_str_make(s, (uint32_t)(c->p - s));
		return true;
	}
	/* token, plus ':' so that a bare IPv6 received= (RFC 5118 4.5) reads as one value */
	const char *s = c->p;

	while (c->p < c->end && (sw_is((uint8_t)*c->p, SW_C_TOKEN) || *c->p == ':'))
		c->p++;
	*v = sw_str_make(s, (uint32_t)(c->p - s));
	return v->len != 0;
}

struct param {
	struct sw_str span; /* from the ';' to the end of the value */
	struct sw_str name;
	struct sw_str value; /* empty when the parameter has no '=' */
	bool has_value;
};

/* *( SEMI generic-param ), stopping at ',' or the end. Returns 1 with a param, 0 at the end, -1 on error. */
static int next_param(struct cur *c, struct param *pr)
{
	skip_lws(c);
	if (at_end(c) || peek(c, ','))
		return 0;
	if (!peek(c, ';'))
		return -1;
	pr->span.p = c->p++;
	skip_lws(c);
	pr->name = take_class(c, SW_C_TOKEN);
	if (pr->name.len == 0)
		return -1;
	pr->has_value = false;
	pr->value = SW_STR_NULL;
	const char *after_name = c->p;

	skip_lws(c);
	if (peek(c, '=')) {
		c->p++;
		skip_lws(c);
		if (!take_gen_value(c, &pr->value))
			return -1;
		pr->has_value = true;
	} else {
		c->p = after_name;
	}
	pr->span.len = (uint32_t)(c->p - pr->span.p);
	return 1;
}

static void via_param(struct sip_via *via, const struct param *pr)
{
	if (sw_str_ieq_cstr(pr->name, "branch")) {
		via->branch = pr->value;
	} else if (sw_str_ieq_cstr(pr->name, "rport")) {
		via->has_rport = true;
		via->rport_has_value = pr->has_value;
		via->rport_param = pr->span;
	} else if (sw_str_ieq_cstr(pr->name, "received")) {
		via->received = pr->value;
		via->received_param = pr->span;
	}
}

bool sip_via_parse(struct sw_str value, struct sip_via *via)
{
	struct cur c = { value.p, value.p + value.len };
	struct sw_str proto, ver;
	struct param pr;
	int r;

	memset(via, 0, sizeof(*via));
	skip_lws(&c);
	const char *start = c.p;

	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS) */
	proto = take_class(&c, SW_C_TOKEN);
	if (!proto.len || !expect_sep(&c, '/'))
		return false;
	ver = take_class(&c, SW_C_TOKEN);
	if (!ver.len || !expect_sep(&c, '/'))
		return false;
	via->transport = take_class(&c, SW_C_TOKEN);
	if (!via->transport.len || !skip_lws(&c) || !take_host(&c, &via->host))
		return false;
	if (expect_sep(&c, ':')) {
		uint64_t port;
		struct sw_str digits = take_class(&c, SW_C_DIGIT);

		if (!sw_str_to_u64(digits, 65535, &port) || port == 0)
			return false;
		via->port = (uint16_t)port;
	}
	while ((r = next_param(&c, &pr)) > 0)
		via_param(via, &pr);
	if (r < 0)
		return false;
	via->end = c.p;
	via->value = sw_str_make(start, (uint32_t)(c.p - start));
	while (via->value.len && is_lws(via->value.p[via->value.len - 1]))
		via->value.len--;
	return true;
}

bool sip_cseq_parse(struct sw_str value, uint32_t *number, struct sw_str *method)
{
	struct cur c = { value.p, value.p + value.len };
	uint64_t n;

	skip_lws(&c);
	if (!sw_str_to_u64(take_class(&c, SW_C_DIGIT), 0x7fffffffu, &n) || !skip_lws(&c))
		return false;
	*method = take_class(&c, SW_C_TOKEN);
	skip_lws(&c);
	if (!method->len || !at_end(&c))
		return false;
	*number = (uint32_t)n;
	return true;
}

/* addr-spec inside or outside <>: a URI with a scheme, no LWS; outside <> it ends at the first ';' (20.10). */
static bool take_uri(struct cur *c, bool bracketed)
{
	const char *s = c->p;
	bool colon = false;

	while (c->p < c->end && sw_is((uint8_t)*c->p, SW_C_URIC)) {
		if (!bracketed && (*c->p == ';' || *c->p == ','))
			break;
		if (!bracketed && *c->p == '?')
			return false; /* 20.10: a URI with '?' must be enclosed in <> */
		if (*c->p == '>')
			break;
		colon |= *c->p == ':';
		c->p++;
	}
	return c->p > s && colon;
}

/* display-name = *(token LWS) / quoted-string, then "<" addr-spec ">" */
static bool take_name_addr(struct cur *c)
{
	struct sw_str q;

	if (peek(c, '"')) {
		if (!take_quoted(c, &q))
			return false;
		skip_lws(c);
	} else {
		while (c->p < c->end && sw_is((uint8_t)*c->p, SW_C_TOKEN)) {
			take_class(c, SW_C_TOKEN);
			skip_lws(c);
		}
	}
	if (!peek(c, '<'))
		return false;
	c->p++;
	if (!take_uri(c, true) || !peek(c, '>'))
		return false;
	c->p++;
	return true;
}

/* Does the value use the name-addr form? A '<' before any ';' outside a quoted string says so. */
static bool is_name_addr(struct sw_str v)
{
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.p[i] == '<' || v.p[i] == '"')
			return true;
		if (v.p[i] == ';')
			return false;
	}
	return false;
}

/* One ( name-addr / addr-spec ) *( SEMI param ), ending at ',' or the end of the value. */
static bool take_addr(struct cur *c, struct sw_str *tag)
{
	struct param pr;
	int r;

	*tag = SW_STR_NULL;
	skip_lws(c);
	if (is_name_addr(sw_str_make(c->p, (uint32_t)(c->end - c->p)))) {
		if (!take_name_addr(c))
			return false;
	} else if (!take_uri(c, false)) {
		return false;
	}
	while ((r = next_param(c, &pr)) > 0)
		if (sw_str_ieq_cstr(pr.name, "tag")) {
			if (!pr.value.len)
				return false;
			*tag = pr.value;
		}
	return r == 0;
}

bool sip_addr_parse(struct sw_str value, struct sw_str *tag)
{
	struct cur c = { value.p, value.p + value.len };

	return take_addr(&c, tag) && at_end(&c);
}

bool sip_contact_parse(struct sw_str value)
{
	struct cur c = { value.p, value.p + value.len };
	struct sw_str tag;

	skip_lws(&c);
	if (peek(&c, '*')) {
		c.p++;
		skip_lws(&c);
		return at_end(&c);
	}
	for (;;) {
		if (!take_addr(&c, &tag))
			return false;
		if (at_end(&c))
			return true;
		c.p++; /* the ',' that take_addr stopped at */
	}
}

/* hostport of a sip:/sips: URI: IPv6 only in brackets (RFC 5118 4.2), a port of digits, nothing else. */
static bool hostport_ok(struct sw_str hp)
{
	struct cur c = { hp.p, hp.p + hp.len };
	struct sw_str host;
	char buf[64];
	uint64_t port;

	if (!take_host(&c, &host))
		return false;
	if (host.p > hp.p) {
		unsigned char a[16];

		if (host.len >= sizeof(buf))
			return false;
		memcpy(buf, host.p, host.len);
		buf[host.len] = 0;
		if (inet_pton(AF_INET6, buf, a) != 1)
			return false;
	}
	if (at_end(&c))
		return true;
	if (!peek(&c, ':'))
		return false;
	c.p++;
	return sw_str_to_u64(sw_str_make(c.p, (uint32_t)(c.end - c.p)), 65535, &port);
}

bool sip_ruri_check(struct sw_str uri)
{
	const char *at, *p, *end = uri.p + uri.len;
	uint32_t start;

	if (uri.len > 4 && sw_str_ieq_cstr(sw_str_make(uri.p, 4), "sip:"))
		start = 4;
	else if (uri.len > 5 && sw_str_ieq_cstr(sw_str_make(uri.p, 5), "sips:"))
		start = 5;
	else
		return memchr(uri.p, ':', uri.len) != NULL; /* absoluteURI: any scheme (RFC 4475 3.3.2) */
	/* userinfo may hold ';', '?' and ',' (user-unreserved, RFC 4475 3.1.1.3): hostport starts after its '@' */
	at = memchr(uri.p + start, '@', uri.len - start);
	p = at ? at + 1 : uri.p + start;
	const char *hp = p;

	while (p < end && *p != ';' && *p != '?')
		p++;
	if (!hostport_ok(sw_str_make(hp, (uint32_t)(p - hp))))
		return false;
	/* RFC 3261 19.1.1: the headers component is not allowed in a Request-URI (RFC 4475 3.1.2.11) */
	return memchr(p, '?', (size_t)(end - p)) == NULL;
}
bool sip_token_list_next(struct sw_str value, uint32_t *pos, struct sw_str *tok, bool *bad)
{
	struct cur c = { value.p + *pos, value.p + value.len };

	*bad = false;
	for (;;) {
		skip_lws(&c);
		if (at_end(&c)) {
			*pos = value.len;
			return false;
		}
		if (!peek(&c, ','))
			break;
		c.p++;
	}
	*tok = take_class(&c, SW_C_TOKEN);
	skip_lws(&c);
	if (!tok->len || (!at_end(&c) && !peek(&c, ','))) {
		*bad = true;
		*tok = SW_STR_NULL;
		/* resynchronise at the next comma so the caller can go on */
		while (!at_end(&c) && !peek(&c, ','))
			c.p++;
	}
	*pos = (uint32_t)(c.p - value.p);
	return true;
}

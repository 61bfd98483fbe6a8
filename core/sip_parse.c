// SPDX-License-Identifier: BSD-3-Clause
/*
 * sip_msg_parse(): index a UDP datagram as a SIP message in place (RFC 3261 7, 18.3). One pass over the start line
 * and header section using memchr for line ends; header values are trimmed views, never copied. The body is framed
 * by Content-Length and never read. Errors record the byte offset and a reason fit for a 400 reason phrase.
 * Line ends must be CRLF (RFC 3261 7 / 25.1): a bare LF is a syntax error. Popular servers accept bare LF; a filter
 * at the edge follows the grammar, so that what it passes is what every element behind it parses the same way.
 */
#include "sip_msg.h"

static void msg_reset(struct sip_msg *m, const char *buf, uint32_t len)
{
	m->buf = buf;
	m->len = len;
	m->is_request = false;
	m->method = m->ruri = m->version = m->reason_phrase = SW_STR_NULL;
	m->status = 0;
	m->nhdrs = 0;
	memset(m->first, 0xff, sizeof(m->first));
	memset(m->count, 0, sizeof(m->count));
	m->hdr_end = 0;
	m->content_length = -1;
	m->body = SW_STR_NULL;
	m->status_code = SIP_PARSE_OK;
	m->err_off = 0;
	m->err_reason = NULL;
}

/* Record the first error only: a later one never hides the fault a reply should name. */
static enum sip_parse_status fail(struct sip_msg *m, enum sip_parse_status st, const char *at, const char *why)
{
	if (m->status_code == SIP_PARSE_OK) {
		m->status_code = st;
		m->err_off = (uint32_t)(at - m->buf);
		m->err_reason = why;
	}
	return m->status_code;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_token(const char *p, const char *end)
{
	while (p < end && sw_is((uint8_t)*p, SW_C_TOKEN))
		p++;
	return p;
}

static const char *skip_digits(const char *p, const char *end)
{
	while (p < end && sw_is((uint8_t)*p, SW_C_DIGIT))
		p++;
	return p;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT at p; returns the end or NULL. */
static const char *scan_version(const char *p, const char *end)
{
	const char *d;

	if (end - p < 7 || memcmp(p, "SIP/", 4) != 0)
		return NULL;
	d = skip_digits(p + 4, end);
	if (d == p + 4 || d >= end || *d != '.')
		return NULL;
	p = skip_digits(d + 1, end);
	return p == d + 1 ? NULL : p;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF; cr points at the CR of the line. */
static enum sip_parse_status parse_status_line(struct sip_msg *m, const char *cr)
{
	const char *p = m->buf, *v = scan_version(p, cr);

	m->is_request = false;
	if (!v || v >= cr || *v != ' ')
		return fail(m, SIP_PARSE_BAD_START, v ? v : p, "Malformed Status-Line");
	m->version = sw_str_make(p, (uint32_t)(v - p));
	p = v + 1;
	if (cr - p < 3 || skip_digits(p, p + 3) != p + 3 || (p + 3 < cr && p[3] != ' ') || (p + 3 == cr))
		return fail(m, SIP_PARSE_BAD_START, p, "Malformed Status-Code");
	m->status = (uint32_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	if (m->status < 100 || m->status > 699)
		return fail(m, SIP_PARSE_BAD_START, p, "Status-Code out of range");
	m->reason_phrase = sw_str_make(p + 4, (uint32_t)(cr - (p + 4)));
	return SIP_PARSE_OK;
}

/*
 * Request-Line = Method SP Request-URI SP SIP-Version CRLF, exactly one SP between elements, no LWS in the URI
 * (RFC 4475 3.1.2.6-3.1.2.9). The line counts as SIP once it has a method token, a space and "SIP/" somewhere after:
 * anything else (HTTP, garbage) is not our protocol and is not answered.
 */
static enum sip_parse_status parse_request_line(struct sip_msg *m, const char *cr)
{
	const char *p = m->buf, *t = skip_token(p, cr), *u, *v;

	/* the common case ends in " SIP/2.0": check that before searching the line */
	if (t == p || t >= cr || *t != ' ' ||
	    (!(cr - t >= 8 && memcmp(cr - 8, " SIP/2.0", 8) == 0) && !memmem(t, (size_t)(cr - t), " SIP/", 5)))
		return fail(m, SIP_PARSE_NOT_SIP, p, "Not a SIP message");
	m->is_request = true;
	m->method = sw_str_make(p, (uint32_t)(t - p));
	u = t + 1;
	for (p = u; p < cr && sw_is((uint8_t)*p, SW_C_URIC);)
		p++;
	m->ruri = sw_str_make(u, (uint32_t)(p - u));
	if (p == u || p >= cr || *p != ' ' || !sip_ruri_check(m->ruri))
		return fail(m, SIP_PARSE_BAD_START, p < cr && *p == ' ' ? u : p, "Malformed Request-URI");
	v = scan_version(p + 1, cr);
	if (!v)
		return fail(m, SIP_PARSE_BAD_START, p + 1, "Malformed Request-Line");
	m->version = sw_str_make(p + 1, (uint32_t)(v - (p + 1)));
	if (v != cr)
		return fail(m, SIP_PARSE_BAD_START, v, "Malformed Request-Line");
	return SIP_PARSE_OK;
}

/* Returns the offset of the first header line, or 0 when the message is not SIP at all. */
static uint32_t parse_start_line(struct sip_msg *m)
{
	const char *buf = m->buf, *lf = memchr(buf, '\n', m->len);
	const char *cr = lf ? lf : buf + m->len;

	if (lf && lf > buf && lf[-1] == '\r')
		cr = lf - 1;
	if (m->len >= 4 && memcmp(buf, "SIP/", 4) == 0)
		parse_status_line(m, cr);
	else if (parse_request_line(m, cr) == SIP_PARSE_NOT_SIP)
		return 0;
	if (!lf) {
		fail(m, SIP_PARSE_BAD_START, buf + m->len, "Missing CRLF after start line");
		return 0;
	}
	if (cr == lf)
		fail(m, SIP_PARSE_BAD_START, lf, "Bare LF line ending");
	return (uint32_t)(lf + 1 - buf);
}

/* Find the LF that ends the header line starting at p, following folded continuation lines. */
static const char *line_end(struct sip_msg *m, const char *p, const char *end, uint8_t *flags)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	while (lf && lf + 1 < end && is_ws(lf[1])) {
		*flags |= SIP_HF_FOLDED;
		if (lf[-1] != '\r')
			break;
		lf = memchr(lf + 1, '\n', (size_t)(end - lf - 1));
	}
	if (!lf) {
		fail(m, SIP_PARSE_BAD_HEADER, end, "Missing empty line after header fields");
		return NULL;
	}
	if (lf[-1] != '\r') {
		fail(m, SIP_PARSE_BAD_HEADER, lf, "Bare LF line ending");
		return NULL;
	}
	return lf;
}

static void index_header(struct sip_msg *m, int16_t *last, struct sw_str name, uint8_t id, struct sw_str value,
			 uint8_t flags)
{
	int16_t idx = (int16_t)m->nhdrs++;
	struct sip_hdr *h = &m->hdrs[idx];

	h->name = name;
	h->value = value;
	h->id = id;
	h->flags = flags;
	h->next = -1;
	if (id == SIP_HDR_OTHER)
		return;
	if (m->first[id] < 0)
		m->first[id] = idx;
	else
		m->hdrs[last[id]].next = idx;
	last[id] = idx;
	m->count[id]++;
}

/* Is buf[off] inside a quoted string of the header line that holds it? (NUL is legal only there.) */
static bool in_quoted_string(const struct sip_msg *m, uint32_t off)
{
	const char *at = m->buf + off;

	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		bool q = false;

		if (at < h->value.p || at >= h->value.p + h->value.len)
			continue;
		for (const char *p = h->value.p; p < at; p++) {
			if (q && *p == '\\')
				p++;
			else if (*p == '"')
				q = !q;
		}
		return q;
	}
	return false;
}

/* The value between the colon and the CR: leading and trailing SP/HTAB off (the usual case), else a full trim. */
static struct sw_str header_value(const char *p, const char *cr)
{
	while (p < cr && is_ws(*p))
		p++;
	if (p < cr && (*p == '\r' || *p == '\n'))
		return sw_str_trim(sw_str_make(p, (uint32_t)(cr - p))); /* folded right after the colon */
	while (cr > p && is_ws(cr[-1]))
		cr--;
	return sw_str_make(p, (uint32_t)(cr - p));
}

/* name [WS] ":" — a known name validates itself by matching; any other name must be all token characters. */
static bool header_name(const char *p, const char *colon, struct sw_str *name, uint8_t *id)
{
	const char *e = colon;

	while (e > p && is_ws(e[-1]))
		e--;
	if (e == p)
		return false;
	*name = sw_str_make(p, (uint32_t)(e - p));
	*id = (uint8_t)sip_hdr_lookup(name->p, name->len);
	return *id != SIP_HDR_OTHER || skip_token(p, e) == e;
}

static enum sip_parse_status parse_header_section(struct sip_msg *m, uint32_t off)
{
	const char *p = m->buf + off, *end = m->buf + m->len;
	int16_t last[SIP_HDR__COUNT];

	for (;;) {
		const char *lf, *colon;
		struct sw_str name;
		uint8_t flags = 0, id;

		if (p >= end)
			return fail(m, SIP_PARSE_BAD_HEADER, p, "Missing empty line after header fields");
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			break;
		if (!(lf = line_end(m, p, end, &flags)))
			return m->status_code;
		colon = memchr(p, ':', (size_t)(lf - p));
		if (!colon)
			return fail(m, SIP_PARSE_BAD_HEADER, p, "Missing colon after header field name");
		if (!header_name(p, colon, &name, &id))
			return fail(m, SIP_PARSE_BAD_HEADER, p, "Malformed header field name");
		if (m->nhdrs == SIP_MAX_HEADERS)
			return fail(m, SIP_PARSE_TOO_MANY_HEADERS, p, "Too many header fields");
		index_header(m, last, name, id, header_value(colon + 1, lf - 1), flags);
		p = lf + 1;
	}
	m->hdr_end = (uint32_t)(p + 2 - m->buf);

	/* A raw NUL is legal only inside a quoted string (and the body): one SIMD memchr covers the common case. */
	const char *nul = memchr(m->buf + off, 0, m->hdr_end - off);

	while (nul) {
		uint32_t at = (uint32_t)(nul - m->buf);

		if (!in_quoted_string(m, at))
			return fail(m, SIP_PARSE_BAD_HEADER, nul, "NUL byte in header section");
		nul = memchr(nul + 1, 0, m->hdr_end - at - 1);
	}
	return m->status_code;
}

enum sip_parse_status sip_msg_parse_headers(struct sip_msg *m, const char *buf, uint32_t len)
{
	uint32_t off;

	msg_reset(m, buf, len);
	off = parse_start_line(m);
	if (off == 0)
		return m->status_code;
	parse_header_section(m, off);
	return m->status_code;
}

/* RFC 3261 18.3: over UDP, Content-Length larger than the body is an error; smaller, the surplus is dropped. */
static enum sip_parse_status frame_body(struct sip_msg *m)
{
	const struct sip_hdr *cl = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	uint32_t avail = m->len - m->hdr_end;
	uint64_t n;

	if (!cl) {
		m->body = sw_str_make(m->buf + m->hdr_end, avail);
		return SIP_PARSE_OK;
	}
	if (m->count[SIP_HDR_CONTENT_LENGTH] > 1)
		return fail(m, SIP_PARSE_BAD_FRAMING, m->hdrs[cl->next].name.p, "Multiple Content-Length header fields");
	if (!sw_str_to_u64(cl->value, UINT32_MAX, &n))
		return fail(m, SIP_PARSE_BAD_FRAMING, cl->value.p, "Malformed Content-Length header field");
	m->content_length = (int64_t)n;
	if (n > avail)
		return fail(m, SIP_PARSE_BAD_FRAMING, cl->value.p, "Content-Length larger than message body");
	m->body = sw_str_make(m->buf + m->hdr_end, (uint32_t)n);
	return SIP_PARSE_OK;
}

enum sip_parse_status sip_msg_frame(struct sip_msg *m)
{
	if (m->status_code != SIP_PARSE_OK)
		return m->status_code;
	return frame_body(m);
}

enum sip_parse_status sip_msg_parse(struct sip_msg *m, const char *buf, uint32_t len)
{
	if (sip_msg_parse_headers(m, buf, len) != SIP_PARSE_OK)
		return m->status_code;
	return frame_body(m);
}

uint32_t sip_hdr_unfold(const struct sip_hdr *h, char *out, uint32_t cap)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < h->value.len && n < cap; i++) {
		char c = h->value.p[i];

		if (c == '\r' || c == '\n') {
			/* [*WSP] CRLF 1*WSP is one LWS: drop the WSP already written, skip the rest, write one SP */
			while (n && is_ws(out[n - 1]))
				n--;
			while (i + 1 < h->value.len && (h->value.p[i + 1] == '\r' || h->value.p[i + 1] == '\n' ||
							is_ws(h->value.p[i + 1])))
				i++;
			c = ' ';
		}
		out[n++] = c;
	}
	return n;
}

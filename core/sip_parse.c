// SPDX-License-Identifier: BSD-3-Clause
/*
 * sip_msg_parse(): index a UDP datagram as a SIP message in place (RFC 3261 7, 18.3). One pass over the start line
 * and header section: a structural scan (struct scan) turns each 64-byte block into bitmasks of LF, ':' and NUL,
 * and the line walker iterates their set bits; header values are trimmed views, never copied. The body is framed
 * by Content-Length and never read. Errors record the byte offset and a reason fit for a 400 reason phrase.
 * Line ends must be CRLF (RFC 3261 7 / 25.1): a bare LF is a syntax error. Popular servers accept bare LF; a filter
 * at the edge follows the grammar, so that what it passes is what every element behind it parses the same way.
 */
#include "sip_int.h"

#include <immintrin.h>

#define NONE UINT32_MAX

/*
 * The structural scan (simdjson's stage 1, done lazily): bitmasks of LF and ':' for a 64-byte window of buf, bit i
 * for byte base + i. The line walker reads the next LF and the first colon of a line off the masks with one shift
 * and one count-trailing-zeros; when the rest of the window holds no LF, the window moves to the line start.
 * So the scan follows the walker, stops where the header section does, and never touches a large body.
 * No load reaches past buf + len: a window that would is loaded as the last 64 bytes of buf and shifted (or, for a
 * datagram under 64 bytes, with a masked load on AVX-512 or from a copy). NUL and bare CR are not the walker's
 * business: once the header section is whole, section_clean() looks for them in it, in one pass.
 */
struct scan {
	const char *buf;
	uint64_t lf;
	uint32_t len;
	uint32_t base; /* offset of the byte that bit 0 stands for */
	/*
	 * Not next to lf: GCC would pack the two stores of a window load into one vector store, and the next line's
	 * 8-byte loads of lf and colon would wait on it.
	 */
	uint64_t colon;
};

/* The LF, ':' and CR splats, from memory (sw_splat, core/sw_str.h). */
#define splat_lf sw_splat[SW_SPL_LF]
#define splat_colon sw_splat[SW_SPL_COLON]
#define splat_cr sw_splat[SW_SPL_CR]

#if defined(__AVX512BW__)
static inline void masks64(const char *p, uint64_t *lf, uint64_t *colon)
{
	__m512i v = _mm512_loadu_si512(p);

	*lf = _mm512_cmpeq_epi8_mask(v, _mm512_load_si512(splat_lf));
	*colon = _mm512_cmpeq_epi8_mask(v, _mm512_load_si512(splat_colon));
}

/* Fewer than 64 bytes in all: a masked load reads only p[0..n) (the zeroed lanes are neither LF nor ':'). */
static void masks_short(const char *p, uint32_t n, uint64_t *lf, uint64_t *colon)
{
	__mmask64 k = (1ull << n) - 1;
	__m512i v = _mm512_maskz_loadu_epi8(k, p);

	*lf = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
	*colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
}
#else
#if defined(__AVX2__)
static inline uint64_t eq64(__m256i a, __m256i b, const char *splat)
{
	__m256i x = _mm256_load_si256((const __m256i *)splat);

	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, x)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, x)) << 32;
}

static inline void masks64(const char *p, uint64_t *lf, uint64_t *colon)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));

	*lf = eq64(a, b, splat_lf);
	*colon = eq64(a, b, splat_colon);
}
#else
static inline uint64_t eq64(const __m128i v[4], char c)
{
	__m128i x = _mm_set1_epi8(c);
	uint64_t m = 0;

	for (int i = 0; i < 4; i++)
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[i], x)) << (16 * i);
	return m;
}

static inline void masks64(const char *p, uint64_t *lf, uint64_t *colon)
{
	__m128i v[4];

	for (int i = 0; i < 4; i++)
		v[i] = _mm_loadu_si128((const __m128i *)(p + 16 * i));
	*lf = eq64(v, '\n');
	*colon = eq64(v, ':');
}
#endif

/* Fewer than 64 bytes in all: scan a zero-padded copy, then mask the padding off. */
static void masks_short(const char *p, uint32_t n, uint64_t *lf, uint64_t *colon)
{
	char tail[64];
	uint64_t k = (1ull << n) - 1;

	memcpy(tail, p, n);
	memset(tail + n, 0, 64 - n);
	masks64(tail, lf, colon);
	*lf &= k;
	*colon &= k;
}
#endif

/*
 * The window at byte at when fewer than 64 bytes are left: the last 64 bytes of buf, shifted so that bit 0 is byte
 * at (the bits past the end shift in as 0), or for a datagram under 64 bytes a bounded short scan.
 */
static __attribute__((noinline)) void scan_load_tail(struct scan *s, uint32_t at)
{
	uint32_t n = s->len - at;

	if (s->len >= 64) {
		masks64(s->buf + s->len - 64, &s->lf, &s->colon);
		s->lf >>= 64 - n;
		s->colon >>= 64 - n;
	} else {
		masks_short(s->buf + at, n, &s->lf, &s->colon);
	}
}

/*
 * Move the window to start at byte at (< len). Returns the new LF mask: the line walker finds the line end in the
 * register, not by reading back the store.
 */
static inline uint64_t scan_load(struct scan *s, uint32_t at)
{
	uint64_t lf;

	s->base = at;
	if (__builtin_expect(s->len - at >= 64, 1)) {
		masks64(s->buf + at, &lf, &s->colon);
		s->lf = lf;
	} else {
		scan_load_tail(s, at);
		lf = s->lf;
	}
	return lf;
}

static void scan_init(struct scan *s, const char *buf, uint32_t len)
{
	s->buf = buf;
	s->len = len;
	s->base = 0;
	s->lf = s->colon = 0;
	if (len)
		scan_load(s, 0);
}

/*
 * The first LF at or after q (base <= q < len), or NONE; on the way *colon becomes the first ':' at or after q
 * when it is still NONE. Moves the window forward 64 bytes at a time: the path of lines that cross a window end.
 */
static __attribute__((noinline)) uint32_t scan_lf_slow(struct scan *s, uint32_t q, uint32_t *colon)
{
	for (;;) {
		uint32_t sh = q - s->base;

		if (sh < 64) {
			uint64_t l = s->lf >> sh, c = s->colon >> sh;

			if (*colon == NONE && c)
				*colon = q + (uint32_t)__builtin_ctzll(c);
			if (l)
				return q + (uint32_t)__builtin_ctzll(l);
		}
		if (s->len - s->base <= 64)
			return NONE;
		scan_load(s, sh < 64 ? s->base + 64 : q);
		if (q < s->base)
			q = s->base;
	}
}

/*
 * The line starting at p (base <= p < len): its first LF, or NONE; *colon is the first ':' at or after p (it may
 * lie past the LF), or NONE when there is none in the windows looked at. One shift and two tzcnt when the line
 * ends in the window; one more window load when it ends in the next 64 bytes.
 */
static inline uint32_t scan_line(struct scan *s, uint32_t p, uint32_t *colon)
{
	uint32_t sh = p - s->base, next = s->base + 64;

	if (__builtin_expect(sh < 64, 1)) {
		uint64_t l = s->lf >> sh, c = s->colon >> sh;
		uint32_t cp = c ? p + (uint32_t)__builtin_ctzll(c) : NONE;

		if (l) {
			*colon = cp;
			return p + (uint32_t)__builtin_ctzll(l);
		}
		if (s->len - next >= 64 && s->len > next) {
			scan_load(s, next);
			if (s->lf) {
				if (cp == NONE && s->colon)
					cp = next + (uint32_t)__builtin_ctzll(s->colon);
				*colon = cp;
				return next + (uint32_t)__builtin_ctzll(s->lf);
			}
			*colon = cp;
			return scan_lf_slow(s, next, colon);
		}
	}
	*colon = NONE;
	return scan_lf_slow(s, p, colon);
}

/* sw_cclass token and URIC as classes for sw_span() (the method and the Request-URI). */
static struct sw_cset token_set, uric_set;

__attribute__((constructor)) static void parse_sets_init(void)
{
	sw_cset_init(&token_set, sw_cclass, SW_C_TOKEN);
	sw_cset_init(&uric_set, sw_cclass, SW_C_URIC);
}

static void msg_reset(struct sip_msg *m, const char *buf, uint32_t len)
{
	m->buf = buf;
	m->len = len;
	m->is_request = false;
	/*
	 * One store each: as a chained assignment, GCC stored the first and copied it to the others with a 16-byte load
	 * of its two smaller stores, which cannot be forwarded (a stall of some ten cycles per datagram).
	 */
	m->method = SW_STR_NULL;
	m->ruri = SW_STR_NULL;
	m->version = SW_STR_NULL;
	m->reason_phrase = SW_STR_NULL;
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

/*
 * The first byte of [p, end) that is not a token character, or end; the buffer may be read back to lo. Out of line:
 * only names the lookup does not know come here, and sw_span()'s constants inline would take registers from the
 * line loop (GCC then kept the next line's start on the stack).
 */
static __attribute__((noinline)) const char *skip_token(const char *lo, const char *p, const char *end)
{
	return sw_span(p, end, lo, &token_set);
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

#if defined(__AVX512BW__)
/* The bytes of the 64 at p outside the URI class, as a mask (the class's nibble lookups, as sw_cset's). */
static inline __mmask64 uric_miss64(const char *p, __m512i nib, __m512i rows, __m512i f)
{
	__m512i x = _mm512_loadu_si512(p);

	return _mm512_testn_epi8_mask(_mm512_shuffle_epi8(nib, _mm512_and_si512(x, f)),
				      _mm512_shuffle_epi8(rows, _mm512_and_si512(_mm512_srli_epi16(x, 4), f)));
}
#endif

/*
 * The Request-URI's extent: sw_span(p, end, lo, &uric_set), 128 or 64 bytes a step (the nibble lookup of
 * sw_cset_miss16() on 64-byte vectors, or on two 32-byte halves with one test for both), then sw_span() for the last
 * 1..63 bytes.
 * The usual URI ends in the first step; a long one (a 414) costs a step per 64 bytes. No load outside [lo, end).
 */
static inline const char *uri_span(const char *p, const char *end, const char *lo)
{
#if defined(__AVX512BW__)
	const __m512i f = _mm512_load_si512(sw_splat[SW_SPL_NIB_F]);
	const __m512i rows = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)sw_nib_rows));
	const __m512i nib = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)uric_set.nib));

	/* 128 bytes a step while they fit (a long URI, the 414's, is read at two loads per branch), then 64 */
	for (; end - p >= 128; p += 128) {
		__mmask64 mx = uric_miss64(p, nib, rows, f), my = uric_miss64(p + 64, nib, rows, f);

		if (mx | my)
			return mx ? p + __builtin_ctzll(mx) : p + 64 + __builtin_ctzll(my);
	}
	for (; end - p >= 64; p += 64) {
		__mmask64 miss = uric_miss64(p, nib, rows, f);

		if (miss)
			return p + __builtin_ctzll(miss);
	}
#elif defined(__AVX2__)
	const __m256i f = _mm256_load_si256((const __m256i *)sw_splat[SW_SPL_NIB_F]);
	const __m256i rows = _mm256_load_si256((const __m256i *)sw_nib_rows);
	const __m256i nib = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)uric_set.nib));
	const __m256i zero = _mm256_setzero_si256();

	for (; end - p >= 64; p += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
		__m256i ia = _mm256_and_si256(_mm256_shuffle_epi8(nib, _mm256_and_si256(a, f)),
					      _mm256_shuffle_epi8(rows, _mm256_and_si256(_mm256_srli_epi16(a, 4), f)));
		__m256i ib = _mm256_and_si256(_mm256_shuffle_epi8(nib, _mm256_and_si256(b, f)),
					      _mm256_shuffle_epi8(rows, _mm256_and_si256(_mm256_srli_epi16(b, 4), f)));

		/* a byte in the class has a non-zero lane in ia/ib: one test for both halves, the masks only at the end */
		if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(ia, ib), zero))) {
			uint64_t miss = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ia, zero)) |
					(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ib, zero)) << 32;

			return p + __builtin_ctzll(miss);
		}
	}
	if (end - p >= 32) {
		uint32_t miss = sw_cset_miss32(_mm256_loadu_si256((const __m256i *)p), &uric_set);

		if (miss)
			return p + __builtin_ctz(miss);
		p += 32;
	}
#endif
	return sw_span(p, end, lo, &uric_set);
}

/*
 * Request-Line = Method SP Request-URI SP SIP-Version CRLF, exactly one SP between elements, no LWS in the URI
 * (RFC 4475 3.1.2.6-3.1.2.9). The line counts as SIP once it has a method token, a space and "SIP/" somewhere after:
 * anything else (HTTP, garbage) is not our protocol and is not answered. The method ends at t and the URI spans
 * [u, p) (u NULL when no SP follows a method): parse_start_line() spanned them up to the datagram's end, which gives
 * what spans up to cr would (the CR or LF at cr is in neither class).
 */
static enum sip_parse_status parse_request_line(struct sip_msg *m, const char *cr, uint32_t ruri_max, const char *t,
						const char *u, const char *p)
{
	const char *v;
	struct sw_str ruri;

	/* the usual line ends in " SIP/x.y" (2.0, or another version for a 505): check there before searching the line */
	if (!u || (!(cr - t >= 8 && memcmp(cr - 8, " SIP/", 5) == 0) && !memmem(t, (size_t)(cr - t), " SIP/", 5)))
		return fail(m, SIP_PARSE_NOT_SIP, m->buf, "Not a SIP message");
	m->is_request = true;
	m->method = sw_str_make(m->buf, (uint32_t)(t - m->buf));
	/*
	 * The check takes the local, not m->ruri: read back, its length word would be one 8-byte load of the 4-byte
	 * store just made and its padding, which the CPU cannot forward from the store (a stall per request).
	 */
	ruri = sw_str_make(u, (uint32_t)(p - u));
	m->ruri = ruri;
	if (p == u || p >= cr || *p != ' ' ||
	    (ruri.len <= ruri_max && !sip_ruri_check_in(ruri, m->buf, m->buf + m->len)))
		return fail(m, SIP_PARSE_BAD_START, p < cr && *p == ' ' ? u : p, "Malformed Request-URI");
	/* the URI ended at the " SIP/2.0" that ends the line: that is the version (what scan_version() would find) */
	v = p == cr - 8 && memcmp(p, " SIP/2.0", 8) == 0 ? cr : scan_version(p + 1, cr);
	if (!v)
		return fail(m, SIP_PARSE_BAD_START, p + 1, "Malformed Request-Line");
	m->version = sw_str_make(p + 1, (uint32_t)(v - (p + 1)));
	if (v != cr)
		return fail(m, SIP_PARSE_BAD_START, v, "Malformed Request-Line");
	return SIP_PARSE_OK;
}

/* " SIP/2.0\r\n" at p (10 bytes readable): two loads, two compares. */
static inline bool sip20_crlf_at(const char *p)
{
	uint64_t a;
	uint16_t b;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 2);
	return ((a ^ 0x302e322f50495320ull) | (uint64_t)(b ^ 0x0a0du)) == 0;
}
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "sip20_crlf_at() compares little-endian words");

/*
 * Returns the offset of the first header line, or 0 when the message is not SIP at all; leaves the scan's window
 * at or before that line (parse_header_section() goes on from there).
 *
 * A request's method and Request-URI are spanned first, by their classes, up to the datagram's end. When SP and a
 * SIP-Version ("SIP/2.0", or any other for a 505) and CRLF follow the URI (the usual line), that CRLF ends the line:
 * none of the method, URI and version classes holds an LF, so it is the first LF of the datagram, the one the
 * structural scan would find, and the fields are what parse_request_line() would make of the line. The scan then
 * starts at the header section: a long Request-URI (a 414) is read once, by its class, and the scan never walks it.
 * Any other start line takes the general path: the structural scan finds the first LF, and the spans are reused.
 */
static uint32_t parse_start_line(struct sip_msg *m, struct scan *s, uint32_t ruri_max)
{
	const char *buf = m->buf, *end = buf + m->len, *t = buf, *u = NULL, *p = NULL, *v, *lf, *cr;
	bool status = m->len >= 4 && memcmp(buf, "SIP/", 4) == 0;
	uint32_t colon, at;

	if (!status) {
		t = sw_span(buf, end, buf, &token_set);
		if (t > buf && t < end && *t == ' ') {
			u = t + 1;
			p = uri_span(u, end, buf);
			/* the version's end: " SIP/2.0" CRLF at once, else any other version (a 505) followed by CRLF */
			if (p == u || end - p < 10)
				v = NULL;
			else if (sip20_crlf_at(p))
				v = p + 8;
			else if (*p != ' ' || !(v = scan_version(p + 1, end)) || end - v < 2 || v[0] != '\r' ||
				 v[1] != '\n')
				v = NULL;
			if (v) {
				struct sw_str ruri = sw_str_make(u, (uint32_t)(p - u));

				m->is_request = true;
				m->method = sw_str_make(buf, (uint32_t)(t - buf));
				m->ruri = ruri;
				/* as parse_request_line(): no version recorded for a malformed URI */
				if (ruri.len <= ruri_max && !sip_ruri_check_in(ruri, buf, end))
					fail(m, SIP_PARSE_BAD_START, u, "Malformed Request-URI");
				else
					m->version = sw_str_make(p + 1, (uint32_t)(v - (p + 1)));
				at = (uint32_t)(v + 2 - buf);
				s->buf = buf;
				s->len = m->len;
				if (at < m->len) {
					scan_load(s, at);
				} else {
					s->base = at;
					s->lf = s->colon = 0;
				}
				return at;
			}
		}
	}
	scan_init(s, buf, m->len);
	at = m->len ? scan_line(s, 0, &colon) : NONE;
	lf = at == NONE ? NULL : buf + at;
	cr = lf ? lf : end;
	if (lf && lf > buf && lf[-1] == '\r')
		cr = lf - 1;
	if (status)
		parse_status_line(m, cr);
	else if (parse_request_line(m, cr, ruri_max, t, u, p) == SIP_PARSE_NOT_SIP)
		return 0;
	if (!lf) {
		fail(m, SIP_PARSE_BAD_START, buf + m->len, "Missing CRLF after start line");
		return 0;
	}
	if (cr == lf)
		fail(m, SIP_PARSE_BAD_START, lf, "Bare LF line ending");
	return (uint32_t)(lf + 1 - buf);
}

/*
 * A folded header line: the LF at lf is followed by SP/HTAB. Follow the continuation lines to the LF that ends the
 * header field; a bare LF before a continuation ends the search (the caller reports it). Returns the LF (NONE when
 * there is none) in the low half and the colon in the high half.
 */
static __attribute__((noinline)) uint64_t fold_end(const struct sip_msg *m, struct scan *s, uint32_t lf,
						   uint32_t colon)
{
	do {
		if (m->buf[lf - 1] != '\r')
			break;
		lf = scan_lf_slow(s, lf + 1, &colon);
	} while (lf != NONE && lf + 1 < m->len && is_ws(m->buf[lf + 1]));
	return lf | (uint64_t)colon << 32;
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

/* id, flags and next = -1 of a new index entry, as one 32-bit store (they are adjacent: checked below). */
static inline void hdr_set_tail(struct sip_hdr *h, uint8_t id, uint8_t flags)
{
	uint32_t w = (uint32_t)id | (uint32_t)flags << 8 | 0xffffu << 16;

	memcpy(&h->id, &w, sizeof(w));
}
_Static_assert(offsetof(struct sip_hdr, flags) == offsetof(struct sip_hdr, id) + 1 &&
		       offsetof(struct sip_hdr, next) == offsetof(struct sip_hdr, id) + 2 && sizeof(int16_t) == 2,
	       "id, flags, next are one 32-bit word");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "hdr_set_tail() packs little-endian");

static inline bool ws_at(const char *buf, uint32_t i)
{
	return sw_is((uint8_t)buf[i], SW_C_WS);
}

/*
 * The value between the colon and the CR at cr (buf[cr] is '\r', which bounds both loops): leading and trailing
 * SP/HTAB off (the usual case), else, when folded right after the colon, a full trim.
 */
static inline struct sw_str header_value(const char *buf, uint32_t v, uint32_t cr)
{
	uint32_t e = cr;

	v += buf[v] == ' '; /* the usual single SP after the colon */
	while (__builtin_expect(ws_at(buf, v), 0))
		v++;
	if (v == cr)
		return sw_str_make(buf + v, 0);
	if (__builtin_expect(buf[v] == '\r' || buf[v] == '\n', 0))
		return sw_str_trim(sw_str_make(buf + v, cr - v)); /* folded right after the colon */
	while (__builtin_expect(ws_at(buf, e - 1), 0)) /* stops at buf[v], which is not SP/HTAB */
		e--;
	return sw_str_make(buf + v, e - v);
}

static const char *bare_cr(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p == '\r' && (p + 1 >= end || p[1] != '\n'))
			return p;
	return end;
}

/*
 * A fault found after the header lines were indexed (a NUL, a bare CR): record it, and keep in the index only the
 * lines before the one that holds it, as sip_msg_parse_headers() promises, so that no reply copies such a byte.
 */
static enum sip_parse_status fail_from_line(struct sip_msg *m, const char *at, const char *why)
{
	int16_t last[SIP_HDR__COUNT];
	uint16_t line = 0;

	/* the faulty line is the last one whose name starts at or before the fault */
	while (line + 1 < m->nhdrs && m->hdrs[line + 1].name.p <= at)
		line++;
	m->nhdrs = line;
	memset(m->first, 0xff, sizeof(m->first));
	memset(m->count, 0, sizeof(m->count));
	for (uint16_t i = 0; i < line; i++) {
		struct sip_hdr *h = &m->hdrs[i];

		h->next = -1;
		if (h->id == SIP_HDR_OTHER)
			continue;
		if (m->count[h->id]++ == 0)
			m->first[h->id] = (int16_t)i;
		else
			m->hdrs[last[h->id]].next = (int16_t)i;
		last[h->id] = (int16_t)i;
	}
	return fail(m, SIP_PARSE_BAD_HEADER, at, why);
}

/*
 * After an error inside the header section: the lines indexed so far were not checked for NUL and bare CR (that
 * runs once the section is whole). Check them now, so that a reply built from the index never copies such a byte.
 */
static __attribute__((noinline)) void scrub_index(struct sip_msg *m, uint32_t off)
{
	const struct sip_hdr *l;
	const char *end, *c;

	if (!m->nhdrs)
		return;
	l = &m->hdrs[m->nhdrs - 1];
	end = l->value.p + l->value.len;
	c = bare_cr(m->buf + off, end);
	if (c < end)
		fail_from_line(m, c, "Bare CR in header section");
	for (c = memchr(m->buf + off, 0, (size_t)(end - (m->buf + off))); c && m->nhdrs;
	     c = memchr(c + 1, 0, (size_t)(end - c - 1)))
		if (!in_quoted_string(m, (uint32_t)(c - m->buf)))
			fail_from_line(m, c, "NUL byte in header section");
}

/*
 * No NUL and no bare CR (a CR not followed by LF) in buf[off..end), the header section after the start line: its
 * last byte is an LF, so every CR in it has its next byte in it. One pass of wide loads, none past end; the
 * faults themselves are rare and section_faults() finds them byte by byte.
 */
#if !defined(__AVX512BW__) && defined(__AVX2__)
/* The bytes of q[0..32) that are NUL, or a CR not followed by LF (q[32] is read), as 0xff lanes. */
static inline __m256i dirty32(const char *q, __m256i cr, __m256i lf, __m256i zero)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)q), y = _mm256_loadu_si256((const __m256i *)(q + 1));

	return _mm256_or_si256(_mm256_cmpeq_epi8(x, zero), _mm256_andnot_si256(_mm256_cmpeq_epi8(y, lf),
										 _mm256_cmpeq_epi8(x, cr)));
}
#endif

static bool section_clean(const char *buf, uint32_t off, uint32_t end)
{
#if defined(__AVX512BW__)
	const __m512i cr = _mm512_load_si512(splat_cr), lf = _mm512_load_si512(splat_lf);
	uint32_t i = off, n;
	__m512i x, y;
	__mmask64 z, c, l;

	/* q + 64 < buf + end: the load at q + 1 ends inside the section too (pointer bounds: one compare a step) */
	if (end - i > 64) {
		const char *q = buf + i, *stop = buf + end - 64;

		do {
			x = _mm512_loadu_si512(q);
			y = _mm512_loadu_si512(q + 1);
			if (_kortestz_mask64_u8(_mm512_testn_epi8_mask(x, x),
						_mm512_mask_cmpneq_epi8_mask(_mm512_cmpeq_epi8_mask(x, cr), y, lf)) == 0)
				return false;
			q += 64;
		} while (q < stop);
		i = (uint32_t)(q - buf);
	}
	/* the last 1..64 bytes, as the 64 bytes that end the section (its last byte, an LF, needs no next byte) */
	n = end - i;
	if (end < 64)
		x = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, n), buf + i);
	else
		x = _mm512_loadu_si512(buf + end - 64);
	z = _mm512_testn_epi8_mask(x, x);
	c = _mm512_cmpeq_epi8_mask(x, cr);
	l = _mm512_cmpeq_epi8_mask(x, lf);
	if (end < 64) /* the bytes were loaded at i: the lanes past n are zeroed, not NULs */
		return ((z & _bzhi_u64(~0ull, n)) | (c & ~(l >> 1))) == 0;
	return ((z | (c & ~(l >> 1))) >> (64 - n)) == 0;
#elif defined(__AVX2__)
	const __m256i cr = _mm256_load_si256((const __m256i *)splat_cr), lf = _mm256_load_si256((const __m256i *)splat_lf);
	const __m256i zero = _mm256_setzero_si256();
	uint32_t i = off, n;
	__m256i x;

	/*
	 * q + 32 < buf + end: the load at q + 1 ends inside the section too. 64 bytes a step while they fit (one
	 * movemask, one test and one pointer compare for both halves), then at most one step of 32.
	 */
	if (end - i > 32) {
		const char *q = buf + i, *stop = buf + end - 32;

		for (; stop - q > 32; q += 64)
			if (_mm256_movemask_epi8(_mm256_or_si256(dirty32(q, cr, lf, zero), dirty32(q + 32, cr, lf, zero))))
				return false;
		if (q < stop) {
			if (_mm256_movemask_epi8(dirty32(q, cr, lf, zero)))
				return false;
			q += 32;
		}
		i = (uint32_t)(q - buf);
	}
	/* the last 1..32 bytes, as the 32 bytes that end the section (its last byte, an LF, needs no next byte) */
	n = end - i;
	if (end < 32)
		return !memchr(buf + i, 0, n) && bare_cr(buf + i, buf + end) == buf + end;
	x = _mm256_loadu_si256((const __m256i *)(buf + end - 32));
	uint32_t z = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, zero));
	uint32_t c = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cr));
	uint32_t l = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, lf));

	return ((z | (c & ~(l >> 1))) >> (32 - n)) == 0;
#else
	return !memchr(buf + off, 0, end - off) && bare_cr(buf + off, buf + end) == buf + end;
#endif
}

/* What section_clean() turned down: the first NUL outside a quoted string, else the first bare CR, as a 400. */
static __attribute__((noinline)) enum sip_parse_status section_faults(struct sip_msg *m, uint32_t off)
{
	const char *buf = m->buf, *end = buf + m->hdr_end, *c;

	for (c = memchr(buf + off, 0, (size_t)(end - (buf + off))); c; c = memchr(c + 1, 0, (size_t)(end - c - 1)))
		if (!in_quoted_string(m, (uint32_t)(c - buf)))
			return fail_from_line(m, c, "NUL byte in header section");
	c = bare_cr(buf + off, end);
	if (c < end)
		return fail_from_line(m, c, "Bare CR in header section");
	return m->status_code;
}

/*
 * The usual header line, read off the scan's masks alone: its LF in the window (or in the next one, which is then
 * loaded, as scan_line() would), a colon before it, CRLF at its end and no continuation line after it, and a name
 * and value with no whitespace to trim (bytes <= 0x20 there send the line to the general path, which trims them).
 * Returns false for anything else, with the window moved back to hold p (scan_line() needs base <= p), so that the
 * general path reads the line from the start and reports what is wrong with it.
 */
/* Trailing zeros of x, 64 when x is 0 (one tzcnt with BMI1). */
static inline uint32_t tz64(uint64_t x)
{
#if defined(__BMI__)
	return (uint32_t)_tzcnt_u64(x);
#else
	return x ? (uint32_t)__builtin_ctzll(x) : 64;
#endif
}

/* scan_load() out of the line loop: the window moved back to a line that takes the general path. */
static __attribute__((noinline, cold)) void scan_back(struct scan *s, uint32_t p)
{
	scan_load(s, p);
}

static inline bool line_fast(struct scan *s, const char *buf, uint32_t len, uint32_t p, uint32_t *lfo,
			     uint32_t *colono)
{
	uint32_t sh = p - s->base, lf, colon = NONE, next;
	uint64_t l = 0;

	if (__builtin_expect(sh < 64, 1)) {
		l = s->lf >> sh;
		colon = p + tz64(s->colon >> sh); /* past the window (>= base + 64) when it holds no colon after p */
	}
	if (__builtin_expect(l != 0, 1)) {
		lf = p + (uint32_t)__builtin_ctzll(l);
	} else {
		/* the line ends past the window: the next 64 bytes, or the tail of the datagram */
		next = sh < 64 ? s->base + 64 : p;
		if (next >= len)
			return false;
		l = scan_load(s, next);
		if (!l)
			goto undo;
		lf = next + (uint32_t)__builtin_ctzll(l);
		if (colon >= next) /* no colon after p in the old window: the first in the new one (or past it) */
			colon = next + tz64(s->colon);
	}
	/*
	 * colon == p (no name) is among the bytes <= ' ' at colon - 1: buf[p - 1] is the LF before the line. The byte
	 * after the LF: a byte <= ' ' other than CR (which may start the empty line) sends the line to the general
	 * path, which takes SP/HTAB as a continuation line (a compare, where ws_at() needs the class table's address).
	 */
	if (colon >= lf || buf[lf - 1] != '\r' || lf + 1 >= len || (uint8_t)buf[colon - 1] <= ' ' ||
	    ((uint8_t)buf[lf + 1] <= ' ' && buf[lf + 1] != '\r'))
		goto undo;
	*lfo = lf;
	*colono = colon;
	return true;
undo:
	if (p < s->base)
		scan_back(s, p);
	return false;
}

/* header_value() out of the line loop: the rare value with whitespace to trim. */
static __attribute__((noinline, cold)) struct sw_str value_trim(const char *buf, uint32_t v, uint32_t cr)
{
	return header_value(buf, v, cr);
}

/* The value of a line_fast() line: one SP after the colon skipped, else nothing to trim (or header_value()). */
static inline struct sw_str value_fast(const char *buf, uint32_t colon, uint32_t cr)
{
	/* as pointers: with 32-bit offsets GCC zero-extends and copies each one it adds to buf */
	const char *v = buf + colon + 1, *e = buf + cr;

	v += *v == ' ';
	if (__builtin_expect((uint8_t)*v <= ' ' || (uint8_t)e[-1] <= ' ', 0))
		return value_trim(buf, colon + 1, cr);
	return sw_str_make(v, (uint32_t)(e - v));
}

/*
 * The header lines, from off to the empty line. Per line: the LF and the colon come off the scan's masks, the name
 * is looked up inline (a known name validates itself by matching; any other must be all token characters), and
 * the value is trimmed of the SP/HTAB around it; the chains of the index (m->first, m->count, next) are linked
 * once at the end (chain_index()). The usual line takes line_fast(); any other (folded, bare LF, whitespace
 * around the name or value, a fault) the general path below. The loop's rare exits (fail_hdr(),
 * value_trim(), scan_back()) are out of line and cold, so that the loop keeps fewer values live across code it
 * does not run.
 */
/* Index entry h: the name and value; id, flags and next = -1 (chain_index() links it to its id's chain). */
static inline void index_line(struct sip_hdr *h, struct sw_str name, struct sw_str value, uint8_t id, uint8_t flags)
{
	h->name = name;
	h->value = value;
	hdr_set_tail(h, id, flags);
}

/*
 * m->first, m->count and each entry's next for the entries [0, nh), from their ids, once the line loop is done
 * (or has failed): backwards, each line of a known id goes in front of its chain. The line loop then stores one
 * word for id, flags and next, and keeps neither chain tails nor m->count live (m->first is all -1 and m->count
 * all 0 from msg_reset()).
 */
static inline void chain_index(struct sip_msg *m, uint32_t nh)
{
	struct sip_hdr *h = &m->hdrs[nh];

	/* i and h step down together; the loop ends on i's sign (one sub and a jns a line) */
	for (int i = (int)nh - 1; i >= 0; i--) {
		unsigned id = (--h)->id;

		if (id != SIP_HDR_OTHER) {
			h->next = m->first[id];
			m->first[id] = (int16_t)i;
			m->count[id]++;
		}
	}
}

/*
 * *d = *s field by field through registers. A struct copy is one 32-byte load here, of fields that the start line's
 * scan_load() has just written with 8-byte stores: such a load cannot take its bytes from the store buffer and
 * waits until those stores reach the cache (some 15 cycles on every datagram). The empty asm keeps GCC from
 * merging the loads back into one.
 */
static inline void scan_copy(struct scan *d, const struct scan *s)
{
	const char *buf = s->buf;
	uint64_t lf = s->lf, colon = s->colon;
	uint32_t len = s->len, base = s->base;

	__asm__("" : "+r"(buf), "+r"(lf), "+r"(colon), "+r"(len), "+r"(base));
	d->buf = buf;
	d->lf = lf;
	d->colon = colon;
	d->len = len;
	d->base = base;
}

/* A fault in the header section: the lines before h stay indexed (the loop keeps no count in m->nhdrs till then). */
static __attribute__((noinline, cold)) enum sip_parse_status fail_hdr(struct sip_msg *m, const struct sip_hdr *h,
								      enum sip_parse_status st, const char *at,
								      const char *why)
{
	m->nhdrs = (uint16_t)(h - m->hdrs);
	chain_index(m, m->nhdrs);
	return fail(m, st, at, why);
}

static __attribute__((noinline)) enum sip_parse_status parse_header_section(struct sip_msg *m, struct scan *s0,
									     uint32_t off)
{
	/*
	 * The scan as a local of this frame: its fields are then addressed off the stack pointer, and no register
	 * holds a pointer to the caller's copy through the line loop (nothing reads the scan after this returns).
	 */
	struct scan sc, *const s = &sc;
	const char *buf = m->buf;
	const uint32_t len = m->len;
	uint32_t p = off;
	/* the next index entry; the count is h - m->hdrs (one register less in the line loop than a count beside it) */
	struct sip_hdr *h = m->hdrs, *const hend = m->hdrs + SIP_MAX_HEADERS;

	scan_copy(s, s0);

	for (;;) {
		uint32_t lf, colon, e;
		uint8_t flags = 0, id;
		struct sw_str value;
		const char *bad;

		if (p >= len)
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, buf + p, "Missing empty line after header fields");
		if (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')
			break;
		/*
		 * The usual lines, one after the other: line_fast() saw the next byte (lf + 1 < len) was not SP/HTAB;
		 * a CR there may be the empty line, which the checks above take.
		 */
		/* p >= 8: every name of the loop ends 8 bytes or more into buf (sip_hdr_lookup_end()) */
		if (__builtin_expect(p >= 8, 1) && __builtin_expect(line_fast(s, buf, len, p, &lf, &colon), 1)) {
			do {
				id = (uint8_t)sip_hdr_lookup_end(buf + p, colon - p);
				if (__builtin_expect(id == SIP_HDR_OTHER, 0)) {
					const char *bad = skip_token(buf, buf + p, buf + colon);

					if (bad != buf + colon)
						return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, bad, "Malformed header field name");
				}
				if (h == hend)
					return fail_hdr(m, h, SIP_PARSE_TOO_MANY_HEADERS, buf + p,
							"Too many header fields");
				index_line(h++, sw_str_make(buf + p, colon - p), value_fast(buf, colon, lf - 1), id, 0);
				p = lf + 1;
			} while (buf[p] != '\r' && line_fast(s, buf, len, p, &lf, &colon));
			continue;
		}
		lf = scan_line(s, p, &colon);
		if (__builtin_expect(lf != NONE && lf + 1 < len && ws_at(buf, lf + 1), 0)) {
			uint64_t r = fold_end(m, s, lf, colon);

			lf = (uint32_t)r;
			colon = (uint32_t)(r >> 32);
			flags = SIP_HF_FOLDED;
		}
		if (lf == NONE)
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, buf + len, "Missing empty line after header fields");
		if (buf[lf - 1] != '\r')
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, buf + lf, "Bare LF line ending");
		if (colon >= lf)
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, buf + p, "Missing colon after header field name");
		for (e = colon; e > p && ws_at(buf, e - 1);)
			e--;
		if (e == p)
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, buf + p, "Malformed header field name");
		id = (uint8_t)sip_hdr_lookup_in(buf + p, e - p, len - p);
		if (id == SIP_HDR_OTHER && (bad = skip_token(buf, buf + p, buf + e)) != buf + e)
			return fail_hdr(m, h, SIP_PARSE_BAD_HEADER, bad, "Malformed header field name");
		value = header_value(buf, colon + 1, lf - 1);
		if (__builtin_expect(flags, 0))
			value = sw_str_trim(value); /* a blank continuation line leaves CRLF at the end */
		if (h == hend)
			return fail_hdr(m, h, SIP_PARSE_TOO_MANY_HEADERS, buf + p, "Too many header fields");
		index_line(h++, sw_str_make(buf + p, e - p), value, id, flags);
		p = lf + 1;
	}
	m->nhdrs = (uint16_t)(h - m->hdrs);
	m->hdr_end = p + 2;
	chain_index(m, m->nhdrs);

	/* A raw NUL is legal only inside a quoted string (and the body); every CR must start a CRLF. */
	if (__builtin_expect(!section_clean(buf, off, m->hdr_end), 0))
		return section_faults(m, off);
	return m->status_code;
}

enum sip_parse_status sip_msg_parse_headers_ruri(struct sip_msg *m, const char *buf, uint32_t len,
						 uint32_t ruri_max)
{
	struct scan s;
	uint32_t off;

	msg_reset(m, buf, len);
	off = parse_start_line(m, &s, ruri_max);
	if (off == 0)
		return m->status_code;
	if (parse_header_section(m, &s, off) != SIP_PARSE_OK)
		scrub_index(m, off);
	return m->status_code;
}

enum sip_parse_status sip_msg_parse_headers(struct sip_msg *m, const char *buf, uint32_t len)
{
	return sip_msg_parse_headers_ruri(m, buf, len, UINT32_MAX);
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
	if (!sw_str_to_u64_inline(cl->value, UINT32_MAX, &n))
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

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
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "sip_int.h"
#include "sw_verdict.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

__extension__ typedef unsigned __int128 u128; /* gcc and clang on 64-bit targets */

/*
 * The writer. Every piece is bounds-checked once against cap; past it, nothing more is written and `over` stays
 * set. Pieces are short (3 to ~100 bytes, a Via line now and then a few hundred): copy_bytes() copies them inline
 * with overlapping word moves, because a libc memcpy call costs more in its size dispatch than in its copying at
 * these sizes (~33 calls per reply were ~20% of the reply's instructions).
 */
struct out {
	char *p;   /* next byte */
	char *end; /* one past the last byte allowed (cap) */
	bool over;
	bool compact; /* write compact header names (RFC 3261 7.3.3) */
	bool checked; /* false: the whole reply is known to fit (reply_bound()), no piece is checked */
	bool slack;   /* unchecked, and at least SLACK bytes of cap past the bound: pieces may be over-written */
	const char *hi; /* the datagram's end: request bytes may be read up to it */
};

/*
 * With slack (the usual reply: a few hundred bytes answering a request of six hundred or more), a piece of the
 * request of at most 64 bytes is copied whole 32-byte blocks at a time (one or two moves), when the datagram has 64
 * bytes from its start: what lands past the piece, less than SLACK bytes, is overwritten by the next piece, or lies
 * past the reply's end but within cap (the bound is above the reply's length). This is about half of what
 * copy_bytes()'s size dispatch took per piece.
 */
#define SLACK 32u

static inline __attribute__((always_inline)) void copy_bytes(char *d, const char *s, uint32_t n)
{
	if (n >= 16) {
		if (n > 256) {
			memcpy(d, s, n);
			return;
		}
		for (uint32_t i = 0; i + 16 < n; i += 16)
			memcpy(d + i, s + i, 16);
		memcpy(d + n - 16, s + n - 16, 16); /* the tail, overlapping what the loop wrote */
	} else {
		sw_copy_short(d, s, n);
	}
}

/* Room for n more bytes? When not, nothing more fits: this and every later piece are refused. */
static inline __attribute__((always_inline)) bool room(struct out *restrict o, uint32_t n)
{
	if (o->checked && __builtin_expect(n > (size_t)(o->end - o->p), 0)) {
		o->over = true;
		o->end = o->p;
		return false;
	}
	return true;
}

static void copy_far(char *d, const char *s, uint32_t n);

/* A piece: a literal (n known at compile time) in a few inline moves, anything else through copy_far(). */
static inline __attribute__((always_inline)) void put(struct out *restrict o, const char *s, uint32_t n)
{
	if (!room(o, n))
		return;
	if (__builtin_constant_p(n))
		copy_bytes(o->p, s, n);
	else
		copy_far(o->p, s, n);
	o->p += n;
}

#if defined(__AVX2__)
/* n <= 64 bytes from s, which has 64 readable bytes, with o->slack set: one or two whole 32-byte moves (SLACK). */
static inline __attribute__((always_inline)) void put_slack(struct out *restrict o, const char *s, uint32_t n)
{
	_mm256_storeu_si256((__m256i *)o->p, _mm256_loadu_si256((const __m256i *)s));
	if (n > 32)
		_mm256_storeu_si256((__m256i *)(o->p + 32), _mm256_loadu_si256((const __m256i *)(s + 32)));
	o->p += n;
}
#endif

/*
 * A piece of at most 48 bytes from a small local buffer (the source address's text: 7 to 45 bytes), with
 * overlapping fixed-size moves: 16-byte ones at 0, at 16 when more than 32, and ending at n; else two of 8 or 4, or
 * bytes. Not through put(): copy_bytes' libc call for pieces over 256 bytes is dead code here, but an unoptimised
 * build cannot see that and gcc's -Wstringop-overread flags it; a variable-length memcpy() was a libc call.
 */
static inline __attribute__((always_inline)) void put_local(struct out *restrict o, const char *s, uint32_t n)
{
	char *d = o->p;

	if (!room(o, n))
		return;
#if defined(__AVX2__)
	if (o->slack) { /* s holds 64 bytes (peer_text6()'s buffer) */
		put_slack(o, s, n);
		return;
	}
#endif
	if (n >= 16) {
		memcpy(d, s, 16);
		if (n > 32)
			memcpy(d + 16, s + 16, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else {
		sw_copy_short(d, s, n);
	}
	o->p += n;
}

/*
 * copy_bytes() out of line: for pieces of a length known only at run time (the reason phrase, the Server name) and
 * put_req()'s pieces that take no slack move (long, or near the datagram's end).
 */
static __attribute__((noinline)) void copy_far(char *d, const char *s, uint32_t n)
{
	copy_bytes(d, s, n);
}

/*
 * A piece of the request (a header value, part of a Via): with slack, in whole 32-byte moves (see SLACK); else
 * through put(), which takes copy_far() for its run-time length. Every call site inlines only the slack moves:
 * copy_bytes() inlined at each of them made sw_respond() 22 KB, more than the instruction cache, for code that
 * rarely runs.
 */
static inline __attribute__((always_inline)) void put_req(struct out *restrict o, const char *s, uint32_t n)
{
#if defined(__AVX2__)
	if (o->slack && n <= 64 && o->hi - s >= 64) {
		put_slack(o, s, n);
		return;
	}
#endif
	put(o, s, n);
}

static inline __attribute__((always_inline)) void put_str(struct out *restrict o, struct sw_str s)
{
	put_req(o, s.p, s.len);
}

/* A string literal, its length known at compile time: the copy becomes a few moves. */
#define PUT_LIT(o, lit) put((o), "" lit, sizeof(lit) - 1)

/* A header name and ": ", full or, in a compact reply, the compact form when the header has one. */
#define PUT_NAME(o, lfull, lcompact) ((o)->compact ? PUT_LIT(o, lcompact) : PUT_LIT(o, lfull))

static inline __attribute__((always_inline)) void put_cstr(struct out *restrict o, const char *s)
{
	put(o, s, (uint32_t)strlen(s));
}

/* Decimal, written in place: count the digits, check the room once, fill from the right. */
static inline __attribute__((always_inline)) void put_u32(struct out *restrict o, uint32_t v)
{
	uint32_t n = 1;

	for (uint32_t t = v; t >= 10; t /= 10)
		n++;
	if (!room(o, n))
		return;
	o->p += n;
	for (char *q = o->p; n--; v /= 10)
		*--q = (char)('0' + v % 10);
}

/*
 * memchr() for the short values of a reply (a Via, a From, a To: 20 to 100 bytes), inline: 16 bytes per compare
 * while a whole block lies below hi, the datagram's end (reading past the value but inside the datagram is
 * allowed, as for the _in value parsers), then bytes. A libc call costs more than the search at these sizes.
 */
static inline const char *find_byte(const char *p, const char *end, const char *hi, char c)
{
#if defined(__SSE2__)
	const __m128i n = _mm_set1_epi8(c);

	for (; p < end && hi - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), n));

		if (m)
			return p + __builtin_ctz(m) < end ? p + __builtin_ctz(m) : NULL;
	}
#else
	(void)hi;
#endif
	for (; p < end; p++)
		if (*p == c)
			return p;
	return NULL;
}

/*
 * Decimal text of 0..255 followed by a '.', packed little-end first in a word (what one 4-byte store writes), and
 * its length less the dot; "00".."99" for two-digit ports; a three-digit status and its SP. Filled at load time:
 * inet_ntop goes through sprintf (~2,000 instructions on the reply path), and digit arithmetic per byte was ~100.
 */
static uint32_t octet_text[256];
static uint8_t octet_len[256];
static char pair_text[100][2];
static char status_text[1000][4]; /* "ddd " for a status of three digits (100..999), what the status line carries */

__attribute__((constructor)) static void text_tables_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		char t[4] = { 0 };
		unsigned n = 0;

		if (v >= 100)
			t[n++] = (char)('0' + v / 100);
		if (v >= 10)
			t[n++] = (char)('0' + v / 10 % 10);
		t[n++] = (char)('0' + v % 10);
		t[n] = '.';
		memcpy(&octet_text[v], t, 4);
		octet_len[v] = (uint8_t)n;
	}
	for (unsigned v = 0; v < 100; v++) {
		pair_text[v][0] = (char)('0' + v / 10);
		pair_text[v][1] = (char)('0' + v % 10);
	}
	for (unsigned v = 100; v < 1000; v++) {
		status_text[v][0] = (char)('0' + v / 100);
		status_text[v][1] = (char)('0' + v / 10 % 10);
		status_text[v][2] = (char)('0' + v % 10);
		status_text[v][3] = ' ';
	}
}

/*
 * The source address as text, returning its length: RFC 5952 IPv6 (received= carries it without brackets, RFC
 * 5118). buf holds INET6_ADDRSTRLEN bytes. IPv4 goes through ipv4_text().
 */
static uint32_t peer_text6(const struct sw_peer *src, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, src->addr, buf, (socklen_t)len))
		buf[0] = 0;
	return (uint32_t)strlen(buf);
}

/*
 * An IPv4 source address as dotted-quad text, in a register: 7 to 15 bytes, first byte lowest, then a '.' (what
 * each octet's table entry carries) and zeros. Assembled by shifts rather than by four stores into a buffer: the
 * reply reads the text back whole (16 or 32 bytes at once), and a load that spans several recent narrower stores
 * waits until they reach the cache (docs/bench.md) — some 5 ns a reply.
 */
static inline __attribute__((always_inline)) u128 ipv4_text(const uint8_t a[4], uint32_t *len)
{
	u128 t = octet_text[a[0]];
	uint32_t at = octet_len[a[0]] + 1u;

	for (int i = 1; i < 4; i++) {
		t |= (u128)octet_text[a[i]] << (8 * at);
		at += octet_len[a[i]] + 1u;
	}
	*len = at - 1;
	return t;
}

/*
 * A port (0..65535) in decimal: the digits gathered in a register, two per table load, most significant in the
 * lowest byte, then one 8-byte move with slack (see SLACK); a buffer of 2-byte stores read back as one word waited
 * for them (see ipv4_text()).
 */
static inline __attribute__((always_inline)) void put_port(struct out *restrict o, uint16_t port)
{
	uint32_t v = port, n = 0;
	uint64_t w = 0;
	uint16_t pair;

	while (v >= 100) {
		memcpy(&pair, pair_text[v % 100], 2);
		w = w << 16 | pair;
		n += 2;
		v /= 100;
	}
	if (v >= 10) {
		memcpy(&pair, pair_text[v], 2);
		w = w << 16 | pair;
		n += 2;
	} else {
		w = w << 8 | (uint64_t)('0' + v);
		n += 1;
	}
	if (!room(o, n))
		return;
	if (o->slack) {
		memcpy(o->p, &w, 8);
	} else {
		for (uint32_t i = 0; i < n; i++)
			o->p[i] = (char)(w >> 8 * i);
	}
	o->p += n;
}

/* The IPv4 text of ipv4_text() (n bytes) as a piece: one 16-byte move with slack (see SLACK). */
static inline __attribute__((always_inline)) void put_text16(struct out *restrict o, u128 t, uint32_t n)
{
	if (!room(o, n))
		return;
	if (o->slack)
		memcpy(o->p, &t, 16);
	else
		memcpy(o->p, &t, n < 16 ? n : 16); /* rare (a reply near its cap): a call is fine */
	o->p += n;
}

/*
 * Does the sent-by host name exactly the source address? A host name never does (18.2.1). IPv4 needs no
 * inet_pton(): it accepts only the canonical dotted quad (four decimal parts, none above 255, no leading zeros),
 * which is exactly what ipv4_text() gives (t, tlen bytes), so the bytes compare: 16 at once when the datagram
 * (ending at hi) has them.
 */
static bool sent_by_is_ipv4(const struct sip_via *via, u128 t, uint32_t tlen, const char *hi)
{
	u128 h;

	if (via->host.len != tlen)
		return false;
	if (hi - via->host.p < 16)
		return memcmp(via->host.p, &t, tlen) == 0; /* t's bytes in memory are the text (little-endian) */
	memcpy(&h, via->host.p, 16);
	return ((h ^ t) & (((u128)1 << (8 * tlen)) - 1)) == 0; /* tlen <= 15 */
}

/* The same for an IPv6 source: the host (without brackets) converted and compared as an address. */
static bool sent_by_is_ipv6(const struct sip_via *via, const struct sw_peer *src)
{
	char host[64];
	uint8_t a[16];

	if (via->host.len >= sizeof(host))
		return false;
	memcpy(host, via->host.p, via->host.len);
	host[via->host.len] = 0;
	return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, src->addr, 16) == 0;
}

/*
 * Is the parameter at p (just past its ';', LWS skipped) named name (lower-case letters only), case-insensitively?
 * For a letter, c | 0x20 equals it only when c is that letter in either case: no table, no call.
 */
static inline bool param_is(const char *p, const char *end, const char *name, uint32_t n)
{
	if ((uint32_t)(end - p) < n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != name[i])
			return false;
	return p + n == end || p[n] == '=' || p[n] == ';' || p[n] == ' ' || p[n] == '\t' || p[n] == '\r' ||
	       p[n] == ',';
}

/*
 * The top via-parm with received= and rport= set from the source. Every received/rport parameter the request
 * carried is left out, however many there were: only this element knows where the request came from, and a
 * client must never be handed an address an attacker wrote. Quoted parameter values are skipped whole.
 */
static bool via_r_params_recorded(const struct sip_via *via, const char *hi);

static ALWAYS_INLINE void put_top_via(struct out *restrict o, const struct sip_via *via, bool single,
				       const struct sw_peer *src, const char *hi)
{
	const char *p = via->value.p, *end = via->value.p + via->value.len, *from = p;
	char addr[64]; /* INET6_ADDRSTRLEN (46) and more: 64 bytes readable for put_local() */
	bool quoted = false;
	uint32_t alen;

	bool plain;

	/* the usual case: the request carried no received/rport (a bare rport is recorded too): copy as it is */
	if (!via->received_param.p && !via->rport_param.p)
		p = end;
	/* the only received/rport parameters are the ones recorded (counted by top_via_checked, or here): cut them out */
	if (p < end && (single || via_r_params_recorded(via, hi))) {
		struct sw_str s1 = via->rport_param, s2 = via->received_param, t;

		if (!s1.p || (s2.p && s2.p < s1.p)) {
			t = s1;
			s1 = s2;
			s2 = t;
		}
		put_req(o, from, (uint32_t)(s1.p - from));
		from = s1.p + s1.len;
		if (s2.p) {
			put_req(o, from, (uint32_t)(s2.p - from));
			from = s2.p + s2.len;
		}
		p = end;
	}
	/* no quoted string anywhere (nearly always): every ';' starts a parameter, found 16 bytes at a time */
	plain = p < end && !find_byte(p, end, hi, '"');
	for (; p < end; p++) {
		if (plain) {
			p = find_byte(p, end, hi, ';');
			if (!p)
				break;
		} else {
			if (*p == '"')
				quoted = !quoted;
			else if (quoted && *p == '\\' && p + 1 < end)
				p++;
			if (quoted || *p != ';')
				continue;
		}
		const char *name = p + 1, *q;

		while (name < end && (*name == ' ' || *name == '\t' || *name == '\r' || *name == '\n'))
			name++;
		if (name == end || (*name | 0x20) != 'r') /* both names start with an r: most parameters end here */
			continue;
		if (!param_is(name, end, "received", 8) && !param_is(name, end, "rport", 5))
			continue;
		put_req(o, from, (uint32_t)(p - from));
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
	put_req(o, from, (uint32_t)(end - from));
	if (src->family != 6) {
		u128 t = ipv4_text(src->addr, &alen);

		if (via->has_rport || !sent_by_is_ipv4(via, t, alen, hi)) {
			PUT_LIT(o, ";received=");
			put_text16(o, t, alen);
		}
	} else {
		alen = peer_text6(src, addr, sizeof(addr));
		if (via->has_rport || !sent_by_is_ipv6(via, src)) {
			PUT_LIT(o, ";received=");
			put_local(o, addr, alen);
		}
	}
	if (via->has_rport) {
		PUT_LIT(o, ";rport=");
		put_port(o, src->port);
	}
}

#if defined(__AVX2__)
/* The 32-byte splat of sw_splat row k (sw_str.h: in memory, so that each compare takes it as an operand). */
#define VK(k) ((const __m256i *)sw_splat[SW_SPL_##k])

/* Bits i of the 64 bytes a:b where the byte equals n's (two 32-byte compares). */
static inline uint64_t eq64(__m256i a, __m256i b, const __m256i *n)
{
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, *n)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, *n)) << 32;
}

/* The same for either of two bytes: one mask pair for both. */
static inline uint64_t eq64_2(__m256i a, __m256i b, const __m256i *n1, const __m256i *n2)
{
	return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(a, *n1), _mm256_cmpeq_epi8(a, *n2))) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(
		       _mm256_or_si256(_mm256_cmpeq_epi8(b, *n1), _mm256_cmpeq_epi8(b, *n2)))
		       << 32;
}

/* Bytes 0x00-0x20: the LWS bytes (SP, HTAB, CR, LF); no other control byte is in a well-formed via-parm. */
static inline uint64_t ctl64(__m256i a, __m256i b)
{
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(a, *VK(SP)), a)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(b, *VK(SP)), b)) << 32;
}
#endif

/* Bits 0..n-1 (n <= 64). */
static inline uint64_t bits_below(uint32_t n)
{
#if defined(__BMI2__)
	return _bzhi_u64(~0ull, n);
#else
	return n >= 64 ? ~0ull : (1ull << n) - 1;
#endif
}

/* The first 8 bytes of a lower-case name, as a little-endian word (what a load of them |0x20 gives). */
#define NAME_W(a, b, c, d, e, f, g, h)                                                                            \
	((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | (uint64_t)(d) << 24 | (uint64_t)(e) << 32 |   \
	 (uint64_t)(f) << 40 | (uint64_t)(g) << 48 | (uint64_t)(h) << 56)

/*
 * The top via-parm of value v, which the verdict's Via check found well formed (SW_JUDGED_VIA_OK), read as
 * sip_via_parse_in() would read it but without checking anything again: from masks of its bytes (';' ':' '=' ','
 * and LWS), one pass of 64 bytes. Only the usual form: within 64 bytes, "SIP/2.0/", one LWS byte (before the
 * sent-by), no quoted string and no '[' (IPv6). For anything else (or without AVX2) it returns false and the caller
 * parses. The grammar the check applied is what makes the masks enough: a parameter runs from its ';' to the next
 * one, its name to its first '=', and the host from the LWS to the first ':' or ';'. Parameter names compare as
 * the parser's do (each byte |0x20 against a lower-case name): one 8-byte load each (72 bytes must be readable).
 * Every field is the parser's but the port, which the reply never reads, and the host when there is an rport (the
 * reply reads it only without one: then it is the parser's). *single says whether the rport and
 * received parameters recorded are the only ones (at most one of each): put_top_via() then cuts them out by their
 * spans instead of looking for every other one.
 */
static bool top_via_checked(struct sw_str v, const char *hi, struct sip_via *via, bool *single)
{
#if defined(__AVX2__)
	const char *p = v.p;
	uint64_t semi, colon, eq, lws, lim, comma, bad;
	uint32_t len, sp, s0, he, nr = 0;
	__m256i a, b;

	if (hi - p < 72 || v.len < 8 || memcmp(p, "SIP/2.0/", 8) != 0)
		return false;
	a = _mm256_loadu_si256((const __m256i *)p);
	b = _mm256_loadu_si256((const __m256i *)(p + 32));
	comma = eq64(a, b, VK(COMMA)) & bits_below(v.len);
	if (!comma && v.len > 64)
		return false;
	len = comma ? (uint32_t)__builtin_ctzll(comma) : v.len;
	lim = bits_below(len);
	bad = eq64_2(a, b, VK(DQ), VK(LBRACKET)) & lim;
	lws = ctl64(a, b) & lim;
	if (bad || !lws || (lws & (lws - 1)))
		return false; /* LWS anywhere but between transport and sent-by: the parser reads it */
	sp = (uint32_t)__builtin_ctzll(lws);
	semi = eq64(a, b, VK(SEMI)) & lim;
	s0 = semi ? (uint32_t)__builtin_ctzll(semi) : len;
	if (sp <= 8 || s0 <= sp + 1)
		return false;
	eq = eq64(a, b, VK(EQ)) & lim;
	via->value = sw_str_make(p, len);
	via->transport = sw_str_make(p + 8, sp - 8);
	via->port = 0; /* not read: the reply copies the sent-by as written (the check found its port in range) */
	via->has_rport = via->rport_has_value = false;
	/* one constant each: a chained assignment copied each field from the one before, a 16-byte load of two
	 * narrower stores just made (see ipv4_text()) */
	via->branch = SW_STR_NULL;
	via->received = SW_STR_NULL;
	via->rport_param = SW_STR_NULL;
	via->received_param = SW_STR_NULL;
	via->end = p + len;
	for (; semi; semi &= semi - 1) {
		uint32_t a0 = (uint32_t)__builtin_ctzll(semi) + 1, next = len, e;
		uint64_t rest = semi & (semi - 1), eqs, w;

		if (a0 >= len)
			return false; /* an empty name: not what the check lets through */
		if (rest)
			next = (uint32_t)__builtin_ctzll(rest);
		eqs = eq & ~bits_below(a0) & bits_below(next);
		e = eqs ? (uint32_t)__builtin_ctzll(eqs) : next;
		memcpy(&w, p + a0, 8);
		w |= 0x2020202020202020ull;
		switch (e - a0) {
		case 6:
			if ((w & bits_below(48)) == NAME_W('b', 'r', 'a', 'n', 'c', 'h', 0, 0))
				via->branch = eqs ? sw_str_make(p + e + 1, next - e - 1) : SW_STR_NULL;
			break;
		case 5:
			if ((w & bits_below(40)) == NAME_W('r', 'p', 'o', 'r', 't', 0, 0, 0)) {
				via->has_rport = true;
				via->rport_has_value = eqs != 0;
				via->rport_param = sw_str_make(p + a0 - 1, next - a0 + 1);
				nr += 1;
			}
			break;
		case 8:
			if (w == NAME_W('r', 'e', 'c', 'e', 'i', 'v', 'e', 'd')) {
				via->received = eqs ? sw_str_make(p + e + 1, next - e - 1) : SW_STR_NULL;
				via->received_param = sw_str_make(p + a0 - 1, next - a0 + 1);
				nr += 16;
			}
			break;
		default:
			break;
		}
	}
	*single = nr <= 17 && (nr & 15) <= 1; /* at most one rport and one received */
	/* the host, which the reply reads only without rport (sent_by_is_ipv4()): to the first ':' or ';' */
	if (via->has_rport) {
		via->host = SW_STR_NULL;
	} else {
		colon = eq64(a, b, VK(COLON)) & bits_below(s0) & ~bits_below(sp + 1);
		he = colon ? (uint32_t)__builtin_ctzll(colon) : s0;
		via->host = sw_str_make(p + sp + 1, he - sp - 1);
	}
	return true;
#else
	(void)v;
	(void)hi;
	(void)via;
	(void)single;
	return false;
#endif
}

/*
 * For a top Via the parser read (413, 414, 505, a parse error's 400, a rule's reply): are its recorded rport and
 * received parameters its only ones, so that put_top_via() can cut them out by their spans? Yes when, in a
 * via-parm of at most 64 bytes with no quoted string and no LWS from its first ';' on (a span then ends where the
 * next ';' begins, as the scan cuts), the parameters whose name starts with an r (both names do) are exactly the
 * recorded ones. One 64-byte pass of ';', '"' and LWS masks; false otherwise.
 */
static bool via_r_params_recorded(const struct sip_via *via, const char *hi)
{
#if defined(__AVX2__)
	const char *p = via->value.p;
	uint64_t lim = bits_below(via->value.len), semi;
	uint32_t r = 0;
	__m256i a, b;

	if (via->value.len > 64 || hi - p < 65)
		return false;
	a = _mm256_loadu_si256((const __m256i *)p);
	b = _mm256_loadu_si256((const __m256i *)(p + 32));
	semi = eq64(a, b, VK(SEMI)) & lim;
	if (!semi || (eq64(a, b, VK(DQ)) & lim) || (ctl64(a, b) & lim & ~bits_below((uint32_t)__builtin_ctzll(semi))))
		return false;
	for (; semi; semi &= semi - 1)
		r += (p[__builtin_ctzll(semi) + 1] | 0x20) == 'r'; /* p[64] is readable: hi - p >= 65 */
	return r == (uint32_t)(via->rport_param.p != NULL) + (uint32_t)(via->received_param.p != NULL);
#else
	(void)via;
	(void)hi;
	return false;
#endif
}

/* What a reply needs from the request, parsed once (the compact retry reuses it). */
struct reply_ctx {
	const struct sip_msg *m;
	const struct sip_hdr *top, *from, *to, *call_id, *cseq; /* top: the first Via line (looked up once) */
	const struct sip_via *via; /* top via-parm: the verdict's (w->judged) or sw_respond()'s own */
	bool via_single;           /* via's rport_param and received_param are its only ones (top_via_checked) */
	bool to_has_tag;
	char tag[16];         /* our To tag when the request's To has none */
	const char *reason;   /* the status line's reason phrase */
	uint32_t reason_len;
};

static ALWAYS_INLINE void put_vias(struct out *restrict o, const struct reply_ctx *c, const struct sw_peer *src)
{
	const struct sip_msg *m = c->m;
	const struct sip_hdr *h = c->top;

	PUT_NAME(o, "\r\nVia: ", "\r\nv: ");
	put_top_via(o, c->via, c->via_single, src, m->buf + m->len);
	put_req(o, c->via->end, (uint32_t)(h->value.p + h->value.len - c->via->end));
	for (h = sip_msg_hdr_next(m, h); h; h = sip_msg_hdr_next(m, h)) {
		PUT_NAME(o, "\r\nVia: ", "\r\nv: ");
		put_str(o, h->value);
	}
}

/*
 * A copied header line: the previous line's CRLF and the name (one literal), then the value as written. Absent
 * headers are left out. Every line of build() is written so, its CRLF going out with the next line's first piece
 * (the end of the header section with the last): a literal fewer per line.
 */
#define PUT_HEADER(o, h, lfull, lcompact)                                                                         \
	do {                                                                                                      \
		if (h) {                                                                                          \
			PUT_NAME(o, "\r\n" lfull, "\r\n" lcompact);                                               \
			put_str(o, (h)->value);                                                                   \
		}                                                                                                 \
	} while (0)

/*
 * Hash s and a 0 separator, at most 240 bytes of s: ("ab","c") and ("a","bc") hash apart. s lies in the request,
 * readable up to hi.
 */
static inline __attribute__((always_inline)) void hash_part(struct sw_siphash *h, struct sw_str s, const char *hi)
{
	sw_siphash_bytes(h, s.p, s.len < 240 ? s.len : 240, hi);
	sw_siphash_word(h, 0, 1);
}

static inline bool lws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * The From tag, for the To tag's hash only. The usual From, a name-addr with no quoted string, is read here (the
 * parameters follow the first '>', since neither tokens nor a URI hold one): each ';' by find_byte(), "tag" and '='
 * with LWS around them, the value up to the next ';' less trailing LWS. Anything else goes to sip_addr_parse(),
 * whose tag the verdict already has when the From parsed (judged: NULL when not). Not the verdict's tag in every
 * case: of two tag parameters the scan takes the first, the parser the last, and the hash must not change.
 * Both are functions of the request's bytes, so a retransmission hashes the same; the verdict checked the From.
 */
static struct sw_str find_from_tag(struct sw_str v, const char *hi, const struct sw_str *judged)
{
	const char *p = v.p, *end = v.p + v.len, *gt;
	struct sw_str tag = SW_STR_NULL;

	if (find_byte(p, end, hi, '"') || !(gt = find_byte(p, end, hi, '>'))) {
		if (judged)
			return *judged;
		sip_addr_parse_in(v, hi, &tag);
		return tag;
	}
	for (p = gt + 1; p < end && (p = find_byte(p, end, hi, ';')) != NULL;) {
		const char *t;

		for (p++; p < end && lws(*p); p++)
			;
		if (end - p < 3 || (p[0] | 0x20) != 't' || (p[1] | 0x20) != 'a' || (p[2] | 0x20) != 'g')
			continue;
		for (p += 3; p < end && lws(*p); p++)
			;
		if (p == end || *p != '=')
			continue;
		for (p++; p < end && lws(*p); p++)
			;
		t = p;
		if (!(p = find_byte(p, end, hi, ';')))
			p = end;
		while (p > t && lws(p[-1]))
			p--;
		return sw_str_make(t, (uint32_t)(p - t));
	}
	return tag;
}

/* The RFC 3261 branch cookie (8.1.1.7): such a branch is unique to its transaction across space and time. */
static inline bool branch_rfc3261(struct sw_str b)
{
	return b.len > 7 && memcmp(b.p, "z9hG4bK", 7) == 0;
}

/*
 * A To tag that a retransmission gets again: SipHash-2-4 (libsodium crypto_shorthash) under the instance secret of
 * what identifies the transaction, and the status. With an RFC 3261 branch that is the branch and the CSeq (17.2.3:
 * the branch names the transaction; the CSeq method tells a CANCEL from the INVITE whose branch it shares), marked
 * by a leading 0xff byte, which no Call-ID starts with. Else, as RFC 2543 matched requests, the Call-ID, the From
 * tag, the branch (if any) and the CSeq. Fewer bytes for the usual request: SipHash costs ~30 instructions per 8.
 * Computed inline, piece by piece from the request (sw_siphash_*(): the value sw_siphash24() gives for the pieces
 * copied one after the other; tests/unit/test_reply.c checks both against crypto_shorthash()).
 */
_Static_assert(crypto_shorthash_BYTES == 8 && crypto_shorthash_KEYBYTES == 16, "sw_siphash24 is crypto_shorthash");

static void to_tag(struct reply_ctx *c, const struct sw_verdict *v, const struct sw_judged *j, const uint8_t key[16])
{
	static const char digits[] = "0123456789abcdef";
	const char *lim = c->m->buf + c->m->len; /* the datagram's end */
	unsigned char h[crypto_shorthash_BYTES], st[sizeof(v->status)];
	struct sw_str from_tag = SW_STR_NULL;
	struct sw_siphash sh;

	/* crypto_shorthash() of the message described above, hashed piece by piece from the request: nothing copied */
	sw_siphash_init(&sh, key);
	if (branch_rfc3261(c->via->branch)) {
		sw_siphash_word(&sh, 0xff, 1);
	} else {
		if (c->from)
			from_tag = find_from_tag(c->from->value, lim, j->have & SW_JUDGED_FROM ? &j->from_tag : NULL);
		hash_part(&sh, c->call_id ? c->call_id->value : SW_STR_NULL, lim);
		hash_part(&sh, from_tag, lim);
	}
	hash_part(&sh, c->via->branch, lim);
	hash_part(&sh, c->cseq ? c->cseq->value : SW_STR_NULL, lim);
	memcpy(st, &v->status, sizeof(st)); /* its two bytes as they lie in memory */
	sw_siphash_word(&sh, (uint64_t)st[0] | (uint64_t)st[1] << 8, 2);
	sw_siphash_final(&sh, h);
#if defined(__SSSE3__)
	/* 8 bytes to 16 hex digits in one shuffle: nibbles interleaved high first, each looked up in digits */
	__m128i x = _mm_loadl_epi64((const __m128i *)h), lo = _mm_and_si128(x, _mm_set1_epi8(15));
	__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(15));

	_mm_storeu_si128((__m128i *)c->tag, _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)digits),
							     _mm_unpacklo_epi8(hi, lo)));
#else
	for (int i = 0; i < 8; i++) {
		c->tag[2 * i] = digits[h[i] >> 4];
		c->tag[2 * i + 1] = digits[h[i] & 15];
	}
#endif
}

static inline __attribute__((always_inline)) void put_to(struct out *restrict o, const struct reply_ctx *c)
{
	if (!c->to)
		return;
	PUT_NAME(o, "\r\nTo: ", "\r\nt: ");
	put_str(o, c->to->value);
	if (!c->to_has_tag) {
		PUT_LIT(o, ";tag=");
		put(o, c->tag, sizeof(c->tag));
	}
}

/*
 * Is the value one token and nothing else (the usual Proxy-Require: "foo")? Then sip_token_list_next() gives that
 * token, whole and not bad, and then nothing: it skips no LWS or comma, takes the token class (its V_TOKEN is
 * sw_cclass' SW_C_TOKEN) to the end. A byte loop instead of two calls of it.
 */
static inline bool one_token(struct sw_str v)
{
	for (uint32_t i = 0; i < v.len; i++)
		if (!sw_is((uint8_t)v.p[i], SW_C_TOKEN))
			return false;
	return v.len != 0;
}

/*
 * Unsupported: every tag of Proxy-Require (and Require, when checked) that the policy does not support. When the
 * verdict found one it does not support (v->unsupported_from, set by its extension check only, under the same
 * policy) and those headers hold one tag in all (the usual 420: one line of one token), that tag is the one: it is
 * written without asking the policy again.
 */
static ALWAYS_INLINE void put_unsupported(struct out *restrict o, const struct sw_policy *pol,
					  const struct sw_verdict *v, const struct sip_msg *m)
{
	enum sip_hdr_id ids[2] = { SIP_HDR_PROXY_REQUIRE, SIP_HDR_REQUIRE };
	uint32_t nreq = pol->check_require ? m->count[SIP_HDR_REQUIRE] : 0;
	bool first = true;

	if (v->unsupported_from && m->count[SIP_HDR_PROXY_REQUIRE] + nreq == 1) {
		const struct sip_hdr *h = sip_msg_hdr(m, nreq ? SIP_HDR_REQUIRE : SIP_HDR_PROXY_REQUIRE);

		if (one_token(h->value)) {
			PUT_LIT(o, "\r\nUnsupported: ");
			put_str(o, h->value);
			return;
		}
	}

	for (int i = 0; i < (pol->check_require ? 2 : 1); i++)
		for (const struct sip_hdr *h = sip_msg_hdr(m, ids[i]); h; h = sip_msg_hdr_next(m, h)) {
			uint32_t pos = 0;
			struct sw_str tok;
			bool bad;

			if (one_token(h->value)) { /* the list is this one token, as sip_token_list_next() reads it */
				if (!sw_policy_supports(pol, h->value)) {
					if (first)
						PUT_LIT(o, "\r\nUnsupported: ");
					else
						PUT_LIT(o, ", ");
					put_str(o, h->value);
					first = false;
				}
				continue;
			}
			while (sip_token_list_next(h->value, &pos, &tok, &bad)) {
				if (bad || sw_policy_supports(pol, tok))
					continue;
				if (first)
					PUT_LIT(o, "\r\nUnsupported: ");
				else
					PUT_LIT(o, ", ");
				put_str(o, tok);
				first = false;
			}
		}
}

/* The reply. Inlined twice (build_checked, build_unchecked): with o->checked a constant, the unchecked copy has no
 * room test at all. The unchecked copy, the usual one, is inlined into sw_respond() itself: a call with the writer
 * copied in and out cost ~55 instructions per reply. */
static ALWAYS_INLINE void build(struct out *restrict o, const struct sw_policy *pol, const struct reply_ctx *c,
				  const struct sw_verdict *v, const struct sw_peer *src)
{
	/* a final status is three digits (the verdict sends 400-699; the policy loader refuses anything else): its
	 * text and SP are one 4-byte piece of status_text */
	PUT_LIT(o, "SIP/2.0 ");
	if (v->status >= 100 && v->status <= 999)
		put(o, status_text[v->status], 4);
	else {
		put_u32(o, v->status);
		PUT_LIT(o, " ");
	}
	put(o, c->reason, c->reason_len);
	put_vias(o, c, src);
	PUT_HEADER(o, c->from, "From: ", "f: ");
	put_to(o, c);
	PUT_HEADER(o, c->call_id, "Call-ID: ", "i: ");
	PUT_HEADER(o, c->cseq, "CSeq: ", "CSeq: ");
	if (v->status == 420)
		put_unsupported(o, pol, v, c->m);
	if (v->status == 413 && pol->retry_after_seconds) {
		PUT_LIT(o, "\r\nRetry-After: ");
		put_u32(o, pol->retry_after_seconds);
	}
	if (pol->server[0]) {
		PUT_LIT(o, "\r\nServer: ");
		put_cstr(o, pol->server);
	}
	PUT_NAME(o, "\r\nContent-Length: 0\r\n\r\n", "\r\nl: 0\r\n\r\n");
}

static __attribute__((noinline)) void build_checked(struct out *o, const struct sw_policy *pol,
						   const struct reply_ctx *c, const struct sw_verdict *v,
						   const struct sw_peer *src)
{
	struct out l = *o; /* a local whose address goes nowhere: its fields live in registers */

	l.checked = true;
	l.slack = false;
	build(&l, pol, c, v, src);
	*o = l;
}

/*
 * The usual reply, under its bound with SLACK bytes of cap to spare past it (nearly always: a request answered is
 * longer than its reply): no room check, request pieces copied with slack. Anything tighter is built checked.
 */
static ALWAYS_INLINE void build_unchecked(struct out *o, const struct sw_policy *pol, const struct reply_ctx *c,
					  const struct sw_verdict *v, const struct sw_peer *src)
{
	struct out l = *o;

	l.checked = false;
	l.slack = true;
	build(&l, pol, c, v, src);
	*o = l;
}

/*
 * At least as many bytes as build() writes with full names, piece by piece: status line 8 + at most 11 (code or
 * number, SP) + reason + 2; every Via line 5 + value + 2, the top one grown by at most ";received=" + address
 * (15 for IPv4, 45 for IPv6) + ";rport=" + 5 digits (cutting parameters out only shortens it); From 6 + 2, To
 * 4 + 2 (+ ";tag=" and 16 digits), Call-ID 9 + 2, CSeq 6 + 2 around their values; Retry-After 13 + 10 + 2;
 * Server 8 + 2 around its value; Content-Length 21. Unsupported (420): "Unsupported: " and CRLF, and of each
 * Proxy-Require (and, when checked, Require) value of len bytes at most 2 * len + 1: its tokens are disjoint parts
 * of it, at least a ',' apart, so k of them have k - 1 separators within the value and are written with k ", ".
 */
static uint64_t reply_bound(const struct sw_policy *pol, const struct reply_ctx *c, const struct sw_verdict *v,
			    const struct sw_peer *src)
{
	uint64_t n = 8 + 11 + (uint64_t)c->reason_len + 2 + (src->family == 6 ? 67 : 37) + 21;

	for (const struct sip_hdr *h = c->top; h; h = sip_msg_hdr_next(c->m, h))
		n += 7 + (uint64_t)h->value.len;
	if (c->from)
		n += 8 + (uint64_t)c->from->value.len;
	if (c->to)
		n += 6 + (uint64_t)c->to->value.len + (c->to_has_tag ? 0 : 5 + sizeof(c->tag));
	if (c->call_id)
		n += 11 + (uint64_t)c->call_id->value.len;
	if (c->cseq)
		n += 8 + (uint64_t)c->cseq->value.len;
	if (v->status == 413 && pol->retry_after_seconds)
		n += 25;
	if (v->status == 420) {
		n += 15;
		for (const struct sip_hdr *h = sip_msg_hdr(c->m, SIP_HDR_PROXY_REQUIRE); h; h = sip_msg_hdr_next(c->m, h))
			n += 2 * (uint64_t)h->value.len + 1;
		for (const struct sip_hdr *h = pol->check_require ? sip_msg_hdr(c->m, SIP_HDR_REQUIRE) : NULL; h;
		     h = sip_msg_hdr_next(c->m, h))
			n += 2 * (uint64_t)h->value.len + 1;
	}
	if (pol->server[0])
		n += 10 + strlen(pol->server);
	return n;
}

/*
 * Does the To value carry a tag? Every generic-param, tag= included, follows a ';': a value without one has no tag
 * whatever else it holds, and most requests that get an error reply are dialog-creating ones with no To tag, so the
 * address is parsed only when a ';' is there.
 */
static bool to_has_tag(const struct sip_msg *m, const struct sip_hdr *to)
{
	struct sw_str tag = SW_STR_NULL;

	if (!find_byte(to->value.p, to->value.p + to->value.len, m->buf + m->len, ';'))
		return false;
	return sip_addr_parse_in(to->value, m->buf + m->len, &tag) && tag.len;
}

uint32_t sw_respond(const struct sw_policy *pol, struct sw_worker *w, struct sw_verdict *v,
		    const struct sw_peer *src, char *out, uint32_t cap)
{
	const struct sip_msg *m = &w->msg;
	const struct sw_judged *j = &w->judged;
	const struct sip_hdr *top = sip_msg_hdr(m, SIP_HDR_VIA);
	struct reply_ctx c; /* every field set below before it is read, not zeroed whole first (tag: when needed) */
	struct out o;
	uint64_t bound;
	struct sip_via via;

	if (v->action != SW_ACT_REPLY)
		return 0;
	c.m = m;
	c.top = top;
	c.from = sip_msg_hdr(m, SIP_HDR_FROM);
	c.to = sip_msg_hdr(m, SIP_HDR_TO);
	c.call_id = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	c.cseq = sip_msg_hdr(m, SIP_HDR_CSEQ);
	c.via_single = false;
	/* a top Via the verdict checked (sw_judged: every reply verdict's) is read from byte masks; else parsed in full */
	if (top && (((j->have & SW_JUDGED_VIA_OK) &&
		     top_via_checked(top->value, m->buf + m->len, &via, &c.via_single)) ||
		    sip_via_parse_in(top->value, m->buf + m->len, &via))) {
		/* the _in parsers may read on to the datagram's end: their 32-byte loads need no masking */
		c.via = &via;
	} else {
		v->action = SW_ACT_DROP;
		v->why = SW_WHY_NO_VIA;
		return 0;
	}
	if (j->have & SW_JUDGED_TO) /* the To parsed: a tag it has follows a ';', as to_has_tag() asks */
		c.to_has_tag = j->to_tag.len != 0;
	else
		c.to_has_tag = c.to && to_has_tag(m, c.to);
	if (c.to && !c.to_has_tag)
		to_tag(&c, v, j, w->secret);
	c.reason = v->reason ? v->reason : "Rejected";
	c.reason_len = (uint32_t)strlen(c.reason);
	/* a reply under its bound within cap (nearly always: cap is the request's length) needs no check per piece */
	bound = reply_bound(pol, &c, v, src);
	o = (struct out){ out, out + cap, false, false, true, false, m->buf + m->len };
	if (bound + SLACK <= cap) {
		build_unchecked(&o, pol, &c, v, src);
		return (uint32_t)(o.p - out);
	}
	build_checked(&o, pol, &c, v, src);
	if (o.over) {
		/* RFC 3261 7.3.3: compact names exist for transports where size matters; try them before dropping */
		o = (struct out){ out, out + cap, false, true, true, false, m->buf + m->len };
		build_checked(&o, pol, &c, v, src);
	}
	if (o.over) {
		v->action = SW_ACT_DROP;
		v->why = SW_WHY_AMPLIFICATION;
		v->reason = "reply longer than request";
		return 0;
	}
	return (uint32_t)(o.p - out);
}

void sw_worker_init(struct sw_worker *w, unsigned id, const uint8_t secret[16])
{
	if (sodium_init() < 0)
		abort();
	w->id = id;
	memcpy(w->secret, secret, sizeof(w->secret));
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Header value parsers, each as deep as a decision of the verdict or the reply needs: the top Via (RFC 3261 20.42,
 * RFC 3581), CSeq (20.16), From/To name-addr / addr-spec (20.20, 20.39), option-tag lists (20.29, 20.32).
 * Values come from sip_msg_parse(): trimmed, possibly folded (CRLF always followed by SP/HTAB), so every CR or LF
 * inside a value is part of an LWS and is skipped like a space.
 * Every scanner is one table load and one bit test per byte: vclass[] gives each stop set of these parsers a bit
 * of its own, so a loop never compares a byte against a list of characters.
 */

#include "sip_int.h"

/* Classes of the value scanners (bits of vclass[]), derived from sw_cclass[] at load time. */
enum {
	V_TOKEN = 1u << 0, /* token */
	V_LWS = 1u << 1,   /* SP / HTAB / CR / LF */
	V_HOSTN = 1u << 2, /* a hostname or IPv4 byte: host characters but ':', '[' and ']' */
	V_HOST6 = 1u << 3, /* inside [...]: host characters but '[' and ']' */
	V_GENV = 1u << 4,  /* gen-value as a token, plus ':' (a bare IPv6 received=, RFC 5118 4.5) */
	V_URIU = 1u << 5,  /* an addr-spec byte outside <> (20.10): URIC but ';' ',' '?' */
	V_DIGIT = 1u << 6,
	V_URIC = 1u << 7, /* an addr-spec byte inside <>: URIC */
};

/* sip_ruri_check(): every byte but '@', ';' and '?' (and those >= 0x80, which stop a span and are stepped over). */
static uint8_t rplain_tab[256];
static struct sw_cset rplain_set;

static uint8_t vclass[256];
static struct sw_cset vsets[8]; /* vsets[i]: the class 1 << i, for sw_span() */

/*
 * For the 64-byte checks: vbit[i] is 64 copies of the class bit 1 << i, and vbit[8] of V_TOKEN | V_LWS (a display
 * name's bytes), so that each class test takes its operand from memory (as sw_splat[], core/sw_str.h).
 */
static __attribute__((aligned(64))) char vbit[9][64];

/* A byte of a display name of tokens: token or LWS (V_TOKEN | V_LWS as one class, for one SIMD lookup). */
static uint8_t dname_tab[256];
static struct sw_cset dname_set;

__attribute__((constructor)) static void vclass_init(void)
{
	for (unsigned c = 0; c < 256; c++) {
		uint8_t k = sw_cclass[c], v = 0;

		if (k & SW_C_TOKEN)
			v |= V_TOKEN | V_GENV;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			v |= V_LWS;
		if ((k & SW_C_HOST) && c != ':' && c != '[' && c != ']')
			v |= V_HOSTN;
		if ((k & SW_C_HOST) && c != '[' && c != ']')
			v |= V_HOST6;
		if (c == ':')
			v |= V_GENV;
		if ((k & SW_C_URIC) && c != ';' && c != ',' && c != '?')
			v |= V_URIU;
		if (k & SW_C_URIC)
			v |= V_URIC;
		if (k & SW_C_DIGIT)
			v |= V_DIGIT;
		vclass[c] = v;
	}
	for (unsigned i = 0; i < 8; i++)
		sw_cset_init(&vsets[i], vclass, (uint8_t)(1u << i));
	for (unsigned i = 0; i < 9; i++)
		memset(vbit[i], i < 8 ? 1 << i : V_TOKEN | V_LWS, 64);
	for (unsigned c = 0; c < 256; c++)
		dname_tab[c] = (vclass[c] & (V_TOKEN | V_LWS)) != 0;
	sw_cset_init(&dname_set, dname_tab, 1);
	for (unsigned c = 0; c < 128; c++)
		rplain_tab[c] = c != '@' && c != ';' && c != '?';
	sw_cset_init(&rplain_set, rplain_tab, 1);
}

/* The scanners below take the cursor by address; inlined into each parser, the cursor lives in registers. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static inline bool vis(char ch, unsigned cls)
{
	return (vclass[(uint8_t)ch] & cls) != 0;
}

/*
 * A cursor over a value: p moves, [lo, end) is the value, [lo, hi) what a scanner may read (hi >= end: a value
 * inside a datagram may be read on to the datagram's end, so that a 32-byte load near the end of a value needs no
 * masked load; the bits past end are masked off).
 */
struct cur {
	const char *p;
	const char *end;
	const char *lo;
	const char *hi;
};

#define CUR(v) ((struct cur){ (v).p, (v).p + (v).len, (v).p, (v).p + (v).len })
#define CUR_IN(v, h) ((struct cur){ (v).p, (v).p + (v).len, (v).p, (h) })

static ALWAYS_INLINE bool at_end(const struct cur *c)
{
	return c->p >= c->end;
}

static ALWAYS_INLINE bool peek(const struct cur *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static inline bool is_lws(char ch)
{
	return vis(ch, V_LWS);
}

/* First position at or after c->p, before the end, whose byte is not in cls (one class bit): SIMD, 16 at a time. */
static ALWAYS_INLINE const char *span(const struct cur *c, unsigned cls)
{
	return sw_span(c->p, c->end, c->lo, &vsets[__builtin_ctz(cls)]);
}

/* Skip LWS; returns true when anything was skipped. Runs of LWS are short: byte by byte. */
static ALWAYS_INLINE bool skip_lws(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && is_lws(*c->p))
		c->p++;
	return c->p != s;
}

static ALWAYS_INLINE struct sw_str take_class(struct cur *c, unsigned cls)
{
	const char *s = c->p;

	c->p = span(c, cls);
	return sw_str_make(s, (uint32_t)(c->p - s));
}

/* SWS ch SWS */
static ALWAYS_INLINE bool expect_sep(struct cur *c, char ch)
{
	skip_lws(c);
	if (!peek(c, ch))
		return false;
	c->p++;
	skip_lws(c);
	return true;
}

static ALWAYS_INLINE uint32_t ld4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* ";tag=" at p (5 bytes readable), the name in any case: |0x20 on p[1..3] only ('T'/'t', 'A'/'a', 'G'/'g'). */
static ALWAYS_INLINE bool semi_tag_eq(const char *p)
{
	return *p == ';' && (ld4(p + 1) | 0x00202020u) == ld4("tag=");
}

static ALWAYS_INLINE uint16_t ld2(const char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/*
 * Case-insensitive compare of s against a lower-case, all-letter literal of 2 <= n <= 8 bytes (|0x20 is tolower
 * there): two overlapping loads of 4 (or 2) bytes, no byte-wise copy (whose store-to-load forwarding would stall).
 */
static ALWAYS_INLINE bool name_is(struct sw_str s, const char *lit, uint32_t n)
{
	if (s.len != n)
		return false;
	if (n >= 4)
		return ((ld4(s.p) | 0x20202020u) ^ ld4(lit)) == 0 && ((ld4(s.p + n - 4) | 0x20202020u) ^ ld4(lit + n - 4)) == 0;
	return ((ld2(s.p) | 0x2020u) ^ ld2(lit)) == 0 && ((ld2(s.p + n - 2) | 0x2020u) ^ ld2(lit + n - 2)) == 0;
}

/*
 * quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; any octet but CR/LF may be escaped; NUL is allowed.
 * p is at the opening quote. Returns the position after the closing quote, or NULL with *stop where the scan ended
 * (takes and returns positions, not the cursor, so that a cursor never has its address taken and stays in
 * registers).
 */
static const char *quoted_end(const char *p, const char *end, const char **stop)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			if (p + 1 >= end || p[1] == '\r' || p[1] == '\n') {
				*stop = p;
				return NULL;
			}
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	*stop = p;
	return NULL;
}

static ALWAYS_INLINE bool take_quoted(struct cur *c, struct sw_str *out)
{
	const char *s = c->p, *e, *stop;

	if (!peek(c, '"'))
		return false;
	e = quoted_end(c->p, c->end, &stop);
	if (!e) {
		c->p = stop;
		return false;
	}
	c->p = e;
	*out = sw_str_make(s, (uint32_t)(e - s));
	return true;
}

/* host = hostname / IPv4address / IPv6reference */
static ALWAYS_INLINE bool take_host(struct cur *c, struct sw_str *host)
{
	const char *s;

	if (__builtin_expect(peek(c, '['), 0)) {
		s = ++c->p;
		c->p = span(c, V_HOST6);
		if (!peek(c, ']') || c->p == s)
			return false;
		*host = sw_str_make(s, (uint32_t)(c->p - s));
		c->p++;
		return true;
	}
	s = c->p;
	c->p = span(c, V_HOSTN);
	*host = sw_str_make(s, (uint32_t)(c->p - s));
	return host->len != 0;
}

/* gen-value = token / host / quoted-string */
static ALWAYS_INLINE bool take_gen_value(struct cur *c, struct sw_str *v)
{
	if (__builtin_expect(peek(c, '"'), 0))
		return take_quoted(c, v);
	if (__builtin_expect(peek(c, '['), 0)) {
		const char *s = c->p;
		struct sw_str h;

		if (!take_host(c, &h))
			return false;
		*v = sw_str_make(s, (uint32_t)(c->p - s));
		return true;
	}
	*v = take_class(c, V_GENV);
	return v->len != 0;
}

struct param {
	struct sw_str span; /* from the ';' to the end of the value */
	struct sw_str name;
	struct sw_str value; /* empty when the parameter has no '=' */
	bool has_value;
};

#if defined(__AVX2__)
/* Bit i set when byte i of x is the byte of splat k (sw_splat, core/sw_str.h: a compare with a memory operand). */
static ALWAYS_INLINE uint32_t eq32(__m256i x, enum sw_splat k)
{
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_load_si256((const __m256i *)sw_splat[k])));
}

/*
 * Up to 32 bytes of the value at p (avail = c->end - p of them), never reading past c->hi: a plain load when 32
 * bytes are readable, else (AVX-512) a masked load whose lanes past the end read nothing. *k has a bit per byte of
 * the value loaded. False when the bytes cannot be loaded safely (fewer than 32 readable and no masked load): the
 * caller takes its general path.
 */
static ALWAYS_INLINE bool load32(const struct cur *c, const char *p, long avail, __m256i *x, uint32_t *k)
{
	if (c->hi - p >= 32) {
		*k = avail >= 32 ? ~0u : (1u << avail) - 1;
		*x = _mm256_loadu_si256((const __m256i *)p);
		return true;
	}
#if defined(__AVX512BW__) && defined(__AVX512VL__)
	*k = (1u << avail) - 1;
	*x = _mm256_maskz_loadu_epi8(*k, p);
	return true;
#else
	return false;
#endif
}

/*
 * The classes of 32 loaded bytes. With AVX-512 VBMI one byte permute over the first 128 entries of vclass[] gives
 * every class bit of every byte at once, and each class is then one test (bytes >= 0x80 are in none); else each
 * class is a nibble lookup of its own (sw_cset_miss32).
 */
struct cls32 {
	__m256i x;
#if defined(__AVX512VBMI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
	__m256i bits;
	__mmask32 ascii;
#endif
};

static ALWAYS_INLINE struct cls32 cls32_of(__m256i x)
{
	struct cls32 v = { .x = x };

#if defined(__AVX512VBMI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
	v.bits = _mm512_castsi512_si256(_mm512_permutex2var_epi8(_mm512_loadu_si512(vclass),
								 _mm512_castsi256_si512(x),
								 _mm512_loadu_si512(vclass + 64)));
	v.ascii = ~_mm256_movepi8_mask(x);
#endif
	return v;
}

/* Bit i set when byte i is in class cls (a V_ bit, or V_TOKEN | V_LWS: either). */
static ALWAYS_INLINE uint32_t cls32_in(const struct cls32 *v, unsigned cls)
{
#if defined(__AVX512VBMI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
	return _mm256_mask_test_epi8_mask(v->ascii, v->bits, _mm256_set1_epi8((char)cls));
#else
	return ~sw_cset_miss32(v->x, cls == (V_TOKEN | V_LWS) ? &dname_set : &vsets[__builtin_ctz(cls)]);
#endif
}
#endif

/*
 * The usual generic-param, read from one 32-byte load: a token name, then nothing more (no LWS, no '='), or '='
 * and a token value right after it (no LWS, no quoted string, no [IPv6]). The name and the value then come from
 * two masks of the same bytes, not from one scan after the other. Returns false, the cursor untouched, for
 * anything else (or when the bytes cannot be loaded whole), and the general path reads the parameter.
 */
static ALWAYS_INLINE bool param_fast(struct cur *c, struct param *pr)
{
#if defined(__AVX2__)
	const char *p = c->p;
	long avail = c->end - p;
	uint32_t k, tok, n, eq, g, run;
	__m256i x;

	if (!load32(c, p, avail, &x, &k))
		return false;
	struct cls32 cv = cls32_of(x);

	tok = cls32_in(&cv, V_TOKEN) & k;
	if (!~tok)
		return false; /* a name of 32 bytes or more */
	n = (uint32_t)__builtin_ctz(~tok);
	if (n == 0 || n >= 31)
		return false;
	pr->name = sw_str_make(p, n);
	pr->has_value = false;
	pr->value = SW_STR_NULL;
	eq = eq32(x, SW_SPL_EQ);
	if ((long)n == avail || !(eq >> n & 1)) {
		if ((long)n < avail && is_lws(p[n]))
			return false; /* LWS, then perhaps '=': the general path */
		c->p = p + n;
		return true;
	}
	g = cls32_in(&cv, V_GENV) & k;
	run = (uint32_t)__builtin_ctz(~(g >> (n + 1))); /* < 32 - (n + 1) unless the run reaches the load's end */
	if (run == 0)
		return false; /* LWS, a quoted string, [IPv6], or nothing after '=': the general path */
	if (n + 1 + run < 32) {
		c->p = p + n + 1 + run;
	} else {
		c->p = p + 32;
		c->p = span(c, V_GENV);
	}
	pr->value = sw_str_make(p + n + 1, (uint32_t)(c->p - (p + n + 1)));
	pr->has_value = true;
	return true;
#else
	(void)c;
	(void)pr;
	return false;
#endif
}

/*
 * *( ";" token [ "=" gen-value ] ) over bits [a, n) of the masks of its bytes (n <= 63; bit a a ';'; t: token
 * bytes, g: gen-value bytes (token or ':'), e: '=', s: ';'), as the next_param() loop reads it: every byte a token
 * byte, '=', ';' or ':'; each ';' followed by a token byte and each '=' by a gen-value byte (a final one: bit n, no
 * byte); no second '=' in a value (its bytes run from an '=' to the next ';' or the end: the borrow of the
 * subtraction runs from each '=' to it) and a ':' only in a value. params_fast() and the 64-byte checks share it.
 */
static ALWAYS_INLINE bool params_ok(uint64_t t, uint64_t g, uint64_t e, uint64_t s, uint32_t a, uint32_t n)
{
	uint64_t r = ((1ull << n) - 1) & ~((1ull << a) - 1), s1, v;

	t &= r;
	g &= r;
	e &= r;
	s &= r;
	if ((g | e | s) != r || ((s << 1) & ~t) || ((e << 1) & ~g))
		return false;
	s1 = s | 1ull << n;
	v = ((s1 - (e << 1)) ^ s1) & ~s1; /* the value bytes: after each '=', before the next ';' */
	return !(v & e) && !(g & ~t & ~v);
}

/*
 * The usual rest of a via-parm when nothing but its validity is wanted: ";" token [ "=" gen-value ] repeated to the
 * end of the value, with no LWS, no ',', no quoted string and no [IPv6], checked at once from the masks of one
 * 32-byte load. Every ';' and every '=' is followed by a byte of what comes next, the bytes after an '=' up to the
 * next ';' (a ';' just past the end closes the last one: the borrow of the subtraction runs from each '=' to it)
 * hold no second '=', and a ':' only there (a bare IPv6 received=). True with the cursor at the end, exactly when
 * the next_param() loop would end there with every parameter well-formed; false, the cursor untouched, for
 * anything else, which that loop reads. Up to 63 bytes: two loads on the way.
 */
#if defined(__AVX2__)
static ALWAYS_INLINE uint64_t params_masks(const struct cur *c, const char *p, long n, uint64_t *t, uint64_t *g,
					     uint64_t *e, uint64_t *s)
{
	uint32_t k;
	__m256i x;

	if (!load32(c, p, n, &x, &k))
		return 0;
	struct cls32 cv = cls32_of(x);

	*t = cls32_in(&cv, V_TOKEN) & k;
	*g = cls32_in(&cv, V_GENV) & k; /* token bytes and ':' */
	*e = eq32(x, SW_SPL_EQ) & k;
	*s = eq32(x, SW_SPL_SEMI) & k;
	return k;
}

static ALWAYS_INLINE bool params_fast(struct cur *c)
{
	const char *p = c->p;
	long n = c->end - p;
	uint64_t k, t, g, e, s, t2, g2, e2, s2;

	if (n < 2 || n > 63 || *p != ';')
		return false;
	k = params_masks(c, p, n, &t, &g, &e, &s);
	if (!k)
		return false;
	if (n > 32) { /* the second 32 bytes */
		if (!params_masks(c, p + 32, n - 32, &t2, &g2, &e2, &s2))
			return false;
		t |= t2 << 32;
		g |= g2 << 32;
		e |= e2 << 32;
		s |= s2 << 32;
	}
	if (!params_ok(t, g, e, s, 0, (uint32_t)n))
		return false;
	c->p = c->end;
	return true;
}
#else
static ALWAYS_INLINE bool params_fast(struct cur *c)
{
	(void)c;
	return false;
}
#endif

/*
 * The usual values whole, from one 64-byte load (AVX-512 BW and VBMI): via_check64() and addr64() decide from the
 * class masks of all the value's bytes at once, where the parsers below step from one run to the next. Each accepts
 * only a value that its general parser accepts too, with the same results (the end, the tag), and returns false for
 * anything else, which the general parser then reads: so they decide nothing of their own. tests/unit/test_parse.c
 * and fuzz_sip check that on every value they see.
 */
#if defined(__AVX512BW__) && defined(__AVX512VBMI__)
#define SIP_FAST64 1

/* A value's bytes and their vclass[] bits (0 for bytes >= 0x80, in no class); k has a bit per byte of the value. */
struct cls64 {
	__m512i x, bits;
	uint64_t k, ascii;
};

/* n <= 63 bytes at p, [p, hi) readable: a plain load when 64 bytes are, else a masked one (no fault past hi). */
static ALWAYS_INLINE void cls64_load(struct cls64 *v, const char *p, uint32_t n, const char *hi)
{
	v->k = _bzhi_u64(~0ull, n);
	v->x = hi - p >= 64 ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi8(v->k, p);
	v->bits = _mm512_permutex2var_epi8(_mm512_loadu_si512(vclass), v->x, _mm512_loadu_si512(vclass + 64));
	v->ascii = v->k & ~_mm512_movepi8_mask(v->x);
}

/* The value's bytes in class cls (a V_ bit, or V_TOKEN | V_LWS). */
static ALWAYS_INLINE uint64_t cls64_in(const struct cls64 *v, unsigned cls)
{
	unsigned i = cls == (V_TOKEN | V_LWS) ? 8 : (unsigned)__builtin_ctz(cls);

	return _mm512_mask_test_epi8_mask(v->ascii, v->bits, _mm512_load_si512(vbit[i]));
}

/* The value's bytes equal to the splat k. */
static ALWAYS_INLINE uint64_t cls64_eq(const struct cls64 *v, enum sw_splat k)
{
	return _mm512_mask_cmpeq_epi8_mask(v->k, v->x, _mm512_load_si512(sw_splat[k]));
}

/* Bits [a, b) of a mask, a <= b <= 64. */
static ALWAYS_INLINE uint64_t bits_ab(uint32_t a, uint32_t b)
{
	return _bzhi_u64(~0ull, b) & ~_bzhi_u64(~0ull, a);
}

/*
 * A whole via-parm: "SIP/2.0/" transport SP host [":" port] *( ";" token [ "=" gen-value ] ), the port 1 to 65535
 * in at most 5 digits, to the end of the value (no ',', no LWS but the one SP, no [IPv6] host, no quoted string).
 * True when so: via_parse() then accepts the value and ends at its end.
 */
static ALWAYS_INLINE bool via_check64(struct sw_str val, const char *hi)
{
	const char *p = val.p;
	uint32_t n = val.len, s, e, h, d;
	uint64_t tok, hst, sp, semi, r;
	struct cls64 v;

	if (n < 12 || n > 63 || sip_hdr_ld8(p) != 0x2f302e322f504953ull) /* "SIP/2.0/" */
		return false;
	cls64_load(&v, p, n, hi);
	tok = cls64_in(&v, V_TOKEN);
	hst = cls64_in(&v, V_HOSTN);
	sp = cls64_eq(&v, SW_SPL_SP);
	semi = cls64_eq(&v, SW_SPL_SEMI);
	s = (uint32_t)_tzcnt_u64(sp);                          /* the SP after the transport (64: none) */
	e = (uint32_t)_tzcnt_u64(semi | ~v.k);                 /* the first ';', else n */
	h = (uint32_t)_tzcnt_u64(~hst & ~_bzhi_u64(~0ull, s + 1)); /* the host's end */
	if (s <= 8 || s >= n || (~tok & bits_ab(8, s)) || h == s + 1 || h > e)
		return false;
	if (h < e) { /* ':' and the port's digits, up to the ';' or the end */
		d = e - h - 1;
		r = bits_ab(h + 1, e);
		if (p[h] != ':' || d == 0 || d > 5 || (~cls64_in(&v, V_DIGIT) & r) ||
		    (cls64_eq(&v, SW_SPL_ZERO) & r) == r)
			return false;
		/* five digits: at most 65535, compared as the big-endian number of their bytes */
		if (d == 5 && (__builtin_bswap64(sip_hdr_ld8(p + e - 8)) & 0xffffffffffull) > 0x3635353335ull)
			return false;
	}
	return e == n || params_ok(tok, cls64_in(&v, V_GENV), cls64_eq(&v, SW_SPL_EQ), semi, e, n);
}

/*
 * A whole name-addr: a display name of tokens and LWS (or none), '<', a URI of URIC bytes holding a ':', '>'; then,
 * for a From or To (tag not NULL), nothing or exactly ";tag=" and a gen-value to the end; for a Contact (tag NULL),
 * no '*' or LWS first and nothing or parameters, none named tag. True when so: take_addr() then accepts the value
 * whole, and *tag is what it finds.
 */
static ALWAYS_INLINE bool addr64(struct sw_str val, const char *hi, struct sw_str *tag)
{
	const char *p = val.p;
	uint32_t n = val.len, lt, gt, rest;
	uint64_t lts, semi, stop;
	struct cls64 v;

	if (n == 0 || n > 63)
		return false;
	cls64_load(&v, p, n, hi);
	lts = cls64_eq(&v, SW_SPL_LT);
	semi = cls64_eq(&v, SW_SPL_SEMI);
	stop = lts | cls64_eq(&v, SW_SPL_DQ) | semi;
	lt = (uint32_t)_tzcnt_u64(stop);
	gt = (uint32_t)_tzcnt_u64(cls64_eq(&v, SW_SPL_GT) & ~_bzhi_u64(~0ull, lt + 1));
	/* gt < n: lt < n too, and bit lt of stop is set */
	if (gt >= n || !(lts >> lt & 1) || gt == lt + 1 || (~cls64_in(&v, V_URIC) & bits_ab(lt + 1, gt)) ||
	    !(cls64_eq(&v, SW_SPL_COLON) & bits_ab(lt + 1, gt)) ||
	    (~cls64_in(&v, V_TOKEN | V_LWS) & _bzhi_u64(~0ull, lt)))
		return false;
	rest = n - gt - 1;
	if (tag) {
		const char *t = p + gt + 1;

		if (rest == 0) {
			*tag = SW_STR_NULL;
			return true;
		}
		if (rest < 6 || !semi_tag_eq(t) ||
		    (~cls64_in(&v, V_GENV) & bits_ab(gt + 6, n)))
			return false;
		*tag = sw_str_make(t + 5, rest - 5);
		return true;
	}
	/* contact_parse() reads a '*' first (after LWS) as the wildcard, not a display name: "* <sip:a@b>" is malformed */
	if (*p == '*' || is_lws(*p))
		return false;
	if (rest == 0)
		return true;
	/* a ';' followed by "tag" in any case: perhaps a tag parameter, whose value take_addr() checks */
	__m512i lc = _mm512_or_si512(v.x, _mm512_load_si512(sw_splat[SW_SPL_SP]));
	uint64_t tt = _mm512_cmpeq_epi8_mask(lc, _mm512_set1_epi8('t'));
	uint64_t ta = _mm512_cmpeq_epi8_mask(lc, _mm512_set1_epi8('a'));
	uint64_t tg = _mm512_cmpeq_epi8_mask(lc, _mm512_set1_epi8('g'));

	if (p[gt + 1] != ';' || (semi & tt >> 1 & ta >> 2 & tg >> 3))
		return false;
	return params_ok(cls64_in(&v, V_TOKEN), cls64_in(&v, V_GENV), cls64_eq(&v, SW_SPL_EQ), semi, gt + 1, n);
}
#endif

/* *( SEMI generic-param ), stopping at ',' or the end. Returns 1 with a param, 0 at the end, -1 on error. */
static ALWAYS_INLINE int next_param(struct cur *c, struct param *pr)
{
	skip_lws(c);
	if (at_end(c) || *c->p == ',')
		return 0;
	if (*c->p != ';')
		return -1;
	pr->span.p = c->p++;
	skip_lws(c);
	if (param_fast(c, pr)) {
		pr->span.len = (uint32_t)(c->p - pr->span.p);
		return 1;
	}
	pr->name = take_class(c, V_TOKEN);
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

static inline void via_param(struct sip_via *via, const struct param *pr)
{
	if (name_is(pr->name, "branch", 6)) {
		via->branch = pr->value;
	} else if (name_is(pr->name, "rport", 5)) {
		via->has_rport = true;
		via->rport_has_value = pr->has_value;
		via->rport_param = pr->span;
	} else if (name_is(pr->name, "received", 8)) {
		via->received = pr->value;
		via->received_param = pr->span;
	}
}

static inline bool to_u64(struct sw_str s, uint64_t max, uint64_t *out)
{
	return sw_str_to_u64_inline(s, max, out);
}

/*
 * The usual start of a via-parm, "SIP/2.0/" transport LWS host [":" port], from one 32-byte load: the transport,
 * the LWS, the host and the port are runs in class masks of the same bytes, so no scan waits for the one before.
 * Sets the fields and moves the cursor as the general path would, or returns false (nothing changed) for any other
 * form: LWS around a slash or the colon, an [IPv6] host, a port to check, bytes past the load.
 */
static ALWAYS_INLINE bool via_fast(struct cur *c, struct sip_via *via)
{
#if defined(__AVX2__)
	const char *p = c->p;
	long avail = c->end - p;
	uint32_t k, tok, lws, hst, dig, t, l, h0, hn, he, dn;
	uint64_t port;
	__m256i x;

	if (avail < 8 || memcmp(p, "SIP/2.0/", 8) != 0)
		return false;
	if (!load32(c, p, avail, &x, &k))
		return false;
	struct cls32 cv = cls32_of(x);

	tok = cls32_in(&cv, V_TOKEN) & k;
	lws = cls32_in(&cv, V_LWS) & k;
	hst = cls32_in(&cv, V_HOSTN) & k;
	dig = cls32_in(&cv, V_DIGIT) & k;
	t = (uint32_t)__builtin_ctz(~(tok >> 8)); /* transport: bytes 8 .. 8+t */
	if (t == 0 || t > 20)
		return false;
	l = (uint32_t)__builtin_ctz(~(lws >> (8 + t))); /* then LWS, at least one */
	h0 = 8 + t + l;
	if (l == 0 || h0 >= 31)
		return false;
	hn = (uint32_t)__builtin_ctz(~(hst >> h0)); /* then a hostname or IPv4 address (not '[') */
	he = h0 + hn;
	if (hn == 0 || he >= 31 || (lws >> he & 1))
		return false;
	if ((long)he < avail && p[he] == ':') {
		dn = (uint32_t)__builtin_ctz(~(dig >> (he + 1)));
		if (dn == 0 || he + 1 + dn >= 32 || (long)(he + 1 + dn) > avail)
			return false;
		if (dn == 4) { /* the usual port (5060): the four digits of one load, weighted (the mask says digits) */
			uint32_t d4;

			memcpy(&d4, p + he + 1, 4);
			d4 -= 0x30303030u;
			port = (d4 & 0xff) * 1000 + (d4 >> 8 & 0xff) * 100 + (d4 >> 16 & 0xff) * 10 + (d4 >> 24);
		} else if (dn <= 5) { /* digits all (the mask says so): no test per byte, and 5 of them cannot overflow */
			port = 0;
			for (uint32_t i = he + 1; i < he + 1 + dn; i++)
				port = port * 10 + (uint32_t)(p[i] - '0');
			if (port > 65535)
				return false;
		} else if (!to_u64(sw_str_make(p + he + 1, dn), 65535, &port)) {
			return false;
		}
		if (port == 0)
			return false;
		via->port = (uint16_t)port;
		c->p = p + he + 1 + dn;
	} else {
		c->p = p + he;
	}
	via->transport = sw_str_make(p + 8, t);
	via->host = sw_str_make(p + h0, hn);
	return true;
#else
	(void)c;
	(void)via;
	return false;
#endif
}

/* check: only whether the via-parm is valid and where it ends matter (the parameters' values are not kept) */
static ALWAYS_INLINE bool via_parse(struct cur c, struct sip_via *via, bool check)
{
	struct sw_str proto, ver;
	struct param pr;
	int r;

	/* field by field: a memset of this size becomes "rep stos", slow to start */
	via->value = via->transport = via->host = via->branch = via->received = SW_STR_NULL;
	via->rport_param = via->received_param = SW_STR_NULL;
	via->port = 0;
	via->has_rport = via->rport_has_value = false;
	via->end = NULL;
	skip_lws(&c);
	const char *start = c.p;

	/*
	 * sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS). The usual
	 * "SIP/2.0/" reads as the general path would: two tokens, two bare slashes.
	 */
	if (via_fast(&c, via)) {
		goto params;
	} else if (c.end - c.p >= 8 && memcmp(c.p, "SIP/2.0/", 8) == 0) {
		c.p += 8;
		skip_lws(&c);
	} else {
		proto = take_class(&c, V_TOKEN);
		if (!proto.len || !expect_sep(&c, '/'))
			return false;
		ver = take_class(&c, V_TOKEN);
		if (!ver.len || !expect_sep(&c, '/'))
			return false;
	}
	via->transport = take_class(&c, V_TOKEN);
	if (!via->transport.len || !skip_lws(&c) || !take_host(&c, &via->host))
		return false;
	if (expect_sep(&c, ':')) {
		uint64_t port;
		struct sw_str digits = take_class(&c, V_DIGIT);

		if (!to_u64(digits, 65535, &port) || port == 0)
			return false;
		via->port = (uint16_t)port;
	}
params:
	if (check && params_fast(&c))
		goto done;
	while ((r = next_param(&c, &pr)) > 0)
		via_param(via, &pr);
	if (r < 0)
		return false;
done:
	via->end = c.p;
	via->value = sw_str_make(start, (uint32_t)(c.p - start));
	while (via->value.len && is_lws(via->value.p[via->value.len - 1]))
		via->value.len--;
	return true;
}

bool sip_via_parse(struct sw_str value, struct sip_via *via)
{
	return via_parse(CUR(value), via, false);
}

bool sip_via_parse_in(struct sw_str value, const char *hi, struct sip_via *via)
{
	return via_parse(CUR_IN(value, hi), via, false);
}

/* The same parse, inlined, where nothing but the end is read: the compiler drops the fields nobody reads. */
static __attribute__((noinline)) bool via_check(struct sw_str value, const char *hi, const char **end)
{
	struct sip_via via;

	if (!via_parse(CUR_IN(value, hi), &via, true))
		return false;
	*end = via.end;
	return true;
}

bool sip_via_check_in(struct sw_str value, const char *hi, const char **end)
{
#ifdef SIP_FAST64
	if (via_check64(value, hi)) {
		*end = value.p + value.len;
		return true;
	}
#endif
	return via_check(value, hi, end);
}

bool sip_cseq_parse(struct sw_str value, uint32_t *number, struct sw_str *method)
{
	struct cur c = CUR(value);
	uint64_t n;

	skip_lws(&c);
	if (!to_u64(take_class(&c, V_DIGIT), 0x7fffffffu, &n) || !skip_lws(&c))
		return false;
	*method = take_class(&c, V_TOKEN);
	skip_lws(&c);
	if (!method->len || !at_end(&c))
		return false;
	*number = (uint32_t)n;
	return true;
}

/*
 * addr-spec inside or outside <>: a URI with a scheme (a ':' somewhere), no LWS; outside <> it ends at the first
 * ';' or ',' and may not hold a '?' (20.10). One span, which also reports the ':'.
 */
static ALWAYS_INLINE bool take_uri(struct cur *c, bool bracketed)
{
	const char *s = c->p;
	bool colon = false;

	c->p = sw_span_has(c->p, c->end, c->lo, &vsets[__builtin_ctz(bracketed ? V_URIC : V_URIU)], ':', &colon);
	if (!bracketed && peek(c, '?'))
		return false; /* 20.10: a URI with '?' must be enclosed in <> */
	return c->p > s && colon;
}

/* display-name = *(token LWS) / quoted-string, then "<" addr-spec ">" */
static ALWAYS_INLINE bool take_name_addr(struct cur *c)
{
	struct sw_str q;

	if (peek(c, '"')) {
		if (!take_quoted(c, &q))
			return false;
		skip_lws(c);
	} else {
		while (c->p < c->end && vis(*c->p, V_TOKEN)) {
			take_class(c, V_TOKEN);
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
static inline bool is_name_addr(const char *p, const char *end)
{
	while (p < end && *p != '<' && *p != '"' && *p != ';')
		p++;
	return p < end && *p != ';';
}

/*
 * The usual name-addr up to its '>', from two 32-byte loads: a display name of tokens and LWS (or none) before the
 * first of '<', '"' and ';', which is '<'; then, from a load at the '<', a URI of URIC bytes holding a ':' and
 * ending at '>'. The masks of the same bytes give each part at once, as take_name_addr() would find them one after
 * the other. True with the cursor past the '>'; false, the cursor untouched, for anything else (a quoted display
 * name, an addr-spec, a URI of 32 bytes or more, a malformed value, bytes that cannot be loaded), which the
 * general path reads.
 */
static ALWAYS_INLINE bool name_addr_fast(struct cur *c)
{
#if defined(__AVX2__)
	const char *p = c->p, *u;
	uint32_t k, stop, lt, other, run, uric, e;
	__m256i x;

	if (!load32(c, p, c->end - p, &x, &k))
		return false;
	stop = (eq32(x, SW_SPL_LT) | eq32(x, SW_SPL_DQ) | eq32(x, SW_SPL_SEMI)) & k;
	if (!stop)
		return false;
	lt = (uint32_t)__builtin_ctz(stop);
	if (p[lt] != '<')
		return false;
	struct cls32 cv = cls32_of(x);

	/* the display name: every byte before the '<' a token or LWS byte (none to check when the value starts '<') */
	if (lt) {
		other = ~cls32_in(&cv, V_TOKEN | V_LWS);
		if (other & ((1u << lt) - 1))
			return false;
	}
	/*
	 * The URI: when the first byte after it (the '>', or what is not URIC) is in this load too, its masks say all;
	 * else a load at the URI (lt < 31: a shift by lt + 1 stays below 32).
	 */
	if (lt < 31) {
		uric = cls32_in(&cv, V_URIC) & k;
		run = (uint32_t)__builtin_ctz(~(uric >> (lt + 1)) | 1u << (31 - lt)); /* at most 31 - lt */
		e = lt + 1 + run;
		if (e < 32) {
			if (run == 0 || (long)e >= c->end - p || p[e] != '>')
				return false;
			if (!((eq32(x, SW_SPL_COLON) >> (lt + 1)) & ((1u << run) - 1)))
				return false;
			c->p = p + e + 1;
			return true;
		}
	}
	u = p + lt + 1;
	if (!load32(c, u, c->end - u, &x, &k))
		return false;
	struct cls32 cu = cls32_of(x);

	uric = cls32_in(&cu, V_URIC) & k;
	if (!~uric)
		return false; /* a URI of 32 bytes or more */
	run = (uint32_t)__builtin_ctz(~uric);
	if (run == 0 || (long)run >= c->end - u || u[run] != '>')
		return false;
	if (!(eq32(x, SW_SPL_COLON) & ((1u << run) - 1)))
		return false;
	c->p = u + run + 1;
	return true;
#else
	(void)c;
	return false;
#endif
}

/*
 * The usual rest of a From (or To) after its '>': exactly ";tag=" (the name in any case) and a value of gen-value
 * bytes (token or ':') running to the end of the value, with no LWS anywhere. The next_param() loop reads that as
 * one parameter, the tag, whose value is the rest (no quoted string or [IPv6]: '"' and '[' are not among those
 * bytes), and then ends at the end. True with the tag set and the cursor at the end; false, nothing changed, for
 * anything else, which that loop reads.
 */
static ALWAYS_INLINE bool tag_only(struct cur *c, struct sw_str *tag)
{
	const char *p = c->p, *v = p + 5;

	if (c->end - p < 6 || !semi_tag_eq(p))
		return false;
	c->p = v;
	if (span(c, V_GENV) != c->end) {
		c->p = p;
		return false;
	}
	*tag = sw_str_make(v, (uint32_t)(c->end - v));
	c->p = c->end;
	return true;
}

/* One ( name-addr / addr-spec ) *( SEMI param ), ending at ',' or the end of the value. */
static ALWAYS_INLINE bool take_addr(struct cur *c, struct sw_str *tag)
{
	struct param pr;
	int r;

	*tag = SW_STR_NULL;
	skip_lws(c);
	if (name_addr_fast(c)) {
		/* the cursor is past the '>' */
		if (tag_only(c, tag))
			return true;
	} else if (is_name_addr(c->p, c->end)) {
		if (!take_name_addr(c))
			return false;
	} else if (!take_uri(c, false)) {
		return false;
	}
	while ((r = next_param(c, &pr)) > 0)
		if (name_is(pr.name, "tag", 3)) {
			if (!pr.value.len)
				return false;
			*tag = pr.value;
		}
	return r == 0;
}

bool sip_addr_parse(struct sw_str value, struct sw_str *tag)
{
	struct cur c = CUR(value);

	return take_addr(&c, tag) && at_end(&c);
}

static __attribute__((noinline)) bool addr_parse_in(struct sw_str value, const char *hi, struct sw_str *tag)
{
	struct cur c = CUR_IN(value, hi);

	return take_addr(&c, tag) && at_end(&c);
}

bool sip_addr_parse_in(struct sw_str value, const char *hi, struct sw_str *tag)
{
#ifdef SIP_FAST64
	if (addr64(value, hi, tag))
		return true;
#endif
	return addr_parse_in(value, hi, tag);
}

bool sip_value_entry_agrees(enum sip_hdr_id id, struct sw_str in, const char *hi, struct sw_str tight)
{
	struct sw_str tf = SW_STR_NULL, ts = SW_STR_NULL;
	const char *end = NULL;
	struct sip_via via;
	bool fast, slow;

	switch (id) {
	case SIP_HDR_VIA:
		fast = sip_via_check_in(in, hi, &end);
		slow = sip_via_parse(tight, &via);
		return fast == slow && (!fast || end - in.p == via.end - tight.p);
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
		fast = sip_addr_parse_in(in, hi, &tf);
		slow = sip_addr_parse(tight, &ts);
		return fast == slow && (!fast || (tf.len == ts.len && (!ts.p || tf.p - in.p == ts.p - tight.p)));
	case SIP_HDR_CONTACT:
		return sip_contact_parse_in(in, hi) == sip_contact_parse(tight);
	default:
		return true;
	}
}

/* For tests: does the 64-byte check of this header's values accept this one? (false when not built) */
bool sip_value_fast(enum sip_hdr_id id, struct sw_str value, const char *hi)
{
#ifdef SIP_FAST64
	struct sw_str tag;

	switch (id) {
	case SIP_HDR_VIA:
		return via_check64(value, hi);
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
		return addr64(value, hi, &tag);
	case SIP_HDR_CONTACT:
		return addr64(value, hi, NULL);
	default:
		return false;
	}
#else
	(void)id;
	(void)value;
	(void)hi;
	return false;
#endif
}

static ALWAYS_INLINE bool contact_parse(struct cur c)
{
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

bool sip_contact_parse(struct sw_str value)
{
	return contact_parse(CUR(value));
}

static __attribute__((noinline)) bool contact_parse_in(struct sw_str value, const char *hi)
{
	return contact_parse(CUR_IN(value, hi));
}

bool sip_contact_parse_in(struct sw_str value, const char *hi)
{
#ifdef SIP_FAST64
	if (addr64(value, hi, NULL))
		return true;
#endif
	return contact_parse_in(value, hi);
}

/*
 * An IPv6 reference's address, as RFC 3261's ABNF reads it (rare: only bracketed hosts): hex groups of at most 4
 * digits separated by ':', optionally an IPv4 tail. RFC 5118 4.10 asks that the ":::" the RFC 3261 ABNF wrongly
 * admits ([2001:db8:::192.0.2.1]) be tolerated, so this is not inet_pton: the shape is checked, not the strictness.
 */
static __attribute__((noinline)) bool ipv6_ok(struct sw_str host)
{
	uint32_t colons = 0, run = 0, dots = 0;

	for (uint32_t i = 0; i < host.len; i++) {
		char ch = host.p[i];

		if (ch == ':') {
			colons++;
			run = 0;
		} else if (ch == '.') {
			dots++;
			run = 0;
		} else if (sw_is((uint8_t)ch, SW_C_DIGIT) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')) {
			if (++run > 4)
				return false;
		} else {
			return false;
		}
	}
	return colons >= 2 && colons <= 8 && (dots == 0 || dots == 3);
}

/* hostport of a sip:/sips: URI (readable from lo): IPv6 only in brackets (RFC 5118 4.2), a port of digits. */
static inline bool hostport_ok(struct sw_str hp, const char *lo)
{
	struct cur c = { hp.p, hp.p + hp.len, lo, hp.p + hp.len };
	struct sw_str host;
	uint64_t port;

	if (!take_host(&c, &host))
		return false;
	if (host.p > hp.p && !ipv6_ok(host))
		return false;
	if (at_end(&c))
		return true;
	if (!peek(&c, ':'))
		return false;
	c.p++;
	return to_u64(sw_str_make(c.p, (uint32_t)(c.end - c.p)), 65535, &port);
}

/* The first '@', ';' or '?' at or after p (end when none): spans of other bytes, SIMD. */
static inline const char *ruri_next(const char *p, const char *end, const char *lo)
{
	for (;;) {
		p = sw_span(p, end, lo, &rplain_set);
		if (p == end || *p == '@' || *p == ';' || *p == '?')
			return p;
		p++; /* a byte >= 0x80: not one of the three */
	}
}

bool sip_ruri_check_in(struct sw_str uri, const char *lo, const char *hi)
{
	const char *p, *hp, *semi = NULL, *end = uri.p + uri.len;
	uint32_t start, w = 0;

	/* "sip:" / "sips:", case-insensitive: |0x20 lower-cases the letters, the ':' is compared as is */
	if (uri.len > 4)
		memcpy(&w, uri.p, 4);
	if (uri.len > 4 && (w | 0x00202020u) == 0x3a706973u) /* "sip:" */
		start = 4;
	else if (uri.len > 5 && (w | 0x20202020u) == 0x73706973u && uri.p[4] == ':') /* "sips" ":" */
		start = 5;
	else
		return memchr(uri.p, ':', uri.len) != NULL; /* absoluteURI: any scheme (RFC 4475 3.3.2) */
#if defined(__AVX2__)
	/*
	 * The usual short URI, from one 32-byte load: the masks of '@', ';' and '?' give at once every stop the loop
	 * below finds one after the other (the same hostport, the same test for a '?' after it).
	 */
	if (uri.len <= 32 && hi - uri.p >= 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)uri.p);
		uint32_t k = (uri.len == 32 ? ~0u : (1u << uri.len) - 1) & (~0u << start), h = start, e;
		uint32_t at = eq32(x, SW_SPL_AT) & k;
		uint32_t q = eq32(x, SW_SPL_QM) & k;
		uint32_t stop = (eq32(x, SW_SPL_SEMI) & k) | q;

		if (at) {
			h = (uint32_t)__builtin_ctz(at) + 1; /* hostport after the first '@' */
			stop &= h < 32 ? ~0u << h : 0;
		}
		e = stop ? (uint32_t)__builtin_ctz(stop) : uri.len;
		if (h < e && uri.p[h] != '[') {
			/* a hostname or IPv4 host, as take_host() spans it, off the same load (e - h < 32) */
			struct cls32 cv = cls32_of(x);
			uint32_t he = h + (uint32_t)__builtin_ctz(~(cls32_in(&cv, V_HOSTN) >> h) | 1u << (e - h));
			uint64_t port;

			if (he == h || (he < e && (uri.p[he] != ':' ||
						   !to_u64(sw_str_make(uri.p + he + 1, e - he - 1), 65535, &port))))
				return false;
		} else if (!hostport_ok(sw_str_make(uri.p + h, e - h), lo)) {
			return false;
		}
		return (q & (e < 32 ? ~0u << e : 0)) == 0; /* RFC 3261 19.1.1: no headers component */
	}
#else
	(void)hi;
#endif
	/*
	 * userinfo may hold ';', '?' and ',' (user-unreserved, RFC 4475 3.1.1.3): hostport starts after the first '@'
	 * and ends at the first ';' or '?' after it; with no '@', at the first ';' or '?' after the scheme.
	 */
	for (p = ruri_next(uri.p + start, end, lo); p < end && *p != '@'; p = ruri_next(p + 1, end, lo))
		if (!semi)
			semi = p;
	if (p < end) {
		hp = p + 1;
		p = ruri_next(hp, end, lo);
		while (p < end && *p == '@')
			p = ruri_next(p + 1, end, lo);
	} else {
		hp = uri.p + start;
		p = semi ? semi : end;
	}
	if (!hostport_ok(sw_str_make(hp, (uint32_t)(p - hp)), lo))
		return false;
	/* RFC 3261 19.1.1: the headers component is not allowed in a Request-URI (RFC 4475 3.1.2.11) */
	while (p < end && *p != '?')
		p = ruri_next(p + 1, end, lo);
	return p == end;
}

bool sip_ruri_check(struct sw_str uri)
{
	return sip_ruri_check_in(uri, uri.p, uri.p + uri.len);
}

bool sip_token_list_next(struct sw_str value, uint32_t *pos, struct sw_str *tok, bool *bad)
{
	struct cur c = { value.p + *pos, value.p + value.len, value.p, value.p + value.len };

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
	*tok = take_class(&c, V_TOKEN);
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

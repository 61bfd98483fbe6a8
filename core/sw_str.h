/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy string views into a datagram, and the RFC 3261 character classes as 256-entry tables.
 * A view never owns its bytes: it is valid as long as the buffer it points into.
 */
#ifndef SW_STR_H
#define SW_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSSE3__)
#include <immintrin.h>
#endif

struct sw_str {
	const char *p;
	uint32_t len;
};

#define SW_STR_NULL ((struct sw_str){ NULL, 0 })
#define SW_STR_LIT(s) ((struct sw_str){ (s), sizeof(s) - 1 })

/* Character classes (RFC 3261 25.1). Bits of sw_cclass[]. */
enum {
	SW_C_TOKEN = 1u << 0, /* token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
	SW_C_DIGIT = 1u << 1,
	SW_C_WS = 1u << 2, /* SP / HTAB */
	SW_C_ALPHA = 1u << 3,
	SW_C_URIC = 1u << 4, /* any byte allowed in a Request-URI: visible ASCII except < > " and SP */
	SW_C_HOST = 1u << 5, /* hostname / IPv4 / bracketed IPv6 characters */
};

extern const uint8_t sw_cclass[256];
extern const uint8_t sw_lower[256];

static inline bool sw_is(uint8_t c, unsigned cls)
{
	return (sw_cclass[c] & cls) != 0;
}

static inline struct sw_str sw_str_make(const char *p, uint32_t len)
{
	return (struct sw_str){ p, len };
}

static inline bool sw_str_empty(struct sw_str s)
{
	return s.len == 0;
}

/* Exact, case-sensitive comparison. */
static inline bool sw_str_eq(struct sw_str a, struct sw_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/*
 * memcpy() of fewer than 32 bytes inline, with overlapping fixed-size moves: two of 16, 8 or 4, else up to three
 * single bytes (a libc call costs more at this size). The reply writer and the dataplane's copy-and-sum use it.
 */
static inline __attribute__((always_inline)) void sw_copy_short(void *dst, const void *src, uint32_t n)
{
	char *d = dst;
	const char *s = src;

	if (n >= 16) {
		uint64_t a[2], b[2];

		memcpy(a, s, 16);
		memcpy(b, s + n - 16, 16);
		memcpy(d, a, 16);
		memcpy(d + n - 16, b, 16);
	} else if (n >= 8) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/*
 * A character class for sw_span(): a bit of a 256-entry class table, plus the same class as a 16-byte table for
 * the SIMD lookup by nibbles: nib[lo] has bit h set when byte h*16 + lo is in the class (h < 8; no byte >= 0x80
 * is in any class). Built once by sw_cset_init().
 */
struct sw_cset {
	uint8_t nib[16];
	const uint8_t *tab;
	uint8_t bit;
};

void sw_cset_init(struct sw_cset *set, const uint8_t tab[256], uint8_t bit);

/*
 * SIMD constants in memory (sw_str.c), for the parser's, the value parsers' and the reply's compares and the nibble
 * lookup: an
 * operand in memory folds into the instruction that uses it, where GCC otherwise rebuilds a splat in registers (a
 * move, a vmovd and a broadcast) at every use. Not const, so that GCC cannot fold them back into that; nothing writes
 * them. sw_splat[k] is 64 copies of one byte (a 64-, 32- or 16-byte load of it is that byte's splat);
 * sw_nib_rows is the row bits of the nibble lookup (1 << h for bytes 0..7 of each 16-byte lane, then 0).
 */
enum sw_splat {
	SW_SPL_LF,
	SW_SPL_CR,
	SW_SPL_COLON,
	SW_SPL_EQ,
	SW_SPL_SEMI,
	SW_SPL_LT,
	SW_SPL_DQ,
	SW_SPL_AT,
	SW_SPL_QM,
	SW_SPL_COMMA,
	SW_SPL_LBRACKET,
	SW_SPL_SP,
	SW_SPL_GT,
	SW_SPL_ZERO, /* '0' */
	SW_SPL_NIB_F, /* 0x0f: the nibble mask */
	SW_SPL__COUNT
};
extern char sw_splat[SW_SPL__COUNT][64] __attribute__((visibility("hidden")));
extern char sw_nib_rows[32] __attribute__((visibility("hidden")));

#if defined(__SSSE3__)
/* Bit i set when byte i of x is not in the class. */
static inline unsigned sw_cset_miss16(__m128i x, const struct sw_cset *set)
{
	const __m128i rows = _mm_load_si128((const __m128i *)sw_nib_rows);
	const __m128i f = _mm_load_si128((const __m128i *)sw_splat[SW_SPL_NIB_F]);
	__m128i lo = _mm_and_si128(x, f), hi = _mm_and_si128(_mm_srli_epi16(x, 4), f);
	__m128i in = _mm_and_si128(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)set->nib), lo),
				   _mm_shuffle_epi8(rows, hi));

	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(in, _mm_setzero_si128()));
}
#endif

#if defined(__AVX2__)
/* sw_cset_miss16() for 32 bytes: bit i set when byte i of x is not in the class. */
static inline uint32_t sw_cset_miss32(__m256i x, const struct sw_cset *set)
{
	const __m256i rows = _mm256_load_si256((const __m256i *)sw_nib_rows);
	const __m256i f = _mm256_load_si256((const __m256i *)sw_splat[SW_SPL_NIB_F]);
	__m256i lo = _mm256_and_si256(x, f), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), f);
	__m256i nib = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)set->nib));
	__m256i in = _mm256_and_si256(_mm256_shuffle_epi8(nib, lo), _mm256_shuffle_epi8(rows, hi));

	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(in, _mm256_setzero_si256()));
}
#endif

/*
 * The first byte at or after p, before end, that is not in the class (end when none). [lo, end) is what may be
 * read: no load touches a byte outside it (a tail under 16 bytes is loaded as the 16 bytes ending at end when
 * lo allows, masked on AVX-512, else read byte by byte).
 */
static inline const char *sw_span(const char *p, const char *end, const char *lo, const struct sw_cset *set)
{
#if defined(__SSSE3__)
	unsigned m;

	for (; end - p >= 16; p += 16) {
		m = sw_cset_miss16(_mm_loadu_si128((const __m128i *)p), set);
		if (m)
			return p + __builtin_ctz(m);
	}
	if (p >= end)
		return p;
#if defined(__AVX512BW__) && defined(__AVX512VL__)
	(void)lo;
	{
		__mmask16 k = (__mmask16)((1u << (end - p)) - 1);

		m = sw_cset_miss16(_mm_maskz_loadu_epi8(k, p), set) | ~(unsigned)k;
		return p + __builtin_ctz(m);
	}
#else
	if (end - lo >= 16) {
		unsigned n = (unsigned)(end - p);

		m = sw_cset_miss16(_mm_loadu_si128((const __m128i *)(end - 16)), set) >> (16 - n);
		return p + __builtin_ctz(m | 1u << n);
	}
#endif
#else
	(void)lo;
#endif
	while (p < end && (set->tab[(uint8_t)*p] & set->bit))
		p++;
	return p;
}

/*
 * sw_span(), and whether byte ch occurs in the span (*has is OR-ed, not cleared): the URI scanners want both, and
 * one pass gives both from the same loads.
 */
static inline const char *sw_span_has(const char *p, const char *end, const char *lo, const struct sw_cset *set,
				      char ch, bool *has)
{
#if defined(__SSSE3__)
	const __m128i c = _mm_set1_epi8(ch);
	unsigned m, e;
	__m128i x;

	for (; end - p >= 16; p += 16) {
		x = _mm_loadu_si128((const __m128i *)p);
		m = sw_cset_miss16(x, set);
		e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c));
		if (m) {
			*has |= (e & ((m & -m) - 1)) != 0;
			return p + __builtin_ctz(m);
		}
		*has |= e != 0;
	}
	if (p >= end)
		return p;
#if defined(__AVX512BW__) && defined(__AVX512VL__)
	(void)lo;
	{
		__mmask16 k = (__mmask16)((1u << (end - p)) - 1);

		x = _mm_maskz_loadu_epi8(k, p);
		m = sw_cset_miss16(x, set) | ~(unsigned)k;
		e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c)) & k;
		*has |= (e & ((m & -m) - 1)) != 0;
		return p + __builtin_ctz(m);
	}
#else
	if (end - lo >= 16) {
		unsigned n = (unsigned)(end - p);

		x = _mm_loadu_si128((const __m128i *)(end - 16));
		m = (sw_cset_miss16(x, set) >> (16 - n)) | 1u << n;
		e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c)) >> (16 - n);
		*has |= (e & ((m & -m) - 1)) != 0;
		return p + __builtin_ctz(m);
	}
#endif
#else
	(void)lo;
#endif
	while (p < end && (set->tab[(uint8_t)*p] & set->bit)) {
		*has |= *p == ch;
		p++;
	}
	return p;
}

/* ASCII case-insensitive comparison against a C string. */
bool sw_str_ieq_cstr(struct sw_str a, const char *s);
bool sw_str_ieq(struct sw_str a, struct sw_str b);

/* Trim SP, HTAB, CR and LF at both ends. */
struct sw_str sw_str_trim(struct sw_str s);

/*
 * Parse a decimal unsigned number filling the whole view (no sign, no space).
 * Returns false when empty, not all digits, or above max (overflow-safe for any length).
 */
bool sw_str_to_u64(struct sw_str s, uint64_t max, uint64_t *out);

/* sw_str_to_u64(), inline for the hot paths (Content-Length, Max-Forwards, CSeq, ports). */
static inline bool sw_str_to_u64_inline(struct sw_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(uint8_t)s.p[i] - '0';

		if (d > 9)
			return false;
		/* stop growing once above max: leading zeros are fine, any length is overflow-safe */
		if (v <= max)
			v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/*
 * a[0..n) == b[0..n) for a compile-time n: two overlapping 4-byte (or 2-byte) loads a side for 2 <= n <= 8, since
 * the compiler calls memcmp() for lengths such as 3 and 6 (methods: "ACK", "CANCEL").
 */
static inline bool sw_bytes_eq_n(const char *a, const char *b, uint32_t n)
{
	if (n >= 4 && n <= 8) {
		uint32_t a0, a1, b0, b1;

		memcpy(&a0, a, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b0, b, 4);
		memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 2 && n < 4) {
		uint16_t a0, a1, b0, b1;

		memcpy(&a0, a, 2);
		memcpy(&a1, a + n - 2, 2);
		memcpy(&b0, b, 2);
		memcpy(&b1, b + n - 2, 2);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

/* Exact comparison against a string literal (its length is known at compile time). */
#define SW_STR_IS(s, lit) ((s).len == sizeof(lit) - 1 && sw_bytes_eq_n((s).p, (lit), sizeof(lit) - 1))

/*
 * SipHash-2-4 with a 64-bit result (Aumasson and Bernstein; what libsodium's crypto_shorthash() computes, byte for
 * byte: the result is stored little-endian), inline for the short inputs of the reply's To tag, where the library
 * call's generic loop and byte-wise tail were a quarter of its cost: sw_siphash_*() over a message in pieces, and
 * sw_siphash24() over one buffer, built on them.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SW_LE64(x) __builtin_bswap64(x)
#else
#define SW_LE64(x) (x)
#endif
#define SW_SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SW_SIPROUND(v0, v1, v2, v3)                                                                               \
	do {                                                                                                      \
		v0 += v1;                                                                                         \
		v1 = SW_SIP_ROTL(v1, 13);                                                                         \
		v1 ^= v0;                                                                                         \
		v0 = SW_SIP_ROTL(v0, 32);                                                                         \
		v2 += v3;                                                                                         \
		v3 = SW_SIP_ROTL(v3, 16);                                                                         \
		v3 ^= v2;                                                                                         \
		v0 += v3;                                                                                         \
		v3 = SW_SIP_ROTL(v3, 21);                                                                         \
		v3 ^= v0;                                                                                         \
		v2 += v1;                                                                                         \
		v1 = SW_SIP_ROTL(v1, 17);                                                                         \
		v1 ^= v2;                                                                                         \
		v2 = SW_SIP_ROTL(v2, 32);                                                                         \
	} while (0)

/*
 * sw_siphash24() of a message given in pieces, without writing the message anywhere: each 8-byte word is put
 * together in a register from the pieces' own bytes and compressed as soon as it is whole. The same function of
 * the concatenation (tests/unit/test_reply.c compares the two), for a message gathered from the request: copied
 * into a buffer piece by piece and read back a word at a time, its words spanned the copies' stores, which the CPU
 * cannot forward, so every load waited for the stores to reach the cache.
 */
struct sw_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t m;  /* the word being put together: its first nm bytes (little-endian), zero above */
	uint32_t nm; /* 0..7 */
	uint32_t n;  /* bytes so far */
};

static inline void sw_siphash_init(struct sw_siphash *s, const uint8_t key[16])
{
	uint64_t k0, k1;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	k0 = SW_LE64(k0);
	k1 = SW_LE64(k1);
	s->v0 = 0x736f6d6570736575ull ^ k0;
	s->v1 = 0x646f72616e646f6dull ^ k1;
	s->v2 = 0x6c7967656e657261ull ^ k0;
	s->v3 = 0x7465646279746573ull ^ k1;
	s->m = 0;
	s->nm = 0;
	s->n = 0;
}

/* The next k bytes of the message (1 <= k <= 8): the low k bytes of w, as a little-endian load gives them; w's
 * bytes above them must be zero. */
static inline __attribute__((always_inline)) void sw_siphash_word(struct sw_siphash *s, uint64_t w, uint32_t k)
{
	uint64_t m = s->m | w << (8 * s->nm);

	s->n += k;
	if (s->nm + k < 8) {
		s->m = m;
		s->nm += k;
		return;
	}
	s->v3 ^= m;
	SW_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SW_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
	/* what w had past the word just compressed: its last nm + k - 8 bytes */
	s->m = s->nm ? w >> (8 * (8 - s->nm)) : 0;
	s->nm = s->nm + k - 8;
}

/*
 * The next n bytes of the message, from p: 8 bytes a load while they lie below hi (p's buffer may be read up to
 * hi, past the n bytes), the bytes past n masked off; near hi, byte by byte.
 */
static inline __attribute__((always_inline)) void sw_siphash_bytes(struct sw_siphash *s, const void *p, uint32_t n,
								   const void *hi)
{
	const uint8_t *q = p;
	uint64_t w;

	for (; n >= 8; q += 8, n -= 8) {
		memcpy(&w, q, 8);
		sw_siphash_word(s, SW_LE64(w), 8);
	}
	if (!n)
		return;
	if ((const uint8_t *)hi - q >= 8) {
		memcpy(&w, q, 8);
		w = SW_LE64(w) & ((1ull << (8 * n)) - 1);
	} else {
		w = 0;
		for (uint32_t i = 0; i < n; i++)
			w |= (uint64_t)q[i] << (8 * i);
	}
	sw_siphash_word(s, w, n);
}

/* The hash of the bytes given, stored little-endian in out[0..8) as sw_siphash24() stores it. */
static inline void sw_siphash_final(struct sw_siphash *s, uint8_t out[8])
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3, b = (uint64_t)s->n << 56 | s->m;

	v3 ^= b;
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	SW_SIPROUND(v0, v1, v2, v3);
	b = SW_LE64(v0 ^ v1 ^ v2 ^ v3);
	memcpy(out, &b, 8);
}

/* SipHash-2-4 (libsodium's crypto_shorthash) of in[0..n) under key, stored little-endian in out[0..8). */
static inline void sw_siphash24(uint8_t out[8], const uint8_t *in, size_t n, const uint8_t key[16])
{
	struct sw_siphash s;

	sw_siphash_init(&s, key);
	sw_siphash_bytes(&s, in, (uint32_t)n, in + n);
	sw_siphash_final(&s, out);
}

#endif

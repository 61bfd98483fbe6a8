/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum's raw sum (RFC 1071) over a datagram, and a copy that sums what it copies.
 *
 * Written by hand because DPDK 22.11's __rte_raw_cksum() adds one 16-bit word per iteration: on a SIP datagram
 * (600 bytes in, a 400-byte reply out, 5,000 for a 413) that loop was ~800 instructions per answered packet. Here
 * 32 bytes go per step, their 16-bit words widened to 32-bit lanes (AVX2 when the build has it, else SSE2, which
 * every x86-64 has: libdpdk's pkg-config flags end in -march=corei7, so the dataplane is built without AVX2 even
 * where the core gets -march=native), then 8 bytes per step as two 32-bit words.
 * Both give the same ones' complement sum: a 32-bit word hi:lo is hi + lo modulo 0xffff, and folding keeps the
 * residue, so the folded result equals __rte_raw_cksum_reduce(__rte_raw_cksum(...)) byte for byte (the tests
 * compare them over every length and alignment).
 */
#ifndef DP_CKSUM_H
#define DP_CKSUM_H

#include <stdint.h>
#include <string.h>

#include "sw_str.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * Fold a 64-bit sum of 16-bit words to 16 bits (not complemented), end-around carries included: the two 32-bit
 * halves added with the carry out of bit 31 added back (an add and an add-with-carry; 2^32 is 1 modulo 0xffff, and
 * the carried sum cannot overflow again), then two 16-bit folds, which is all a 32-bit value needs (the first
 * leaves at most 0x1ffff, the second at most 0xffff). Nonzero stays nonzero at every step, so the result is the
 * one a fold in more steps gives: 0 only for 0, else the residue in 1..0xffff (tests/integration/test_l2l4.c).
 */
static inline uint16_t dp_cksum_fold(uint64_t s)
{
	uint32_t lo = (uint32_t)s, hi = (uint32_t)(s >> 32);

	lo += hi;
	lo += lo < hi;
	lo = (lo & 0xffffu) + (lo >> 16);
	lo = (lo & 0xffffu) + (lo >> 16);
	return (uint16_t)lo;
}

/* dp_cksum_sum() of a 20-byte (IPv4, no options) header: two 8-byte loads and one of 4, no loop. */
static inline uint64_t dp_cksum_sum20(const void *buf)
{
	const uint8_t *p = buf;
	uint64_t a, b;
	uint32_t c;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	memcpy(&c, p + 16, 4);
	return (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32) + c;
}

/*
 * The 32-byte steps, with or without a copy: sum (uint64_t) gets every 16-bit word of s[0..len & ~31] (SSE2) or of all
 * of s[0..len) (AVX2); s, d and len advance past them. SSE2: each 32-bit lane takes at most four 16-bit words per step,
 * no overflow below 1 MB. AVX2: 256 bytes a step while that many are left, then 64, then 32; each word u taken as the
 * signed u - 0x8000 (one xor), so that vpmaddwd against ones adds pairs of words into 32-bit lanes in one instruction;
 * the 0x8000 per word is added back at the end, which makes the sum exact. A lane takes two pairs (each within +-2^16)
 * per 64 bytes: no overflow below 1 MB. Three instructions per 32 bytes instead of five, and the 256-byte step spreads
 * the loop's own instructions (pointer, count, branch, accumulator move) over eight of them: 27 instructions per 256
 * bytes instead of 40. What is left after the 32-byte steps (the macro runs only on 32 bytes or more) goes too: an odd
 * last byte is added as the low byte of its word (as __rte_raw_cksum pads it), and the even rest is the 32-byte load
 * that ends with it, the bytes before it (summed already) masked off by dp_cksum_tail_mask (their zero words biased and
 * added back like the others); a copy stores that load whole, writing the bytes before d again as they were. The lanes
 * are then summed as 64-bit ones in registers. dp_cksum_sum() is always inlined: callers with a constant length (an
 * IPv4 header) lose the steps at compile time, and GCC would otherwise call it out of line now that the steps are
 * longer.
 */
#if defined(__x86_64__)
/* 32 zero bytes then 32 0xff: the 32 bytes at dp_cksum_tail_mask + e keep the last e bytes of a 32-byte load. */
static const uint8_t dp_cksum_tail_mask[64] = {
	0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
	0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
#endif

#if defined(__x86_64__)
/*
 * The AVX2 steps' two constants (0x8000 and 1 in every 16-bit word), loaded from memory through a pointer GCC
 * cannot see through: each use is then a memory operand of its vpxor or vpmaddwd. As _mm256_set1_epi16() (or loads
 * GCC could read) they were built in registers again, 3 instructions each, before every kind of step.
 */
static const uint16_t dp_cksum_k16[2][16] __attribute__((aligned(32))) = {
	{ 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000,
	  0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000 },
	{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
};

#define DP_CKSUM_BLOCKS_AVX2(s, d, len, sum, copy)                                                                  \
	do {                                                                                                      \
		const __m256i *k_ = (const __m256i *)dp_cksum_k16;                                                \
		__m256i flip_, one_;                                                                              \
                                                                                                                  \
		__asm__("" : "+r"(k_)); /* opaque: GCC would see the values through the loads and rebuild them */ \
		flip_ = _mm256_load_si256(k_);                                                                    \
		one_ = _mm256_load_si256(k_ + 1);                                                                 \
		__m256i acc_ = _mm256_setzero_si256();                                                            \
		uint64_t n0_ = (len);                                                                             \
		__m256i l_;                                                                                       \
                                                                                                                  \
		for (; (len) >= 256; (s) += 256, (d) += 256, (len) -= 256) {                                     \
			__m256i t_[8];                                                                            \
                                                                                                                  \
			for (int j_ = 0; j_ < 8; j_++) {                                                          \
				t_[j_] = _mm256_loadu_si256((const __m256i *)((s) + 32 * j_));                    \
				if (copy)                                                                         \
					_mm256_storeu_si256((__m256i *)((d) + 32 * j_), t_[j_]);                  \
				t_[j_] = _mm256_madd_epi16(_mm256_xor_si256(t_[j_], flip_), one_);               \
			}                                                                                         \
			acc_ = _mm256_add_epi32(                                                                  \
				acc_, _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(t_[0], t_[1]),           \
									_mm256_add_epi32(t_[2], t_[3])),          \
						       _mm256_add_epi32(_mm256_add_epi32(t_[4], t_[5]),           \
									_mm256_add_epi32(t_[6], t_[7]))));        \
		}                                                                                                 \
		for (; (len) >= 64; (s) += 64, (d) += 64, (len) -= 64) {                                         \
			__m256i v_ = _mm256_loadu_si256((const __m256i *)(s));                                    \
			__m256i w_ = _mm256_loadu_si256((const __m256i *)((s) + 32));                             \
                                                                                                                  \
			if (copy) {                                                                               \
				_mm256_storeu_si256((__m256i *)(d), v_);                                          \
				_mm256_storeu_si256((__m256i *)((d) + 32), w_);                                   \
			}                                                                                         \
			acc_ = _mm256_add_epi32(acc_, _mm256_add_epi32(_mm256_madd_epi16(_mm256_xor_si256(v_, flip_), \
									      one_),                      \
								    _mm256_madd_epi16(_mm256_xor_si256(w_, flip_), \
									      one_)));                    \
		}                                                                                                 \
		if ((len) >= 32) {                                                                                \
			__m256i v_ = _mm256_loadu_si256((const __m256i *)(s));                                    \
                                                                                                                  \
			if (copy)                                                                                 \
				_mm256_storeu_si256((__m256i *)(d), v_);                                          \
			acc_ = _mm256_add_epi32(acc_, _mm256_madd_epi16(_mm256_xor_si256(v_, flip_), one_));      \
			(s) += 32, (d) += 32, (len) -= 32;                                                     \
		}                                                                                                 \
		if ((len) & 1) { /* the odd last byte, the low byte of its word */                               \
			if (copy)                                                                                 \
				((uint8_t *)(d))[(len) - 1] = (s)[(len) - 1];                                     \
			(sum) += (s)[(len) - 1];                                                                  \
		}                                                                                                 \
		if ((len) > 1) { /* the even rest: the 32 bytes ending there, those before it masked off */      \
			const uint32_t e_ = (len) & ~1u;                                                          \
			__m256i v_ = _mm256_loadu_si256((const __m256i *)((s) + e_ - 32));                        \
                                                                                                                  \
			if (copy) /* the bytes before d again, as written */                                      \
				_mm256_storeu_si256((__m256i *)((d) + e_ - 32), v_);                              \
			v_ = _mm256_and_si256(v_, _mm256_loadu_si256((const __m256i *)(dp_cksum_tail_mask + e_))); \
			acc_ = _mm256_add_epi32(acc_, _mm256_madd_epi16(_mm256_xor_si256(v_, flip_), one_));      \
			n0_ += 32 - e_; /* the masked words were biased too */                                    \
		}                                                                                                 \
		(s) += (len), (d) += (len), n0_ -= (len) & 1, (len) = 0;                                          \
		l_ = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc_)),                        \
				      _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc_, 1)));                  \
		l_ = _mm256_add_epi64(l_, _mm256_shuffle_epi32(l_, 0x4e));                                        \
		(sum) += (uint64_t)_mm_cvtsi128_si64(                                                             \
			_mm_add_epi64(_mm256_castsi256_si128(l_), _mm256_extracti128_si256(l_, 1)));              \
		(sum) += n0_ * 16384; /* 0x8000 back on each word summed */                                       \
	} while (0)
#define DP_CKSUM_BLOCKS_SSE2(s, d, len, sum, copy)                                                                  \
	do {                                                                                                      \
		const __m128i z_ = _mm_setzero_si128();                                                           \
		__m128i acc_ = z_;                                                                                \
		uint32_t l_[4];                                                                                   \
                                                                                                                  \
		for (; (len) >= 32; (s) += 32, (d) += 32, (len) -= 32) {                                          \
			__m128i a_ = _mm_loadu_si128((const __m128i *)(s));                                       \
			__m128i b_ = _mm_loadu_si128((const __m128i *)((s) + 16));                                \
                                                                                                                  \
			if (copy) {                                                                               \
				_mm_storeu_si128((__m128i *)(d), a_);                                             \
				_mm_storeu_si128((__m128i *)((d) + 16), b_);                                      \
			}                                                                                         \
			acc_ = _mm_add_epi32(acc_, _mm_add_epi32(_mm_unpacklo_epi16(a_, z_),                      \
								 _mm_unpackhi_epi16(a_, z_)));                    \
			acc_ = _mm_add_epi32(acc_, _mm_add_epi32(_mm_unpacklo_epi16(b_, z_),                      \
								 _mm_unpackhi_epi16(b_, z_)));                    \
		}                                                                                                 \
		_mm_storeu_si128((__m128i *)l_, acc_);                                                            \
		for (int i_ = 0; i_ < 4; i_++)                                                                    \
			(sum) += l_[i_];                                                                          \
	} while (0)
#endif

#if defined(__AVX2__)
#define DP_CKSUM_BLOCKS DP_CKSUM_BLOCKS_AVX2
#elif defined(__x86_64__)
#define DP_CKSUM_BLOCKS DP_CKSUM_BLOCKS_SSE2
#else
#define DP_CKSUM_BLOCKS(s, d, len, sum, copy) ((void)0)
#endif

/* The bytes after the SSE2 steps, or all of fewer than 32: 8 at a time as two 32-bit words, then 4, 2, the odd one. */
static inline __attribute__((always_inline)) uint64_t dp_cksum_tail(const uint8_t *p, uint32_t len, uint64_t sum)
{
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, p, 1); /* the byte at the low address, as __rte_raw_cksum pads it */
		sum += w;
	}
	return sum;
}

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
/*
 * The 256-byte blocks of a long sum with AVX-512 VNNI: each word biased as in the AVX2 steps (u - 0x8000, one xor),
 * then vpdpwssd multiplies the words by one, adds each pair and accumulates into the 32-bit lanes in one
 * instruction: two instructions per 32 bytes where the AVX2 steps take three. Eight accumulators, one per 32 bytes
 * of a 256-byte block, so that the latency of one chain does not bound the loop (with four, 5,000 bytes took 39.6
 * ns in a harness of its own, with eight 36.2); 32-byte loads (64-byte ones were slower here: at the datagram's
 * unaligned offset each one crosses a cache line; aligning them moved nothing, 38.5 against 39.5 ns). A lane takes
 * at most +-2^16 a block, and the eight are added as 32-bit lanes: no overflow below 1 MB (a datagram is at most
 * 64 KB). Returns the bytes summed, len rounded down to 256. On this VM: 5,000 bytes in some 36 ns instead of 51
 * with the AVX2 steps, 1,678 in 13 instead of 18.
 */
static inline uint32_t dp_cksum_blocks_vnni(const uint8_t *p, uint32_t len, uint64_t *sum)
{
	const __m256i flip = _mm256_set1_epi16((short)0x8000), one = _mm256_set1_epi16(1);
	__m256i a[8];
	const uint32_t n = len & ~255u;

	for (int k = 0; k < 8; k++)
		a[k] = _mm256_setzero_si256();
	for (const uint8_t *q = p, *end = p + n; q < end; q += 256)
		for (int k = 0; k < 8; k++)
			a[k] = _mm256_dpwssd_epi32(a[k], _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)q + k), flip),
						   one);
	for (int k = 1; k < 8; k++)
		a[0] = _mm256_add_epi32(a[0], a[k]);
	/* the signed lanes as 64-bit ones, summed; then the 0x8000 of each of the n / 2 words back */
	*sum += (uint64_t)(_mm512_reduce_add_epi64(_mm512_cvtepi32_epi64(a[0])) + (int64_t)n * 16384);
	return n;
}
#endif

/* Sum of buf[0..len) as native-order 16-bit words (an odd last byte padded with zero), added to sum. */
static inline __attribute__((always_inline)) uint64_t dp_cksum_sum(const void *buf, uint32_t len, uint64_t sum)
{
	const uint8_t *p = buf, *unused = buf; /* the macro's copy cursor: advanced, never written through */

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
	if (len >= 1024) { /* a long datagram (below, the AVX2 steps were as fast): its blocks of 256, the rest as below */
		uint32_t n = dp_cksum_blocks_vnni(p, len, &sum);

		p += n;
		len -= n;
	}
#endif
	if (len >= 32)
		DP_CKSUM_BLOCKS(p, unused, len, sum, false);
	(void)unused;
	return dp_cksum_tail(p, len, sum);
}

#if defined(__x86_64__) && !defined(__AVX2__)
/*
 * dp_cksum_sum() with AVX2 steps, for a build without AVX2 on a CPU with it (the caller checks): a whole received
 * datagram is summed, up to 64 KB, where twice the bytes per step pays for an indirect call.
 */
#define DP_CKSUM_HAVE_AVX2 1
__attribute__((target("avx2"))) static inline uint64_t dp_cksum_sum_avx2(const void *buf, uint32_t len,
									uint64_t sum)
{
	const uint8_t *p = buf, *unused = buf;

	if (len >= 32)
		DP_CKSUM_BLOCKS_AVX2(p, unused, len, sum, false);
	(void)unused;
	return dp_cksum_tail(p, len, sum);
}
#endif

/*
 * memcpy(dst, src, len) that also returns dp_cksum_sum(src, len, sum): the reply payload is summed while it is
 * copied into the frame, in one pass over bytes that are already in cache. dst and src must not overlap.
 */
static inline uint64_t dp_cksum_copy(void *dst, const void *src, uint32_t len, uint64_t sum)
{
	const uint8_t *s = src;
	uint8_t *d = dst;

	if (len >= 32)
		DP_CKSUM_BLOCKS(s, d, len, sum, true);
	if (len >= 32) /* only without SIMD steps */
		memcpy(d, s, len);
	else
		sw_copy_short(d, s, len);
	return dp_cksum_tail(s, len, sum);
}

/*
 * The pseudo-header's addresses added to sum: IPv4 source and destination as two 32-bit words, IPv6 as four 64-bit
 * ones, each as its two 32-bit halves (a 32-bit word hi:lo is hi + lo modulo 0xffff). ip is the IP header.
 */
static inline uint64_t dp_cksum_addrs(const uint8_t *ip, unsigned ip_ver, uint64_t sum)
{
	if (ip_ver == 4) {
		uint32_t a, b;

		memcpy(&a, ip + 12, 4);
		memcpy(&b, ip + 16, 4);
		return sum + a + b;
	}
	for (int i = 0; i < 4; i++) {
		uint64_t w;

		memcpy(&w, ip + 8 + 8 * i, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	return sum;
}

#endif

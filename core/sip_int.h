/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to the core (sip_hdr.c, sip_parse.c, sip_value.c): the header-name hash table, so that the parser's line
 * loop looks a name up inline, and the variants of public checks for views inside a buffer that may be read around
 * them. sip_hdr_lookup() and sip_ruri_check() are the public entries.
 */
#ifndef SIP_INT_H
#define SIP_INT_H

#include "sip_msg.h"

/*
 * A name is read as words with 0x20 OR-ed into every byte: w0 = bytes 0..7 (zero past the end of a shorter name),
 * wl = the last 8 bytes (names of 8 or more), wm = bytes 8..15 (names over 16). |0x20 lower-cases the letters and
 * leaves '-' alone; for any other token character c, c|0x20 is not a token character, so it never equals a byte of
 * a known name. Three words cover every name up to 24 bytes; the longest known name has 19. The compact forms are
 * in the same table, as names of one letter.
 */
struct sip_hdr_slot {
	uint64_t w0, wm, wl;
	uint8_t len; /* 0: an empty slot */
	uint8_t id;
};

#define SIP_HDR_HBITS 7
/* hidden: the core's own table, addressed PC-relative in the line loop (no GOT load) */
extern struct sip_hdr_slot sip_hdr_slots[1u << SIP_HDR_HBITS] __attribute__((visibility("hidden")));

#define SIP_HDR_LC8 0x2020202020202020ull

static inline uint64_t sip_hdr_ld8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Multiplicative hash of the words: the top SIP_HDR_HBITS bits of (w0 ^ wl >> 18 ^ len) * K. K was found offline by
 * trying odd constants until every known name and compact form got a slot of its own (the table build checks it at
 * load time and aborts if a new name breaks it: then search again). Five instructions in the parser's line loop
 * (an xor-shift mix took ten).
 */
#define SIP_HDR_HASH_K 0xdd3a74d434046c67ull

static inline unsigned sip_hdr_hash(uint64_t w0, uint64_t wl, uint32_t len)
{
	uint64_t x = w0 ^ (wl >> 18) ^ len;

	return (unsigned)((x * SIP_HDR_HASH_K) >> (64 - SIP_HDR_HBITS));
}

/* w0 of a name of fewer than 8 bytes with nothing readable past it. */
uint64_t sip_hdr_w0_short(const char *name, uint32_t len);

/* The slot lookup once the words are read. */
static inline enum sip_hdr_id sip_hdr_find(const char *name, uint32_t len, uint64_t w0, uint64_t wl)
{
	const struct sip_hdr_slot *s = &sip_hdr_slots[sip_hdr_hash(w0, wl, len)];
	enum sip_hdr_id id = (enum sip_hdr_id)s->id; /* read with the words: the slot address is not rebuilt */

	if ((s->len ^ len) | (s->w0 ^ w0) | (s->wl ^ wl))
		return SIP_HDR_OTHER;
	if (len > 16 && (sip_hdr_ld8(name + 8) | SIP_HDR_LC8) != s->wm) /* len <= 24: a slot matched */
		return SIP_HDR_OTHER;
	return id;
}

/*
 * sip_hdr_lookup() for name[0..len), 1 <= len, with avail >= len bytes readable from name. With 8 readable bytes
 * (the usual case inside a datagram) the words come from two 8-byte loads and the only branches are the compare
 * and the rare long name; else byte by byte.
 */
static inline enum sip_hdr_id sip_hdr_lookup_in(const char *name, uint32_t len, uint32_t avail)
{
	uint64_t w0, wl;

	if (__builtin_expect(len > 24, 0))
		return SIP_HDR_OTHER;
	if (__builtin_expect(avail < 8, 0)) {
		w0 = len >= 8 ? sip_hdr_ld8(name) | SIP_HDR_LC8 : sip_hdr_w0_short(name, len);
		wl = len >= 8 ? sip_hdr_ld8(name + len - 8) | SIP_HDR_LC8 : 0;
		return sip_hdr_find(name, len, w0, wl);
	}
	w0 = sip_hdr_ld8(name) | SIP_HDR_LC8;
	/* a short name keeps its own bytes; the last-8 word is read at name + 0 and dropped */
	wl = sip_hdr_ld8(name + (len >= 8 ? len - 8 : 0)) | SIP_HDR_LC8;
	w0 &= len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
	wl = len >= 8 ? wl : 0;
	return sip_hdr_find(name, len, w0, wl);
}

/*
 * sip_hdr_lookup_in() for a name that ends at least 8 bytes into its buffer (name + len - 8 is readable: a header
 * line's name, after the start line). The last-8 word is read ending at the name's end; a name of fewer than 8
 * bytes is that word shifted down (its bytes are the word's top len bytes), so no test of what is readable past it.
 */
static inline enum sip_hdr_id sip_hdr_lookup_end(const char *name, uint32_t len)
{
	uint64_t w0, wl;

	/*
	 * No test for len > 24 (the longest known name has 19 bytes): every read is inside the name (its first 8 and
	 * last 8 bytes; bytes 8..16 only once a slot's length, at most 24, matched), and no slot matches such a
	 * length (a slot's len is a byte: len ^ s->len is not 0 for any len over 255 either).
	 */
	wl = sip_hdr_ld8(name + len - 8) | SIP_HDR_LC8;
	if (len >= 8) {
		w0 = sip_hdr_ld8(name) | SIP_HDR_LC8;
	} else {
		/*
		 * A name of fewer than 8 bytes is its w0 alone: every byte of a name is non-zero once OR-ed with 0x20,
		 * so w0's zero top bytes give its length, and a slot matches when its w0 does (a longer name's w0 has
		 * no zero byte; an empty slot's w0 is 0). One compare instead of three and the length.
		 */
		const struct sip_hdr_slot *sl;

		w0 = wl >> (64 - 8 * len);
		sl = &sip_hdr_slots[sip_hdr_hash(w0, 0, len)];
		return sl->w0 == w0 ? (enum sip_hdr_id)sl->id : SIP_HDR_OTHER;
	}
	return sip_hdr_find(name, len, w0, wl);
}

/* sip_ruri_check() for a URI inside a buffer that may be read from lo (lo <= uri.p) to hi (>= the URI's end). */
bool sip_ruri_check_in(struct sw_str uri, const char *lo, const char *hi);

/*
 * sip_via_parse(), sip_addr_parse() and sip_contact_parse() for a value inside a buffer that may be read on to hi
 * (hi >= the value's end; the datagram's end): the 32-byte loads of the fast paths then need no masked load.
 */
bool sip_via_parse_in(struct sw_str value, const char *hi, struct sip_via *via);
/* Validate the first via-parm of value only (what the verdict needs): true with *end as sip_via_parse() sets it. */
bool sip_via_check_in(struct sw_str value, const char *hi, const char **end);
bool sip_addr_parse_in(struct sw_str value, const char *hi, struct sw_str *tag);
bool sip_contact_parse_in(struct sw_str value, const char *hi);

/*
 * For tests: whether the one-load check that sip_via_check_in() (id SIP_HDR_VIA), sip_addr_parse_in() (SIP_HDR_FROM,
 * SIP_HDR_TO) or sip_contact_parse_in() (SIP_HDR_CONTACT) tries first accepts the value by itself. False when the
 * check is not built (it needs AVX-512 BW and VBMI) and for any other id.
 */
bool sip_value_fast(enum sip_hdr_id id, struct sw_str value, const char *hi);

/*
 * For tests and fuzzers: the entry the verdict calls for a value of header id (Via, From, To, Contact), on in with
 * [in.p, hi) readable, and the general parser on tight (the same bytes in a buffer of exactly their length) give
 * the same answer, the same end (Via) and the same tag (From, To). True for any other id.
 */
bool sip_value_entry_agrees(enum sip_hdr_id id, struct sw_str in, const char *hi, struct sw_str tight);

#endif

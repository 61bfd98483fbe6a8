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
 * a known name. Three words cover every name up to 24 bytes; the longest known name has 19.
 */
struct sip_hdr_slot {
	uint64_t w0, wm, wl;
	uint8_t len; /* 0: an empty slot */
	uint8_t id;
};

#define SIP_HDR_HSLOTS 64
#define SIP_HDR_HMUL 0xb953cdce08426379ull /* found offline: every known name gets a slot of its own */
extern struct sip_hdr_slot sip_hdr_slots[SIP_HDR_HSLOTS];
extern const uint8_t sip_hdr_compact[26];

#define SIP_HDR_LC8 0x2020202020202020ull

static inline uint64_t sip_hdr_ld8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Multiplicative hash of the words; the table build checks at load time that it is perfect on the known names. */
static inline unsigned sip_hdr_hash(uint64_t w0, uint64_t wl, uint32_t len)
{
	uint64_t x = w0 ^ (wl << 3 | wl >> 61) ^ len;

	return (unsigned)((x * SIP_HDR_HMUL) >> 58);
}

/* w0 of a name of fewer than 8 bytes with nothing readable past it. */
uint64_t sip_hdr_w0_short(const char *name, uint32_t len);

/*
 * sip_hdr_lookup() for name[0..len), len >= 1, with avail >= len bytes readable from name: one hash and one slot
 * compare. When avail >= 8 a short name is read with one 8-byte load; else byte by byte.
 */
static inline enum sip_hdr_id sip_hdr_lookup_in(const char *name, uint32_t len, uint32_t avail)
{
	const struct sip_hdr_slot *s;
	uint64_t w0, wl = 0;

	if (len == 1) {
		uint8_t c = (uint8_t)(name[0] | 0x20);

		return (c >= 'a' && c <= 'z') ? (enum sip_hdr_id)sip_hdr_compact[c - 'a'] : SIP_HDR_OTHER;
	}
	/* a name over 24 bytes reads w0 and wl only and finds no slot of its length: no known name is that long */
	if (len >= 8) {
		w0 = sip_hdr_ld8(name) | SIP_HDR_LC8;
		wl = sip_hdr_ld8(name + len - 8) | SIP_HDR_LC8;
	} else if (avail >= 8) {
		w0 = (sip_hdr_ld8(name) | SIP_HDR_LC8) & ((1ull << (8 * len)) - 1);
	} else {
		w0 = sip_hdr_w0_short(name, len);
	}
	s = &sip_hdr_slots[sip_hdr_hash(w0, wl, len)];
	if (s->len != len || s->w0 != w0 || s->wl != wl)
		return SIP_HDR_OTHER;
	if (len > 16 && (sip_hdr_ld8(name + 8) | SIP_HDR_LC8) != s->wm) /* len <= 24 here */
		return SIP_HDR_OTHER;
	return (enum sip_hdr_id)s->id;
}

/* sip_ruri_check() for a URI inside a buffer that may be read from lo (lo <= uri.p) to the end of the URI. */
bool sip_ruri_check_in(struct sw_str uri, const char *lo);

#endif

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Header field names: full names and compact forms (RFC 3261 20 and the extensions that define one) to ids.
 * Lookup is by length, then a case-insensitive compare against the few names of that length.
 */
#include <stdlib.h>

#include "sip_msg.h"

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t id;
};

/*
 * Case-insensitive compare of a token against a known name, 8 (or 4) bytes at a time: OR-ing 0x20 into every byte
 * lower-cases letters and leaves '-' and digits alone; for any other token character c, c|0x20 is not a token
 * character, so it can never equal a byte of a known name. lc holds the name with 0x20 OR-ed in, zero-padded.
 */
struct hdr_key {
	char lc[24];
};
static struct hdr_key keys[SIP_HDR__COUNT]; /* parallel to full_names */

static inline uint64_t ld8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t ld4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static bool name_ieq_lc(const char *lc, const char *in, uint32_t len)
{
	const uint64_t m8 = 0x2020202020202020ull;
	const uint32_t m4 = 0x20202020u;
	uint32_t i;

	if (len >= 8) {
		for (i = 0; i + 8 <= len; i += 8)
			if ((ld8(in + i) | m8) != ld8(lc + i))
				return false;
		return (ld8(in + len - 8) | m8) == ld8(lc + len - 8);
	}
	if (len >= 4)
		return (ld4(in) | m4) == ld4(lc) && (ld4(in + len - 4) | m4) == ld4(lc + len - 4);
	for (i = 0; i < len; i++)
		if (((uint8_t)in[i] | 0x20) != (uint8_t)lc[i])
			return false;
	return true;
}

#define H(s, id) { s, sizeof(s) - 1, id }

/* Every known full name; canonical spelling is used when a reply writes the header. */
static const struct hdr_name full_names[] = {
	H("Accept-Contact", SIP_HDR_ACCEPT_CONTACT),
	H("Referred-By", SIP_HDR_REFERRED_BY),
	H("Content-Type", SIP_HDR_CONTENT_TYPE),
	H("Request-Disposition", SIP_HDR_REQUEST_DISPOSITION),
	H("Content-Encoding", SIP_HDR_CONTENT_ENCODING),
	H("From", SIP_HDR_FROM),
	H("Call-ID", SIP_HDR_CALL_ID),
	H("Reject-Contact", SIP_HDR_REJECT_CONTACT),
	H("Supported", SIP_HDR_SUPPORTED),
	H("Content-Length", SIP_HDR_CONTENT_LENGTH),
	H("Contact", SIP_HDR_CONTACT),
	H("Identity-Info", SIP_HDR_IDENTITY_INFO),
	H("Event", SIP_HDR_EVENT),
	H("Refer-To", SIP_HDR_REFER_TO),
	H("Subject", SIP_HDR_SUBJECT),
	H("To", SIP_HDR_TO),
	H("Allow-Events", SIP_HDR_ALLOW_EVENTS),
	H("Via", SIP_HDR_VIA),
	H("Session-Expires", SIP_HDR_SESSION_EXPIRES),
	H("Identity", SIP_HDR_IDENTITY),
	H("CSeq", SIP_HDR_CSEQ),
	H("Max-Forwards", SIP_HDR_MAX_FORWARDS),
	H("Proxy-Require", SIP_HDR_PROXY_REQUIRE),
	H("Require", SIP_HDR_REQUIRE),
	H("User-Agent", SIP_HDR_USER_AGENT),
	H("Record-Route", SIP_HDR_RECORD_ROUTE),
	H("Route", SIP_HDR_ROUTE),
	H("Expires", SIP_HDR_EXPIRES),
	H("Allow", SIP_HDR_ALLOW),
	H("Server", SIP_HDR_SERVER),
};
_Static_assert(sizeof(full_names) / sizeof(full_names[0]) == SIP_HDR__COUNT - 1, "one full name per header id");

/* Compact forms, indexed by the lower-case letter. */
static const uint8_t compact[26] = {
	['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
	['b' - 'a'] = SIP_HDR_REFERRED_BY,
	['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
	['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
	['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
	['f' - 'a'] = SIP_HDR_FROM,
	['i' - 'a'] = SIP_HDR_CALL_ID,
	['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
	['k' - 'a'] = SIP_HDR_SUPPORTED,
	['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
	['m' - 'a'] = SIP_HDR_CONTACT,
	['n' - 'a'] = SIP_HDR_IDENTITY_INFO,
	['o' - 'a'] = SIP_HDR_EVENT,
	['r' - 'a'] = SIP_HDR_REFER_TO,
	['s' - 'a'] = SIP_HDR_SUBJECT,
	['t' - 'a'] = SIP_HDR_TO,
	['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
	['v' - 'a'] = SIP_HDR_VIA,
	['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
	['y' - 'a'] = SIP_HDR_IDENTITY,
};

/*
 * A perfect hash: (len + 4*first + 6*last + second letter, lower-cased) mod 64 puts every known name in a slot of its
 * own (checked at load time), so a lookup is one hash and at most one compare, known name or not.
 */
#define HSLOTS 64
static uint8_t slots[HSLOTS]; /* index + 1 into full_names; 0 = empty */

static unsigned name_hash(const char *name, uint32_t len)
{
	/* |0x20 is tolower() for the letters and '-' that known names are made of */
	return (len + 4u * ((uint8_t)name[0] | 0x20) + 6u * ((uint8_t)name[len - 1] | 0x20) +
		((uint8_t)name[1] | 0x20)) & (HSLOTS - 1);
}

__attribute__((constructor)) static void hdr_table_init(void)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++) {
		unsigned s = name_hash(full_names[i].name, full_names[i].len);

		if (slots[s])
			abort(); /* a new name broke the perfect hash: pick new multipliers */
		slots[s] = (uint8_t)(i + 1);
		for (uint32_t k = 0; k < full_names[i].len; k++)
			keys[i].lc[k] = (char)(full_names[i].name[k] | 0x20);
	}
}

enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len)
{
	const struct hdr_name *h;
	unsigned s;

	if (len == 1) {
		uint8_t c = sw_lower[(uint8_t)name[0]];

		return (c >= 'a' && c <= 'z') ? compact[c - 'a'] : SIP_HDR_OTHER;
	}
	if (len == 0)
		return SIP_HDR_OTHER;
	s = slots[name_hash(name, len)];
	if (!s)
		return SIP_HDR_OTHER;
	h = &full_names[s - 1];
	return h->len == len && name_ieq_lc(keys[s - 1].lc, name, len) ? (enum sip_hdr_id)h->id : SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++)
		if (full_names[i].id == id)
			return full_names[i].name;
	return NULL;
}

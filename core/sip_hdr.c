// SPDX-License-Identifier: BSD-3-Clause
/*
 * Header field names: full names and compact forms (RFC 3261 20 and the extensions that define one) to ids.
 * Lookup is a multiplicative perfect hash of the lower-cased name words, then one word compare (sip_int.h).
 */
#include <stdlib.h>

#include "sip_int.h"

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t id;
};

/* w0 (sip_int.h) of a name of fewer than 8 bytes, read byte by byte: nothing past the name is read. */
uint64_t sip_hdr_w0_short(const char *name, uint32_t len)
{
	uint64_t w = 0;

	for (uint32_t i = 0; i < len; i++)
		w |= (uint64_t)((uint8_t)name[i] | 0x20) << (8 * i);
	return w;
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
static const uint8_t sip_hdr_compact[26] = {
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

/* Every known name and compact form in a slot of its own under sip_hdr_hash() (checked at load time). */
struct sip_hdr_slot sip_hdr_slots[1u << SIP_HDR_HBITS];

static void hdr_slot_add(const char *name, uint32_t len, uint8_t id)
{
	char lc[24] = { 0 };
	uint64_t w0, wl = 0, wm = 0;
	struct sip_hdr_slot *s;

	if (len > 24)
		abort();
	for (uint32_t k = 0; k < len; k++)
		lc[k] = (char)(name[k] | 0x20);
	w0 = len >= 8 ? sip_hdr_ld8(lc) : sip_hdr_w0_short(name, len);
	if (len >= 8)
		wl = sip_hdr_ld8(lc + len - 8);
	if (len > 16)
		wm = sip_hdr_ld8(lc + 8);
	s = &sip_hdr_slots[sip_hdr_hash(w0, wl, len)];
	if (s->len)
		abort(); /* a new name broke the perfect hash: find a new SIP_HDR_HASH_K (sip_int.h) */
	*s = (struct sip_hdr_slot){ .w0 = w0, .wm = wm, .wl = wl, .len = (uint8_t)len, .id = id };
}

__attribute__((constructor)) static void hdr_table_init(void)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++)
		hdr_slot_add(full_names[i].name, full_names[i].len, full_names[i].id);
	for (unsigned c = 0; c < 26; c++) {
		char letter = (char)('a' + c);

		if (sip_hdr_compact[c])
			hdr_slot_add(&letter, 1, sip_hdr_compact[c]);
	}
}

enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len)
{
	if (len == 0)
		return SIP_HDR_OTHER;
	return sip_hdr_lookup_in(name, len, len);
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++)
		if (full_names[i].id == id)
			return full_names[i].name;
	return NULL;
}

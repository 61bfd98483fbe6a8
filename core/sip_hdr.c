// SPDX-License-Identifier: BSD-3-Clause
/*
 * Header field names: full names and compact forms (RFC 3261 20 and the extensions that define one) to ids.
 * Lookup is by length, then a case-insensitive compare against the few names of that length.
 */
#include "sip_msg.h"

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t id;
};

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

static bool name_ieq(const char *a, const char *b, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (sw_lower[(uint8_t)a[i]] != sw_lower[(uint8_t)b[i]])
			return false;
	return true;
}

/*
 * Open-addressed table keyed on (length, first and last letter), filled once at load time: a lookup is one hash,
 * usually one full compare. 64 slots for 30 names keeps probes short.
 */
#define HSLOTS 64
static uint8_t slots[HSLOTS]; /* index + 1 into full_names; 0 = empty */

static unsigned name_hash(const char *name, uint32_t len)
{
	return (len * 7u + sw_lower[(uint8_t)name[0]] * 3u + sw_lower[(uint8_t)name[len - 1]]) & (HSLOTS - 1);
}

__attribute__((constructor)) static void hdr_table_init(void)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++) {
		unsigned s = name_hash(full_names[i].name, full_names[i].len);

		while (slots[s])
			s = (s + 1) & (HSLOTS - 1);
		slots[s] = (uint8_t)(i + 1);
	}
}

enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len)
{
	if (len == 1) {
		uint8_t c = sw_lower[(uint8_t)name[0]];

		return (c >= 'a' && c <= 'z') ? compact[c - 'a'] : SIP_HDR_OTHER;
	}
	if (len == 0 || len > 32)
		return SIP_HDR_OTHER;
	for (unsigned s = name_hash(name, len); slots[s]; s = (s + 1) & (HSLOTS - 1)) {
		const struct hdr_name *h = &full_names[slots[s] - 1];

		if (h->len == len && name_ieq(h->name, name, len))
			return (enum sip_hdr_id)h->id;
	}
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++)
		if (full_names[i].id == id)
			return full_names[i].name;
	return NULL;
}

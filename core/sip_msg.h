/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP message index: sip_msg_parse() indexes one UDP datagram in place (RFC 3261 7, 18.3) without copying or
 * allocating. Header values stay raw (folding included); value parsers below go only as deep as a decision needs.
 */
#ifndef SIP_MSG_H
#define SIP_MSG_H

#include "sw_str.h"

/* Header lines indexed per message. A request with more is a 400 (a DoS vector, not real traffic). */
#define SIP_MAX_HEADERS 128

/* Known header fields; every compact form (RFC 3261 20 and the extensions that define one) maps here. */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_ACCEPT_CONTACT,      /* a  RFC 3841 */
	SIP_HDR_REFERRED_BY,         /* b  RFC 3892 */
	SIP_HDR_CONTENT_TYPE,        /* c */
	SIP_HDR_REQUEST_DISPOSITION, /* d  RFC 3841 */
	SIP_HDR_CONTENT_ENCODING,    /* e */
	SIP_HDR_FROM,                /* f */
	SIP_HDR_CALL_ID,             /* i */
	SIP_HDR_REJECT_CONTACT,      /* j  RFC 3841 */
	SIP_HDR_SUPPORTED,           /* k */
	SIP_HDR_CONTENT_LENGTH,      /* l */
	SIP_HDR_CONTACT,             /* m */
	SIP_HDR_IDENTITY_INFO,       /* n  RFC 4474 */
	SIP_HDR_EVENT,               /* o  RFC 6665 */
	SIP_HDR_REFER_TO,            /* r  RFC 3515 */
	SIP_HDR_SUBJECT,             /* s */
	SIP_HDR_TO,                  /* t */
	SIP_HDR_ALLOW_EVENTS,        /* u  RFC 6665 */
	SIP_HDR_VIA,                 /* v */
	SIP_HDR_SESSION_EXPIRES,     /* x  RFC 4028 */
	SIP_HDR_IDENTITY,            /* y  RFC 4474 */
	SIP_HDR_CSEQ,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_REQUIRE,
	SIP_HDR_USER_AGENT,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_ROUTE,
	SIP_HDR_EXPIRES,
	SIP_HDR_ALLOW,
	SIP_HDR_SERVER,
	SIP_HDR__COUNT
};

/* Flags of one header line. */
enum {
	SIP_HF_FOLDED = 1u << 0, /* the value spans continuation lines (CRLF followed by SP/HTAB) */
};

struct sip_hdr {
	struct sw_str name;  /* as written: "Via", "v", "VIA" */
	struct sw_str value; /* raw, leading/trailing whitespace trimmed; may contain CRLF+WS when folded */
	uint8_t id;          /* enum sip_hdr_id */
	uint8_t flags;
	int16_t next;        /* index of the next line with the same id, -1 at the end (SIP_HDR_OTHER lines: -1) */
};

enum sip_parse_status {
	SIP_PARSE_OK = 0,
	SIP_PARSE_NOT_SIP,    /* first line is neither a Request-Line nor a Status-Line: not our protocol */
	SIP_PARSE_BAD_START,  /* looks like SIP but the Request-Line is malformed (400) */
	SIP_PARSE_BAD_HEADER, /* header section syntax error (400) */
	SIP_PARSE_TOO_MANY_HEADERS,
	SIP_PARSE_BAD_FRAMING, /* Content-Length missing digits, negative, repeated with other values, or > body */
};

struct sip_msg {
	const char *buf;
	uint32_t len; /* datagram length as received */

	bool is_request;
	/* Request-Line */
	struct sw_str method;
	struct sw_str ruri;
	struct sw_str version; /* "SIP/2.0" for both kinds of start line */
	/* Status-Line */
	uint32_t status;
	struct sw_str reason_phrase;

	uint16_t nhdrs;
	int16_t first[SIP_HDR__COUNT]; /* first line of each known header, -1 when absent */
	uint16_t count[SIP_HDR__COUNT]; /* lines per known header */
	struct sip_hdr hdrs[SIP_MAX_HEADERS];

	uint32_t hdr_end;        /* offset just past the CRLF CRLF that ends the header section */
	int64_t content_length;  /* -1 when absent */
	struct sw_str body;      /* after 18.3 framing: Content-Length bytes, or to the end when absent */

	/* On error: what and where. err_off is a byte offset into buf. */
	enum sip_parse_status status_code;
	uint32_t err_off;
	const char *err_reason; /* static string, suitable as a 400 reason phrase */
};

/*
 * Index the datagram buf[0..len). The message keeps pointers into buf; buf must outlive it.
 * Only the first line and header section are examined; the body is framed, never read.
 * Returns SIP_PARSE_OK, or an error status with m->err_off and m->err_reason set.
 * When the start line parsed, m->is_request and the start line fields are valid even on a later error,
 * and every header line before the error is indexed (so an error reply can still be built).
 */
enum sip_parse_status sip_msg_parse(struct sip_msg *m, const char *buf, uint32_t len);

/*
 * Parse only the start line and the header section, and stop: no framing checks, no body. Used for
 * oversized datagrams that must be answered (413) without being parsed in full. Same return contract.
 */
enum sip_parse_status sip_msg_parse_headers(struct sip_msg *m, const char *buf, uint32_t len);

/*
 * sip_msg_parse_headers() for the verdict: a Request-URI longer than ruri_max bytes (its extent found as always)
 * is not checked for structure (sip:/sips: headers, hostport), since the verdict answers it 414 whatever that
 * structure (docs/verdict.md: sizes first). Everything else is the same, down to the error offsets.
 */
enum sip_parse_status sip_msg_parse_headers_ruri(struct sip_msg *m, const char *buf, uint32_t len,
						 uint32_t ruri_max);

/*
 * After sip_msg_parse_headers() succeeded: frame the body by Content-Length (RFC 3261 18.3). sip_msg_parse() is
 * sip_msg_parse_headers() + sip_msg_frame(); the verdict calls them apart to keep its documented check order.
 */
enum sip_parse_status sip_msg_frame(struct sip_msg *m);

/* Header name lookup: full name or compact form, case-insensitive. Returns SIP_HDR_OTHER when unknown. */
enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len);
/* The canonical name of a known header ("Call-ID"), or NULL for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

static inline const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	return m->first[id] < 0 ? NULL : &m->hdrs[m->first[id]];
}

static inline const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h->next < 0 ? NULL : &m->hdrs[h->next];
}

/*
 * Copy a header value with folding removed (each CRLF+WS run becomes one SP), as RFC 3261 7.3.1 says a value
 * reads. Returns the number of bytes written (at most cap), for values that carry SIP_HF_FOLDED.
 */
uint32_t sip_hdr_unfold(const struct sip_hdr *h, char *out, uint32_t cap);

/* ---- value parsers: as deep as a decision needs ---- */

/* Top Via of a request (RFC 3261 20.42, RFC 3581). */
struct sip_via {
	struct sw_str value;     /* the whole first via-parm, as written */
	struct sw_str transport; /* "UDP" */
	struct sw_str host;      /* sent-by host; IPv6 without the brackets */
	uint16_t port;           /* 0 when absent */
	bool has_rport;          /* rport present */
	bool rport_has_value;
	struct sw_str branch;    /* empty when absent */
	struct sw_str received;
	struct sw_str rport_param;    /* ";rport" or ";rport=N" as written, from the ';' (empty when absent) */
	struct sw_str received_param; /* ";received=..." as written, from the ';' (empty when absent) */
	const char *end;         /* one past the first via-parm (a ',' or the end of the value) */
};

/* Parse the first via-parm of a Via header value. Returns false when malformed. */
bool sip_via_parse(struct sw_str value, struct sip_via *via);

/* CSeq: 1*DIGIT LWS Method. number must be < 2^31 (RFC 3261 8.1.1.5). */
bool sip_cseq_parse(struct sw_str value, uint32_t *number, struct sw_str *method);

/*
 * From/To/Contact-style address: ( name-addr / addr-spec ) *( ";" param ). Checks that a display name is a token
 * list or a balanced quoted string, that <...> is closed, that an addr-spec has no spaces; sets tag when present.
 */
bool sip_addr_parse(struct sw_str value, struct sw_str *tag);

/* Contact: "*" or a comma-separated list of ( name-addr / addr-spec ) *( ";" param ). */
bool sip_contact_parse(struct sw_str value);

/*
 * Request-URI structure beyond its character set: for sip:/sips:, no headers component (RFC 3261 19.1.1) and a
 * hostport whose IPv6 address is bracketed and valid (RFC 5118 4.2, 4.3); any other scheme needs only "scheme:".
 */
bool sip_ruri_check(struct sw_str uri);

/*
 * Iterate comma-separated tokens of an option-tag list (Require, Proxy-Require, Supported), folding and LWS
 * allowed. *pos starts at 0. Returns false at the end; a token that is not a valid token returns an empty view
 * with *bad set.
 */
bool sip_token_list_next(struct sw_str value, uint32_t *pos, struct sw_str *tok, bool *bad);

#endif

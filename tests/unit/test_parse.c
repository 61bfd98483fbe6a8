// SPDX-License-Identifier: BSD-3-Clause
/*
 * sip_msg_parse() and the value parsers: start lines, header names (full, compact, any case), whitespace around the
 * colon, folding, repeated headers, quoted strings, NUL and non-UTF-8 bytes, Content-Length framing over UDP
 * (RFC 3261 18.3), and where each error is reported (err_off). Every fixture names its source: an RFC section, an
 * RFC 4475 message it is cut from, or "constructed" with what it varies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "testutil.h"

/* Fixture tables leave the fields a case does not use to zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static struct sip_msg msg;

/* Fixtures are written with "\n"; tu_crlf() makes them CRLF. raw != 0: the bytes as given (bare LF, NUL). */
struct fixture {
	const char *text;
	uint32_t raw; /* length of text when the bytes are used as is */
};

static struct tu_dgram fx_bytes(const struct fixture *f)
{
	return f->raw ? tu_dup(f->text, f->raw) : tu_crlf(f->text);
}

static void assert_view(struct sw_str v, const char *want, const char *what)
{
	size_t wl = strlen(want);

	if (v.len != wl || (wl && memcmp(v.p, want, wl) != 0)) {
		print_error("%s: got \"%s\"", what, v.p ? tu_show(v.p, v.len) : "(null)");
		print_error(" want \"%s\"\n", want);
		fail();
	}
}

static void assert_view_n(struct sw_str v, const char *want, uint32_t wl, const char *what)
{
	if (v.len != wl || (wl && memcmp(v.p, want, wl) != 0)) {
		print_error("%s: got \"%s\"", what, v.p ? tu_show(v.p, v.len) : "(null)");
		print_error(" want \"%s\"\n", tu_show(want, wl));
		fail();
	}
}

/* ---------------------------------------------------------------- start lines */

struct start_case {
	const char *name;
	struct fixture fx;
	enum sip_parse_status st;
	bool is_request;
	const char *method, *ruri, *version; /* requests */
	uint32_t status;                     /* responses */
	const char *reason;
	uint32_t err_lo, err_hi; /* on error: err_off in [lo, hi] */
};

#define HDRS "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\n\n"

static const struct start_case start_cases[] = {
	/* RFC 3261 7.1: Method SP Request-URI SP SIP-Version CRLF */
	{ "request", { "INVITE sip:bob@example.com SIP/2.0\n" HDRS }, SIP_PARSE_OK, true, "INVITE",
	  "sip:bob@example.com", "SIP/2.0" },
	{ "request, no header", { "OPTIONS sip:bob@example.com SIP/2.0\n\n" }, SIP_PARSE_OK, true, "OPTIONS",
	  "sip:bob@example.com", "SIP/2.0" },
	/* RFC 4475 3.1.1.2 intmeth: every token character in the method */
	{ "token method", { "!interesting-Method0123456789_*+`.%indeed'~ sip:x@example.com SIP/2.0\n" HDRS },
	  SIP_PARSE_OK, true, "!interesting-Method0123456789_*+`.%indeed'~", "sip:x@example.com", "SIP/2.0" },
	/* RFC 4475 3.1.1.5 esc02: % is a token character, not an escape, in a method */
	{ "percent method", { "RE%47IST%45R sip:registrar.example.com SIP/2.0\n" HDRS }, SIP_PARSE_OK, true,
	  "RE%47IST%45R", "sip:registrar.example.com", "SIP/2.0" },
	/* RFC 4475 3.3.2 unkscm / 3.3.3 novelsc: any scheme parses */
	{ "unknown scheme", { "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n" HDRS }, SIP_PARSE_OK,
	  true, "OPTIONS", "nobodyKnowsThisScheme:totallyopaquecontent", "SIP/2.0" },
	/* RFC 5118 4.1: IPv6 reference in the Request-URI */
	{ "ipv6 ruri", { "REGISTER sip:[2001:db8::10]:5070 SIP/2.0\n" HDRS }, SIP_PARSE_OK, true, "REGISTER",
	  "sip:[2001:db8::10]:5070", "SIP/2.0" },
	/* RFC 4475 3.1.2.16 badvers: the parser accepts any SIP/x.y; the verdict answers 505 */
	{ "version 7.0", { "OPTIONS sip:t.watson@example.org SIP/7.0\n" HDRS }, SIP_PARSE_OK, true, "OPTIONS",
	  "sip:t.watson@example.org", "SIP/7.0" },
	/* RFC 3261 7.2: SIP-Version SP Status-Code SP Reason-Phrase CRLF */
	{ "status 200", { "SIP/2.0 200 OK\n" HDRS }, SIP_PARSE_OK, false, NULL, NULL, "SIP/2.0", 200, "OK" },
	/* RFC 4475 3.1.1.13 noreason: empty reason phrase, the SP is there */
	{ "empty reason", { "SIP/2.0 100 \n" HDRS }, SIP_PARSE_OK, false, NULL, NULL, "SIP/2.0", 100, "" },
	/* constructed: reason phrase with SP, comma, colon */
	{ "long reason", { "SIP/2.0 486 Busy Here, try: later\n" HDRS }, SIP_PARSE_OK, false, NULL, NULL, "SIP/2.0",
	  486, "Busy Here, try: later" },
	/* RFC 4475 3.1.1.12 unreason: UTF-8 reason phrase */
	{ "utf8 reason", { "SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe\n" HDRS }, SIP_PARSE_OK, false, NULL, NULL,
	  "SIP/2.0", 200, "= 2**3 * 5**2 \xd0\xbd\xd0\xbe" },

	/* RFC 4475 3.1.2.9 lwsstart: two SP after the method (the second SP is where the URI should start) */
	{ "2 SP after method", { "INVITE  sip:user@example.com  SIP/2.0\n" HDRS }, SIP_PARSE_BAD_START, true, .err_lo = 7,
	  .err_hi = 7 },
	/* constructed: two SP before the version ("INVITE sip:bob@example.com" is 26 bytes) */
	{ "2 SP before version", { "INVITE sip:bob@example.com  SIP/2.0\n" HDRS }, SIP_PARSE_BAD_START, true,
	  .err_lo = 26, .err_hi = 27 },
	/* RFC 4475 3.1.2.10 trws: SP after the version (the first trailing SP is at 35) */
	{ "trailing SP", { "OPTIONS sip:bob@example.com SIP/2.0  \n" HDRS }, SIP_PARSE_BAD_START, true, .err_lo = 35,
	  .err_hi = 35 },
	/* RFC 4475 3.1.2.7 ltgtruri: <> around the Request-URI */
	{ "<> around ruri", { "INVITE <sip:user@example.com> SIP/2.0\n" HDRS }, SIP_PARSE_BAD_START, true,
	  .err_lo = 7, .err_hi = 7 },
	/* RFC 4475 3.1.2.8 lwsruri: LWS inside the Request-URI (";" at 27, SP at 28) */
	{ "LWS in ruri", { "INVITE sip:user@example.com; lr SIP/2.0\n" HDRS }, SIP_PARSE_BAD_START, true,
	  .err_lo = 28, .err_hi = 29 },
	/* constructed: NUL inside the Request-URI at 14 */
	{ "NUL in ruri", { "INVITE sip:bob\0@example.com SIP/2.0\r\n\r\n", 39 }, SIP_PARSE_BAD_START, true,
	  .err_lo = 14, .err_hi = 14 },
	/* RFC 3261 7: lines end in CRLF; constructed bare LF after the request line (LF at 34) */
	{ "bare LF", { "INVITE sip:bob@example.com SIP/2.0\nVia: x\n\n", 43 }, SIP_PARSE_BAD_START, true,
	  .err_lo = 34, .err_hi = 34 },
	/* constructed: the datagram ends inside the request line */
	{ "no CRLF", { "INVITE sip:bob@example.com SIP/2.0", 34 }, SIP_PARSE_BAD_START, true, .err_lo = 34,
	  .err_hi = 34 },

	/* RFC 4475 3.1.2.19 bigcode: Status-Code is 3DIGIT (error where the code starts, 8) */
	{ "status 10 digits", { "SIP/2.0 4294967301 better not break the receiver\n" HDRS }, SIP_PARSE_BAD_START,
	  false, .err_lo = 8, .err_hi = 11 },
	{ "status 2 digits", { "SIP/2.0 20 OK\n" HDRS }, SIP_PARSE_BAD_START, false, .err_lo = 8, .err_hi = 10 },
	{ "status no SP", { "SIP/2.0 200OK\n" HDRS }, SIP_PARSE_BAD_START, false, .err_lo = 8, .err_hi = 11 },
	{ "status 099", { "SIP/2.0 099 Low\n" HDRS }, SIP_PARSE_BAD_START, false, .err_lo = 8, .err_hi = 8 },
	{ "status no code", { "SIP/2.0\n" HDRS }, SIP_PARSE_BAD_START, false, .err_lo = 7, .err_hi = 8 },

	/* not SIP at all: never answered */
	{ "http", { "GET / HTTP/1.1\nHost: example.com\n\n" }, SIP_PARSE_NOT_SIP },
	{ "empty", { "", 0 }, SIP_PARSE_NOT_SIP },
	{ "keepalive", { "\r\n\r\n", 4 }, SIP_PARSE_NOT_SIP },
	{ "text", { "hello world\n\n" }, SIP_PARSE_NOT_SIP },
	/* RFC 4475 archive test.dat: a request line with no SIP-Version */
	{ "no version", { "INVITE sip:alan@jasomi.com\nTO : alan@jasomi.com\n\n" }, SIP_PARSE_NOT_SIP },
};

static void test_start_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(start_cases) / sizeof(start_cases[0]); i++) {
		const struct start_case *c = &start_cases[i];
		struct tu_dgram d = fx_bytes(&c->fx);
		enum sip_parse_status st = sip_msg_parse(&msg, d.p, d.len);

		print_message("start line: %s\n", c->name);
		assert_int_equal(st, c->st);
		assert_int_equal(msg.status_code, c->st);
		if (c->st == SIP_PARSE_OK) {
			assert_int_equal(msg.is_request, c->is_request);
			assert_view(msg.version, c->version, "version");
			if (c->is_request) {
				assert_view(msg.method, c->method, "method");
				assert_view(msg.ruri, c->ruri, "Request-URI");
			} else {
				assert_int_equal(msg.status, c->status);
				assert_view(msg.reason_phrase, c->reason, "reason phrase");
			}
		} else if (c->st != SIP_PARSE_NOT_SIP) {
			assert_non_null(msg.err_reason);
			assert_true(msg.err_reason[0] != '\0');
			if (msg.err_off < c->err_lo || msg.err_off > c->err_hi)
				fail_msg("%s: err_off %u not in [%u, %u] (%s)", c->name, msg.err_off, c->err_lo,
					 c->err_hi, msg.err_reason);
			if (c->st == SIP_PARSE_BAD_START && c->is_request)
				assert_true(msg.is_request);
		}
		tu_free(&d);
	}
}

/* ---------------------------------------------------------------- header names */

/* RFC 3261 20 (compact forms of the base spec) and RFC 3841, 3892, 4028, 4474, 3515, 6665. */
static const struct {
	char letter;
	enum sip_hdr_id id;
} compact_forms[] = {
	{ 'a', SIP_HDR_ACCEPT_CONTACT }, { 'b', SIP_HDR_REFERRED_BY },     { 'c', SIP_HDR_CONTENT_TYPE },
	{ 'd', SIP_HDR_REQUEST_DISPOSITION }, { 'e', SIP_HDR_CONTENT_ENCODING }, { 'f', SIP_HDR_FROM },
	{ 'i', SIP_HDR_CALL_ID },        { 'j', SIP_HDR_REJECT_CONTACT },  { 'k', SIP_HDR_SUPPORTED },
	{ 'l', SIP_HDR_CONTENT_LENGTH }, { 'm', SIP_HDR_CONTACT },         { 'n', SIP_HDR_IDENTITY_INFO },
	{ 'o', SIP_HDR_EVENT },          { 'r', SIP_HDR_REFER_TO },        { 's', SIP_HDR_SUBJECT },
	{ 't', SIP_HDR_TO },             { 'u', SIP_HDR_ALLOW_EVENTS },    { 'v', SIP_HDR_VIA },
	{ 'x', SIP_HDR_SESSION_EXPIRES }, { 'y', SIP_HDR_IDENTITY },
};

static void test_compact_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(compact_forms) / sizeof(compact_forms[0]); i++) {
		char lo = compact_forms[i].letter, up = (char)(lo - 'a' + 'A');

		print_message("compact form %c\n", lo);
		assert_int_equal(sip_hdr_lookup(&lo, 1), compact_forms[i].id);
		assert_int_equal(sip_hdr_lookup(&up, 1), compact_forms[i].id);
	}
	/* letters with no compact form */
	for (const char *p = "ghpqwzGHPQWZ"; *p; p++)
		assert_int_equal(sip_hdr_lookup(p, 1), SIP_HDR_OTHER);
}

/* Every compact form in a message, lower and upper case, with the value right after the colon (escnull "L:0"). */
static void test_compact_in_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(compact_forms) / sizeof(compact_forms[0]); i++) {
		for (int upper = 0; upper < 2; upper++) {
			char text[256];
			char letter = upper ? (char)(compact_forms[i].letter - 'a' + 'A') : compact_forms[i].letter;
			enum sip_hdr_id id = compact_forms[i].id;
			const char *val = id == SIP_HDR_CONTENT_LENGTH ? "0" : "value-1";
			struct tu_dgram d;

			snprintf(text, sizeof(text), "OPTIONS sip:bob@example.com SIP/2.0\nX-Before: 1\n%c:%s\n\n",
				 letter, val);
			d = tu_crlf(text);
			assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
			assert_int_equal(msg.nhdrs, 2);
			assert_int_equal(msg.hdrs[1].id, id);
			assert_int_equal(msg.first[id], 1);
			assert_int_equal(msg.count[id], 1);
			assert_view_n(msg.hdrs[1].name, &letter, 1, "name as written");
			assert_view(msg.hdrs[1].value, val, "value");
			assert_ptr_equal(sip_msg_hdr(&msg, id), &msg.hdrs[1]);
			tu_free(&d);
		}
	}
}

static const struct {
	const char *name;
	enum sip_hdr_id id;
} full_names[] = {
	/* RFC 3261 7.3.1: field names are case-insensitive; RFC 4475 3.1.1.1/3.1.1.7 mix cases */
	{ "call-id", SIP_HDR_CALL_ID },
	{ "CALL-ID", SIP_HDR_CALL_ID },
	{ "Call-Id", SIP_HDR_CALL_ID },
	{ "cseq", SIP_HDR_CSEQ },
	{ "CSEQ", SIP_HDR_CSEQ },
	{ "MaX-fOrWaRdS", SIP_HDR_MAX_FORWARDS },
	{ "proxy-require", SIP_HDR_PROXY_REQUIRE },
	{ "REQUIRE", SIP_HDR_REQUIRE },
	{ "content-LENGTH", SIP_HDR_CONTENT_LENGTH },
	{ "VIA", SIP_HDR_VIA },
	{ "vIa", SIP_HDR_VIA },
	{ "from", SIP_HDR_FROM },
	{ "TO", SIP_HDR_TO },
	{ "Record-route", SIP_HDR_RECORD_ROUTE },
	{ "route", SIP_HDR_ROUTE },
	{ "user-agent", SIP_HDR_USER_AGENT },
	{ "EXPIRES", SIP_HDR_EXPIRES },
	{ "allow", SIP_HDR_ALLOW },
	{ "server", SIP_HDR_SERVER },
	{ "SUPPORTED", SIP_HDR_SUPPORTED },
	{ "content-type", SIP_HDR_CONTENT_TYPE },
	{ "Content-Encoding", SIP_HDR_CONTENT_ENCODING },
	{ "CONTACT", SIP_HDR_CONTACT },
	{ "subject", SIP_HDR_SUBJECT },
	{ "event", SIP_HDR_EVENT },
	{ "allow-events", SIP_HDR_ALLOW_EVENTS },
	{ "refer-to", SIP_HDR_REFER_TO },
	{ "referred-by", SIP_HDR_REFERRED_BY },
	{ "session-expires", SIP_HDR_SESSION_EXPIRES },
	{ "identity", SIP_HDR_IDENTITY },
	{ "identity-info", SIP_HDR_IDENTITY_INFO },
	{ "accept-contact", SIP_HDR_ACCEPT_CONTACT },
	{ "reject-contact", SIP_HDR_REJECT_CONTACT },
	{ "request-disposition", SIP_HDR_REQUEST_DISPOSITION },
	/* not known: near misses and headers the core has no id for */
	{ "Vias", SIP_HDR_OTHER },
	{ "Tox", SIP_HDR_OTHER },
	{ "Call-IDs", SIP_HDR_OTHER },
	{ "X-Via", SIP_HDR_OTHER },
	{ "Max-Forward", SIP_HDR_OTHER },
	{ "Accept", SIP_HDR_OTHER },
	{ "Date", SIP_HDR_OTHER },
	{ "C%6Fntact", SIP_HDR_OTHER }, /* RFC 4475 3.1.1.5 esc02: % is not an escape in a name */
	{ "extensionHeader-!.%*+_`'~", SIP_HDR_OTHER },
};

static void test_full_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++) {
		print_message("name %s\n", full_names[i].name);
		assert_int_equal(sip_hdr_lookup(full_names[i].name, (uint32_t)strlen(full_names[i].name)),
				 full_names[i].id);
	}
	assert_int_equal(sip_hdr_lookup("", 0), SIP_HDR_OTHER);
	/* the length bounds the compare: "Via" inside a longer buffer */
	assert_int_equal(sip_hdr_lookup("Viaxyz", 3), SIP_HDR_VIA);
	assert_int_equal(sip_hdr_lookup("toolong", 2), SIP_HDR_TO);
}

/*
 * sip_hdr_lookup_end() (the parser's line loop: the name's words read ending at the name) agrees with
 * sip_hdr_lookup() on every name above, every prefix of each, every compact form and every one-letter name, in
 * both cases, whatever bytes come before the name (letters, '-', or bytes whose |0x20 would match a letter).
 */
static void test_lookup_end_agrees(void **state)
{
	static const char *const before[] = { "\r\nxxxxxxxxx", "Via: x\r\n", "\x01\x02\x03\x04\x05\x06\x07\x08",
					      "VIAVIAVIA", "--------", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8" };
	char buf[96];

	(void)state;
	for (size_t b = 0; b < sizeof(before) / sizeof(before[0]); b++) {
		size_t bl = strlen(before[b]) ? strlen(before[b]) : 8;

		memcpy(buf, before[b], bl);
		for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]) + 256; i++) {
			char name[40];
			size_t n;

			if (i < sizeof(full_names) / sizeof(full_names[0])) {
				n = strlen(full_names[i].name);
				memcpy(name, full_names[i].name, n);
			} else {
				name[0] = (char)(i - sizeof(full_names) / sizeof(full_names[0]));
				n = 1;
			}
			for (size_t len = 1; len <= n; len++)
				for (int up = 0; up < 2; up++) {
					for (size_t k = 0; k < len; k++)
						buf[bl + k] = up && name[k] >= 'a' && name[k] <= 'z' ? (char)(name[k] - 32)
												      : name[k];
					buf[bl + len] = ':';
					assert_int_equal(sip_hdr_lookup_end(buf + bl, (uint32_t)len),
							 sip_hdr_lookup(buf + bl, (uint32_t)len));
				}
		}
	}
}

/*
 * sip_hdr_lookup_end() has no length test of its own (a name over 24 bytes must still be SIP_HDR_OTHER), and a
 * name under 8 bytes matches on its first word alone: names of every length up to 300 made of a known name
 * repeated or extended (their first and last 8 bytes, and bytes 8..16, those of a known name), and short names
 * that are a known short name with a byte added or dropped, agree with sip_hdr_lookup().
 */
static void test_lookup_end_lengths(void **state)
{
	static char buf[8 + 320];

	(void)state;
	memset(buf, '\n', 8);
	for (size_t i = 0; i < sizeof(full_names) / sizeof(full_names[0]); i++) {
		const char *nm = full_names[i].name;
		size_t n = strlen(nm);

		for (size_t len = 1; len <= 300; len++) {
			/* the name repeated to len bytes, then the name ending at len (its last bytes those of nm) */
			for (size_t k = 0; k < len; k++)
				buf[8 + k] = nm[k % n];
			buf[8 + len] = ':';
			assert_int_equal(sip_hdr_lookup_end(buf + 8, (uint32_t)len), sip_hdr_lookup(buf + 8, (uint32_t)len));
			if (len >= n) {
				memcpy(buf + 8 + len - n, nm, n);
				assert_int_equal(sip_hdr_lookup_end(buf + 8, (uint32_t)len),
						 sip_hdr_lookup(buf + 8, (uint32_t)len));
			}
		}
		/* a byte dropped from, or added to, the name (the short ones: a word one byte shorter or longer) */
		for (size_t d = 0; d <= n; d++) {
			size_t m = 0;

			for (size_t k = 0; k < n; k++)
				if (k != d)
					buf[8 + m++] = nm[k];
			if (m) {
				assert_int_equal(sip_hdr_lookup_end(buf + 8, (uint32_t)m), sip_hdr_lookup(buf + 8, (uint32_t)m));
			}
			memcpy(buf + 8, nm, d);
			buf[8 + d] = 'x';
			memcpy(buf + 8 + d + 1, nm + d, n - d);
			assert_int_equal(sip_hdr_lookup_end(buf + 8, (uint32_t)n + 1), sip_hdr_lookup(buf + 8, (uint32_t)n + 1));
		}
	}
}

static const struct {
	enum sip_hdr_id id;
	const char *name;
} canonical[] = {
	{ SIP_HDR_ACCEPT_CONTACT, "Accept-Contact" },
	{ SIP_HDR_REFERRED_BY, "Referred-By" },
	{ SIP_HDR_CONTENT_TYPE, "Content-Type" },
	{ SIP_HDR_REQUEST_DISPOSITION, "Request-Disposition" },
	{ SIP_HDR_CONTENT_ENCODING, "Content-Encoding" },
	{ SIP_HDR_FROM, "From" },
	{ SIP_HDR_CALL_ID, "Call-ID" },
	{ SIP_HDR_REJECT_CONTACT, "Reject-Contact" },
	{ SIP_HDR_SUPPORTED, "Supported" },
	{ SIP_HDR_CONTENT_LENGTH, "Content-Length" },
	{ SIP_HDR_CONTACT, "Contact" },
	{ SIP_HDR_IDENTITY_INFO, "Identity-Info" },
	{ SIP_HDR_EVENT, "Event" },
	{ SIP_HDR_REFER_TO, "Refer-To" },
	{ SIP_HDR_SUBJECT, "Subject" },
	{ SIP_HDR_TO, "To" },
	{ SIP_HDR_ALLOW_EVENTS, "Allow-Events" },
	{ SIP_HDR_VIA, "Via" },
	{ SIP_HDR_SESSION_EXPIRES, "Session-Expires" },
	{ SIP_HDR_IDENTITY, "Identity" },
	{ SIP_HDR_CSEQ, "CSeq" },
	{ SIP_HDR_MAX_FORWARDS, "Max-Forwards" },
	{ SIP_HDR_PROXY_REQUIRE, "Proxy-Require" },
	{ SIP_HDR_REQUIRE, "Require" },
	{ SIP_HDR_USER_AGENT, "User-Agent" },
	{ SIP_HDR_RECORD_ROUTE, "Record-Route" },
	{ SIP_HDR_ROUTE, "Route" },
	{ SIP_HDR_EXPIRES, "Expires" },
	{ SIP_HDR_ALLOW, "Allow" },
	{ SIP_HDR_SERVER, "Server" },
};

static void test_canonical_names(void **state)
{
	(void)state;
	assert_int_equal(sizeof(canonical) / sizeof(canonical[0]), SIP_HDR__COUNT - 1);
	for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		const char *n = sip_hdr_name(canonical[i].id);

		assert_non_null(n);
		assert_string_equal(n, canonical[i].name);
		/* and the canonical name looks itself up */
		assert_int_equal(sip_hdr_lookup(n, (uint32_t)strlen(n)), canonical[i].id);
	}
	assert_null(sip_hdr_name(SIP_HDR_OTHER));
}

/* ---------------------------------------------------------------- whitespace around the colon */

static const struct {
	const char *line; /* one header line, without CRLF */
	const char *name; /* as written */
	enum sip_hdr_id id;
	const char *value; /* trimmed */
} colon_cases[] = {
	/* RFC 3261 7.3.1: HCOLON = *( SP / HTAB ) ":" SWS; RFC 4475 3.1.1.1 wsinv and 3.1.1.7 longreq */
	{ "Via:SIP/2.0/UDP h1.example.com", "Via", SIP_HDR_VIA, "SIP/2.0/UDP h1.example.com" },
	{ "Via : SIP/2.0/UDP h1.example.com", "Via", SIP_HDR_VIA, "SIP/2.0/UDP h1.example.com" },
	{ "Via  : SIP/2.0/UDP h1.example.com", "Via", SIP_HDR_VIA, "SIP/2.0/UDP h1.example.com" },
	{ "V :  SIP/2.0/TCP sip22.example.com", "V", SIP_HDR_VIA, "SIP/2.0/TCP sip22.example.com" },
	{ "v\t:\tSIP/2.0/UDP h1.example.com \t", "v", SIP_HDR_VIA, "SIP/2.0/UDP h1.example.com" },
	{ "Content-Length   : 0", "Content-Length", SIP_HDR_CONTENT_LENGTH, "0" },
	{ "Call-ID:  transports.kijh4akdnaqjkwendsasfdj", "Call-ID", SIP_HDR_CALL_ID,
	  "transports.kijh4akdnaqjkwendsasfdj" },
	{ "s :", "s", SIP_HDR_SUBJECT, "" },
	{ "Subject:   ", "Subject", SIP_HDR_SUBJECT, "" },
	{ "X-Empty:", "X-Empty", SIP_HDR_OTHER, "" },
	{ "UnknownHeaderWithUnusualValue: ;;,,;;,;", "UnknownHeaderWithUnusualValue", SIP_HDR_OTHER, ";;,,;;,;" },
};

static void test_colon_whitespace(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(colon_cases) / sizeof(colon_cases[0]); i++) {
		char text[512];
		struct tu_dgram d;

		snprintf(text, sizeof(text), "OPTIONS sip:bob@example.com SIP/2.0\n%s\n\n", colon_cases[i].line);
		d = tu_crlf(text);
		print_message("line: %s\n", colon_cases[i].line);
		assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
		assert_int_equal(msg.nhdrs, 1);
		assert_view(msg.hdrs[0].name, colon_cases[i].name, "name");
		assert_int_equal(msg.hdrs[0].id, colon_cases[i].id);
		assert_view(msg.hdrs[0].value, colon_cases[i].value, "value");
		assert_int_equal(msg.hdrs[0].flags & SIP_HF_FOLDED, 0);
		tu_free(&d);
	}
}

/* ---------------------------------------------------------------- folding */

static const struct {
	const char *lines; /* header lines with continuation, "\n"-separated (made CRLF) */
	enum sip_hdr_id id;
	const char *raw;      /* value as indexed (CRLF kept) */
	const char *unfolded; /* sip_hdr_unfold() */
} fold_cases[] = {
	/* RFC 3261 7.3.1 example shape */
	{ "Subject: I know you're there,\n pick up the phone\n and talk to me!", SIP_HDR_SUBJECT,
	  "I know you're there,\r\n pick up the phone\r\n and talk to me!",
	  "I know you're there, pick up the phone and talk to me!" },
	/* constructed: HTAB continuation, several WS */
	{ "Subject: first\n\t  second\n \tthird", SIP_HDR_SUBJECT, "first\r\n\t  second\r\n \tthird",
	  "first second third" },
	/* RFC 4475 3.1.1.1 wsinv */
	{ "cseq: 0009\n  INVITE", SIP_HDR_CSEQ, "0009\r\n  INVITE", "0009 INVITE" },
	{ "Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw", SIP_HDR_VIA,
	  "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw" },
	{ "NewFangledHeader:   newfangled value\n continued newfangled value", SIP_HDR_OTHER,
	  "newfangled value\r\n continued newfangled value", "newfangled value continued newfangled value" },
	/* RFC 4475 3.1.1.9 semiuri: folded list */
	{ "Supported: 100rel,\n        timer", SIP_HDR_SUPPORTED, "100rel,\r\n        timer", "100rel, timer" },
};

/*
 * The byte after a header line's LF decides whether the line loop's fast path takes the line: a byte <= ' ' other
 * than CR (SP/HTAB: a continuation line; any other control byte) sends it to the general path. For every such
 * byte, and for CR and LF, the line before is indexed the same and what follows is what the grammar says: a
 * folded value, a bare LF, or a malformed name at that byte.
 */
static void test_byte_after_lf(void **state)
{
	static const char head[] = "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "To: <sip:bob@example.com>\r\n";
	char text[256];

	(void)state;
	for (unsigned b = 0; b <= ' '; b++) {
		const uint32_t at = (uint32_t)sizeof(head) - 1; /* offset of the byte after the To line's LF */
		struct tu_dgram d;
		enum sip_parse_status st;
		int n;

		n = snprintf(text, sizeof(text), "%sXFrom: <sip:a@example.com>;tag=1\r\nCSeq: 1 OPTIONS\r\n\r\n", head);
		assert_true(n > 0 && (size_t)n < sizeof(text));
		text[at] = (char)b;
		d = tu_dup(text, (uint32_t)n);
		st = sip_msg_parse(&msg, d.p, d.len);
		print_message("byte 0x%02x after the LF: status %d at %u\n", b, (int)st, msg.err_off);
		assert_true(msg.nhdrs >= 2);
		assert_view(msg.hdrs[0].value, "SIP/2.0/UDP h;branch=z9hG4bK1", "Via before");
		if (b == ' ' || b == '\t') {
			/* a continuation line: the To value runs on to the From line's end */
			assert_int_equal(st, SIP_PARSE_OK);
			assert_int_equal(msg.nhdrs, 3);
			assert_int_equal(msg.hdrs[1].id, SIP_HDR_TO);
			assert_true(msg.hdrs[1].flags & SIP_HF_FOLDED);
			assert_int_equal(msg.hdrs[1].value.p + msg.hdrs[1].value.len - d.p,
					 (long)(strstr(text, ";tag=1") + 6 - text));
		} else {
			/*
			 * an LF there is an empty line with a bare LF; any other byte starts a line whose name it
			 * makes malformed (not a token character)
			 */
			assert_int_equal(st, SIP_PARSE_BAD_HEADER);
			assert_int_equal(msg.err_off, at);
			assert_string_equal(msg.err_reason, b == '\n' ? "Bare LF line ending" : "Malformed header field name");
			assert_int_equal(msg.nhdrs, 2);
			assert_view(msg.hdrs[1].value, "<sip:bob@example.com>", "To before");
			assert_int_equal(msg.hdrs[1].flags, 0);
		}
		tu_free(&d);
	}
}

static void test_folding(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fold_cases) / sizeof(fold_cases[0]); i++) {
		char text[512], out[512];
		struct tu_dgram d;
		const struct sip_hdr *h;
		uint32_t n;

		snprintf(text, sizeof(text), "OPTIONS sip:bob@example.com SIP/2.0\nX-Before: 1\n%s\nX-After: 2\n\n",
			 fold_cases[i].lines);
		d = tu_crlf(text);
		print_message("folded: %s\n", tu_show(fold_cases[i].lines, (uint32_t)strlen(fold_cases[i].lines)));
		assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
		/* the continuation lines belong to the header: exactly three lines indexed */
		assert_int_equal(msg.nhdrs, 3);
		h = &msg.hdrs[1];
		assert_int_equal(h->id, fold_cases[i].id);
		assert_true(h->flags & SIP_HF_FOLDED);
		assert_view(h->value, fold_cases[i].raw, "raw value");
		n = sip_hdr_unfold(h, out, sizeof(out));
		assert_view_n(sw_str_make(out, n), fold_cases[i].unfolded, (uint32_t)strlen(fold_cases[i].unfolded),
			      "unfolded");
		assert_view(msg.hdrs[2].value, "2", "line after the folded one");
		/* the cap bounds the output */
		n = sip_hdr_unfold(h, out, 4);
		assert_int_equal(n, 4);
		assert_memory_equal(out, fold_cases[i].unfolded, 4);
		tu_free(&d);
	}
}

/* RFC 4475 3.1.1.3 esc01: "Contact:" CRLF "  <sip:...>": the value starts on the continuation line */
static void test_fold_empty_first_line(void **state)
{
	struct tu_dgram d = tu_crlf("INVITE sip:bob@example.com SIP/2.0\n"
				    "Contact:\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
				    "Call-ID: x\n\n");
	char out[256];
	uint32_t n;
	const struct sip_hdr *h;

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.nhdrs, 2);
	h = sip_msg_hdr(&msg, SIP_HDR_CONTACT);
	assert_non_null(h);
	n = sip_hdr_unfold(h, out, sizeof(out));
	assert_view(sw_str_trim(sw_str_make(out, n)), "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
		    "unfolded contact");
	tu_free(&d);
}

/*
 * A continuation line holding only whitespace ends the value with LWS, which is trimmed like any trailing whitespace
 * (RFC 3261 7.3.1): the value never ends in CR or LF (a reply copying it would end its header section early).
 */
static void test_fold_blank_continuation(void **state)
{
	static const char *const texts[] = {
		"OPTIONS sip:bob@example.com SIP/2.0\nCSeq: 1 OPTIONS\n \nTo: <sip:b@example.com>\n\n",
		"OPTIONS sip:bob@example.com SIP/2.0\nCSeq: 1 OPTIONS\n\t\t\nTo: <sip:b@example.com>\n\n",
		"OPTIONS sip:bob@example.com SIP/2.0\nCSeq: 1 OPTIONS \n \n \nTo: <sip:b@example.com>\n\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct tu_dgram d = tu_crlf(texts[i]);

		assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
		assert_int_equal(msg.nhdrs, 2);
		assert_view(sip_msg_hdr(&msg, SIP_HDR_CSEQ)->value, "1 OPTIONS", "value before a blank continuation");
		tu_free(&d);
	}
}

/* A value that is not folded unfolds to itself. */
static void test_unfold_plain(void **state)
{
	struct tu_dgram d = tu_crlf("OPTIONS sip:bob@example.com SIP/2.0\nSubject: plain value\n\n");
	char out[64];
	uint32_t n;

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	n = sip_hdr_unfold(&msg.hdrs[0], out, sizeof(out));
	assert_view_n(sw_str_make(out, n), "plain value", 11, "unfold of a plain value");
	tu_free(&d);
}

/* A continuation line with no header before it is a syntax error where that line starts (offset 37). */
static void test_fold_without_header(void **state)
{
	struct tu_dgram d = tu_crlf("OPTIONS sip:bob@example.com SIP/2.0\n continued\nTo: x\n\n");

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_BAD_HEADER);
	assert_in_range(msg.err_off, 37, 38);
	tu_free(&d);
}

/* ---------------------------------------------------------------- repeated headers */

static void test_multi_line_headers(void **state)
{
	/* constructed after RFC 4475 3.1.1.7 longreq (Via in every case and form) and RFC 3261 7.3.1 */
	struct tu_dgram d = tu_crlf("INVITE sip:bob@example.com SIP/2.0\n"
				    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\n"   /* 0 */
				    "v: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\n"     /* 1 */
				    "Max-Forwards: 70\n"                                 /* 2 */
				    "VIA: SIP/2.0/UDP c.example.com;branch=z9hG4bK3, SIP/2.0/UDP d.example.com\n" /* 3 */
				    "Contact: <sip:a@x.example.com>\n"                   /* 4 */
				    "X-Custom: 1\n"                                      /* 5 */
				    "m: <sip:b@y.example.com>\n"                         /* 6 */
				    "X-Custom: 2\n"                                      /* 7 */
				    "Route: <sip:p1.example.com;lr>\n"                   /* 8 */
				    "Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>\n" /* 9 */
				    "\n");
	const struct sip_hdr *h;

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.nhdrs, 10);
	assert_int_equal(msg.count[SIP_HDR_VIA], 3);
	assert_int_equal(msg.first[SIP_HDR_VIA], 0);
	h = sip_msg_hdr(&msg, SIP_HDR_VIA);
	assert_view(h->value, "SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "via 0");
	assert_int_equal(h->next, 1);
	h = sip_msg_hdr_next(&msg, h);
	assert_view(h->value, "SIP/2.0/UDP b.example.com;branch=z9hG4bK2", "via 1");
	assert_int_equal(h->next, 3);
	h = sip_msg_hdr_next(&msg, h);
	assert_view(h->value, "SIP/2.0/UDP c.example.com;branch=z9hG4bK3, SIP/2.0/UDP d.example.com", "via 2");
	assert_int_equal(h->next, -1);
	assert_null(sip_msg_hdr_next(&msg, h));

	assert_int_equal(msg.count[SIP_HDR_CONTACT], 2);
	assert_int_equal(msg.first[SIP_HDR_CONTACT], 4);
	assert_int_equal(msg.hdrs[4].next, 6);
	assert_int_equal(msg.hdrs[6].next, -1);
	assert_int_equal(msg.count[SIP_HDR_ROUTE], 2);
	assert_int_equal(msg.hdrs[8].next, 9);
	assert_int_equal(msg.count[SIP_HDR_MAX_FORWARDS], 1);
	assert_int_equal(msg.count[SIP_HDR_TO], 0);
	assert_int_equal(msg.first[SIP_HDR_TO], -1);
	assert_null(sip_msg_hdr(&msg, SIP_HDR_TO));
	/* unknown headers: id OTHER, never chained */
	assert_int_equal(msg.hdrs[5].id, SIP_HDR_OTHER);
	assert_int_equal(msg.hdrs[5].next, -1);
	assert_int_equal(msg.hdrs[7].id, SIP_HDR_OTHER);
	assert_int_equal(msg.hdrs[7].next, -1);
	tu_free(&d);
}

/* RFC 4475 3.3.8 multi01: the parser indexes repeated single-value headers; the verdict refuses them */
static void test_repeated_single_value(void **state)
{
	struct tu_dgram d = tu_load("torture/rfc4475/multi01.dat");

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.count[SIP_HDR_CSEQ], 2);
	assert_int_equal(msg.count[SIP_HDR_CALL_ID], 2);
	assert_int_equal(msg.count[SIP_HDR_TO], 2);
	assert_int_equal(msg.count[SIP_HDR_FROM], 2);
	assert_int_equal(msg.count[SIP_HDR_MAX_FORWARDS], 2);
	assert_int_equal(msg.count[SIP_HDR_CONTACT], 2);
	assert_int_equal(msg.count[SIP_HDR_CONTENT_LENGTH], 1);
	assert_view(sip_msg_hdr(&msg, SIP_HDR_CSEQ)->value, "5 INVITE", "first CSeq");
	assert_view(sip_msg_hdr_next(&msg, sip_msg_hdr(&msg, SIP_HDR_CSEQ))->value, "59 INVITE", "second CSeq");
	tu_free(&d);
}

/* RFC 4475 3.1.1.7 longreq: 34 Via lines in every spelling */
static void test_longreq_vias(void **state)
{
	struct tu_dgram d = tu_load("torture/rfc4475/longreq.dat");
	const struct sip_hdr *h;
	unsigned n = 0;

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.count[SIP_HDR_VIA], 34);
	for (h = sip_msg_hdr(&msg, SIP_HDR_VIA); h; h = sip_msg_hdr_next(&msg, h))
		n++;
	assert_int_equal(n, 34);
	assert_view(sip_msg_hdr(&msg, SIP_HDR_VIA)->value, "SIP/2.0/TCP sip33.example.com", "top via");
	assert_int_equal(msg.content_length, 150);
	assert_int_equal(msg.body.len, 150);
	tu_free(&d);
}

static void test_too_many_headers(void **state)
{
	(void)state;
	for (unsigned lines = SIP_MAX_HEADERS - 1; lines <= SIP_MAX_HEADERS + 2; lines++) {
		static char text[64 + (SIP_MAX_HEADERS + 2) * 24];
		size_t o = (size_t)snprintf(text, sizeof(text), "OPTIONS sip:bob@example.com SIP/2.0\n");
		struct tu_dgram d;
		enum sip_parse_status st;

		for (unsigned i = 0; i < lines; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "X-H%u: %u\n", i, i);
		snprintf(text + o, sizeof(text) - o, "\n");
		d = tu_crlf(text);
		st = sip_msg_parse(&msg, d.p, d.len);
		print_message("%u header lines\n", lines);
		if (lines <= SIP_MAX_HEADERS) {
			assert_int_equal(st, SIP_PARSE_OK);
			assert_int_equal(msg.nhdrs, lines);
		} else {
			assert_int_equal(st, SIP_PARSE_TOO_MANY_HEADERS);
			assert_true(msg.nhdrs <= SIP_MAX_HEADERS);
		}
		tu_free(&d);
	}
}

/* ---------------------------------------------------------------- quoted strings, NUL, non-UTF-8 */

struct bytes_case {
	const char *name;
	const char *text; /* CRLF already */
	uint32_t len;
	enum sip_parse_status st;
	uint32_t err_off; /* on error */
	enum sip_hdr_id id; /* on success: the header whose value is checked */
	const char *value;
	uint32_t vlen;
};

#define RL "OPTIONS sip:bob@example.com SIP/2.0\r\n" /* 37 bytes */
#define B(s) s, sizeof(s) - 1

static const struct bytes_case bytes_cases[] = {
	/* constructed: commas, colons, semicolons and an escaped quote inside a display name */
	{ "quoted comma colon", B(RL "To: \"Doe, John: \\\"the, first\\\"\" <sip:j@example.com>;tag=1\r\n\r\n"),
	  SIP_PARSE_OK, 0, SIP_HDR_TO, B("\"Doe, John: \\\"the, first\\\"\" <sip:j@example.com>;tag=1") },
	/* RFC 4475 3.1.1.2 intmeth: NUL, BEL and DEL as quoted-pairs in a display name */
	{ "quoted NUL", B(RL "To: \"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>\r\n\r\n"), SIP_PARSE_OK, 0,
	  SIP_HDR_TO, B("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>") },
	/* constructed: a raw NUL (not a quoted-pair) inside a quoted string */
	{ "raw NUL in quotes", B(RL "From: \"a\0b\" <sip:a@example.com>;tag=9\r\n\r\n"), SIP_PARSE_OK, 0, SIP_HDR_FROM,
	  B("\"a\0b\" <sip:a@example.com>;tag=9") },
	/* constructed: non-UTF-8 octets in a quoted string */
	{ "quoted non-UTF-8", B(RL "From: \"\xff\xfe\x80\" <sip:a@example.com>;tag=9\r\n\r\n"), SIP_PARSE_OK, 0,
	  SIP_HDR_FROM, B("\"\xff\xfe\x80\" <sip:a@example.com>;tag=9") },
	/* RFC 4475 3.1.1.2 intmeth: a '"' in a Call-ID is a word character, not a quote */
	{ "quote in Call-ID", B(RL "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\nTo: <sip:x@example.com>\r\n\r\n"),
	  SIP_PARSE_OK, 0, SIP_HDR_TO, B("<sip:x@example.com>") },
	/* constructed: a raw NUL outside any quoted string: syntax error at the NUL (offset 37 + 15) */
	{ "NUL in value", B(RL "Subject: abcdef\0gh\r\n\r\n"), SIP_PARSE_BAD_HEADER, 37 + 15 },
	/* constructed: NUL after a closed quoted string: "a\\" closes (escaped backslash), NUL at 37 + 15 */
	{ "NUL after quoted-pair backslash", B(RL "Subject: \"a\\\\\" \0x\r\n\r\n"), SIP_PARSE_BAD_HEADER, 37 + 15 },
	/* constructed: NUL in a header name: the error is where the NUL is */
	{ "NUL in name", B(RL "Sub\0ject: x\r\n\r\n"), SIP_PARSE_BAD_HEADER, 37 + 3 },
	/* constructed: NUL as the first byte of a header line */
	{ "NUL line start", B(RL "Subject: x\r\n\0To: y\r\n\r\n"), SIP_PARSE_BAD_HEADER, 37 + 12 },
	/* constructed: NUL in the value of a known header in the second line */
	{ "NUL in Via", B(RL "To: <sip:x@example.com>\r\nVia: SIP/2.0/UDP a\0b\r\n\r\n"), SIP_PARSE_BAD_HEADER,
	  37 + 25 + 18 },
};

static void test_quoted_and_nul(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bytes_cases) / sizeof(bytes_cases[0]); i++) {
		const struct bytes_case *c = &bytes_cases[i];
		struct tu_dgram d = tu_dup(c->text, c->len);
		enum sip_parse_status st = sip_msg_parse(&msg, d.p, d.len);

		print_message("bytes: %s\n", c->name);
		assert_int_equal(st, c->st);
		if (st == SIP_PARSE_OK) {
			const struct sip_hdr *h = sip_msg_hdr(&msg, c->id);

			assert_non_null(h);
			assert_view_n(h->value, c->value, c->vlen, "value");
		} else {
			if (msg.err_off != c->err_off)
				fail_msg("%s: err_off %u, want %u (%s)", c->name, msg.err_off, c->err_off,
					 msg.err_reason ? msg.err_reason : "");
			assert_non_null(msg.err_reason);
		}
		tu_free(&d);
	}
}

/* NUL and non-UTF-8 bytes in the body are the body's business (RFC 4475 3.1.1.11 mpart01). */
static void test_binary_body(void **state)
{
	static const char text[] = RL "Content-Length: 8\r\n\r\n\0\xff\xfe\0\r\n\0\x80";
	struct tu_dgram d = tu_dup(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.body.len, 8);
	assert_memory_equal(msg.body.p, "\0\xff\xfe\0\r\n\0\x80", 8);
	tu_free(&d);

	d = tu_load("torture/rfc4475/mpart01.dat");
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_int_equal(msg.content_length, 553);
	assert_int_equal(msg.body.len, 553);
	assert_ptr_equal(msg.body.p, d.p + 737);
	tu_free(&d);
}

/* ---------------------------------------------------------------- header section syntax */

/* A malformed name has no single faulty byte: err_off may point at the line (37) or at the byte that breaks it. */
static const struct {
	const char *name;
	const char *text; /* "\n" made CRLF */
	uint32_t err_lo, err_hi;
} header_errors[] = {
	/* RFC 4475 archive test.dat line "Foobar roobar": no colon (name ends at 37 + 6, 'r' at 37 + 7) */
	{ "no colon", "OPTIONS sip:bob@example.com SIP/2.0\nFoobar roobar\n\n", 37, 37 + 7 },
	/* constructed: space inside a name */
	{ "space in name", "OPTIONS sip:bob@example.com SIP/2.0\nMax Forwards: 70\n\n", 37, 37 + 4 },
	/* constructed: a colon with no name */
	{ "empty name", "OPTIONS sip:bob@example.com SIP/2.0\n: value\n\n", 37, 37 },
	/* constructed: non-token byte in a name */
	{ "bad name byte", "OPTIONS sip:bob@example.com SIP/2.0\nTo<: x\n\n", 37, 37 + 2 },
};

static void test_header_syntax_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(header_errors) / sizeof(header_errors[0]); i++) {
		struct tu_dgram d = tu_crlf(header_errors[i].text);

		print_message("header error: %s\n", header_errors[i].name);
		assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_BAD_HEADER);
		if (msg.err_off < header_errors[i].err_lo || msg.err_off > header_errors[i].err_hi)
			fail_msg("%s: err_off %u not in [%u, %u]", header_errors[i].name, msg.err_off,
				 header_errors[i].err_lo, header_errors[i].err_hi);
		assert_non_null(msg.err_reason);
		/* the start line parsed: the kind of message is known even on a header error */
		assert_true(msg.is_request);
		assert_view(msg.method, "OPTIONS", "method on error");
		tu_free(&d);
	}
}

/* RFC 4475 3.1.2.15 baddn as archived: no empty line ends the header section. */
static void test_unterminated_header_section(void **state)
{
	struct tu_dgram d = tu_load("torture/rfc4475/baddn.dat");

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_BAD_HEADER);
	assert_in_range(msg.err_off, d.len - 2, d.len);
	/* the lines before the error are indexed, so an error reply can still be built */
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_CALL_ID));
	tu_free(&d);

	d = tu_crlf("OPTIONS sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP h\nCall-ID: x\n");
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_BAD_HEADER);
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
	tu_free(&d);
}

/* ---------------------------------------------------------------- Content-Length framing (RFC 3261 18.3, 20.14) */

struct cl_case {
	const char *name;
	const char *headers; /* header lines after the request line, "\n"-separated, no final empty line */
	const char *body;
	enum sip_parse_status st;
	int64_t content_length; /* on success */
	const char *framed;     /* on success: the body after framing */
};

static const struct cl_case cl_cases[] = {
	{ "exact", "Content-Length: 5", "hello", SIP_PARSE_OK, 5, "hello" },
	/* 18.3: smaller than the datagram's body: the surplus is discarded (RFC 4475 3.1.1.8 dblreq) */
	{ "smaller", "Content-Length: 3", "hello", SIP_PARSE_OK, 3, "hel" },
	{ "zero + trailing", "Content-Length: 0", "INVITE sip:x SIP/2.0\r\n\r\n", SIP_PARSE_OK, 0, "" },
	/* absent: the body runs to the end of the datagram (RFC 4475 3.4.1 inv2543) */
	{ "absent", "Subject: no length", "hello", SIP_PARSE_OK, -1, "hello" },
	{ "absent, no body", "Subject: no length", "", SIP_PARSE_OK, -1, "" },
	/* compact form, any case, no space (RFC 4475 3.1.1.4 escnull "L:0") */
	{ "compact l", "l: 5", "hello", SIP_PARSE_OK, 5, "hello" },
	{ "compact L", "L:2", "hello", SIP_PARSE_OK, 2, "he" },
	{ "leading zeros", "Content-Length: 0005", "hello", SIP_PARSE_OK, 5, "hello" },
	{ "space before colon", "Content-Length   : 5", "hello", SIP_PARSE_OK, 5, "hello" },
	/* larger than the bytes present: error (RFC 4475 3.1.2.2 clerr) */
	{ "larger", "Content-Length: 6", "hello", SIP_PARSE_BAD_FRAMING },
	{ "larger, no body", "Content-Length: 1", "", SIP_PARSE_BAD_FRAMING },
	{ "huge", "Content-Length: 9999", "hello", SIP_PARSE_BAD_FRAMING },
	/* not a number (RFC 4475 3.1.2.3 ncl) */
	{ "negative", "Content-Length: -999", "hello", SIP_PARSE_BAD_FRAMING },
	{ "letters", "Content-Length: five", "hello", SIP_PARSE_BAD_FRAMING },
	{ "empty", "Content-Length:", "hello", SIP_PARSE_BAD_FRAMING },
	{ "two numbers", "Content-Length: 1 2", "hello", SIP_PARSE_BAD_FRAMING },
	{ "plus sign", "Content-Length: +5", "hello", SIP_PARSE_BAD_FRAMING },
	{ "overflow", "Content-Length: 99999999999999999999999", "hello", SIP_PARSE_BAD_FRAMING },
	{ "2^32", "Content-Length: 4294967296", "hello", SIP_PARSE_BAD_FRAMING },
	/* several values (RFC 4475 3.3.9 mcl01) */
	{ "two lines", "Content-Length: 5\nContent-Length: 3", "hello", SIP_PARSE_BAD_FRAMING },
	{ "full and compact", "Content-Length: 5\nl: 2", "hello", SIP_PARSE_BAD_FRAMING },
};

static void test_content_length(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cl_cases) / sizeof(cl_cases[0]); i++) {
		const struct cl_case *c = &cl_cases[i];
		char head[512];
		size_t hl, bl = strlen(c->body);
		struct tu_dgram h, d;
		char *all;

		snprintf(head, sizeof(head), "OPTIONS sip:bob@example.com SIP/2.0\n%s\n\n", c->headers);
		h = tu_crlf(head);
		hl = h.len;
		all = malloc(hl + bl + 1);
		memcpy(all, h.p, hl);
		memcpy(all + hl, c->body, bl);
		d = tu_dup(all, (uint32_t)(hl + bl));
		free(all);

		print_message("Content-Length: %s\n", c->name);
		assert_int_equal(sip_msg_parse(&msg, d.p, d.len), c->st);
		assert_int_equal(msg.hdr_end, hl);
		if (c->st == SIP_PARSE_OK) {
			assert_int_equal(msg.content_length, c->content_length);
			assert_ptr_equal(msg.body.p, d.p + hl);
			assert_int_equal(msg.body.len, strlen(c->framed));
		} else {
			/* the error points into the Content-Length header lines */
			assert_in_range(msg.err_off, 37, hl - 2);
			assert_non_null(msg.err_reason);
		}
		/* sip_msg_parse_headers() does not frame: every case indexes fine */
		assert_int_equal(sip_msg_parse_headers(&msg, d.p, d.len), SIP_PARSE_OK);
		assert_int_equal(msg.hdr_end, hl);
		tu_free(&h);
		tu_free(&d);
	}
}

/* RFC 4475 3.1.1.8 dblreq: the INVITE after the REGISTER (Content-Length: 0) is noise */
/*
 * Content-Length values of 1 to 9 bytes: digits with every byte value in turn at every position, after names of
 * several lengths (the compact "l" up, with and without spaces). The framing must say what sw_str_to_u64() says of
 * the value: malformed, larger than the body, or the length.
 */
static void test_content_length_words(void **state)
{
	static const char *const names[] = { "l", "L: ", "Content-Length", "Content-Length:  " };
	char text[256], v[16];
	struct sip_msg m;

	(void)state;
	for (size_t nm = 0; nm < sizeof(names) / sizeof(names[0]); nm++)
		for (uint32_t len = 1; len <= 9; len++)
			for (uint32_t at = 0; at < len; at++)
				for (unsigned b = 1; b < 256; b++) {
					uint64_t want = 0;
					bool ok;
					int n;

					if (b == ' ' || b == '\t' || b == '\r' || b == '\n')
						continue; /* trimmed, or a line of its own */
					for (uint32_t i = 0; i < len; i++)
						v[i] = (char)('0' + (i * 7 + len) % 10);
					v[at] = (char)b;
					ok = sw_str_to_u64(sw_str_make(v, len), UINT32_MAX, &want);
					n = snprintf(text, sizeof(text), "OPTIONS sip:x SIP/2.0\r\n%s%s%.*s\r\n\r\n%0100d",
						     names[nm], strchr(names[nm], ':') ? "" : ":", (int)len, v, 0);
					assert_true(n > 0 && (size_t)n < sizeof(text));
					struct tu_dgram d = tu_dup(text, (uint32_t)n);
					enum sip_parse_status st = sip_msg_parse(&m, d.p, d.len);

					if (!ok ? st != SIP_PARSE_BAD_FRAMING
						: want > 100 ? st != SIP_PARSE_BAD_FRAMING
							     : st != SIP_PARSE_OK || m.content_length != (int64_t)want) {
						print_error("Content-Length \"%.*s\" after \"%s\": status %d, length %lld, want %s "
							    "%llu\n", (int)len, v, names[nm], (int)st,
							    (long long)m.content_length, ok ? "" : "malformed",
							    (unsigned long long)want);
						fail();
					}
					tu_free(&d);
				}
}

static void test_dblreq_framing(void **state)
{
	struct tu_dgram d = tu_load("torture/rfc4475/dblreq.dat");

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_OK);
	assert_view(msg.method, "REGISTER", "method");
	assert_int_equal(msg.hdr_end, 300);
	assert_int_equal(msg.content_length, 0);
	assert_int_equal(msg.body.len, 0);
	assert_int_equal(msg.count[SIP_HDR_CALL_ID], 1); /* "I:" (upper-case compact) */
	assert_int_equal(msg.count[SIP_HDR_TO], 1);      /* the INVITE's "t:" is not a header of this message */
	tu_free(&d);
}

/* RFC 4475 3.1.2.2 clerr: Content-Length 9999 with 154 bytes of body */
static void test_clerr_framing(void **state)
{
	struct tu_dgram d = tu_load("torture/rfc4475/clerr.dat");

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, d.p, d.len), SIP_PARSE_BAD_FRAMING);
	assert_true(msg.is_request);
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA)); /* still indexed, so a 400 can be built */
	tu_free(&d);
}

/* ---------------------------------------------------------------- value parsers */

struct via_case {
	const char *name;
	const char *value;
	bool ok;
	const char *transport, *host;
	uint16_t port;
	bool rport, rport_value;
	const char *branch, *received;
	char end_char; /* the byte at via.end, or 0 for the end of the value */
};

static const struct via_case via_cases[] = {
	/* RFC 3261 20.42 */
	{ "basic", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds", true, "UDP", "192.0.2.10", 5060, false, false,
	  "z9hG4bK776asdhds", "" },
	{ "hostname", "SIP/2.0/TCP pc33.example.com;branch=z9hG4bK1", true, "TCP", "pc33.example.com", 0, false, false,
	  "z9hG4bK1", "" },
	/* RFC 3581 */
	{ "bare rport", "SIP/2.0/UDP pc33.example.com:5062;rport;branch=z9hG4bK2", true, "UDP", "pc33.example.com",
	  5062, true, false, "z9hG4bK2", "" },
	{ "rport value", "SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bK3", true, "UDP",
	  "10.1.1.1", 4540, true, true, "z9hG4bK3", "192.0.2.1" },
	/* RFC 5118 4.7 */
	{ "ipv6", "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111", true, "UDP", "2001:db8::9:1", 6050, false,
	  false, "z9hG4bKas3-111", "" },
	{ "ipv6 no port", "SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200", true, "TCP",
	  "2001:db8::9:255", 0, false, false, "z9hG4bK451jj", "192.0.2.200" },
	/* RFC 5118 4.9 */
	{ "v4-mapped", "SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19", true, "UDP", "::ffff:192.0.2.10",
	  19823, false, false, "z9hG4bKbh19", "" },
	/* RFC 4475 3.1.1.10 transports: unknown transport token */
	{ "unknown transport", "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", true, "UNKNOWN",
	  "t4.example.com", 0, false, false, "z9hG4bKasd0f3en", "" },
	/* RFC 4475 3.4.1 inv2543: no branch */
	{ "no params", "SIP/2.0/UDP iftgw.example.com", true, "UDP", "iftgw.example.com", 0, false, false, "", "" },
	/* RFC 4475 3.1.1.1 wsinv, unfolded: LWS around the slashes and before ';' */
	{ "LWS", "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw", true, "UDP", "192.0.2.2", 0, false, false,
	  "390skdjuw", "" },
	{ "LWS 2", "SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  ,  SIP / 2.0 / UDP x", true,
	  "TCP", "spindle.example.com", 0, false, false, "z9hG4bK9ikj8", "", ',' },
	/* two via-parms on one line: the first one only; end at the comma */
	{ "two parms", "SIP/2.0/UDP h1.example.com;branch=z9hG4bKa, SIP/2.0/UDP h2.example.com", true, "UDP",
	  "h1.example.com", 0, false, false, "z9hG4bKa", "", ',' },
	/* malformed */
	{ "garbage", "garbage", false },
	{ "empty", "", false },
	{ "no host", "SIP/2.0/UDP", false },
	{ "no host 2", "SIP/2.0/UDP ;branch=z9hG4bK1", false },
	{ "no transport", "SIP/2.0 192.0.2.1", false },
	{ "port too big", "SIP/2.0/UDP 192.0.2.1:65536", false },
	{ "port letters", "SIP/2.0/UDP 192.0.2.1:50a0", false },
	{ "empty port", "SIP/2.0/UDP 192.0.2.1:", false },
	{ "unclosed v6", "SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1", false },
};

static void test_via_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(via_cases) / sizeof(via_cases[0]); i++) {
		const struct via_case *c = &via_cases[i];
		struct tu_dgram d = tu_dup(c->value, (uint32_t)strlen(c->value));
		struct sip_via via;
		bool ok;

		memset(&via, 0, sizeof(via));
		ok = sip_via_parse(sw_str_make(d.p, d.len), &via);
		print_message("via: %s\n", c->name);
		assert_int_equal(ok, c->ok);
		if (ok) {
			assert_view(via.transport, c->transport, "transport");
			assert_view(via.host, c->host, "host");
			assert_int_equal(via.port, c->port);
			assert_int_equal(via.has_rport, c->rport);
			assert_int_equal(via.rport_has_value, c->rport_value);
			assert_view(via.branch, c->branch, "branch");
			if (c->received[0])
				assert_view(via.received, c->received, "received");
			if (c->end_char)
				assert_true(via.end < d.p + d.len && *via.end == c->end_char);
			else
				assert_ptr_equal(via.end, d.p + d.len);
		}
		/* the verdict's validate-only variant, with the value inside a larger buffer (its 32-byte loads) */
		{
			char buf[256];
			const char *end = NULL;
			bool ok2;

			assert_true(d.len + 64 <= sizeof(buf));
			memset(buf, 'x', sizeof(buf));
			memcpy(buf, d.p, d.len);
			ok2 = sip_via_check_in(sw_str_make(buf, d.len), buf + sizeof(buf), &end);
			assert_int_equal(ok2, c->ok);
			if (ok)
				assert_ptr_equal(end - buf, via.end - d.p);
		}
		tu_free(&d);
	}
}

static const struct {
	const char *value;
	bool ok;
	uint32_t number;
	const char *method;
} cseq_cases[] = {
	/* RFC 3261 20.16, 8.1.1.5: 32-bit unsigned, less than 2^31 */
	{ "314159 INVITE", true, 314159, "INVITE" },
	{ "0 INVITE", true, 0, "INVITE" }, /* RFC 4475 3.1.2.3 ncl */
	{ "2147483647 OPTIONS", true, 2147483647u, "OPTIONS" },
	{ "0009   INVITE", true, 9, "INVITE" },  /* RFC 4475 3.1.1.1 wsinv, unfolded */
	{ "0009\t INVITE", true, 9, "INVITE" },
	{ "29344 RE%47IST%45R", true, 29344, "RE%47IST%45R" }, /* RFC 4475 3.1.1.5 */
	{ "139122385 !interesting-Method0123456789_*+`.%indeed'~", true, 139122385,
	  "!interesting-Method0123456789_*+`.%indeed'~" },
	{ "2147483648 OPTIONS", false },
	{ "4294967296 OPTIONS", false },
	{ "36893488147419103232 REGISTER", false }, /* RFC 4475 3.1.2.4 scalar02 */
	{ "abc INVITE", false },
	{ "-1 INVITE", false },
	{ "1", false },
	{ "1 ", false },
	{ "INVITE", false },
	{ "1INVITE", false },
	{ "1 INV ITE", false },
	{ "1 INVITE;x", false },
	{ "", false },
};

static void test_cseq_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cseq_cases) / sizeof(cseq_cases[0]); i++) {
		struct tu_dgram d = tu_dup(cseq_cases[i].value, (uint32_t)strlen(cseq_cases[i].value));
		uint32_t n = 0xdeadbeef;
		struct sw_str m = SW_STR_NULL;
		bool ok = sip_cseq_parse(sw_str_make(d.p, d.len), &n, &m);

		print_message("CSeq: %s\n", cseq_cases[i].value);
		assert_int_equal(ok, cseq_cases[i].ok);
		if (ok) {
			assert_int_equal(n, cseq_cases[i].number);
			assert_view(m, cseq_cases[i].method, "method");
		}
		tu_free(&d);
	}
}

static const struct {
	const char *name;
	const char *value;
	uint32_t len; /* 0: strlen */
	bool ok;
	const char *tag; /* on success: "" when absent */
} addr_cases[] = {
	{ "name-addr", "<sip:bob@example.com>", 0, true, "" },
	{ "display + tag", "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf", 0, true, "a6c85cf" },
	{ "quoted display", "\"Watson, Thomas\" <sip:t.watson@example.org>;tag=1", 0, true, "1" },
	{ "addr-spec + tag", "sip:bob@example.com;tag=3xfe-9921883-z9f", 0, true, "3xfe-9921883-z9f" },
	{ "params before tag", "<sip:a@example.com>;x=1;tag=t2;y", 0, true, "t2" },
	/* RFC 4475 3.1.1.6 lwsdisp: no LWS between display name and '<' is accepted */
	{ "lwsdisp", "caller<sip:caller@example.com>;tag=323", 0, true, "323" },
	/* RFC 4475 3.1.1.1 wsinv, unfolded To and From */
	{ "wsinv To", "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", 0, true, "1918181833n" },
	{ "wsinv From", "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8", 0, true,
	  "98asjd8" },
	/* RFC 4475 3.1.1.2 intmeth: quoted-pairs of BEL, NUL, DEL; token display name; odd tag token */
	{ "intmeth To", "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>",
	  89, true, "" },
	{ "intmeth From",
	  "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.",
	  0, true, "_token~1'+`*%!-." },
	/* RFC 4475 3.3.4 unksm2: other schemes */
	{ "isbn", "isbn:2983792873", 0, true, "" },
	{ "http", "<http://www.example.com>;tag=3234233", 0, true, "3234233" },
	/* RFC 4475 3.1.2.6 quotbal: unterminated quoted string */
	{ "quotbal", "\"Mr. J. User <sip:j.user@example.com>", 0, false },
	/* RFC 4475 3.1.2.15 baddn: unquoted display name with a comma */
	{ "baddn", "Bell, Alexander <sip:a.g.bell@example.com>;tag=43", 0, false },
	/* RFC 4475 3.1.2.14 badaspec: spaces inside <> */
	{ "badaspec", "\"Watson, Thomas\" < sip:t.watson@example.org >", 0, false },
	{ "unclosed <", "<sip:bob@example.com", 0, false },
	{ "space in addr-spec", "sip:bob@ example.com", 0, false },
	{ "empty", "", 0, false },
};

static void test_addr_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		uint32_t len = addr_cases[i].len ? addr_cases[i].len : (uint32_t)strlen(addr_cases[i].value);
		struct tu_dgram d = tu_dup(addr_cases[i].value, len);
		struct sw_str tag = SW_STR_NULL;
		bool ok = sip_addr_parse(sw_str_make(d.p, d.len), &tag);

		print_message("address: %s\n", addr_cases[i].name);
		assert_int_equal(ok, addr_cases[i].ok);
		if (ok)
			assert_view(tag, addr_cases[i].tag, "tag");
		tu_free(&d);
	}
}

/*
 * The fast paths of the address parse (name_addr_fast(), then tag_only() for a rest that is exactly ";tag=" and a
 * value) agree with the general path: sip_addr_parse_in() with the value inside a larger buffer (the 32-byte loads
 * of the fast paths allowed) against sip_addr_parse() on a tight copy, and sip_contact_parse_in() against
 * sip_contact_parse(), on every value above and on crafted rests around the tag.
 */
static void test_addr_fast_agrees(void **state)
{
	static const char *const rests[] = {
		"", ";tag=1", ";tag=19283017", ";TAG=x", ";Tag=a-b.c!%*_+`'~", ";tag=a:b", ";tag=[::1]", ";tag=\"q\"",
		";tag=", ";tag", ";tag=x y", ";tag=x ", ";tag =x", "; tag=x", ";tag= x", ";tagx=1", ";ta=1", ";tag=x;y",
		";tag=x;tag=y", ";tag=x,", ";tag=x,<sip:b@c>", ";tag=x=y", ";tag=x\"", ";tag=x\x80", ";tag=x\x01",
		";\x14" "ag=x", ";t\x01g=x", ";tag\x1d" "1", ";tAg=0123456789012345678901234567890123456789",
		";x=1;tag=t", ",<sip:c@d>;tag=2", " ;tag=3", ">", "x",
	};
	static const char *const heads[] = {
		"<sip:bob@example.com>", "Bob <sip:bob@biloxi.example>", "Alice <sip:alice@atlanta.example>",
		"A very long display name here <sip:someone.with.a.long.user@long.host.example.com>",
		"\"Quoted\" <sip:q@example.com>", "sip:bob@example.com",
	};
	char buf[512];

	(void)state;
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]) + sizeof(addr_cases) / sizeof(addr_cases[0]); h++)
		for (size_t r = 0; r < sizeof(rests) / sizeof(rests[0]); r++) {
			const char *head;
			uint32_t hl, n;

			if (h < sizeof(heads) / sizeof(heads[0])) {
				head = heads[h];
				hl = (uint32_t)strlen(head);
			} else {
				size_t i = h - sizeof(heads) / sizeof(heads[0]);

				if (r) /* the cases as they are, with no rest */
					continue;
				head = addr_cases[i].value;
				hl = addr_cases[i].len ? addr_cases[i].len : (uint32_t)strlen(head);
			}
			n = hl + (uint32_t)strlen(rests[r]);
			memset(buf, 'z', sizeof(buf));
			memcpy(buf, head, hl);
			memcpy(buf + hl, rests[r], n - hl);
			for (uint32_t pad = 0; pad < 64; pad += 13) {
				struct tu_dgram d = tu_dup(buf, n);
				struct sw_str tag_slow = SW_STR_NULL, tag_fast = SW_STR_NULL;
				bool slow = sip_addr_parse(sw_str_make(d.p, d.len), &tag_slow);
				bool fast = sip_addr_parse_in(sw_str_make(buf, n), buf + n + pad, &tag_fast);

				print_message("address: %.*s (pad %u)\n", (int)n, buf, pad);
				assert_int_equal(fast, slow);
				if (slow) {
					assert_int_equal(tag_fast.len, tag_slow.len);
					assert_int_equal(tag_fast.p - buf, tag_slow.p ? tag_slow.p - d.p : tag_fast.p - buf);
				}
				assert_int_equal(sip_contact_parse_in(sw_str_make(buf, n), buf + n + pad),
						 sip_contact_parse(sw_str_make(d.p, d.len)));
				tu_free(&d);
			}
		}
}

/*
 * The one-load checks of Via, From/To and Contact values (sip_value.c, AVX-512 builds) accept a value only when the
 * general parser does, with the same end and tag. Seeds of every usual form and of near misses, each mutated at every
 * position (a byte replaced by, or inserted as, one of the bytes the grammar turns on; a byte deleted; the value cut
 * short), and then twice more at random places; each result is checked right at the end of its buffer (a masked
 * load) and with bytes after it. The entries (_in) try the one-load check first; the plain ones (a tight copy) never
 * do. On an AVX-512 build the seeds marked usual must be taken by the one-load check.
 */
static const struct {
	enum sip_hdr_id id;
	const char *value;
	bool usual; /* the one-load check takes it (when built) */
} fast_seeds[] = {
	{ SIP_HDR_VIA, "SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74b;rport", true },
	{ SIP_HDR_VIA, "SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7;rport", true },
	{ SIP_HDR_VIA, "SIP/2.0/TCP host.example.com;branch=z9hG4bK1", true },
	{ SIP_HDR_VIA, "SIP/2.0/UDP 10.0.0.1:65535;received=10.1.1.1;rport=5060", true },
	{ SIP_HDR_VIA, "SIP/2.0/UDP a:1", true },
	{ SIP_HDR_VIA, "SIP/2.0/UDP h:5060;received=2001:db8::1;x", true },
	{ SIP_HDR_VIA, "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1", false },
	{ SIP_HDR_VIA, "SIP/2.0/UDP h:65536;branch=z9hG4bK1", false },
	{ SIP_HDR_VIA, "SIP/2.0/UDP h:0;branch=z9hG4bK1", false },
	{ SIP_HDR_VIA, "SIP / 2.0 / UDP h;branch=z9hG4bK1", false },
	{ SIP_HDR_VIA, "SIP/2.0/UDP h;branch=\"q\"", false },
	{ SIP_HDR_VIA, "SIP/2.0/UDP h;branch=1, SIP/2.0/UDP g", false },
	{ SIP_HDR_FROM, "Alice <sip:alice@atlanta.example>;tag=19283017", true },
	{ SIP_HDR_TO, "Bob <sip:bob@biloxi.example>", true },
	{ SIP_HDR_TO, "<sip:bob@biloxi.example>;TAG=a:b", true },
	{ SIP_HDR_FROM, "A B\tC <tel:+1-212-555-1212>;tag=x", true },
	{ SIP_HDR_FROM, "\"Alice\" <sip:alice@atlanta.example>;tag=1", false },
	{ SIP_HDR_FROM, "sip:alice@atlanta.example;tag=1", false },
	{ SIP_HDR_FROM, "<sip:a@b>;tag=1;x=2", false },
	{ SIP_HDR_FROM, "<sip:a@b> ;tag=1", false },
	{ SIP_HDR_CONTACT, "<sip:alice@192.0.2.101:5060>", true },
	{ SIP_HDR_CONTACT, "<sip:bob@192.0.2.201:5060>;expires=3600", true },
	{ SIP_HDR_CONTACT, "<sip:b@h>;q=0.7;expires=60;+sip.instance=x", true },
	{ SIP_HDR_CONTACT, "<sip:b@h>;tag=1", false },
	{ SIP_HDR_CONTACT, "<sip:b@h>, <sip:c@h>", false },
	{ SIP_HDR_CONTACT, "*", false },
	{ SIP_HDR_CONTACT, "* <sip:b@h>", false }, /* fuzz_sip: the wildcard, then more: malformed */
	{ SIP_HDR_FROM, "* <sip:b@h>", true },     /* a display name of one token */
};

/* One value: the entry (with pad readable bytes after it) and the general parser (a tight copy) agree. */
static void fast_agrees(enum sip_hdr_id id, const char *v, uint32_t n)
{
	struct tu_dgram d = tu_dup(v, n);
	char wide[160];

	assert_true(n + 64 <= sizeof(wide));
	for (uint32_t pad = 0; pad <= 64; pad += 64) {
		/* pad 0: the value ends its buffer (wide is read no further than the value) */
		memset(wide, 'z', sizeof(wide));
		memcpy(wide + 64 - pad, v, n);
		if (!sip_value_entry_agrees(id, sw_str_make(wide + 64 - pad, n), wide + 64 + n, sw_str_make(d.p, d.len))) {
			print_error("%s value \"%.*s\" (pad %u): the entry and the general parser differ\n",
				    sip_hdr_name(id), (int)n, v, pad);
			fail();
		}
	}
	tu_free(&d);
}

static void test_value_fast_agrees(void **state)
{
	static const char bytes[] = " \t;=:<>\",@[]?0196aTg\r\n\x80\x01/";
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char v[96];

	(void)state;
	for (size_t i = 0; i < sizeof(fast_seeds) / sizeof(fast_seeds[0]); i++) {
		enum sip_hdr_id id = fast_seeds[i].id;
		const char *seed = fast_seeds[i].value;
		uint32_t n = (uint32_t)strlen(seed);
		char wide[160];

		memset(wide, 'z', sizeof(wide));
		memcpy(wide, seed, n);
#if defined(__AVX512BW__) && defined(__AVX512VBMI__)
		if (sip_value_fast(id, sw_str_make(wide, n), wide + sizeof(wide)) != fast_seeds[i].usual) {
			print_error("%s value \"%s\": the one-load check %s it\n", sip_hdr_name(id), seed,
				    fast_seeds[i].usual ? "does not take" : "takes");
			fail();
		}
#endif
		fast_agrees(id, seed, n);
		for (uint32_t at = 0; at <= n; at++) {
			fast_agrees(id, seed, at); /* cut short */
			if (at < n) { /* deleted */
				memcpy(v, seed, at);
				memcpy(v + at, seed + at + 1, n - at - 1);
				fast_agrees(id, v, n - 1);
			}
			for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
				memcpy(v, seed, n);
				if (at < n) { /* replaced */
					v[at] = bytes[b];
					fast_agrees(id, v, n);
				}
				memcpy(v, seed, at); /* inserted */
				v[at] = bytes[b];
				memcpy(v + at + 1, seed + at, n - at);
				fast_agrees(id, v, n + 1);
			}
		}
		for (int k = 0; k < 2000; k++) { /* three bytes replaced at random */
			memcpy(v, seed, n);
			for (int j = 0; j < 3; j++) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				v[rng % n] = bytes[(rng >> 32) % (sizeof(bytes) - 1)];
			}
			fast_agrees(id, v, n);
		}
	}
}

static const struct {
	const char *value;
	const char *tokens[5]; /* expected tokens; NULL ends */
	bool bad;              /* a bad element is reported */
} token_cases[] = {
	{ "100rel", { "100rel" } },
	{ "100rel, timer", { "100rel", "timer" } },
	/* RFC 4475 3.3.5 bext01 */
	{ "noProxiesSupportThis, norDoAnyProxiesSupportThis", { "noProxiesSupportThis", "norDoAnyProxiesSupportThis" } },
	{ "foo,bar ,  baz", { "foo", "bar", "baz" } },
	{ "foo\t,\tbar", { "foo", "bar" } },
	/* folded (RFC 3261 7.3.1) */
	{ "100rel,\r\n timer", { "100rel", "timer" } },
	{ "com.example.ext-1", { "com.example.ext-1" } },
	{ "foo bar", { NULL }, true },
	{ "foo, <bar>", { NULL }, true },
};

static void test_token_list(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(token_cases) / sizeof(token_cases[0]); i++) {
		struct tu_dgram d = tu_dup(token_cases[i].value, (uint32_t)strlen(token_cases[i].value));
		struct sw_str v = sw_str_make(d.p, d.len), tok;
		uint32_t pos = 0, n = 0, guard = 0;
		bool bad = false, any_bad = false;

		print_message("token list: %s\n", tu_show(token_cases[i].value, (uint32_t)strlen(token_cases[i].value)));
		while (sip_token_list_next(v, &pos, &tok, &bad) && guard++ < 16) {
			if (bad) {
				any_bad = true;
				bad = false;
				continue;
			}
			if (!token_cases[i].bad) {
				assert_true(n < 5 && token_cases[i].tokens[n]);
				assert_view(tok, token_cases[i].tokens[n], "token");
			}
			n++;
		}
		assert_true(guard < 16); /* terminates */
		assert_int_equal(any_bad, token_cases[i].bad);
		if (!token_cases[i].bad) {
			uint32_t want = 0;

			while (want < 5 && token_cases[i].tokens[want])
				want++;
			assert_int_equal(n, want);
		}
		tu_free(&d);
	}
}

/* ---------------------------------------------------------------- header lines at every window offset */

/*
 * The header loop reads the usual line off the structural scan's 64-byte masks (line_fast) and any other line by
 * the general path; which one a line takes depends on where it falls in a window. So the same header section is
 * parsed behind Request-URIs of 64 different lengths (every line end, colon and CRLF lands on every bit of a
 * window, and across a window end), with lines of each form the two paths tell apart: no SP or two SP after the
 * colon, HTAB, trailing whitespace, an empty value, whitespace before the colon, a long line spanning a window, a
 * repeated header. The index must be the same every time.
 */
static const struct {
	const char *line, *name, *value;
	enum sip_hdr_id id;
} shift_lines[] = {
	{ "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1", "Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1", SIP_HDR_VIA },
	{ "Max-Forwards:70", "Max-Forwards", "70", SIP_HDR_MAX_FORWARDS },
	{ "To:  <sip:bob@example.com>", "To", "<sip:bob@example.com>", SIP_HDR_TO },
	{ "From:\t<sip:a@example.org>;tag=1", "From", "<sip:a@example.org>;tag=1", SIP_HDR_FROM },
	{ "Call-ID: abc \t", "Call-ID", "abc", SIP_HDR_CALL_ID },
	{ "Subject:", "Subject", "", SIP_HDR_SUBJECT },
	{ "X-Long-Header-Name-For-Windows: a value long enough that the line spans a whole 64-byte window, and more",
	  "X-Long-Header-Name-For-Windows",
	  "a value long enough that the line spans a whole 64-byte window, and more", SIP_HDR_OTHER },
	{ "Subject: x", "Subject", "x", SIP_HDR_SUBJECT },
	{ "CSeq \t: 1 OPTIONS", "CSeq", "1 OPTIONS", SIP_HDR_CSEQ },
	{ "s:y", "s", "y", SIP_HDR_SUBJECT },
	{ "Content-Length: 0", "Content-Length", "0", SIP_HDR_CONTENT_LENGTH },
};
#define NSHIFT_LINES (sizeof(shift_lines) / sizeof(shift_lines[0]))

static void test_window_offsets(void **state)
{
	(void)state;
	for (uint32_t shift = 0; shift < 64; shift++) {
		char text[1024];
		int n = snprintf(text, sizeof(text), "OPTIONS sip:%.*s@example.com SIP/2.0\n", (int)shift + 1,
				 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
		struct sip_msg m;
		struct tu_dgram d;

		for (size_t i = 0; i < NSHIFT_LINES; i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\n", shift_lines[i].line);
		snprintf(text + n, sizeof(text) - (size_t)n, "\n");
		d = tu_crlf(text);
		assert_int_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_OK);
		assert_int_equal(m.nhdrs, NSHIFT_LINES);
		for (size_t i = 0; i < NSHIFT_LINES; i++) {
			assert_view(m.hdrs[i].name, shift_lines[i].name, "name");
			assert_view(m.hdrs[i].value, shift_lines[i].value, "value");
			assert_int_equal(m.hdrs[i].id, shift_lines[i].id);
			assert_int_equal(m.hdrs[i].flags, 0);
		}
		/* the three Subject lines (two full, one compact) chained in order */
		assert_int_equal(m.count[SIP_HDR_SUBJECT], 3);
		assert_int_equal(m.first[SIP_HDR_SUBJECT], 5);
		assert_int_equal(m.hdrs[5].next, 7);
		assert_int_equal(m.hdrs[7].next, 9);
		assert_int_equal(m.hdrs[9].next, -1);
		assert_int_equal(m.hdr_end, d.len);
		tu_free(&d);
	}
}

/* The faults the general path reports, at every window offset: the same reason at the same place. */
static void test_window_offsets_errors(void **state)
{
	static const struct {
		const char *line;
		const char *reason;
		uint32_t at; /* offset of the fault in the line */
	} bad[] = {
		{ "No colon on this line", "Missing colon after header field name", 0 },
		{ "Bad Name: x", "Malformed header field name", 3 },
		{ ": no name", "Malformed header field name", 0 },
		{ "To: x\x01", "Bare LF line ending", 5 }, /* \x01 becomes a bare LF below */
		/*
		 * \x02 becomes a bare CR: with one before the line's CRLF and one before another byte, a CR lands on a
		 * window's last byte with the byte after it (CR or 'y', not LF) in the next window
		 */
		{ "To: x\x02", "Bare CR in header section", 5 },
		{ "To: x\x02y", "Bare CR in header section", 5 },
	};

	(void)state;
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		for (uint32_t shift = 0; shift < 64; shift++) {
			char text[512];
			int n = snprintf(text, sizeof(text), "OPTIONS sip:%.*s@example.com SIP/2.0\nVia: SIP/2.0/UDP h\n",
					 (int)shift + 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
			uint32_t line_off;
			struct sip_msg m;
			struct tu_dgram d;
			char *mark;

			snprintf(text + n, sizeof(text) - (size_t)n, "%s\nCall-ID: x\n\n", bad[b].line);
			d = tu_crlf(text);
			mark = memchr(d.p, '\x01', d.len);
			if (mark)
				*mark = '\n';
			mark = memchr(d.p, '\x02', d.len);
			if (mark)
				*mark = '\r';
			line_off = (uint32_t)(strstr(d.p, "\r\nVia:") - d.p) + 2;
			line_off += (uint32_t)(strstr(d.p + line_off, "\r\n") - (d.p + line_off)) + 2;
			assert_int_not_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_OK);
			assert_string_equal(m.err_reason, bad[b].reason);
			assert_int_equal(m.err_off, line_off + bad[b].at);
			assert_int_equal(m.nhdrs, 1);
			tu_free(&d);
		}
}

/*
 * The NUL / bare CR pass over the whole header section (section_clean(): 64 bytes a step with AVX-512 and AVX2, a
 * 32-byte step after, then the tail): a NUL or a bare CR put at each byte of a long value of a section of several
 * hundred bytes is found at its offset, whichever step or half of a step holds it; the clean section parses.
 */
static void test_section_faults_every_offset(void **state)
{
	static const char text[] = "OPTIONS sip:bob@example.com SIP/2.0\n"
				   "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK776asdhds\n"
				   "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
				   "Call-ID: x\n"
				   "\n";
	struct tu_dgram d = tu_crlf(text);
	struct sip_msg m;
	const char *v = strstr(d.p, "Subject: ") + 9;
	uint32_t vo = (uint32_t)(v - d.p), vlen = (uint32_t)(strstr(v, "\r\n") - v);

	(void)state;
	assert_int_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_OK);
	for (uint32_t i = 1; i + 1 < vlen; i++)
		for (int kind = 0; kind < 2; kind++) {
			d.p[vo + i] = kind ? '\r' : '\0';
			assert_int_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_BAD_HEADER);
			assert_string_equal(m.err_reason, kind ? "Bare CR in header section" : "NUL byte in header section");
			assert_int_equal(m.err_off, vo + i);
			assert_int_equal(m.nhdrs, 1);
			d.p[vo + i] = 'a';
		}
	assert_int_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_OK);
	tu_free(&d);
}

/*
 * The same faults where every line takes the usual path (line_fast()): short lines over several of the structural
 * scan's windows, whose edges move over all 64 offsets with the Request-URI's length; a NUL or a bare CR at each
 * byte of each value (the last byte of a window among them) is found at its offset.
 */
static void test_window_faults_every_offset(void **state)
{
	static const char lines[] = "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK776asdhds\r\n"
				    "To: <sip:bob@example.com>\r\n"
				    "From: <sip:alice@example.com>;tag=1928301774\r\n"
				    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
				    "CSeq: 314159 OPTIONS\r\n"
				    "Subject: abcdefghijklmnopqrstuvwxyz\r\n"
				    "User-Agent: abcdefghijklmnopqrstuvwxyz0123456789\r\n"
				    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
				    "Content-Length: 0\r\n"
				    "\r\n";
	char text[512];
	struct sip_msg m;

	(void)state;
	for (uint32_t shift = 0; shift < 64; shift++) {
		int n = snprintf(text, sizeof(text), "OPTIONS sip:%.*sbob@example.com SIP/2.0\r\n%s", (int)shift,
				 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu", lines);
		struct tu_dgram d = tu_dup(text, (uint32_t)n);
		uint32_t start = (uint32_t)(strchr(d.p, '\n') + 1 - d.p);

		assert_int_equal(sip_msg_parse(&m, d.p, d.len), SIP_PARSE_OK);
		for (uint32_t i = start; i + 2 < (uint32_t)n; i++) {
			/* a value's bytes: after ": " and before the CR */
			if (d.p[i] == '\r' || d.p[i] == '\n' || d.p[i - 1] == ':' || d.p[i] == ':' || d.p[i - 1] == '\n')
				continue;
			if (!memchr(d.p + start, ':', i - start) || memchr(d.p + i, ':', (size_t)(strchr(d.p + i, '\n') -
								     (d.p + i))))
				continue; /* a name's byte (the line's colon lies after it) */
			for (int kind = 0; kind < 2; kind++) {
				char was = d.p[i];

				d.p[i] = kind ? '\r' : '\0';
				if (sip_msg_parse(&m, d.p, d.len) != SIP_PARSE_BAD_HEADER || m.err_off != i ||
				    strcmp(m.err_reason, kind ? "Bare CR in header section" : "NUL byte in header section")) {
					print_error("shift %u, %s at %u (window offset %u): status %d at %u\n", shift,
						    kind ? "CR" : "NUL", i, (i - start) % 64, (int)m.status_code, m.err_off);
					fail();
				}
				d.p[i] = was;
			}
		}
		tu_free(&d);
	}
}

/*
 * Request-URI structure (sip_ruri_check): the one-load path for URIs of up to 32 bytes inside a datagram (the
 * masks of '@', ';' and '?') and the stop-by-stop path give the same answer. sip_ruri_check() on a tight copy
 * reads no byte past the URI, so it takes the general path; sip_ruri_check_in() with the datagram readable past it
 * takes the one-load path.
 */
static void test_ruri_paths(void **state)
{
	static const struct {
		const char *uri;
		bool ok;
	} uris[] = {
		{ "sip:bob@example.com", true },
		{ "sip:bob@example.com?Route=x", false }, /* RFC 4475 3.1.2.11 escruri */
		{ "sip:a;b?c,d@example.com", true },      /* RFC 4475 3.1.1.3: user-unreserved in userinfo */
		{ "sip:example.com;lr", true },
		{ "sip:example.com;lr?x=y", false },
		{ "sip:example.com?x=y;lr", false },
		{ "sip:[2001:db8::10]:5070", true },      /* RFC 5118 4.1 */
		{ "sip:2001:db8::10", false },            /* RFC 5118 4.2: unbracketed IPv6 */
		{ "sip:bob@", false },
		{ "sip:bob@example.com:5061;transport=tls", true },
		{ "sips:bob@example.com:5061", true },
		{ "SIP:bob@EXAMPLE.com", true },
		{ "sip:bob@example.com:abc", false },
		{ "sip:bob@example.com:65536", false },
		{ "sip:a@b@c.example.com", false },
		{ "sip:user@exampl\xc3\xa9.com", false },
		{ "tel:+1-201-555-0123", true },
		{ "sip:bob@example.com;x?", false },
		{ "sip:a?b@example.com;lr", true },
		{ "sip:bob@thirty-two-bytes-uri.com", true },    /* 32 bytes: the longest the one-load path takes */
		{ "sip:bob@thirty-four-bytes-uri.com", true },   /* 33: the general path either way */
		{ "sip:bob@thirty-two-bytes-ur?.com", false },   /* a '?' in the last lanes */
		{ "sip:bob@thirty-two-bytes-uri.co@", false },   /* '@' in the last lane: an empty hostport */
		{ "sip:bob@thirty-two-bytes-uri.c;@", true },    /* a parameter holding an '@' in the last lanes */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		size_t n = strlen(uris[i].uri);
		char dgram[128];
		struct tu_dgram tight = tu_dup(uris[i].uri, (uint32_t)n);

		memset(dgram, 'x', sizeof(dgram));
		memcpy(dgram + 8, uris[i].uri, n);
		dgram[8 + n] = ' ';
		if (sip_ruri_check(sw_str_make(tight.p, (uint32_t)n)) != uris[i].ok ||
		    sip_ruri_check_in(sw_str_make(dgram + 8, (uint32_t)n), dgram, dgram + sizeof(dgram)) != uris[i].ok) {
			print_error("Request-URI %s: want %s\n", uris[i].uri, uris[i].ok ? "ok" : "bad");
			fail();
		}
		tu_free(&tight);
	}
}


/*
 * The Request-Line's fast path (parse_start_line(): the method and Request-URI spanned to the datagram's end, 64
 * bytes a step, the line ended by SP SIP-Version CRLF after the URI, the structural scan started at the header
 * section) against a reference written the plain way, the way the general path reads a line: the first LF of the
 * datagram by memchr, then the method, URI and version between the start and that line end, byte by byte. Every URI
 * length from 1 to 300 and around the 32- and 64-byte steps and limits, with a byte outside the URI's class at
 * several places (before and after a step boundary and the limit), every way the line may end, the datagram ending
 * right after the line or going on with a header section, and ruri_max below, at and above the length: the same
 * status, error offset and reason, method, Request-URI and version; a line that parses has its header indexed.
 */
struct ref_line {
	enum sip_parse_status st;
	uint32_t err_off;
	const char *why;
	bool is_request;
	struct sw_str method, ruri, version;
};

static void ref_fail(struct ref_line *r, enum sip_parse_status st, uint32_t off, const char *why)
{
	if (r->st == SIP_PARSE_OK) {
		r->st = st;
		r->err_off = off;
		r->why = why;
	}
}

static const char *ref_version(const char *p, const char *end)
{
	const char *d;

	if (end - p < 7 || memcmp(p, "SIP/", 4) != 0)
		return NULL;
	for (d = p + 4; d < end && *d >= '0' && *d <= '9'; d++)
		;
	if (d == p + 4 || d >= end || *d != '.')
		return NULL;
	for (p = d + 1; p < end && *p >= '0' && *p <= '9'; p++)
		;
	return p == d + 1 ? NULL : p;
}

static void ref_request_line(const char *buf, uint32_t len, uint32_t ruri_max, struct ref_line *r)
{
	const char *lf = memchr(buf, '\n', len), *cr = lf ? lf : buf + len, *t = buf, *u, *p, *v;

	memset(r, 0, sizeof(*r));
	if (lf && lf > buf && lf[-1] == '\r')
		cr = lf - 1;
	while (t < cr && sw_is((uint8_t)*t, SW_C_TOKEN))
		t++;
	if (t == buf || t >= cr || *t != ' ' ||
	    (!(cr - t >= 8 && memcmp(cr - 8, " SIP/", 5) == 0) && !memmem(t, (size_t)(cr - t), " SIP/", 5))) {
		ref_fail(r, SIP_PARSE_NOT_SIP, 0, "Not a SIP message");
		return;
	}
	r->is_request = true;
	r->method = sw_str_make(buf, (uint32_t)(t - buf));
	for (u = p = t + 1; p < cr && sw_is((uint8_t)*p, SW_C_URIC);)
		p++;
	r->ruri = sw_str_make(u, (uint32_t)(p - u));
	if (p == u || p >= cr || *p != ' ' || (r->ruri.len <= ruri_max && !sip_ruri_check_in(r->ruri, buf, buf + len))) {
		ref_fail(r, SIP_PARSE_BAD_START, (uint32_t)((p < cr && *p == ' ' ? u : p) - buf), "Malformed Request-URI");
	} else if (!(v = ref_version(p + 1, cr))) {
		ref_fail(r, SIP_PARSE_BAD_START, (uint32_t)(p + 1 - buf), "Malformed Request-Line");
	} else {
		r->version = sw_str_make(p + 1, (uint32_t)(v - (p + 1)));
		if (v != cr)
			ref_fail(r, SIP_PARSE_BAD_START, (uint32_t)(v - buf), "Malformed Request-Line");
	}
	if (!lf)
		ref_fail(r, SIP_PARSE_BAD_START, len, "Missing CRLF after start line");
	else if (cr == lf)
		ref_fail(r, SIP_PARSE_BAD_START, (uint32_t)(lf - buf), "Bare LF line ending");
}

static bool same_view(struct sw_str a, struct sw_str b)
{
	return a.p == b.p && a.len == b.len;
}

static void check_request_line(const char *text, uint32_t len, uint32_t ruri_max, bool has_header)
{
	struct tu_dgram d = tu_dup(text, len);
	const char *buf = d.p;
	struct ref_line r;
	enum sip_parse_status st;

	ref_request_line(buf, len, ruri_max, &r);
	st = sip_msg_parse_headers_ruri(&msg, buf, len, ruri_max);
	/* the reference's views point into the same buffer */
	if (msg.is_request != r.is_request || !same_view(msg.method, r.method) || !same_view(msg.ruri, r.ruri) ||
	    !same_view(msg.version, r.version) ||
	    (r.st != SIP_PARSE_OK && (st != r.st || msg.err_off != r.err_off || strcmp(msg.err_reason, r.why) != 0)) ||
	    (r.st == SIP_PARSE_OK && has_header && (st != SIP_PARSE_OK || msg.nhdrs != 1)) ||
	    (r.st == SIP_PARSE_OK && (st == SIP_PARSE_BAD_START || st == SIP_PARSE_NOT_SIP))) {
		print_error("\"%s\" (%u bytes, ruri_max %u): got status %d off %u \"%s\" ruri %u version %u, want "
			    "status %d off %u \"%s\" ruri %u version %u\n", tu_show(buf, len < 120 ? len : 120), len,
			    ruri_max, (int)st, msg.err_off, msg.err_reason ? msg.err_reason : "", msg.ruri.len,
			    msg.version.len, (int)r.st, r.err_off, r.why ? r.why : "", r.ruri.len, r.version.len);
		fail();
	}
	tu_free(&d);
}

static void test_request_line_paths(void **state)
{
	static const char *const tails[] = {
		" SIP/2.0\r\n", " SIP/3.0\r\n", " SIP/2.0\n", " SIP/2.0 \r\n", "  SIP/2.0\r\n", " SIP/2.0", " SIP/2.0\r",
		" SIP/12.34\r\n", " SIP/2.\r\n", " SIP/2.0x\r\n", " HTTP/1.1\r\n", "", " ", " SIP/2.0\r\r\n",
		" SIP/2.0\rx\n", " sip/2.0\r\n", " SIP/2.0\r\n\r\n",
	};
	static const char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()%;=+$,/:&ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const char bad[] = { ' ', '<', '>', '"', '\r', '\n', '\0', '\t', (char)0x80, (char)0xff, '@', '?' };
	static const char hdr[] = "Via: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n\r\n";
	static const char *const methods[] = { "INVITE", "X" };
	static char text[2048];

	(void)state;
	for (uint32_t ulen = 1; ulen <= 1100; ulen += ulen < 160 ? 1 : (ulen % 64 == 62 ? 1 : 31)) {
		for (size_t mi = 0; mi < 2; mi++) {
			size_t ml = strlen(methods[mi]), off = ml + 1;
			/* where a byte outside the class goes: nowhere, and a few places around the steps (32, 64, 128 bytes) */
			const uint32_t at[] = { UINT32_MAX, 0, ulen / 2, ulen - 1, 31, 32, 63, 64, 127, 128, 191, 192, 255 };

			for (size_t ai = 0; ai < sizeof(at) / sizeof(at[0]); ai++) {
				if (at[ai] != UINT32_MAX && at[ai] >= ulen)
					continue;
				for (size_t bi = 0; bi < (at[ai] == UINT32_MAX ? 1 : sizeof(bad)); bi++) {
					for (size_t ti = 0; ti < sizeof(tails) / sizeof(tails[0]); ti++) {
						size_t tl = strlen(tails[ti]), n;
						const uint32_t maxes[] = { UINT32_MAX, ulen - 1, ulen, ulen + 1, 16 };

						memcpy(text, methods[mi], ml);
						text[ml] = ' ';
						memcpy(text + off, "sip:", ulen < 4 ? ulen : 4);
						for (uint32_t k = 4; k < ulen; k++)
							text[off + k] = fill[(k * 7 + ulen) % (sizeof(fill) - 1)];
						if (ulen > 8)
							text[off + 7] = '@';
						if (at[ai] != UINT32_MAX)
							text[off + at[ai]] = bad[bi];
						memcpy(text + off + ulen, tails[ti], tl);
						n = off + ulen + tl;
						for (size_t xi = 0; xi < sizeof(maxes) / sizeof(maxes[0]); xi++) {
							check_request_line(text, (uint32_t)n, maxes[xi], false);
							memcpy(text + n, hdr, sizeof(hdr) - 1);
							check_request_line(text, (uint32_t)(n + sizeof(hdr) - 1), maxes[xi],
									   tl >= 2 && !strcmp(tails[ti] + tl - 2, "\r\n") &&
									   !(tl >= 4 && !strcmp(tails[ti] + tl - 4, "\r\n\r\n")));
						}
					}
				}
			}
		}
	}
}


/*
 * The Via port of via_fast() (one 32-byte load: four digits weighed at once, other lengths digit by digit) and of
 * the verdict's check (via_check64(): the digits' mask, five of them compared as bytes with "65535") against the
 * general path (a tight copy, where no 32-byte load fits): every port of 1 to 4 digits, with leading zeros, and
 * 5-digit ones around 65535, the same answer and the same port.
 */
static void test_via_port_paths(void **state)
{
	char wide[96], text[64];

	(void)state;
	static const uint32_t first[] = { 0, 0, 0, 0, 65500 }, last[] = { 9, 99, 999, 9999, 65600 };

	for (uint32_t digits = 1; digits <= 5; digits++) {
		for (uint32_t port = first[digits - 1]; port <= last[digits - 1]; port++) {
			int n = snprintf(text, sizeof(text), "SIP/2.0/UDP 192.0.2.1:%0*u;branch=z9hG4bK1", (int)digits, port);
			struct tu_dgram d = tu_dup(text, (uint32_t)n);
			struct sip_via a, b;
			bool oka, okb;

			memset(wide, 'x', sizeof(wide));
			memcpy(wide, text, (size_t)n);
			const char *end = NULL;
			bool okc;

			oka = sip_via_parse_in(sw_str_make(wide, (uint32_t)n), wide + sizeof(wide), &a);
			okb = sip_via_parse(sw_str_make(d.p, d.len), &b);
			okc = sip_via_check_in(sw_str_make(wide, (uint32_t)n), wide + sizeof(wide), &end);
			if (oka != okb || (oka && a.port != b.port) || oka != (port > 0 && port <= 65535) || okc != okb ||
			    (okc && end != wide + n)) {
				print_error("%s: fast %d port %u, general %d port %u\n", text, oka, a.port, okb, b.port);
				fail();
			}
			tu_free(&d);
		}
	}
}

/*
 * A name the lookup does not know is checked for token characters with sw_span() (16 bytes a step, then the tail).
 * Every byte value at every position of such names of 1 to 40 bytes, on the usual line and on one the general path
 * takes (a space before the colon): a token byte leaves an unknown header; any other a malformed name at exactly
 * that byte, as the class table (sw_is()) says. Left out: CR, LF and ':', which change the line itself, and SP/HTAB
 * first (a continuation line, test_byte_after_lf()) or last (whitespace before the colon, test_colon_whitespace()).
 */
static void test_unknown_name_bytes(void **state)
{
	static const char head[] = "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";
	static const char name[] = "X-Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char text[256];

	(void)state;
	_Static_assert(sizeof(name) - 1 == 40, "names up to 40 bytes");
	for (unsigned general = 0; general <= 1; general++) {
		for (uint32_t len = 1; len <= 40; len++) {
			for (uint32_t k = 0; k < len; k++) {
				for (unsigned b = 0; b < 256; b++) {
					const uint32_t at = (uint32_t)sizeof(head) - 1 + k;
					bool token = sw_is((uint8_t)b, SW_C_TOKEN);
					enum sip_parse_status st;
					struct tu_dgram d;
					int n;

					if (b == '\r' || b == '\n' || b == ':' ||
					    ((b == ' ' || b == '\t') && (k == 0 || k == len - 1)))
						continue;
					n = snprintf(text, sizeof(text), "%s%.*s%s: v\r\nCSeq: 1 OPTIONS\r\n\r\n", head,
						     (int)len, name, general ? " " : "");
					assert_true(n > 0 && (size_t)n < sizeof(text));
					text[at] = (char)b;
					if (sip_hdr_lookup(text + at - k, len) != SIP_HDR_OTHER)
						continue; /* a one-letter compact form ("l", "v", ...): not an unknown name */
					d = tu_dup(text, (uint32_t)n);
					st = sip_msg_parse(&msg, d.p, d.len);
					if (token && (st != SIP_PARSE_OK || msg.nhdrs != 3 || msg.hdrs[1].name.len != len ||
						      msg.hdrs[1].id != SIP_HDR_OTHER)) {
						print_error("len %u, byte 0x%02x at %u%s: status %d, %u lines\n", len, b, k,
							    general ? " (general path)" : "", (int)st, msg.nhdrs);
						fail();
					}
					if (!token && (st != SIP_PARSE_BAD_HEADER || msg.err_off != at ||
						       strcmp(msg.err_reason, "Malformed header field name") != 0)) {
						print_error("len %u, byte 0x%02x at %u%s: status %d at %u (%s)\n", len, b, k,
							    general ? " (general path)" : "", (int)st, msg.err_off,
							    msg.err_reason ? msg.err_reason : "-");
						fail();
					}
					tu_free(&d);
				}
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_lines),
		cmocka_unit_test(test_compact_lookup),
		cmocka_unit_test(test_compact_in_message),
		cmocka_unit_test(test_full_names),
		cmocka_unit_test(test_lookup_end_lengths),
		cmocka_unit_test(test_canonical_names),
		cmocka_unit_test(test_colon_whitespace),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_byte_after_lf),
		cmocka_unit_test(test_fold_empty_first_line),
		cmocka_unit_test(test_fold_blank_continuation),
		cmocka_unit_test(test_unfold_plain),
		cmocka_unit_test(test_fold_without_header),
		cmocka_unit_test(test_multi_line_headers),
		cmocka_unit_test(test_repeated_single_value),
		cmocka_unit_test(test_longreq_vias),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_quoted_and_nul),
		cmocka_unit_test(test_binary_body),
		cmocka_unit_test(test_header_syntax_errors),
		cmocka_unit_test(test_unterminated_header_section),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_content_length_words),
		cmocka_unit_test(test_dblreq_framing),
		cmocka_unit_test(test_clerr_framing),
		cmocka_unit_test(test_via_parse),
		cmocka_unit_test(test_cseq_parse),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_fast_agrees),
		cmocka_unit_test(test_value_fast_agrees),
		cmocka_unit_test(test_token_list),
		cmocka_unit_test(test_window_offsets),
		cmocka_unit_test(test_window_offsets_errors),
		cmocka_unit_test(test_lookup_end_agrees),
		cmocka_unit_test(test_section_faults_every_offset),
		cmocka_unit_test(test_window_faults_every_offset),
		cmocka_unit_test(test_ruri_paths),
		cmocka_unit_test(test_request_line_paths),
		cmocka_unit_test(test_via_port_paths),
		cmocka_unit_test(test_unknown_name_bytes),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}

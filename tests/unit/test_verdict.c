// SPDX-License-Identifier: BSD-3-Clause
/*
 * sw_judge(): every check and every status (400, 413, 414, 420, 483, 505), the never-answer rules (responses,
 * ACK, no usable top Via), CANCEL and Proxy-Require, the documented check order, and the sample datagrams.
 * Fixtures are constructed from one valid OPTIONS (RFC 3261 8.1.1 mandatory headers) with one thing changed;
 * each case says what and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Fixture tables leave the fields a case does not use to zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* The building blocks ("\n" becomes CRLF). */
#define OPT "OPTIONS sip:bob@example.com SIP/2.0\n"
#define VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\n"
#define MF "Max-Forwards: 70\n"
#define TO "To: <sip:bob@example.com>\n"
#define FROM "From: \"Alice\" <sip:alice@example.org>;tag=1928301774\n"
#define CID "Call-ID: a84b4c76e66710@pc33.example.org\n"
#define CSEQ(m) "CSeq: 314159 " m "\n"
#define CL0 "Content-Length: 0\n"
#define END "\n"
/* a bare LF that tu_crlf() leaves alone (case_bytes() writes it after the CRLF conversion) */
#define BARE_LF "\x01"
/* everything but the request line and CSeq */
#define REST VIA MF TO FROM CID

enum pol_tweak {
	POL_DEFAULT = 0,
	POL_REQUIRE_MF,    /* headers.require_max_forwards: true */
	POL_CHECK_REQUIRE, /* extensions.check_require: true */
	POL_MSG_EQ_LEN,    /* limits.max_message_bytes = datagram length */
	POL_MSG_LEN_M1,    /* limits.max_message_bytes = datagram length - 1 */
	POL_URI_19,        /* limits.max_request_uri_bytes = 19 ("sip:bob@example.com") */
	POL_URI_18,        /* ... = 18 */
	POL_SUPPORT_FOO,   /* extensions.supported: [foo] only */
};

enum expect_kind {
	EXPECT_EXACT = 0, /* action, why and (for a reply) status */
	EXPECT_NO_REPLY,  /* the RFC leaves it open whether to pass or drop; never a reply */
};

struct vcase {
	const char *name; /* what is varied, and the source */
	const char *text;
	enum pol_tweak tweak;
	enum sw_action action;
	enum sw_why why;
	uint16_t status;
	const char *reason_has; /* a reply's reason must contain this (NULL: any non-empty reason) */
	enum expect_kind kind;
};

#define PASS_VALID SW_ACT_PASS, SW_WHY_VALID
#define R400(s) SW_ACT_REPLY, SW_WHY_CHECK, 400, s

static const struct vcase cases[] = {
	/* ---- valid requests pass (RFC 3261 8.1.1) ---- */
	{ "valid OPTIONS", OPT REST CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "valid INVITE with a body", "INVITE sip:bob@example.com SIP/2.0\n" REST CSEQ("INVITE")
	  "Content-Type: text/plain\nContent-Length: 10\n\n0123456789", 0, PASS_VALID },
	{ "compact forms v t f i l (RFC 3261 7.3.3)", "INVITE sip:bob@example.com SIP/2.0\n"
	  "v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\nt: <sip:bob@example.com>\nf: <sip:alice@example.org>;tag=1\n"
	  "i: abc@192.0.2.10\nCSeq: 1 INVITE\nl: 0\n\n", 0, PASS_VALID },
	{ "header names in any case (RFC 3261 7.3.1)", "OPTIONS sip:bob@example.com SIP/2.0\n"
	  "VIA: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\nmax-forwards: 70\nto: <sip:bob@example.com>\n"
	  "FROM: <sip:alice@example.org>;tag=1\ncall-id: abc\ncseq: 1 OPTIONS\ncontent-LENGTH: 0\n\n", 0,
	  PASS_VALID },
	{ "folded Via, CSeq and From (RFC 4475 3.1.1.1)", "OPTIONS sip:bob@example.com SIP/2.0\n"
	  "Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw\n" MF TO
	  "From: \"Alice\"\n  <sip:alice@example.org>\n  ;tag=1\n" CID "CSeq: 0009\n  OPTIONS\n" CL0 END, 0,
	  PASS_VALID },
	{ "no Max-Forwards (RFC 3261 16.3: a proxy adds it)", OPT VIA TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  PASS_VALID },
	{ "Max-Forwards 255", OPT VIA "Max-Forwards: 255\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	/* ---- CSeq: the one-pass check against the method (cseq_is_usual) and the full parse agree ---- */
	{ "CSeq 2^31 - 1", OPT REST "CSeq: 2147483647 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq 2^31 (RFC 3261 8.1.1.5)", OPT REST "CSeq: 2147483648 OPTIONS\n" CL0 END, 0, R400("Malformed CSeq") },
	{ "CSeq of ten digits", OPT REST "CSeq: 0000000001 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq of eleven digits, leading zeros", OPT REST "CSeq: 00000000001 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq number 0", OPT REST "CSeq: 0 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq of eight digits (one word)", OPT REST "CSeq: 99999999 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq of nine digits", OPT REST "CSeq: 123456789 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq number with ':' (0x3a, after '9')", OPT REST "CSeq: 1:2 OPTIONS\n" CL0 END, 0, R400("Malformed CSeq") },
	{ "CSeq number with '/' (0x2f, before '0')", OPT REST "CSeq: 12/4567 OPTIONS\n" CL0 END, 0,
	  R400("Malformed CSeq") },
	{ "CSeq number with 0xb1", OPT REST "CSeq: 1\xb1 OPTIONS\n" CL0 END, 0, R400("Malformed CSeq") },
	{ "CSeq with two SP (LWS)", OPT REST "CSeq: 1  OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq with HTAB (LWS)", OPT REST "CSeq: 1\tOPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq method longer", OPT REST "CSeq: 1 OPTIONSX\n" CL0 END, 0, R400("CSeq method does not match") },
	{ "CSeq method shorter", OPT REST "CSeq: 1 OPTION\n" CL0 END, 0, R400("CSeq method does not match") },
	{ "CSeq method in lower case (7.1: case-sensitive)", OPT REST "CSeq: 1 options\n" CL0 END, 0,
	  R400("CSeq method does not match") },
	{ "CSeq without a number", OPT REST "CSeq: OPTIONS\n" CL0 END, 0, R400("Malformed CSeq") },
	{ "CSeq without a space", OPT REST "CSeq: 1OPTIONS\n" CL0 END, 0, R400("Malformed CSeq") },
	{ "CSeq with a second word", OPT REST "CSeq: 1 OPTIONS x\n" CL0 END, 0, R400("Malformed CSeq") },
	/* ---- name-addr: the two-load fast path (name_addr_fast) and the general parse agree ---- */
	{ "To with a display name of two tokens", OPT VIA MF "To: Bob  Smith <sip:bob@example.com>\n" FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "To with a display name and no LWS before '<'", OPT VIA MF "To: Bob<sip:bob@example.com>\n" FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "To with a URI of 32 bytes and more", OPT VIA MF
	  "To: Bob <sip:a-rather-long-user-name@a.long.domain.example.com>\n" FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  PASS_VALID },
	{ "To with '>' missing", OPT VIA MF "To: Bob <sip:bob@example.com\n" FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Malformed To") },
	{ "To with a URI without a scheme", OPT VIA MF "To: Bob <bob.example.com>\n" FROM CID CSEQ("OPTIONS") CL0
	  END, 0, R400("Malformed To") },
	{ "To with an empty URI", OPT VIA MF "To: Bob <>\n" FROM CID CSEQ("OPTIONS") CL0 END, 0, R400("Malformed To") },
	{ "To with a non-token display name", OPT VIA MF "To: B@b <sip:bob@example.com>\n" FROM CID CSEQ("OPTIONS")
	  CL0 END, 0, R400("Malformed To") },
	{ "To with a space inside <>", OPT VIA MF "To: Bob <sip:bob@exa mple.com>\n" FROM CID CSEQ("OPTIONS") CL0
	  END, 0, R400("Malformed To") },
	{ "To with bytes after '>'", OPT VIA MF "To: <sip:bob@example.com>x\n" FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Malformed To") },
	{ "To with an empty tag", OPT VIA MF "To: Bob <sip:bob@example.com>;tag=\n" FROM CID CSEQ("OPTIONS") CL0 END,
	  0, R400("Malformed To") },
	{ "To with ';' before '<' (an addr-spec without a scheme)", OPT VIA MF "To: Bob;x <sip:bob@example.com>\n"
	  FROM CID CSEQ("OPTIONS") CL0 END, 0, R400("Malformed To") },
	{ "From with a quoted display name holding '<'", OPT VIA MF TO "From: \"A <b>\" <sip:a@example.org>;tag=1\n"
	  CID CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "To with two name-addrs", OPT VIA MF "To: <sip:bob@example.com>, <sip:carol@example.com>\n" FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, R400("Malformed To") },
	{ "Max-Forwards 0068 is 68 (RFC 4475 3.1.1.1)", OPT VIA "Max-Forwards: 0068\n" TO FROM CID CSEQ("OPTIONS") CL0
	  END, 0, PASS_VALID },
	{ "CSeq 2^31 - 1 (RFC 3261 8.1.1.5)", OPT REST "CSeq: 2147483647 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "CSeq 0", OPT REST "CSeq: 0 OPTIONS\n" CL0 END, 0, PASS_VALID },
	{ "Via without branch (RFC 2543, RFC 4475 3.4.1)", OPT "Via: SIP/2.0/UDP iftgw.example.com\n" MF TO FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "two via-parms on one line", OPT
	  "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK0\n" MF TO FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, PASS_VALID },
	{ "Content-Length smaller than the body: surplus discarded (RFC 3261 18.3)", OPT REST CSEQ("OPTIONS")
	  "Content-Length: 3\n\nabcdef", 0, PASS_VALID },
	{ "Content-Length absent: body to the end (RFC 3261 18.3)", OPT REST CSEQ("OPTIONS") "\nabcdef", 0,
	  PASS_VALID },
	{ "supported Proxy-Require tag", OPT REST CSEQ("OPTIONS") "Proxy-Require: 100rel, timer\n" CL0 END, 0,
	  PASS_VALID },
	{ "unknown Require without check_require", OPT REST CSEQ("OPTIONS") "Require: foo\n" CL0 END, 0,
	  PASS_VALID },
	{ "unknown Supported and Unsupported tags do not matter", OPT REST CSEQ("OPTIONS")
	  "Supported: foo\nUnsupported: bar\n" CL0 END, 0, PASS_VALID },
	{ "tag supported by a changed policy", OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\n" CL0 END,
	  POL_SUPPORT_FOO, PASS_VALID },
	{ "datagram exactly max_message_bytes", OPT REST CSEQ("OPTIONS") CL0 END, POL_MSG_EQ_LEN, PASS_VALID },
	{ "Request-URI exactly max_request_uri_bytes", OPT REST CSEQ("OPTIONS") CL0 END, POL_URI_19, PASS_VALID },

	/* ---- CANCEL: Proxy-Require (and Require) are ignored (RFC 3261 16.3 step 5, 8.2.2.3) ---- */
	{ "CANCEL with unknown Proxy-Require", "CANCEL sip:bob@example.com SIP/2.0\n" REST CSEQ("CANCEL")
	  "Proxy-Require: foo\n" CL0 END, 0, PASS_VALID },
	{ "CANCEL with unknown Require, check_require", "CANCEL sip:bob@example.com SIP/2.0\n" REST CSEQ("CANCEL")
	  "Require: foo\n" CL0 END, POL_CHECK_REQUIRE, PASS_VALID },

	/* ---- ACK: never answered (RFC 3261 17.1.1.3, 17.2.1) ---- */
	{ "valid ACK", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK") CL0 END, 0, SW_ACT_PASS, SW_WHY_ACK },
	{ "ACK with unknown Proxy-Require is well formed", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK")
	  "Proxy-Require: foo\n" CL0 END, 0, SW_ACT_PASS, SW_WHY_ACK },
	{ "ACK without Call-ID", "ACK sip:bob@example.com SIP/2.0\n" VIA MF TO FROM CSEQ("ACK") CL0 END, 0,
	  SW_ACT_DROP, SW_WHY_BAD_ACK },
	{ "ACK with CSeq INVITE", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("INVITE") CL0 END, 0, SW_ACT_DROP,
	  SW_WHY_BAD_ACK },
	{ "ACK with Content-Length too large", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK")
	  "Content-Length: 10\n\nabc", 0, SW_ACT_DROP, SW_WHY_BAD_ACK },
	{ "ACK with version 3.0", "ACK sip:bob@example.com SIP/3.0\n" REST CSEQ("ACK") CL0 END, 0, SW_ACT_DROP,
	  SW_WHY_BAD_ACK },
	{ "ACK with 2 SP in the request line", "ACK  sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK") CL0 END, 0,
	  SW_ACT_DROP, SW_WHY_BAD_ACK },
	{ "ACK oversized", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK") CL0 END, POL_MSG_LEN_M1, SW_ACT_DROP,
	  SW_WHY_BAD_ACK },
	{ "ACK with a long Request-URI", "ACK sip:bob@example.com SIP/2.0\n" REST CSEQ("ACK") CL0 END, POL_URI_18,
	  SW_ACT_DROP, SW_WHY_BAD_ACK },
	{ "ACK with Max-Forwards 0", "ACK sip:bob@example.com SIP/2.0\n" VIA "Max-Forwards: 0\n" TO FROM CID
	  CSEQ("ACK") CL0 END, 0, .kind = EXPECT_NO_REPLY },

	/* ---- responses: never answered ---- */
	{ "200 OK", "SIP/2.0 200 OK\n" VIA TO FROM CID CSEQ("INVITE") CL0 END, 0, SW_ACT_PASS, SW_WHY_RESPONSE },
	{ "100 with empty reason (RFC 4475 3.1.1.13)", "SIP/2.0 100 \n" VIA TO FROM CID CSEQ("INVITE") CL0 END, 0,
	  SW_ACT_PASS, SW_WHY_RESPONSE },
	{ "response status 4294967301 (RFC 4475 3.1.2.19)", "SIP/2.0 4294967301 big\n" VIA TO FROM CID CSEQ("INVITE")
	  CL0 END, 0, SW_ACT_DROP, SW_WHY_BAD_RESPONSE },
	{ "response with a header line without colon", "SIP/2.0 200 OK\n" VIA "Foobar roobar\n" TO FROM CID
	  CSEQ("INVITE") CL0 END, 0, SW_ACT_DROP, SW_WHY_BAD_RESPONSE },
	{ "response with a NUL in the header section", "SIP/2.0 200 OK\r\nSubject: a\0b\r\n\r\n", 0, SW_ACT_DROP,
	  SW_WHY_BAD_RESPONSE },
	{ "oversized response", "SIP/2.0 200 OK\n" VIA TO FROM CID CSEQ("INVITE") CL0 END, POL_MSG_LEN_M1,
	  SW_ACT_DROP, SW_WHY_BAD_RESPONSE },
	{ "response without Call-ID", "SIP/2.0 180 Ringing\n" VIA TO FROM CSEQ("INVITE") CL0 END, 0,
	  .kind = EXPECT_NO_REPLY },
	{ "response with version 3.0", "SIP/3.0 200 OK\n" VIA TO FROM CID CSEQ("INVITE") CL0 END, 0,
	  .kind = EXPECT_NO_REPLY },

	/* ---- not SIP: dropped, never answered ---- */
	{ "HTTP request", "GET / HTTP/1.1\nHost: example.com\n\n", 0, SW_ACT_DROP, SW_WHY_NOT_SIP },
	{ "CRLF keepalive (RFC 5626 3.5.1)", "\r\n\r\n", 0, SW_ACT_PASS, SW_WHY_KEEPALIVE },
	{ "CRLF pong (RFC 5626 3.5.1)", "\r\n", 0, SW_ACT_PASS, SW_WHY_KEEPALIVE },
	{ "three CRLFs are not a keepalive", "\r\n\r\n\r\n", 0, SW_ACT_DROP, SW_WHY_NOT_SIP },
	{ "request line without version (RFC 4475 test.dat)", "INVITE sip:alan@jasomi.com\n" VIA TO FROM CID
	  CSEQ("INVITE") END, 0, SW_ACT_DROP, SW_WHY_NOT_SIP },
	{ "oversized non-SIP", "GET / HTTP/1.1\nHost: example.com\n\n", POL_MSG_LEN_M1, SW_ACT_DROP, SW_WHY_NOT_SIP },

	/* ---- no usable top Via: nowhere to answer ---- */
	{ "no Via", OPT MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "Via garbage", OPT "Via: garbage\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "Via without host", OPT "Via: SIP/2.0/UDP\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP,
	  SW_WHY_NO_VIA },
	{ "no Via and no Call-ID", OPT MF TO FROM CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "no Via and Max-Forwards 0", OPT "Max-Forwards: 0\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP,
	  SW_WHY_NO_VIA },
	{ "no Via and version 3.0", "OPTIONS sip:bob@example.com SIP/3.0\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "no Via and oversized", OPT MF TO FROM CID CSEQ("OPTIONS") CL0 END, POL_MSG_LEN_M1, SW_ACT_DROP,
	  SW_WHY_NO_VIA },
	{ "no Via and header syntax error", OPT "Foobar roobar\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  SW_ACT_DROP, SW_WHY_NO_VIA },
	/* a malformed top Via where no check before the reply looked at it (never_answer() checks it) */
	{ "Via garbage and version 3.0", "OPTIONS sip:bob@example.com SIP/3.0\n" "Via: garbage\n" MF TO FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "Via without host and oversized", OPT "Via: SIP/2.0/UDP\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END,
	  POL_MSG_LEN_M1, SW_ACT_DROP, SW_WHY_NO_VIA },
	{ "second via-parm bad, version 3.0: the top one answers", "OPTIONS sip:bob@example.com SIP/3.0\n"
	  "Via: SIP/2.0/UDP host;branch=z9hG4bKok, SIP/2.0/UDP ;bad\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  SW_ACT_REPLY, SW_WHY_CHECK, 505, "Version" },

	/* ---- 400: mandatory headers (RFC 3261 8.1.1, 8.2.2 and RFC 4475 3.3.1 insuf) ---- */
	{ "missing To", OPT VIA MF FROM CID CSEQ("OPTIONS") CL0 END, 0, R400("To") },
	{ "missing From", OPT VIA MF TO CID CSEQ("OPTIONS") CL0 END, 0, R400("From") },
	{ "missing Call-ID", OPT VIA MF TO FROM CSEQ("OPTIONS") CL0 END, 0, R400("Call-ID") },
	{ "missing CSeq", OPT REST CL0 END, 0, R400("CSeq") },
	{ "malformed second Via line", OPT VIA "Via: garbage\n" MF TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Via") },
	{ "malformed second via-parm", OPT "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1, garbage\n" MF TO FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, R400("Via") },
	{ "To with unterminated quote (RFC 4475 3.1.2.6)", OPT VIA MF "To: \"Mr. J. User <sip:j.user@example.com>\n"
	  FROM CID CSEQ("OPTIONS") CL0 END, 0, R400("To") },
	{ "From with unquoted comma (RFC 4475 3.1.2.15)", OPT VIA MF TO
	  "From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n" CID CSEQ("OPTIONS") CL0 END, 0, R400("From") },
	{ "To with spaces in <> (RFC 4475 3.1.2.14)", OPT VIA MF "To: < sip:bob@example.com >\n" FROM CID
	  CSEQ("OPTIONS") CL0 END, 0, R400("To") },
	{ "empty Call-ID", OPT VIA MF TO FROM "Call-ID:\n" CSEQ("OPTIONS") CL0 END, 0, R400("Call-ID") },
	/* more than one line of a single-value header (RFC 4475 3.3.8 multi01, 3.3.9 mcl01) */
	{ "two To", OPT REST "To: <sip:carol@example.com>\n" CSEQ("OPTIONS") CL0 END, 0, R400("To") },
	{ "To and t", OPT REST "t: <sip:carol@example.com>\n" CSEQ("OPTIONS") CL0 END, 0, R400("To") },
	{ "two From", OPT REST "From: <sip:carol@example.com>;tag=2\n" CSEQ("OPTIONS") CL0 END, 0, R400("From") },
	{ "two Call-ID", OPT REST "i: other@example.com\n" CSEQ("OPTIONS") CL0 END, 0, R400("Call-ID") },
	{ "two CSeq", OPT REST CSEQ("OPTIONS") CSEQ("OPTIONS") CL0 END, 0, R400("CSeq") },
	{ "two Max-Forwards", OPT REST MF CSEQ("OPTIONS") CL0 END, 0, R400("Max-Forwards") },
	{ "two Content-Length, same value", OPT REST CSEQ("OPTIONS") CL0 CL0 END, 0, R400("Content-Length") },
	{ "Content-Length and l", OPT REST CSEQ("OPTIONS") "Content-Length: 3\nl: 5\n\nabcde", 0,
	  R400("Content-Length") },
	/* CSeq (RFC 3261 8.1.1.5, 12.2.1.1; RFC 4475 3.1.2.4, 3.1.2.17, 3.1.2.18) */
	{ "CSeq not a number", OPT REST "CSeq: abc OPTIONS\n" CL0 END, 0, R400("CSeq") },
	{ "CSeq 2^31", OPT REST "CSeq: 2147483648 OPTIONS\n" CL0 END, 0, R400("CSeq") },
	{ "CSeq 2^65", OPT REST "CSeq: 36893488147419103232 OPTIONS\n" CL0 END, 0, R400("CSeq") },
	{ "CSeq without method", OPT REST "CSeq: 1\n" CL0 END, 0, R400("CSeq") },
	{ "CSeq method of another request", OPT REST CSEQ("INVITE") CL0 END, 0,
	  R400("CSeq method does not match request method") },
	{ "CSeq method in another case (case-sensitive)", OPT REST CSEQ("options") CL0 END, 0, R400("CSeq") },
	{ "unknown method, CSeq INVITE", "NEWMETHOD sip:bob@example.com SIP/2.0\n" REST CSEQ("INVITE") CL0 END, 0,
	  R400("CSeq") },
	/* Max-Forwards (RFC 3261 20.22: 0-255) */
	{ "Max-Forwards not a number", OPT VIA "Max-Forwards: abc\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Max-Forwards") },
	{ "Max-Forwards 256", OPT VIA "Max-Forwards: 256\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Max-Forwards") },
	{ "Max-Forwards 300 (RFC 4475 3.1.2.4)", OPT VIA "Max-Forwards: 300\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Max-Forwards") },
	{ "Max-Forwards -1", OPT VIA "Max-Forwards: -1\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Max-Forwards") },
	{ "Max-Forwards empty", OPT VIA "Max-Forwards:\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0,
	  R400("Max-Forwards") },
	{ "Max-Forwards absent, required by policy", OPT VIA TO FROM CID CSEQ("OPTIONS") CL0 END, POL_REQUIRE_MF,
	  R400("Max-Forwards") },
	/* Content-Length over UDP (RFC 3261 18.3; RFC 4475 3.1.2.2 clerr, 3.1.2.3 ncl) */
	{ "Content-Length larger than the body", OPT REST CSEQ("OPTIONS") "Content-Length: 10\n\nabc", 0,
	  R400("Content-Length larger than message body") },
	{ "Content-Length negative", OPT REST CSEQ("OPTIONS") "Content-Length: -999\n\nabc", 0,
	  R400("Content-Length") },
	{ "Content-Length not a number", OPT REST CSEQ("OPTIONS") "Content-Length: three\n\nabc", 0,
	  R400("Content-Length") },

	/* ---- 400: start line and header section syntax (RFC 3261 7, 25; RFC 4475 3.1.2.7-3.1.2.10) ---- */
	{ "2 SP after the method", "OPTIONS  sip:bob@example.com SIP/2.0\n" REST CSEQ("OPTIONS") CL0 END, 0,
	  R400(NULL) },
	{ "SP after the version", "OPTIONS sip:bob@example.com SIP/2.0 \n" REST CSEQ("OPTIONS") CL0 END, 0,
	  R400(NULL) },
	{ "<> around the Request-URI", "OPTIONS <sip:bob@example.com> SIP/2.0\n" REST CSEQ("OPTIONS") CL0 END, 0,
	  R400(NULL) },
	{ "LWS in the Request-URI", "OPTIONS sip:bob@example.com; lr SIP/2.0\n" REST CSEQ("OPTIONS") CL0 END, 0,
	  R400(NULL) },
	{ "header line without colon", OPT REST "Foobar roobar\n" CSEQ("OPTIONS") CL0 END, 0, R400(NULL) },
	/* a lone CR ends a line for some parsers: one header could hide another from the rules (fuzz finding) */
	{ "bare CR hiding a header line", OPT REST CSEQ("OPTIONS") "Subject: hello\rUser-Agent: friendly-scanner\n" CL0 END,
	  0, R400("Bare CR") },
	/* ... or inject a line into a 400 that copies the value (fuzz finding reply-injects-bare-cr) */
	{ "bare CR in Call-ID", OPT VIA MF TO FROM "Call-ID: cr1\rContact: <sip:evil@example.com>\n" CSEQ("OPTIONS") CL0 END,
	  0, R400("Bare CR") },
	{ "bare LF after a header line", OPT REST CSEQ("OPTIONS") "Content-Length: 0\nSubject: x" BARE_LF "\n", 0,
	  R400(NULL) },
	{ "no empty line after the headers", OPT REST CSEQ("OPTIONS") CL0, 0, R400(NULL) },
	{ "NUL outside a quoted string", OPT REST CSEQ("OPTIONS") "Subject: a\0b\r\n" CL0 END, 0, R400(NULL) },

	/* ---- 483 (RFC 3261 16.3 step 3; RFC 4475 3.3.11 zeromf) ---- */
	{ "Max-Forwards 0", OPT VIA "Max-Forwards: 0\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_REPLY,
	  SW_WHY_CHECK, 483 },
	{ "Max-Forwards 00", OPT VIA "Max-Forwards: 00\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 0, SW_ACT_REPLY,
	  SW_WHY_CHECK, 483 },

	/* ---- 413, 414, 505, 420 ---- */
	{ "datagram one byte over max_message_bytes", OPT REST CSEQ("OPTIONS") CL0 END, POL_MSG_LEN_M1, SW_ACT_REPLY,
	  SW_WHY_CHECK, 413 },
	{ "Request-URI one byte over max_request_uri_bytes", OPT REST CSEQ("OPTIONS") CL0 END, POL_URI_18,
	  SW_ACT_REPLY, SW_WHY_CHECK, 414 },
	{ "SIP/3.0 (RFC 4475 3.1.2.16)", "OPTIONS sip:bob@example.com SIP/3.0\n" REST CSEQ("OPTIONS") CL0 END, 0,
	  SW_ACT_REPLY, SW_WHY_CHECK, 505 },
	{ "SIP/2.1", "OPTIONS sip:bob@example.com SIP/2.1\n" REST CSEQ("OPTIONS") CL0 END, 0, SW_ACT_REPLY,
	  SW_WHY_CHECK, 505 },
	{ "SIP/1.0", "OPTIONS sip:bob@example.com SIP/1.0\n" REST CSEQ("OPTIONS") CL0 END, 0, SW_ACT_REPLY,
	  SW_WHY_CHECK, 505 },
	{ "unknown Proxy-Require (RFC 3261 16.3 step 5)", OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\n" CL0 END, 0,
	  SW_ACT_REPLY, SW_WHY_CHECK, 420 },
	{ "one unknown among known Proxy-Require tags", OPT REST CSEQ("OPTIONS")
	  "Proxy-Require: 100rel\nProxy-Require: timer, foo\n" CL0 END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 420 },
	{ "unknown Require, check_require (RFC 3261 8.2.2.3)", OPT REST CSEQ("OPTIONS") "Require: foo\n" CL0 END,
	  POL_CHECK_REQUIRE, SW_ACT_REPLY, SW_WHY_CHECK, 420 },
	/* one tag a line (the usual value, looked up at once) and lists (read tag by tag) together */
	{ "one known tag, any case", OPT REST CSEQ("OPTIONS") "Proxy-Require: 100REL\n" CL0 END, 0, PASS_VALID },
	{ "one tag longer than any supported", OPT REST CSEQ("OPTIONS") "Proxy-Require: outbound-x\n" CL0 END, 0,
	  SW_ACT_REPLY, SW_WHY_CHECK, 420 },
	{ "a prefix of a supported tag", OPT REST CSEQ("OPTIONS") "Proxy-Require: time\n" CL0 END, 0, SW_ACT_REPLY,
	  SW_WHY_CHECK, 420 },
	{ "unknown tag, then a malformed list", OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\nProxy-Require: a b\n"
	  CL0 END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 400 },
	{ "known tags a line, then an unknown in a list", OPT REST CSEQ("OPTIONS")
	  "Proxy-Require: timer\nProxy-Require: path ,  foo\n" CL0 END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 420 },
	{ "a tag with a byte outside token", OPT REST CSEQ("OPTIONS") "Proxy-Require: ti/mer\n" CL0 END, 0,
	  SW_ACT_REPLY, SW_WHY_CHECK, 400 },

	/* ---- the order of the checks ---- */
	{ "order: 413 before 505", "OPTIONS sip:bob@example.com SIP/3.0\n" REST CSEQ("OPTIONS") CL0 END,
	  POL_MSG_LEN_M1, SW_ACT_REPLY, SW_WHY_CHECK, 413 },
	{ "order: 413 before missing Call-ID", OPT VIA MF TO FROM CSEQ("OPTIONS") CL0 END, POL_MSG_LEN_M1,
	  SW_ACT_REPLY, SW_WHY_CHECK, 413 },
	{ "order: 414 before 505", "OPTIONS sip:bob@example.com SIP/3.0\n" REST CSEQ("OPTIONS") CL0 END, POL_URI_18,
	  SW_ACT_REPLY, SW_WHY_CHECK, 414 },
	/* a headers component is not allowed in a Request-URI (RFC 3261 19.1.1): 400 when short, 414 when too long */
	{ "malformed Request-URI within max_request_uri_bytes", "OPTIONS sip:b@ex.com?x=y SIP/2.0\n" REST
	  CSEQ("OPTIONS") CL0 END, POL_URI_18, R400("Malformed Request-URI") },
	{ "order: 414 before a malformed Request-URI", "OPTIONS sip:bob@example.com?x=y SIP/2.0\n" REST
	  CSEQ("OPTIONS") CL0 END, POL_URI_18, SW_ACT_REPLY, SW_WHY_CHECK, 414 },
	{ "order: 505 before header syntax", "OPTIONS sip:bob@example.com SIP/3.0\n" REST "Foobar roobar\n"
	  CSEQ("OPTIONS") CL0 END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 505 },
	{ "order: 505 before missing Call-ID", "OPTIONS sip:bob@example.com SIP/3.0\n" VIA MF TO FROM CSEQ("OPTIONS")
	  CL0 END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 505 },
	{ "order: mandatory headers before 483", OPT VIA "Max-Forwards: 0\n" TO FROM CSEQ("OPTIONS") CL0 END, 0,
	  R400("Call-ID") },
	{ "order: CSeq before 483", OPT VIA "Max-Forwards: 0\n" TO FROM CID CSEQ("INVITE") CL0 END, 0, R400("CSeq") },
	{ "order: 483 before Content-Length", OPT VIA "Max-Forwards: 0\n" TO FROM CID CSEQ("OPTIONS")
	  "Content-Length: 10\n\nabc", 0, SW_ACT_REPLY, SW_WHY_CHECK, 483 },
	{ "order: Max-Forwards syntax before Content-Length", OPT VIA "Max-Forwards: abc\n" TO FROM CID
	  CSEQ("OPTIONS") "Content-Length: 10\n\nabc", 0, R400("Max-Forwards") },
	{ "order: Content-Length before 420", OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\nContent-Length: 10\n\nabc",
	  0, R400("Content-Length") },
	{ "order: 483 before 420", OPT VIA "Max-Forwards: 0\n" TO FROM CID CSEQ("OPTIONS") "Proxy-Require: foo\n" CL0
	  END, 0, SW_ACT_REPLY, SW_WHY_CHECK, 483 },
};

/* The text of a case as a datagram: "\n" becomes CRLF; the few with a NUL are written with explicit CRLF. */
static struct tu_dgram case_bytes(const struct vcase *c)
{
	const char *nul_cases[] = { "response with a NUL in the header section", "NUL outside a quoted string" };

	for (size_t i = 0; i < sizeof(nul_cases) / sizeof(nul_cases[0]); i++) {
		if (strcmp(c->name, nul_cases[i]) != 0)
			continue;
		/* compose around the NUL: the part before it, "\0", the part after (both made CRLF) */
		const char *after = c->text + strlen(c->text) + 1;
		struct tu_dgram a = tu_crlf(c->text), b = tu_crlf(after);
		char *all = malloc(a.len + 1 + b.len);
		struct tu_dgram d;

		memcpy(all, a.p, a.len);
		all[a.len] = '\0';
		memcpy(all + a.len + 1, b.p, b.len);
		d = tu_dup(all, a.len + 1 + b.len);
		free(all);
		tu_free(&a);
		tu_free(&b);
		return d;
	}
	struct tu_dgram d = tu_crlf(c->text);

	for (uint32_t i = 0; i < d.len; i++)
		if (d.p[i] == BARE_LF[0])
			d.p[i] = '\n';
	return d;
}

static void apply_tweak(struct sw_policy *p, enum pol_tweak t, uint32_t len)
{
	static const char *const foo_only[] = { "foo", NULL };

	switch (t) {
	case POL_DEFAULT:
		break;
	case POL_REQUIRE_MF:
		p->require_max_forwards = true;
		break;
	case POL_CHECK_REQUIRE:
		p->check_require = true;
		break;
	case POL_MSG_EQ_LEN:
		p->max_message_bytes = len;
		break;
	case POL_MSG_LEN_M1:
		p->max_message_bytes = len - 1;
		break;
	case POL_URI_19:
		p->max_request_uri_bytes = 19;
		break;
	case POL_URI_18:
		p->max_request_uri_bytes = 18;
		break;
	case POL_SUPPORT_FOO:
		tu_policy_supported(p, foo_only);
		break;
	}
}

static void check_case(const struct vcase *c, const struct sw_verdict *v)
{
	if (c->kind == EXPECT_NO_REPLY) {
		if (v->action == SW_ACT_REPLY) {
			tu_print_verdict(c->name, v);
			fail_msg("%s: must not be answered", c->name);
		}
		return;
	}
	if (v->action != c->action || v->why != c->why || (c->action == SW_ACT_REPLY && v->status != c->status)) {
		tu_print_verdict("got", v);
		fail_msg("%s: want action=%s why=%s status=%u", c->name, sw_action_name(c->action), sw_why_name(c->why),
			 c->status);
	}
	if (c->action == SW_ACT_REPLY) {
		assert_non_null(v->reason);
		assert_true(v->reason[0] != '\0');
		if (c->reason_has && !strstr(v->reason, c->reason_has))
			fail_msg("%s: reason \"%s\" does not name \"%s\"", c->name, v->reason, c->reason_has);
	}
	assert_int_equal(v->rule, -1);
}

static void test_cases(void **state)
{
	struct sw_worker *w = tu_worker(NULL);
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		struct tu_dgram d = case_bytes(c);
		struct sw_policy *pol = tu_policy();
		struct sw_verdict v, v2;

		apply_tweak(pol, c->tweak, d.len);
		sw_judge(pol, w, d.p, d.len, &v);
		/* the same datagram judged again gives the same verdict */
		sw_judge(pol, w, d.p, d.len, &v2);
		assert_int_equal(v.action, v2.action);
		assert_int_equal(v.why, v2.why);
		assert_int_equal(v.status, v2.status);
		/* report every failing case, then fail once */
		if (c->kind == EXPECT_NO_REPLY ? v.action == SW_ACT_REPLY
					       : (v.action != c->action || v.why != c->why ||
						  (c->action == SW_ACT_REPLY &&
						   (v.status != c->status || !v.reason ||
						    (c->reason_has && !strstr(v.reason, c->reason_has)))))) {
			print_error("FAIL %-60s want %s/%s/%u%s%s, ", c->name,
				    c->kind == EXPECT_NO_REPLY ? "not reply" : sw_action_name(c->action), sw_why_name(c->why),
				    c->status, c->reason_has ? " ~" : "", c->reason_has ? c->reason_has : "");
			print_error("got %s/%s/%u \"%s\"\n", sw_action_name(v.action), sw_why_name(v.why), v.status,
				    v.reason ? v.reason : "");
			failed++;
		} else {
			check_case(c, &v);
		}
		tu_policy_free(pol);
		tu_free(&d);
	}
	tu_worker_free(w);
	if (failed)
		fail_msg("%u of %zu verdict cases failed", failed, sizeof(cases) / sizeof(cases[0]));
}

/* 420: which header's tags were refused (sw_verdict.unsupported_from). */
static void test_unsupported_from(void **state)
{
	static const struct {
		const char *text;
		bool check_require;
		const char *from;
	} c[] = {
		{ OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\n" CL0 END, false, "Proxy-Require" },
		{ OPT REST CSEQ("OPTIONS") "Require: foo\n" CL0 END, true, "Require" },
	};
	struct sw_worker *w = tu_worker(NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tu_dgram d = tu_crlf(c[i].text);
		struct sw_policy *pol = tu_policy();
		struct sw_verdict v;

		pol->check_require = c[i].check_require;
		sw_judge(pol, w, d.p, d.len, &v);
		assert_int_equal(v.action, SW_ACT_REPLY);
		assert_int_equal(v.status, 420);
		if (!v.unsupported_from || strcmp(v.unsupported_from, c[i].from) != 0)
			fail_msg("420 unsupported_from = %s, want %s", v.unsupported_from ? v.unsupported_from : "(null)",
				 c[i].from);
		tu_policy_free(pol);
		tu_free(&d);
	}
	tu_worker_free(w);
}

/* A parse error's byte offset reaches the verdict (v.err_off). */
static void test_err_off(void **state)
{
	static const char text[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
				   "Subject: a\0b\r\n\r\n";
	struct tu_dgram d = tu_dup(text, sizeof(text) - 1);
	struct sw_worker *w = tu_worker(NULL);
	struct sw_policy *pol = tu_policy();
	struct sw_verdict v;
	/* request line 37 bytes, Via line 45, then "Subject: a" */
	const uint32_t nul = 37 + 45 + 10;

	(void)state;
	assert_int_equal(text[nul], '\0');
	sw_judge(pol, w, d.p, d.len, &v);
	assert_int_equal(v.action, SW_ACT_REPLY);
	assert_int_equal(v.status, 400);
	assert_int_equal(v.err_off, nul);
	tu_policy_free(pol);
	tu_worker_free(w);
	tu_free(&d);
}

/*
 * sip_msg_parse_headers_ruri(), the verdict's parse: a Request-URI over the limit is not checked for structure (its
 * request gets 414 whatever it is); within the limit, and with no limit, the parse is sip_msg_parse_headers()'s.
 */
static void test_parse_ruri_limit(void **state)
{
	static const char text[] = "OPTIONS sip:bob@example.com?x=y SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
				   "Foo bar\r\n\r\n";
	struct tu_dgram d = tu_dup(text, sizeof(text) - 1);
	struct sip_msg *m = calloc(1, sizeof(*m)), *n = calloc(1, sizeof(*n));

	(void)state;
	assert_non_null(m);
	assert_non_null(n);
	assert_int_equal(sip_msg_parse_headers(m, d.p, d.len), SIP_PARSE_BAD_START);
	assert_string_equal(m->err_reason, "Malformed Request-URI");
	assert_int_equal(m->err_off, 8);
	assert_int_equal(sip_msg_parse_headers_ruri(n, d.p, d.len, 23), SIP_PARSE_BAD_START); /* 23: within */
	assert_int_equal(n->err_off, 8);
	assert_int_equal(sip_msg_parse_headers_ruri(n, d.p, d.len, 22), SIP_PARSE_BAD_HEADER); /* over: the next fault */
	assert_int_equal(n->ruri.len, 23);
	assert_int_equal(n->nhdrs, m->nhdrs); /* the same lines indexed */
	assert_int_equal(n->nhdrs, 1);
	free(m);
	free(n);
	tu_free(&d);
}

/* The sample datagrams (tests/data/samples/README.md) and what each gets under the default policy. */
static const struct {
	const char *file;
	enum sw_action action;
	enum sw_why why;
} samples[] = {
	{ "ack.sip", SW_ACT_PASS, SW_WHY_ACK },
	{ "bye.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "cancel-proxy-require.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "compact-forms.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "folded-headers.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "invite-no-content-length.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "invite-sdp.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "ipv6-via-rport.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "keepalive-crlf.sip", SW_ACT_PASS, SW_WHY_KEEPALIVE },
	{ "message-binary-body.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "not-sip-http.sip", SW_ACT_DROP, SW_WHY_NOT_SIP },
	{ "options.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "register.sip", SW_ACT_PASS, SW_WHY_VALID },
	{ "resp-180.sip", SW_ACT_PASS, SW_WHY_RESPONSE },
	{ "resp-200-invite.sip", SW_ACT_PASS, SW_WHY_RESPONSE },
	{ "subscribe-compact-event.sip", SW_ACT_PASS, SW_WHY_VALID },
};

static void test_samples(void **state)
{
	struct sw_worker *w = tu_worker(NULL);
	struct sw_policy *pol = tu_policy();
	size_t n;
	char **names = tu_list("samples", ".sip", &n);

	(void)state;
	/* every sample file has an expectation here */
	assert_int_equal(n, sizeof(samples) / sizeof(samples[0]));
	for (size_t i = 0; i < n; i++) {
		char rel[256];
		struct tu_dgram d;
		struct sw_verdict v;

		assert_string_equal(names[i], samples[i].file);
		snprintf(rel, sizeof(rel), "samples/%s", samples[i].file);
		d = tu_load(rel);
		sw_judge(pol, w, d.p, d.len, &v);
		if (v.action != samples[i].action || v.why != samples[i].why) {
			tu_print_verdict(samples[i].file, &v);
			fail_msg("%s: want %s/%s", samples[i].file, sw_action_name(samples[i].action),
				 sw_why_name(samples[i].why));
		}
		tu_free(&d);
	}
	tu_free_names(names, n);
	tu_policy_free(pol);
	tu_worker_free(w);
}

/* Every verdict reason has a counter name; names are distinct. */
static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < SW_WHY__COUNT; i++) {
		const char *a = sw_why_name((enum sw_why)i);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, sw_why_name((enum sw_why)j));
	}
	assert_string_equal(sw_action_name(SW_ACT_PASS), "pass");
	assert_string_equal(sw_action_name(SW_ACT_DROP), "drop");
	assert_string_equal(sw_action_name(SW_ACT_REPLY), "reply");
}

/* The verdict depends on the policy the call is given, nothing kept from an earlier call. */
static void test_policy_per_call(void **state)
{
	struct tu_dgram d = tu_crlf(OPT REST CSEQ("OPTIONS") "Proxy-Require: foo\n" CL0 END);
	struct sw_worker *w = tu_worker(NULL);
	struct sw_policy *a = tu_policy(), *b = tu_policy();
	static const char *const foo_only[] = { "foo", NULL };
	struct sw_verdict v;

	(void)state;
	tu_policy_supported(b, foo_only);
	for (int i = 0; i < 3; i++) {
		sw_judge(a, w, d.p, d.len, &v);
		assert_int_equal(v.action, SW_ACT_REPLY);
		assert_int_equal(v.status, 420);
		sw_judge(b, w, d.p, d.len, &v);
		assert_int_equal(v.action, SW_ACT_PASS);
	}
	tu_policy_free(a);
	tu_policy_free(b);
	tu_worker_free(w);
	tu_free(&d);
}


/* Make p support exactly one tag. */
static void tags_one(struct sw_policy *p, const char *tag)
{
	const char *const one[] = { tag, NULL };

	tu_policy_supported(p, one);
}

/*
 * sw_policy_supports() is sw_str_ieq_cstr() against each supported tag: the same length, bytes equal through
 * sw_lower (ASCII letters only: '@' is not '`'). Tags of SW_OPTION_TAG_MAX bytes or more match nothing.
 */
static void test_supports(void **state)
{
	static const char *const tags[] = { "100rel", "timer", "x.y-z!%*_+`'~", "", "A@", NULL };
	static const struct {
		const char *tag;
		bool want;
	} c[] = {
		{ "100rel", true }, { "100REL", true }, { "Timer", true }, { "time", false }, { "timers", false },
		{ "timer\\0", false }, { "X.Y-Z!%*_+`'~", true }, { "x.y-z!%*_+@'~", false }, { "", true },
		{ "a@", true }, { "a`", false }, { "A\\0", false }, { "replaces", false },
	};
	struct sw_policy *pol = tu_policy();
	char big[SW_OPTION_TAG_MAX + 1];

	(void)state;
	tu_policy_supported(pol, tags);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* "\0" in a case is a NUL byte inside the tag: its length counts it */
		size_t n = strlen(c[i].tag);
		char buf[32];

		memcpy(buf, c[i].tag, n);
		if (n >= 2 && buf[n - 2] == '\\' && buf[n - 1] == '0') {
			buf[n - 2] = 0;
			n--;
		}
		if (sw_policy_supports(pol, sw_str_make(buf, (uint32_t)n)) != c[i].want)
			fail_msg("sw_policy_supports(\"%s\") = %d", c[i].tag, !c[i].want);
	}
	/* the longest tag a policy holds (63 bytes) matches; 64 bytes never do */
	memset(big, 'a', sizeof(big));
	big[SW_OPTION_TAG_MAX - 1] = 0;
	tags_one(pol, big);
	assert_true(sw_policy_supports(pol, sw_str_make(big, SW_OPTION_TAG_MAX - 1)));
	assert_false(sw_policy_supports(pol, sw_str_make(big, SW_OPTION_TAG_MAX - 2)));
	memset(big, 'a', sizeof(big));
	assert_false(sw_policy_supports(pol, sw_str_make(big, SW_OPTION_TAG_MAX)));
	pol->nsupported = 0;
	assert_false(sw_policy_supports(pol, sw_str_make("", 0)));
	tu_policy_free(pol);
}

/*
 * What the verdict keeps for the reply (w->judged), said by `have` only for a reply verdict: the To and From tags
 * once both parsed, and SW_JUDGED_VIA_OK when a Via check found the top via-parm well formed (even when a later one
 * is not), the verdict's own or, when none ran (413, 414, 505, a 400 from the parser, a rule's reply),
 * never_answer()'s. The pass path leaves `have` alone; a reply sets it afresh.
 */
static void test_judged(void **state)
{
	static const uint8_t untouched = 0xff;
	static const struct {
		const char *text;
		uint16_t status; /* 0: passes */
		uint8_t have;
		const char *to_tag, *from_tag;
	} c[] = {
		{ OPT REST CSEQ("OPTIONS") CL0 END, 0, untouched, NULL, NULL },
		{ OPT VIA "Max-Forwards: 0\n" TO FROM CID CSEQ("OPTIONS") CL0 END, 483,
		  SW_JUDGED_VIA_OK | SW_JUDGED_TO | SW_JUDGED_FROM, "", "1928301774" },
		{ OPT VIA MF "To: <sip:bob@example.com>;tag=x1\n" "From: <sip:a@example.org>\n" CID CSEQ("OPTIONS")
		  "Proxy-Require: foo\n" CL0 END, 420, SW_JUDGED_VIA_OK | SW_JUDGED_TO | SW_JUDGED_FROM, "x1", "" },
		{ OPT VIA MF "To: <sip:bob@example.com\n" FROM CID CSEQ("OPTIONS") CL0 END, 400, SW_JUDGED_VIA_OK, NULL,
		  NULL },
		{ OPT VIA MF TO "From: <sip:a@example.org\n" CID CSEQ("OPTIONS") CL0 END, 400, SW_JUDGED_VIA_OK, NULL,
		  NULL },
		{ OPT VIA MF TO FROM CSEQ("OPTIONS") CL0 END, 400, SW_JUDGED_VIA_OK | SW_JUDGED_TO | SW_JUDGED_FROM, "",
		  "1928301774" },
		{ OPT "Via: SIP/2.0/UDP host;branch=z9hG4bKok, SIP/2.0/UDP ;bad\n" MF TO FROM CID CSEQ("OPTIONS") CL0
			  END,
		  400, SW_JUDGED_VIA_OK, NULL, NULL },
		{ "OPTIONS sip:bob@example.com SIP/3.0\n" REST CSEQ("OPTIONS") CL0 END, 505, SW_JUDGED_VIA_OK, NULL,
		  NULL },
		{ "ACK sip:bob@example.com SIP/3.0\n" REST CSEQ("ACK") CL0 END, 0, untouched, NULL, NULL },
	};
	struct sw_worker *w = tu_worker(NULL);
	struct sw_policy *pol = tu_policy();

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tu_dgram d = tu_crlf(c[i].text);
		struct sw_verdict v;

		print_message("judged: case %zu\n", i);
		w->judged.have = untouched; /* whatever a previous message left */
		sw_judge(pol, w, d.p, d.len, &v);
		if (c[i].status) {
			assert_int_equal(v.action, SW_ACT_REPLY);
			assert_int_equal(v.status, c[i].status);
		} else {
			assert_int_not_equal(v.action, SW_ACT_REPLY);
		}
		assert_int_equal(w->judged.have, c[i].have);
		if (c[i].to_tag)
			tu_assert_bytes(w->judged.to_tag.p, w->judged.to_tag.len, c[i].to_tag,
					(uint32_t)strlen(c[i].to_tag));
		if (c[i].from_tag)
			tu_assert_bytes(w->judged.from_tag.p, w->judged.from_tag.len, c[i].from_tag,
					(uint32_t)strlen(c[i].from_tag));
		tu_free(&d);
	}
	tu_policy_free(pol);
	tu_worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_unsupported_from),
		cmocka_unit_test(test_err_off),
		cmocka_unit_test(test_parse_ruri_limit),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_policy_per_call),
		cmocka_unit_test(test_supports),
		cmocka_unit_test(test_judged),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark's SIP messages, as C string literals whose lengths are pinned by _Static_assert: a valid INVITE with
 * SDP (600 bytes), a valid REGISTER and OPTIONS, and one request for each reply class of the verdict (400, 413, 414,
 * 420, 483). Any bench may include this; bench_core checks each verdict before it measures anything.
 *
 * Provenance: the shapes follow RFC 3261 (24.2 INVITE F1, 10.2 REGISTER, 11.1 OPTIONS) and RFC 3665 (2.1, 3.2),
 * with what a current softphone adds (rport, RFC 3581; User-Agent, Allow, Supported). Addresses are documentation
 * ranges (RFC 5737: 192.0.2.0/24, 198.51.100.0/24), names under the reserved .example TLD (RFC 6761). Headers appear
 * in the order a typical UA writes them. Lengths were counted when the literals were written; the asserts keep them
 * true. Every Content-Length equals its body's length.
 */
#ifndef BENCH_MESSAGES_H
#define BENCH_MESSAGES_H

#include <stdint.h>

/* ---- pieces shared by the INVITE and its variants (so a variant differs only where its comment says) ---- */

#define INV_VIA "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74b;rport\r\n"
#define INV_DIALOG                                                                                                    \
	"From: Alice <sip:alice@atlanta.example>;tag=19283017\r\n"                                                    \
	"To: Bob <sip:bob@biloxi.example>\r\n"                                                                        \
	"Call-ID: a84b4c76e66710@atlanta.example\r\n"                                                                 \
	"CSeq: 1 INVITE\r\n"                                                                                          \
	"Contact: <sip:alice@192.0.2.101:5060>\r\n"                                                                   \
	"User-Agent: ExampleUA/4.2\r\n"                                                                               \
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"                                                                \
	"Supported: replaces, timer\r\n"                                                                              \
	"Content-Type: application/sdp\r\n"
/* RFC 4566 5 / RFC 3264: one audio stream, PCMU + RFC 4733 telephone-event. 149 bytes. */
#define INV_SDP                                                                                                       \
	"v=0\r\n"                                                                                                     \
	"o=alice 28908445 28908445 IN IP4 192.0.2.101\r\n"                                                           \
	"s=-\r\n"                                                                                                     \
	"c=IN IP4 192.0.2.101\r\n"                                                                                    \
	"t=0 0\r\n"                                                                                                   \
	"m=audio 49170 RTP/AVP 0 101\r\n"                                                                             \
	"a=rtpmap:101 telephone-event/8000\r\n"

/* ---- valid requests: the verdict passes them ---- */

/* INVITE with SDP, 600 bytes: the message the floors are stated for (RFC 3261 24.2 F1, trimmed). */
static const char msg_invite[] = "INVITE sip:bob@biloxi.example SIP/2.0\r\n" INV_VIA "Max-Forwards: 70\r\n" INV_DIALOG
				 "Content-Length: 149\r\n"
				 "\r\n" INV_SDP;
_Static_assert(sizeof(msg_invite) - 1 == 600, "INVITE is 600 bytes");

/* REGISTER, 370 bytes: a binding refresh (RFC 3261 10.2, RFC 3665 2.1). */
static const char msg_register[] = "REGISTER sip:registrar.biloxi.example SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7;rport\r\n"
				   "Max-Forwards: 70\r\n"
				   "From: Bob <sip:bob@biloxi.example>;tag=a73kszlfl\r\n"
				   "To: Bob <sip:bob@biloxi.example>\r\n"
				   "Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.201\r\n"
				   "CSeq: 1826 REGISTER\r\n"
				   "Contact: <sip:bob@192.0.2.201:5060>;expires=3600\r\n"
				   "User-Agent: ExampleUA/4.2\r\n"
				   "Content-Length: 0\r\n"
				   "\r\n";
_Static_assert(sizeof(msg_register) - 1 == 370, "REGISTER length");

/* OPTIONS, a capability query or keepalive probe (RFC 3261 11.1 example). */
static const char msg_options[] = "OPTIONS sip:carol@chicago.example SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKhjhs8ass877;rport\r\n"
				  "Max-Forwards: 70\r\n"
				  "To: <sip:carol@chicago.example>\r\n"
				  "From: Alice <sip:alice@atlanta.example>;tag=1928301774\r\n"
				  "Call-ID: a84b4c76e66710@atlanta.example\r\n"
				  "CSeq: 63104 OPTIONS\r\n"
				  "Contact: <sip:alice@192.0.2.101:5060>\r\n"
				  "Accept: application/sdp\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";
_Static_assert(sizeof(msg_options) - 1 == 364, "OPTIONS length");

/* ---- one request per reply class ---- */

/* 400: the REGISTER above without its Call-ID line (RFC 3261 8.1.1 mandatory header missing). */
static const char msg_400[] = "REGISTER sip:registrar.biloxi.example SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7;rport\r\n"
			      "Max-Forwards: 70\r\n"
			      "From: Bob <sip:bob@biloxi.example>;tag=a73kszlfl\r\n"
			      "To: Bob <sip:bob@biloxi.example>\r\n"
			      "CSeq: 1826 REGISTER\r\n"
			      "Contact: <sip:bob@192.0.2.201:5060>;expires=3600\r\n"
			      "User-Agent: ExampleUA/4.2\r\n"
			      "Content-Length: 0\r\n"
			      "\r\n";
_Static_assert(sizeof(msg_400) - 1 == 331, "400 request length");

/*
 * 413: 5000 bytes, over the default max_message_bytes (4096). The INVITE's headers with a WebRTC-style offer
 * (RFC 8839 ICE candidates, RFC 8122 fingerprint, audio + video): big offers are how real requests get this large.
 * The ice-pwd is 79 characters long so that the whole message is 5000 bytes exactly.
 */
#define CAND_AUDIO                                                                                                    \
	"a=candidate:1 1 UDP 2130706431 192.0.2.101 49170 typ host\r\n"                                              \
	"a=candidate:1 2 UDP 2130706430 192.0.2.101 49171 typ host\r\n"                                              \
	"a=candidate:2 1 UDP 1694498815 198.51.100.7 61234 typ srflx raddr 192.0.2.101 rport 49170\r\n"              \
	"a=candidate:2 2 UDP 1694498814 198.51.100.7 61235 typ srflx raddr 192.0.2.101 rport 49171\r\n"              \
	"a=candidate:3 1 TCP 1518280447 192.0.2.101 9 typ host tcptype active\r\n"                                   \
	"a=candidate:4 1 UDP 41885439 203.0.113.50 3478 typ relay raddr 198.51.100.7 rport 61234\r\n"
#define CAND_VIDEO                                                                                                    \
	"a=candidate:1 1 UDP 2130706431 192.0.2.101 51372 typ host\r\n"                                              \
	"a=candidate:1 2 UDP 2130706430 192.0.2.101 51373 typ host\r\n"                                              \
	"a=candidate:2 1 UDP 1694498815 198.51.100.7 61236 typ srflx raddr 192.0.2.101 rport 51372\r\n"              \
	"a=candidate:2 2 UDP 1694498814 198.51.100.7 61237 typ srflx raddr 192.0.2.101 rport 51373\r\n"              \
	"a=candidate:3 1 TCP 1518280447 192.0.2.101 9 typ host tcptype active\r\n"                                   \
	"a=candidate:4 1 UDP 41885439 203.0.113.50 3479 typ relay raddr 198.51.100.7 rport 61236\r\n"
#define SDP_BIG_SESSION                                                                                               \
	"v=0\r\n"                                                                                                     \
	"o=alice 28908445 28908445 IN IP4 192.0.2.101\r\n"                                                           \
	"s=-\r\n"                                                                                                     \
	"t=0 0\r\n"                                                                                                   \
	"a=group:BUNDLE 0 1\r\n"                                                                                      \
	"a=ice-options:trickle\r\n"                                                                                   \
	"a=fingerprint:sha-256 "                                                                                      \
	"19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\r\n"         \
	"a=ice-ufrag:8hhY\r\n"                                                                                        \
	"a=ice-pwd:asd88fgpdd777uzjYhagZgasd88fgpdd777uzjYhagZgasd88fgpdd777uzjYhagZgasd88fgpdd777\r\n"
#define SDP_BIG_AUDIO                                                                                                 \
	"m=audio 49170 UDP/TLS/RTP/SAVPF 111 9 0 8 101\r\n"                                                          \
	"c=IN IP4 192.0.2.101\r\n"                                                                                    \
	"a=mid:0\r\n"                                                                                                 \
	"a=rtcp-mux\r\n"                                                                                              \
	"a=setup:actpass\r\n"                                                                                         \
	"a=rtpmap:111 opus/48000/2\r\n"                                                                               \
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"                                                                   \
	"a=rtpmap:9 G722/8000\r\n"                                                                                    \
	"a=rtpmap:101 telephone-event/8000\r\n"                                                                       \
	"a=sendrecv\r\n" CAND_AUDIO CAND_AUDIO CAND_AUDIO CAND_AUDIO "a=end-of-candidates\r\n"
#define SDP_BIG_VIDEO                                                                                                 \
	"m=video 51372 UDP/TLS/RTP/SAVPF 96 97 98\r\n"                                                               \
	"c=IN IP4 192.0.2.101\r\n"                                                                                    \
	"a=mid:1\r\n"                                                                                                 \
	"a=rtcp-mux\r\n"                                                                                              \
	"a=setup:actpass\r\n"                                                                                         \
	"a=rtpmap:96 VP8/90000\r\n"                                                                                   \
	"a=rtpmap:97 H264/90000\r\n"                                                                                  \
	"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\n"                                                  \
	"a=rtpmap:98 rtx/90000\r\n"                                                                                   \
	"a=fmtp:98 apt=96\r\n"                                                                                        \
	"a=sendrecv\r\n" CAND_VIDEO CAND_VIDEO CAND_VIDEO CAND_VIDEO "a=end-of-candidates\r\n"
#define SDP_BIG SDP_BIG_SESSION SDP_BIG_AUDIO SDP_BIG_VIDEO
static const char msg_413[] = "INVITE sip:bob@biloxi.example SIP/2.0\r\n" INV_VIA "Max-Forwards: 70\r\n" INV_DIALOG
			      "Content-Length: 4548\r\n"
			      "\r\n" SDP_BIG;
_Static_assert(sizeof(SDP_BIG) - 1 == 4548, "413 body matches its Content-Length");
_Static_assert(sizeof(msg_413) - 1 == 5000, "413 request is 5000 bytes");

/*
 * 414: the INVITE with a 1100-byte Request-URI (default max_request_uri_bytes 1024). Such URIs come from
 * application servers that encode state in a URI parameter; here x-ctx holds 1071 hex digits.
 */
#define HEX63 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"
#define HEX63X17 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63 HEX63
#define RURI_1100 "sip:bob@biloxi.example;x-ctx=" HEX63X17
_Static_assert(sizeof(RURI_1100) - 1 == 1100, "414 Request-URI is 1100 bytes");
static const char msg_414[] = "INVITE " RURI_1100 " SIP/2.0\r\n" INV_VIA "Max-Forwards: 70\r\n" INV_DIALOG
			      "Content-Length: 149\r\n"
			      "\r\n" INV_SDP;
_Static_assert(sizeof(msg_414) - 1 == 600 + 1100 - 22, "414 request length");

/* 420: the INVITE with "Proxy-Require: foo" (an option tag no policy supports; RFC 3261 16.3 step 5, 20.29). */
static const char msg_420[] = "INVITE sip:bob@biloxi.example SIP/2.0\r\n" INV_VIA "Max-Forwards: 70\r\n"
			      "Proxy-Require: foo\r\n" INV_DIALOG "Content-Length: 149\r\n"
			      "\r\n" INV_SDP;
_Static_assert(sizeof(msg_420) - 1 == 620, "420 request length");

/* 483: the INVITE with Max-Forwards: 0, as a request caught in a loop arrives (RFC 3261 16.3 step 3). */
static const char msg_483[] = "INVITE sip:bob@biloxi.example SIP/2.0\r\n" INV_VIA "Max-Forwards: 0\r\n" INV_DIALOG
			      "Content-Length: 149\r\n"
			      "\r\n" INV_SDP;
_Static_assert(sizeof(msg_483) - 1 == 599, "483 request length");

/* The set, in report order. expect_status: 0 = the verdict passes it, else the reply status it must get. */
struct bench_msg {
	const char *name;
	const char *buf;
	uint32_t len;
	uint16_t expect_status;
};

#define BENCH_MSG(n, m, st) { n, m, sizeof(m) - 1, st }
static const struct bench_msg bench_msgs[] = {
	BENCH_MSG("INVITE+SDP", msg_invite, 0),
	BENCH_MSG("REGISTER", msg_register, 0),
	BENCH_MSG("OPTIONS", msg_options, 0),
	BENCH_MSG("400 no Call-ID", msg_400, 400),
	BENCH_MSG("413 too large", msg_413, 413),
	BENCH_MSG("414 long R-URI", msg_414, 414),
	BENCH_MSG("420 Proxy-Require", msg_420, 420),
	BENCH_MSG("483 Max-Forwards 0", msg_483, 483),
};
#undef BENCH_MSG

#endif

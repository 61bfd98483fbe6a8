/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frames built byte by byte from their RFCs (Ethernet II, IEEE 802.1Q/802.1ad, RFC 791 IPv4 with options,
 * RFC 8200 IPv6 with extension headers, RFC 768 UDP), with checksums from a reference one's-complement sum that
 * shares no code with DPDK or the dataplane. Also the EAL start-up the mbuf tests share.
 */
#ifndef TEST_FRAMES_H
#define TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fb_spec {
	int ip_ver;              /* 4 (default when 0) or 6 */
	int nvlan;               /* tags: 0..3; the outer of two or more is 802.1ad (0x88A8) */
	uint16_t vlan_id;        /* of the innermost tag */
	int v4_opt_len;          /* IPv4 option bytes (multiple of 4): NOPs then EOL */
	int v6_dstopts;          /* IPv6: number of 8-byte Destination Options headers before UDP */
	bool v6_hbh;             /* IPv6: a Hop-by-Hop header first */
	uint8_t proto;           /* L4 protocol (default 17) */
	uint16_t sport, dport;   /* default 5062 -> 5060 */
	const void *payload;
	uint32_t len;
	bool zero_udp_cksum;     /* send 0 (no checksum) */
	bool bad_udp_cksum;      /* flip the checksum */
	uint8_t src4[4], dst4[4]; /* default 198.51.100.7 -> 203.0.113.10 */
	uint8_t src6[16], dst6[16]; /* default 2001:db8::7 -> 2001:db8::10 */
	bool set_addrs;          /* use the addresses above instead of the defaults */
	uint8_t tos;             /* IPv4 TOS / IPv6 traffic class */
};

/* Offsets of what fb_build() wrote. */
struct fb_layout {
	size_t l2_len, l3_len, l4_off, payload_off, len;
};

/* Build the frame into out (cap bytes). Returns its length (0 when it does not fit). */
size_t fb_build(const struct fb_spec *s, uint8_t *out, size_t cap, struct fb_layout *lay);

/*
 * Fragment a plain frame (no IPv4 options, no IPv6 extension headers) as a host would (RFC 791 3.2, RFC 8200
 * 4.5): chunk bytes of IP payload per fragment (a multiple of 8), IPv4 identification / IPv6 fragment id `id`.
 * Writes up to max frames of at most 2048 bytes into out, their lengths into lens. Returns the count.
 */
size_t fb_fragment(const uint8_t *frame, size_t len, size_t l2_len, int ip_ver, size_t chunk, uint32_t id,
		   uint8_t (*out)[2048], size_t *lens, size_t max);

/* RFC 1071 sum over len bytes starting from sum (not folded, not complemented). */
uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t ref_fold(uint32_t sum);

/* Verify a plain frame's IPv4 header checksum and its UDP checksum, independently of the code under test. */
bool ref_ipv4_hdr_ok(const uint8_t *ip);
bool ref_udp_ok(const uint8_t *frame, size_t l2_len, size_t l3_len, int ip_ver);

/*
 * Start the EAL for a test (no hugepages, no PCI, no telemetry, a private file prefix). Returns false when it
 * cannot start here (not root, ...): the test should then exit 77.
 */
bool test_eal_init(const char *name);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 decoding (dataplane/l2l4.c): a table of frames built by frames.c from the RFC layouts, each with the class
 * and offsets it must decode to; then every truncation and every byte flip of a few frames, which must never make
 * the decoder claim bytes the frame does not have. Pure functions: no EAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>

#include "cksum.h"
#include "frames.h"
#include "l2l4.h"

#define SIP_OPTIONS "OPTIONS sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK1\r\n\r\n"

static uint8_t buf[4096];

static size_t build(struct fb_spec s, struct fb_layout *lay)
{
	if (!s.payload) {
		s.payload = SIP_OPTIONS;
		s.len = sizeof(SIP_OPTIONS) - 1;
	}
	return fb_build(&s, buf, sizeof(buf), lay);
}

/* ---- the fixture table: how each frame is made, and what it decodes to ---- */

struct l2l4_case {
	const char *name;
	struct fb_spec spec;
	enum dp_l2l4_class cls;
	unsigned nvlan;
	bool cksum_ok;
};

static const struct l2l4_case cases[] = {
	{ "IPv4 UDP", { .ip_ver = 4 }, DP_PKT_UDP, 0, true },
	{ "IPv4 UDP, zero checksum (RFC 768: none)", { .zero_udp_cksum = true }, DP_PKT_UDP, 0, true },
	{ "IPv4 UDP, wrong checksum", { .bad_udp_cksum = true }, DP_PKT_UDP, 0, false },
	{ "IPv4 in 802.1Q", { .nvlan = 1, .vlan_id = 42 }, DP_PKT_UDP, 1, true },
	{ "IPv4 in QinQ (802.1ad + 802.1Q)", { .nvlan = 2, .vlan_id = 42 }, DP_PKT_UDP, 2, true },
	{ "three tags: refused", { .nvlan = 3 }, DP_PKT_BAD_L2, 0, true },
	{ "IPv4 with 8 option bytes", { .v4_opt_len = 8 }, DP_PKT_UDP, 0, true },
	{ "IPv4 with 40 option bytes (IHL 15)", { .v4_opt_len = 40, .nvlan = 1 }, DP_PKT_UDP, 1, true },
	{ "IPv4 TCP: other", { .proto = 6 }, DP_PKT_OTHER, 0, true },
	{ "IPv6 UDP", { .ip_ver = 6 }, DP_PKT_UDP, 0, true },
	{ "IPv6 UDP, zero checksum (RFC 8200 8.1: refused)", { .ip_ver = 6, .zero_udp_cksum = true }, DP_PKT_UDP, 0,
	  false },
	{ "IPv6 UDP, wrong checksum", { .ip_ver = 6, .bad_udp_cksum = true }, DP_PKT_UDP, 0, false },
	{ "IPv6 Hop-by-Hop + 2 Destination Options", { .ip_ver = 6, .v6_hbh = true, .v6_dstopts = 2 }, DP_PKT_UDP, 0,
	  true },
	{ "IPv6 8 extension headers (the limit)", { .ip_ver = 6, .v6_dstopts = 8 }, DP_PKT_UDP, 0, true },
	{ "IPv6 9 extension headers: refused", { .ip_ver = 6, .v6_dstopts = 9 }, DP_PKT_BAD_L3, 0, true },
	{ "IPv6 in QinQ", { .ip_ver = 6, .nvlan = 2 }, DP_PKT_UDP, 2, true },
	{ "IPv6 ICMPv6: other", { .ip_ver = 6, .proto = 58 }, DP_PKT_OTHER, 0, true },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct l2l4_case *c = &cases[i];
		struct fb_layout lay;
		struct dp_l2l4 d;
		size_t len = build(c->spec, &lay);
		enum dp_l2l4_class got = dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d);

		print_message("  %s\n", c->name);
		assert_int_equal(got, c->cls);
		if (got != DP_PKT_UDP)
			continue;
		assert_int_equal(d.nvlan, c->nvlan);
		assert_int_equal(d.l2_len, lay.l2_len);
		assert_int_equal(d.l3_len, lay.l3_len);
		assert_int_equal(d.l4_off, lay.l4_off);
		assert_int_equal(d.payload_off, lay.payload_off);
		assert_int_equal(d.payload_len, sizeof(SIP_OPTIONS) - 1);
		assert_int_equal(d.sport, 5062);
		assert_int_equal(d.dport, 5060);
		assert_int_equal(d.ip_end, len);
		assert_false(d.is_frag);
		assert_int_equal(dp_udp_cksum_ok(buf, &d), c->cksum_ok);
		if (d.ip_ver == 4) {
			assert_true(dp_ipv4_hdr_cksum_ok(buf, &d));
			/* any one bit flipped in the header is caught, by the 20-byte path and with options alike */
			for (uint32_t k = 0; k < d.l3_len; k++)
				for (int bit = 0; bit < 8; bit++) {
					buf[d.l2_len + k] ^= (uint8_t)(1u << bit);
					assert_false(dp_ipv4_hdr_cksum_ok(buf, &d));
					buf[d.l2_len + k] ^= (uint8_t)(1u << bit);
				}
			assert_true(dp_ipv4_hdr_cksum_ok(buf, &d));
		}
	}
}

static void test_not_ip(void **state)
{
	struct dp_l2l4 d;
	size_t len = build((struct fb_spec){ 0 }, NULL);

	(void)state;
	buf[12] = 0x08; /* ARP */
	buf[13] = 0x06;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_OTHER);
	assert_int_equal(d.ip_ver, 0);
}

/* ---- lengths that lie ---- */

static void test_lengths(void **state)
{
	struct fb_layout lay;
	struct dp_l2l4 d;
	size_t len;

	(void)state;
	/* IPv4 total length beyond the frame */
	len = build((struct fb_spec){ 0 }, &lay);
	buf[lay.l2_len + 2] += 1;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* IPv4 total length below the header */
	len = build((struct fb_spec){ 0 }, &lay);
	buf[lay.l2_len + 2] = 0;
	buf[lay.l2_len + 3] = 19;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* UDP length beyond the IP payload */
	len = build((struct fb_spec){ 0 }, &lay);
	buf[lay.l4_off + 5] += 1;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* UDP length below its header */
	len = build((struct fb_spec){ 0 }, &lay);
	buf[lay.l4_off + 4] = 0;
	buf[lay.l4_off + 5] = 7;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* IPv6 payload length beyond the frame */
	len = build((struct fb_spec){ .ip_ver = 6 }, &lay);
	buf[lay.l2_len + 5] += 1;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* IPv6 extension header running past the payload length */
	len = build((struct fb_spec){ .ip_ver = 6, .v6_dstopts = 1 }, &lay);
	buf[lay.l2_len + 40 + 1] = 200;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_LEN);
	/* IHL below 5, and a version that does not match the EtherType */
	len = build((struct fb_spec){ 0 }, &lay);
	buf[lay.l2_len] = 0x44;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_L3);
	buf[lay.l2_len] = 0x65;
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_L3);
}

/* Link padding after the datagram is legal and ignored; a UDP length shorter than IP's is honoured. */
static void test_padding_and_short_udp(void **state)
{
	struct fb_layout lay;
	struct dp_l2l4 d;
	size_t len;

	(void)state;
	len = build((struct fb_spec){ 0 }, &lay);
	memset(buf + len, 0, 20);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len + 20, (uint32_t)len + 20, &d), DP_PKT_UDP);
	assert_int_equal(d.ip_end, len);
	assert_int_equal(d.payload_len, sizeof(SIP_OPTIONS) - 1);
	assert_true(dp_udp_cksum_ok(buf, &d));

	len = build((struct fb_spec){ .zero_udp_cksum = true }, &lay);
	buf[lay.l4_off + 4] = 0;
	buf[lay.l4_off + 5] = 8 + 7; /* only "OPTIONS" */
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	assert_int_equal(d.payload_len, 7);
}

/* ---- fragments ---- */

static void make_v4_fragment(struct fb_layout *lay, uint16_t off8, bool more, uint16_t total)
{
	uint8_t *ip = buf + lay->l2_len;

	ip[6] = (uint8_t)((more ? 0x20 : 0) | (off8 >> 8));
	ip[7] = (uint8_t)off8;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
}

static void test_v4_fragments(void **state)
{
	struct fb_layout lay;
	struct dp_l2l4 d;
	size_t len;

	(void)state;
	len = build((struct fb_spec){ 0 }, &lay);
	make_v4_fragment(&lay, 0, true, (uint16_t)(len - lay.l2_len));
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_FRAG);
	assert_true(d.is_frag && d.frag_first && d.frag_more);
	assert_int_equal(d.frag_off, 0);

	make_v4_fragment(&lay, 10, false, (uint16_t)(len - lay.l2_len));
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_FRAG);
	assert_false(d.frag_first || d.frag_more);
	assert_int_equal(d.frag_off, 80);

	/* a first fragment with 4 bytes of UDP: the header does not fit (tiny fragment) */
	make_v4_fragment(&lay, 0, true, 24);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_FRAG);

	/* a fragment ending past 65535 (ping of death) */
	make_v4_fragment(&lay, 8190, false, (uint16_t)(len - lay.l2_len));
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_BAD_FRAG);

	/* a TCP fragment is not ours */
	len = build((struct fb_spec){ .proto = 6 }, &lay);
	make_v4_fragment(&lay, 10, true, (uint16_t)(len - lay.l2_len));
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_OTHER);
}

/* Insert an IPv6 fragment header (RFC 8200 4.5) right after the base header of the frame in buf. */
static size_t add_v6_fragment(size_t len, const struct fb_layout *lay, uint16_t off, bool more)
{
	uint8_t *ip = buf + lay->l2_len;
	uint16_t plen = (uint16_t)(ip[4] << 8 | ip[5]);
	uint16_t fd = (uint16_t)(off | (more ? 1 : 0));

	memmove(ip + 48, ip + 40, len - lay->l2_len - 40);
	ip[40] = ip[6];
	ip[41] = 0;
	ip[42] = (uint8_t)(fd >> 8);
	ip[43] = (uint8_t)fd;
	memcpy(ip + 44, "\x12\x34\x56\x78", 4);
	ip[6] = 44;
	plen += 8;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	return len + 8;
}

static void test_v6_fragments(void **state)
{
	struct fb_layout lay;
	struct dp_l2l4 d;
	size_t len;

	(void)state;
	len = add_v6_fragment(build((struct fb_spec){ .ip_ver = 6 }, &lay), &lay, 0, true);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_FRAG);
	assert_true(d.frag_first && d.frag_more && d.frag_v6_direct);
	assert_int_equal(d.l3_len, 48);

	/* behind a Destination Options header: a fragment DPDK cannot reassemble */
	len = add_v6_fragment(build((struct fb_spec){ .ip_ver = 6 }, &lay), &lay, 64, false);
	{
		/* make it Dst-Opts + Fragment by hand: shift and prepend an 8-byte option header */
		uint8_t *ip = buf + lay.l2_len;
		uint16_t plen = (uint16_t)(ip[4] << 8 | ip[5]) + 8;

		memmove(ip + 48, ip + 40, len - lay.l2_len - 40);
		memset(ip + 40, 0, 8);
		ip[40] = 44;
		ip[42] = 1;
		ip[43] = 4;
		ip[6] = 60;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		len += 8;
	}
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_FRAG);
	assert_false(d.frag_v6_direct);
	assert_int_equal(d.frag_off, 64);

	/* an atomic fragment (offset 0, M clear; RFC 6946) is a whole datagram */
	len = add_v6_fragment(build((struct fb_spec){ .ip_ver = 6 }, &lay), &lay, 0, false);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	assert_int_equal(d.l3_len, 48);
	assert_true(dp_udp_cksum_ok(buf, &d));
}

/* ---- sources and destinations ---- */

static void test_peers(void **state)
{
	struct fb_layout lay;
	struct sw_peer src, dst;
	struct dp_l2l4 d;
	size_t len;

	(void)state;
	len = build((struct fb_spec){ .nvlan = 1 }, &lay);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	dp_l2l4_src(buf, &d, &src);
	dp_l2l4_dst(buf, &d, &dst);
	assert_int_equal(src.family, 4);
	assert_memory_equal(src.addr, "\xc6\x33\x64\x07", 4);
	assert_int_equal(src.port, 5062);
	assert_memory_equal(dst.addr, "\xcb\x00\x71\x0a", 4);
	assert_int_equal(dst.port, 5060);
	assert_true(dp_l2l4_reply_allowed(buf, &d));

	buf[lay.l2_len + 12] = 224; /* multicast source */
	assert_false(dp_l2l4_reply_allowed(buf, &d));
	buf[lay.l2_len + 12] = 198;
	buf[lay.l2_len + 16] = 255; /* broadcast destination: no source for the reply */
	assert_false(dp_l2l4_reply_allowed(buf, &d));
	buf[lay.l2_len + 16] = 203;
	buf[6] |= 1; /* group MAC source */
	assert_false(dp_l2l4_reply_allowed(buf, &d));
	buf[6] &= (uint8_t)~1;
	d.sport = 0;
	assert_false(dp_l2l4_reply_allowed(buf, &d));

	len = build((struct fb_spec){ .ip_ver = 6 }, &lay);
	assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	dp_l2l4_src(buf, &d, &src);
	assert_int_equal(src.family, 6);
	assert_int_equal(src.addr[15], 7);
	assert_true(dp_l2l4_reply_allowed(buf, &d));
	buf[lay.l2_len + 24] = 0xff; /* to a multicast group */
	assert_false(dp_l2l4_reply_allowed(buf, &d));
}

/* ---- truncation and byte flips: never a claim past the frame ---- */

static const struct fb_spec robust_specs[] = {
	{ .ip_ver = 4, .nvlan = 2, .v4_opt_len = 12 },
	{ .ip_ver = 6, .nvlan = 1, .v6_hbh = true, .v6_dstopts = 2 },
};

static void check_sane(const struct dp_l2l4 *d, enum dp_l2l4_class c, size_t len)
{
	if (c == DP_PKT_UDP) {
		assert_true(d->payload_off + d->payload_len <= len);
		assert_true(d->l4_off + 8 <= len);
		assert_true(d->ip_end <= len);
	}
	if (c == DP_PKT_FRAG)
		assert_true(d->ip_end <= len && d->l2_len + d->l3_len <= len);
}

static void test_truncation(void **state)
{
	(void)state;
	for (size_t s = 0; s < sizeof(robust_specs) / sizeof(robust_specs[0]); s++) {
		struct dp_l2l4 d;
		size_t len = build(robust_specs[s], NULL);

		for (size_t cut = 0; cut < len; cut++) {
			enum dp_l2l4_class c = dp_l2l4_decode(buf, (uint32_t)cut, (uint32_t)cut, &d);

			/* any cut frame lies about a length or misses a header */
			assert_true(c == DP_PKT_BAD_L2 || c == DP_PKT_BAD_L3 || c == DP_PKT_BAD_LEN);
		}
		/* headers split from the payload (a chained mbuf): the first segment must hold every header */
		for (size_t seg = 0; seg < 14; seg++)
			assert_int_equal(dp_l2l4_decode(buf, (uint32_t)seg, (uint32_t)len, &d), DP_PKT_BAD_L2);
	}
}

/*
 * Is byte i of the frame covered by the UDP checksum: a pseudo-header address or the datagram, its checksum field
 * aside (a flip there can make it 0, "none" over IPv4)?
 */
static bool cksum_covers(const struct dp_l2l4 *d, size_t i)
{
	size_t ip = d->l2_len, a0 = ip + (d->ip_ver == 4 ? 12 : 8), a1 = a0 + (d->ip_ver == 4 ? 8 : 32);

	if (i >= a0 && i < a1)
		return true;
	return i >= d->l4_off && i < d->l4_off + d->udp_len && i != d->l4_off + 6 && i != d->l4_off + 7;
}

static void test_byte_flips(void **state)
{
	static uint8_t orig[4096];

	(void)state;
	for (size_t s = 0; s < sizeof(robust_specs) / sizeof(robust_specs[0]); s++) {
		size_t len = build(robust_specs[s], NULL);
		struct dp_l2l4 d0;

		memcpy(orig, buf, len);
		assert_int_equal(dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d0), DP_PKT_UDP);
		assert_true(dp_udp_cksum_ok(buf, &d0));
		for (size_t i = 0; i < len; i++) {
			for (unsigned v = 0; v < 3; v++) {
				static const uint8_t flips[] = { 0xff, 0x80, 0x01 };
				struct dp_l2l4 d;
				enum dp_l2l4_class c;

				memcpy(buf, orig, len);
				buf[i] ^= flips[v];
				c = dp_l2l4_decode(buf, (uint32_t)len, (uint32_t)len, &d);
				check_sane(&d, c, len);
				if (c != DP_PKT_UDP)
					continue;
				/* one flipped byte the checksum covers, the layout unchanged: the sum must see it */
				if (d.l2_len == d0.l2_len && d.l4_off == d0.l4_off && d.udp_len == d0.udp_len &&
				    cksum_covers(&d0, i))
					assert_false(dp_udp_cksum_ok(buf, &d));
				else
					(void)dp_udp_cksum_ok(buf, &d);
			}
		}
	}
}

/* dp_l2l4_decode_fast() against dp_l2l4_decode() on one frame: the same class and, for UDP, the same fields. */
static void same_decode(const uint8_t *f, uint32_t seg, uint32_t len)
{
	struct dp_l2l4 a, b;
	enum dp_l2l4_class ca, cb;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ca = dp_l2l4_decode(f, seg, len, &a);
	cb = dp_l2l4_decode_fast(f, seg, len, &b);
	assert_int_equal(ca, cb);
	assert_int_equal(a.l2_len, b.l2_len);
	assert_int_equal(a.nvlan, b.nvlan);
	assert_int_equal(a.ip_ver, b.ip_ver);
	assert_int_equal(a.l3_len, b.l3_len);
	assert_int_equal(a.l4_proto, b.l4_proto);
	assert_int_equal(a.is_frag, b.is_frag);
	assert_int_equal(a.frag_first, b.frag_first);
	assert_int_equal(a.frag_more, b.frag_more);
	assert_int_equal(a.frag_v6_direct, b.frag_v6_direct);
	assert_int_equal(a.frag_off, b.frag_off);
	assert_int_equal(a.ip_end, b.ip_end);
	assert_int_equal(a.l4_off, b.l4_off);
	assert_int_equal(a.udp_len, b.udp_len);
	assert_int_equal(a.sport, b.sport);
	assert_int_equal(a.dport, b.dport);
	assert_int_equal(a.payload_off, b.payload_off);
	assert_int_equal(a.payload_len, b.payload_len);
}

/*
 * The inline decoder of the usual frame (Ethernet, IPv4 without options, UDP) gives what the general one gives: on
 * every table frame, every truncation and split into segments of a plain IPv4 frame, and every byte of its headers
 * set to each of a few values (the fields it tests and the ones it does not).
 */
static void test_decode_fast(void **state)
{
	static uint8_t orig[4096];
	static const uint8_t vals[] = { 0x00, 0x01, 0x07, 0x08, 0x11, 0x14, 0x1c, 0x20, 0x40, 0x45, 0x46, 0x81, 0xff };
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = build(cases[i].spec, NULL);
		same_decode(buf, (uint32_t)len, (uint32_t)len);
	}
	for (size_t s = 0; s < sizeof(robust_specs) / sizeof(robust_specs[0]); s++) {
		len = build(robust_specs[s], NULL);
		same_decode(buf, (uint32_t)len, (uint32_t)len);
	}
	len = build((struct fb_spec){ .ip_ver = 4 }, NULL);
	memcpy(orig, buf, len);
	for (size_t cut = 0; cut <= len; cut++) {
		same_decode(buf, (uint32_t)cut, (uint32_t)cut);
		same_decode(buf, (uint32_t)cut, (uint32_t)len);     /* headers maybe split from the payload */
		same_decode(buf, (uint32_t)len, (uint32_t)cut);     /* a segment longer than the packet */
		same_decode(buf, (uint32_t)len + 20, (uint32_t)cut + 20); /* link padding */
	}
	for (size_t i = 0; i < 48 && i < len; i++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(buf, orig, len);
			buf[i] = vals[v];
			same_decode(buf, (uint32_t)len, (uint32_t)len);
			same_decode(buf, (uint32_t)len - 5, (uint32_t)len - 5);
			buf[i] = (uint8_t)(orig[i] ^ vals[v]);
			same_decode(buf, (uint32_t)len, (uint32_t)len);
		}
	/* total and UDP lengths around their limits */
	for (uint32_t t = 0; t < 40; t++)
		for (uint32_t u = 0; u < 40; u++) {
			uint32_t tl = (uint32_t)len - 14 - 20 + t, ul = (uint32_t)len - 34 - 20 + u;

			memcpy(buf, orig, len);
			buf[16] = (uint8_t)(tl >> 8);
			buf[17] = (uint8_t)tl;
			buf[38] = (uint8_t)(ul >> 8);
			buf[39] = (uint8_t)ul;
			same_decode(buf, (uint32_t)len, (uint32_t)len);
			buf[16] = 0;
			buf[17] = (uint8_t)(20 + t);
			buf[38] = 0;
			buf[39] = (uint8_t)u;
			same_decode(buf, (uint32_t)len, (uint32_t)len);
		}
}

#if defined(__AVX2__)
/* The SSE2 steps, which a build with AVX2 does not pick: checked here as well. */
static uint64_t sum_sse2(const uint8_t *p, uint32_t len, uint64_t sum)
{
	const uint8_t *unused = p;

	if (len >= 32)
		DP_CKSUM_BLOCKS_SSE2(p, unused, len, sum, false);
	(void)unused;
	return dp_cksum_tail(p, len, sum);
}
#endif

/* n bytes of xorshift64 output (state *x), or all 0xff (the most carries) when ff. */
static void fill_bytes(uint8_t *p, size_t n, int ff, uint64_t *x)
{
	for (size_t i = 0; i < n; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		p[i] = ff ? 0xff : (uint8_t)*x;
	}
}

/* The fold as it was (a 32-bit fold then three 16-bit ones): dp_cksum_fold() in fewer steps must equal it. */
static uint16_t fold_ref(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/*
 * dp_cksum_fold() against the reference fold: 0, the values around every power of two and around multiples of
 * 0xffff (where 0 and 0xffff could be confused), the largest sums, and random 64-bit values; dp_cksum_sum20()
 * against dp_cksum_sum() over 20 random bytes at every alignment, and over 0xff bytes.
 */
static void test_cksum_fold(void **state)
{
	static uint8_t buf[24 + 8];
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	for (int b = 0; b < 64; b++)
		for (int64_t d = -3; d <= 3; d++) {
			uint64_t v = (1ull << b) + (uint64_t)d;

			assert_int_equal(dp_cksum_fold(v), fold_ref(v));
			assert_int_equal(dp_cksum_fold(~v), fold_ref(~v));
		}
	for (uint64_t k = 0; k < 70000; k++)
		for (int64_t d = -1; d <= 1; d++) {
			uint64_t v = k * 0xffffu + (uint64_t)d, w = v * 0x10001u + (v << 32);

			assert_int_equal(dp_cksum_fold(v), fold_ref(v));
			assert_int_equal(dp_cksum_fold(w), fold_ref(w));
		}
	assert_int_equal(dp_cksum_fold(0), 0);
	assert_int_equal(dp_cksum_fold(UINT64_MAX), fold_ref(UINT64_MAX));
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		assert_int_equal(dp_cksum_fold(x), fold_ref(x));
		assert_int_equal(dp_cksum_fold(x >> (i & 63)), fold_ref(x >> (i & 63)));
	}
	for (int fill = 0; fill < 2; fill++)
		for (int round = 0; round < 1000; round++) {
			fill_bytes(buf, sizeof(buf), fill, &x);
			for (uint32_t off = 0; off < 8; off++)
				assert_int_equal(dp_cksum_fold(dp_cksum_sum20(buf + off)),
						 dp_cksum_fold(dp_cksum_sum(buf + off, 20, 0)));
		}
}

/*
 * cksum.h against DPDK's reference sum: every length 0..700 at every alignment 0..3, over random bytes and over
 * 0xff bytes (the most carries); the copy must copy exactly len bytes, nothing past them, and sum the same. A build
 * with AVX2 compares the SSE2 steps too. Lengths up to 700 take every mix of 256-, 64- and 32-byte steps and tail.
 */
static void test_cksum_sum(void **state)
{
	static uint8_t src[704 + 4], dst[704 + 8];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		fill_bytes(src, sizeof(src), fill, &x);
		for (uint32_t off = 0; off < 4; off++)
			for (uint32_t len = 0; len <= 700; len++) {
				uint16_t want = __rte_raw_cksum_reduce(__rte_raw_cksum(src + off, len, 0x1234));

				assert_int_equal(dp_cksum_fold(dp_cksum_sum(src + off, len, 0x1234)), want);
#if defined(DP_CKSUM_HAVE_AVX2)
				if (__builtin_cpu_supports("avx2"))
					assert_int_equal(dp_cksum_fold(dp_cksum_sum_avx2(src + off, len, 0x1234)), want);
#endif
#if defined(__AVX2__)
				assert_int_equal(dp_cksum_fold(sum_sse2(src + off, len, 0x1234)), want);
#endif
				memset(dst, 0xa5, sizeof(dst));
				assert_int_equal(dp_cksum_fold(dp_cksum_copy(dst + 1, src + off, len, 0x1234)), want);
				assert_memory_equal(dst + 1, src + off, len);
				assert_int_equal(dst[0], 0xa5);
				for (size_t k = 1 + len; k < sizeof(dst); k++)
					assert_int_equal(dst[k], 0xa5);
			}
	}
}

/*
 * Whole datagrams up to 64 KB (a 413's 5,000 bytes), all 0xff and random: the steps' 32-bit lanes do not overflow.
 * And every length from 1,020 to 1,300: the AVX-512 VNNI blocks of long sums (from 1,024 bytes, where built with
 * them) followed by every rest the AVX2 steps and the tail take.
 */
static void test_cksum_sum_long(void **state)
{
	static uint8_t src[65536 + 4], dst[65536 + 8];
	static const uint32_t lens[] = { 1000, 4999, 5000, 9001, 65000, 65535 };
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		fill_bytes(src, sizeof(src), fill, &x);
		for (uint32_t off = 0; off < 4; off++)
			for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				uint32_t len = lens[i];
				uint16_t want = __rte_raw_cksum_reduce(__rte_raw_cksum(src + off, len, 0x1234));

				assert_int_equal(dp_cksum_fold(dp_cksum_sum(src + off, len, 0x1234)), want);
				memset(dst, 0xa5, sizeof(dst));
				assert_int_equal(dp_cksum_fold(dp_cksum_copy(dst + 1, src + off, len, 0x1234)), want);
				assert_memory_equal(dst + 1, src + off, len);
				assert_int_equal(dst[1 + len], 0xa5);
			}
		for (uint32_t off = 0; off < 4; off++)
			for (uint32_t len = 1020; len <= 1300; len++)
				assert_int_equal(dp_cksum_fold(dp_cksum_sum(src + off, len, 0x1234)),
						 __rte_raw_cksum_reduce(__rte_raw_cksum(src + off, len, 0x1234)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_padding_and_short_udp),
		cmocka_unit_test(test_v4_fragments),
		cmocka_unit_test(test_v6_fragments),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_decode_fast),
		cmocka_unit_test(test_cksum_sum),
		cmocka_unit_test(test_cksum_fold),
		cmocka_unit_test(test_cksum_sum_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

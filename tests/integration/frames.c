/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frame builder and reference checksums (see frames.h). Written from the RFCs' byte layouts on purpose:
 * nothing here calls DPDK's checksum helpers, so a test compares two independent implementations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "frames.h"
#include "port.h"

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t def_src4[4] = { 198, 51, 100, 7 };
static const uint8_t def_dst4[4] = { 203, 0, 113, 10 };
static const uint8_t def_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x07 };
static const uint8_t def_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };

uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t put_l2(const struct fb_spec *s, uint8_t *o)
{
	size_t off = 12;

	memcpy(o, mac_dst, 6);
	memcpy(o + 6, mac_src, 6);
	for (int i = 0; i < s->nvlan; i++) {
		put16(o + off, (s->nvlan > 1 && i == 0) ? 0x88a8 : 0x8100);
		put16(o + off + 2, i == s->nvlan - 1 ? s->vlan_id : (uint16_t)(100 + i));
		off += 4;
	}
	put16(o + off, s->ip_ver == 6 ? 0x86dd : 0x0800);
	return off + 2;
}

static size_t put_ipv4(const struct fb_spec *s, uint8_t *ip, size_t l4_len)
{
	size_t hl = 20 + (size_t)s->v4_opt_len;

	memset(ip, 0, hl);
	ip[0] = (uint8_t)(0x40 | (hl / 4));
	ip[1] = s->tos;
	put16(ip + 2, (uint16_t)(hl + l4_len));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = s->proto ? s->proto : 17;
	memcpy(ip + 12, s->set_addrs ? s->src4 : def_src4, 4);
	memcpy(ip + 16, s->set_addrs ? s->dst4 : def_dst4, 4);
	for (int i = 0; i < s->v4_opt_len; i++)
		ip[20 + i] = i == s->v4_opt_len - 1 ? 0 /* EOL */ : 1 /* NOP */;
	put16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, hl, 0)));
	return hl;
}

static size_t put_ipv6(const struct fb_spec *s, uint8_t *ip, size_t l4_len)
{
	uint8_t proto = s->proto ? s->proto : 17;
	size_t off = 40;
	int next_hdrs = s->v6_dstopts + (s->v6_hbh ? 1 : 0);

	memset(ip, 0, 40);
	ip[0] = (uint8_t)(0x60 | (s->tos >> 4));
	ip[1] = (uint8_t)(s->tos << 4);
	ip[6] = s->v6_hbh ? 0 : s->v6_dstopts ? 60 : proto;
	ip[7] = 64;
	memcpy(ip + 8, s->set_addrs ? s->src6 : def_src6, 16);
	memcpy(ip + 24, s->set_addrs ? s->dst6 : def_dst6, 16);
	for (int i = 0; i < next_hdrs; i++) {
		bool last = i == next_hdrs - 1;

		memset(ip + off, 0, 8);
		ip[off] = last ? proto : 60;
		ip[off + 1] = 0;     /* 8 bytes */
		ip[off + 2] = 1;     /* PadN */
		ip[off + 3] = 4;
		off += 8;
	}
	put16(ip + 4, (uint16_t)(off - 40 + l4_len));
	return off;
}

size_t fb_build(const struct fb_spec *in, uint8_t *o, size_t cap, struct fb_layout *lay)
{
	struct fb_spec s = *in;
	size_t l2, l3, l4_len = 8 + s.len;
	uint8_t *u;

	if (!s.ip_ver)
		s.ip_ver = 4;
	if (!s.sport)
		s.sport = 5062;
	if (!s.dport)
		s.dport = 5060;
	if (cap < 14 + 12 + 40 + 64 + l4_len)
		return 0;
	l2 = put_l2(&s, o);
	l3 = s.ip_ver == 4 ? put_ipv4(&s, o + l2, l4_len) : put_ipv6(&s, o + l2, l4_len);
	u = o + l2 + l3;
	put16(u, s.sport);
	put16(u + 2, s.dport);
	put16(u + 4, (uint16_t)l4_len);
	put16(u + 6, 0);
	if (s.len)
		memcpy(u + 8, s.payload, s.len);
	if (!s.zero_udp_cksum) {
		uint32_t sum;
		uint16_t ck;

		if (s.ip_ver == 4)
			sum = ref_sum(o + l2 + 12, 8, 0);
		else
			sum = ref_sum(o + l2 + 8, 32, 0);
		sum += 17 + (uint32_t)l4_len;
		ck = (uint16_t)~ref_fold(ref_sum(u, l4_len, sum));
		if (ck == 0)
			ck = 0xffff;
		if (s.bad_udp_cksum)
			ck ^= 0x5a5a;
		put16(u + 6, ck);
	}
	if (lay) {
		lay->l2_len = l2;
		lay->l3_len = l3;
		lay->l4_off = l2 + l3;
		lay->payload_off = l2 + l3 + 8;
		lay->len = l2 + l3 + l4_len;
	}
	return l2 + l3 + l4_len;
}

static size_t fragment_v4(const uint8_t *frame, size_t l2, const uint8_t *data, size_t dlen, size_t off,
			  bool more, uint32_t id, uint8_t *o)
{
	uint8_t *ip = o + l2;
	uint16_t fo = (uint16_t)((more ? 0x2000 : 0) | (off / 8));

	memcpy(o, frame, l2 + 20);
	put16(ip + 2, (uint16_t)(20 + dlen));
	put16(ip + 4, (uint16_t)id);
	put16(ip + 6, fo);
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, 20, 0)));
	memcpy(ip + 20, data, dlen);
	return l2 + 20 + dlen;
}

static size_t fragment_v6(const uint8_t *frame, size_t l2, const uint8_t *data, size_t dlen, size_t off,
			  bool more, uint32_t id, uint8_t *o)
{
	uint8_t *ip = o + l2;

	memcpy(o, frame, l2 + 40);
	put16(ip + 4, (uint16_t)(8 + dlen));
	ip[6] = 44;
	ip[40] = frame[l2 + 6];
	ip[41] = 0;
	put16(ip + 42, (uint16_t)(off | (more ? 1 : 0)));
	put16(ip + 44, (uint16_t)(id >> 16));
	put16(ip + 46, (uint16_t)id);
	memcpy(ip + 48, data, dlen);
	return l2 + 48 + dlen;
}

size_t fb_fragment(const uint8_t *frame, size_t len, size_t l2_len, int ip_ver, size_t chunk, uint32_t id,
		   uint8_t (*out)[2048], size_t *lens, size_t max)
{
	size_t hl = ip_ver == 4 ? 20 : 40;
	const uint8_t *data = frame + l2_len + hl;
	size_t dlen = len - l2_len - hl, n = 0;

	for (size_t off = 0; off < dlen && n < max; off += chunk, n++) {
		size_t c = dlen - off < chunk ? dlen - off : chunk;
		bool more = off + c < dlen;

		lens[n] = ip_ver == 4 ? fragment_v4(frame, l2_len, data + off, c, off, more, id, out[n])
				      : fragment_v6(frame, l2_len, data + off, c, off, more, id, out[n]);
	}
	return n;
}

bool ref_ipv4_hdr_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(ip, (size_t)(ip[0] & 15) * 4, 0)) == 0xffff;
}

bool ref_udp_ok(const uint8_t *frame, size_t l2_len, size_t l3_len, int ip_ver)
{
	const uint8_t *ip = frame + l2_len, *u = ip + l3_len;
	uint16_t ulen = (uint16_t)(u[4] << 8 | u[5]);
	uint32_t sum;

	if (u[6] == 0 && u[7] == 0)
		return ip_ver == 4;
	sum = ip_ver == 4 ? ref_sum(ip + 12, 8, 0) : ref_sum(ip + 8, 32, 0);
	sum += 17 + ulen;
	return ref_fold(ref_sum(u, ulen, sum)) == 0xffff;
}

bool test_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = { (char *)name, "--no-huge", "-m", "128", "--no-pci", "--no-telemetry", "--no-shconf", "--log-level", "3",
			 "--file-prefix", prefix, NULL };

	snprintf(prefix, sizeof(prefix), "%s%d", name, (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "%s: EAL cannot start here (needs root): skipped\n", name);
		return false;
	}
	atexit(dp_eal_cleanup); /* test runs leave nothing in /var/run/dpdk */
	return true;
}

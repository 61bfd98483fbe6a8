/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 decoding (see l2l4.h). Every multi-byte field is read big-endian through rd16()/rd32() so nothing here
 * depends on alignment: VLAN tags and IPv4 options put the headers at any offset.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "cksum.h"
#include "l2l4.h"

#define ETH_HDR_LEN 14u
#define VLAN_TAG_LEN 4u
#define IPV4_MIN_HDR 20u
#define IPV6_HDR_LEN 40u
#define UDP_HDR_LEN 8u
#define IP_MAX_DATAGRAM 65535u

#define ET_IPV4 0x0800
#define ET_IPV6 0x86DD
#define ET_VLAN 0x8100
#define ET_QINQ 0x88A8
#define ET_QINQ_OLD 0x9100

#define IPPROTO_UDP_ 17
#define V6_HOPOPTS 0
#define V6_ROUTING 43
#define V6_FRAGMENT 44
#define V6_ESP 50
#define V6_AH 51
#define V6_NONE 59
#define V6_DSTOPTS 60
#define V6_MOBILITY 135
#define V6_HIP 139
#define V6_SHIM6 140
#define V6_EXP1 253
#define V6_EXP2 254

static const char *const class_names[DP_PKT__COUNT] = {
	[DP_PKT_UDP] = "udp",
	[DP_PKT_FRAG] = "fragment",
	[DP_PKT_OTHER] = "other",
	[DP_PKT_BAD_L2] = "bad_l2",
	[DP_PKT_BAD_L3] = "bad_l3",
	[DP_PKT_BAD_LEN] = "bad_len",
	[DP_PKT_BAD_FRAG] = "bad_frag",
};

const char *dp_l2l4_class_name(enum dp_l2l4_class c)
{
	return (unsigned)c < DP_PKT__COUNT ? class_names[c] : "?";
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet and up to DP_MAX_VLANS tags. Returns the inner EtherType, or -1 when truncated / too many tags. */
static int decode_l2(const uint8_t *f, uint32_t seg_len, struct dp_l2l4 *d)
{
	uint32_t off = 12;
	uint16_t et;

	if (seg_len < ETH_HDR_LEN)
		return -1;
	et = rd16(f + off);
	while (et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD) {
		if (d->nvlan == DP_MAX_VLANS || off + 2 + VLAN_TAG_LEN > seg_len)
			return -1;
		d->nvlan++;
		off += VLAN_TAG_LEN;
		et = rd16(f + off);
	}
	d->l2_len = (uint16_t)(off + 2);
	return et;
}

/* UDP header of a whole (unfragmented or reassembled) datagram whose IP payload is [l4_off, ip_end). */
static enum dp_l2l4_class decode_udp(uint32_t seg_len, const uint8_t *f, struct dp_l2l4 *d)
{
	uint32_t ip_payload = d->ip_end - d->l4_off;
	const uint8_t *u = f + d->l4_off;

	if (ip_payload < UDP_HDR_LEN)
		return DP_PKT_BAD_LEN;
	if (d->l4_off + UDP_HDR_LEN > seg_len)
		return DP_PKT_BAD_L3;
	d->sport = rd16(u);
	d->dport = rd16(u + 2);
	d->udp_len = rd16(u + 4);
	/*
	 * A UDP length above what IP carries is a lie. One below it is legal (RFC 768 leaves it open; Linux trims the
	 * datagram to it): the payload and the checksum then cover udp_len bytes only, as at the receiver.
	 */
	if (d->udp_len < UDP_HDR_LEN || d->udp_len > ip_payload)
		return DP_PKT_BAD_LEN;
	d->payload_off = d->l4_off + UDP_HDR_LEN;
	d->payload_len = d->udp_len - UDP_HDR_LEN;
	return DP_PKT_UDP;
}

static enum dp_l2l4_class decode_ipv4(const uint8_t *f, uint32_t seg_len, uint32_t pkt_len, struct dp_l2l4 *d)
{
	const uint8_t *ip = f + d->l2_len;
	uint32_t ihl, total, fo;

	if (d->l2_len + IPV4_MIN_HDR > seg_len)
		return DP_PKT_BAD_L3;
	ihl = (ip[0] & 0x0f) * 4u;
	if ((ip[0] >> 4) != 4 || ihl < IPV4_MIN_HDR)
		return DP_PKT_BAD_L3;
	if (d->l2_len + ihl > seg_len)
		return DP_PKT_BAD_L3;
	total = rd16(ip + 2);
	if (total < ihl || d->l2_len + total > pkt_len)
		return DP_PKT_BAD_LEN;
	d->ip_ver = 4;
	d->l3_len = (uint16_t)ihl;
	d->l4_proto = ip[9];
	d->ip_end = d->l2_len + total;
	d->l4_off = d->l2_len + ihl;
	fo = rd16(ip + 6);
	if (fo & 0x3fff) { /* MF or an offset: a fragment */
		d->is_frag = true;
		d->frag_more = (fo & 0x2000) != 0;
		d->frag_off = (uint16_t)((fo & 0x1fff) * 8u);
		d->frag_first = d->frag_off == 0;
		if (d->frag_off + (total - ihl) > IP_MAX_DATAGRAM)
			return DP_PKT_BAD_FRAG;
		if (d->l4_proto != IPPROTO_UDP_)
			return DP_PKT_OTHER;
		/* a first fragment must carry the whole UDP header (RFC 1858's tiny-fragment rule, for UDP) */
		if (d->frag_first && total - ihl < UDP_HDR_LEN)
			return DP_PKT_BAD_FRAG;
		return DP_PKT_FRAG;
	}
	if (d->l4_proto != IPPROTO_UDP_)
		return DP_PKT_OTHER;
	return decode_udp(seg_len, f, d);
}

static bool v6_is_ext(uint8_t nh)
{
	switch (nh) {
	case V6_HOPOPTS: case V6_ROUTING: case V6_FRAGMENT: case V6_AH: case V6_DSTOPTS:
	case V6_MOBILITY: case V6_HIP: case V6_SHIM6: case V6_EXP1: case V6_EXP2:
		return true;
	default:
		return false;
	}
}

/*
 * A fragment header at off (RFC 8200 4.5). An atomic fragment (offset 0, M clear: RFC 6946) is not a fragment: the
 * walk goes on. Returns -1 to continue the walk, else the class.
 */
static int v6_fragment(const uint8_t *f, uint32_t off, struct dp_l2l4 *d)
{
	const uint8_t *h = f + off;
	uint16_t fd = rd16(h + 2);
	uint32_t frag_payload = d->ip_end - (off + 8);

	d->frag_off = (uint16_t)(fd & 0xfff8);
	d->frag_more = (fd & 1) != 0;
	if (d->frag_off == 0 && !d->frag_more)
		return -1;
	d->is_frag = true;
	d->frag_first = d->frag_off == 0;
	d->frag_v6_direct = off == d->l2_len + IPV6_HDR_LEN;
	d->l3_len = (uint16_t)(off + 8 - d->l2_len);
	d->l4_proto = h[0];
	d->l4_off = off + 8;
	if (d->frag_off + frag_payload > IP_MAX_DATAGRAM)
		return DP_PKT_BAD_FRAG;
	if (h[0] != IPPROTO_UDP_ && !v6_is_ext(h[0]))
		return DP_PKT_OTHER;
	if (d->frag_first && h[0] == IPPROTO_UDP_ && frag_payload < UDP_HDR_LEN)
		return DP_PKT_BAD_FRAG;
	return DP_PKT_FRAG;
}

static enum dp_l2l4_class decode_ipv6(const uint8_t *f, uint32_t seg_len, uint32_t pkt_len, struct dp_l2l4 *d)
{
	const uint8_t *ip = f + d->l2_len;
	uint32_t off = d->l2_len + IPV6_HDR_LEN;
	uint8_t nh;

	if (off > seg_len || (ip[0] >> 4) != 6)
		return DP_PKT_BAD_L3;
	d->ip_ver = 6;
	d->ip_end = off + rd16(ip + 4);
	if (d->ip_end > pkt_len)
		return DP_PKT_BAD_LEN;
	nh = ip[6];
	for (unsigned n = 0; v6_is_ext(nh); n++) {
		uint32_t len;
		int r;

		if (n == DP_MAX_V6_EXT || (nh == V6_HOPOPTS && n != 0))
			return DP_PKT_BAD_L3;
		if (off + 8 > d->ip_end)
			return DP_PKT_BAD_LEN;
		if (off + 8 > seg_len)
			return DP_PKT_BAD_L3;
		if (nh == V6_FRAGMENT) {
			r = v6_fragment(f, off, d);
			if (r >= 0)
				return (enum dp_l2l4_class)r;
			len = 8;
		} else {
			len = nh == V6_AH ? (f[off + 1] + 2u) * 4u : (f[off + 1] + 1u) * 8u;
		}
		nh = f[off];
		off += len;
		if (off > d->ip_end)
			return DP_PKT_BAD_LEN;
	}
	d->l3_len = (uint16_t)(off - d->l2_len);
	d->l4_proto = nh;
	d->l4_off = off;
	if (nh != IPPROTO_UDP_)
		return DP_PKT_OTHER; /* TCP, ICMPv6, ESP, No Next Header, ... */
	return decode_udp(seg_len, f, d);
}

enum dp_l2l4_class dp_l2l4_decode(const uint8_t *frame, uint32_t seg_len, uint32_t pkt_len, struct dp_l2l4 *d)
{
	int et;

	memset(d, 0, sizeof(*d));
	if (seg_len > pkt_len)
		seg_len = pkt_len;
	et = decode_l2(frame, seg_len, d);
	if (et < 0)
		return DP_PKT_BAD_L2;
	if (et == ET_IPV4)
		return decode_ipv4(frame, seg_len, pkt_len, d);
	if (et == ET_IPV6)
		return decode_ipv6(frame, seg_len, pkt_len, d);
	return DP_PKT_OTHER;
}

/*
 * Pseudo-header sum (not folded) for a UDP datagram of udp_len bytes. The addresses (dp_cksum_addrs), then the
 * length and next-header words, which in native order are the byte-swapped udp_len and protocol (the v4 form sums
 * to the same 16-bit words).
 */
static uint64_t pseudo_sum(const uint8_t *frame, const struct dp_l2l4 *d)
{
	const uint8_t *ip = frame + d->l2_len;
	uint64_t sum = (uint64_t)rte_cpu_to_be_16(d->udp_len) + rte_cpu_to_be_16(IPPROTO_UDP_);

	return dp_cksum_addrs(ip, d->ip_ver, sum);
}

static bool cksum_zero_ok(const uint8_t *frame, const struct dp_l2l4 *d, bool *done)
{
	const uint8_t *u = frame + d->l4_off;

	*done = u[6] == 0 && u[7] == 0;
	return d->ip_ver == 4; /* RFC 768: no checksum; RFC 8200 8.1: mandatory over IPv6 */
}

/*
 * The sum over a received datagram: with AVX2 steps when the CPU has them though the build does not (libdpdk's
 * -march=corei7, see cksum.h), chosen once at load time, as DPDK picks its own SIMD paths by CPU flag.
 */
#if defined(DP_CKSUM_HAVE_AVX2)
static uint64_t dgram_sum_sse2(const void *buf, uint32_t len, uint64_t sum)
{
	return dp_cksum_sum(buf, len, sum);
}

static uint64_t (*dgram_sum)(const void *, uint32_t, uint64_t) = dgram_sum_sse2;

__attribute__((constructor)) static void dgram_sum_pick(void)
{
	__builtin_cpu_init(); /* constructors may run before libgcc's own */
	if (__builtin_cpu_supports("avx2"))
		dgram_sum = dp_cksum_sum_avx2;
}
#else
#define dgram_sum dp_cksum_sum
#endif

bool dp_udp_cksum_ok(const uint8_t *frame, const struct dp_l2l4 *d)
{
	bool zero;
	bool ok = cksum_zero_ok(frame, d, &zero);

	if (zero)
		return ok;
	/* dp_cksum_sum(): 32 bytes a step, where __rte_raw_cksum takes 2 (see cksum.h) */
	return dp_cksum_fold(dgram_sum(frame + d->l4_off, d->udp_len, pseudo_sum(frame, d))) == 0xffff;
}

bool dp_udp_cksum_ok_mbuf(const struct rte_mbuf *m, const struct dp_l2l4 *d)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	bool zero;
	bool ok = cksum_zero_ok(frame, d, &zero);
	uint16_t raw;
	uint32_t sum;

	if (zero)
		return ok;
	if (m->nb_segs == 1)
		return dp_udp_cksum_ok(frame, d);
	if (rte_raw_cksum_mbuf(m, d->l4_off, d->udp_len, &raw) != 0)
		return false;
	/* rte_raw_cksum_mbuf folds but does not complement; add the pseudo-header and fold again */
	sum = dp_cksum_fold(pseudo_sum(frame, d)) + (uint32_t)raw; /* folded: the same value modulo 0xffff */
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

void dp_l2l4_dst(const uint8_t *frame, const struct dp_l2l4 *d, struct sw_peer *dst)
{
	dp_l2l4_peer_at(frame, d, false, dst);
}

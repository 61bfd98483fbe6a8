/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 decoding: one pass over Ethernet, up to two VLAN tags, IPv4 (options) or IPv6 (extension headers) and UDP,
 * producing offsets only. Every length field is checked against the frame before it is trusted; nothing is copied
 * and nothing is written. Pure functions of the bytes, so the unit tests feed them plain buffers.
 */
#ifndef DP_L2L4_H
#define DP_L2L4_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cksum.h"
#include "sw_verdict.h"

struct rte_mbuf;

#define DP_MAX_VLANS 2   /* 802.1Q, or QinQ (802.1ad / 0x9100 outer + 802.1Q inner); a third tag is refused */
#define DP_MAX_V6_EXT 8  /* IPv6 extension headers walked before the datagram is refused (evasion bound) */

/* What a frame is, for the worker. Keep in step with dp_l2l4_class_name(). */
enum dp_l2l4_class {
	DP_PKT_UDP = 0,  /* a whole UDP datagram: every field below is valid */
	DP_PKT_FRAG,     /* an IP fragment that may carry UDP: l2/l3 fields and frag_* are valid */
	DP_PKT_OTHER,    /* not IP, or IP carrying something other than UDP: forwarded untouched */
	DP_PKT_BAD_L2,   /* truncated Ethernet or VLAN header, or more than DP_MAX_VLANS tags */
	DP_PKT_BAD_L3,   /* IP header truncated, wrong version, IHL < 5, extension header chain too long */
	DP_PKT_BAD_LEN,  /* a length field that lies: IPv4 total length, IPv6 payload length or UDP length */
	DP_PKT_BAD_FRAG, /* fragment that ends past 65535, or a first fragment too short for the UDP header */
	DP_PKT__COUNT
};

/*
 * Offsets are from the first byte of the frame. Ports in host byte order. For DP_PKT_UDP the payload is
 * [payload_off, payload_off + payload_len) and lies within the frame (possibly across segments of an mbuf).
 */
struct dp_l2l4 {
	uint16_t l2_len;       /* Ethernet header + VLAN tags: where the IP header starts */
	uint8_t nvlan;
	uint8_t ip_ver;        /* 4 or 6; 0 when not IP */
	uint16_t l3_len;       /* IPv4: IHL * 4; IPv6: 40 + extension headers up to and including a fragment header */
	uint8_t l4_proto;      /* upper-layer protocol (IPv6: after the extension headers) */
	bool is_frag;          /* DP_PKT_FRAG */
	bool frag_first;       /* fragment offset 0 */
	bool frag_more;        /* MF / M flag */
	bool frag_v6_direct;   /* IPv6: the fragment header follows the base header directly (reassemblable) */
	uint16_t frag_off;     /* fragment offset in bytes */
	uint32_t ip_end;       /* l2_len + IP datagram length; bytes after it are link padding */
	uint32_t l4_off;       /* UDP header */
	uint16_t udp_len;      /* UDP length field: header + payload */
	uint16_t sport, dport;
	uint32_t payload_off;
	uint32_t payload_len;
};

/*
 * Decode frame[0..seg_len) whose whole length is pkt_len (>= seg_len; larger for a chained mbuf). Headers must lie
 * in the first seg_len bytes; length fields are checked against pkt_len. Always fills d as far as it got.
 * Returns the class.
 */
enum dp_l2l4_class dp_l2l4_decode(const uint8_t *frame, uint32_t seg_len, uint32_t pkt_len, struct dp_l2l4 *d);

/*
 * dp_l2l4_decode() inline for the usual frame, Ethernet II + IPv4 without options + a whole UDP datagram, and the
 * call for anything else: the same class and the same fields (tests/integration/test_l2l4.c compares them frame by
 * frame). The worker decodes every frame it judges; the call, its memset of d and its walk through the general
 * cases (VLAN tags, options, fragments, IPv6) were ~85 instructions a frame under callgrind. Written by hand because
 * DPDK has no decoder that checks every length field against the frame (rte_net_get_ptype() trusts them).
 */
static inline __attribute__((always_inline)) enum dp_l2l4_class
dp_l2l4_decode_fast(const uint8_t *frame, uint32_t seg_len, uint32_t pkt_len, struct dp_l2l4 *d)
{
	const uint8_t *ip = frame + 14, *u = frame + 34;
	uint32_t total, ulen;

	/* EtherType 0x0800, version 4 and IHL 5, no MF and no offset, UDP; 42 bytes in the first segment */
	if ((seg_len < pkt_len ? seg_len : pkt_len) < 42 || frame[12] != 0x08 || frame[13] != 0x00 || ip[0] != 0x45 ||
	    ((ip[6] & 0x3f) | ip[7]) != 0 || ip[9] != 17)
		return dp_l2l4_decode(frame, seg_len, pkt_len, d);
	total = (uint32_t)ip[2] << 8 | ip[3];
	ulen = (uint32_t)u[4] << 8 | u[5];
	/* the IP total length within the frame and room for the UDP header; the UDP length within what IP carries */
	if (total < 28 || 14 + total > pkt_len || ulen < 8 || ulen > total - 20)
		return dp_l2l4_decode(frame, seg_len, pkt_len, d);
	*d = (struct dp_l2l4){
		.l2_len = 14,
		.ip_ver = 4,
		.l3_len = 20,
		.l4_proto = 17,
		.ip_end = 14 + total,
		.l4_off = 34,
		.udp_len = (uint16_t)ulen,
		.sport = (uint16_t)(u[0] << 8 | u[1]),
		.dport = (uint16_t)(u[2] << 8 | u[3]),
		.payload_off = 42,
		.payload_len = ulen - 8,
	};
	return DP_PKT_UDP;
}

/* Name of a class for counters and logs ("udp", "bad_len"). */
const char *dp_l2l4_class_name(enum dp_l2l4_class c);

/*
 * IPv4 header checksum of a DP_PKT_UDP or DP_PKT_FRAG IPv4 frame is right (options included). Inline: the worker
 * checks every IPv4 frame it judges, and without options (nearly always) it is three loads (dp_cksum_sum20).
 */
static inline bool dp_ipv4_hdr_cksum_ok(const uint8_t *frame, const struct dp_l2l4 *d)
{
	if (d->l3_len == 20)
		return dp_cksum_fold(dp_cksum_sum20(frame + d->l2_len)) == 0xffff;
	return dp_cksum_fold(dp_cksum_sum(frame + d->l2_len, d->l3_len, 0)) == 0xffff;
}

/*
 * UDP checksum of a DP_PKT_UDP datagram in a flat buffer, computed over udp_len bytes with the pseudo-header
 * (RFC 768, RFC 8200 8.1). A zero checksum is accepted over IPv4 (not computed) and refused over IPv6.
 */
bool dp_udp_cksum_ok(const uint8_t *frame, const struct dp_l2l4 *d);

/* The same over an mbuf whose datagram may span segments (a reassembled datagram). */
bool dp_udp_cksum_ok_mbuf(const struct rte_mbuf *m, const struct dp_l2l4 *d);

/* The datagram's source (where a reply goes) or destination, from a DP_PKT_UDP frame. */
static inline void dp_l2l4_peer_at(const uint8_t *frame, const struct dp_l2l4 *d, bool src, struct sw_peer *p)
{
	const uint8_t *ip = frame + d->l2_len;

	memset(p, 0, sizeof(*p));
	p->family = d->ip_ver;
	if (d->ip_ver == 4)
		memcpy(p->addr, ip + (src ? 12 : 16), 4);
	else
		memcpy(p->addr, ip + (src ? 8 : 24), 16);
	p->port = src ? d->sport : d->dport;
}

/* Inline (with dp_l2l4_reply_allowed()): the worker calls it once per reply, and a call cost more than its body. */
static inline void dp_l2l4_src(const uint8_t *frame, const struct dp_l2l4 *d, struct sw_peer *src)
{
	dp_l2l4_peer_at(frame, d, true, src);
}

void dp_l2l4_dst(const uint8_t *frame, const struct dp_l2l4 *d, struct sw_peer *dst);

static inline bool dp_l2l4_v4_unicast(const uint8_t *a)
{
	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved and 255.255.255.255 */
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static inline bool dp_l2l4_v6_unicast(const uint8_t *a)
{
	static const uint8_t zero[15];

	if (a[0] == 0xff)
		return false; /* multicast */
	return memcmp(a, zero, 15) != 0 || a[15] > 1; /* not :: nor ::1 */
}

/*
 * A reply may be sent: the Ethernet source is unicast, and the IP source and destination are unicast addresses
 * that may appear as a source (not 0.0.0.0, broadcast, multicast, class E, ::, ::1 or ff00::/8), the port not 0.
 */
static inline bool dp_l2l4_reply_allowed(const uint8_t *frame, const struct dp_l2l4 *d)
{
	const uint8_t *ip = frame + d->l2_len;

	if (frame[6] & 1) /* group bit of the Ethernet source */
		return false;
	if (d->sport == 0)
		return false;
	if (d->ip_ver == 4)
		return dp_l2l4_v4_unicast(ip + 12) && dp_l2l4_v4_unicast(ip + 16);
	return dp_l2l4_v6_unicast(ip + 8) && dp_l2l4_v6_unicast(ip + 24);
}

#endif

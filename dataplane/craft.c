/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply crafting in place (see craft.h). The request's addresses and ports are read into locals before the
 * headers are rewritten: with IPv4 options or IPv6 extension headers the new UDP header lands on top of them.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "cksum.h"
#include "craft.h"

#define ECN_MASK 0x03

static uint32_t new_l3_len(const struct dp_l2l4 *d)
{
	return d->ip_ver == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
}

/*
 * Destination and source MAC swapped with one 8-byte and one 4-byte load and store each: bytes 0-5 take 6-11 (the
 * top two bytes of the first word and the 4-byte word at 8), bytes 6-11 take 0-5. Three 6-byte memcpy()s through a
 * temporary were ~15 instructions and as many memory moves.
 */
static inline void swap_macs(uint8_t *frame)
{
	uint64_t a;
	uint32_t b, hi;

	memcpy(&a, frame, 8);
	memcpy(&b, frame + 8, 4);
	hi = (uint32_t)(a >> 16);
	a = a >> 48 | (uint64_t)b << 16 | a << 48;
	memcpy(frame, &a, 8);
	memcpy(frame + 8, &hi, 4);
}

/* Make the frame exactly len bytes in one segment (room already checked). */
static void resize(struct rte_mbuf *m, uint32_t len)
{
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

static void write_ipv6(uint8_t *ip, uint16_t payload_len)
{
	struct rte_ipv6_hdr h;
	uint32_t flow;

	memcpy(&h, ip, sizeof(h));
	/* version 6, the request's traffic class with ECN cleared, flow label 0 */
	flow = rte_be_to_cpu_32(h.vtc_flow) & 0x0ff00000u;
	flow &= ~((uint32_t)ECN_MASK << 20);
	h.vtc_flow = rte_cpu_to_be_32((6u << 28) | flow);
	h.payload_len = rte_cpu_to_be_16(payload_len);
	h.proto = IPPROTO_UDP;
	h.hop_limits = DP_REPLY_TTL;
	memcpy(h.src_addr, ip + 24, 16);
	memcpy(h.dst_addr, ip + 8, 16);
	memcpy(ip, &h, sizeof(h));
}

/*
 * The IPv4 reply header as it goes out: version 4 and IHL 5, the request's TOS with ECN cleared, total, ip_id, DF,
 * TTL 64, UDP, checksum (0 when the port computes it), the addresses swapped. Built in three words, in the byte
 * order of the wire (little-endian loads and stores), summed from the same words: no copy of the request's header
 * to patch field by field, no second read of what was written.
 */
static inline uint64_t write_ipv4(uint8_t *ip, uint16_t ip_id, uint16_t total, bool cksum)
{
	uint32_t src, dst;
	uint64_t w0, w1;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	w0 = (uint64_t)RTE_IPV4_VHL_DEF | (uint64_t)(ip[1] & (uint8_t)~ECN_MASK) << 8 |
	     (uint64_t)rte_cpu_to_be_16(total) << 16 | (uint64_t)rte_cpu_to_be_16(ip_id) << 32 |
	     (uint64_t)rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) << 48;
	w1 = (uint64_t)DP_REPLY_TTL | (uint64_t)IPPROTO_UDP << 8 | (uint64_t)dst << 32;
	if (cksum) /* rte_ipv4_cksum() of these 20 bytes: the sum of their 32-bit words folds to the same value */
		w1 |= (uint64_t)(uint16_t)~dp_cksum_fold((w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) +
							(w1 >> 32) + src) << 16;
	memcpy(ip, &w0, 8);
	memcpy(ip + 8, &w1, 8);
	memcpy(ip + 16, &src, 4);
	return (uint64_t)src + dst; /* the pseudo-header's addresses */
}

/*
 * The mbuf's TX metadata: ol_flags rewritten whole (the RX flags of the request mean nothing on the way out), the
 * offload flags when the port computes a checksum, and the lengths in one store (rte_mbuf_tx_offload(): no TSO, no
 * outer header, as a reply has neither), not three read-modify-writes of bit-fields.
 */
static inline void tx_meta(struct rte_mbuf *m, const struct dp_l2l4 *d, uint32_t l3, bool ip_off, bool udp_off)
{
	uint64_t f = 0;

	if (ip_off || udp_off)
		f |= d->ip_ver == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	if (ip_off)
		f |= RTE_MBUF_F_TX_IP_CKSUM;
	if (udp_off)
		f |= RTE_MBUF_F_TX_UDP_CKSUM;
	m->ol_flags = f;
	m->tx_offload = rte_mbuf_tx_offload(d->l2_len, l3, sizeof(struct rte_udp_hdr), 0, 0, 0, 0);
}

/*
 * The UDP checksum: in software, from the payload's sum (taken while it was copied in), the UDP header as one word
 * (checksum field still 0), the pseudo-header's addresses and its length and protocol words (RFC 768, RFC 8200 8.1):
 * the value rte_ipv4_udptcp_cksum() / rte_ipv6_udptcp_cksum() give, without a second pass over the payload. With
 * the offload, the pseudo-header sum the NIC expects, from DPDK's helpers.
 */
static inline uint16_t udp_cksum(struct rte_mbuf *m, const struct dp_l2l4 *d, uint8_t *ip, uint64_t uhdr,
				 uint64_t addrs, uint64_t payload_sum, bool udp_off)
{
	uint64_t s;
	uint16_t c;

	if (udp_off)
		return d->ip_ver == 4 ? rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)ip, m->ol_flags)
				      : rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)ip, m->ol_flags);
	s = payload_sum + (uhdr & 0xffffffffu) + (uhdr >> 32) + addrs + (uint64_t)(uint16_t)(uhdr >> 32) +
	    rte_cpu_to_be_16(IPPROTO_UDP);
	c = (uint16_t)~dp_cksum_fold(s);
	return c ? c : 0xffff; /* 0 means "no checksum" on the wire */
}

int dp_craft_reply(struct rte_mbuf *m, const struct dp_l2l4 *d, const char *payload, uint32_t len,
		   uint16_t ip_id, const struct dp_craft_opts *opts)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = frame + d->l2_len;
	uint32_t l3 = new_l3_len(d);
	uint16_t udp_len = (uint16_t)(sizeof(struct rte_udp_hdr) + len);
	bool ip_off = opts && opts->ipv4_cksum_offload && d->ip_ver == 4;
	bool udp_off = opts && opts->udp_cksum_offload;
	uint64_t psum, addrs, uhdr;
	uint8_t *udp;
	uint16_t c;

	if (len > dp_craft_room(m, d) || len > UINT16_MAX - sizeof(struct rte_udp_hdr) - l3)
		return -ENOSPC;
	swap_macs(frame);
	if (d->ip_ver == 4) {
		addrs = write_ipv4(ip, ip_id, (uint16_t)(l3 + udp_len), !ip_off);
	} else {
		write_ipv6(ip, udp_len);
		addrs = dp_cksum_addrs(ip, 6, 0);
	}
	udp = ip + l3;
	/* source port, destination port, length, checksum 0: as they lie on the wire, in one word */
	uhdr = (uint64_t)rte_cpu_to_be_16(d->dport) | (uint64_t)rte_cpu_to_be_16(d->sport) << 16 |
	       (uint64_t)rte_cpu_to_be_16(udp_len) << 32;
	memcpy(udp, &uhdr, 8);
	psum = dp_cksum_copy(udp + 8, (const uint8_t *)payload, len, 0);
	resize(m, d->l2_len + l3 + udp_len);
	tx_meta(m, d, l3, ip_off, udp_off);
	c = udp_cksum(m, d, ip, uhdr, addrs, psum, udp_off);
	memcpy(udp + 6, &c, 2);
	return 0;
}

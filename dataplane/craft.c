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

static void swap_macs(uint8_t *frame)
{
	uint8_t tmp[RTE_ETHER_ADDR_LEN];

	memcpy(tmp, frame, RTE_ETHER_ADDR_LEN);
	memcpy(frame, frame + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
	memcpy(frame + RTE_ETHER_ADDR_LEN, tmp, RTE_ETHER_ADDR_LEN);
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

static void write_ipv4(uint8_t *ip, uint16_t ip_id, uint16_t total)
{
	struct rte_ipv4_hdr h;
	const struct rte_ipv4_hdr *req = (const struct rte_ipv4_hdr *)ip;

	memcpy(&h, req, sizeof(h)); /* for the addresses and the TOS; may be unaligned */
	h.version_ihl = RTE_IPV4_VHL_DEF;
	h.type_of_service &= (uint8_t)~ECN_MASK;
	h.total_length = rte_cpu_to_be_16(total);
	h.packet_id = rte_cpu_to_be_16(ip_id);
	h.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	h.time_to_live = DP_REPLY_TTL;
	h.next_proto_id = IPPROTO_UDP;
	h.hdr_checksum = 0;
	h.src_addr = req->dst_addr;
	h.dst_addr = req->src_addr;
	memcpy(ip, &h, sizeof(h));
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
 * The UDP checksum in software: the payload's sum (taken while it was copied in) plus the UDP header (checksum
 * field still 0) and the pseudo-header (addresses, protocol, UDP length; RFC 768, RFC 8200 8.1). The same value
 * as rte_ipv4_udptcp_cksum() / rte_ipv6_udptcp_cksum(), without a second pass over the payload.
 */
static uint16_t udp_cksum_sw(const struct dp_l2l4 *d, const uint8_t *ip, const struct rte_udp_hdr *udp,
			     uint64_t payload_sum)
{
	uint64_t s, w;
	uint16_t c;

	memcpy(&w, udp, sizeof(w)); /* the 8-byte header as one word, its two halves summed */
	s = payload_sum + (w & 0xffffffffu) + (w >> 32);
	s = dp_cksum_addrs(ip, d->ip_ver, s);
	s += (uint64_t)udp->dgram_len + rte_cpu_to_be_16(IPPROTO_UDP);
	c = (uint16_t)~dp_cksum_fold(s);
	return c ? c : 0xffff; /* 0 means "no checksum" on the wire */
}

/*
 * Checksums in software, or the TX offload flags and lengths for the port to compute them. ol_flags is rewritten
 * whole: the RX flags of the request mean nothing on the way out.
 */
static void checksums(struct rte_mbuf *m, const struct dp_l2l4 *d, uint8_t *ip, struct rte_udp_hdr *udp,
		      const struct dp_craft_opts *o, uint64_t payload_sum)
{
	bool ip_off = o && o->ipv4_cksum_offload && d->ip_ver == 4;
	bool udp_off = o && o->udp_cksum_offload;

	m->ol_flags = 0;
	m->l2_len = d->l2_len;
	m->l3_len = new_l3_len(d);
	m->l4_len = sizeof(*udp);
	if (ip_off || udp_off)
		m->ol_flags |= d->ip_ver == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	if (ip_off)
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	if (udp_off)
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
	udp->dgram_cksum = 0;
	if (d->ip_ver == 4 && !ip_off) /* rte_ipv4_cksum() of the 20 bytes written, in three loads (cksum.h) */
		((struct rte_ipv4_hdr *)ip)->hdr_checksum =
			(uint16_t)~dp_cksum_fold(dp_cksum_sum20(ip));
	if (!udp_off)
		udp->dgram_cksum = udp_cksum_sw(d, ip, udp, payload_sum);
	else if (d->ip_ver == 4) /* the pseudo-header sum the NIC expects */
		udp->dgram_cksum = rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)ip, m->ol_flags);
	else
		udp->dgram_cksum = rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)ip, m->ol_flags);
}

int dp_craft_reply(struct rte_mbuf *m, const struct dp_l2l4 *d, const char *payload, uint32_t len,
		   uint16_t ip_id, const struct dp_craft_opts *opts)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = frame + d->l2_len;
	uint32_t l3 = new_l3_len(d);
	uint16_t udp_len = (uint16_t)(sizeof(struct rte_udp_hdr) + len);
	struct rte_udp_hdr *udp;
	uint16_t sport = d->sport, dport = d->dport;
	uint64_t psum;

	if (len > dp_craft_room(m, d) || len > UINT16_MAX - sizeof(struct rte_udp_hdr) - l3)
		return -ENOSPC;
	swap_macs(frame);
	if (d->ip_ver == 4)
		write_ipv4(ip, ip_id, (uint16_t)(l3 + udp_len));
	else
		write_ipv6(ip, udp_len);
	udp = (struct rte_udp_hdr *)(ip + l3);
	udp->src_port = rte_cpu_to_be_16(dport);
	udp->dst_port = rte_cpu_to_be_16(sport);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	psum = dp_cksum_copy(udp + 1, payload, len, 0);
	resize(m, d->l2_len + l3 + udp_len);
	checksums(m, d, ip, udp, opts, psum);
	return 0;
}

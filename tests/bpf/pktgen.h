/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test packet builder for the XDP prefilter tests and benchmark: Ethernet, 0-3 VLAN tags, IPv4 (with options) or
 * IPv6 (with destination-options headers), fragments, UDP and a payload, with lengths and checksums right unless a
 * field asks for a lie. Header-only so the cmocka test and bench/bench_xdp.c share it.
 * Provenance: layouts per IEEE 802.3/802.1Q/802.1ad, RFC 791 (IPv4, options, fragments), RFC 8200 (IPv6, extension
 * headers 4.2-4.6), RFC 768 (UDP, pseudo-header checksum), RFC 8200 8.1 (IPv6 UDP pseudo-header).
 */
#ifndef SW_TEST_PKTGEN_H
#define SW_TEST_PKTGEN_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

enum pkt_fragment {
	PKT_WHOLE,      /* not fragmented */
	PKT_FRAG_HEAD,  /* offset 0, more fragments: UDP header + the start of the payload */
	PKT_FRAG_MID,   /* offset 1480, more fragments: payload bytes only */
	PKT_FRAG_TAIL,  /* offset 2960, last: payload bytes only */
};

struct pkt_spec {
	int family;             /* 4 or 6; 0 builds an ARP request (RFC 826) */
	int nvlan;              /* VLAN tags, 0..3 */
	uint16_t outer_tpid;    /* outermost tag's TPID; 0 = 0x8100 (QinQ: 0x88a8) */
	const char *src;        /* NULL: 192.0.2.1 or 2001:db8::1 */
	const char *dst;        /* NULL: 192.0.2.2 or 2001:db8::2 */
	uint16_t sport;         /* 0: 5060 */
	uint16_t dport;         /* 0: 5060 */
	uint8_t proto;          /* 0: UDP */
	const void *payload;
	size_t plen;
	int ip_opt_words;       /* IPv4 options: this many 32-bit words of NOP (RFC 791 option type 1) */
	int v6_dstopts;         /* IPv6: this many 8-byte destination-options headers (PadN) before UDP */
	enum pkt_fragment frag;
	uint32_t frag_id;       /* identification; IPv4 uses the low 16 bits */
	size_t datagram_len;    /* PKT_FRAG_HEAD: UDP length of the whole datagram (0: plen + 8) */
	int ip_len_delta;       /* added to IPv4 total length / IPv6 payload length */
	int udp_len_delta;      /* added to the UDP length */
};

static inline uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Build the frame into buf (cap bytes). Returns its length, or 0 if it does not fit. */
static inline size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 2 }, smac[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint16_t sport = s->sport ? s->sport : 5060, dport = s->dport ? s->dport : 5060;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	bool later = s->frag == PKT_FRAG_MID || s->frag == PKT_FRAG_TAIL;
	size_t off = 12, l3, l4, udp_len, ip_payload, total;
	uint16_t frag_off = 0, tpid;
	uint32_t sum;

	memset(buf, 0, cap);
	if (cap < 64)
		return 0;
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (int i = 0; i < s->nvlan; i++) {
		tpid = (i == 0 && s->outer_tpid) ? s->outer_tpid : ETH_P_8021Q;
		buf[off] = tpid >> 8;
		buf[off + 1] = tpid & 0xff;
		buf[off + 2] = 0;
		buf[off + 3] = (uint8_t)(100 + i); /* VID 100, 101, ... */
		off += 4;
	}
	if (s->family == 0) { /* ARP request: who has 192.0.2.2, tell 192.0.2.1 */
		static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1,
						 0, 0, 0, 0, 0, 0, 192, 0, 2, 2 };
		buf[off] = ETH_P_ARP >> 8;
		buf[off + 1] = ETH_P_ARP & 0xff;
		memcpy(buf + off + 2, arp, sizeof(arp));
		return off + 2 + sizeof(arp);
	}
	buf[off] = (s->family == 4 ? ETH_P_IP : ETH_P_IPV6) >> 8;
	buf[off + 1] = (s->family == 4 ? ETH_P_IP : ETH_P_IPV6) & 0xff;
	l3 = off + 2;
	if (s->frag == PKT_FRAG_HEAD)
		frag_off = 0x2000; /* MF */
	else if (s->frag == PKT_FRAG_MID)
		frag_off = 0x2000 | (1480 / 8);
	else if (s->frag == PKT_FRAG_TAIL)
		frag_off = 2960 / 8;

	udp_len = s->frag == PKT_FRAG_HEAD && s->datagram_len ? s->datagram_len : s->plen + 8;
	ip_payload = (later ? 0 : 8) + s->plen;
	if (s->family == 4) {
		struct iphdr ip = { .version = 4, .ttl = 64, .protocol = proto };

		ip.ihl = 5 + s->ip_opt_words;
		l4 = l3 + ip.ihl * 4;
		total = l4 + ip_payload;
		if (total > cap)
			return 0;
		ip.tot_len = htons((uint16_t)(ip.ihl * 4 + ip_payload + s->ip_len_delta));
		ip.id = htons((uint16_t)s->frag_id);
		ip.frag_off = htons(frag_off);
		inet_pton(AF_INET, s->src ? s->src : "192.0.2.1", &ip.saddr);
		inet_pton(AF_INET, s->dst ? s->dst : "192.0.2.2", &ip.daddr);
		memcpy(buf + l3, &ip, sizeof(ip));
		memset(buf + l3 + sizeof(ip), 1, (size_t)s->ip_opt_words * 4); /* NOP options */
		sum = pkt_csum_add(0, buf + l3, ip.ihl * 4);
		ip.check = htons(pkt_csum_fold(sum));
		memcpy(buf + l3 + 10, &ip.check, 2);
	} else {
		struct ipv6hdr ip6 = { .version = 6, .hop_limit = 64 };
		size_t ext = (size_t)s->v6_dstopts * 8 + (s->frag ? 8 : 0);
		uint8_t *h;

		l4 = l3 + sizeof(ip6) + ext;
		total = l4 + ip_payload;
		if (total > cap)
			return 0;
		ip6.payload_len = htons((uint16_t)(ext + ip_payload + s->ip_len_delta));
		ip6.nexthdr = s->v6_dstopts ? IPPROTO_DSTOPTS : s->frag ? IPPROTO_FRAGMENT : proto;
		inet_pton(AF_INET6, s->src ? s->src : "2001:db8::1", &ip6.saddr);
		inet_pton(AF_INET6, s->dst ? s->dst : "2001:db8::2", &ip6.daddr);
		memcpy(buf + l3, &ip6, sizeof(ip6));
		h = buf + l3 + sizeof(ip6);
		for (int i = 0; i < s->v6_dstopts; i++, h += 8) {
			h[0] = i + 1 < s->v6_dstopts ? IPPROTO_DSTOPTS : s->frag ? IPPROTO_FRAGMENT : proto;
			h[1] = 0;          /* 8 bytes in all */
			h[2] = 1;          /* PadN, 4 bytes of padding */
			h[3] = 4;
		}
		if (s->frag) {
			uint32_t id = htonl(s->frag_id);
			uint16_t fo = htons((uint16_t)((frag_off & 0x1fff) << 3 | (frag_off & 0x2000 ? 1 : 0)));

			h[0] = proto;
			memcpy(h + 2, &fo, 2);
			memcpy(h + 4, &id, 4);
		}
	}
	memcpy(buf + l4 + (later ? 0 : 8), s->payload, s->plen);
	if (!later) {
		struct udphdr udp = { .source = htons(sport), .dest = htons(dport) };

		udp.len = htons((uint16_t)(udp_len + s->udp_len_delta));
		memcpy(buf + l4, &udp, sizeof(udp));
		if (s->frag == PKT_WHOLE && proto == IPPROTO_UDP) { /* RFC 768 / RFC 8200 8.1 pseudo-header */
			size_t alen = s->family == 4 ? 4 : 16;
			size_t a = s->family == 4 ? l3 + 12 : l3 + 8;
			uint8_t tail[4] = { 0, 0, 0, IPPROTO_UDP };

			sum = pkt_csum_add(0, buf + a, 2 * alen);
			sum += (uint32_t)udp_len;
			sum = pkt_csum_add(sum, tail, sizeof(tail));
			sum = pkt_csum_add(sum, buf + l4, udp_len <= total - l4 ? udp_len : total - l4);
			udp.check = htons(pkt_csum_fold(sum));
			if (!udp.check)
				udp.check = 0xffff;
			memcpy(buf + l4 + 6, &udp.check, 2);
		}
	}
	return total;
}

/* Offset of the UDP header in a frame built from s (no fragments). */
static inline size_t pkt_l4_offset(const struct pkt_spec *s)
{
	size_t l3 = 14 + 4 * (size_t)s->nvlan;

	if (s->family == 4)
		return l3 + 20 + 4 * (size_t)s->ip_opt_words;
	return l3 + 40 + 8 * (size_t)s->v6_dstopts + (s->frag ? 8 : 0);
}

#endif

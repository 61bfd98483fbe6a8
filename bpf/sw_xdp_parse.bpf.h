/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded L2-L4 parse helpers for the prefilter: Ethernet with up to two VLAN tags (802.1Q, 802.1ad QinQ), IPv4 with
 * options, IPv6 with up to SW_IPV6_EXT_MAX extension headers, and the start of a UDP payload. Every read is preceded
 * by a check against data_end; a frame cut short is "not ours" (PARSE_OTHER), the kernel judges it.
 * Header lengths are taken from the packet but only to find the next header: whether the lengths are *consistent*
 * is recorded in pkt.malformed and judged later, once the datagram turns out to be SIP (others are not ours).
 */
#ifndef SW_XDP_PARSE_BPF_H
#define SW_XDP_PARSE_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define SW_VLAN_MAX 2        /* QinQ: an outer 802.1ad (or 802.1Q) tag and an inner 802.1Q tag */
#define SW_IPV6_EXT_MAX 6    /* hop-by-hop, destination (twice), routing, fragment, and one to spare */
#define SW_METHOD_MAX 32     /* longest method token accepted before its SP */

/* uapi has no VLAN or IPv6 fragment header structs; these follow IEEE 802.1Q and RFC 8200 4.5. */
struct sw_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct sw_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3 | M flag */
	__be32 id;
};

/* Largest offsets the parse accepts. Beyond them a frame is not ours (no SIP server sees 400 bytes of IPv6
 * extension headers); the bounds also give the verifier a maximum for every packet pointer built from an offset. */
#define SW_L3_OFF_MAX (14 + 4 * SW_VLAN_MAX)
#define SW_L4_OFF_MAX 512

enum parse_result {
	PARSE_OTHER,      /* not IP/UDP, or headers cut short before the UDP header: not ours */
	PARSE_UDP,        /* l4off is the UDP header's offset (not yet bounds-checked) */
	PARSE_LATER_FRAG, /* a non-first fragment of a UDP datagram: no UDP header */
};

enum pkt_frag {
	PKT_FRAG_NONE,
	PKT_FRAG_FIRST, /* offset 0, more fragments follow: carries the UDP header and the start of the payload */
	PKT_FRAG_LATER, /* offset > 0 */
};

/*
 * What L2 and L3 say about a packet, as offsets from ctx->data and scalars only: it is passed to global (separately
 * verified) functions, which may take a pointer to a struct of scalars but no packet pointers. Each global function
 * re-derives and re-checks its packet pointers from these offsets.
 */
struct sw_l3 {
	__u16 l3off;   /* IP header */
	__u16 l4off;   /* UDP header (PARSE_UDP) */
	__u32 l4_len;  /* bytes after the IP header(s) according to the IP length fields */
	__u32 frag_id; /* network order, as in the header */
	__u8 frag;     /* enum pkt_frag */
	__u8 frag_last; /* PKT_FRAG_LATER: more-fragments flag clear */
	__u8 malformed; /* IP lengths disagree with each other or with the frame */
	__u8 reserved[5];
};

/* Skip Ethernet and up to SW_VLAN_MAX tags. Returns 0 with *proto the network-order EtherType and *off the L3
 * offset, or -1 if cut short. */
static __always_inline int parse_eth(const void *data, const void *end, __u32 *off, __be16 *proto)
{
	const struct ethhdr *eth = data;
	__u32 o = sizeof(*eth);
	__be16 h;

	if ((const void *)(eth + 1) > end)
		return -1;
	/* One 16-bit load: struct ethhdr is packed, and clang reads packed fields a byte at a time. */
	h = *(const __be16 *)((const __u8 *)data + offsetof(struct ethhdr, h_proto));
#pragma unroll
	for (int i = 0; i < SW_VLAN_MAX; i++) {
		const struct sw_vlan_hdr *v = data + o;

		if (h != bpf_htons(ETH_P_8021Q) && h != bpf_htons(ETH_P_8021AD))
			break;
		if ((const void *)(v + 1) > end)
			return -1;
		h = *(const __be16 *)((const __u8 *)data + o + offsetof(struct sw_vlan_hdr, encap_proto));
		o += sizeof(*v);
	}
	*proto = h;
	*off = o;
	return 0;
}

/*
 * IPv4 at l3->l3off (a constant on each verifier path, at most SW_L3_OFF_MAX). Fills the l3 fields that the caller
 * did not zero: a whole datagram (nearly all SIP) writes three of them, a fragment its identification and flags too.
 * When the total length is below the header length, l4_len wraps: malformed is set, and judge() reads it first.
 */
static __always_inline enum parse_result parse_ipv4(const void *data, const void *end, struct sw_l3 *l3)
{
	const struct iphdr *ip = data + l3->l3off;
	__u32 hlen, tot, fo;

	if ((const void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
		return PARSE_OTHER;
	hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip))
		return PARSE_OTHER; /* the UDP header cannot be located */
	tot = bpf_ntohs(ip->tot_len);
	/* tot <= 65535, so the verifier accepts ip + tot as a packet pointer to compare. */
	l3->malformed = (tot < hlen) | ((const void *)ip + tot > end);
	l3->l4_len = tot - hlen;
	l3->l4off = l3->l3off + hlen;
	fo = bpf_ntohs(ip->frag_off) & 0x3fff; /* IP_MF | IP_OFFSET */
	if (__builtin_expect(!fo, 1))
		return PARSE_UDP;
	l3->frag_id = ip->id;
	if (fo & 0x1fff) { /* IP_OFFSET */
		l3->frag = PKT_FRAG_LATER;
		l3->frag_last = !(fo & 0x2000); /* IP_MF */
		return PARSE_LATER_FRAG;
	}
	l3->frag = PKT_FRAG_FIRST;
	return PARSE_UDP;
}

/*
 * IPv6 straight to UDP, no extension header: nearly all SIP over IPv6. Inline, so it costs no call (the general
 * parse below is a separately verified function; a BPF-to-BPF call is some 7 ns on a CPU that mitigates SRSO).
 * Fills l3 as parse_ipv6() would; PARSE_OTHER means "not this shape", and the general parse decides.
 */
static __always_inline enum parse_result parse_ipv6_udp(const void *data, const void *end, struct sw_l3 *l3)
{
	const struct ipv6hdr *ip6 = data + l3->l3off;
	__u32 plen;

	if ((const void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
		return PARSE_OTHER;
	plen = bpf_ntohs(ip6->payload_len);
	l3->malformed = (plen == 0) | ((const void *)(ip6 + 1) + plen > end);
	l3->l4_len = plen;
	l3->l4off = l3->l3off + sizeof(*ip6);
	return PARSE_UDP;
}

static __always_inline bool ipv6_is_opt_hdr(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

/*
 * IPv6 at l3->l3off with up to SW_IPV6_EXT_MAX extension headers. Fills l3. Works on an offset
 * bounded by SW_L4_OFF_MAX rather than a pointer, so every iteration's state looks alike to the verifier.
 */
static __always_inline enum parse_result parse_ipv6(const void *data, const void *end, struct sw_l3 *l3)
{
	__u32 off = l3->l3off, plen, ext = 0;
	const struct ipv6hdr *ip6;
	__u8 nh;

	if (off > SW_L3_OFF_MAX)
		return PARSE_OTHER;
	ip6 = data + off;
	if ((const void *)(ip6 + 1) > end)
		return PARSE_OTHER;
	plen = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	off += sizeof(*ip6);
	/* plen == 0 is a jumbogram (RFC 2675), which a UDP server never sees in XDP: malformed like any other lie. */
	l3->malformed = plen == 0 || (const void *)(ip6 + 1) + plen > end;
	for (int i = 0; i < SW_IPV6_EXT_MAX; i++) {
		if (nh == IPPROTO_FRAGMENT) {
			const struct sw_ipv6_frag_hdr *fh = data + off;
			__u16 fo;

			if ((const void *)(fh + 1) > end)
				return PARSE_OTHER;
			nh = fh->nexthdr;
			fo = bpf_ntohs(fh->frag_off);
			l3->frag_id = fh->id;
			if (fo & 0xfff8) {
				l3->frag = PKT_FRAG_LATER;
				l3->frag_last = !(fo & 1);
			} else if (fo & 1) {
				l3->frag = PKT_FRAG_FIRST;
			} /* offset 0 and M clear: an atomic fragment (RFC 6946), a whole datagram */
			off += sizeof(*fh);
			ext += sizeof(*fh);
		} else if (ipv6_is_opt_hdr(nh)) {
			const struct ipv6_opt_hdr *oh = data + off;
			__u32 len;

			if ((const void *)(oh + 1) > end)
				return PARSE_OTHER;
			nh = oh->nexthdr;
			len = (oh->hdrlen + 1) * 8;
			off += len;
			ext += len;
		} else {
			break;
		}
		if (off > SW_L4_OFF_MAX)
			return PARSE_OTHER;
	}
	if (nh != IPPROTO_UDP)
		return PARSE_OTHER;
	if (plen < ext)
		l3->malformed = 1;
	l3->l4_len = plen >= ext ? plen - ext : 0;
	l3->l4off = off;
	return l3->frag == PKT_FRAG_LATER ? PARSE_LATER_FRAG : PARSE_UDP;
}

/*
 * RFC 3261 25.1 token characters (alphanum and -.!%*_+`'~) as two 64-bit masks for 0..63 and 64..127: a test costs a
 * shift and an AND, and no memory access (a 256-entry table would be a map read per byte in BPF).
 */
#define SW_BIT(c) (1ULL << ((c)&63))
#define SW_TOKEN_LO                                                                                                   \
	(SW_BIT('!') | SW_BIT('%') | SW_BIT('\'') | SW_BIT('*') | SW_BIT('+') | SW_BIT('-') | SW_BIT('.') |        \
	 (0x3ffULL << ('0' & 63)))
#define SW_TOKEN_HI                                                                                                   \
	((0x3ffffffULL << ('A' & 63)) | SW_BIT('_') | SW_BIT('`') | (0x3ffffffULL << ('a' & 63)) | SW_BIT('~'))

static __always_inline bool sip_is_token_char(__u8 ch)
{
	if (ch < 64)
		return (SW_TOKEN_LO >> ch) & 1;
	if (ch < 128)
		return (SW_TOKEN_HI >> (ch - 64)) & 1;
	return false;
}

/* Bytes as a little-endian (or big-endian) load from the packet would read them. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SW_LE8(a, b, c, d, e, f, g, h)                                                                                \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | (__u64)(f) << 40 |   \
	 (__u64)(g) << 48 | (__u64)(h) << 56)
#else
#define SW_LE8(a, b, c, d, e, f, g, h)                                                                                \
	((__u64)(h) | (__u64)(g) << 8 | (__u64)(f) << 16 | (__u64)(e) << 24 | (__u64)(d) << 32 | (__u64)(c) << 40 |   \
	 (__u64)(b) << 48 | (__u64)(a) << 56)
#endif

#define SW_LE4(a, b, c, d) ((__u32)SW_LE8(a, b, c, d, 0, 0, 0, 0))
#define SW_LE8_MASK(n) (SW_LE8(0xff, (n) > 1 ? 0xff : 0, (n) > 2 ? 0xff : 0, (n) > 3 ? 0xff : 0, (n) > 4 ? 0xff : 0,  \
			       (n) > 5 ? 0xff : 0, (n) > 6 ? 0xff : 0, (n) > 7 ? 0xff : 0))

/*
 * The methods and the status line that make up nearly all SIP traffic, recognised from the payload's first 8 bytes
 * (one load, a switch on the first four, one masked compare). True means "starts like SIP"; false only means "not
 * one of these", and the general token scan decides. w is the first 8 bytes at p, len >= 8 and p + 8 <= end.
 */
static __always_inline bool sip_common_start(const __u8 *p, const void *end, __u32 len, __u64 w)
{
	switch ((__u32)w) {
	case SW_LE4('S', 'I', 'P', '/'):
		return w == SW_LE8('S', 'I', 'P', '/', '2', '.', '0', ' ');
	case SW_LE4('I', 'N', 'V', 'I'):
		return (w & SW_LE8_MASK(7)) == SW_LE8('I', 'N', 'V', 'I', 'T', 'E', ' ', 0);
	case SW_LE4('A', 'C', 'K', ' '):
	case SW_LE4('B', 'Y', 'E', ' '):
		return true;
	case SW_LE4('O', 'P', 'T', 'I'):
		return w == SW_LE8('O', 'P', 'T', 'I', 'O', 'N', 'S', ' ');
	case SW_LE4('C', 'A', 'N', 'C'):
		return (w & SW_LE8_MASK(7)) == SW_LE8('C', 'A', 'N', 'C', 'E', 'L', ' ', 0);
	case SW_LE4('N', 'O', 'T', 'I'):
		return (w & SW_LE8_MASK(7)) == SW_LE8('N', 'O', 'T', 'I', 'F', 'Y', ' ', 0);
	case SW_LE4('R', 'E', 'G', 'I'): /* the one common method of 8 characters: its SP is the 9th byte */
		return w == SW_LE8('R', 'E', 'G', 'I', 'S', 'T', 'E', 'R') && len > 8 && (const void *)(p + 9) <= end &&
		       p[8] == ' ';
	case SW_LE4('M', 'E', 'S', 'S'):
		return w == SW_LE8('M', 'E', 'S', 'S', 'A', 'G', 'E', ' ');
	case SW_LE4('P', 'R', 'A', 'C'):
		return (w & SW_LE8_MASK(6)) == SW_LE8('P', 'R', 'A', 'C', 'K', ' ', 0, 0);
	default:
		return false;
	}
}

/*
 * Does a UDP payload of len bytes at p start like SIP: "SIP/2.0 " (a response) or a method token of 1..SW_METHOD_MAX
 * characters followed by SP (a request)? Reads at most SW_METHOD_MAX + 1 bytes, never past len or end.
 * The common starts take the fast path above; the rest a bounded loop (kernel >= 5.3), which clang cannot unroll
 * because of its several exits. The 8-byte load is unaligned; BPF allows that on packet data where the CPU does
 * (x86, arm64).
 */
static __always_inline bool sip_starts_like_sip(const __u8 *p, const void *end, __u32 len)
{
	int i;

	if (len >= 8 && (const void *)(p + 8) <= end && sip_common_start(p, end, len, *(const __u64 *)p))
		return true;
	for (i = 0; i < SW_METHOD_MAX; i++) {
		if ((__u32)i >= len || (const void *)(p + i + 1) > end || !sip_is_token_char(p[i]))
			break;
	}
	/* i token characters; the next byte must be the SP that ends the method. */
	if (i == 0 || (__u32)i >= len || (const void *)(p + i + 1) > end)
		return false;
	return p[i] == ' ';
}

/* RFC 5626 3.5.1: a double-CRLF ping, or the single-CRLF pong. Nothing else of that shape is SIP. */
static __always_inline bool sip_is_keepalive(const __u8 *p, const void *end, __u32 len)
{
	/* One load and one compare each (unaligned loads from the packet: see sip_starts_like_sip()). */
	if (len == 2 && (const void *)(p + 2) <= end)
		return *(const __u16 *)p == (__u16)SW_LE4('\r', '\n', 0, 0);
	if (len == 4 && (const void *)(p + 4) <= end)
		return *(const __u32 *)p == SW_LE4('\r', '\n', '\r', '\n');
	return false;
}

#endif

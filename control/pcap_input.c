// SPDX-License-Identifier: BSD-3-Clause
/*
 * Offline capture reading for sipwallctl check (libpcap): every UDP datagram of a capture becomes one input.
 * Every header length is checked against the captured length before it is read.
 */
#include "pcap_input.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

int input_is_capture(const char *path)
{
	uint8_t m[4];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n < 4)
		return 0;
	uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];

	return be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || be == 0xa1b23c4d || be == 0x4d3cb2a1 || be == 0x0a0d0d0a;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Returns the UDP header offset, or 0 when the packet is not a whole UDP datagram. */
static uint32_t decode_ip(const uint8_t *p, uint32_t len, uint32_t off, struct udp_input *in)
{
	if (off + 1 > len)
		return 0;
	if ((p[off] >> 4) == 4) {
		uint32_t ihl = (p[off] & 15u) * 4;

		if (ihl < 20 || off + ihl > len || p[off + 9] != 17)
			return 0;
		if (rd16(p + off + 6) & 0x3fff) /* MF or a fragment offset */
			return 0;
		in->src.family = in->dst.family = 4;
		memcpy(in->src.addr, p + off + 12, 4);
		memcpy(in->dst.addr, p + off + 16, 4);
		return off + ihl;
	}
	if ((p[off] >> 4) != 6 || off + 40 > len)
		return 0;
	uint8_t nh = p[off + 6];

	in->src.family = in->dst.family = 6;
	memcpy(in->src.addr, p + off + 8, 16);
	memcpy(in->dst.addr, p + off + 24, 16);
	off += 40;
	/* hop-by-hop, routing, destination options: skip; a fragment header means not a whole datagram */
	while (nh == 0 || nh == 43 || nh == 60) {
		if (off + 8 > len)
			return 0;
		nh = p[off];
		off += 8u + p[off + 1] * 8u;
	}
	return nh == 17 ? off : 0;
}

static uint32_t decode_l2(int dlt, const uint8_t *p, uint32_t len, struct udp_input *in)
{
	uint32_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return 0;
		type = rd16(p + 12);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && off + 4 <= len) {
			type = rd16(p + off + 2);
			off += 4;
		}
		return (type == 0x0800 || type == 0x86dd) ? decode_ip(p, len, off, in) : 0;
	case DLT_LINUX_SLL:
		return len >= 16 ? decode_ip(p, len, 16, in) : 0;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(p, len, 0, in);
	default:
		return 0;
	}
}

int capture_for_each_udp(const char *path, udp_input_cb cb, void *ctx, uint32_t *skipped, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t index = 0;
	int r, ret = 0;

	if (!pc) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	int dlt = pcap_datalink(pc);

	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		struct udp_input in = { .index = ++index };
		uint32_t udp = decode_l2(dlt, data, h->caplen, &in);

		if (!udp || udp + 8 > h->caplen || rd16(data + udp + 4) < 8 || udp + rd16(data + udp + 4) > h->caplen) {
			(*skipped)++;
			continue;
		}
		in.src.port = rd16(data + udp);
		in.dst.port = rd16(data + udp + 2);
		in.payload = (const char *)data + udp + 8;
		in.len = rd16(data + udp + 4) - 8u;
		if ((ret = cb(ctx, &in)) != 0)
			break;
	}
	if (r == -1) {
		snprintf(err, errlen, "%s", pcap_geterr(pc));
		ret = -1;
	}
	pcap_close(pc);
	return ret;
}

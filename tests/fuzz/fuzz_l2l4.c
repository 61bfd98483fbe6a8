// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the dataplane's packet path without an EAL: the input is an Ethernet frame. It is decoded
 * (dataplane/l2l4.c) as the worker does; a UDP payload is judged by the core and, for a reply verdict, answered in
 * place in a stack-built single-segment mbuf by dataplane/craft.c. Properties: the decoder reads only the headers
 * it reports and ignores link padding; a reply only goes back to the packet's source (MACs, addresses and ports
 * swapped, VLAN tags kept), is never longer than the request, and carries valid checksums.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "craft.h"
#include "fuzz_util.h"
#include "l2l4.h"
#include "policy.h"
#include "sw_verdict.h"

#define HARNESS "fuzz_l2l4"
#define PAD_LEN 64

static struct sw_worker worker;
static struct sw_policy *pol;
static const uint8_t secret[16] = "sipwall-fuzz-key";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		abort();
	policy_defaults(pol);
	sw_worker_init(&worker, 0, secret);
	return 0;
}

static void fail(const char *name, const uint8_t *frame, size_t len, const char *msg)
{
	if (fuzz_ignored(name))
		return;
	fuzz_show("frame", frame, len);
	fuzz_fail(HARNESS, name, "%s", msg);
}

/* What the decoder reported must lie inside the frame it was given. */
static void check_bounds(enum dp_l2l4_class c, const struct dp_l2l4 *d, const uint8_t *f, uint32_t len)
{
	bool ok = true;

	if (c == DP_PKT_UDP)
		ok = d->l2_len >= 14 && (d->ip_ver == 4 || d->ip_ver == 6) && d->l4_off + 8 <= len &&
		     d->payload_off == d->l4_off + 8 && d->udp_len == d->payload_len + 8 &&
		     d->payload_off + d->payload_len <= d->ip_end && d->ip_end <= len && !d->is_frag;
	else if (c == DP_PKT_FRAG)
		ok = d->is_frag && d->l4_off <= d->ip_end && d->ip_end <= len && d->l2_len + d->l3_len == d->l4_off;
	if (!ok)
		fail("decode-bounds", f, len, "offsets reported past the frame or inconsistent");
}

/* The decoder needs only the headers (seg_len = through the UDP header) and ignores bytes after ip_end. */
static void check_decode_independence(enum dp_l2l4_class c, const struct dp_l2l4 *d, const uint8_t *f, uint32_t len)
{
	uint32_t hdr = c == DP_PKT_UDP ? d->l4_off + 8 : d->l4_off;
	struct dp_l2l4 d2;
	uint8_t *copy;

	if (c != DP_PKT_UDP && c != DP_PKT_FRAG && c != DP_PKT_OTHER)
		return;
	if (c != DP_PKT_OTHER) {
		copy = malloc(hdr ? hdr : 1); /* exactly the headers: reading past seg_len is an ASan report */
		memcpy(copy, f, hdr);
		if (dp_l2l4_decode(copy, hdr, len, &d2) != c || memcmp(&d2, d, sizeof(d2)))
			fail("decode-headers-only", f, len, "decoding only the headers gave another result");
		free(copy);
	}
	copy = malloc(len + PAD_LEN);
	memcpy(copy, f, len);
	memset(copy + len, 0xa5, PAD_LEN);
	if (dp_l2l4_decode(copy, len + PAD_LEN, len + PAD_LEN, &d2) != c || memcmp(&d2, d, sizeof(d2)))
		fail("decode-padding", f, len, "link padding after the frame changed the decode");
	free(copy);
}

/* The reply frame: to the packet's source, swapped and well formed. */
static void check_reply_frame(const uint8_t *req, uint32_t req_len, const struct dp_l2l4 *d, const uint8_t *rf,
			      uint32_t rlen, const char *payload, uint32_t plen, bool sw_cksum)
{
	struct sw_peer req_src, req_dst, rep_src, rep_dst;
	struct dp_l2l4 r;
	bool ok;

	if (dp_l2l4_decode(rf, rlen, rlen, &r) != DP_PKT_UDP) {
		fuzz_show("reply frame", rf, rlen);
		fail("reply-decodes", req, req_len, "the crafted reply does not decode as a whole UDP datagram");
		return;
	}
	dp_l2l4_src(req, d, &req_src);
	dp_l2l4_dst(req, d, &req_dst);
	dp_l2l4_src(rf, &r, &rep_src);
	dp_l2l4_dst(rf, &r, &rep_dst);
	ok = !memcmp(&rep_dst, &req_src, sizeof(rep_dst)) && !memcmp(&rep_src, &req_dst, sizeof(rep_src)) &&
	     !memcmp(rf, req + 6, 6) && !memcmp(rf + 6, req, 6);
	if (!ok)
		fail("reply-to-source", req, req_len, "the reply does not go back to the packet's source");
	ok = r.l2_len == d->l2_len && r.nvlan == d->nvlan && !memcmp(rf + 12, req + 12, d->l2_len - 12u) &&
	     r.ip_ver == d->ip_ver && r.ip_end == rlen && r.payload_len == plen &&
	     !memcmp(rf + r.payload_off, payload, plen);
	if (!ok)
		fail("reply-frame", req, req_len, "VLAN tags, IP version, length or payload of the reply are wrong");
	if (rlen > req_len || plen > d->payload_len)
		fail("no-amplification", req, req_len, "the reply frame is longer than the request");
	if (sw_cksum && ((r.ip_ver == 4 && !dp_ipv4_hdr_cksum_ok(rf, &r)) || !dp_udp_cksum_ok(rf, &r) ||
			 (rf[r.l4_off + 6] == 0 && rf[r.l4_off + 7] == 0)))
		fail("reply-checksums", req, req_len, "a checksum of the reply is wrong (or the UDP one is 0)");
}

/* Judge the payload in place and in an exact copy; reply when asked and allowed, as the worker does. */
static void judge_and_reply(const uint8_t *f, uint32_t len, const struct dp_l2l4 *d)
{
	struct dp_craft_opts opts = { .ipv4_cksum_offload = len & 1, .udp_cksum_offload = (len >> 1) & 1 };
	struct sw_verdict v, v2;
	struct rte_mbuf m;
	struct sw_peer src;
	uint32_t cap, n;
	char *copy, *resp;
	uint8_t *buf;

	copy = malloc(d->payload_len ? d->payload_len : 1);
	memcpy(copy, f + d->payload_off, d->payload_len);
	sw_judge(pol, &worker, copy, d->payload_len, &v2);
	free(copy);
	/* last, in place: worker.msg points into the frame for sw_respond */
	sw_judge(pol, &worker, (const char *)f + d->payload_off, d->payload_len, &v);
	if (v.action != v2.action || v.why != v2.why || v.status != v2.status || v.err_off != v2.err_off)
		fail("payload-independence", f, len, "the verdict depends on bytes after the UDP payload");
	if (v.action != SW_ACT_REPLY || !dp_l2l4_reply_allowed(f, d))
		return;

	/* the request in its own mbuf, with no room beyond the frame: the tightest buffer a NIC hands over */
	buf = malloc(RTE_PKTMBUF_HEADROOM + len);
	memcpy(buf + RTE_PKTMBUF_HEADROOM, f, len);
	memset(&m, 0, sizeof(m));
	m.buf_addr = buf;
	m.buf_len = (uint16_t)(RTE_PKTMBUF_HEADROOM + len);
	m.data_off = RTE_PKTMBUF_HEADROOM;
	m.data_len = (uint16_t)len;
	m.pkt_len = len;
	m.nb_segs = 1;
	m.next = NULL;

	dp_l2l4_src(f, d, &src);
	cap = d->payload_len < dp_craft_room(&m, d) ? d->payload_len : dp_craft_room(&m, d);
	resp = malloc(cap ? cap : 1);
	n = sw_respond(pol, &worker, &v, &src, resp, cap);
	if (n > cap)
		fail("no-amplification", f, len, "sw_respond wrote past its cap");
	if (n) {
		if (dp_craft_reply(&m, d, resp, n, 0x1234, &opts) != 0)
			fail("craft-fits", f, len, "dp_craft_reply refused a reply within dp_craft_room");
		else if (m.data_len != m.pkt_len || m.nb_segs != 1)
			fail("craft-single-segment", f, len, "the reply mbuf lengths disagree");
		else
			check_reply_frame(f, len, d, rte_pktmbuf_mtod(&m, const uint8_t *), m.data_len, resp, n,
					  !opts.ipv4_cksum_offload && !opts.udp_cksum_offload);
	}
	free(resp);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_l2l4 d;
	enum dp_l2l4_class c;
	uint8_t *f;
	uint32_t len;

	/* one mbuf segment: data_len and buf_len are 16-bit */
	if (size > UINT16_MAX - RTE_PKTMBUF_HEADROOM)
		return 0;
	len = (uint32_t)size;
	f = malloc(len ? len : 1);
	memcpy(f, data, len);
	c = dp_l2l4_decode(f, len, len, &d);
	(void)dp_l2l4_class_name(c);
	check_bounds(c, &d, f, len);
	check_decode_independence(c, &d, f, len);
	if (c == DP_PKT_FRAG && d.ip_ver == 4)
		(void)dp_ipv4_hdr_cksum_ok(f, &d);
	if (c == DP_PKT_UDP) {
		if (d.ip_ver == 4)
			(void)dp_ipv4_hdr_cksum_ok(f, &d);
		(void)dp_udp_cksum_ok(f, &d);
		judge_and_reply(f, len, &d);
	}
	free(f);
	return 0;
}

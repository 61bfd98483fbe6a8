/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply crafting (dataplane/craft.c): each request frame from frames.c is turned into its reply in a real mbuf;
 * the result is checked field by field and its checksums recomputed by the reference sum in frames.c. A golden
 * case compares every byte with the reply built independently by frames.c; crafting twice gives the same bytes.
 * Needs the EAL (mbufs): exits 77 when it cannot start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "craft.h"
#include "frames.h"
#include "l2l4.h"

#define REQUEST "INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKx\r\n" \
		"Max-Forwards: 0\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.net>\r\n"           \
		"Call-ID: c1@198.51.100.7\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
#define REPLY "SIP/2.0 483 Too Many Hops\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKx\r\n\r\n"

static struct rte_mempool *pool;

static struct rte_mbuf *mbuf_of(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	return m;
}

struct craft_case {
	const char *name;
	struct fb_spec spec;
};

static const struct craft_case cases[] = {
	{ "IPv4", { .ip_ver = 4 } },
	{ "IPv4, DSCP EF + ECN CE: DSCP kept, ECN cleared", { .ip_ver = 4, .tos = 0xbb } },
	{ "IPv4 in 802.1Q with 12 option bytes (options dropped)", { .ip_ver = 4, .nvlan = 1, .vlan_id = 7,
								     .v4_opt_len = 12 } },
	{ "IPv4 in QinQ", { .ip_ver = 4, .nvlan = 2, .vlan_id = 9 } },
	{ "IPv6", { .ip_ver = 6 } },
	{ "IPv6 with Hop-by-Hop + Destination Options (dropped)", { .ip_ver = 6, .v6_hbh = true, .v6_dstopts = 1 } },
	{ "IPv6 in QinQ", { .ip_ver = 6, .nvlan = 2, .vlan_id = 3 } },
};

static void check_reply(const uint8_t *req, const struct dp_l2l4 *d, const struct rte_mbuf *m, uint8_t tos)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t l3 = d->ip_ver == 4 ? 20 : 40;
	const uint8_t *ip = f + d->l2_len, *rip = req + d->l2_len, *u = ip + l3;

	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->pkt_len, d->l2_len + l3 + 8 + strlen(REPLY));
	assert_int_equal(m->data_len, m->pkt_len);
	/* Ethernet swapped, tags and EtherTypes byte for byte */
	assert_memory_equal(f, req + 6, 6);
	assert_memory_equal(f + 6, req, 6);
	assert_memory_equal(f + 12, req + 12, d->l2_len - 12);
	if (d->ip_ver == 4) {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[1], tos & 0xfc);
		assert_int_equal(ip[2] << 8 | ip[3], 20 + 8 + strlen(REPLY));
		assert_int_equal(ip[6] & 0x40, 0x40); /* DF */
		assert_int_equal(ip[6] & 0x3f, 0);
		assert_int_equal(ip[7], 0);
		assert_int_equal(ip[8], DP_REPLY_TTL);
		assert_int_equal(ip[9], 17);
		assert_memory_equal(ip + 12, rip + 16, 4);
		assert_memory_equal(ip + 16, rip + 12, 4);
		assert_true(ref_ipv4_hdr_ok(ip));
	} else {
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(((ip[0] & 15) << 4 | ip[1] >> 4) & 3, 0); /* ECN cleared */
		assert_int_equal(ip[1] & 15, 0);
		assert_int_equal(ip[2] | ip[3], 0); /* flow label 0 */
		assert_int_equal(ip[4] << 8 | ip[5], 8 + strlen(REPLY));
		assert_int_equal(ip[6], 17);
		assert_int_equal(ip[7], DP_REPLY_TTL);
		assert_memory_equal(ip + 8, rip + 24, 16);
		assert_memory_equal(ip + 24, rip + 8, 16);
	}
	assert_int_equal(u[0] << 8 | u[1], d->dport);
	assert_int_equal(u[2] << 8 | u[3], d->sport);
	assert_int_equal(u[4] << 8 | u[5], 8 + strlen(REPLY));
	assert_false(u[6] == 0 && u[7] == 0);
	assert_true(ref_udp_ok(f, d->l2_len, l3, d->ip_ver));
	assert_memory_equal(u + 8, REPLY, strlen(REPLY));
}

static void test_cases(void **state)
{
	static uint8_t req[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb_spec s = cases[i].spec;
		struct dp_l2l4 d;
		struct rte_mbuf *m, *m2;
		size_t len;

		print_message("  %s\n", cases[i].name);
		s.payload = REQUEST;
		s.len = sizeof(REQUEST) - 1;
		len = fb_build(&s, req, sizeof(req), NULL);
		m = mbuf_of(req, len);
		assert_int_equal(dp_l2l4_decode(req, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
		assert_true(dp_craft_room(m, &d) >= strlen(REPLY));
		assert_int_equal(dp_craft_reply(m, &d, REPLY, strlen(REPLY), 0x1234, NULL), 0);
		check_reply(req, &d, m, s.tos);
		/* determinism: the same request gives the same bytes */
		m2 = mbuf_of(req, len);
		assert_int_equal(dp_craft_reply(m2, &d, REPLY, strlen(REPLY), 0x1234, NULL), 0);
		assert_int_equal(m2->pkt_len, m->pkt_len);
		assert_memory_equal(rte_pktmbuf_mtod(m2, void *), rte_pktmbuf_mtod(m, void *), m->pkt_len);
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(m2);
	}
}

/* Golden: the reply equals, byte for byte, the frame frames.c builds from the swapped request. */
static void test_golden_ipv4(void **state)
{
	static uint8_t req[2048], want[2048];
	struct fb_spec s = { .nvlan = 1, .vlan_id = 5, .payload = REQUEST, .len = sizeof(REQUEST) - 1 };
	struct fb_spec r = { .nvlan = 1, .vlan_id = 5, .payload = REPLY, .len = sizeof(REPLY) - 1,
			     .sport = 5060, .dport = 5062, .set_addrs = true,
			     .src4 = { 203, 0, 113, 10 }, .dst4 = { 198, 51, 100, 7 } };
	struct fb_layout lay;
	struct dp_l2l4 d;
	struct rte_mbuf *m;
	size_t len, wlen;
	uint8_t *ip;
	uint32_t sum;

	(void)state;
	len = fb_build(&s, req, sizeof(req), NULL);
	wlen = fb_build(&r, want, sizeof(want), &lay);
	/* frames.c writes the request's MACs: swap them, set DF, redo the header checksum (UDP's does not cover it) */
	for (int i = 0; i < 6; i++) {
		uint8_t t = want[i];

		want[i] = want[6 + i];
		want[6 + i] = t;
	}
	ip = want + lay.l2_len;
	ip[6] = 0x40;
	ip[10] = ip[11] = 0;
	sum = ref_sum(ip, 20, 0);
	ip[10] = (uint8_t)(~ref_fold(sum) >> 8);
	ip[11] = (uint8_t)~ref_fold(sum);

	m = mbuf_of(req, len);
	assert_int_equal(dp_l2l4_decode(req, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	assert_int_equal(dp_craft_reply(m, &d, REPLY, strlen(REPLY), 0x1234, NULL), 0);
	assert_int_equal(m->pkt_len, wlen);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), want, wlen);
	rte_pktmbuf_free(m);
}

static void test_no_room(void **state)
{
	static uint8_t req[2048];
	static char big[4096];
	struct fb_spec s = { .payload = REQUEST, .len = sizeof(REQUEST) - 1 };
	struct dp_l2l4 d;
	struct rte_mbuf *m;
	size_t len;

	(void)state;
	len = fb_build(&s, req, sizeof(req), NULL);
	m = mbuf_of(req, len);
	assert_int_equal(dp_l2l4_decode(req, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	memset(big, 'x', sizeof(big));
	assert_int_equal(dp_craft_reply(m, &d, big, dp_craft_room(m, &d) + 1, 1, NULL), -ENOSPC);
	assert_int_equal(m->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), req, len);
	/* exactly the room fits */
	assert_int_equal(dp_craft_reply(m, &d, big, dp_craft_room(m, &d), 1, NULL), 0);
	rte_pktmbuf_free(m);
}

/* A request in two segments: the reply is one, the second segment goes back to the pool. */
static void test_chained(void **state)
{
	static uint8_t req[2048];
	struct fb_spec s = { .ip_ver = 6, .payload = REQUEST, .len = sizeof(REQUEST) - 1 };
	struct rte_mbuf *m, *tail;
	struct dp_l2l4 d;
	size_t len, cut = 100;
	unsigned before;

	(void)state;
	len = fb_build(&s, req, sizeof(req), NULL);
	m = mbuf_of(req, cut);
	tail = mbuf_of(req + cut, len - cut);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(dp_l2l4_decode(req, (uint32_t)cut, (uint32_t)len, &d), DP_PKT_UDP);
	before = rte_mempool_avail_count(pool);
	assert_int_equal(dp_craft_reply(m, &d, REPLY, strlen(REPLY), 1, NULL), 0);
	assert_int_equal(rte_mempool_avail_count(pool), before + 1);
	check_reply(req, &d, m, 0);
	rte_pktmbuf_free(m);
}

/* With TX offloads the mbuf asks the port for both checksums: IPv4 header left 0, UDP holds the pseudo sum. */
static void test_offload_flags(void **state)
{
	static uint8_t req[2048];
	struct fb_spec s = { .nvlan = 1, .payload = REQUEST, .len = sizeof(REQUEST) - 1 };
	struct dp_craft_opts o = { .ipv4_cksum_offload = true, .udp_cksum_offload = true };
	struct dp_l2l4 d;
	struct rte_mbuf *m;
	const uint8_t *ip, *u;
	size_t len;
	uint32_t sum;

	(void)state;
	len = fb_build(&s, req, sizeof(req), NULL);
	m = mbuf_of(req, len);
	assert_int_equal(dp_l2l4_decode(req, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
	assert_int_equal(dp_craft_reply(m, &d, REPLY, strlen(REPLY), 1, &o), 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
	assert_int_equal(m->l2_len, d.l2_len);
	assert_int_equal(m->l3_len, 20);
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, d.l2_len);
	u = ip + 20;
	assert_int_equal(ip[10] | ip[11], 0);
	sum = ref_sum(ip + 12, 8, 0) + 17 + (uint32_t)(8 + strlen(REPLY));
	assert_int_equal(u[6] << 8 | u[7], ref_fold(sum));
	rte_pktmbuf_free(m);
}

/*
 * The payload's sum, taken while it is copied (dp_cksum_copy(), each of its stages and its tail): every
 * length to 1100 bytes, the payload at every alignment, IPv4 and IPv6, the UDP checksum recomputed by the reference
 * sum in frames.c and the payload compared.
 */
static void test_payload_lengths(void **state)
{
	static uint8_t req[2048];
	static char pay[1100 + 64];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t i = 0; i < sizeof(pay); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pay[i] = (char)(x >> 24);
	}
	for (unsigned v = 4; v <= 6; v += 2) {
		struct fb_spec s = { .ip_ver = (int)v, .payload = REQUEST, .len = sizeof(REQUEST) - 1 };
		struct dp_l2l4 d;
		size_t len = fb_build(&s, req, sizeof(req), NULL);

		assert_int_equal(dp_l2l4_decode(req, (uint32_t)len, (uint32_t)len, &d), DP_PKT_UDP);
		for (uint32_t n = 0; n <= 1100; n++)
			for (uint32_t off = 0; off < 4; off++) {
				struct rte_mbuf *m = mbuf_of(req, len);
				const uint8_t *f;

				assert_int_equal(dp_craft_reply(m, &d, pay + off, n, 7, NULL), 0);
				f = rte_pktmbuf_mtod(m, const uint8_t *);
				assert_int_equal(m->pkt_len, d.l2_len + (v == 4 ? 20 : 40) + 8 + n);
				assert_true(ref_udp_ok(f, d.l2_len, v == 4 ? 20 : 40, v));
				assert_memory_equal(f + d.l2_len + (v == 4 ? 20 : 40) + 8, pay + off, n);
				rte_pktmbuf_free(m);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_golden_ipv4),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_chained),
		cmocka_unit_test(test_offload_flags),
		cmocka_unit_test(test_payload_lengths),
	};

	if (!test_eal_init("test_craft"))
		return 77;
	pool = rte_pktmbuf_pool_create("craft", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!pool)
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragments (dataplane/frag.c) over DPDK's reassembler: datagrams fragmented by frames.c as a host would
 * (RFC 791, RFC 8200), fed in and out of order, must come out whole (payload and UDP checksum intact) and split
 * back into the very frames that went in; duplicates and timeouts end on the death row. Needs the EAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "frag.h"
#include "frames.h"
#include "l2l4.h"

#define TIMEOUT_MS 100

static struct rte_mempool *pool;
static uint8_t payload[1200];
static uint8_t whole[2048];
static uint8_t frags[8][2048];
static size_t lens[8];

static struct rte_mbuf *mbuf_of(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	return m;
}

static size_t make(int ip_ver, int nvlan, size_t *l2)
{
	struct fb_spec s = { .ip_ver = ip_ver, .nvlan = nvlan, .vlan_id = 11, .payload = payload,
			     .len = sizeof(payload) };
	struct fb_layout lay;
	size_t len = fb_build(&s, whole, sizeof(whole), &lay);

	*l2 = lay.l2_len;
	return fb_fragment(whole, len, lay.l2_len, ip_ver, 400, 0xbeef, frags, lens, 8);
}

/* Feed fragments in the given order; all but the last are held; returns the reassembled datagram. */
static struct rte_mbuf *feed(struct dp_frag *f, const unsigned *order, size_t n, uint32_t *v6_id)
{
	struct rte_mbuf *out = NULL;
	uint64_t now = rte_rdtsc();

	for (size_t i = 0; i < n; i++) {
		struct dp_l2l4 d;
		const uint8_t *fr = frags[order[i]];

		assert_int_equal(dp_l2l4_decode(fr, (uint32_t)lens[order[i]], (uint32_t)lens[order[i]], &d), DP_PKT_FRAG);
		out = dp_frag_feed(f, mbuf_of(fr, lens[order[i]]), &d, now, v6_id);
		if (i + 1 < n)
			assert_null(out);
	}
	assert_int_equal(dp_frag_collect(f), 0);
	return out;
}

static void round_trip(int ip_ver, int nvlan, const unsigned *order)
{
	static uint8_t got[2048];
	struct rte_mbuf *m, *out[8];
	struct dp_frag f;
	struct dp_l2l4 d;
	uint32_t v6_id = 0;
	size_t l2, n = make(ip_ver, nvlan, &l2);

	assert_int_equal(n, 4);
	assert_int_equal(dp_frag_init(&f, 16, TIMEOUT_MS, SOCKET_ID_ANY), 0);
	m = feed(&f, order, n, &v6_id);
	assert_non_null(m);
	assert_int_equal(m->nb_segs, n);
	/* whole again: the original datagram, minus the IPv6 fragment header */
	assert_int_equal(dp_l2l4_decode(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, m->pkt_len, &d), DP_PKT_UDP);
	assert_int_equal(d.l2_len, l2);
	assert_int_equal(d.payload_len, sizeof(payload));
	assert_memory_equal(rte_pktmbuf_read(m, d.payload_off, d.payload_len, got), payload, sizeof(payload));
	assert_true(dp_udp_cksum_ok_mbuf(m, &d));
	/* and split into the frames that came in, byte for byte, in offset order */
	assert_int_equal(dp_frag_split(m, &d, v6_id, out, 8), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i]->nb_segs, 1);
		assert_int_equal(out[i]->pkt_len, lens[i]);
		assert_memory_equal(rte_pktmbuf_mtod(out[i], void *), frags[i], lens[i]);
		rte_pktmbuf_free(out[i]);
	}
	dp_frag_fini(&f);
}

static void test_v4_in_order(void **state)
{
	static const unsigned order[] = { 0, 1, 2, 3 };

	(void)state;
	round_trip(4, 0, order);
	round_trip(4, 2, order);
}

static void test_v4_out_of_order(void **state)
{
	static const unsigned order[] = { 3, 1, 0, 2 };

	(void)state;
	round_trip(4, 1, order);
}

static void test_v6(void **state)
{
	static const unsigned in_order[] = { 0, 1, 2, 3 };
	static const unsigned reversed[] = { 3, 2, 1, 0 };

	(void)state;
	round_trip(6, 0, in_order);
	round_trip(6, 2, reversed);
}

/* A second first fragment invalidates the datagram: everything held goes to the death row. */
static void test_duplicate(void **state)
{
	struct dp_frag f;
	struct dp_l2l4 d;
	uint32_t id;
	size_t l2, n = make(4, 0, &l2);
	uint64_t now = rte_rdtsc();

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(dp_frag_init(&f, 16, TIMEOUT_MS, SOCKET_ID_ANY), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dp_l2l4_decode(frags[0], (uint32_t)lens[0], (uint32_t)lens[0], &d), DP_PKT_FRAG);
		assert_null(dp_frag_feed(&f, mbuf_of(frags[0], lens[0]), &d, now, &id));
	}
	assert_int_equal(dp_frag_collect(&f), 2);
	dp_frag_fini(&f);
}

/* A datagram whose other fragments never come is dropped after the timeout. */
static void test_timeout(void **state)
{
	struct dp_frag f;
	struct dp_l2l4 d;
	uint32_t id;
	size_t l2, n = make(6, 1, &l2);
	uint64_t now = rte_rdtsc();

	(void)state;
	assert_true(n > 1);
	assert_int_equal(dp_frag_init(&f, 16, TIMEOUT_MS, SOCKET_ID_ANY), 0);
	assert_int_equal(dp_l2l4_decode(frags[1], (uint32_t)lens[1], (uint32_t)lens[1], &d), DP_PKT_FRAG);
	assert_null(dp_frag_feed(&f, mbuf_of(frags[1], lens[1]), &d, now, &id));
	dp_frag_expire(&f, now + rte_get_tsc_hz() / 1000 * TIMEOUT_MS / 2);
	assert_int_equal(dp_frag_collect(&f), 0);
	dp_frag_expire(&f, now + rte_get_tsc_hz() / 1000 * TIMEOUT_MS * 2);
	assert_int_equal(dp_frag_collect(&f), 1);
	dp_frag_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_in_order),
		cmocka_unit_test(test_v4_out_of_order),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_timeout),
	};

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)('a' + i % 26);
	if (!test_eal_init("test_frag"))
		return 77;
	pool = rte_pktmbuf_pool_create("frag", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!pool)
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

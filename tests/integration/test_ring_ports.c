/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ring ports through the daemon's own port setup (dp_port_start) and lcore loop (dp_worker_loop, on a worker
 * lcore as in sipwall): the two ports are rte_rings of this process (rte_eth_from_rings: the net_ring PMD), frames
 * go in on the outside port's RX ring, and what the worker sends is read off the two TX rings. A valid INVITE must
 * come out of the inside port byte for byte, a request with Max-Forwards: 0 back out of the outside port as a 483
 * to its source, non-SIP UDP out of the inside port untouched, and a frame with a bad UDP checksum nowhere.
 * Exits 77 (skip) when the EAL cannot start or there is no second lcore.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "frames.h"
#include "policy.h"
#include "policy_store.h"
#include "port.h"
#include "worker.h"

#define FRAME_CAP 2048

static const char invite[] = "INVITE sip:bob@biloxi.example SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK776asdhds\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: Bob <sip:bob@biloxi.example>\r\n"
			     "From: Alice <sip:alice@atlanta.example>;tag=1928301774\r\n"
			     "Call-ID: a84b4c76e66710@pc33.atlanta.example\r\n"
			     "CSeq: 314159 INVITE\r\n"
			     "Contact: <sip:alice@198.51.100.7:5062>\r\n"
			     "Content-Length: 0\r\n"
			     "\r\n";

static const char hops0[] = "OPTIONS sip:carol@chicago.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKhjhs8ass877\r\n"
			    "Max-Forwards: 0\r\n"
			    "To: <sip:carol@chicago.example>\r\n"
			    "From: Alice <sip:alice@atlanta.example>;tag=1928301774\r\n"
			    "Call-ID: a84b4c76e66710\r\n"
			    "CSeq: 63104 OPTIONS\r\n"
			    "Content-Length: 0\r\n"
			    "\r\n";

/* a DNS query for example.net, to port 53 */
static const char dns[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07"
			  "example\x03"
			  "net\x00\x00\x01\x00\x01";

struct frame {
	uint8_t b[FRAME_CAP];
	size_t len;
	struct fb_layout lay;
};

static struct {
	struct rte_mempool *pool;
	struct rte_ring *rx[2], *tx[2]; /* by enum dp_side */
	uint16_t port[2];
	struct dp_worker *w;
	struct policy_store *store;
	struct rte_rcu_qsbr *qs;
	volatile bool quit;
	struct dp_loop_ctx loop;
	unsigned lcore;
} t;

static int worker_main(void *arg)
{
	(void)arg;
	return dp_worker_loop(t.w, &t.loop);
}

static void build(struct frame *f, const void *payload, uint32_t len, uint16_t dport, bool bad_cksum)
{
	struct fb_spec s = { .payload = payload, .len = len, .dport = dport, .bad_udp_cksum = bad_cksum };

	f->len = fb_build(&s, f->b, sizeof(f->b), &f->lay);
	assert_true(f->len > 0);
}

static void inject(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t.pool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)f->len);
	assert_non_null(d);
	memcpy(d, f->b, f->len);
	assert_int_equal(rte_ring_enqueue(t.rx[DP_OUTSIDE], m), 0);
}

/* The next frame the worker sent out of side, waiting up to a second for it; NULL when none came. */
static struct rte_mbuf *sent(enum dp_side side)
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz();
	void *m;

	do {
		if (rte_ring_dequeue(t.tx[side], &m) == 0)
			return m;
		rte_pause();
	} while (rte_get_tsc_cycles() < end);
	return NULL;
}

static void test_ring_ports(void **state)
{
	struct frame inv, mf0, other, bad;
	struct rte_mbuf *m;
	const uint8_t *o;
	void *extra;

	(void)state;
	build(&inv, invite, sizeof(invite) - 1, 5060, false);
	build(&mf0, hops0, sizeof(hops0) - 1, 5060, false);
	build(&other, dns, sizeof(dns) - 1, 53, false);
	build(&bad, invite, sizeof(invite) - 1, 5060, true);
	inject(&bad);
	inject(&inv);
	inject(&mf0);
	inject(&other);

	/* passes, in order, out of the inside port, byte for byte */
	m = sent(DP_INSIDE);
	assert_non_null(m);
	assert_int_equal(m->pkt_len, inv.len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const void *), inv.b, inv.len);
	rte_pktmbuf_free(m);
	m = sent(DP_INSIDE);
	assert_non_null(m);
	assert_int_equal(m->pkt_len, other.len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const void *), other.b, other.len);
	rte_pktmbuf_free(m);

	/* the 483, back out of the outside port: source and destination swapped, checksums right, the status line */
	m = sent(DP_OUTSIDE);
	assert_non_null(m);
	o = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_memory_equal(o + 26, mf0.b + 30, 4); /* its IPv4 source is the request's destination */
	assert_memory_equal(o + 30, mf0.b + 26, 4); /* and its destination the request's source */
	assert_true(ref_ipv4_hdr_ok(o + 14));
	assert_true(ref_udp_ok(o, 14, 20, 4));
	assert_true(m->pkt_len > 42 + 22);
	assert_memory_equal(o + 42, "SIP/2.0 483 Too Many Hops\r\n", 27);
	rte_pktmbuf_free(m);

	/* nothing else: the frame with a bad UDP checksum was dropped and counted */
	rte_delay_ms(50);
	assert_int_not_equal(rte_ring_dequeue(t.tx[DP_INSIDE], &extra), 0);
	assert_int_not_equal(rte_ring_dequeue(t.tx[DP_OUTSIDE], &extra), 0);
	t.quit = true;
	assert_int_equal(rte_eal_wait_lcore(t.lcore), 0);
	assert_int_equal(t.w->stats.rx, 4);
	assert_int_equal(t.w->stats.tx_pass, 2);
	assert_int_equal(t.w->stats.tx_reply, 1);
	assert_int_equal(t.w->stats.drop[DP_DROP_BAD_UDP_CKSUM], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_ring_ports) };
	struct dp_worker_conf wc = { .id = 0, .nworkers = 1, .budget_entries = 1024, .frag_max_flows = 64,
				     .frag_timeout_ms = 1000 };
	struct dp_port_conf pc = { .nqueues = 1, .rxd = 256, .txd = 256 };
	struct sw_policy *pol, *old = NULL;
	static const char *names[2] = { "outside", "inside" };
	struct dp_port_info info[2];
	char err[256], name[32];
	int rc;

	if (!test_eal_init("test_ring_ports"))
		return 77;
	t.lcore = rte_get_next_lcore(-1, 1, 0);
	if (t.lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "test_ring_ports: no second lcore: skipped\n");
		return 77;
	}
	t.pool = rte_pktmbuf_pool_create("ring_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	pc.pool = t.pool;
	if (!t.pool)
		return 1;
	for (int s = 0; s < 2; s++) {
		snprintf(name, sizeof(name), "rx_%s", names[s]);
		t.rx[s] = rte_ring_create(name, 256, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tx_%s", names[s]);
		t.tx[s] = rte_ring_create(name, 256, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "net_ring_%s", names[s]);
		rc = t.rx[s] && t.tx[s] ? rte_eth_from_rings(name, &t.rx[s], 1, &t.tx[s], 1, (unsigned)rte_socket_id())
					: -1;
		if (rc < 0) {
			fprintf(stderr, "test_ring_ports: %s: %s\n", name, rte_strerror(rte_errno));
			return 1;
		}
		t.port[s] = (uint16_t)rc;
		if (dp_port_start(t.port[s], &pc, &info[s], err, sizeof(err)) < 0) {
			fprintf(stderr, "test_ring_ports: %s\n", err);
			return 1;
		}
		if (strcmp(info[s].driver, "net_ring") != 0) {
			fprintf(stderr, "test_ring_ports: port %s has driver %s\n", name, info[s].driver);
			return 1;
		}
	}
	wc.socket = (int)rte_socket_id();
	t.w = dp_worker_create(&wc);
	pol = calloc(1, sizeof(*pol));
	t.store = policy_store_create(1, NULL, NULL);
	t.qs = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (!t.w || !pol || !t.store || !t.qs || rte_rcu_qsbr_init(t.qs, 1) != 0)
		return 1;
	policy_defaults(pol);
	pol->version = 1;
	policy_store_commit(t.store, pol, &old);
	for (int s = 0; s < 2; s++) { /* as the daemon sets its workers up (main.c) */
		t.w->port[s] = t.port[s];
		t.w->craft[s] = info[s].craft;
	}
	t.loop = (struct dp_loop_ctx){ .store = t.store, .qsbr = t.qs, .quit = &t.quit };
	if (rte_eal_remote_launch(worker_main, NULL, t.lcore) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	t.quit = true;
	rte_eal_mp_wait_lcore();
	for (int s = 0; s < 2; s++)
		dp_port_close(t.port[s]);
	dp_worker_free(t.w);
	policy_store_destroy(t.store);
	rte_free(t.qs);
	return rc;
}

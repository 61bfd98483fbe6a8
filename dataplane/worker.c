/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path (see worker.h). Per frame: decode L2-L4; anything that is not a whole UDP datagram to or from a
 * SIP port is forwarded untouched (or dropped when its headers lie); a SIP datagram has its checksums verified,
 * is judged by the core, then forwarded, dropped, or turned into its reply in place. Fragments go through the
 * reassembler first. No allocation, lock, syscall or log here: every outcome is a counter.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "policy_store.h"
#include "worker.h"

#define PREFETCH_AHEAD 3
#define TX_RETRIES 4

/* One frame on its way through the path. */
struct pkt {
	struct rte_mbuf *m;
	const uint8_t *f;  /* first byte of the frame */
	struct dp_l2l4 d;
	enum dp_side side; /* where it came in */
	bool whole;        /* a reassembled datagram (a chain of fragments) */
};

static const enum dp_drop class_drop[DP_PKT__COUNT] = {
	[DP_PKT_UDP] = DP_DROP_BAD_L3,   /* unused */
	[DP_PKT_FRAG] = DP_DROP_BAD_FRAG, /* a fragment inside a reassembled datagram */
	[DP_PKT_OTHER] = DP_DROP_BAD_L3, /* unused */
	[DP_PKT_BAD_L2] = DP_DROP_BAD_L2,
	[DP_PKT_BAD_L3] = DP_DROP_BAD_L3,
	[DP_PKT_BAD_LEN] = DP_DROP_BAD_LEN,
	[DP_PKT_BAD_FRAG] = DP_DROP_BAD_FRAG,
};

static const enum dp_drop budget_drop[] = {
	[DP_BUDGET_PREFIX] = DP_DROP_BUDGET_PREFIX,
	[DP_BUDGET_GLOBAL] = DP_DROP_BUDGET_GLOBAL,
	[DP_BUDGET_FULL] = DP_DROP_BUDGET_FULL,
};

static uint16_t eth_tx(struct dp_worker *w, enum dp_side side, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	/* a full ring usually drains within a few tries; past that the frames are counted and freed */
	for (unsigned i = 0; i < TX_RETRIES && sent < n; i++)
		sent += rte_eth_tx_burst(w->port[side], w->queue, pkts + sent, n - sent);
	return sent;
}

static void txq_flush(struct dp_worker *w, enum dp_side side)
{
	struct dp_txq *q = &w->txq[side];
	uint16_t sent;

	if (q->n == 0)
		return;
	sent = w->tx(w, side, q->pkts, q->n);
	if (unlikely(sent < q->n)) {
		w->stats.drop[DP_DROP_TX_FULL] += q->n - sent;
		rte_pktmbuf_free_bulk(q->pkts + sent, q->n - sent);
	}
	q->n = 0;
}

void dp_worker_flush(struct dp_worker *w)
{
	txq_flush(w, DP_OUTSIDE);
	txq_flush(w, DP_INSIDE);
}

static inline void emit(struct dp_worker *w, enum dp_side side, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->txq[side];

	q->pkts[q->n++] = m;
	if (q->n == DP_BURST)
		txq_flush(w, side);
}

static inline enum dp_side other(enum dp_side s)
{
	return s == DP_OUTSIDE ? DP_INSIDE : DP_OUTSIDE;
}

static inline void drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop why)
{
	w->stats.drop[why]++;
	rte_pktmbuf_free(m);
}

/*
 * Drop what a struct pkt stands for: one frame, or a reassembled datagram as the fragments it came in as (one
 * segment each: fragment() refuses multi-segment fragments), so that rx = tx_pass + tx_reply + dropped in frames.
 */
static inline void drop_pkt(struct dp_worker *w, const struct pkt *p, enum dp_drop why)
{
	w->stats.drop[why] += p->whole ? p->m->nb_segs : 1;
	rte_pktmbuf_free(p->m);
}

static inline void forward(struct dp_worker *w, enum dp_side from, struct rte_mbuf *m)
{
	w->stats.tx_pass++;
	emit(w, other(from), m);
}

/* Pass a frame, or a reassembled datagram as the fragments it came in as. */
static void pass(struct dp_worker *w, struct pkt *p)
{
	struct rte_mbuf *frags[RTE_LIBRTE_IP_FRAG_MAX_FRAG];
	uint16_t n;

	if (likely(!p->whole)) {
		forward(w, p->side, p->m);
		return;
	}
	n = dp_frag_split(p->m, &p->d, w->v6_id, frags, RTE_DIM(frags));
	if (n == 0) {
		drop_pkt(w, p, DP_DROP_FRAG_UNSUPPORTED);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		forward(w, p->side, frags[i]);
}

static __rte_noinline void reply(struct dp_worker *w, const struct sw_policy *pol, struct pkt *p,
				 struct sw_verdict *v)
{
	struct dp_budget_ticket t;
	enum dp_budget_result br;
	struct sw_peer src;
	uint32_t cap, len;

	if (!dp_l2l4_reply_allowed(p->f, &p->d)) {
		w->stats.why[v->why]++;
		drop_pkt(w, p, DP_DROP_NO_REPLY);
		return;
	}
	dp_l2l4_src(p->f, &p->d, &src);
	br = dp_budget_check(w->budget, pol, &src, w->now, &t);
	if (br != DP_BUDGET_OK) {
		w->stats.why[SW_WHY_BUDGET]++;
		drop_pkt(w, p, budget_drop[br]);
		return;
	}
	/* never longer than the request (no amplification), and it must fit the request's buffer */
	cap = RTE_MIN(p->d.payload_len, dp_craft_room(p->m, &p->d));
	len = sw_respond(pol, w->core, v, &src, w->resp, cap);
	w->stats.why[v->why]++; /* sw_respond turns v into a drop when it cannot answer */
	if (len == 0) {
		drop_pkt(w, p, cap < p->d.payload_len ? DP_DROP_NO_ROOM : DP_DROP_VERDICT);
		return;
	}
	dp_budget_commit(w->budget, &t);
	if (p->whole) /* the reply is crafted in the first fragment; the others are freed with the chain */
		w->stats.drop[DP_DROP_FRAG_ANSWERED] += p->m->nb_segs - 1u;
	dp_craft_reply(p->m, &p->d, w->resp, len, w->ip_id++, &w->craft[p->side]); /* len <= room: cannot fail */
	if (v->status >= DP_STATUS_MIN && v->status < DP_STATUS_MIN + DP_STATUS_SLOTS)
		w->stats.status[v->status - DP_STATUS_MIN]++;
	w->stats.tx_reply++;
	emit(w, p->side, p->m);
}

/* Inlined into the burst loop: as a call of its own its frame and argument moves were ~15 instructions a packet. */
static inline __attribute__((always_inline)) void judge(struct dp_worker *w, const struct sw_policy *pol,
							 struct pkt *p)
{
	const char *payload;
	struct sw_verdict v;

	if (likely(p->d.payload_off + p->d.payload_len <= p->m->data_len))
		payload = (const char *)p->f + p->d.payload_off;
	else /* spread over segments (bounded by pkt_len when decoded) */
		payload = rte_pktmbuf_read(p->m, p->d.payload_off, p->d.payload_len, w->dgram);
	w->stats.judged++;
	sw_judge(pol, w->core, payload, p->d.payload_len, &v);
	switch (v.action) {
	case SW_ACT_PASS:
		w->stats.why[v.why]++;
		pass(w, p);
		return;
	case SW_ACT_REPLY:
		reply(w, pol, p, &v);
		return;
	case SW_ACT_DROP:
	default:
		w->stats.why[v.why]++;
		drop_pkt(w, p, DP_DROP_VERDICT);
		return;
	}
}

/*
 * Checksums: the NIC's RX verdict when it gave one (RX checksum offload, a single frame), else computed here.
 * A zero UDP checksum over IPv6 is refused whatever the NIC says (some report it good).
 */
static inline bool ip_cksum_ok(const struct pkt *p)
{
	uint64_t f = p->m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return dp_ipv4_hdr_cksum_ok(p->f, &p->d);
}

static inline bool udp_cksum_ok(const struct pkt *p)
{
	uint64_t f = p->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	const uint8_t *u = p->f + p->d.l4_off;

	if (p->whole || (p->d.ip_ver == 6 && u[6] == 0 && u[7] == 0))
		return dp_udp_cksum_ok_mbuf(p->m, &p->d);
	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	return dp_udp_cksum_ok_mbuf(p->m, &p->d);
}

static inline void udp(struct dp_worker *w, const struct sw_policy *pol, struct pkt *p)
{
	if (!sw_policy_is_sip_port(pol, p->d.sport, p->d.dport)) {
		w->stats.pass_other++;
		if (likely(!p->whole))
			forward(w, p->side, p->m);
		else
			pass(w, p);
		return;
	}
	/* a reassembled header has no checksum left: each fragment's was checked on the way in */
	if (p->d.ip_ver == 4 && !p->whole && !ip_cksum_ok(p)) {
		drop(w, p->m, DP_DROP_BAD_IP_CKSUM);
		return;
	}
	if (!udp_cksum_ok(p)) {
		drop_pkt(w, p, DP_DROP_BAD_UDP_CKSUM);
		return;
	}
	judge(w, pol, p);
}

static void reassembled(struct dp_worker *w, const struct sw_policy *pol, enum dp_side side, struct rte_mbuf *m)
{
	struct pkt p = { .m = m, .f = rte_pktmbuf_mtod(m, const uint8_t *), .side = side, .whole = true };
	enum dp_l2l4_class c = dp_l2l4_decode_fast(p.f, m->data_len, m->pkt_len, &p.d);

	w->stats.frag_reassembled++;
	if (c == DP_PKT_UDP || c == DP_PKT_OTHER) {
		if (p.d.ip_end - p.d.l2_len > pol->frag_max_datagram) {
			drop_pkt(w, &p, DP_DROP_FRAG_TOO_BIG);
			return;
		}
		if (c == DP_PKT_UDP) {
			udp(w, pol, &p);
		} else {
			w->stats.pass_other++;
			pass(w, &p);
		}
		return;
	}
	drop_pkt(w, &p, class_drop[c]);
}

static __rte_noinline void fragment(struct dp_worker *w, const struct sw_policy *pol, struct pkt *p)
{
	struct rte_mbuf *whole;

	w->stats.frag_rx++;
	switch (pol->frag_action) {
	case SW_FRAG_PASS:
		w->stats.pass_frag++;
		forward(w, p->side, p->m);
		return;
	case SW_FRAG_DROP:
		drop(w, p->m, DP_DROP_FRAG_POLICY);
		return;
	case SW_FRAG_REASSEMBLE:
	default:
		break;
	}
	if ((p->d.ip_ver == 6 && !p->d.frag_v6_direct) || p->m->nb_segs > 1) {
		drop(w, p->m, DP_DROP_FRAG_UNSUPPORTED);
		return;
	}
	if (p->d.ip_ver == 4 && !dp_ipv4_hdr_cksum_ok(p->f, &p->d)) {
		drop(w, p->m, DP_DROP_BAD_IP_CKSUM);
		return;
	}
	/* refuse early a piece that already reaches past the largest datagram allowed */
	if (p->d.ip_end - p->d.l2_len + p->d.frag_off > pol->frag_max_datagram) {
		drop(w, p->m, DP_DROP_FRAG_TOO_BIG);
		return;
	}
	whole = dp_frag_feed(&w->frag, p->m, &p->d, w->now, &w->v6_id);
	if (whole)
		reassembled(w, pol, p->side, whole);
}

static inline void handle(struct dp_worker *w, const struct sw_policy *pol, enum dp_side side, struct rte_mbuf *m)
{
	struct pkt p; /* not zeroed as a whole: the decode writes every field of p.d */
	enum dp_l2l4_class c;

	w->stats.rx++;
	if (side == DP_INSIDE && !pol->judge_inside) {
		w->stats.pass_inside++;
		forward(w, side, m);
		return;
	}
	p.m = m;
	p.f = rte_pktmbuf_mtod(m, const uint8_t *);
	p.side = side;
	p.whole = false;
	c = dp_l2l4_decode_fast(p.f, m->data_len, m->pkt_len, &p.d);
	if (likely(c == DP_PKT_UDP)) {
		udp(w, pol, &p);
	} else if (c == DP_PKT_OTHER) {
		w->stats.pass_other++;
		forward(w, side, m);
	} else if (c == DP_PKT_FRAG) {
		fragment(w, pol, &p);
	} else {
		drop(w, m, class_drop[c]);
	}
}

uint16_t sw_worker_burst(struct dp_worker *w, const struct sw_policy *pol, enum dp_side side,
			 struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		handle(w, pol, side, pkts[i]);
	}
	if (unlikely(w->frag.dr.cnt))
		w->stats.drop[DP_DROP_FRAG_REASSEMBLY] += dp_frag_collect(&w->frag);
	return n;
}

uint16_t dp_worker_forward_burst(struct dp_worker *w, enum dp_side side, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		w->stats.rx++;
		forward(w, side, pkts[i]);
	}
	return n;
}

void dp_worker_tick(struct dp_worker *w, const struct sw_policy *pol)
{
	dp_worker_flush(w);
	dp_frag_expire(&w->frag, w->now);
	w->stats.drop[DP_DROP_FRAG_REASSEMBLY] += dp_frag_collect(&w->frag);
	dp_budget_sweep(w->budget, pol, w->now, DP_SWEEP_PER_TICK);
}

struct dp_worker *dp_worker_create(const struct dp_worker_conf *c)
{
	static unsigned seq; /* rte_hash names are process-wide: make each budget's unique (control thread only) */
	char name[32];
	struct dp_worker *w;
	int rc;

	w = rte_zmalloc_socket("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, c->socket);
	if (!w) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->id = c->id;
	w->queue = (uint16_t)c->id;
	w->tx = eth_tx;
	w->ip_id = (uint16_t)rte_rand();
	w->core = rte_zmalloc_socket("sw_worker", sizeof(*w->core), RTE_CACHE_LINE_SIZE, c->socket);
	snprintf(name, sizeof(name), "swbudget%u_%u", c->id, seq++);
	w->budget = dp_budget_create(name, c->budget_entries, c->nworkers, c->socket);
	if (!w->core || !w->budget)
		goto fail;
	sw_worker_init(w->core, c->id, c->secret);
	rc = dp_frag_init(&w->frag, c->frag_max_flows, c->frag_timeout_ms, c->socket);
	if (rc < 0)
		goto fail;
	return w;
fail:
	rc = rte_errno ? rte_errno : ENOMEM;
	dp_worker_free(w);
	rte_errno = rc;
	return NULL;
}

void dp_worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	for (unsigned s = 0; s < 2; s++) {
		rte_pktmbuf_free_bulk(w->txq[s].pkts, w->txq[s].n);
		w->txq[s].n = 0;
	}
	dp_frag_fini(&w->frag);
	dp_budget_free(w->budget);
	rte_free(w->core);
	rte_free(w);
}

int dp_worker_loop(struct dp_worker *w, const struct dp_loop_ctx *ctx)
{
	const uint64_t drain = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * DP_DRAIN_US;
	struct rte_mbuf *pkts[DP_BURST];
	const struct sw_policy *pol;
	uint64_t last_tick = rte_rdtsc();
	uint32_t n;
	uint16_t nb;

	rte_rcu_qsbr_thread_register(ctx->qsbr, w->id);
	rte_rcu_qsbr_thread_online(ctx->qsbr, w->id);
	while (!*ctx->quit) {
		/* one policy per iteration: the pointer is not kept past the quiescent report below */
		pol = policy_store_current(ctx->store);
		w->now = rte_rdtsc();
		for (unsigned s = DP_OUTSIDE; s <= DP_INSIDE; s++) {
			nb = rte_eth_rx_burst(w->port[s], w->queue, pkts, DP_BURST);
			if (nb)
				sw_worker_burst(w, pol, (enum dp_side)s, pkts, nb);
		}
		if (unlikely(w->now - last_tick > drain)) {
			dp_worker_tick(w, pol);
			last_tick = w->now;
		}
		rte_rcu_qsbr_quiescent(ctx->qsbr, w->id);
	}
	dp_worker_flush(w);
	/* fragments still waiting for the rest of their datagram are dropped now, and counted: nothing unaccounted */
	for (;;) {
		dp_frag_expire(&w->frag, UINT64_MAX); /* as many as the death row takes per call */
		n = dp_frag_collect(&w->frag);
		if (n == 0)
			break;
		w->stats.drop[DP_DROP_FRAG_REASSEMBLY] += n;
	}
	rte_rcu_qsbr_thread_offline(ctx->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(ctx->qsbr, w->id);
	return 0;
}

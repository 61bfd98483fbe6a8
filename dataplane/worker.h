/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker: one lcore, one RX and one TX queue on each of the two ports, and everything it needs on the packet
 * path allocated once at start (core state, budget, fragment table, buffers). sw_worker_burst() is the whole
 * per-packet path; the lcore loop, the benchmark and the tests all call it, so the bench measures the real thing.
 */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "budget.h"
#include "craft.h"
#include "frag.h"
#include "policy.h"
#include "stats.h"
#include "sw_verdict.h"

struct rte_mbuf;
struct rte_rcu_qsbr;
struct policy_store;

#define DP_BURST 32          /* RX burst, and the TX batch that triggers a send */
#define DP_DRAIN_US 100      /* a partial TX batch waits at most this long (l2fwd's drain timer) */
#define DP_SWEEP_PER_TICK 256 /* budget table slots examined per drain tick (65536 slots: every 26 ms) */

/* The two ports of the bump in the wire. What passes leaves by the other one; a reply by the same one. */
enum dp_side {
	DP_OUTSIDE = 0,
	DP_INSIDE = 1,
};

struct dp_worker;

/*
 * Send n frames out of side's port; returns how many were taken (the rest are freed by the caller and counted as
 * tx_full). The daemon's is rte_eth_tx_burst on the worker's queue; the bench and tests plug in their own.
 */
typedef uint16_t (*dp_tx_fn)(struct dp_worker *w, enum dp_side side, struct rte_mbuf **pkts, uint16_t n);

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_worker {
	struct dp_stats stats;      /* written by this worker only; read by control and telemetry */
	unsigned id;                /* 0..nworkers-1: QSBR reader id, sw_worker id, rules scratch index */
	uint16_t queue;             /* RX and TX queue on both ports */
	uint16_t port[2];           /* by enum dp_side */
	struct dp_craft_opts craft[2]; /* TX checksum offloads of each side's port */
	dp_tx_fn tx;
	void *tx_arg;               /* for a custom tx */
	struct dp_txq txq[2];
	struct sw_worker *core;     /* the SIP core's per-worker state (64 KiB unfold buffer) */
	struct dp_budget *budget;
	struct dp_frag frag;
	uint64_t now;               /* TSC at the start of the current burst */
	uint16_t ip_id;             /* IPv4 identification of the next reply */
	uint32_t v6_id;             /* IPv6 fragment id of the datagram being handled (dp_frag_split) */
	char dgram[SW_MAX_DATAGRAM] __rte_cache_aligned; /* a datagram spread over segments, made contiguous */
	char resp[SW_MAX_DATAGRAM] __rte_cache_aligned;  /* the response, built here (it copies request bytes) */
};

/* What a worker is built with. */
struct dp_worker_conf {
	unsigned id;
	unsigned nworkers;
	int socket;
	uint8_t secret[16];         /* To-tag key, the same in every worker */
	uint32_t budget_entries;    /* source prefixes tracked per worker */
	uint32_t frag_max_flows;    /* from the policy at start */
	uint32_t frag_timeout_ms;
};

/* Allocate and initialise a worker on conf->socket. NULL with rte_errno set. tx defaults to rte_eth_tx_burst. */
struct dp_worker *dp_worker_create(const struct dp_worker_conf *conf);

/* Free a worker and what it holds (frames still queued for TX are freed). NULL-safe. */
void dp_worker_free(struct dp_worker *w);

/*
 * The packet path: judge n frames received on side under pol, then forward, reply or drop each one. Every mbuf
 * is consumed: queued for TX (sent in batches of DP_BURST; call dp_worker_flush for the rest), held by the
 * reassembler, or freed. w->now must be current (the loop sets it once per burst). Returns n.
 */
uint16_t sw_worker_burst(struct dp_worker *w, const struct sw_policy *pol, enum dp_side side,
			 struct rte_mbuf **pkts, uint16_t n);

/*
 * The baseline the bench compares with: the same loop (prefetch, counters, TX batching) forwarding every frame
 * to the other side without looking at it. Returns n.
 */
uint16_t dp_worker_forward_burst(struct dp_worker *w, enum dp_side side, struct rte_mbuf **pkts, uint16_t n);

/* Send what is queued on both sides. */
void dp_worker_flush(struct dp_worker *w);

/* Drain-timer work: flush, expire fragments, sweep the budget table. */
void dp_worker_tick(struct dp_worker *w, const struct sw_policy *pol);

/* What the lcore loop needs besides the worker. */
struct dp_loop_ctx {
	struct policy_store *store;
	struct rte_rcu_qsbr *qsbr;
	volatile bool *quit;
};

/* The lcore main loop (rte_eal_remote_launch): arg is a struct dp_worker whose loop context is set. */
int dp_worker_loop(struct dp_worker *w, const struct dp_loop_ctx *ctx);

#endif

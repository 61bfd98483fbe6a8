/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragments of UDP datagrams: reassembled per worker with DPDK's ip_frag library (RSS keeps a source, hence
 * its fragments, on one worker), and split back into the very frames they came in as when the datagram passes.
 *
 * DPDK reassembly chains the fragments' mbufs: the head is the first fragment with its IP header rewritten for
 * the whole datagram, every other segment is a later fragment with its data start moved past its own headers.
 * Those headers are still in the segment's headroom, untouched, so dp_frag_split() gives each fragment its
 * original bytes back without copying (the link-layer padding of short frames, trimmed by the reassembler, is
 * not restored: the NIC pads again).
 */
#ifndef DP_FRAG_H
#define DP_FRAG_H

#include <stdint.h>

#include <rte_ip_frag.h>

#include "l2l4.h"

struct rte_mbuf;

struct dp_frag {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr; /* mbufs the reassembler gave up on, freed after each burst */
};

/*
 * A table for max_flows datagrams in flight, each expiring timeout_ms after its first fragment. 0 or -errno
 * (rte_errno set).
 */
int dp_frag_init(struct dp_frag *f, uint32_t max_flows, uint32_t timeout_ms, int socket);

/* Free the table and everything it holds. NULL-safe on f->tbl. */
void dp_frag_fini(struct dp_frag *f);

/*
 * Give the reassembler a fragment m decoded as d (DP_PKT_FRAG; IPv6 only with frag_v6_direct; single segment).
 * Sets m->l2_len/l3_len. Returns the whole datagram (a chain; its head is the first fragment) once the last
 * piece is in, else NULL: m is held, or went to the death row (counted by dp_frag_collect()).
 * *v6_id receives the IPv6 fragment identification (host order), needed to split the datagram again.
 */
struct rte_mbuf *dp_frag_feed(struct dp_frag *f, struct rte_mbuf *m, const struct dp_l2l4 *d, uint64_t now,
			      uint32_t *v6_id);

/*
 * Undo a reassembly: turn the datagram (head decoded as d after reassembly) back into its fragments, in offset
 * order, into out[0..max). Returns the count, or 0 when the chain cannot be split (more segments than max, or a
 * segment that was not a fragment), in which case the chain is left as it was.
 */
uint16_t dp_frag_split(struct rte_mbuf *head, const struct dp_l2l4 *d, uint32_t v6_id, struct rte_mbuf **out,
		       uint16_t max);

/* Drop fragments of datagrams that timed out (call from the drain timer). */
void dp_frag_expire(struct dp_frag *f, uint64_t now);

/* Free the death row. Returns the number of mbufs freed. */
uint32_t dp_frag_collect(struct dp_frag *f);

#endif

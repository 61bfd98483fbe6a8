/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker counters: one cache-aligned block per worker, written only by its worker with plain increments (no
 * atomics, no sharing), read by the control side and the telemetry thread as relaxed 64-bit loads (a snapshot,
 * not a transaction). Exported under /sipwall/... through DPDK telemetry.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

#include "sw_verdict.h"

/* Why a frame was dropped. Keep in step with dp_drop_name(). */
enum dp_drop {
	DP_DROP_BAD_L2 = 0,       /* truncated Ethernet / VLAN header, too many tags */
	DP_DROP_BAD_L3,           /* truncated or malformed IP header, IPv6 extension chain too long */
	DP_DROP_BAD_LEN,          /* a length field that lies (IPv4 total, IPv6 payload, UDP length) */
	DP_DROP_BAD_FRAG,         /* a fragment past 65535 bytes, a first fragment without the UDP header */
	DP_DROP_BAD_IP_CKSUM,     /* SIP datagram with a wrong IPv4 header checksum */
	DP_DROP_BAD_UDP_CKSUM,    /* SIP datagram with a wrong UDP checksum (or none over IPv6) */
	DP_DROP_VERDICT,          /* the core said drop (the reason is in the verdict counters) */
	DP_DROP_BUDGET_PREFIX,    /* reply over the source prefix's budget */
	DP_DROP_BUDGET_GLOBAL,    /* reply over the global budget */
	DP_DROP_BUDGET_FULL,      /* reply to a new prefix with the budget table full */
	DP_DROP_NO_REPLY,         /* reply to a multicast / broadcast / loopback / port-0 source: never sent */
	DP_DROP_NO_ROOM,          /* the reply does not fit in the request's buffer */
	DP_DROP_FRAG_POLICY,      /* fragments.action: drop */
	DP_DROP_FRAG_REASSEMBLY,  /* mbufs freed by the reassembler: overlap, > 8 fragments, timeout, table full */
	DP_DROP_FRAG_TOO_BIG,     /* reassembled datagram above fragments.max_datagram_bytes */
	DP_DROP_FRAG_UNSUPPORTED, /* IPv6 fragment header behind other extension headers */
	DP_DROP_FRAG_ANSWERED,    /* fragments of a datagram answered with one reply: the reply stands for the first */
	DP_DROP_TX_FULL,          /* the TX queue took no more */
	DP_DROP__COUNT
};

#define DP_STATUS_MIN 400
#define DP_STATUS_SLOTS 300 /* replies by status 400..699 */

struct dp_stats {
	uint64_t rx;               /* frames received */
	uint64_t tx_pass;          /* frames sent out of the other port */
	uint64_t tx_reply;         /* replies sent */
	uint64_t pass_other;       /* passed unjudged: not IP, not UDP, not a SIP port */
	uint64_t pass_inside;      /* passed unjudged from the inside (dataplane.judge_inside: false) */
	uint64_t pass_frag;        /* fragments passed by fragments.action: pass */
	uint64_t judged;           /* SIP datagrams given to the core */
	uint64_t frag_rx;          /* fragments of UDP datagrams received */
	uint64_t frag_reassembled; /* datagrams reassembled from them */
	uint64_t drop[DP_DROP__COUNT];
	uint64_t why[SW_WHY__COUNT];             /* the core's verdicts, by reason (budget drops as SW_WHY_BUDGET) */
	uint64_t status[DP_STATUS_SLOTS];        /* replies sent, by status */
} __rte_cache_aligned;

const char *dp_drop_name(enum dp_drop d);

/* Drops caused by bad L2-L4 headers (bad_* above), the "bad L2-L4" total. */
uint64_t dp_stats_bad_l2l4(const struct dp_stats *s);
uint64_t dp_stats_dropped(const struct dp_stats *s);

/* Add n blocks into sum (zeroed first). */
void dp_stats_sum(struct dp_stats *sum, const struct dp_stats *const *blocks, unsigned n);

/* Print every non-zero counter as "name value" lines (zeros for the headline counters). */
void dp_stats_print(FILE *f, const struct dp_stats *s);

#endif

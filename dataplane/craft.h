/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply crafting: turn a received request, in its own mbuf, into the reply that goes back out of the same port.
 * Only ever to the request's source: addresses, ports and MACs are swapped, never chosen.
 */
#ifndef DP_CRAFT_H
#define DP_CRAFT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "l2l4.h"

/* What the egress port computes itself (from its TX offload capabilities). */
struct dp_craft_opts {
	bool ipv4_cksum_offload; /* RTE_ETH_TX_OFFLOAD_IPV4_CKSUM */
	bool udp_cksum_offload;  /* RTE_ETH_TX_OFFLOAD_UDP_CKSUM */
};

#define DP_REPLY_TTL 64

/*
 * Room for a reply payload in m once it is crafted from the request decoded as d: the request's L2 header, a
 * plain IP header, a UDP header, then the payload, all in the first segment.
 */
static inline uint32_t dp_craft_room(const struct rte_mbuf *m, const struct dp_l2l4 *d)
{
	/* a plain IPv4 header is 20 bytes, IPv6 40, UDP 8 (inline: the worker asks once per reply) */
	uint32_t hdrs = d->l2_len + (d->ip_ver == 4 ? 20u : 40u) + 8u;
	uint32_t avail = (uint32_t)m->buf_len - m->data_off;

	return avail > hdrs ? avail - hdrs : 0;
}

/*
 * Rewrite m (decoded as d, DP_PKT_UDP) into a reply carrying payload[0..len) (which must not point into m).
 *  - Ethernet: source and destination swapped; VLAN tags and their EtherTypes kept byte for byte.
 *  - IPv4: a 20-byte header (request options are dropped: a stateless reply echoes no source route or record
 *    route), addresses swapped, DSCP kept and ECN cleared, DF set, TTL 64, identification ip_id.
 *  - IPv6: a plain 40-byte header (extension headers dropped), addresses swapped, traffic class kept with ECN
 *    cleared, flow label 0, hop limit 64.
 *  - UDP: ports swapped, length, checksum (never 0: 0xffff stands for it).
 * Checksums are computed here unless opts says the port does it, in which case the mbuf's TX offload flags and
 * l2/l3/l4 lengths are set for it. Segments after the first are freed.
 * Returns 0, or -ENOSPC (m unchanged) when len exceeds dp_craft_room().
 */
int dp_craft_reply(struct rte_mbuf *m, const struct dp_l2l4 *d, const char *payload, uint32_t len,
		   uint16_t ip_id, const struct dp_craft_opts *opts);

#endif

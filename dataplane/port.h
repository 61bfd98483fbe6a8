/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup for the bump in the wire: one RX and one TX queue per worker, RSS on IP source addresses where the
 * PMD can (so a source stays on one worker), TX checksum offloads where it has them, no VLAN stripping (replies
 * keep the request's tags in the frame), promiscuous mode.
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "craft.h"

/* The daemon's one mbuf pool (main.c creates it; telemetry finds it by this name). */
#define DP_MBUF_POOL "sipwall_mbufs"

struct rte_mempool;

struct dp_port_conf {
	uint16_t nqueues;  /* = workers */
	uint16_t rxd, txd; /* descriptors per queue (adjusted to the PMD's limits) */
	struct rte_mempool *pool;
};

/* What the port ended up with, for the log and the workers. */
struct dp_port_info {
	struct dp_craft_opts craft; /* checksum offloads enabled for replies */
	uint64_t rss_hf;            /* RSS hash functions enabled (0: none, one queue takes all) */
	char driver[64];
};

/* Configure, set up queues and start port. 0 or -errno with a message in err. */
int dp_port_start(uint16_t port, const struct dp_port_conf *c, struct dp_port_info *info, char *err, size_t errlen);

/* Stop and close (flushes what the PMD buffers, e.g. net_pcap's dump file). */
void dp_port_close(uint16_t port);

/*
 * rte_eal_cleanup(), then remove the EAL's runtime directory (/var/run/dpdk/<file-prefix>), which the EAL leaves
 * behind: a process that ends here leaves nothing under /var/run/dpdk. For the daemon, the bench and the tests.
 */
void dp_eal_cleanup(void);

#endif

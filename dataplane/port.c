/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup (see port.h). Every call's failure is reported with the port, the step and DPDK's reason. And the
 * EAL's teardown at the end of a process that set ports up (dp_eal_cleanup()).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "port.h"

/* RSS on IP addresses; on the source address only where the PMD offers the modifier. */
static uint64_t pick_rss(const struct rte_eth_dev_info *di)
{
	uint64_t hf = RTE_ETH_RSS_IP & di->flow_type_rss_offloads;

	if (hf && (di->flow_type_rss_offloads & RTE_ETH_RSS_L3_SRC_ONLY))
		hf |= RTE_ETH_RSS_L3_SRC_ONLY;
	return hf;
}

static int configure(uint16_t port, const struct dp_port_conf *c, const struct rte_eth_dev_info *di,
		     struct dp_port_info *info, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if (c->nqueues > 1) {
		info->rss_hf = pick_rss(di);
		if (info->rss_hf) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = info->rss_hf;
		}
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		info->craft.ipv4_cksum_offload = true;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		info->craft.udp_cksum_offload = true;
	}
	/* the NIC's checksum verdicts, where it has them, spare the worker a pass over every SIP datagram */
	conf.rxmode.offloads |= di->rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	/* frames received in several segments (jumbo) pass as they are */
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	rc = rte_eth_dev_configure(port, c->nqueues, c->nqueues, &conf);
	if (rc < 0)
		snprintf(err, errlen, "port %u: configure %u queues: %s", port, c->nqueues, rte_strerror(-rc));
	return rc;
}

static int setup_queues(uint16_t port, const struct dp_port_conf *c, char *err, size_t errlen)
{
	uint16_t rxd = c->rxd, txd = c->txd;
	int socket = rte_eth_dev_socket_id(port);
	int rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: descriptors: %s", port, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < c->nqueues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, (unsigned)socket, NULL, c->pool);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: RX queue %u: %s", port, q, rte_strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(port, q, txd, (unsigned)socket, NULL);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: TX queue %u: %s", port, q, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int dp_port_start(uint16_t port, const struct dp_port_conf *c, struct dp_port_info *info, char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!rte_eth_dev_is_valid_port(port)) {
		snprintf(err, errlen, "port %u: no such port (%u available)", port, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port, &di);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: info: %s", port, rte_strerror(-rc));
		return rc;
	}
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	if (c->nqueues > di.max_rx_queues || c->nqueues > di.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s): %u workers need %u RX and TX queues, the port has %u and %u",
			 port, di.driver_name, c->nqueues, c->nqueues, di.max_rx_queues, di.max_tx_queues);
		return -EINVAL;
	}
	rc = configure(port, c, &di, info, err, errlen);
	if (rc == 0)
		rc = setup_queues(port, c, err, errlen);
	if (rc == 0) {
		rc = rte_eth_dev_start(port);
		if (rc < 0)
			snprintf(err, errlen, "port %u: start: %s", port, rte_strerror(-rc));
	}
	if (rc == 0)
		rte_eth_promiscuous_enable(port); /* a bump in the wire sees every frame; vdevs may say ENOTSUP */
	return rc;
}

void dp_port_close(uint16_t port)
{
	if (!rte_eth_dev_is_valid_port(port))
		return;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

void dp_eal_cleanup(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_peer: the far end of sipwall's two net_memif ports, for run_memif.py. A DPDK process with two ports (the
 * memif clients of sipwall's two server sockets, given as --vdev): once both links are up it sends the frames of
 * one capture into each port, then writes what comes back on each port to a capture, until nothing has come for
 * --idle-ms. The frames go in the order of their captures, a burst at a time, with the ports drained between
 * bursts so that neither side's rings fill.
 *
 *   memif_peer [EAL options] -- --send0 F --recv0 F --send1 F --recv1 F [--idle-ms N] [--link-ms N]
 *
 * Exit 0 when every frame was sent and the captures written; 1 on an error (said on stderr); 3 when the EAL
 * cannot start (the runner's skip).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define EXIT_EAL 3
#define NPORTS 2
#define BURST 32
#define FRAME_MAX 9216u
#define MAX_FRAMES 4096

struct frames {
	unsigned n;
	uint32_t len[MAX_FRAMES];
	uint8_t *data[MAX_FRAMES];
};

static int read_capture(const char *path, struct frames *f)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, err);
	int rc;

	if (!p) {
		fprintf(stderr, "memif_peer: %s: %s\n", path, err);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		if (f->n == MAX_FRAMES || h->caplen > FRAME_MAX || h->caplen != h->len) {
			fprintf(stderr, "memif_peer: %s: frame %u: more than %d frames, or cut, or over %d bytes\n", path,
				f->n + 1, MAX_FRAMES, FRAME_MAX);
			pcap_close(p);
			return -1;
		}
		f->data[f->n] = malloc(h->caplen);
		if (!f->data[f->n]) {
			pcap_close(p);
			return -1;
		}
		memcpy(f->data[f->n], d, h->caplen);
		f->len[f->n++] = h->caplen;
	}
	if (rc == -1)
		fprintf(stderr, "memif_peer: %s: %s\n", path, pcap_geterr(p));
	pcap_close(p);
	return rc == -1 ? -1 : 0;
}

static int port_init(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	int rc;

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc < 0)
		fprintf(stderr, "memif_peer: port %u: %s\n", port, rte_strerror(-rc));
	return rc;
}

static bool links_up(uint64_t ms)
{
	uint64_t end = rte_get_tsc_cycles() + ms * rte_get_tsc_hz() / 1000;

	do {
		unsigned up = 0;

		for (uint16_t port = 0; port < NPORTS; port++) {
			struct rte_eth_link l;

			if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP)
				up++;
		}
		if (up == NPORTS)
			return true;
		rte_delay_ms(10);
	} while (rte_get_tsc_cycles() < end);
	return false;
}

/* Whatever the ports hold, into their captures. Returns the number of frames read. */
static unsigned drain(pcap_dumper_t *out[NPORTS])
{
	struct rte_mbuf *pkts[BURST];
	static uint8_t flat[FRAME_MAX];
	unsigned total = 0;

	for (uint16_t port = 0; port < NPORTS; port++) {
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);

		for (uint16_t i = 0; i < n; i++) {
			struct pcap_pkthdr h = { .caplen = pkts[i]->pkt_len, .len = pkts[i]->pkt_len };
			const void *d = rte_pktmbuf_read(pkts[i], 0, RTE_MIN(pkts[i]->pkt_len, FRAME_MAX), flat);

			gettimeofday(&h.ts, NULL);
			h.caplen = RTE_MIN(h.caplen, FRAME_MAX);
			pcap_dump((u_char *)out[port], &h, d);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* Frame k of f into one mbuf, or NULL when the pool is empty. */
static struct rte_mbuf *frame_mbuf(struct rte_mempool *mp, const struct frames *f, unsigned k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *d;

	if (!m)
		return NULL;
	d = rte_pktmbuf_append(m, (uint16_t)f->len[k]);
	if (!d) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, f->data[k], f->len[k]);
	return m;
}

int main(int argc, char **argv)
{
	const char *send_path[NPORTS] = { NULL }, *recv_path[NPORTS] = { NULL };
	static const struct option opts[] = {
		{ "send0", required_argument, NULL, 's' }, { "send1", required_argument, NULL, 'S' },
		{ "recv0", required_argument, NULL, 'r' }, { "recv1", required_argument, NULL, 'R' },
		{ "idle-ms", required_argument, NULL, 'i' }, { "link-ms", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	static struct frames fr[NPORTS];
	pcap_dumper_t *out[NPORTS] = { NULL };
	uint64_t idle_ms = 1000, link_ms = 10000, idle, last;
	unsigned next[NPORTS] = { 0 }, sent = 0, got = 0;
	struct rte_mempool *mp;
	pcap_t *dead;
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "memif_peer: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_EAL;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': send_path[0] = optarg; break;
		case 'S': send_path[1] = optarg; break;
		case 'r': recv_path[0] = optarg; break;
		case 'R': recv_path[1] = optarg; break;
		case 'i': idle_ms = strtoull(optarg, NULL, 10); break;
		case 'l': link_ms = strtoull(optarg, NULL, 10); break;
		default:
			return 1;
		}
	}
	if (!send_path[0] || !send_path[1] || !recv_path[0] || !recv_path[1] || rte_eth_dev_count_avail() != NPORTS) {
		fprintf(stderr, "memif_peer: needs --send0 --send1 --recv0 --recv1 and two ports (%u)\n",
			rte_eth_dev_count_avail());
		return 1;
	}
	for (unsigned p = 0; p < NPORTS; p++)
		if (read_capture(send_path[p], &fr[p]) < 0)
			return 1;
	mp = rte_pktmbuf_pool_create("peer", 4095, 256, 0, FRAME_MAX + RTE_PKTMBUF_HEADROOM, rte_socket_id());
	if (!mp) {
		fprintf(stderr, "memif_peer: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (uint16_t port = 0; port < NPORTS; port++)
		if (port_init(port, mp) < 0)
			return 1;
	if (!links_up(link_ms)) {
		fprintf(stderr, "memif_peer: the memif links did not come up within %" PRIu64 " ms\n", link_ms);
		return 1;
	}
	dead = pcap_open_dead(DLT_EN10MB, FRAME_MAX);
	for (unsigned p = 0; p < NPORTS; p++) {
		out[p] = pcap_dump_open(dead, recv_path[p]);
		if (!out[p]) {
			fprintf(stderr, "memif_peer: %s: %s\n", recv_path[p], pcap_geterr(dead));
			return 1;
		}
	}

	/* a burst into each port in turn, the ports drained between; a burst the ring refuses waits its turn */
	idle = idle_ms * rte_get_tsc_hz() / 1000;
	last = rte_get_tsc_cycles();
	while (next[0] < fr[0].n || next[1] < fr[1].n) {
		for (uint16_t port = 0; port < NPORTS; port++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = 0, tx;

			while (n < BURST && next[port] + n < fr[port].n) {
				pkts[n] = frame_mbuf(mp, &fr[port], next[port] + n);
				if (!pkts[n])
					break;
				n++;
			}
			tx = rte_eth_tx_burst(port, 0, pkts, n);
			rte_pktmbuf_free_bulk(pkts + tx, n - tx);
			next[port] += tx;
			sent += tx;
			if (tx)
				last = rte_get_tsc_cycles();
		}
		got += drain(out);
		if (rte_get_tsc_cycles() - last > idle) {
			fprintf(stderr, "memif_peer: sending stalled at %u of %u and %u of %u frames\n", next[0],
				fr[0].n, next[1], fr[1].n);
			return 1;
		}
	}
	last = rte_get_tsc_cycles();
	while (rte_get_tsc_cycles() - last < idle) {
		unsigned n = drain(out);

		got += n;
		if (n)
			last = rte_get_tsc_cycles();
	}
	for (unsigned p = 0; p < NPORTS; p++)
		pcap_dump_close(out[p]);
	pcap_close(dead);
	printf("memif_peer: sent %u frames, received %u\n", sent, got);
	for (uint16_t port = 0; port < NPORTS; port++) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_dataplane: the worker's packet path, per traffic class, on one core.
 *
 * 1. From memory: frames built here (the SIP messages of messages.h in Ethernet/IPv4 and variants, plus non-SIP
 *    traffic) are copied into fresh mbufs, a burst of 32 at a time, and given to sw_worker_burst() — the very
 *    function the daemon's lcores run — with 0 and with 1,000 literal rules; the frames it sends are freed by a
 *    TX sink (what net_null does). The baseline is the same loop through dp_worker_forward_burst(): mbuf
 *    allocation, the copy, prefetch, counters and TX batching, no inspection. ns per packet = time per burst / 32.
 *    The core-only column (sw_judge + sw_respond on the payload, 1,000 rules) takes the payload from
 *    BENCH_PLACEMENTS copies over the page offsets in turn, as bench_core does.
 * 2. Packets per second: the daemon's lcore loop (dp_worker_loop) on a worker lcore, the outside port a net_pcap
 *    vdev looping a capture (infinite_rx=1; replies leave by it and are dropped), the inside port net_null; and
 *    the forwarding baseline on the same ports. The pcap PMD's own cost (an mbuf and a copy per frame) is in these.
 *
 * Floors (the issue, "on this kind of machine"): valid SIP with 1,000 literal rules <= 300 ns per packet; every
 * reply class <= 300 ns; non-SIP pass-through <= 2x the baseline. A missed floor is reported, not an error.
 *
 *   bench_dataplane [--cpu N] [--json FILE] [--rounds N] [--round-ms N] [--pps-ms N] [--only SUBSTRING] [--quiet]
 * EAL options are built in (--no-huge -m 512, a private --file-prefix, main lcore 0, worker lcore 1 or the --cpu).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "common.h"
#include "messages.h"
#include "policy_store.h"
#include "port.h"
#include "rules.h"
#include "worker.h"

#define NRULES 1000
#define FRAME_MAX 6000
#define DATA_ROOM (9216 + RTE_PKTMBUF_HEADROOM) /* the 5000-byte 413 request is a jumbo frame in one segment */
#define FLOOR_SIP_NS 300.0
#define FLOOR_REPLY_NS 300.0
#define FLOOR_NONSIP_RATIO 2.0

/* ---- traffic classes ---- */

enum kind { K_V4, K_V6, K_VLAN, K_TCP };

struct klass {
	const char *name;
	const char *payload;
	uint32_t plen;
	enum kind kind;
	uint16_t dport;
	uint16_t status;       /* expected reply status, 0 = passes */
	bool sip;              /* judged (the floors pick rows by this) */
	bool pps;              /* also measured in packets per second */
	uint8_t frame[FRAME_MAX];
	uint32_t len;
	struct bench_copies copies; /* the payload over the page offsets, for the core-only row */
};

static const char dns_query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07" "example\x03" "net\x00"
				"\x00\x01\x00\x01";

/* 505: the INVITE under another protocol version (RFC 3261 21.5.6; the verdict answers whenever a version was read) */
static const char msg_505[] = "INVITE sip:bob@biloxi.example SIP/3.0\r\n" INV_VIA "Max-Forwards: 70\r\n" INV_DIALOG
			      "Content-Length: 149\r\n"
			      "\r\n" INV_SDP;

#define K(n, p, k, port, st, is_sip, in_pps)                                                                      \
	{ .name = n, .payload = p, .plen = sizeof(p) - 1, .kind = k, .dport = port, .status = st, .sip = is_sip,      \
	  .pps = in_pps }
static struct klass classes[] = {
	K("INVITE+SDP", msg_invite, K_V4, 5060, 0, true, true),
	K("REGISTER", msg_register, K_V4, 5060, 0, true, false),
	K("OPTIONS", msg_options, K_V4, 5060, 0, true, false),
	K("INVITE+SDP IPv6", msg_invite, K_V6, 5060, 0, true, false),
	K("INVITE+SDP 802.1Q", msg_invite, K_VLAN, 5060, 0, true, false),
	K("400 no Call-ID", msg_400, K_V4, 5060, 400, true, false),
	K("413 too large", msg_413, K_V4, 5060, 413, true, false),
	K("414 long R-URI", msg_414, K_V4, 5060, 414, true, false),
	K("420 Proxy-Require", msg_420, K_V4, 5060, 420, true, false),
	K("483 Max-Forwards 0", msg_483, K_V4, 5060, 483, true, true),
	K("505 SIP/3.0", msg_505, K_V4, 5060, 505, true, false),
	K("non-SIP UDP (DNS)", dns_query, K_V4, 53, 0, false, true),
	K("non-SIP TCP", "", K_TCP, 5060, 0, false, false),
};
#undef K
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
static size_t nclasses = NCLASSES; /* --only keeps the matching classes at the front */

/* Ethernet II (+ one 802.1Q tag), IPv4 or IPv6, UDP (or a TCP SYN), checksums right: the worker verifies them. */
static void build_frame(struct klass *k)
{
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x65 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
	uint8_t *f = k->frame, *l3;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	uint32_t l2 = sizeof(*eh), l4len;
	struct rte_udp_hdr *u;

	memset(f, 0, sizeof(k->frame));
	memcpy(eh->dst_addr.addr_bytes, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(eh->src_addr.addr_bytes, "\x02\x00\x00\x00\x00\x01", 6);
	eh->ether_type = rte_cpu_to_be_16(k->kind == K_V6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (k->kind == K_VLAN) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		f[14] = 0;
		f[15] = 100;
		f[16] = 0x08;
		f[17] = 0x00;
		l2 += 4;
	}
	l3 = f + l2;
	l4len = k->kind == K_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(*u) + k->plen;
	if (k->kind == K_V6) {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)l3;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
		h->proto = IPPROTO_UDP;
		h->hop_limits = 64;
		memcpy(h->src_addr, src6, 16);
		memcpy(h->dst_addr, dst6, 16);
		u = (struct rte_udp_hdr *)(h + 1);
	} else {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)l3;

		h->version_ihl = RTE_IPV4_VHL_DEF;
		h->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + l4len));
		h->time_to_live = 64;
		h->next_proto_id = k->kind == K_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		h->src_addr = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 101));
		h->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 51, 100, 10));
		h->hdr_checksum = rte_ipv4_cksum(h);
		u = (struct rte_udp_hdr *)(h + 1);
	}
	if (k->kind == K_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)u;

		t->src_port = rte_cpu_to_be_16(40000);
		t->dst_port = rte_cpu_to_be_16(k->dport);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_SYN_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, t);
		k->len = (uint32_t)((uint8_t *)(t + 1) - f);
		return;
	}
	u->src_port = rte_cpu_to_be_16(k->sip ? 5060 : 33000); /* either port on the list makes it SIP */
	u->dst_port = rte_cpu_to_be_16(k->dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)l4len);
	memcpy(u + 1, k->payload, k->plen);
	u->dgram_cksum = k->kind == K_V6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, u)
					 : rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, u);
	k->len = l2 + (k->kind == K_V6 ? 40 : 20) + l4len;
}

/* ---- policies: defaults with a budget that never bites (replies are measured, not refused) ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void add_literal_rule(struct sw_policy *p, unsigned i)
{
	static const char *const syll[] = { "ka", "zu", "mor", "tel", "vox", "lin", "qua", "rex", "sip", "phon" };
	struct sw_rule_spec *r = &p->rules[i];
	char lit[64];

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "ua%u", i);
	r->where = SW_WHERE_HEADER;
	snprintf(r->header, sizeof(r->header), "User-Agent");
	r->hdr_id = sip_hdr_lookup("User-Agent", 10);
	snprintf(lit, sizeof(lit), "%s%s%s-%u/%u.%u", syll[next_rand() % 10], syll[next_rand() % 10],
		 syll[next_rand() % 10], i, next_rand() % 10, next_rand() % 100);
	r->literals = malloc(sizeof(char *));
	r->literals[0] = strdup(lit);
	r->nliterals = 1;
	r->caseless = true;
	r->action = SW_RULE_DROP;
}

static struct sw_policy *make_policy(unsigned nrules)
{
	struct sw_policy *p = calloc(1, sizeof(*p));
	char err[512];

	policy_defaults(p);
	p->budget_prefix_pps = 1000000;
	p->budget_prefix_burst = 10000000;
	p->budget_global_pps = 100000000;
	p->budget_global_burst = 100000000;
	if (nrules) {
		p->rules = calloc(nrules, sizeof(*p->rules));
		p->nrules = nrules;
		for (unsigned i = 0; i < nrules; i++)
			add_literal_rule(p, i);
		if (rules_compile(p, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_dataplane: rules_compile: %s\n", err);
			exit(1);
		}
	}
	p->version = 1;
	return p;
}

/* ---- the memory-fed loop ---- */

static struct rte_mempool *pool;

static uint16_t sink_tx(struct dp_worker *w, enum dp_side side, struct rte_mbuf **pkts, uint16_t n)
{
	(void)w;
	(void)side;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

struct row {
	struct klass *k;
	const struct sw_policy *pol; /* NULL: the forwarding baseline */
	bool core_only;              /* the SIP core alone on the payload (sw_judge + sw_respond), 32 times */
	unsigned nrules;
	struct dp_worker *w;
	struct bench_result r;
};

/* One burst: fresh mbufs, the frame copied into each, the worker's burst function, TX. */
static __attribute__((noinline)) void op_burst(void *arg)
{
	struct row *row = arg;
	struct rte_mbuf *pkts[DP_BURST];
	const struct klass *k = row->k;

	if (rte_pktmbuf_alloc_bulk(pool, pkts, DP_BURST) != 0)
		abort(); /* a leak: every frame must come back through the sink or a drop */
	for (unsigned i = 0; i < DP_BURST; i++) {
		rte_memcpy(rte_pktmbuf_mtod(pkts[i], void *), k->frame, k->len);
		pkts[i]->data_len = (uint16_t)k->len;
		pkts[i]->pkt_len = k->len;
	}
	row->w->now = rte_rdtsc();
	if (row->pol)
		sw_worker_burst(row->w, row->pol, DP_OUTSIDE, pkts, DP_BURST);
	else
		dp_worker_forward_burst(row->w, DP_OUTSIDE, pkts, DP_BURST);
	dp_worker_flush(row->w);
}

/*
 * The core's share: what sw_worker_burst calls for a SIP datagram, on the payload, once per packet of a burst. The
 * payload comes from its copies in turn, as bench_core takes its messages (a datagram in an mbuf lies at any page
 * offset against the worker's index; one fixed copy would time one placement).
 */
static __attribute__((noinline)) void op_core(void *arg)
{
	struct row *row = arg;
	struct klass *k = row->k;
	struct sw_peer src = { .family = 4, .addr = { 192, 0, 2, 101 }, .port = 5060 };
	struct sw_verdict v;

	for (unsigned i = 0; i < DP_BURST; i++) {
		sw_judge(row->pol, row->w->core, bench_copies_next(&k->copies), k->plen, &v);
		if (v.action == SW_ACT_REPLY)
			sw_respond(row->pol, row->w->core, &v, &src, row->w->resp, k->plen);
	}
}

/* What the path does with class k under pol: "pass", "reply 483", "drop (why)". */
static void outcome(struct dp_worker *w, const struct sw_policy *pol, struct klass *k, char *out, size_t len)
{
	struct dp_stats before = w->stats;
	struct row row = { .k = k, .pol = pol, .w = w };

	op_burst(&row);
	if (w->stats.tx_reply > before.tx_reply) {
		for (unsigned s = 0; s < DP_STATUS_SLOTS; s++)
			if (w->stats.status[s] > before.status[s])
				snprintf(out, len, "reply %u", DP_STATUS_MIN + s);
	} else if (w->stats.tx_pass > before.tx_pass) {
		snprintf(out, len, "pass");
	} else {
		snprintf(out, len, "drop");
	}
}

/* ---- packets per second on the pcap PMD ---- */

struct pps_ctx {
	struct dp_worker *w;
	struct dp_loop_ctx loop;
	bool baseline;
	volatile bool quit;
};

static int fwd_loop(struct pps_ctx *c)
{
	const uint64_t drain = rte_get_tsc_hz() / 10000;
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t last = rte_rdtsc();

	while (!c->quit) {
		uint64_t now = rte_rdtsc();

		for (unsigned s = DP_OUTSIDE; s <= DP_INSIDE; s++) {
			uint16_t nb = rte_eth_rx_burst(c->w->port[s], c->w->queue, pkts, DP_BURST);

			if (nb)
				dp_worker_forward_burst(c->w, (enum dp_side)s, pkts, nb);
		}
		if (now - last > drain) {
			dp_worker_flush(c->w);
			last = now;
		}
	}
	dp_worker_flush(c->w);
	return 0;
}

static int pps_main(void *arg)
{
	struct pps_ctx *c = arg;

	return c->baseline ? fwd_loop(c) : dp_worker_loop(c->w, &c->loop);
}

struct pps_row {
	const char *name;
	uint16_t port;
	double pps, base_pps;
};

static double run_pps(struct pps_ctx *c, unsigned lcore, unsigned ms)
{
	uint64_t rx0 = c->w->stats.rx, t0, t1;

	c->quit = false;
	t0 = rte_rdtsc();
	rte_eal_remote_launch(pps_main, c, lcore);
	rte_delay_us_sleep(ms * 1000u);
	c->quit = true;
	rte_eal_wait_lcore(lcore);
	t1 = rte_rdtsc();
	return (double)(c->w->stats.rx - rx0) * (double)rte_get_tsc_hz() / (double)(t1 - t0);
}

/* ---- options, EAL ---- */

struct args {
	struct bench_opts o;
	unsigned pps_ms;
	const char *only;
};

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "cpu", required_argument, NULL, 'c' },    { "json", required_argument, NULL, 'j' },
		{ "rounds", required_argument, NULL, 'r' }, { "round-ms", required_argument, NULL, 'm' },
		{ "pps-ms", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct args){ .o = { .cpu = -1, .json = "bench/results/dataplane.json", .rounds = 11, .round_ms = 50 },
			    .pps_ms = 2000 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': a->o.cpu = atoi(optarg); break;
		case 'j': a->o.json = optarg; break;
		case 'r': a->o.rounds = (unsigned)atoi(optarg); break;
		case 'm': a->o.round_ms = (unsigned)atoi(optarg); break;
		case 'p': a->pps_ms = (unsigned)atoi(optarg); break;
		case 'q': a->o.quiet = true; break;
		case 'o': a->only = optarg; break;
		case 'h':
			printf("usage: %s [--cpu N] [--json FILE] [--rounds N] [--round-ms N] [--pps-ms N (0: skip)] "
			       "[--only SUBSTRING] [--quiet]\n", argv[0]);
			return 1;
		default: return -EINVAL;
		}
	}
	if (a->o.rounds == 0 || a->o.round_ms == 0 || optind < argc)
		return -EINVAL;
	return 0;
}

static char pcap_dir[64];

/* Classic pcap holding one frame of class k (the PMD loops it). */
static int write_pcap(const char *path, const struct klass *k)
{
	uint32_t gh[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1 };
	uint32_t ph[4] = { 0, 0, k->len, k->len };
	FILE *f = fopen(path, "wb");

	if (!f)
		return -errno;
	fwrite(gh, sizeof(gh), 1, f);
	fwrite(ph, sizeof(ph), 1, f);
	fwrite(k->frame, k->len, 1, f);
	return fclose(f) == 0 ? 0 : -errno;
}

static int eal_start(const char *prog, int cpu, bool with_pps)
{
	static char bufs[32][160];
	char *argv[40];
	int n = 0;

	argv[n++] = (char *)prog;
	argv[n++] = "--no-huge";
	argv[n++] = "-m";
	argv[n++] = "512";
	argv[n++] = "--no-pci";
	argv[n++] = "--no-telemetry";
	argv[n++] = "--log-level";
	argv[n++] = "4";
	snprintf(bufs[0], sizeof(bufs[0]), "bdp%d", (int)getpid());
	argv[n++] = "--file-prefix";
	argv[n++] = bufs[0];
	snprintf(bufs[1], sizeof(bufs[1]), "0,%d", cpu);
	argv[n++] = "-l";
	argv[n++] = bufs[1];
	if (with_pps) {
		unsigned v = 0;

		for (size_t i = 0; i < nclasses; i++) {
			if (!classes[i].pps)
				continue;
			snprintf(bufs[2 + v], sizeof(bufs[0]), "net_pcap%u,rx_pcap=%s/c%zu.pcap,infinite_rx=1", v, pcap_dir,
				 i);
			argv[n++] = "--vdev";
			argv[n++] = bufs[2 + v++];
		}
		argv[n++] = "--vdev";
		argv[n++] = "net_null0,no-rx=1";
	}
	argv[n] = NULL;
	return rte_eal_init(n, argv);
}

/* ---- report ---- */

static const struct bench_col cols[] = {
	{ "class", 22, true }, { "outcome", 10, true }, { "rules", 5, false }, { "ns/pkt", 8, false },
	{ "min", 8, false },   { "Mpps", 7, false },    { "base ns", 8, false }, { "x base", 7, false },
	{ "core ns", 8, false }, { "dp ns", 7, false },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

struct result {
	const struct klass *k;
	char outcome[32];
	struct bench_result r[2]; /* 0 rules, NRULES rules */
	struct bench_result base;
	struct bench_result core; /* the SIP core alone, NRULES rules (SIP classes) */
};

static void print_rows(const struct result *res)
{
	char c[NCOLS][32];
	const char *cells[NCOLS];

	bench_table_head(stdout, cols, NCOLS);
	for (size_t i = 0; i < nclasses; i++) {
		for (unsigned v = 0; v < 2; v++) {
			double ns = res[i].r[v].ns_median / DP_BURST, base = res[i].base.ns_median / DP_BURST;

			snprintf(c[0], 32, "%s", v ? "" : res[i].k->name);
			snprintf(c[1], 32, "%s", v ? "" : res[i].outcome);
			snprintf(c[2], 32, "%u", v ? NRULES : 0);
			snprintf(c[3], 32, "%.1f", ns);
			snprintf(c[4], 32, "%.1f", res[i].r[v].ns_min / DP_BURST);
			snprintf(c[5], 32, "%.2f", 1e3 / ns);
			snprintf(c[6], 32, "%.1f", base);
			snprintf(c[7], 32, "%.2f", ns / base);
			if (res[i].k->sip && v == 1) {
				double core = res[i].core.ns_median / DP_BURST;

				snprintf(c[8], 32, "%.1f", core);
				snprintf(c[9], 32, "%.1f", ns - core - base); /* L2-L4, budget, crafting, TX */
			} else {
				c[8][0] = c[9][0] = '\0';
			}
			for (size_t j = 0; j < NCOLS; j++)
				cells[j] = c[j];
			bench_table_row(stdout, cols, NCOLS, cells);
		}
	}
}

struct floor {
	const char *what;
	double limit, got;
};

static size_t floors(const struct result *res, struct floor *fl)
{
	size_t n = 0;

	for (size_t i = 0; i < nclasses; i++) {
		const struct klass *k = res[i].k;
		double ns = res[i].r[1].ns_median / DP_BURST, base = res[i].base.ns_median / DP_BURST;
		static char what[NCLASSES][96];

		if (k->sip && k->status == 0 && k->kind == K_V4) {
			snprintf(what[i], sizeof(what[i]), "%s, %u literal rules: ns/pkt", k->name, NRULES);
			fl[n++] = (struct floor){ what[i], FLOOR_SIP_NS, ns };
		} else if (k->status) {
			snprintf(what[i], sizeof(what[i]), "%s, %u literal rules: ns/pkt", k->name, NRULES);
			fl[n++] = (struct floor){ what[i], FLOOR_REPLY_NS, ns };
		} else if (!k->sip) {
			snprintf(what[i], sizeof(what[i]), "%s: x baseline", k->name);
			fl[n++] = (struct floor){ what[i], FLOOR_NONSIP_RATIO, res[i].r[0].ns_median / DP_BURST / base };
		}
	}
	return n;
}

static void json_result(struct bench_json *j, const char *key, const struct bench_result *r)
{
	bench_json_obj_begin(j, key);
	bench_json_num(j, "ns_per_pkt_median", r->ns_median / DP_BURST);
	bench_json_num(j, "ns_per_pkt_min", r->ns_min / DP_BURST);
	bench_json_num(j, "mpps", 1e3 / (r->ns_median / DP_BURST));
	bench_json_u64(j, "bursts_per_round", r->iters);
	bench_json_obj_end(j);
}

static int write_json(const char *path, const struct bench_env *env, const struct args *a, const struct result *res,
		      const struct pps_row *pps, size_t npps, const struct floor *fl, size_t nfl)
{
	struct bench_json j;

	if (bench_json_open(&j, path) < 0)
		return -errno;
	bench_json_str(&j, "bench", "dataplane");
	bench_json_machine(&j, env);
	bench_json_u64(&j, "burst", DP_BURST);
	bench_json_u64(&j, "rounds", a->o.rounds);
	bench_json_u64(&j, "core_only_placements", BENCH_PLACEMENTS); /* the core-only rows: payload copies in turn */
	bench_json_arr_begin(&j, "memory");
	for (size_t i = 0; i < nclasses; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "class", res[i].k->name);
		bench_json_u64(&j, "frame_bytes", res[i].k->len);
		bench_json_str(&j, "outcome", res[i].outcome);
		json_result(&j, "baseline", &res[i].base);
		json_result(&j, "rules_0", &res[i].r[0]);
		json_result(&j, "rules_1000", &res[i].r[1]);
		if (res[i].k->sip)
			json_result(&j, "core_only_rules_1000", &res[i].core);
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_arr_begin(&j, "pps");
	for (size_t i = 0; i < npps; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "class", pps[i].name);
		bench_json_str(&j, "ports", "net_pcap infinite_rx=1 -> net_null");
		bench_json_num(&j, "pps", pps[i].pps);
		bench_json_num(&j, "baseline_pps", pps[i].base_pps);
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_arr_begin(&j, "floors");
	for (size_t i = 0; i < nfl; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "what", fl[i].what);
		bench_json_num(&j, "limit", fl[i].limit);
		bench_json_num(&j, "measured", fl[i].got);
		bench_json_bool(&j, "met", fl[i].got <= fl[i].limit);
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	return bench_json_close(&j);
}

/* ---- main ---- */

static void progress(unsigned k, unsigned rounds)
{
	fprintf(stderr, "\rbench_dataplane: round %u/%u", k, rounds);
	if (k == rounds)
		fprintf(stderr, "\n");
}

static struct dp_worker *make_worker(void)
{
	struct dp_worker_conf wc = { .id = 0, .nworkers = 1, .socket = (int)rte_socket_id(),
				     .budget_entries = 65536, .frag_max_flows = 1024, .frag_timeout_ms = 2000 };
	struct dp_worker *w = dp_worker_create(&wc);

	if (!w) {
		fprintf(stderr, "bench_dataplane: worker: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	return w;
}

/* The memory-fed rows of every class, interleaved. -1 when there was no memory for the payload copies. */
static int measure_memory(const struct bench_env *env, const struct args *a, struct dp_worker *w,
			  const struct sw_policy *pol[2], struct result *res)
{
	static struct row rows[NCLASSES * 4];
	static struct bench_case cases[NCLASSES * 4];
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < nclasses; i++) {
		if (classes[i].sip && bench_copies_init(&classes[i].copies, classes[i].payload, classes[i].plen) != 0) {
			fprintf(stderr, "bench_dataplane: out of memory for the payload copies\n");
			rc = -1;
			goto out;
		}
	}
	for (size_t i = 0; i < nclasses; i++) {
		res[i].k = &classes[i];
		outcome(w, pol[1], &classes[i], res[i].outcome, sizeof(res[i].outcome));
		rows[n++] = (struct row){ .k = &classes[i], .pol = NULL, .w = w };
		rows[n++] = (struct row){ .k = &classes[i], .pol = pol[0], .w = w };
		rows[n++] = (struct row){ .k = &classes[i], .pol = pol[1], .nrules = NRULES, .w = w };
		if (classes[i].sip)
			rows[n++] = (struct row){ .k = &classes[i], .pol = pol[1], .nrules = NRULES, .w = w,
						  .core_only = true };
	}
	for (size_t i = 0; i < n; i++)
		cases[i] = (struct bench_case){ .fn = rows[i].core_only ? op_core : op_burst, .arg = &rows[i] };
	bench_measure_interleaved(env, &a->o, cases, n, a->o.quiet ? NULL : progress);
	n = 0;
	for (size_t i = 0; i < nclasses; i++) {
		res[i].base = cases[n++].r;
		res[i].r[0] = cases[n++].r;
		res[i].r[1] = cases[n++].r;
		if (classes[i].sip)
			res[i].core = cases[n++].r;
	}
out:
	for (size_t i = 0; i < nclasses; i++)
		bench_copies_free(&classes[i].copies);
	return rc;
}

static size_t measure_pps(const struct args *a, struct dp_worker *w, const struct sw_policy *pol,
			  struct pps_row *out)
{
	struct dp_port_conf pc = { .nqueues = 1, .rxd = 1024, .txd = 1024, .pool = pool };
	struct dp_port_info info;
	struct pps_ctx ctx = { .w = w };
	struct policy_store *store = policy_store_create(1, NULL, NULL);
	struct rte_rcu_qsbr *qs = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	struct sw_policy *old;
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	uint16_t null_port, port;
	char err[256], name[32];
	size_t n = 0;

	if (!store || !qs || rte_rcu_qsbr_init(qs, 1) != 0 || lcore >= RTE_MAX_LCORE)
		return 0;
	policy_store_commit(store, (struct sw_policy *)pol, &old);
	ctx.loop = (struct dp_loop_ctx){ .store = store, .qsbr = qs, .quit = &ctx.quit };
	if (rte_eth_dev_get_port_by_name("net_null0", &null_port) != 0)
		return 0;
	RTE_ETH_FOREACH_DEV(port) {
		if (dp_port_start(port, &pc, &info, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_dataplane: %s\n", err);
			return 0;
		}
	}
	bench_pin_cpu(0); /* the main lcore only waits: leave the worker's CPU to the worker */
	for (size_t i = 0; i < nclasses; i++) {
		if (!classes[i].pps)
			continue;
		snprintf(name, sizeof(name), "net_pcap%zu", n);
		if (rte_eth_dev_get_port_by_name(name, &port) != 0)
			break;
		w->port[DP_OUTSIDE] = port;
		w->port[DP_INSIDE] = null_port;
		out[n].name = classes[i].name;
		ctx.baseline = true;
		out[n].base_pps = run_pps(&ctx, lcore, a->pps_ms);
		ctx.baseline = false;
		out[n].pps = run_pps(&ctx, lcore, a->pps_ms);
		printf("%-22s %10.0f pps   baseline %10.0f pps\n", out[n].name, out[n].pps, out[n].base_pps);
		n++;
	}
	RTE_ETH_FOREACH_DEV(port)
		dp_port_close(port);
	/* the store owns pol now: hand it back to the caller's cleanup by not destroying the store */
	rte_free(qs);
	return n;
}

int main(int argc, char **argv)
{
	static struct result res[NCLASSES];
	struct pps_row pps[NCLASSES];
	struct floor fl[NCLASSES];
	const struct sw_policy *pol[2];
	struct bench_env env;
	struct dp_worker *w;
	dp_tx_fn eth_tx;
	struct args a;
	size_t npps = 0, nfl;
	int rc, cpu;

	rc = parse(argc, argv, &a);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (a.only) {
		size_t n = 0;

		for (size_t i = 0; i < NCLASSES; i++)
			if (strstr(classes[i].name, a.only))
				classes[n++] = classes[i];
		nclasses = n;
		if (n == 0) {
			fprintf(stderr, "bench_dataplane: no class matches --only %s\n", a.only);
			return 2;
		}
	}
	for (size_t i = 0; i < nclasses; i++)
		build_frame(&classes[i]);
	snprintf(pcap_dir, sizeof(pcap_dir), "/tmp/bench_dataplane.%d", (int)getpid());
	if (a.pps_ms && mkdir(pcap_dir, 0700) == 0)
		for (size_t i = 0; i < nclasses; i++) {
			char path[128];

			snprintf(path, sizeof(path), "%s/c%zu.pcap", pcap_dir, i);
			if (classes[i].pps && write_pcap(path, &classes[i]) < 0)
				a.pps_ms = 0;
		}
	cpu = a.o.cpu >= 0 ? a.o.cpu : (sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	if (cpu == 0)
		a.pps_ms = 0; /* one CPU: no worker lcore to run the loop on */
	if (eal_start(argv[0], cpu, a.pps_ms > 0) < 0) {
		fprintf(stderr, "bench_dataplane: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	bench_env_init(&env, cpu);
	pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, DATA_ROOM, (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "bench_dataplane: pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	pol[0] = make_policy(0);
	pol[1] = make_policy(NRULES);
	w = make_worker();
	eth_tx = w->tx;
	w->tx = sink_tx;
	if (measure_memory(&env, &a, w, pol, res) != 0)
		return 1;
	printf("bench_dataplane: one worker, bursts of %u, ns per packet (median of %u rounds), CPU %d: %s\n",
	       DP_BURST, a.o.rounds, env.cpu, env.cpu_model);
	print_rows(res);
	if (a.pps_ms) {
		w->tx = eth_tx;
		printf("\npackets per second, net_pcap (infinite_rx=1) -> net_null, %u ms each:\n", a.pps_ms);
		npps = measure_pps(&a, w, pol[1], pps);
	}
	nfl = floors(res, fl);
	printf("\nfloors:\n");
	for (size_t i = 0; i < nfl; i++)
		printf("  %-50s %8.2f (limit %.0f%s) %s\n", fl[i].what, fl[i].got, fl[i].limit,
		       fl[i].limit == FLOOR_NONSIP_RATIO ? "x" : " ns", fl[i].got <= fl[i].limit ? "met" : "MISSED");
	rc = write_json(a.o.json, &env, &a, res, pps, npps, fl, nfl);
	if (rc < 0)
		fprintf(stderr, "bench_dataplane: %s: %s\n", a.o.json, strerror(-rc));
	else
		printf("\nbench_dataplane: wrote %s\n", a.o.json);
	for (size_t i = 0; i < nclasses; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/c%zu.pcap", pcap_dir, i);
		unlink(path);
	}
	rmdir(pcap_dir);
	dp_worker_free(w);
	dp_eal_cleanup();
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_mix: the SIP core over the messages of a capture, in process: sw_judge on each UDP payload to a SIP
 * port and sw_respond where the verdict is a reply, as a worker does, per message of the capture's mix. The
 * Kamailio comparison (bench/kamailio/compare.py) feeds it the very capture it sends to Kamailio, so both sides
 * judge the same messages; CPU time is read the way Kamailio's is (the thread's CPU clock), next to TSC time.
 *
 *   bench_mix --pcap FILE [--policy FILE] [--json OUT] [--cpu N] [--rounds N] [--round-ms N] [--quiet]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "common.h"
#include "policy.h"
#include "rules.h"
#include "sw_verdict.h"

#define MIX_MAX 100000

struct mix {
	const struct sw_policy *pol;
	struct sw_worker *w;
	const struct sw_peer *src;
	char **buf;
	uint32_t *len;
	size_t n;
	uint64_t counts[SW_ACT_REPLY + 1];
	char out[SW_MAX_DATAGRAM];
	uint64_t sink;
};

static struct sw_worker worker;

/* One pass over the mix, as the worker judges it: verdict, then the reply built when there is one. */
static __attribute__((noinline)) void mix_pass(void *arg)
{
	struct mix *m = arg;
	struct sw_verdict v;

	for (size_t i = 0; i < m->n; i++) {
		sw_judge(m->pol, m->w, m->buf[i], m->len[i], &v);
		if (v.action == SW_ACT_REPLY)
			m->sink += sw_respond(m->pol, m->w, &v, m->src, m->out, m->len[i]);
		m->sink += v.action;
	}
}

/* The UDP payload of an Ethernet (+802.1Q) / IPv4 frame to or from a SIP port, or NULL. */
static const uint8_t *udp_payload(const struct sw_policy *pol, const uint8_t *p, uint32_t caplen, uint32_t *len)
{
	uint32_t off = 14, ihl, ulen;

	if (caplen >= 18 && p[12] == 0x81 && p[13] == 0x00)
		off += 4;
	if (caplen < off + 28 || p[off - 2] != 0x08 || p[off - 1] != 0x00 || (p[off] >> 4) != 4 || p[off + 9] != 17)
		return NULL;
	ihl = (p[off] & 15u) * 4;
	if (caplen < off + ihl + 8)
		return NULL;
	p += off + ihl;
	ulen = (uint32_t)p[4] << 8 | p[5];
	if (ulen < 8 || off + ihl + ulen > caplen ||
	    !sw_policy_is_sip_port(pol, (uint16_t)(p[0] << 8 | p[1]), (uint16_t)(p[2] << 8 | p[3])))
		return NULL;
	*len = ulen - 8;
	return p + 8;
}

/* Read every SIP datagram of path into m (copies, each its own allocation as an mbuf's data would be). */
static int load_pcap(const char *path, struct mix *m)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *data, *pl;
	uint32_t len;
	pcap_t *pc;
	int err = 0;

	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "bench_mix: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	m->buf = calloc(MIX_MAX, sizeof(*m->buf));
	m->len = calloc(MIX_MAX, sizeof(*m->len));
	if (!m->buf || !m->len) {
		err = -ENOMEM;
		goto out;
	}
	while (m->n < MIX_MAX && pcap_next_ex(pc, &h, &data) == 1) {
		pl = udp_payload(m->pol, data, h->caplen, &len);
		if (!pl)
			continue;
		m->buf[m->n] = malloc(len ? len : 1);
		if (!m->buf[m->n]) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(m->buf[m->n], pl, len);
		m->len[m->n++] = len;
	}
	if (!m->n) {
		fprintf(stderr, "bench_mix: %s: no UDP datagram to a SIP port\n", path);
		err = -EINVAL;
	}
out:
	pcap_close(pc);
	return err;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const uint8_t key[16] = "bench-mix-key!!";
	static const struct sw_peer src = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5060 };
	const char *pcap = NULL, *policy = NULL;
	char *rest[32], msg[256];
	struct policy_error perr;
	struct bench_result r;
	struct bench_opts o;
	struct bench_env env;
	struct bench_json j;
	struct sw_policy *pol = NULL;
	struct mix *m = NULL;
	double cpu0, cpu_ns;
	unsigned passes;
	int nrest = 1, err = 1;
	struct sw_verdict v;

	rest[0] = argv[0];
	for (int i = 1; i < argc; i++) { /* our own options; the common ones go to bench_opts_parse */
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			pcap = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
		else if (nrest < 31)
			rest[nrest++] = argv[i];
	}
	rest[nrest] = NULL;
	err = bench_opts_parse(nrest, rest, &o, "bench/results/mix.json");
	if (err || !pcap) {
		if (!pcap && !err)
			fprintf(stderr, "usage: bench_mix --pcap FILE [--policy FILE] [common options]\n");
		return err > 0 ? 0 : 2;
	}
	err = 1;
	bench_env_init(&env, o.cpu);
	if (policy) {
		pol = policy_load_file(policy, &perr);
		if (!pol) {
			policy_error_format(&perr, msg, sizeof(msg));
			fprintf(stderr, "bench_mix: %s\n", msg);
			return 1;
		}
		if (pol->nrules && rules_compile(pol, 1, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "bench_mix: %s: %s\n", policy, msg);
			goto out;
		}
	} else {
		pol = calloc(1, sizeof(*pol));
		if (!pol)
			return 1;
		policy_defaults(pol);
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out;
	*m = (struct mix){ .pol = pol, .w = &worker, .src = &src };
	sw_worker_init(&worker, 0, key);
	if (load_pcap(pcap, m))
		goto out;
	for (size_t i = 0; i < m->n; i++) { /* what the mix holds, by action */
		sw_judge(pol, &worker, m->buf[i], m->len[i], &v);
		if (v.action == SW_ACT_REPLY && !sw_respond(pol, &worker, &v, &src, m->out, m->len[i]))
			v.action = SW_ACT_DROP;
		m->counts[v.action]++;
	}
	bench_measure(&env, &o, mix_pass, m, &r);
	/* the CPU clock Kamailio is read with (utime + stime), over as many passes as one second of TSC time */
	passes = (unsigned)(1e9 / (r.ns_median > 0 ? r.ns_median : 1)) + 1;
	cpu0 = thread_cpu_ns();
	for (unsigned p = 0; p < passes; p++)
		mix_pass(m);
	cpu_ns = (thread_cpu_ns() - cpu0) / ((double)passes * m->n);

	printf("bench_mix: %zu messages (%llu pass, %llu drop, %llu reply) from %s, policy %s\n", m->n,
	       (unsigned long long)m->counts[SW_ACT_PASS], (unsigned long long)m->counts[SW_ACT_DROP],
	       (unsigned long long)m->counts[SW_ACT_REPLY], pcap, policy ? policy : "(defaults)");
	printf("  ns per message: median %.1f, min %.1f (TSC); CPU time per message %.1f ns (thread CPU clock)\n",
	       r.ns_median / m->n, r.ns_min / m->n, cpu_ns);
	if (bench_json_open(&j, o.json))
		goto out;
	bench_json_str(&j, "bench", "mix");
	bench_json_machine(&j, &env);
	bench_json_str(&j, "pcap", pcap);
	bench_json_str(&j, "policy", policy);
	bench_json_u64(&j, "messages", m->n);
	bench_json_u64(&j, "pass", m->counts[SW_ACT_PASS]);
	bench_json_u64(&j, "drop", m->counts[SW_ACT_DROP]);
	bench_json_u64(&j, "reply", m->counts[SW_ACT_REPLY]);
	bench_json_num(&j, "ns_per_msg_median", r.ns_median / m->n);
	bench_json_num(&j, "ns_per_msg_min", r.ns_min / m->n);
	bench_json_num(&j, "cpu_ns_per_msg", cpu_ns);
	bench_json_u64(&j, "rounds", r.rounds);
	err = bench_json_close(&j) ? 1 : 0;
out:
	if (m) {
		for (size_t i = 0; i < m->n; i++)
			free(m->buf[i]);
		free(m->buf);
		free(m->len);
		free(m);
	}
	policy_free(pol);
	return err;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipwall: the DPDK daemon. `sipwall [EAL options] -- --policy FILE [options]`. The main lcore sets up the ports
 * and workers, then only does control: signals (SIGINT/SIGTERM stop, SIGHUP reloads the policy), the idle exit
 * for tests, and the policy's grace periods. Workers run dp_worker_loop() on every other lcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "app.h"
#include "ctl_cmds.h"
#include "ctl_server.h"
#include "policy_store.h"
#include "port.h"
#include "sw_cli.h"

#define EXIT_USAGE 2
#define EXIT_EAL 3
#define CONTROL_PERIOD_MS 10

struct args {
	const char *policy;
	uint16_t port[2];
	const char *secret_file;
	uint32_t budget_prefixes;
	uint32_t mbufs;
	uint16_t rxd, txd;
	uint32_t exit_idle_ms;
	const char *control;       /* NULL: the default path, and a failure to listen there is only a warning */
};

static struct dp_app app;
static volatile sig_atomic_t sig_stop, sig_reload;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- --policy FILE [options]\n"
		"\n"
		"A bump in the wire between an outside and an inside port: SIP over UDP from the outside is judged by\n"
		"the policy and passed (out of the other port, byte for byte), dropped, or answered (out of the port it\n"
		"came in on); everything else passes untouched. One worker per EAL lcore besides the main one.\n"
		"\n"
		"Options (after --):\n"
		"  --policy FILE          the policy (YAML, docs/policy.md); required. SIGHUP reloads it; changes made\n"
		"                         with sipwallctl are written back to it (atomically) so a restart keeps them.\n"
		"  --control PATH         control socket for sipwallctl (default " CTL_DEFAULT_SOCKET "; its directory\n"
		"                         is created 0750). Mode 0660, group '" CTL_GROUP "' when that group exists, else\n"
		"                         0600. Protocol: docs/control.md. Explicit PATH that cannot be served is fatal.\n"
		"  --outside PORT         DPDK port id of the outside (default 0)\n"
		"  --inside PORT          DPDK port id of the inside (default 1)\n"
		"  --secret-file FILE     16 bytes keying the To-tags of replies (default: random per start)\n"
		"  --budget-prefixes N    source prefixes tracked per worker by the reply budget (default 65536)\n"
		"  --mbufs N              mbufs in the pool (default: sized from ports, workers and fragments)\n"
		"  --rxd N, --txd N       descriptors per queue (default 1024)\n"
		"  --exit-when-idle MS    stop once no frame arrived for MS milliseconds (tests with pcap ports)\n"
		"  --help                 this text\n"
		"\n"
		"Common EAL options: -l 0,1 (main lcore + workers), --vdev net_pcap0,rx_pcap=IN,tx_pcap=OUT,\n"
		"  --no-huge -m 512, --file-prefix NAME; see the DPDK EAL documentation for all of them.\n"
		"Signals: SIGINT/SIGTERM stop cleanly and print the final counters; SIGHUP reloads the policy.\n"
		"Live changes: sipwallctl policy load|show|diff, rule add|del|list|stats, limits set, stats, top.\n"
		"Telemetry: /sipwall/stats, /sipwall/drops, /sipwall/verdicts, /sipwall/replies, /sipwall/worker,ID,\n"
		"  /sipwall/policy, /sipwall/rules[,FROM], /sipwall/budget (usertools/dpdk-telemetry.py).\n"
		"Exit status: 0 clean stop, 1 runtime error, 2 usage error, 3 EAL could not start.\n",
		prog);
}

/* --help anywhere (before or after --) prints this program's usage instead of starting the EAL. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_POLICY = 256, O_OUTSIDE, O_INSIDE, O_SECRET, O_BUDGET, O_MBUFS, O_RXD, O_TXD, O_IDLE, O_CONTROL };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, O_POLICY },
		{ "outside", required_argument, NULL, O_OUTSIDE },
		{ "inside", required_argument, NULL, O_INSIDE },
		{ "secret-file", required_argument, NULL, O_SECRET },
		{ "budget-prefixes", required_argument, NULL, O_BUDGET },
		{ "mbufs", required_argument, NULL, O_MBUFS },
		{ "rxd", required_argument, NULL, O_RXD },
		{ "txd", required_argument, NULL, O_TXD },
		{ "exit-when-idle", required_argument, NULL, O_IDLE },
		{ "control", required_argument, NULL, O_CONTROL },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int rc = 0;

		switch (o) {
		case O_POLICY: a->policy = optarg; break;
		case O_SECRET: a->secret_file = optarg; break;
		case O_CONTROL: a->control = optarg; break;
		case O_OUTSIDE: rc = sw_cli_parse_u32(optarg, RTE_MAX_ETHPORTS - 1, &v); a->port[DP_OUTSIDE] = (uint16_t)v; break;
		case O_INSIDE: rc = sw_cli_parse_u32(optarg, RTE_MAX_ETHPORTS - 1, &v); a->port[DP_INSIDE] = (uint16_t)v; break;
		case O_BUDGET: rc = sw_cli_parse_u32(optarg, 1u << 26, &a->budget_prefixes); break;
		case O_MBUFS: rc = sw_cli_parse_u32(optarg, 1u << 26, &a->mbufs); break;
		case O_RXD: rc = sw_cli_parse_u32(optarg, 32768, &v); a->rxd = (uint16_t)v; break;
		case O_TXD: rc = sw_cli_parse_u32(optarg, 32768, &v); a->txd = (uint16_t)v; break;
		case O_IDLE: rc = sw_cli_parse_u32(optarg, 86400000, &a->exit_idle_ms); break;
		default: return -EINVAL;
		}
		if (rc < 0) {
			fprintf(stderr, "sipwall: bad value for --%s: %s\n", opts[o - O_POLICY].name, optarg);
			return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipwall: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->policy) {
		fprintf(stderr, "sipwall: --policy FILE is required\n");
		return -EINVAL;
	}
	if (a->port[DP_OUTSIDE] == a->port[DP_INSIDE]) {
		fprintf(stderr, "sipwall: --outside and --inside must differ\n");
		return -EINVAL;
	}
	if (a->budget_prefixes < 8) {
		fprintf(stderr, "sipwall: --budget-prefixes must be at least 8\n");
		return -EINVAL;
	}
	return 0;
}

static int read_secret(const char *path, uint8_t key[16])
{
	ssize_t n;
	int fd, err = 0;

	if (!path)
		return getrandom(key, 16, 0) == 16 ? 0 : -errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, key, 16);
	if (n < 0)
		err = -errno;
	else if (n != 16)
		err = -EINVAL;
	close(fd);
	return err;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_reload = 1;
	else
		sig_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Enough for every descriptor, every worker's bursts and caches, and fragments held in reassembly. */
static uint32_t pool_size(const struct args *a, unsigned nworkers, const struct sw_policy *pol)
{
	uint64_t n = 2ull * nworkers * (a->rxd + a->txd) + nworkers * (4u * DP_BURST + 256u) +
		     (uint64_t)nworkers * RTE_MIN(pol->frag_max_flows, 4096u) * 2u;

	return (uint32_t)RTE_MIN(RTE_MAX(n, 8191ull), 1ull << 22);
}

static struct rte_mempool *make_pool(const struct args *a, unsigned nworkers)
{
	const struct sw_policy *pol = policy_store_current(app.store);
	uint32_t n = a->mbufs ? a->mbufs : pool_size(a, nworkers, pol);

	return rte_pktmbuf_pool_create("sipwall_mbufs", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
}

static int start_ports(const struct args *a, struct rte_mempool *pool, unsigned nworkers,
		       struct dp_port_info info[2])
{
	struct dp_port_conf pc = { .nqueues = (uint16_t)nworkers, .rxd = a->rxd, .txd = a->txd, .pool = pool };
	char err[256];
	int rc;

	for (unsigned s = DP_OUTSIDE; s <= DP_INSIDE; s++) {
		rc = dp_port_start(a->port[s], &pc, &info[s], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "sipwall: %s\n", err);
			return rc;
		}
		DP_LOG(INFO, "%s port %u (%s): %u queues, RSS 0x%" PRIx64 ", TX checksum offload ip=%d udp=%d\n",
		       s == DP_OUTSIDE ? "outside" : "inside", a->port[s], info[s].driver, nworkers, info[s].rss_hf,
		       info[s].craft.ipv4_cksum_offload, info[s].craft.udp_cksum_offload);
		if (nworkers > 1 && info[s].rss_hf == 0)
			DP_LOG(WARNING, "port %u has no RSS on IP: one queue takes all traffic\n", a->port[s]);
	}
	return 0;
}

static int make_workers(const struct args *a, const struct dp_port_info info[2])
{
	const struct sw_policy *pol = policy_store_current(app.store);
	struct dp_worker_conf wc = {
		.nworkers = app.nworkers,
		.budget_entries = a->budget_prefixes,
		.frag_max_flows = pol->frag_max_flows,
		.frag_timeout_ms = pol->frag_timeout_ms,
	};
	unsigned lcore, i = 0;
	int rc = read_secret(a->secret_file, wc.secret);

	if (rc < 0) {
		fprintf(stderr, "sipwall: secret %s: %s (need 16 bytes)\n", a->secret_file ? a->secret_file : "(random)",
			strerror(-rc));
		return rc;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w;

		wc.id = i;
		wc.socket = (int)rte_lcore_to_socket_id(lcore);
		w = dp_worker_create(&wc);
		if (!w) {
			fprintf(stderr, "sipwall: worker %u: %s\n", i, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		for (unsigned s = DP_OUTSIDE; s <= DP_INSIDE; s++) {
			w->port[s] = a->port[s];
			w->craft[s] = info[s].craft;
		}
		app.workers[i++] = w;
	}
	memset(wc.secret, 0, sizeof(wc.secret));
	return 0;
}

static struct dp_loop_ctx loop_ctx;

static int worker_main(void *arg)
{
	return dp_worker_loop(arg, &loop_ctx);
}

static uint64_t total_rx(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < app.nworkers; i++)
		n += ((volatile struct dp_stats *)&app.workers[i]->stats)->rx;
	return n;
}

/*
 * The main lcore after launch: control only, until a stop signal or the idle exit. Each round waits up to
 * CONTROL_PERIOD_MS on the control socket (ctl_server_poll: requests are served here, one at a time), then does
 * the periodic work: SIGHUP, the worker liveness probe, the idle exit.
 */
static void control_loop(const struct args *a, struct ctl_server *ctl)
{
	uint64_t last_rx = 0, idle_since = dp_mono_ns();

	while (!sig_stop) {
		if (ctl)
			ctl_server_poll(ctl, CONTROL_PERIOD_MS);
		else
			rte_delay_us_sleep(CONTROL_PERIOD_MS * 1000);
		if (sig_reload) {
			sig_reload = 0;
			dp_app_policy_reload(&app);
		}
		dp_app_heartbeat(&app);
		if (a->exit_idle_ms) {
			uint64_t rx = total_rx(), now = dp_mono_ns();

			if (rx != last_rx)
				idle_since = now;
			last_rx = rx;
			if (now - idle_since >= (uint64_t)a->exit_idle_ms * 1000000)
				break;
		}
	}
}

static struct ctl_server *open_control(const struct args *a)
{
	const char *path = a->control ? a->control : CTL_DEFAULT_SOCKET;
	struct ctl_server *ctl;
	char err[512];

	ctl = ctl_server_open(path, dp_ctl_handle, &app, err, sizeof(err));
	if (ctl)
		DP_LOG(INFO, "control socket %s\n", path);
	else if (a->control)
		fprintf(stderr, "sipwall: %s\n", err);
	else
		DP_LOG(WARNING, "%s; running without a control socket (--control PATH)\n", err);
	return ctl;
}

static void print_final(void)
{
	struct dp_stats sum;

	dp_app_stats(&app, &sum);
	printf("sipwall: final counters (%u workers, policy version %" PRIu64 ", %" PRIu64 " reloads)\n",
	       app.nworkers, policy_store_version(app.store), app.reloads);
	dp_stats_print(stdout, &sum);
	fflush(stdout);
}

/*
 * The XDP prefilter on the outside: when net_af_xdp loaded sipwall's program there (xdp_prog=), pin its maps and
 * configure it from the policy, so sipwallctl reaches it and every policy version configures it. Only the outside
 * port's: one set of maps is pinned under the pin root. Not fatal: the dataplane judges everything anyway.
 */
static void adopt_prefilter(const struct args *a)
{
	char err[512];
	int rc;

	app.prefilter.cfg_fd = -1;
	rc = dp_prefilter_adopt(&app.prefilter, a->port[DP_OUTSIDE], policy_store_current(app.store), err,
				sizeof(err));
	if (rc < 0)
		DP_LOG(WARNING, "%s; the prefilter runs on its built-in defaults\n", err);
	else if (rc > 0)
		DP_LOG(INFO, "XDP prefilter on port %u adopted: maps pinned, configured from the policy\n",
		       a->port[DP_OUTSIDE]);
}

static int run(const struct args *a)
{
	struct dp_port_info info[2];
	struct rte_mempool *pool;
	struct ctl_server *ctl;
	char err[1024];
	unsigned lcore, i = 0;
	int rc;

	app.nworkers = rte_lcore_count() - 1;
	if (app.nworkers == 0) {
		fprintf(stderr, "sipwall: no worker lcore: give the EAL at least two (-l 0,1)\n");
		return EXIT_USAGE;
	}
	snprintf(app.policy_path, sizeof(app.policy_path), "%s", a->policy);
	app.port[DP_OUTSIDE] = a->port[DP_OUTSIDE];
	app.port[DP_INSIDE] = a->port[DP_INSIDE];
	rc = dp_app_policy_init(&app, app.nworkers, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sipwall: %s\n", err);
		return EXIT_FAILURE;
	}
	pool = make_pool(a, app.nworkers);
	if (!pool) {
		fprintf(stderr, "sipwall: mbuf pool: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	if (start_ports(a, pool, app.nworkers, info) < 0 || make_workers(a, info) < 0)
		return EXIT_FAILURE;
	adopt_prefilter(a);
	if (dp_telemetry_register(&app) < 0)
		DP_LOG(WARNING, "telemetry commands not registered\n");
	ctl = open_control(a);
	if (!ctl && a->control)
		return EXIT_FAILURE;
	install_signals();
	loop_ctx = (struct dp_loop_ctx){ .store = app.store, .qsbr = app.qsbr, .quit = &app.quit };
	DP_LOG(INFO, "%u workers running, policy %s version %" PRIu64 "\n", app.nworkers, a->policy,
	       policy_store_version(app.store));
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_remote_launch(worker_main, app.workers[i++], lcore);
	control_loop(a, ctl);
	app.quit = true;
	rte_eal_mp_wait_lcore();
	ctl_server_close(ctl);
	print_final();
	return EXIT_SUCCESS;
}

static void cleanup(const struct args *a)
{
	dp_prefilter_close(&app.prefilter);
	for (unsigned s = DP_OUTSIDE; s <= DP_INSIDE; s++)
		dp_port_close(a->port[s]);
	for (unsigned i = 0; i < app.nworkers; i++)
		dp_worker_free(app.workers[i]);
	if (app.store)
		dp_app_policy_fini(&app);
}

int main(int argc, char **argv)
{
	struct args a = { .port = { 0, 1 }, .budget_prefixes = 65536, .rxd = 1024, .txd = 1024 };
	int n, rc;

	if (wants_help(argc, argv)) {
		usage(stdout, argv[0]);
		return EXIT_SUCCESS;
	}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "sipwall: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_EAL;
	}
	argv[n] = argv[0]; /* getopt wants a program name before the options */
	if (parse_args(argc - n, argv + n, &a) < 0) {
		usage(stderr, argv[0]);
		dp_eal_cleanup();
		return EXIT_USAGE;
	}
	rc = run(&a);
	cleanup(&a);
	dp_eal_cleanup();
	return rc;
}

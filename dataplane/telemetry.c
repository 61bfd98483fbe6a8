/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /sipwall/ (usertools/dpdk-telemetry.py, or any client of the v2 socket):
 *   /sipwall/stats          totals over the workers: rx, tx_pass, tx_reply, dropped, bad_l2l4, ...
 *   /sipwall/drops          drops by reason
 *   /sipwall/verdicts       the core's verdicts by reason
 *   /sipwall/replies        replies sent by status
 *   /sipwall/worker,ID      one worker's headline counters
 *   /sipwall/policy         the running policy: version, file, reloads, key settings
 *   /sipwall/rules[,FROM]   per-rule counters, 32 rules from index FROM (default 0), "next" when there are more;
 *                           keyed by rule id with characters telemetry refuses turned into '_' ("id" has it as is)
 *   /sipwall/budget         source prefixes tracked per worker
 * Callbacks run on the telemetry thread: counters are read relaxed (a snapshot); the policy only under app->mu.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "app.h"
#include "policy_store.h"
#include "port.h"
#include "rules.h"

#define RULES_PER_CALL 32

static struct dp_app *g_app; /* set once before the first command can arrive */

static void add_headline(struct rte_tel_data *d, const struct dp_stats *s)
{
	rte_tel_data_add_dict_u64(d, "rx", s->rx);
	rte_tel_data_add_dict_u64(d, "tx_pass", s->tx_pass);
	rte_tel_data_add_dict_u64(d, "tx_reply", s->tx_reply);
	rte_tel_data_add_dict_u64(d, "dropped", dp_stats_dropped(s));
	rte_tel_data_add_dict_u64(d, "bad_l2l4", dp_stats_bad_l2l4(s));
	rte_tel_data_add_dict_u64(d, "pass_other", s->pass_other);
	rte_tel_data_add_dict_u64(d, "pass_inside", s->pass_inside);
	rte_tel_data_add_dict_u64(d, "pass_frag", s->pass_frag);
	rte_tel_data_add_dict_u64(d, "judged", s->judged);
	rte_tel_data_add_dict_u64(d, "frag_rx", s->frag_rx);
	rte_tel_data_add_dict_u64(d, "frag_reassembled", s->frag_reassembled);
	rte_tel_data_add_dict_u64(d, "budget_drops", s->drop[DP_DROP_BUDGET_PREFIX] + s->drop[DP_DROP_BUDGET_GLOBAL] +
				  s->drop[DP_DROP_BUDGET_FULL]);
}

static int cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_stats s;

	dp_app_stats(g_app, &s);
	rte_tel_data_start_dict(d);
	add_headline(d, &s);
	rte_tel_data_add_dict_u64(d, "workers", g_app->nworkers);
	return 0;
}

static int cmd_drops(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_stats s;

	dp_app_stats(g_app, &s);
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < DP_DROP__COUNT; i++)
		rte_tel_data_add_dict_u64(d, dp_drop_name((enum dp_drop)i), s.drop[i]);
	return 0;
}

static int cmd_verdicts(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_stats s;

	dp_app_stats(g_app, &s);
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < SW_WHY__COUNT; i++)
		rte_tel_data_add_dict_u64(d, sw_why_name((enum sw_why)i), s.why[i]);
	return 0;
}

static int cmd_replies(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_stats s;
	char key[8];

	dp_app_stats(g_app, &s);
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < DP_STATUS_SLOTS; i++) {
		if (!s.status[i])
			continue;
		snprintf(key, sizeof(key), "%u", DP_STATUS_MIN + i);
		if (rte_tel_data_add_dict_u64(d, key, s.status[i]) < 0)
			break; /* at most RTE_TEL_MAX_DICT_ENTRIES distinct statuses */
	}
	return 0;
}

/* Parse a decimal parameter; -1 when absent or malformed. */
static long param_index(const char *params)
{
	char *end;
	long v;

	if (!params || !*params)
		return -1;
	v = strtol(params, &end, 10);
	return (*end || v < 0) ? -1 : v;
}

static int cmd_worker(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	long id = param_index(params);

	if (id < 0 || (unsigned long)id >= g_app->nworkers)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	add_headline(d, &g_app->workers[id]->stats);
	return 0;
}

static const char *frag_action_name(enum sw_frag_action a)
{
	return a == SW_FRAG_DROP ? "drop" : a == SW_FRAG_PASS ? "pass" : "reassemble";
}

static void add_policy(struct rte_tel_data *d, const struct sw_policy *p)
{
	char ports[SW_MAX_SIP_PORTS * 6 + 1] = "";
	size_t off = 0;

	for (uint32_t i = 0; i < p->nsip_ports && off < sizeof(ports); i++)
		off += (size_t)snprintf(ports + off, sizeof(ports) - off, "%s%u", i ? "," : "", p->sip_ports[i]);
	rte_tel_data_add_dict_u64(d, "version", p->version);
	rte_tel_data_add_dict_u64(d, "rules", p->nrules);
	rte_tel_data_add_dict_string(d, "sip_ports", ports);
	rte_tel_data_add_dict_int(d, "judge_inside", p->judge_inside);
	rte_tel_data_add_dict_u64(d, "max_message_bytes", p->max_message_bytes);
	rte_tel_data_add_dict_u64(d, "max_request_uri_bytes", p->max_request_uri_bytes);
	rte_tel_data_add_dict_string(d, "fragments", frag_action_name(p->frag_action));
	rte_tel_data_add_dict_u64(d, "budget_prefix_pps", p->budget_prefix_pps);
	rte_tel_data_add_dict_u64(d, "budget_prefix_burst", p->budget_prefix_burst);
	rte_tel_data_add_dict_u64(d, "budget_ipv4_prefix_len", p->budget_v4_prefix);
	rte_tel_data_add_dict_u64(d, "budget_ipv6_prefix_len", p->budget_v6_prefix);
	rte_tel_data_add_dict_u64(d, "budget_global_pps", p->budget_global_pps);
	rte_tel_data_add_dict_u64(d, "budget_global_burst", p->budget_global_burst);
}

static int cmd_policy(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct sw_policy *p;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&g_app->mu);
	rte_tel_data_add_dict_string(d, "file", g_app->policy_path);
	rte_tel_data_add_dict_u64(d, "reloads", g_app->reloads);
	rte_tel_data_add_dict_u64(d, "reload_failures", g_app->reload_failures);
	rte_tel_data_add_dict_string(d, "last_error", g_app->last_error);
	p = policy_store_current(g_app->store);
	if (p)
		add_policy(d, p);
	pthread_mutex_unlock(&g_app->mu);
	return 0;
}

/* Telemetry names allow [A-Za-z0-9_/] only: a rule id "friendly-scanner" is listed as "friendly_scanner". */
static void tel_name(char *out, size_t cap, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++) {
		char c = in[i];

		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ? c : '_';
	}
	out[i] = '\0';
}

static void add_rule(struct rte_tel_data *d, const struct sw_policy *p, uint32_t i)
{
	struct rte_tel_data *r = rte_tel_data_alloc();
	char key[SW_RULE_ID_MAX];
	struct rules_stats st;

	if (!r)
		return;
	dp_app_rule_stats(g_app, p, i, &st); /* hits since the rule entered the running policy (app.h) */
	rte_tel_data_start_dict(r);
	rte_tel_data_add_dict_string(r, "id", p->rules[i].id);
	rte_tel_data_add_dict_u64(r, "index", i);
	rte_tel_data_add_dict_u64(r, "matches", st.matches);
	rte_tel_data_add_dict_u64(r, "dropped", st.dropped);
	rte_tel_data_add_dict_u64(r, "replied", st.replied);
	rte_tel_data_add_dict_u64(r, "passed", st.passed);
	rte_tel_data_add_dict_u64(r, "counted", st.counted);
	tel_name(key, sizeof(key), p->rules[i].id);
	if (rte_tel_data_add_dict_container(d, key, r, 0) < 0)
		rte_tel_data_free(r);
}

static int cmd_rules(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	long from = param_index(params);
	const struct sw_policy *p;
	uint32_t i;

	if (from < 0)
		from = 0;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&g_app->mu);
	p = policy_store_current(g_app->store);
	for (i = (uint32_t)from; p && p->db && i < p->nrules && i < (uint32_t)from + RULES_PER_CALL; i++)
		add_rule(d, p, i);
	if (p && p->db && i < p->nrules)
		rte_tel_data_add_dict_u64(d, "next", i);
	pthread_mutex_unlock(&g_app->mu);
	return 0;
}

static int cmd_budget(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char key[32];

	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < g_app->nworkers && i < RTE_TEL_MAX_DICT_ENTRIES; i++) {
		snprintf(key, sizeof(key), "worker%u_prefixes", i);
		/* rte_hash_count reads the table's counters: a snapshot, like the rest */
		rte_tel_data_add_dict_u64(d, key, dp_budget_count(g_app->workers[i]->budget));
	}
	return 0;
}

/* The mbuf pool: how many are out (in rings, in the reassembly table, in flight); the soak test watches it stay flat. */
static int cmd_mempool(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct rte_mempool *mp = rte_mempool_lookup(DP_MBUF_POOL);

	if (!mp)
		return -ENOENT;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", mp->name);
	rte_tel_data_add_dict_u64(d, "size", mp->size);
	rte_tel_data_add_dict_u64(d, "avail", rte_mempool_avail_count(mp));
	rte_tel_data_add_dict_u64(d, "in_use", rte_mempool_in_use_count(mp));
	return 0;
}

int dp_telemetry_register(struct dp_app *app)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/sipwall/stats", cmd_stats, "Totals over all workers. No parameters." },
		{ "/sipwall/drops", cmd_drops, "Dropped frames by reason. No parameters." },
		{ "/sipwall/verdicts", cmd_verdicts, "The SIP core's verdicts by reason. No parameters." },
		{ "/sipwall/replies", cmd_replies, "Replies sent by status. No parameters." },
		{ "/sipwall/worker", cmd_worker, "One worker's counters. Parameter: worker id." },
		{ "/sipwall/policy", cmd_policy, "The running policy and its reloads. No parameters." },
		{ "/sipwall/rules", cmd_rules, "Per-rule counters, 32 rules at a time. Parameter: first index." },
		{ "/sipwall/budget", cmd_budget, "Source prefixes tracked by the reply budget. No parameters." },
		{ "/sipwall/mempool", cmd_mempool, "The mbuf pool: size, available, in use. No parameters." },
	};
	int rc;

	g_app = app;
	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc < 0)
			return rc;
	}
	return 0;
}

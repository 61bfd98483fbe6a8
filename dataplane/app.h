/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's control side: the workers, the policy store and its QSBR grace period, runtime reload, and what
 * telemetry reads. Everything here runs on the main lcore or the telemetry thread, never on the packet path.
 */
#ifndef DP_APP_H
#define DP_APP_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_config.h>
#include <rte_log.h>

#include "prefilter.h"
#include "stats.h"
#include "worker.h"

struct policy_store;
struct rte_rcu_qsbr;
struct rules_stats;
struct sw_policy;

/* The daemon's log type ("sipwall"; --log-level=sipwall:debug). Control side only: the packet path never logs. */
extern int dp_logtype;
#define DP_LOG(level, ...) rte_log(RTE_LOG_##level, dp_logtype, "sipwall: " __VA_ARGS__)

struct dp_app {
	struct dp_worker *workers[RTE_MAX_LCORE];
	unsigned nworkers;
	uint16_t port[2];              /* by enum dp_side */
	struct policy_store *store;
	struct rte_rcu_qsbr *qsbr;     /* readers: the workers, ids 0..nworkers-1 */
	/*
	 * Held by whoever commits or reclaims a policy (the main lcore) and by telemetry callbacks while they read the
	 * current policy: a policy is freed only under it, so a callback never reads a freed one. Never taken on the
	 * packet path.
	 */
	pthread_mutex_t mu;
	char policy_path[PATH_MAX];
	uint64_t reloads;              /* successful reloads (not counting the first load) */
	uint64_t reload_failures;
	char last_error[512];
	volatile bool quit;            /* workers stop at their next iteration */

	/* What made the running version and when (sipwallctl policy show); written by the main lcore under mu. */
	char source[256];
	double loaded_at;              /* CLOCK_REALTIME seconds */
	double compile_ms, swap_ms;    /* of the last change */
	uint64_t grace_done_ns;        /* CLOCK_MONOTONIC when the last grace period ended (swap timing) */
	bool grace_passed;             /* set by whoever just waited a grace period: the store's reclaim skips its own */

	/*
	 * Per-rule hits of earlier versions, by rule index of the current one: a rule's counters live in its compiled
	 * version, so on every change the old version's final counts are added here for each rule id the new version
	 * keeps. rule stats = these + the current version's. Main lcore only.
	 */
	struct rules_stats *rule_carry;
	uint32_t nrule_carry;

	/*
	 * Worker liveness without touching the packet path: each control tick starts a QSBR token; a worker's
	 * quiescent report copies it into its slot once per loop iteration. Every slot that moved is a heartbeat.
	 */
	uint64_t hb_token[RTE_MAX_LCORE];   /* the token last seen in each worker's slot */
	uint64_t heartbeats[RTE_MAX_LCORE]; /* control ticks each worker acknowledged */
	uint64_t hb_last_ns[RTE_MAX_LCORE]; /* CLOCK_MONOTONIC of the last acknowledgement */

	/* The XDP prefilter in front of the outside port, when net_af_xdp loaded ours: every version configures it. */
	struct dp_prefilter prefilter;
};

/* The outcome of a policy change through dp_app_policy_apply(). */
struct dp_apply {
	uint64_t version;
	double compile_ms;             /* load + validate + compile, off the packet path */
	double swap_ms;                /* commit -> every worker quiescent on the new version */
	double reclaim_ms;             /* after the swap: carry the rule counters, free the old version */
	double save_ms;                /* write-back to the --policy file */
	bool saved;
	char save_error[256];
};

/*
 * Create the QSBR domain and the policy store for nworkers, and load, compile and commit app->policy_path.
 * 0 or -errno with a message in err.
 */
int dp_app_policy_init(struct dp_app *app, unsigned nworkers, char *err, size_t errlen);

/*
 * Reload app->policy_path while the workers run: prepare (load + compile, off the packet path), commit (one
 * pointer), reclaim (a QSBR grace period: every worker passes a quiescent point, then the old one is freed).
 * On failure the running policy stays. Returns the new version, or 0 with app->last_error set.
 */
uint64_t dp_app_policy_reload(struct dp_app *app);

/*
 * Replace the running policy with the YAML in text (named name in messages): prepare (timed), commit, grace period
 * (timed), reclaim, then, when save is set, write text to app->policy_path atomically (temporary file in the same
 * directory, fsync, rename) so a restart comes up with it. source says what asked ("sipwallctl policy load FILE").
 * Returns 0 with r filled, or -errno with the loader's/compiler's message in err and nothing changed.
 * Main lcore only: changes are serialised by running there.
 */
int dp_app_policy_apply(struct dp_app *app, const char *text, size_t len, const char *name, const char *source,
			bool save, struct dp_apply *r, char *err, size_t errlen);

/* Write len bytes of text to path atomically (tmp + fsync + rename + fsync of the directory). 0 or -errno. */
int dp_write_atomic(const char *path, const char *text, size_t len);

/* Rule i of p (the current policy): its hits since it entered the running policy under its id (carry + now). */
void dp_app_rule_stats(const struct dp_app *app, const struct sw_policy *p, uint32_t i, struct rules_stats *out);

/* One control tick of the liveness probe (see heartbeats above). */
void dp_app_heartbeat(struct dp_app *app);

/* CLOCK_MONOTONIC in ns, and CLOCK_REALTIME in seconds. */
uint64_t dp_mono_ns(void);
double dp_wall_s(void);

/* Free the store (the workers must have stopped) and the QSBR domain. */
void dp_app_policy_fini(struct dp_app *app);

/* Sum every worker's counters. */
void dp_app_stats(const struct dp_app *app, struct dp_stats *sum);

/* Register the /sipwall/... telemetry commands over app. 0 or -errno. */
int dp_telemetry_register(struct dp_app *app);

#endif

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

#include "stats.h"
#include "worker.h"

struct policy_store;
struct rte_rcu_qsbr;

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
};

/*
 * Create the QSBR domain and the policy store for nworkers, and load, compile and commit app->policy_path.
 * 0 or -errno with a message in err.
 */
int dp_app_policy_init(struct dp_app *app, unsigned nworkers, char *err, size_t errlen);

/*
 * Reload app->policy_path while the workers run: prepare (load + compile, off the packet path), commit (one
 * pointer), reclaim (rte_rcu_qsbr_synchronize: every worker passes a quiescent point, then the old one is freed).
 * On failure the running policy stays. Returns the new version, or 0 with app->last_error set.
 */
uint64_t dp_app_policy_reload(struct dp_app *app);

/* Free the store (the workers must have stopped) and the QSBR domain. */
void dp_app_policy_fini(struct dp_app *app);

/* Sum every worker's counters. */
void dp_app_stats(const struct dp_app *app, struct dp_stats *sum);

/* Register the /sipwall/... telemetry commands over app. 0 or -errno. */
int dp_telemetry_register(struct dp_app *app);

#endif

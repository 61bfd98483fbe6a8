/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side's policy handling (see app.h): the core's policy store, its grace period backed by DPDK's QSBR
 * (the workers report quiescent once per loop iteration), and reload while the workers run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "app.h"
#include "policy_store.h"

RTE_LOG_REGISTER(dp_logtype, sipwall, INFO);

/* The store's grace hook: returns once every worker online now has passed a quiescent point. */
static int rcu_grace(void *arg)
{
	rte_rcu_qsbr_synchronize(arg, RTE_QSBR_THRID_INVALID);
	return 0;
}

int dp_app_policy_init(struct dp_app *app, unsigned nworkers, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(nworkers);
	struct sw_policy *p;
	struct sw_policy *old;

	pthread_mutex_init(&app->mu, NULL);
	app->qsbr = rte_zmalloc("sipwall_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!app->qsbr || rte_rcu_qsbr_init(app->qsbr, nworkers) != 0) {
		snprintf(err, errlen, "QSBR for %u workers: %s", nworkers, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	app->store = policy_store_create(nworkers, rcu_grace, app->qsbr);
	if (!app->store) {
		snprintf(err, errlen, "policy store: %s", strerror(errno));
		return -ENOMEM;
	}
	p = policy_store_prepare_file(app->store, app->policy_path, err, errlen);
	if (!p)
		return -EINVAL;
	if (policy_store_commit(app->store, p, &old) == 0) {
		snprintf(err, errlen, "%s: not prepared for %u workers", app->policy_path, nworkers);
		policy_free(p);
		return -EINVAL;
	}
	return 0;
}

uint64_t dp_app_policy_reload(struct dp_app *app)
{
	char err[sizeof(app->last_error)];
	struct sw_policy *p, *old;
	uint64_t v;
	int rc;

	p = policy_store_prepare_file(app->store, app->policy_path, err, sizeof(err));
	pthread_mutex_lock(&app->mu);
	if (!p) {
		app->reload_failures++;
		snprintf(app->last_error, sizeof(app->last_error), "%s", err);
		pthread_mutex_unlock(&app->mu);
		DP_LOG(ERR, "reload refused, policy unchanged: %s\n", err);
		return 0;
	}
	v = policy_store_commit(app->store, p, &old);
	rc = v ? policy_store_reclaim(app->store, old) : -EINVAL;
	if (v) {
		app->reloads++;
		app->last_error[0] = '\0';
	} else {
		app->reload_failures++;
		snprintf(app->last_error, sizeof(app->last_error), "%.400s: not prepared for the workers",
			 app->policy_path);
		policy_free(p);
	}
	pthread_mutex_unlock(&app->mu);
	if (v)
		DP_LOG(INFO, "policy %s loaded as version %" PRIu64 "%s\n", app->policy_path, v,
		       rc < 0 ? " (old version leaked: grace period failed)" : "");
	return v;
}

void dp_app_policy_fini(struct dp_app *app)
{
	policy_store_destroy(app->store);
	app->store = NULL;
	rte_free(app->qsbr);
	app->qsbr = NULL;
	pthread_mutex_destroy(&app->mu);
}

void dp_app_stats(const struct dp_app *app, struct dp_stats *sum)
{
	const struct dp_stats *blocks[RTE_MAX_LCORE];

	for (unsigned i = 0; i < app->nworkers; i++)
		blocks[i] = &app->workers[i]->stats;
	dp_stats_sum(sum, blocks, app->nworkers);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side's policy handling (see app.h): the core's policy store, its grace period backed by DPDK's QSBR
 * (the workers report quiescent once per loop iteration), and reload while the workers run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "app.h"
#include "policy_store.h"
#include "rules.h"

RTE_LOG_REGISTER(dp_logtype, sipwall, INFO);

uint64_t dp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double dp_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until every worker online now has passed a quiescent point. A worker reports once per loop iteration
 * (microseconds), so spin briefly first; past GRACE_SPIN_US, sleep between checks instead: when a worker shares
 * a CPU with the main lcore (more lcores than CPUs, or a busy host), spinning here, as rte_rcu_qsbr_synchronize
 * does, would hold the very CPU that worker needs to reach its quiescent point until the scheduler preempts us.
 */
#define GRACE_SPIN_US 100
#define GRACE_SLEEP_NS 20000

static void grace_wait(struct rte_rcu_qsbr *q)
{
	const struct timespec nap = { .tv_nsec = GRACE_SLEEP_NS };
	uint64_t token = rte_rcu_qsbr_start(q);
	uint64_t spin_end = dp_mono_ns() + GRACE_SPIN_US * 1000ull;

	while (!rte_rcu_qsbr_check(q, token, false)) {
		if (dp_mono_ns() < spin_end)
			rte_pause();
		else
			nanosleep(&nap, NULL);
	}
}

/*
 * The store's grace hook: returns once every worker online now has passed a quiescent point. It notes when, so
 * the swap time (commit -> every worker on the new version) excludes freeing the old version.
 */
static int rcu_grace(void *arg)
{
	struct dp_app *app = arg;

	if (app->grace_passed) { /* swap() below has just waited one, after the commit: nothing can hold old */
		app->grace_passed = false;
		return 0;
	}
	grace_wait(app->qsbr);
	app->grace_done_ns = dp_mono_ns();
	return 0;
}

struct id_index {
	const char *id;
	uint32_t index;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct id_index *)a)->id, ((const struct id_index *)b)->id);
}

static void stats_add(struct rules_stats *d, const struct rules_stats *s)
{
	d->matches += s->matches;
	d->dropped += s->dropped;
	d->replied += s->replied;
	d->passed += s->passed;
	d->counted += s->counted;
}

/*
 * Carry the per-rule hits of old (no worker uses it any more: its counters are final) into app->rule_carry,
 * re-indexed for p by rule id. O(n log n) by sorting old's ids. Without memory the history is dropped, never
 * misattributed.
 */
static void carry_rule_stats(struct dp_app *app, const struct sw_policy *old, const struct sw_policy *p)
{
	struct rules_stats *carry = p->nrules ? calloc(p->nrules, sizeof(*carry)) : NULL;
	struct id_index *ids = old && old->nrules ? malloc(old->nrules * sizeof(*ids)) : NULL;

	if (carry && ids) {
		for (uint32_t i = 0; i < old->nrules; i++)
			ids[i] = (struct id_index){ old->rules[i].id, i };
		qsort(ids, old->nrules, sizeof(*ids), by_id);
		for (uint32_t i = 0; i < p->nrules; i++) {
			struct id_index key = { p->rules[i].id, 0 }, *hit;
			struct rules_stats st;

			hit = bsearch(&key, ids, old->nrules, sizeof(*ids), by_id);
			if (!hit)
				continue;
			memset(&st, 0, sizeof(st));
			if (old->db)
				rules_stats(old->db, hit->index, &st);
			if (hit->index < app->nrule_carry)
				stats_add(&st, &app->rule_carry[hit->index]);
			carry[i] = st;
		}
	}
	free(ids);
	free(app->rule_carry);
	app->rule_carry = carry;
	app->nrule_carry = carry ? p->nrules : 0;
}

void dp_app_rule_stats(const struct dp_app *app, const struct sw_policy *p, uint32_t i, struct rules_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (p->db)
		rules_stats(p->db, i, out);
	if (i < app->nrule_carry)
		stats_add(out, &app->rule_carry[i]);
}

/*
 * Publish p and retire the old version (caller holds app->mu): commit, wait one grace period (then no worker can
 * be on the old version: the swap is done), carry the old version's final rule counters, free it. Returns the new
 * version (0: not prepared for these workers, nothing changed) and the commit time in *t_commit.
 */
static uint64_t swap(struct dp_app *app, struct sw_policy *p, uint64_t *t_commit, int *reclaim_rc)
{
	struct sw_policy *old;
	uint64_t v;
	int rc;

	*t_commit = dp_mono_ns();
	v = policy_store_commit(app->store, p, &old);
	if (!v)
		return 0;
	grace_wait(app->qsbr);
	app->grace_done_ns = dp_mono_ns();
	rc = dp_prefilter_apply(&app->prefilter, p);
	if (rc < 0)
		DP_LOG(ERR, "version %" PRIu64 ": the XDP prefilter keeps its previous configuration: %s\n", v,
		       strerror(-rc));
	carry_rule_stats(app, old, p);
	app->grace_passed = true;
	*reclaim_rc = policy_store_reclaim(app->store, old);
	app->grace_passed = false;
	return v;
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
	app->store = policy_store_create(nworkers, rcu_grace, app);
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
	snprintf(app->source, sizeof(app->source), "%.200s at start", app->policy_path);
	app->loaded_at = dp_wall_s();
	return 0;
}

uint64_t dp_app_policy_reload(struct dp_app *app)
{
	char err[sizeof(app->last_error)];
	struct sw_policy *p;
	uint64_t v, t;
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
	rc = 0;
	v = swap(app, p, &t, &rc);
	if (v) {
		app->reloads++;
		app->last_error[0] = '\0';
		snprintf(app->source, sizeof(app->source), "%.200s on SIGHUP", app->policy_path);
		app->loaded_at = dp_wall_s();
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

int dp_write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	struct stat st;
	int fd, dfd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	/* keep the mode of the file it replaces (mkstemp makes 0600) */
	if (stat(path, &st) == 0 && fchmod(fd, st.st_mode & 07777) < 0)
		err = -errno;
	for (size_t off = 0; !err && off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* the rename itself is durable once the directory is synced */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int dp_app_policy_apply(struct dp_app *app, const char *text, size_t len, const char *name, const char *source,
			bool save, struct dp_apply *r, char *err, size_t errlen)
{
	uint64_t t0 = dp_mono_ns(), t_prepared, t_commit;
	struct sw_policy *p;
	int rc;

	memset(r, 0, sizeof(*r));
	p = policy_store_prepare_buffer(app->store, text, len, name, err, errlen);
	t_prepared = dp_mono_ns();
	if (!p) {
		pthread_mutex_lock(&app->mu);
		app->reload_failures++;
		snprintf(app->last_error, sizeof(app->last_error), "%s", err);
		pthread_mutex_unlock(&app->mu);
		DP_LOG(NOTICE, "policy change refused, policy unchanged: %s\n", err);
		return -EINVAL;
	}
	pthread_mutex_lock(&app->mu);
	rc = 0;
	r->version = swap(app, p, &t_commit, &rc);
	if (!r->version) {
		pthread_mutex_unlock(&app->mu);
		policy_free(p);
		snprintf(err, errlen, "%s: not prepared for the workers", name);
		return -EINVAL;
	}
	r->compile_ms = (double)(t_prepared - t0) / 1e6;
	r->swap_ms = (double)(app->grace_done_ns - t_commit) / 1e6;
	r->reclaim_ms = (double)(dp_mono_ns() - app->grace_done_ns) / 1e6;
	app->reloads++;
	app->last_error[0] = '\0';
	snprintf(app->source, sizeof(app->source), "%s", source);
	app->loaded_at = dp_wall_s();
	app->compile_ms = r->compile_ms;
	app->swap_ms = r->swap_ms;
	pthread_mutex_unlock(&app->mu);
	if (rc < 0)
		DP_LOG(WARNING, "version %" PRIu64 ": old version leaked (grace period failed)\n", r->version);
	if (save) {
		t0 = dp_mono_ns();
		rc = dp_write_atomic(app->policy_path, text, len);
		r->save_ms = (double)(dp_mono_ns() - t0) / 1e6;
		r->saved = rc == 0;
		if (rc < 0) {
			snprintf(r->save_error, sizeof(r->save_error), "%.200s: %s", app->policy_path, strerror(-rc));
			DP_LOG(ERR, "version %" PRIu64 " running but not saved: %s\n", r->version, r->save_error);
		}
	}
	DP_LOG(INFO, "policy version %" PRIu64 " from %s: compile %.3f ms, swap %.3f ms\n", r->version, source,
	       r->compile_ms, r->swap_ms);
	return 0;
}

void dp_app_heartbeat(struct dp_app *app)
{
	uint64_t now = dp_mono_ns();

	for (unsigned i = 0; i < app->nworkers; i++) {
		/* the slot's layout is DPDK's public inline API (rte_rcu_qsbr_quiescent writes it) */
		uint64_t t = __atomic_load_n(&app->qsbr->qsbr_cnt[i].cnt, __ATOMIC_ACQUIRE);

		if (t != app->hb_token[i]) {
			app->hb_token[i] = t;
			app->heartbeats[i]++;
			app->hb_last_ns[i] = now;
		}
	}
	rte_rcu_qsbr_start(app->qsbr);
}

void dp_app_policy_fini(struct dp_app *app)
{
	free(app->rule_carry);
	app->rule_carry = NULL;
	app->nrule_carry = 0;
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

// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy store: prepare / commit / reclaim of the policy workers read, and a small portable QSBR for the
 * grace period (the same protocol as DPDK's rte_rcu_qsbr, which the dataplane can plug in instead).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy_store.h"
#include "rules.h"

/* ---- QSBR ---- */

#define QSBR_OFFLINE 0 /* a reader's `seen` when offline; tokens start at 1 */

struct qsbr_reader {
	_Alignas(64) _Atomic uint64_t seen; /* the token this reader last saw at a quiescent point */
};

struct sw_qsbr {
	_Alignas(64) _Atomic uint64_t token; /* bumped by each synchronize */
	unsigned n;
	struct qsbr_reader *r;
};

struct sw_qsbr *sw_qsbr_create(unsigned nreaders)
{
	struct sw_qsbr *q = aligned_alloc(64, sizeof(*q));

	if (!q)
		return NULL;
	q->r = aligned_alloc(64, sizeof(*q->r) * (nreaders ? nreaders : 1));
	if (!q->r) {
		free(q);
		return NULL;
	}
	atomic_init(&q->token, 1);
	q->n = nreaders;
	for (unsigned i = 0; i < nreaders; i++)
		atomic_init(&q->r[i].seen, QSBR_OFFLINE);
	return q;
}

void sw_qsbr_free(struct sw_qsbr *q)
{
	if (!q)
		return;
	free(q->r);
	free(q);
}

void sw_qsbr_online(struct sw_qsbr *q, unsigned id)
{
	atomic_store(&q->r[id].seen, atomic_load(&q->token));
	/* The store above must be visible before this reader loads any shared pointer (a store-load order). */
	atomic_thread_fence(memory_order_seq_cst);
}

void sw_qsbr_quiescent(struct sw_qsbr *q, unsigned id)
{
	/* release: every read of the old policy by this reader happens before the writer sees the new token. */
	atomic_store_explicit(&q->r[id].seen, atomic_load_explicit(&q->token, memory_order_acquire),
			      memory_order_release);
}

void sw_qsbr_offline(struct sw_qsbr *q, unsigned id)
{
	atomic_store_explicit(&q->r[id].seen, QSBR_OFFLINE, memory_order_release);
}

int sw_qsbr_synchronize(void *arg)
{
	struct sw_qsbr *q = arg;
	/* The token increment is ordered after the caller's publication of the new pointer (seq_cst RMW). */
	uint64_t t = atomic_fetch_add(&q->token, 1) + 1;

	for (unsigned i = 0; i < q->n; i++) {
		uint64_t seen;
		while ((seen = atomic_load(&q->r[i].seen)) != QSBR_OFFLINE && seen < t)
			sched_yield();
	}
	return 0;
}

/* ---- the store ---- */

struct policy_store {
	_Atomic(struct sw_policy *) cur;
	_Atomic uint64_t version; /* of the last commit; written under mu */
	unsigned nworkers;
	policy_grace_fn grace;
	void *grace_arg;
	pthread_mutex_t mu; /* writers only: commit order and version numbers */
};

struct policy_store *policy_store_create(unsigned nworkers, policy_grace_fn grace, void *grace_arg)
{
	struct policy_store *s;

	if (nworkers == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	atomic_init(&s->cur, NULL);
	atomic_init(&s->version, 0);
	s->nworkers = nworkers;
	s->grace = grace;
	s->grace_arg = grace_arg;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void policy_store_destroy(struct policy_store *s)
{
	if (!s)
		return;
	policy_free(atomic_load(&s->cur));
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int policy_store_prepare(struct policy_store *s, struct sw_policy *p, char *err, size_t errlen)
{
	if (p->db || p->nrules == 0)
		return 0;
	return rules_compile(p, s->nworkers, err, errlen);
}

/* Compile a freshly loaded policy; on failure free it and name the source in the message. */
static struct sw_policy *prepare_loaded(struct policy_store *s, struct sw_policy *p, const struct policy_error *perr,
					const char *name, char *err, size_t errlen)
{
	char msg[768];

	if (!p) {
		policy_error_format(perr, err, errlen);
		return NULL;
	}
	if (policy_store_prepare(s, p, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", name, msg);
		policy_free(p);
		return NULL;
	}
	return p;
}

struct sw_policy *policy_store_prepare_file(struct policy_store *s, const char *path, char *err, size_t errlen)
{
	struct policy_error perr = { 0 };
	struct sw_policy *p = policy_load_file(path, &perr);

	return prepare_loaded(s, p, &perr, path, err, errlen);
}

struct sw_policy *policy_store_prepare_buffer(struct policy_store *s, const char *buf, size_t len, const char *name,
					      char *err, size_t errlen)
{
	struct policy_error perr = { 0 };
	struct sw_policy *p = policy_load_buffer(buf, len, name, &perr);

	return prepare_loaded(s, p, &perr, name, err, errlen);
}

/* A policy workers can run: its rules (if any) compiled with a scratch for every worker of the store. */
static bool prepared_for(const struct policy_store *s, const struct sw_policy *p)
{
	struct rules_db_info info;

	if (p->nrules == 0)
		return true;
	rules_db_info(p->db, &info);
	return p->db && info.nworkers >= s->nworkers;
}

uint64_t policy_store_commit(struct policy_store *s, struct sw_policy *p, struct sw_policy **old)
{
	uint64_t v;

	*old = NULL;
	if (!p || !prepared_for(s, p))
		return 0;
	pthread_mutex_lock(&s->mu);
	v = atomic_load_explicit(&s->version, memory_order_relaxed) + 1;
	p->version = v;
	/* release: a worker that loads p (acquire) sees p, its rules, db and scratch fully built. */
	*old = atomic_exchange_explicit(&s->cur, p, memory_order_acq_rel);
	atomic_store_explicit(&s->version, v, memory_order_relaxed);
	pthread_mutex_unlock(&s->mu);
	return v;
}

int policy_store_reclaim(struct policy_store *s, struct sw_policy *old)
{
	int rc;

	if (!old)
		return 0;
	if (s->grace && (rc = s->grace(s->grace_arg)) < 0)
		return rc;
	policy_free(old);
	return 0;
}

uint64_t policy_store_swap(struct policy_store *s, struct sw_policy *p)
{
	struct sw_policy *old;
	uint64_t v = policy_store_commit(s, p, &old);

	if (v && policy_store_reclaim(s, old) < 0)
		return 0;
	return v;
}

const struct sw_policy *policy_store_current(const struct policy_store *s)
{
	return atomic_load_explicit(&((struct policy_store *)s)->cur, memory_order_acquire);
}

uint64_t policy_store_version(const struct policy_store *s)
{
	/* Read through the published pointer, so that a reader's version and policy always agree. */
	const struct sw_policy *p = policy_store_current(s);

	return p ? p->version : 0;
}

unsigned policy_store_nworkers(const struct policy_store *s)
{
	return s->nworkers;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replacing the policy while workers run, in three steps (docs/rules.md): prepare (load, validate, compile the
 * rules with one scratch per worker), commit (publish one pointer), reclaim (free the old version once every
 * worker has passed a quiescent point). The dataplane, sipwallctl and the tests all go through this file.
 */
#ifndef SW_POLICY_STORE_H
#define SW_POLICY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ---- a portable QSBR grace period (the dataplane may use DPDK's rte_rcu_qsbr instead) ---- */

struct sw_qsbr;

/* A QSBR domain for readers 0..nreaders-1, all offline. NULL on failure (errno set). */
struct sw_qsbr *sw_qsbr_create(unsigned nreaders);
/* NULL-safe. No reader may use q afterwards. */
void sw_qsbr_free(struct sw_qsbr *q);

/*
 * Reader side, called by reader `id` only: online before it first reads the store, quiescent whenever it holds no
 * pointer obtained from the store (between bursts, between messages), offline before it blocks or stops.
 * quiescent is two atomic operations: no lock, no syscall.
 */
void sw_qsbr_online(struct sw_qsbr *q, unsigned id);
void sw_qsbr_quiescent(struct sw_qsbr *q, unsigned id);
void sw_qsbr_offline(struct sw_qsbr *q, unsigned id);

/*
 * Writer side: returns once every reader that was online when it was called has reported quiescent (or gone
 * offline) since. Spins with sched_yield. arg is the struct sw_qsbr, so this is a policy_grace_fn. Returns 0.
 */
int sw_qsbr_synchronize(void *arg);

/* ---- the store ---- */

/*
 * Wait until no reader can still hold a policy that was current before the call. Returns 0 or -errno.
 * The dataplane passes a wrapper of rte_rcu_qsbr_synchronize(); the CLI and the tests pass sw_qsbr_synchronize.
 */
typedef int (*policy_grace_fn)(void *arg);

struct policy_store;

/*
 * A store for nworkers workers (ids 0..nworkers-1, struct sw_worker.id) with no policy yet. grace may be NULL
 * only when no reader ever runs concurrently with reclaim (single-threaded tools). NULL on failure (errno set).
 */
struct policy_store *policy_store_create(unsigned nworkers, policy_grace_fn grace, void *grace_arg);

/* Free the store and its current policy. No reader may be running. NULL-safe. */
void policy_store_destroy(struct policy_store *s);

/*
 * Prepare: load and validate a policy (file, or buffer named `name` in messages) and compile its rules with one
 * scratch per worker of the store. Returns the new policy, not yet visible to anyone, or NULL with a message in
 * err ("FILE:LINE:COL: ..." from the loader, "FILE: rule "id" (line N): regex "...": <Hyperscan>" from the
 * compiler). Nothing changes on failure.
 */
struct sw_policy *policy_store_prepare_file(struct policy_store *s, const char *path, char *err, size_t errlen);
struct sw_policy *policy_store_prepare_buffer(struct policy_store *s, const char *buf, size_t len, const char *name,
					      char *err, size_t errlen);

/* Prepare a policy built in memory (tests, tools): compile its rules for the store's workers. 0 or -errno. */
int policy_store_prepare(struct policy_store *s, struct sw_policy *p, char *err, size_t errlen);

/*
 * Commit: give p a version (the store's last + 1) and publish it with one release store. The store owns p from
 * then on. *old receives the previous policy (NULL for the first), which readers may still be using: pass it to
 * policy_store_reclaim. Returns the new version, or 0 when p was not prepared for this store's workers (nothing
 * changes). Writers are serialised by the store; readers never wait.
 */
uint64_t policy_store_commit(struct policy_store *s, struct sw_policy *p, struct sw_policy **old);

/* Reclaim: wait for the grace period, then free old (NULL-safe). Returns 0, or the grace function's -errno
 * (then old is not freed: the caller may retry). */
int policy_store_reclaim(struct policy_store *s, struct sw_policy *old);

/* Commit then reclaim. Returns the new version, or 0 (nothing changed, or the old version is leaked on a grace
 * failure, which a policy_grace_fn that returns 0 never has). */
uint64_t policy_store_swap(struct policy_store *s, struct sw_policy *p);

/*
 * Reader: the current policy (NULL before the first commit). Valid until this reader's next quiescent report.
 * One acquire load.
 */
const struct sw_policy *policy_store_current(const struct policy_store *s);

/* The version of the current policy (0 before the first commit): policy_store_current(s)->version. */
uint64_t policy_store_version(const struct policy_store *s);

unsigned policy_store_nworkers(const struct policy_store *s);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reply budget: a token bucket per source prefix (/24 and /64 by default, from the policy) and this worker's
 * share of the global budget. Private to one worker: RSS keeps a source on one worker, so there is no lock and no
 * atomic. Two-phase so that a request the core then refuses to answer (amplification) costs no token:
 * dp_budget_check() finds and refills, dp_budget_commit() takes.
 */
#ifndef DP_BUDGET_H
#define DP_BUDGET_H

#include <stdint.h>

#include "policy.h"
#include "sw_verdict.h"

struct dp_budget;

enum dp_budget_result {
	DP_BUDGET_OK = 0,
	DP_BUDGET_PREFIX, /* the source prefix's bucket is empty */
	DP_BUDGET_GLOBAL, /* this worker's share of the global budget is empty */
	DP_BUDGET_FULL,   /* no room for a new prefix in the table (fail closed: no reply) */
};

/* A checked reply, to be committed when it is sent: the two buckets' token counts and what one token is. */
struct dp_budget_ticket {
	uint64_t *prefix_tokens;
	uint64_t *global_tokens;
	uint64_t token;
};

/*
 * Create a budget for one of nworkers workers with room for `entries` prefixes (rounded up by rte_hash), on
 * socket. name must be unique in the process. Returns NULL with rte_errno set.
 */
struct dp_budget *dp_budget_create(const char *name, uint32_t entries, unsigned nworkers, int socket);

/* NULL-safe. */
void dp_budget_free(struct dp_budget *b);

/*
 * May a reply go to src now (TSC cycles)? Refills the source prefix's bucket and the global share under pol's
 * rates, creating the bucket full when the prefix is new. On DP_BUDGET_OK fills t for dp_budget_commit().
 */
enum dp_budget_result dp_budget_check(struct dp_budget *b, const struct sw_policy *pol, const struct sw_peer *src,
				      uint64_t now, struct dp_budget_ticket *t);

/* Take one token from the prefix of t and from the global share. Inline: a call cost more than the two subtractions. */
static inline void dp_budget_commit(struct dp_budget *b, const struct dp_budget_ticket *t)
{
	(void)b;
	*t->prefix_tokens -= t->token;
	*t->global_tokens -= t->token;
}

/*
 * Look at the next max slots of the table (resuming where the last call stopped, wrapping around) and forget the
 * prefixes whose buckets have refilled completely (a fresh bucket is the same): keeps the table from filling with
 * sources seen once. Bounded work per call. Returns the number removed.
 */
unsigned dp_budget_sweep(struct dp_budget *b, const struct sw_policy *pol, uint64_t now, unsigned max);

/* Prefixes held. */
uint32_t dp_budget_count(const struct dp_budget *b);

#endif

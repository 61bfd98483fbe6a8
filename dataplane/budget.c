/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply budget (see budget.h). Buckets hold tokens scaled by the TSC rate (one token = hz units), so a refill is
 * one multiplication of elapsed cycles by the rate and never divides on the packet path. The rte_hash maps a
 * prefix to a key position; the position indexes a flat array of buckets allocated once.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "budget.h"

struct bucket {
	uint64_t tokens; /* scaled: hz per token */
	uint64_t last;   /* TSC of the last refill */
	bool used;       /* the slot holds a prefix (the sweep walks slots, not the hash) */
};

/* A source prefix: family, length and the masked address (IPv4 in the first 4 bytes). */
struct prefix_key {
	uint8_t family;
	uint8_t plen;
	uint8_t pad[2];
	uint8_t addr[16];
};

struct dp_budget {
	struct rte_hash *h;
	struct bucket *buckets; /* by key position */
	uint32_t nslots;
	uint32_t sweep_next;    /* next slot the sweep looks at */
	unsigned nworkers;
	uint64_t hz;
	struct bucket global;   /* this worker's share */
	/* the share of the last policy rates seen: recomputed (two divisions) only when the rates change */
	uint64_t share_of_pps, share_of_burst, share_pps, share_burst;
	/*
	 * The last prefix looked up and its position: a source that gets many replies (a flood, a broken client) is
	 * found without hashing. Forgotten when the sweep deletes that position.
	 */
	struct prefix_key last_key;
	int32_t last_pos;       /* -1: none */
};

struct dp_budget *dp_budget_create(const char *name, uint32_t entries, unsigned nworkers, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(struct prefix_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
	};
	struct dp_budget *b;

	if (entries < 8 || nworkers == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	b = rte_zmalloc_socket(name, sizeof(*b), RTE_CACHE_LINE_SIZE, socket);
	if (!b) {
		rte_errno = ENOMEM;
		return NULL;
	}
	b->nslots = entries;
	b->nworkers = nworkers;
	b->hz = rte_get_tsc_hz();
	b->h = rte_hash_create(&hp);
	b->buckets = rte_zmalloc_socket(name, sizeof(struct bucket) * entries, RTE_CACHE_LINE_SIZE, socket);
	if (!b->h || !b->buckets) {
		dp_budget_free(b);
		rte_errno = ENOMEM;
		return NULL;
	}
	b->last_pos = -1;
	b->global.last = rte_rdtsc();
	b->global.tokens = UINT64_MAX; /* clamped to the burst at the first refill */
	return b;
}

void dp_budget_free(struct dp_budget *b)
{
	if (!b)
		return;
	rte_hash_free(b->h);
	rte_free(b->buckets);
	rte_free(b);
}

/* Add the tokens earned since bk->last at pps, up to burst. Bounded so the product never overflows. */
static void refill(struct bucket *bk, uint64_t hz, uint64_t pps, uint64_t burst, uint64_t now)
{
	uint64_t max = burst * hz;
	uint64_t add;

	/* an elapsed time whose tokens overflow fills the bucket as surely as one that fills it: no division needed */
	if (now > bk->last)
		bk->tokens = __builtin_mul_overflow(now - bk->last, pps, &add) || add >= max || bk->tokens > max - add
				     ? max
				     : bk->tokens + add;
	if (bk->tokens > max)
		bk->tokens = max;
	bk->last = now;
}

static void make_key(const struct sw_policy *pol, const struct sw_peer *src, struct prefix_key *k)
{
	unsigned plen = src->family == 4 ? pol->budget_v4_prefix : pol->budget_v6_prefix;
	unsigned alen = src->family == 4 ? 4 : 16;
	unsigned full = plen / 8;

	memset(k, 0, sizeof(*k));
	k->family = src->family;
	k->plen = (uint8_t)plen;
	memcpy(k->addr, src->addr, full < alen ? full : alen);
	if (full < alen && plen % 8)
		k->addr[full] = src->addr[full] & (uint8_t)(0xff00u >> (plen % 8));
}

static void global_share(struct dp_budget *b, const struct sw_policy *pol, uint64_t *pps, uint64_t *burst)
{
	if (unlikely(pol->budget_global_pps != b->share_of_pps || pol->budget_global_burst != b->share_of_burst ||
		     b->share_pps == 0)) {
		b->share_of_pps = pol->budget_global_pps;
		b->share_of_burst = pol->budget_global_burst;
		b->share_pps = RTE_MAX(pol->budget_global_pps / b->nworkers, 1u);
		b->share_burst = RTE_MAX(pol->budget_global_burst / b->nworkers, 1u);
	}
	*pps = b->share_pps;
	*burst = b->share_burst;
}

enum dp_budget_result dp_budget_check(struct dp_budget *b, const struct sw_policy *pol, const struct sw_peer *src,
				      uint64_t now, struct dp_budget_ticket *t)
{
	struct prefix_key k;
	uint64_t gpps, gburst;
	int32_t pos;

	global_share(b, pol, &gpps, &gburst);
	refill(&b->global, b->hz, gpps, gburst, now);
	if (b->global.tokens < b->hz)
		return DP_BUDGET_GLOBAL;
	make_key(pol, src, &k);
	if (b->last_pos >= 0 && memcmp(&k, &b->last_key, sizeof(k)) == 0) {
		pos = b->last_pos;
	} else {
		pos = rte_hash_lookup(b->h, &k);
		if (pos < 0) {
			pos = rte_hash_add_key(b->h, &k);
			if (pos < 0 || (uint32_t)pos >= b->nslots)
				return DP_BUDGET_FULL;
			b->buckets[pos].tokens = UINT64_MAX; /* a new prefix starts with a full bucket */
			b->buckets[pos].last = now;
			b->buckets[pos].used = true;
		}
		b->last_key = k;
		b->last_pos = pos;
	}
	refill(&b->buckets[pos], b->hz, pol->budget_prefix_pps, pol->budget_prefix_burst, now);
	if (b->buckets[pos].tokens < b->hz)
		return DP_BUDGET_PREFIX;
	t->slot = pos;
	return DP_BUDGET_OK;
}

void dp_budget_commit(struct dp_budget *b, const struct dp_budget_ticket *t)
{
	b->buckets[t->slot].tokens -= b->hz;
	b->global.tokens -= b->hz;
}

/*
 * The sweep walks bucket slots, max per call, rather than rte_hash_iterate(): that one scans the whole table to
 * find its next key, which on a sparse table costs tens of microseconds per call (every drain tick).
 */
unsigned dp_budget_sweep(struct dp_budget *b, const struct sw_policy *pol, uint64_t now, unsigned max)
{
	uint64_t full = (uint64_t)pol->budget_prefix_burst * b->hz;
	unsigned removed = 0;
	const void *key;

	for (unsigned i = 0; i < max && i < b->nslots; i++) {
		uint32_t pos = b->sweep_next;
		struct bucket *bk = &b->buckets[pos];

		b->sweep_next = pos + 1 == b->nslots ? 0 : pos + 1;
		if (!bk->used)
			continue;
		refill(bk, b->hz, pol->budget_prefix_pps, pol->budget_prefix_burst, now);
		if (bk->tokens < full || rte_hash_get_key_with_position(b->h, (int32_t)pos, (void **)&key) != 0)
			continue;
		if (rte_hash_del_key(b->h, key) >= 0) {
			if ((int32_t)pos == b->last_pos)
				b->last_pos = -1;
			bk->used = false;
			removed++;
		}
	}
	return removed;
}

uint32_t dp_budget_count(const struct dp_budget *b)
{
	int32_t n = rte_hash_count(b->h);

	return n < 0 ? 0 : (uint32_t)n;
}

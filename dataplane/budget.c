/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply budget (see budget.h). Buckets hold tokens scaled by the TSC rate (one token = hz units), so a refill is
 * one multiplication of elapsed cycles by the rate and never divides on the packet path. The rte_hash maps a
 * prefix to a key position; the position indexes a flat array of buckets allocated once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
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

/*
 * The key as three little-endian words (bytes 0-7, 8-15, 16-19 of struct prefix_key: family, plen, two zero
 * bytes, then the address), the address masked to plen bits: a prefix mask in network order is, loaded as a
 * little-endian word, the byte-swapped host-order mask. Compared and stored as words, not built byte by byte
 * (memset, memcpy of plen / 8 bytes, a partial byte) and compared with memcmp: the same bytes.
 */
struct key_words {
	uint64_t w0, w1;
	uint32_t w2;
};
_Static_assert(sizeof(struct prefix_key) == 20 && offsetof(struct prefix_key, addr) == 4, "prefix_key layout");

/* The top n bits (0..64) of a 64-bit word, in network byte order as it lies in memory, loaded little-endian. */
static inline uint64_t net_mask64(unsigned n)
{
	return n == 0 ? 0 : __builtin_bswap64(~0ull << (64 - n));
}

static void make_key(const struct sw_policy *pol, const struct sw_peer *src, struct key_words *k)
{
	if (src->family == 4) {
		unsigned plen = pol->budget_v4_prefix < 32 ? pol->budget_v4_prefix : 32;
		uint32_t a;

		memcpy(&a, src->addr, 4);
		a &= (uint32_t)net_mask64(plen);
		k->w0 = 4u | (uint64_t)(uint8_t)pol->budget_v4_prefix << 8 | (uint64_t)a << 32;
		k->w1 = 0;
		k->w2 = 0;
	} else {
		unsigned plen = pol->budget_v6_prefix < 128 ? pol->budget_v6_prefix : 128;
		uint64_t a0, a1;

		/* the address is bytes 4-19 of the key: its first 4, next 8, last 4 */
		memcpy(&a0, src->addr, 8);
		memcpy(&a1, src->addr + 8, 8);
		a0 &= net_mask64(plen < 64 ? plen : 64);
		a1 &= net_mask64(plen > 64 ? plen - 64 : 0);
		k->w0 = (uint64_t)src->family | (uint64_t)(uint8_t)pol->budget_v6_prefix << 8 | a0 << 32;
		k->w1 = a0 >> 32 | a1 << 32;
		k->w2 = (uint32_t)(a1 >> 32);
	}
}

static inline void key_words_store(const struct key_words *w, struct prefix_key *k)
{
	memcpy((uint8_t *)k, &w->w0, 8);
	memcpy((uint8_t *)k + 8, &w->w1, 8);
	memcpy((uint8_t *)k + 16, &w->w2, 4);
}

static inline bool key_words_eq(const struct key_words *w, const struct prefix_key *k)
{
	uint64_t a, b;
	uint32_t c;

	memcpy(&a, (const uint8_t *)k, 8);
	memcpy(&b, (const uint8_t *)k + 8, 8);
	memcpy(&c, (const uint8_t *)k + 16, 4);
	return ((a ^ w->w0) | (b ^ w->w1) | (c ^ w->w2)) == 0;
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
	struct key_words kw;
	uint64_t gpps, gburst;
	int32_t pos;

	global_share(b, pol, &gpps, &gburst);
	refill(&b->global, b->hz, gpps, gburst, now);
	if (b->global.tokens < b->hz)
		return DP_BUDGET_GLOBAL;
	make_key(pol, src, &kw);
	if (b->last_pos >= 0 && key_words_eq(&kw, &b->last_key)) {
		pos = b->last_pos;
	} else {
		key_words_store(&kw, &k);
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
	t->prefix_tokens = &b->buckets[pos].tokens;
	t->global_tokens = &b->global.tokens;
	t->token = b->hz;
	return DP_BUDGET_OK;
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

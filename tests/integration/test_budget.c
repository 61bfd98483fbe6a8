/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply budget (dataplane/budget.c) on a clock the test drives: per-prefix buckets (/24, /64), the worker's share
 * of the global budget, check without commit, a full table failing closed, and the sweep freeing refilled
 * prefixes. Needs the EAL (rte_hash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_memory.h>

#include "budget.h"
#include "frames.h"

static struct sw_policy pol;

static struct sw_peer v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct sw_peer p = { .family = 4, .addr = { a, b, c, d }, .port = 5060 };

	return p;
}

static enum dp_budget_result take(struct dp_budget *b, struct sw_peer p, uint64_t now)
{
	struct dp_budget_ticket t;
	enum dp_budget_result r = dp_budget_check(b, &pol, &p, now, &t);

	if (r == DP_BUDGET_OK)
		dp_budget_commit(b, &t);
	return r;
}

static void setup_policy(void)
{
	memset(&pol, 0, sizeof(pol));
	policy_defaults(&pol);
	pol.budget_prefix_pps = 1;
	pol.budget_prefix_burst = 3;
	pol.budget_global_pps = 1000;
	pol.budget_global_burst = 1000;
}

static void test_prefix_bucket(void **state)
{
	struct dp_budget *b = dp_budget_create("t_prefix", 64, 1, SOCKET_ID_ANY);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();

	(void)state;
	setup_policy();
	assert_non_null(b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(b, v4(198, 51, 100, (uint8_t)(1 + i)), t0), DP_BUDGET_OK); /* one /24 */
	assert_int_equal(take(b, v4(198, 51, 100, 200), t0), DP_BUDGET_PREFIX);
	assert_int_equal(take(b, v4(198, 51, 101, 1), t0), DP_BUDGET_OK); /* another /24 */
	assert_int_equal(take(b, v4(198, 51, 100, 1), t0 + hz / 2), DP_BUDGET_PREFIX);
	assert_int_equal(take(b, v4(198, 51, 100, 1), t0 + hz + hz / 100), DP_BUDGET_OK); /* 1/s refill */
	assert_int_equal(take(b, v4(198, 51, 100, 1), t0 + hz + hz / 50), DP_BUDGET_PREFIX);
	/* a check that is not committed costs nothing */
	{
		struct dp_budget_ticket t;
		struct sw_peer p = v4(203, 0, 113, 1);

		for (int i = 0; i < 10; i++)
			assert_int_equal(dp_budget_check(b, &pol, &p, t0, &t), DP_BUDGET_OK);
	}
	dp_budget_free(b);
}

static void test_v6_prefix(void **state)
{
	struct dp_budget *b = dp_budget_create("t_v6", 64, 1, SOCKET_ID_ANY);
	struct sw_peer a = { .family = 6, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 1 } };
	struct sw_peer same = a, other = a;
	uint64_t t0 = rte_rdtsc();

	(void)state;
	setup_policy();
	same.addr[15] = 0x99;  /* same /64 */
	same.addr[9] = 0x42;
	other.addr[7] = 2;     /* next /64 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(b, i == 1 ? same : a, t0), DP_BUDGET_OK);
	assert_int_equal(take(b, same, t0), DP_BUDGET_PREFIX);
	assert_int_equal(take(b, other, t0), DP_BUDGET_OK);
	dp_budget_free(b);
}

static void test_global_share(void **state)
{
	/* 2 workers share global_burst 4: this one may send 2 before its share is empty */
	struct dp_budget *b = dp_budget_create("t_global", 64, 2, SOCKET_ID_ANY);
	uint64_t t0 = rte_rdtsc();

	(void)state;
	setup_policy();
	pol.budget_global_burst = 4;
	pol.budget_global_pps = 2;
	assert_int_equal(take(b, v4(10, 0, 1, 1), t0), DP_BUDGET_OK);
	assert_int_equal(take(b, v4(10, 0, 2, 1), t0), DP_BUDGET_OK);
	assert_int_equal(take(b, v4(10, 0, 3, 1), t0), DP_BUDGET_GLOBAL);
	assert_int_equal(take(b, v4(10, 0, 3, 1), t0 + rte_get_tsc_hz() + 1000), DP_BUDGET_OK);
	dp_budget_free(b);
}

static void test_full_and_sweep(void **state)
{
	struct dp_budget *b = dp_budget_create("t_full", 8, 1, SOCKET_ID_ANY);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	unsigned ok = 0, full = 0;

	(void)state;
	setup_policy();
	for (int i = 0; i < 64; i++) {
		enum dp_budget_result r = take(b, v4(10, (uint8_t)i, 0, 1), t0);

		ok += r == DP_BUDGET_OK;
		full += r == DP_BUDGET_FULL;
	}
	assert_true(ok >= 1 && ok <= 8);
	assert_int_equal(ok + full, 64);
	assert_int_equal(dp_budget_count(b), ok);
	/* nothing refilled yet: the sweep keeps them */
	assert_int_equal(dp_budget_sweep(b, &pol, t0, 1024), 0);
	/* after burst/pps seconds every bucket is full again, the same as a fresh one: forgotten */
	assert_int_equal(dp_budget_sweep(b, &pol, t0 + 4 * hz, 1024), ok);
	assert_int_equal(dp_budget_count(b), 0);
	assert_int_equal(take(b, v4(10, 63, 0, 1), t0 + 4 * hz), DP_BUDGET_OK);
	dp_budget_free(b);
}

/*
 * The last prefix is remembered (no hashing for a source that keeps getting replies), but not past the sweep that
 * forgets it: the same source afterwards is a new prefix again, with a full bucket, counted in the table.
 */
static void test_last_prefix_swept(void **state)
{
	struct dp_budget *b = dp_budget_create("t_last", 64, 1, SOCKET_ID_ANY);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();

	(void)state;
	setup_policy();
	for (int i = 0; i < 3; i++) /* the burst, from the remembered prefix */
		assert_int_equal(take(b, v4(192, 0, 2, 1), t0), DP_BUDGET_OK);
	assert_int_equal(take(b, v4(192, 0, 2, 77), t0), DP_BUDGET_PREFIX); /* same /24, same bucket */
	assert_int_equal(dp_budget_count(b), 1);
	assert_int_equal(dp_budget_sweep(b, &pol, t0 + 4 * hz, 1024), 1);
	assert_int_equal(dp_budget_count(b), 0);
	/* another prefix takes the freed slot; the first one comes back as new, in its own slot, with a full bucket */
	assert_int_equal(take(b, v4(198, 51, 100, 1), t0 + 4 * hz), DP_BUDGET_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(b, v4(192, 0, 2, 1), t0 + 4 * hz), DP_BUDGET_OK);
	assert_int_equal(take(b, v4(192, 0, 2, 1), t0 + 4 * hz), DP_BUDGET_PREFIX);
	assert_int_equal(dp_budget_count(b), 2);
	assert_int_equal(take(b, v4(198, 51, 100, 1), t0 + 4 * hz), DP_BUDGET_OK); /* its bucket untouched by them */
	dp_budget_free(b);
}

/* addr with bit i (0: the most significant of addr[0]) flipped */
static struct sw_peer flip_bit(struct sw_peer p, unsigned i)
{
	p.addr[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
	return p;
}

/*
 * Every prefix length, IPv4 and IPv6: a source whose bits past the prefix all differ shares the bucket (as
 * remembered and as looked up in the table again), one that differs in the prefix's last bit does not. The key is
 * built as words (budget.c make_key()): a mask off by a byte or a bit, or a word in the wrong place, fails this.
 */
static void test_every_prefix_len(void **state)
{
	uint64_t t0 = rte_rdtsc(), x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (unsigned fam = 4; fam <= 6; fam += 2) {
		unsigned bits = fam == 4 ? 32 : 128;

		for (unsigned plen = 0; plen <= bits; plen++) {
			char name[32];
			struct dp_budget *b;
			struct sw_peer a = { .family = (uint8_t)fam, .port = 5060 }, far, near;

			snprintf(name, sizeof(name), "t_plen%u_%u", fam, plen);
			b = dp_budget_create(name, 64, 1, SOCKET_ID_ANY);
			assert_non_null(b);
			setup_policy();
			pol.budget_prefix_burst = 1;
			pol.budget_v4_prefix = fam == 4 ? plen : 24;
			pol.budget_v6_prefix = fam == 6 ? plen : 64;
			for (unsigned i = 0; i < bits / 8; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				a.addr[i] = (uint8_t)x;
			}
			far = a;
			for (unsigned i = plen; i < bits; i++)
				far = flip_bit(far, i);
			assert_int_equal(take(b, a, t0), DP_BUDGET_OK);
			assert_int_equal(take(b, far, t0), DP_BUDGET_PREFIX); /* the remembered prefix */
			if (plen > 0) {
				near = flip_bit(a, plen - 1);
				assert_int_equal(take(b, near, t0), DP_BUDGET_OK);
				assert_int_equal(take(b, far, t0), DP_BUDGET_PREFIX); /* found in the table */
				/* the last bit: past the prefix (near's bucket) or, at full length, a's again */
				assert_int_equal(take(b, flip_bit(near, bits - 1), t0), DP_BUDGET_PREFIX);
			}
			dp_budget_free(b);
		}
	}
}

/* The sweep's work is bounded: max slots per call, never more than one prefix removed per slot looked at. */
static void test_sweep_bounded(void **state)
{
	struct dp_budget *b = dp_budget_create("t_sweep", 64, 1, SOCKET_ID_ANY);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	unsigned removed = 0;

	(void)state;
	setup_policy();
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(b, v4(10, 1, (uint8_t)i, 1), t0), DP_BUDGET_OK);
	for (int i = 0; i < 64; i++) {
		unsigned r = dp_budget_sweep(b, &pol, t0 + 4 * hz, 1);

		assert_true(r <= 1);
		removed += r;
	}
	assert_int_equal(removed, 3);
	assert_int_equal(dp_budget_count(b), 0);
	dp_budget_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_bucket),
		cmocka_unit_test(test_v6_prefix),
		cmocka_unit_test(test_every_prefix_len),
		cmocka_unit_test(test_global_share),
		cmocka_unit_test(test_full_and_sweep),
		cmocka_unit_test(test_last_prefix_swept),
		cmocka_unit_test(test_sweep_bounded),
	};

	if (!test_eal_init("test_budget"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

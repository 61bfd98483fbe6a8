// SPDX-License-Identifier: BSD-3-Clause
/*
 * Policy replacement under load (core/policy_store.c): one thread judges continuously while another prepares and
 * commits a new policy 1,000 times; every verdict must come from the policy the reader held, whose version lies
 * between the store's versions before and after the call. Run under ASan (build with -Db_sanitize=address) this
 * also shows that reclaim never frees a policy a reader still holds, and that nothing leaks.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "policy_store.h"
#include "rules.h"
#include "sw_verdict.h"

#define SWAPS 1000

/* Policy A drops User-Agent "alpha", policy B drops "beta"; the rule id names the User-Agent it drops. */
static const char policy_a[] = "rules:\n"
			       "  - id: alpha\n"
			       "    where: header User-Agent\n"
			       "    literal: [alpha]\n"
			       "    action: drop\n";
static const char policy_b[] = "rules:\n"
			       "  - id: beta\n"
			       "    where: header User-Agent\n"
			       "    literal: [beta]\n"
			       "    action: drop\n"
			       "  - id: beta-count\n"
			       "    where: any-header\n"
			       "    regex: ['^g[a-z]+a$']\n"
			       "    action: count\n";

/* The RFC 3261 section 4 INVITE (no body) with a User-Agent, CRLF line ends, in an exact-size buffer. */
struct dgram {
	char *p;
	uint32_t len;
	const char *ua;
};

static struct dgram invite(const char *ua)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
			 "Max-Forwards: 70\r\n"
			 "To: Bob <sip:bob@biloxi.example.com>\r\n"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
			 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
			 "CSeq: 314159 INVITE\r\n"
			 "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
			 "User-Agent: %s\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n",
			 ua);
	struct dgram d = { malloc((size_t)n), (uint32_t)n, ua };

	memcpy(d.p, text, (size_t)n);
	return d;
}

static struct sw_worker *worker(unsigned id)
{
	static const uint8_t secret[16] = "swap-test-secret";
	struct sw_worker *w = malloc(sizeof(*w));

	sw_worker_init(w, id, secret);
	return w;
}

static struct sw_policy *prepare(struct policy_store *s, bool b)
{
	char err[1024] = "";
	const char *text = b ? policy_b : policy_a;
	struct sw_policy *p = policy_store_prepare_buffer(s, text, strlen(text), b ? "b.yaml" : "a.yaml", err,
							  sizeof(err));

	if (!p)
		fail_msg("prepare: %s", err);
	return p;
}

/* ---- one reader judging while one writer swaps ---- */

struct swap_run {
	struct policy_store *s;
	struct sw_qsbr *q;
	atomic_bool stop;
	uint64_t judged;
	uint64_t under[2];   /* verdicts under A, under B */
	uint64_t versions;   /* distinct versions seen */
	atomic_bool failed;
	char failure[512];   /* the first inconsistency (written by the reader before it sets failed) */
};

/* Does v belong to p? p drops exactly the User-Agent its first rule is named after; everything else is valid. */
static bool consistent(const struct sw_policy *p, const struct dgram *d, const struct sw_verdict *v)
{
	if (!strcmp(p->rules[0].id, d->ua))
		return v->action == SW_ACT_DROP && v->why == SW_WHY_RULE_DROP && v->rule == 0;
	return v->action == SW_ACT_PASS && v->why == SW_WHY_VALID && v->rule == -1;
}

static void *reader(void *arg)
{
	struct swap_run *r = arg;
	struct sw_worker *w = worker(0);
	struct dgram msgs[3] = { invite("alpha"), invite("beta"), invite("gamma") };
	uint64_t last = 0;

	sw_qsbr_online(r->q, 0);
	while (!atomic_load(&r->stop) && !atomic_load(&r->failed)) {
		for (int i = 0; i < 3; i++) {
			uint64_t before = policy_store_version(r->s);
			const struct sw_policy *p = policy_store_current(r->s);
			struct sw_verdict v;

			sw_judge(p, w, msgs[i].p, msgs[i].len, &v);
			uint64_t after = policy_store_version(r->s);
			if (p->version < before || p->version > after || !consistent(p, &msgs[i], &v)) {
				snprintf(r->failure, sizeof(r->failure),
					 "UA %s under version %llu (%s), store %llu..%llu: %s/%s rule %d", msgs[i].ua,
					 (unsigned long long)p->version, p->rules[0].id, (unsigned long long)before,
					 (unsigned long long)after, sw_action_name(v.action), sw_why_name(v.why),
					 v.rule);
				atomic_store(&r->failed, true);
				break;
			}
			r->under[strcmp(p->rules[0].id, "alpha") != 0]++;
			r->versions += p->version != last;
			last = p->version;
			r->judged++;
		}
		/* Between messages this reader holds nothing from the store. */
		sw_qsbr_quiescent(r->q, 0);
	}
	sw_qsbr_offline(r->q, 0);
	for (int i = 0; i < 3; i++)
		free(msgs[i].p);
	free(w);
	return NULL;
}

static void test_swap_under_load(void **state)
{
	struct swap_run r = { 0 };
	pthread_t t;

	(void)state;
	r.q = sw_qsbr_create(1);
	r.s = policy_store_create(1, sw_qsbr_synchronize, r.q);
	assert_int_equal(policy_store_swap(r.s, prepare(r.s, false)), 1);
	assert_int_equal(pthread_create(&t, NULL, reader, &r), 0);
	for (uint64_t i = 1; i <= SWAPS && !atomic_load(&r.failed); i++) {
		/* prepare (parse, validate, compile), commit (one pointer), reclaim (after the grace period) */
		struct sw_policy *p = prepare(r.s, i % 2), *old;
		assert_int_equal(policy_store_commit(r.s, p, &old), i + 1);
		assert_non_null(old);
		assert_int_equal(old->version, i);
		assert_int_equal(policy_store_reclaim(r.s, old), 0);
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	if (atomic_load(&r.failed))
		fail_msg("%s", r.failure);
	print_message("%llu verdicts, %llu under A, %llu under B, %llu versions seen of %d\n",
		      (unsigned long long)r.judged, (unsigned long long)r.under[0], (unsigned long long)r.under[1],
		      (unsigned long long)r.versions, SWAPS + 1);
	assert_true(r.under[0] > 0 && r.under[1] > 0);
	assert_int_equal(policy_store_version(r.s), SWAPS + 1);
	policy_store_destroy(r.s);
	sw_qsbr_free(r.q);
}

/* ---- reclaim waits for a reader that holds the old policy ---- */

struct hold {
	struct policy_store *s;
	struct sw_qsbr *q;
	const struct sw_policy *held;
	atomic_int step;     /* 1: reader holds a policy; 2: reader may report quiescent */
	atomic_bool reclaimed;
	atomic_bool held_ok;
	struct sw_policy *old;
};

static void *holding_reader(void *arg)
{
	struct hold *h = arg;

	sw_qsbr_online(h->q, 0);
	h->held = policy_store_current(h->s);
	atomic_store(&h->step, 1);
	while (atomic_load(&h->step) != 2)
		usleep(1000);
	/* Still readable (ASan would see a free): the writer committed a new version but cannot have freed this one. */
	atomic_store(&h->held_ok, strcmp(h->held->rules[0].id, "alpha") == 0);
	sw_qsbr_quiescent(h->q, 0);
	sw_qsbr_offline(h->q, 0);
	return NULL;
}

static void *reclaimer(void *arg)
{
	struct hold *h = arg;

	policy_store_reclaim(h->s, h->old);
	atomic_store(&h->reclaimed, true);
	return NULL;
}

static void test_reclaim_waits_for_readers(void **state)
{
	struct hold h = { 0 };
	pthread_t rt, ct;

	(void)state;
	h.q = sw_qsbr_create(1);
	h.s = policy_store_create(1, sw_qsbr_synchronize, h.q);
	policy_store_swap(h.s, prepare(h.s, false));
	pthread_create(&rt, NULL, holding_reader, &h);
	while (atomic_load(&h.step) != 1)
		usleep(1000);
	assert_int_equal(policy_store_commit(h.s, prepare(h.s, true), &h.old), 2);
	assert_ptr_equal(h.old, h.held);
	pthread_create(&ct, NULL, reclaimer, &h);
	usleep(50000);
	assert_false(atomic_load(&h.reclaimed)); /* the reader has not passed a quiescent point yet */
	atomic_store(&h.step, 2);
	pthread_join(rt, NULL);
	pthread_join(ct, NULL);
	assert_true(atomic_load(&h.reclaimed));
	assert_true(atomic_load(&h.held_ok));
	policy_store_destroy(h.s);
	sw_qsbr_free(h.q);
}

/* An offline reader (blocked, stopped, or not started) does not hold up a grace period. */
static void test_offline_readers_do_not_block(void **state)
{
	struct sw_qsbr *q = sw_qsbr_create(4);

	(void)state;
	sw_qsbr_online(q, 2);
	sw_qsbr_offline(q, 2);
	assert_int_equal(sw_qsbr_synchronize(q), 0);
	sw_qsbr_online(q, 3);
	sw_qsbr_quiescent(q, 3); /* quiescent before the call does not count... */
	sw_qsbr_offline(q, 3);   /* ...but going offline does */
	assert_int_equal(sw_qsbr_synchronize(q), 0);
	sw_qsbr_free(q);
	sw_qsbr_free(NULL);
}

/* ---- the grace period is pluggable (the dataplane passes rte_rcu_qsbr) ---- */

struct fake_grace {
	int calls;
	int rc;
};

static int fake_synchronize(void *arg)
{
	struct fake_grace *g = arg;

	g->calls++;
	return g->rc;
}

static void test_pluggable_grace_and_checks(void **state)
{
	struct fake_grace g = { 0, -EBUSY };
	struct policy_store *s = policy_store_create(4, fake_synchronize, &g);
	struct sw_policy *old, *p;
	char err[256];

	(void)state;
	assert_null(policy_store_current(s));
	assert_int_equal(policy_store_version(s), 0);
	assert_int_equal(policy_store_nworkers(s), 4);

	/* A policy compiled for fewer workers than the store serves is refused, and nothing changes. */
	p = prepare(s, false);
	rules_db_free(p->db);
	p->db = NULL;
	assert_int_equal(rules_compile(p, 2, err, sizeof(err)), 0);
	assert_int_equal(policy_store_commit(s, p, &old), 0);
	assert_null(old);
	assert_null(policy_store_current(s));
	rules_db_free(p->db);
	p->db = NULL;
	assert_int_equal(policy_store_prepare(s, p, err, sizeof(err)), 0);
	assert_int_equal(policy_store_commit(s, p, &old), 1);
	assert_null(old);
	assert_int_equal(policy_store_reclaim(s, old), 0);
	assert_int_equal(g.calls, 0); /* nothing to reclaim, no grace period */

	/* A failing grace period leaves the old version alive for a retry. */
	assert_int_equal(policy_store_commit(s, prepare(s, true), &old), 2);
	assert_int_equal(policy_store_reclaim(s, old), -EBUSY);
	g.rc = 0;
	assert_int_equal(policy_store_reclaim(s, old), 0);
	assert_int_equal(g.calls, 2);

	/* A policy without rules needs no database. */
	p = calloc(1, sizeof(*p));
	policy_defaults(p);
	assert_int_equal(policy_store_prepare(s, p, err, sizeof(err)), 0);
	assert_int_equal(policy_store_swap(s, p), 3);
	assert_null(policy_store_current(s)->db);
	policy_store_destroy(s);
	policy_store_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap_under_load),
		cmocka_unit_test(test_reclaim_waits_for_readers),
		cmocka_unit_test(test_offline_readers_do_not_block),
		cmocka_unit_test(test_pluggable_grace_and_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

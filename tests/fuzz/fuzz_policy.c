// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the policy loader: the input is a policy file. When policy_load_buffer() accepts it, its
 * rules are compiled within a small budget, the policy is written back with policy_write() and loaded again, and
 * the copy must be equal in everything the verdict and the dataplane read, compile the same way, and judge a few
 * fixed datagrams the same way, with and without the rules' prefilter. Every policy is freed, so LeakSanitizer sees
 * any leak on either path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "policy.h"
#include "policy_keys.h"
#include "rules.h"
#include "sw_verdict.h"

#define HARNESS "fuzz_policy"

/* Datagrams judged under both copies of a policy whose rules compiled. */
static const char *const probes[] = {
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"User-Agent: friendly-scanner\r\n"
	"Require: 100rel, foo\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 12\r\n"
	"\r\n"
	"v=0\r\nevil=1\r\n",
	"MESSAGE sip:test@example.com SIP/2.0\r\n"
	"v: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKm1\r\n"
	"t: <sip:test@example.com>\r\n"
	"f: \"x' or 1=1\" <sip:a@example.com>;tag=9\r\n"
	"i: m1@192.0.2.20\r\n"
	"CSeq: 2 MESSAGE\r\n"
	"X-Custom: probe-1\r\n"
	"Subject: folded\r\n  value\r\n"
	"l: 5\r\n"
	"\r\n"
	"hello",
	"OPTIONS sips:100@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::20]:5062;branch=z9hG4bKo1\r\n"
	"To: <sips:100@example.com>\r\n"
	"From: <sip:mon@example.com>;tag=m\r\n"
	"Call-ID: o1\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Proxy-Require: sec-agree\r\n"
	"\r\n",
};

static struct sw_worker worker;
static const uint8_t secret[16] = "sipwall-fuzz-key";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sw_worker_init(&worker, 0, secret);
	return 0;
}

static void fail_with(const char *name, const char *in, size_t len, const char *written, size_t wlen,
		      const char *fmt, const char *detail)
{
	if (fuzz_ignored(name))
		return;
	fuzz_show("policy", in, len);
	if (written)
		fuzz_show("written back", written, wlen);
	fuzz_fail(HARNESS, name, fmt, detail);
}

/* Every row of the key table: the value as the loader stored it. Returns the first key that differs, or NULL. */
static const char *keys_differ(const struct sw_policy *a, const struct sw_policy *b)
{
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		const char *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;
		uint32_t na = 0, nb = 0;
		bool same = true;

		switch (k->type) {
		case PK_UINT:
		case PK_ENUM:
			same = !memcmp(fa, fb, 4);
			break;
		case PK_BOOL:
			same = *(const bool *)(const void *)fa == *(const bool *)(const void *)fb;
			break;
		case PK_STRING:
			same = !strcmp(fa, fb);
			break;
		case PK_TOKEN_LIST:
		case PK_PORT_LIST:
			memcpy(&na, (const char *)a + k->count_off, 4);
			memcpy(&nb, (const char *)b + k->count_off, 4);
			same = na == nb;
			for (uint32_t j = 0; same && j < na; j++)
				same = k->type == PK_TOKEN_LIST ? !strcmp(fa + j * k->size, fb + j * k->size)
								: ((const uint16_t *)(const void *)fa)[j] ==
									  ((const uint16_t *)(const void *)fb)[j];
			break;
		}
		if (!same)
			return k->key;
	}
	return NULL;
}

static bool strings_eq(char *const *a, uint32_t na, char *const *b, uint32_t nb)
{
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* The id of the first rule that differs in anything rules_compile or the verdict reads, or NULL. */
static const char *rules_differ(const struct sw_policy *a, const struct sw_policy *b)
{
	if (a->nrules != b->nrules)
		return "(number of rules)";
	for (uint32_t i = 0; i < a->nrules; i++) {
		const struct sw_rule_spec *x = &a->rules[i], *y = &b->rules[i];

		if (strcmp(x->id, y->id) || x->where != y->where || x->caseless != y->caseless ||
		    x->action != y->action || !strings_eq(x->literals, x->nliterals, y->literals, y->nliterals) ||
		    !strings_eq(x->regexes, x->nregexes, y->regexes, y->nregexes))
			return x->id;
		if (x->where == SW_WHERE_HEADER && (x->hdr_id != y->hdr_id || strcmp(x->header, y->header)))
			return x->id;
		if (x->action == SW_RULE_REPLY && (x->status != y->status || strcmp(x->reason, y->reason)))
			return x->id;
	}
	return NULL;
}

/* Compile within a small budget; wait (bounded) for an abandoned compile so the next input starts clean. */
static int compile(struct sw_policy *p, char *err, size_t errlen)
{
	struct rules_budget b;
	int rc;

	rules_budget_defaults(&b);
	b.time_ms = 2000;
	b.max_patterns = 2000;
	b.max_bytes = 64ull << 20;
	rc = rules_compile_ex(p, 1, &b, err, errlen);
	for (int i = 0; i < 500 && rules_compiles_running(); i++)
		usleep(10000);
	return rc;
}

static void judge_probes(const struct sw_policy *a, const struct sw_policy *b, const char *in, size_t len,
			 const char *w, size_t wlen)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint32_t n = (uint32_t)strlen(probes[i]);
		struct sw_verdict va, vb;

		sw_judge(a, &worker, probes[i], n, &va);
		sw_judge(b, &worker, probes[i], n, &vb);
		if (va.action != vb.action || va.why != vb.why || va.status != vb.status || va.rule != vb.rule)
			fail_with("roundtrip-verdict", in, len, w, wlen,
				  "probe %s: the written policy judges it differently",
				  i == 0 ? "INVITE" : i == 1 ? "MESSAGE" : "OPTIONS");
		/* the prefilter in front of Hyperscan only ever skips scans that cannot match: the same verdict without */
		rules_prefilter_set(a->db, false);
		sw_judge(a, &worker, probes[i], n, &vb);
		rules_prefilter_set(a->db, true);
		if (va.action != vb.action || va.why != vb.why || va.status != vb.status || va.rule != vb.rule)
			fail_with("prefilter-verdict", in, len, w, wlen,
				  "probe %s: judged differently without the prefilter",
				  i == 0 ? "INVITE" : i == 1 ? "MESSAGE" : "OPTIONS");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_error perr;
	struct sw_policy *p, *q = NULL;
	char err[1024], err2[1024], *w = NULL;
	size_t wlen = 0;
	const char *what;
	FILE *f;
	int rc, rc2, wrc;

	p = policy_load_buffer((const char *)data, size, "fuzz", &perr);
	if (!p)
		return 0;
	rc = compile(p, err, sizeof(err));
	if (rc < 0 && rc != -EINVAL && rc != -E2BIG && rc != -ETIMEDOUT)
		fail_with("compile-errno", (const char *)data, size, NULL, 0, "rules_compile_ex: unexpected %s", err);

	f = open_memstream(&w, &wlen);
	if (!f)
		abort();
	wrc = policy_write(p, f);
	fclose(f);
	if (wrc < 0) {
		snprintf(err2, sizeof(err2), "policy_write returned %d", wrc);
		fail_with("roundtrip-write", (const char *)data, size, w, wlen, "%s", err2);
		goto out;
	}
	q = policy_load_buffer(w, wlen, "written", &perr);
	if (!q) {
		policy_error_format(&perr, err2, sizeof(err2));
		fail_with("roundtrip-load", (const char *)data, size, w, wlen, "the written policy does not load: %s",
			  err2);
		goto out;
	}
	if ((what = keys_differ(p, q)))
		fail_with("roundtrip-equal", (const char *)data, size, w, wlen, "key %s differs after a round trip",
			  what);
	if ((what = rules_differ(p, q)))
		fail_with("roundtrip-equal", (const char *)data, size, w, wlen, "rule %s differs after a round trip",
			  what);
	/* the same rules compile the same way (a timeout is the budget's call, not the policy's) */
	rc2 = compile(q, err2, sizeof(err2));
	if (rc != -ETIMEDOUT && rc2 != -ETIMEDOUT && (rc == 0) != (rc2 == 0))
		fail_with("roundtrip-compile", (const char *)data, size, w, wlen,
			  "only one of the two copies compiled: %s", rc ? err : err2);
	if (rc == 0 && rc2 == 0)
		judge_probes(p, q, (const char *)data, size, w, wlen);
out:
	policy_free(q);
	policy_free(p);
	free(w);
	return 0;
}

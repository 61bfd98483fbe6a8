// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_rules: ns per message against rule count. sw_judge (parse + rules + verdict) of the 600-byte INVITE with SDP
 * and the REGISTER of messages.h under 10, 100, 1,000 and 10,000 literal rules, 50 regex rules, and 10,000 literals
 * + 50 regexes, with each set's compile time; parse + verdict without rules (the baseline) and rules_eval alone in
 * the same rounds. No rule matches any message (checked first), so every row times the full evaluation. Sets of
 * at most 2,048 literals have the prefilter (api "lit+pf", docs/rules.md): the INVITE's and the REGISTER's
 * User-Agent are ruled out by it, the third message's ("near miss") is not and goes to Hyperscan.
 * Floors from the issue: parse + rules + verdict of the INVITE with 1,000 literal rules <= 250 ns; 10,000 literal
 * rules compiled in under 2 s.
 * Usage: bench_rules [--cpu N] [--json FILE] [--rounds N] [--round-ms MS] [--quiet]. Exit 0 when it measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "messages.h"
#include "policy.h"
#include "rules.h"
#include "sw_verdict.h"

#define FLOOR_INVITE_1000_NS 250.0 /* parse + rules + verdict, INVITE, 1,000 literal rules, median */
#define FLOOR_COMPILE_10000_S 2.0  /* rules_compile of 10,000 literal rules, median of COMPILES */
#define COMPILES 3
#define MAX_ROUNDS 101 /* as bench_opts_parse allows */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- rule sets, generated deterministically ---- */

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random-looking User-Agent product token, "Vendor-Model/1.2.3" style, 12..24 bytes. */
static void random_ua(char *out, size_t cap)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char word[16];
	unsigned n = 5 + (unsigned)(next_rand() % 8);

	for (unsigned i = 0; i < n; i++)
		word[i] = al[next_rand() % (sizeof(al) - 1)];
	word[n] = '\0';
	snprintf(out, cap, "%s-%c%u/%u.%u", word, al[next_rand() % 26], (unsigned)(next_rand() % 1000),
		 (unsigned)(next_rand() % 10), (unsigned)(next_rand() % 100));
}

static const char *const scanners[] = { "friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent", "pplsip" };

static struct sw_rule_spec *add(struct sw_policy *p, enum sw_rule_where where, const char *header)
{
	struct sw_rule_spec *r;

	p->rules = realloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "r%u", p->nrules);
	r->where = where;
	if (header) {
		snprintf(r->header, sizeof(r->header), "%s", header);
		r->hdr_id = sip_hdr_lookup(header, (uint32_t)strlen(header));
	}
	r->action = SW_RULE_DROP;
	p->nrules++;
	return r;
}

static void add_pattern(char ***v, uint32_t *n, const char *s)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = strdup(s);
}

/* n literal rules on User-Agent, caseless: the five real scanner names, then random-looking products. */
static void literal_rules(struct sw_policy *p, unsigned n)
{
	char ua[64];

	for (unsigned i = 0; i < n; i++) {
		struct sw_rule_spec *r = add(p, SW_WHERE_HEADER, "User-Agent");
		if (i < 5) {
			add_pattern(&r->literals, &r->nliterals, scanners[i]);
		} else {
			random_ua(ua, sizeof(ua));
			add_pattern(&r->literals, &r->nliterals, ua);
		}
		r->caseless = true;
	}
}

/*
 * 50 regex rules where carriers put them: 20 on User-Agent (scanner families with versions), 10 on the
 * Request-URI (fraud prefixes and domains, SQL-injection characters in the user part), 10 on From (display names),
 * 5 on To, 5 on the body (SDP session names).
 */
static void regex_rules(struct sw_policy *p)
{
	char re[160], w[64];

	for (unsigned i = 0; i < 50; i++) {
		struct sw_rule_spec *r;
		random_ua(w, sizeof(w));
		*strchr(w, '-') = '\0';
		if (i < 20) {
			r = add(p, SW_WHERE_HEADER, "User-Agent");
			snprintf(re, sizeof(re), "^%s[-_ /]?v?[0-9]+(\\.[0-9]+)*", i < 5 ? scanners[i] : w);
		} else if (i < 30) {
			r = add(p, SW_WHERE_REQUEST_URI, NULL);
			if (i == 20)
				snprintf(re, sizeof(re), "^sips?:[^@]*('|%%27|--|;\\s*drop)[^@]*@");
			else
				snprintf(re, sizeof(re), "^sips?:(00|\\+)%u[0-9]{6,}@|@%s\\.example(;|$)", 200 + i, w);
		} else if (i < 40) {
			r = add(p, SW_WHERE_HEADER, "From");
			snprintf(re, sizeof(re), "^\"?%s[0-9]*\"?\\s*<", i == 30 ? "sipvicious" : w);
		} else if (i < 45) {
			r = add(p, SW_WHERE_HEADER, "To");
			snprintf(re, sizeof(re), "<sips?:%s[0-9]{2,}@", w);
		} else {
			r = add(p, SW_WHERE_BODY, NULL);
			snprintf(re, sizeof(re), "^s=%s", w);
		}
		add_pattern(&r->regexes, &r->nregexes, re);
		r->caseless = true;
	}
}

/* ---- the sets ---- */

struct set {
	const char *name;
	unsigned literals; /* literal rules */
	bool regexes;      /* + the 50 regex rules */
	struct rules_db_info info;
	double compile_ms;  /* rules_compile wall time (layout, Hyperscan compile, scratch), median */
};

static struct set sets[] = {
	{ .name = "literal-10", .literals = 10 },
	{ .name = "literal-100", .literals = 100 },
	{ .name = "literal-1000", .literals = 1000 },
	{ .name = "literal-10000", .literals = 10000 },
	{ .name = "regex-50", .regexes = true },
	{ .name = "literal-10000+regex-50", .literals = 10000, .regexes = true },
};
#define NSETS (sizeof(sets) / sizeof(sets[0]))

static struct sw_policy *build(const struct set *s)
{
	struct sw_policy *p = calloc(1, sizeof(*p));

	policy_defaults(p);
	rng = 0x853c49e6748fea9bull; /* every set starts from the same stream: literal-100 extends literal-10 */
	literal_rules(p, s->literals);
	if (s->regexes)
		regex_rules(p);
	return p;
}

/* Compile s COMPILES times (each from scratch); keep the last database. Returns the policy, or NULL. */
static struct sw_policy *compile_set(struct set *s)
{
	double ms[COMPILES];
	struct sw_policy *p = NULL;
	char err[512];

	for (int i = 0; i < COMPILES; i++) {
		policy_free(p);
		p = build(s);
		uint64_t t0 = mono_ns();
		if (rules_compile(p, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_rules: %s: %s\n", s->name, err);
			policy_free(p);
			return NULL;
		}
		ms[i] = (double)(mono_ns() - t0) / 1e6;
	}
	s->compile_ms = bench_median(ms, COMPILES);
	rules_db_info(p->db, &s->info);
	return p;
}

/* ---- the timed operations ---- */

struct msg {
	const char *name;
	const char *buf;
	uint32_t len;
};

/*
 * The INVITE with a User-Agent that begins as a rule's literal does ("friendly-scanne": the first scanner name less
 * its last byte, a literal of every set). The prefilter in front of Hyperscan (docs/rules.md) cannot rule it out,
 * so Hyperscan scans it and finds nothing: the cost of a near miss, the prefilter's worst case.
 */
static char near_miss[sizeof(msg_invite) + 64];

static struct msg msgs[] = {
	{ "INVITE", msg_invite, sizeof(msg_invite) - 1 },
	{ "REGISTER", msg_register, sizeof(msg_register) - 1 },
	{ "near miss", near_miss, 0 },
};
#define NMSGS (sizeof(msgs) / sizeof(msgs[0]))

static void make_near_miss(void)
{
	static const char ua[] = "User-Agent: ExampleUA/4.2\r\n", nm[] = "User-Agent: friendly-scanne\r\n";
	const char *at = strstr(msg_invite, ua);
	size_t head;

	if (!at) {
		fprintf(stderr, "bench_rules: messages.h's INVITE has no \"%.24s\" line\n", ua);
		exit(1);
	}
	head = (size_t)(at - msg_invite);
	memcpy(near_miss, msg_invite, head);
	memcpy(near_miss + head, nm, sizeof(nm) - 1);
	strcpy(near_miss + head + sizeof(nm) - 1, at + sizeof(ua) - 1);
	msgs[2].len = (uint32_t)strlen(near_miss);
}

struct ctx {
	const struct sw_policy *pol;
	struct sw_worker *w;
	const struct msg *m;
	struct sw_verdict v;
	uint64_t sink;
};

static struct sw_worker worker; /* > 64 KiB, so not on the stack */

static __attribute__((noinline)) void op_judge(void *arg)
{
	struct ctx *c = arg;

	sw_judge(c->pol, c->w, c->m->buf, c->m->len, &c->v);
	c->sink += c->v.action;
}

/* rules_eval alone, on the message sw_judge parsed last (as it runs inside sw_judge: before Content-Length framing) */
static __attribute__((noinline)) void op_eval(void *arg)
{
	struct ctx *c = arg;

	c->sink += (uint64_t)rules_eval(c->pol->db, c->w);
}

/* The benchmark is only meaningful if no rule matches: each message must still be judged pass/valid. */
static bool check_valid(struct ctx *c, const char *set)
{
	op_judge(c);
	if (c->v.action == SW_ACT_PASS && c->v.why == SW_WHY_VALID)
		return true;
	fprintf(stderr, "bench_rules: %s under %s: %s/%s (rule %d), expected pass/valid\n", c->m->name, set,
		sw_action_name(c->v.action), sw_why_name(c->v.why), c->v.rule);
	return false;
}

enum { T_BASE, T_JUDGE, T_EVAL, T__COUNT };

struct row {
	const struct set *set;
	const struct msg *m;
	double med[T__COUNT];
	double min[T__COUNT];
};

static uint64_t time_loop(bench_fn fn, void *arg, uint64_t iters)
{
	uint64_t t0 = bench_tsc();

	for (uint64_t i = 0; i < iters; i++)
		fn(arg);
	return bench_tsc() - t0;
}

/* Iterations of fn that take about ms milliseconds. */
static uint64_t iters_for(const struct bench_env *env, bench_fn fn, void *arg, double ms)
{
	uint64_t n = 64, t;

	while ((t = time_loop(fn, arg, n)) < env->tsc_hz / 1e4 && n < (1ull << 32)) /* grow to >= 0.1 ms */
		n *= 2;
	double per = (double)t / (double)n;
	n = (uint64_t)(ms * 1e-3 * env->tsc_hz / per);
	return n ? n : 1;
}

/*
 * Baseline (sw_judge without rules), sw_judge with the set, and rules_eval alone, interleaved round by round so
 * that a neighbour's compile or a frequency change hits the three alike; a third of o->round_ms each per round,
 * o->rounds rounds after a warm-up round; median and fastest round of each. Includes env->call_ns per operation.
 */
static void measure(const struct bench_env *env, const struct bench_opts *o, struct ctx c[T__COUNT], struct row *r)
{
	static const bench_fn fns[T__COUNT] = { op_judge, op_judge, op_eval };
	static double ns[T__COUNT][MAX_ROUNDS];
	uint64_t iters[T__COUNT];
	unsigned rounds = o->rounds < MAX_ROUNDS ? o->rounds : MAX_ROUNDS;

	for (int k = 0; k < T__COUNT; k++) {
		if (k == T_EVAL)
			op_judge(&c[k]); /* w->msg holds this message */
		iters[k] = iters_for(env, fns[k], &c[k], o->round_ms / 3.0);
		time_loop(fns[k], &c[k], iters[k]); /* warm-up */
	}
	for (unsigned i = 0; i < rounds; i++) {
		for (int k = 0; k < T__COUNT; k++) {
			if (k == T_EVAL)
				op_judge(&c[k]);
			double t = (double)time_loop(fns[k], &c[k], iters[k]);
			ns[k][i] = bench_ticks_to_ns(env, t) / (double)iters[k];
		}
	}
	for (int k = 0; k < T__COUNT; k++) {
		double lo = ns[k][0];
		for (unsigned i = 1; i < rounds; i++)
			lo = ns[k][i] < lo ? ns[k][i] : lo;
		r->min[k] = lo;
		r->med[k] = bench_median(ns[k], rounds);
	}
}

static size_t measure_all(const struct bench_env *env, const struct bench_opts *o, const struct sw_policy *none,
			  struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < NSETS; i++) {
		if (!o->quiet)
			fprintf(stderr, "compiling %s\n", sets[i].name);
		struct sw_policy *p = compile_set(&sets[i]);
		if (!p)
			exit(1);
		for (size_t m = 0; m < NMSGS; m++) {
			struct ctx c[T__COUNT] = {
				{ .pol = none, .w = &worker, .m = &msgs[m] },
				{ .pol = p, .w = &worker, .m = &msgs[m] },
				{ .pol = p, .w = &worker, .m = &msgs[m] },
			};
			if (!check_valid(&c[T_BASE], "no rules") || !check_valid(&c[T_JUDGE], sets[i].name))
				exit(1);
			if (!o->quiet)
				fprintf(stderr, "measuring %-24s %s\n", sets[i].name, msgs[m].name);
			rows[n] = (struct row){ .set = &sets[i], .m = &msgs[m] };
			measure(env, o, c, &rows[n++]);
		}
		policy_free(p);
	}
	return n;
}

/* ---- report ---- */

static const struct bench_col cols[] = {
	{ "rule set", 22, true }, { "rules", 5, false },     { "api", 6, true },      { "compile ms", 10, false },
	{ "db KiB", 7, false },    { "message", 9, true },    { "baseline", 8, false }, { "judge", 7, false },
	{ "+rules", 6, false },    { "eval", 6, false },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static void print_table(const struct bench_env *env, const struct bench_opts *o, const struct row *rows, size_t n)
{
	char c[NCOLS][32];
	const char *cells[NCOLS];

	printf("bench_rules: ns per message against rule count, one core\n");
	printf("CPU %d (%s), TSC %.3f GHz%s, %u rounds x %u ms per row (a third each for baseline, judge, eval),\n"
	       "medians; each figure includes %.1f ns of loop and call overhead.\n"
	       "baseline = parse + verdict without rules; judge = parse + rules + verdict; +rules = judge - baseline;\n"
	       "eval = rules_eval alone on the parsed message. No rule matches: every place a rule looks at is\n"
	       "looked at. api lit+pf: literals with the prefilter, which rules out the INVITE's and the REGISTER's\n"
	       "User-Agent; the near miss's begins like a literal and goes to Hyperscan (docs/rules.md).\n\n",
	       env->cpu, env->cpu_model, env->tsc_hz / 1e9, env->tsc_invariant ? "" : " (NOT invariant)", o->rounds,
	       o->round_ms, env->call_ns);
	bench_table_head(stdout, cols, NCOLS);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		bool first = !i || rows[i - 1].set != r->set;

		snprintf(c[0], sizeof(c[0]), "%s", first ? r->set->name : "");
		snprintf(c[1], sizeof(c[1]), first ? "%u" : "", r->set->info.nrules);
		snprintf(c[2], sizeof(c[2]), "%s",
			 !first ? "" : r->set->info.prefilter ? "lit+pf" : r->set->info.literal_api ? "lit" : "re");
		snprintf(c[3], sizeof(c[3]), first ? "%.1f" : "", r->set->compile_ms);
		snprintf(c[4], sizeof(c[4]), first ? "%.0f" : "", (double)r->set->info.db_bytes / 1024.0);
		snprintf(c[5], sizeof(c[5]), "%s", r->m->name);
		snprintf(c[6], sizeof(c[6]), "%.1f", r->med[T_BASE]);
		snprintf(c[7], sizeof(c[7]), "%.1f", r->med[T_JUDGE]);
		snprintf(c[8], sizeof(c[8]), "%.1f", r->med[T_JUDGE] - r->med[T_BASE]);
		snprintf(c[9], sizeof(c[9]), "%.1f", r->med[T_EVAL]);
		for (size_t k = 0; k < NCOLS; k++)
			cells[k] = c[k];
		bench_table_row(stdout, cols, NCOLS, cells);
	}
}

struct floor {
	const char *name;
	double limit;
	double value;
	const char *unit;
};

static const struct row *find_row(const struct row *rows, size_t n, const char *set, const char *msg)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].set->name, set) && !strcmp(rows[i].m->name, msg))
			return &rows[i];
	return NULL;
}

static bool eval_floors(const struct row *rows, size_t n, struct floor fl[2])
{
	const struct row *inv = find_row(rows, n, "literal-1000", "INVITE");
	bool ok = true;

	fl[0] = (struct floor){ "INVITE parse+rules+verdict ns, 1,000 literal rules (median)", FLOOR_INVITE_1000_NS,
				inv->med[T_JUDGE], " ns" };
	fl[1] = (struct floor){ "10,000 literal rules compile s (median)", FLOOR_COMPILE_10000_S,
				sets[3].compile_ms / 1e3, " s" };
	printf("\nfloors:\n");
	for (int i = 0; i < 2; i++) {
		bool pass = fl[i].value <= fl[i].limit;
		printf("  %s: %s <= %g%s: measured %.3g%s\n", pass ? "ok" : "FLOOR MISSED", fl[i].name, fl[i].limit,
		       fl[i].unit, fl[i].value, fl[i].unit);
		ok &= pass;
	}
	return ok;
}

static void json_row(struct bench_json *j, const struct row *r)
{
	const struct set *s = r->set;

	bench_json_obj_begin(j, NULL);
	bench_json_str(j, "set", s->name);
	bench_json_u64(j, "rules", s->info.nrules);
	bench_json_u64(j, "literals", s->info.nliterals);
	bench_json_u64(j, "regexes", s->info.nregexes);
	bench_json_bool(j, "literal_api", s->info.literal_api);
	bench_json_bool(j, "prefilter", s->info.prefilter);
	bench_json_num(j, "compile_ms", s->compile_ms);
	bench_json_num(j, "hs_compile_ms", (double)s->info.compile_ns / 1e6);
	bench_json_u64(j, "db_bytes", s->info.db_bytes);
	bench_json_u64(j, "scratch_bytes", s->info.scratch_bytes);
	bench_json_str(j, "message", r->m->name);
	bench_json_u64(j, "bytes", r->m->len);
	bench_json_num(j, "baseline_ns", r->med[T_BASE]);
	bench_json_num(j, "judge_ns", r->med[T_JUDGE]);
	bench_json_num(j, "judge_ns_min", r->min[T_JUDGE]);
	bench_json_num(j, "added_ns", r->med[T_JUDGE] - r->med[T_BASE]);
	bench_json_num(j, "rules_eval_ns", r->med[T_EVAL]);
	bench_json_num(j, "rules_eval_ns_min", r->min[T_EVAL]);
	bench_json_obj_end(j);
}

static int write_json(const char *path, const struct bench_env *env, const struct bench_opts *o,
		      const struct row *rows, size_t n, const struct floor fl[2], bool floors_ok)
{
	struct bench_json j;
	int err = bench_json_open(&j, path);

	if (err)
		return err;
	bench_json_str(&j, "bench", "rules");
	bench_json_machine(&j, env);
	bench_json_obj_begin(&j, "config");
	bench_json_u64(&j, "rounds", o->rounds);
	bench_json_u64(&j, "round_ms", o->round_ms);
	bench_json_u64(&j, "compiles_per_set", COMPILES);
	bench_json_str(&j, "literal_rules", "header User-Agent, caseless, one literal each: the 5 scanner names, then "
					    "random-looking product tokens");
	bench_json_str(&j, "regex_rules", "50, caseless: 20 User-Agent, 10 request-uri, 10 From, 5 To, 5 body");
	bench_json_obj_end(&j);
	bench_json_arr_begin(&j, "rows");
	for (size_t i = 0; i < n; i++)
		json_row(&j, &rows[i]);
	bench_json_arr_end(&j);
	bench_json_arr_begin(&j, "floors");
	for (int i = 0; i < 2; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "name", fl[i].name);
		bench_json_str(&j, "cmp", "<=");
		bench_json_num(&j, "limit", fl[i].limit);
		bench_json_num(&j, "value", fl[i].value);
		bench_json_str(&j, "status", fl[i].value <= fl[i].limit ? "pass" : "missed");
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_bool(&j, "floors_pass", floors_ok);
	return bench_json_close(&j);
}

int main(int argc, char **argv)
{
	static const uint8_t key[16] = "bench-rules-key";
	static struct row rows[NSETS * NMSGS];
	struct bench_opts o;
	struct bench_env env;
	struct floor fl[2];
	struct sw_policy *none;
	size_t n;
	int err;

	err = bench_opts_parse(argc, argv, &o, "bench/results/rules.json");
	if (err)
		return err > 0 ? 0 : 2;
	bench_env_init(&env, o.cpu);
	sw_worker_init(&worker, 0, key);
	make_near_miss();
	none = calloc(1, sizeof(*none));
	if (!none)
		return 1;
	policy_defaults(none);
	n = measure_all(&env, &o, none, rows);
	print_table(&env, &o, rows, n);
	bool floors_ok = eval_floors(rows, n, fl);

	err = write_json(o.json, &env, &o, rows, n, fl, floors_ok);
	if (err)
		fprintf(stderr, "bench_rules: cannot write %s: %s\n", o.json, strerror(-err));
	else
		printf("\nJSON: %s\n", o.json);
	policy_free(none);
	return err ? 1 : 0;
}

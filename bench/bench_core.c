// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_core: nanoseconds per message on one core for parse, parse + verdict, and parse + verdict + response (reply
 * classes), over the messages of messages.h, with libosip2's parser on the same bytes in the same run. Every
 * message's verdict is checked first so that each row times the path it is named for. Floors from the issue:
 * parse + verdict of the 600-byte INVITE <= 150 ns, and >= 10x faster than libosip2 on that message.
 * Usage: bench_core [--cpu N] [--json FILE] [--rounds N] [--round-ms MS] [--quiet]. Exit 0 when it measured.
 * Instruction counts: bench_core --count N [--msg NAME] runs each row's operation N times untimed (no table, no
 * JSON), for callgrind on a build it can decode (-Dc_args=-march=x86-64-v3), e.g. instructions per parse + verdict:
 *   valgrind --tool=callgrind --toggle-collect=op_verdict bench_core --count 1000 --msg INVITE+SDP
 * ("Collected" / 1000; op_parse and op_response likewise).
 * Placement: every operation takes its message from one of BENCH_PLACEMENTS copies in turn, spread over the 4 KiB
 * page offsets (bench_copies_init()). Where the datagram lies modulo 4 KiB against the worker's index and the reply
 * buffer decides whether the loads of its bytes wait on unrelated stores ("4K aliasing"): the INVITE's parse took
 * 112 ns at most offsets and 117-143 ns with the datagram from 320 bytes below to 16 bytes above the index. One
 * fixed copy (the message's place in .rodata) gave whichever figure the link happened to produce; on the dataplane,
 * datagrams arrive at every offset. docs/bench.md has the sweep.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "messages.h"
#include "sw_verdict.h"

#ifdef HAVE_LIBOSIP2
#include <osipparser2/osip_parser.h>
#endif

#define FLOOR_INVITE_NS 150.0  /* parse + verdict of the INVITE, median */
#define FLOOR_OSIP_RATIO 10.0  /* libosip2 parse / our parse + verdict, INVITE, medians */
#define NMSGS (sizeof(bench_msgs) / sizeof(bench_msgs[0]))

/* What one timed operation works on: one per message. Results go to sink so nothing is computed for nobody. */
struct ctx {
	const struct sw_policy *pol;
	struct sw_worker *w;
	const struct sw_peer *src;
	char *out;
	const char *buf;             /* the message as messages.h has it (the checks) */
	struct bench_copies copies;  /* what the timed operations take, in turn */
	uint32_t len;
	struct sw_verdict v;
	uint64_t sink;
};

static struct sw_worker worker; /* > 64 KiB, so not on the stack; one worker, as on one dataplane core */
static char out_buf[SW_MAX_DATAGRAM];
/* a NATed phone: the source differs from the Via sent-by, so the reply carries received= and rport= */
static const struct sw_peer src_peer = { .family = 4, .addr = { 198, 51, 100, 7 }, .port = 61234 };
static struct ctx ctxs[NMSGS];

/* ---- the timed operations: one message each, noinline so each is exactly one call in the loop ---- */

static void free_copies(void)
{
	for (size_t i = 0; i < NMSGS; i++)
		bench_copies_free(&ctxs[i].copies);
}

static __attribute__((noinline)) void op_parse(void *arg)
{
	struct ctx *c = arg;

	c->sink += sip_msg_parse(&c->w->msg, bench_copies_next(&c->copies), c->len);
}

static __attribute__((noinline)) void op_verdict(void *arg)
{
	struct ctx *c = arg;

	sw_judge(c->pol, c->w, bench_copies_next(&c->copies), c->len, &c->v);
	c->sink += c->v.action;
}

/* cap = request length: the dataplane's anti-amplification rule, so this is the reply the dataplane would send */
static __attribute__((noinline)) void op_response(void *arg)
{
	struct ctx *c = arg;

	sw_judge(c->pol, c->w, bench_copies_next(&c->copies), c->len, &c->v);
	c->sink += sw_respond(c->pol, c->w, &c->v, c->src, c->out, c->len);
}

#ifdef HAVE_LIBOSIP2
/* What using libosip2's parser costs: a message object, the parse (it copies the buffer), the free. */
static __attribute__((noinline)) void op_osip(void *arg)
{
	struct ctx *c = arg;
	osip_message_t *sip;

	if (osip_message_init(&sip) != 0)
		return;
	c->sink += (uint64_t)osip_message_parse(sip, bench_copies_next(&c->copies), c->len);
	osip_message_free(sip);
}
#endif

enum op { OP_PARSE, OP_VERDICT, OP_RESPONSE, OP_OSIP, OP__COUNT };

static const char *const op_names[OP__COUNT] = {
	[OP_PARSE] = "parse",
	[OP_VERDICT] = "parse+verdict",
	[OP_RESPONSE] = "parse+verdict+response",
	[OP_OSIP] = "libosip2 parse",
};

static const bench_fn op_fns[OP__COUNT] = {
	[OP_PARSE] = op_parse,
	[OP_VERDICT] = op_verdict,
	[OP_RESPONSE] = op_response,
#ifdef HAVE_LIBOSIP2
	[OP_OSIP] = op_osip,
#endif
};

struct row {
	const struct bench_msg *msg;
	enum op op;
	struct bench_result r;
	double ratio; /* libosip2 median / this row's median; 0 when there is none */
};

/* ---- checks: the bench must measure the intended path ---- */

/* Parse must succeed, the verdict must be what messages.h says, a reply must be buildable. 0, or -1 after a message. */
static int check_message(const struct bench_msg *m, struct ctx *c)
{
	struct sw_verdict *v = &c->v;
	enum sip_parse_status st;
	uint32_t n = 0;

	st = sip_msg_parse(&worker.msg, m->buf, m->len);
	if (st != SIP_PARSE_OK) {
		fprintf(stderr, "bench_core: %s: sip_msg_parse() = %d at %u (%s)\n", m->name, (int)st,
			worker.msg.err_off, worker.msg.err_reason ? worker.msg.err_reason : "");
		return -1;
	}
	sw_judge(c->pol, &worker, m->buf, m->len, v);
	if (m->expect_status == 0 && (v->action != SW_ACT_PASS || v->why != SW_WHY_VALID))
		goto wrong;
	if (m->expect_status) {
		if (v->action != SW_ACT_REPLY || v->status != m->expect_status)
			goto wrong;
		n = sw_respond(c->pol, &worker, v, c->src, c->out, m->len);
		if (!n) {
			fprintf(stderr, "bench_core: %s: no response built (%s: %s)\n", m->name, sw_why_name(v->why),
				v->reason ? v->reason : "");
			return -1;
		}
	}
#ifdef HAVE_LIBOSIP2
	osip_message_t *sip;
	int err;

	if (osip_message_init(&sip) != 0)
		return -1;
	err = osip_message_parse(sip, m->buf, m->len);
	osip_message_free(sip);
	if (err != 0) {
		fprintf(stderr, "bench_core: %s: libosip2 rejects it (%d)\n", m->name, err);
		return -1;
	}
#endif
	fprintf(stderr, "check: %-20s %5u B  %s", m->name, m->len, sw_action_name(v->action));
	if (v->action == SW_ACT_REPLY)
		fprintf(stderr, " %u %s, response %u B", v->status, v->reason, n);
	fputc('\n', stderr);
	return 0;

wrong:
	fprintf(stderr, "bench_core: %s: expected %s%.0u, got %s %u (%s: %s)\n", m->name,
		m->expect_status ? "reply " : "pass", m->expect_status, sw_action_name(v->action), v->status,
		sw_why_name(v->why), v->reason ? v->reason : "");
	return -1;
}

/* ---- measuring ---- */

static bool op_applies(const struct bench_msg *m, enum op op)
{
	if (op == OP_RESPONSE)
		return m->expect_status != 0;
	return op_fns[op] != NULL;
}

static void progress(unsigned k, unsigned rounds)
{
	if (k == 0)
		fprintf(stderr, "warming up and sizing every row\n");
	else
		fprintf(stderr, "\rround %u/%u%s", k, rounds, k == rounds ? "\n" : "");
}

/* Every applicable (message, op) row, timed with rounds interleaved across rows. Returns the number of rows. */
static size_t measure_all(const struct bench_env *env, const struct bench_opts *o, struct row *rows)
{
	static struct bench_case cases[NMSGS * OP__COUNT];
	size_t n = 0;

	for (size_t i = 0; i < NMSGS; i++)
		for (enum op op = 0; op < OP__COUNT; op++) {
			if (!op_applies(&bench_msgs[i], op))
				continue;
			rows[n] = (struct row){ .msg = &bench_msgs[i], .op = op };
			cases[n] = (struct bench_case){ .fn = op_fns[op], .arg = &ctxs[i] };
			n++;
		}
	bench_measure_interleaved(env, o, cases, n, o->quiet ? NULL : progress);
	for (size_t k = 0; k < n; k++)
		rows[k].r = cases[k].r;
	/* the ratio column: libosip2's median over each of our rows for the same message */
	for (size_t k = 0; k < n; k++) {
		const struct row *osip = NULL;

		for (size_t j = 0; j < n; j++)
			if (rows[j].msg == rows[k].msg && rows[j].op == OP_OSIP)
				osip = &rows[j];
		if (osip && rows[k].op != OP_OSIP)
			rows[k].ratio = osip->r.ns_median / rows[k].r.ns_median;
	}
	return n;
}

/* ---- report ---- */

static const struct bench_col cols[] = {
	{ "message", 20, true },    { "bytes", 5, false },   { "operation", 22, true }, { "ns median", 9, false },
	{ "ns min", 8, false },      { "Mmsg/s", 7, false },  { "osip/ours", 9, false },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static void print_table(const struct bench_env *env, const struct bench_opts *o, const struct row *rows, size_t n)
{
	char c[NCOLS][32];
	const char *cells[NCOLS];

	printf("bench_core: sipwall parse / verdict / response vs libosip2, one core\n");
	printf("CPU %d (%s), TSC %.3f GHz%s, %u rounds x %u ms per row (interleaved), median and fastest round;\n"
	       "each figure includes %.1f ns of loop and call overhead\n\n",
	       env->cpu, env->cpu_model, env->tsc_hz / 1e9, env->tsc_invariant ? "" : " (NOT invariant)", o->rounds,
	       o->round_ms, env->call_ns);
	bench_table_head(stdout, cols, NCOLS);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		snprintf(c[0], sizeof(c[0]), "%s", i && rows[i - 1].msg == r->msg ? "" : r->msg->name);
		snprintf(c[1], sizeof(c[1]), "%u", r->msg->len);
		snprintf(c[2], sizeof(c[2]), "%s", op_names[r->op]);
		snprintf(c[3], sizeof(c[3]), "%.1f", r->r.ns_median);
		snprintf(c[4], sizeof(c[4]), "%.1f", r->r.ns_min);
		snprintf(c[5], sizeof(c[5]), "%.2f", r->r.mps / 1e6);
		if (r->ratio > 0)
			snprintf(c[6], sizeof(c[6]), "%.1fx", r->ratio);
		else
			c[6][0] = 0;
		for (size_t k = 0; k < NCOLS; k++)
			cells[k] = c[k];
		bench_table_row(stdout, cols, NCOLS, cells);
	}
}

struct floor {
	const char *name;
	const char *cmp; /* "<=" or ">=" */
	double limit;
	double value;    /* NAN: could not be evaluated */
	const char *unit;
};

static const struct row *find_row(const struct row *rows, size_t n, const char *buf, enum op op)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].msg->buf == buf && rows[i].op == op)
			return &rows[i];
	return NULL;
}

static const char *floor_status(const struct floor *f)
{
	if (isnan(f->value))
		return "skipped";
	if (f->cmp[0] == '<')
		return f->value <= f->limit ? "pass" : "missed";
	return f->value >= f->limit ? "pass" : "missed";
}

/* Fills the two floors of the issue; prints them. Returns true when none was missed. */
static bool eval_floors(const struct row *rows, size_t n, struct floor fl[2])
{
	const struct row *inv = find_row(rows, n, msg_invite, OP_VERDICT);
	bool ok = true;

	fl[0] = (struct floor){ "INVITE parse+verdict ns (median)", "<=", FLOOR_INVITE_NS, inv->r.ns_median, " ns" };
	fl[1] = (struct floor){ "INVITE libosip2 parse / our parse+verdict", ">=", FLOOR_OSIP_RATIO,
				inv->ratio > 0 ? inv->ratio : NAN, "x" };
	printf("\nfloors:\n");
	for (int i = 0; i < 2; i++) {
		const char *st = floor_status(&fl[i]);

		if (strcmp(st, "missed") == 0) {
			printf("  FLOOR MISSED: %s %s %.0f%s: measured %.1f%s\n", fl[i].name, fl[i].cmp, fl[i].limit,
			       fl[i].unit, fl[i].value, fl[i].unit);
			ok = false;
		} else if (strcmp(st, "skipped") == 0) {
			printf("  skipped: %s (built without libosip2)\n", fl[i].name);
		} else {
			printf("  ok: %s %s %.0f%s: measured %.1f%s\n", fl[i].name, fl[i].cmp, fl[i].limit, fl[i].unit,
			       fl[i].value, fl[i].unit);
		}
	}
	return ok;
}

static int write_json(const char *path, const struct bench_env *env, const struct bench_opts *o,
		      const struct row *rows, size_t n, const struct floor fl[2], bool floors_ok)
{
	struct bench_json j;
	int err = bench_json_open(&j, path);

	if (err)
		return err;
	bench_json_str(&j, "bench", "core");
	bench_json_machine(&j, env);
	bench_json_obj_begin(&j, "config");
	bench_json_u64(&j, "rounds", o->rounds);
	bench_json_u64(&j, "round_ms", o->round_ms);
	bench_json_u64(&j, "placements", BENCH_PLACEMENTS); /* copies of each message, spread over the page offsets */
	bench_json_u64(&j, "max_message_bytes", ctxs[0].pol->max_message_bytes);
	bench_json_u64(&j, "max_request_uri_bytes", ctxs[0].pol->max_request_uri_bytes);
#ifdef HAVE_LIBOSIP2
	bench_json_str(&j, "libosip2", BENCH_OSIP_VERSION);
#else
	bench_json_str(&j, "libosip2", NULL);
#endif
	bench_json_obj_end(&j);
	bench_json_arr_begin(&j, "rows");
	for (size_t i = 0; i < n; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "message", rows[i].msg->name);
		bench_json_u64(&j, "bytes", rows[i].msg->len);
		bench_json_str(&j, "op", op_names[rows[i].op]);
		bench_json_num(&j, "ns_median", rows[i].r.ns_median);
		bench_json_num(&j, "ns_min", rows[i].r.ns_min);
		bench_json_num(&j, "mps", rows[i].r.mps);
		bench_json_u64(&j, "iters_per_round", rows[i].r.iters);
		bench_json_num(&j, "osip_ratio", rows[i].ratio > 0 ? rows[i].ratio : NAN);
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_arr_begin(&j, "floors");
	for (int i = 0; i < 2; i++) {
		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "name", fl[i].name);
		bench_json_str(&j, "cmp", fl[i].cmp);
		bench_json_num(&j, "limit", fl[i].limit);
		bench_json_num(&j, "value", fl[i].value);
		bench_json_str(&j, "status", floor_status(&fl[i]));
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_bool(&j, "floors_pass", floors_ok);
	return bench_json_close(&j);
}

/* ---- untimed runs for instruction counting ---- */

/* Each applicable row of the messages named msg (all when NULL), n calls each. 0, or -1 when no message matched. */
static int count_all(const char *msg, unsigned long n)
{
	size_t matched = 0;

	for (size_t i = 0; i < NMSGS; i++) {
		if (msg && strcmp(msg, bench_msgs[i].name) != 0)
			continue;
		matched++;
		for (enum op op = 0; op < OP__COUNT; op++) {
			if (!op_applies(&bench_msgs[i], op))
				continue;
			for (unsigned long k = 0; k < n; k++)
				op_fns[op](&ctxs[i]);
			printf("counted: %s %s x %lu\n", bench_msgs[i].name, op_names[op], n);
		}
	}
	if (!matched) {
		fprintf(stderr, "bench_core: --msg %s: no such message (see messages.h)\n", msg);
		return -1;
	}
	return 0;
}

/* ---- setup ---- */

static struct sw_policy *make_policy(void)
{
	struct sw_policy *pol = calloc(1, sizeof(*pol));

	if (pol)
		policy_defaults(pol);
	return pol;
}

int main(int argc, char **argv)
{
	static const uint8_t key[16] = "bench-core-key!";
	static struct row rows[NMSGS * OP__COUNT];
	const char *count_msg = NULL;
	char *rest[32];
	unsigned long count = 0;
	int nrest = 1;
	struct bench_opts o;
	struct bench_env env;
	struct floor fl[2];
	struct sw_policy *pol;
	size_t n;
	int err;

	rest[0] = argv[0];
	for (int i = 1; i < argc; i++) { /* our own options; the common ones go to bench_opts_parse */
		char *end;

		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtoul(argv[++i], &end, 10);
			if (*end || !count) {
				fprintf(stderr, "bench_core: bad value '%s' for --count\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--msg") && i + 1 < argc) {
			count_msg = argv[++i];
		} else if (nrest < 31) {
			rest[nrest++] = argv[i];
		}
	}
	rest[nrest] = NULL;
	err = bench_opts_parse(nrest, rest, &o, "bench/results/core.json");
	if (err)
		return err > 0 ? 0 : 2;
	if (!count)
		bench_env_init(&env, o.cpu);
	pol = make_policy();
	if (!pol)
		return 1;
	sw_worker_init(&worker, 0, key);
	for (size_t i = 0; i < NMSGS; i++) {
		ctxs[i] = (struct ctx){ .pol = pol, .w = &worker, .src = &src_peer, .out = out_buf,
					.buf = bench_msgs[i].buf, .len = bench_msgs[i].len };
		if (bench_copies_init(&ctxs[i].copies, ctxs[i].buf, ctxs[i].len) != 0) {
			fprintf(stderr, "bench_core: out of memory for the message copies\n");
			free_copies();
			return 1;
		}
	}
#ifdef HAVE_LIBOSIP2
	if (parser_init() != 0) {
		fprintf(stderr, "bench_core: libosip2 parser_init() failed\n");
		free_copies();
		return 1;
	}
#else
	fprintf(stderr, "bench_core: built without libosip2: the libosip2 comparison is skipped\n");
#endif
	for (size_t i = 0; i < NMSGS; i++)
		if (check_message(&bench_msgs[i], &ctxs[i]) != 0) {
			fprintf(stderr, "bench_core: aborted: a message does not take the path its row is named for\n");
			free_copies();
			return 1;
		}
	if (count) {
		err = count_all(count_msg, count);
		free_copies();
		policy_free(pol);
		return err ? 2 : 0;
	}
	n = measure_all(&env, &o, rows);
	print_table(&env, &o, rows, n);
	bool floors_ok = eval_floors(rows, n, fl);

	err = write_json(o.json, &env, &o, rows, n, fl, floors_ok);
	if (err)
		fprintf(stderr, "bench_core: cannot write %s: %s\n", o.json, strerror(-err));
	else
		printf("\nJSON: %s\n", o.json);
	free_copies();
	policy_free(pol);
	return err ? 1 : 0;
}

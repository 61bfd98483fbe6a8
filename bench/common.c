// SPDX-License-Identifier: BSD-3-Clause
/*
 * The benchmarks' shared helpers (common.h): pinning, TSC calibration, the median-of-rounds loop, the JSON writer and
 * the table printer. Off every hot path except bench_measure()'s inner loop, which is kept to one indirect call.
 */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_ROUNDS 101
#define CAL_WINDOWS 5
#define CAL_WINDOW_NS 20000000ull

/* ---- clock ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Ticks per second over windows of busy waiting; busy, so that the CPU stays awake and at speed. */
static double calibrate_tsc(void)
{
	double hz[CAL_WINDOWS];

	for (int i = 0; i < CAL_WINDOWS; i++) {
		uint64_t n0 = mono_ns(), t0 = bench_tsc(), n1, t1;

		do
			n1 = mono_ns();
		while (n1 - n0 < CAL_WINDOW_NS);
		t1 = bench_tsc();
		hz[i] = (double)(t1 - t0) * 1e9 / (double)(n1 - n0);
	}
	return bench_median(hz, CAL_WINDOWS);
}

/* Copy the value of the first "key<ws>: value" line of /proc/cpuinfo into out (empty when absent). */
static void cpuinfo_field(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	size_t klen = strlen(key);

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, klen) != 0 || !colon || (line[klen] != ' ' && line[klen] != '\t'))
			continue;
		colon += colon[1] == ' ' ? 2 : 1;
		colon[strcspn(colon, "\n")] = 0;
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

static bool has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = strstr(flags, flag); p; p = strstr(p + 1, flag))
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

int bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

static __attribute__((noinline)) void empty_op(void *arg)
{
	__asm__ volatile("" : : "r"(arg) : "memory");
}

int bench_env_init(struct bench_env *env, int cpu)
{
	static char flags[8192];
	struct bench_opts cal = { .rounds = 5, .round_ms = 10 };
	struct bench_result r;
	int err = 0;

	memset(env, 0, sizeof(*env));
	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
	env->cpu = cpu;
	err = bench_pin_cpu(cpu);
	if (err) {
		fprintf(stderr, "warning: cannot pin to CPU %d: %s; running unpinned\n", cpu, strerror(-err));
		env->cpu = -1;
	}
	cpuinfo_field("model name", env->cpu_model, sizeof(env->cpu_model));
#if defined(__x86_64__) || defined(__i386__)
	cpuinfo_field("flags", flags, sizeof(flags));
	env->tsc_invariant = has_flag(flags, "constant_tsc") && has_flag(flags, "nonstop_tsc");
	env->tsc_hz = calibrate_tsc();
#else
	(void)flags;
	env->tsc_invariant = true;
	env->tsc_hz = 1e9;
#endif
	if (!env->tsc_invariant)
		fprintf(stderr, "warning: the TSC is not invariant on this CPU; figures may drift with frequency\n");
	bench_measure(env, &cal, empty_op, NULL, &r);
	env->call_ns = r.ns_median;
	return err;
}

/* ---- options ---- */

static void usage(const char *prog, const char *default_json)
{
	printf("usage: %s [--cpu N] [--json FILE] [--rounds N] [--round-ms MS] [--quiet]\n"
	       "  --cpu N       pin to CPU N (default: 1, or 0 on a one-CPU machine)\n"
	       "  --json FILE   write results as JSON (default: %s)\n"
	       "  --rounds N    timed rounds per row, 1..%d (default 11); the median is reported\n"
	       "  --round-ms MS length of one round (default 50)\n"
	       "  --quiet       no progress on stderr\n",
	       prog, default_json, MAX_ROUNDS);
}

static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == 0 && *out >= lo && *out <= hi;
}

int bench_opts_parse(int argc, char **argv, struct bench_opts *o, const char *default_json)
{
	static const struct option longopts[] = {
		{ "cpu", required_argument, NULL, 'c' },    { "json", required_argument, NULL, 'j' },
		{ "rounds", required_argument, NULL, 'r' }, { "round-ms", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	*o = (struct bench_opts){ .cpu = -1, .json = default_json, .rounds = 11, .round_ms = 50 };
	while ((c = getopt_long(argc, argv, "c:j:r:m:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_uint(optarg, 0, CPU_SETSIZE - 1, &v))
				goto bad;
			o->cpu = (int)v;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'r':
			if (!parse_uint(optarg, 1, MAX_ROUNDS, &v))
				goto bad;
			o->rounds = (unsigned)v;
			break;
		case 'm':
			if (!parse_uint(optarg, 1, 10000, &v))
				goto bad;
			o->round_ms = (unsigned)v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(argv[0], default_json);
			return 1;
		default:
			usage(argv[0], default_json);
			return -EINVAL;
		}
	}
	if (optind == argc)
		return 0;
	fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
	return -EINVAL;
bad:
	fprintf(stderr, "%s: bad value '%s' for --%s\n", argv[0], optarg,
		c == 'c' ? "cpu" : c == 'r' ? "rounds" : "round-ms");
	return -EINVAL;
}

/* ---- measurement ---- */

static uint64_t timed_batch(bench_fn fn, void *arg, uint64_t n)
{
	uint64_t t0 = bench_tsc();

	for (uint64_t i = 0; i < n; i++)
		fn(arg);
	return bench_tsc() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- placement ---- */

int bench_copies_init(struct bench_copies *c, const void *buf, size_t len)
{
	size_t stride = (len + 4096 + 4095) & ~(size_t)4095;
	char *area = aligned_alloc(4096, stride * BENCH_PLACEMENTS);

	*c = (struct bench_copies){ .area = area };
	if (!area)
		return -ENOMEM;
	for (unsigned k = 0; k < BENCH_PLACEMENTS; k++) {
		char *d = area + k * stride + k * (4096 / BENCH_PLACEMENTS);

		memcpy(d, buf, len);
		c->buf[k] = d;
	}
	return 0;
}

void bench_copies_free(struct bench_copies *c)
{
	free(c->area);
	*c = (struct bench_copies){ 0 };
}

/*
 * Warm-up and sizing in one: double the batch until it lasts an eighth of a round, then scale by the fastest of three
 * such batches (a batch that was preempted would otherwise make every round short), and run one more untimed round
 * so caches, predictors and clocks settle. Returns iterations per round.
 */
static uint64_t size_batch(const struct bench_env *env, const struct bench_opts *o, bench_fn fn, void *arg)
{
	uint64_t target = (uint64_t)(env->tsc_hz * o->round_ms / 1000.0), n = 1, ticks;

	while ((ticks = timed_batch(fn, arg, n)) < target / 8)
		n *= 2;
	for (int i = 0; i < 2; i++) {
		uint64_t t = timed_batch(fn, arg, n);

		ticks = t < ticks ? t : ticks;
	}
	n = (uint64_t)((double)n * (double)target / (double)(ticks ? ticks : 1));
	if (!n)
		n = 1;
	timed_batch(fn, arg, n);
	return n;
}

static unsigned clamp_rounds(const struct bench_opts *o)
{
	return o->rounds < 1 ? 1 : o->rounds > MAX_ROUNDS ? MAX_ROUNDS : o->rounds;
}

/* ns[] holds one per-operation time per round; sorts it. */
static void summarise(double *ns, unsigned rounds, uint64_t iters, struct bench_result *r)
{
	r->iters = iters;
	r->rounds = rounds;
	r->ns_median = bench_median(ns, rounds);
	r->ns_min = ns[0];
	r->mps = r->ns_median > 0 ? 1e9 / r->ns_median : 0;
}

void bench_measure(const struct bench_env *env, const struct bench_opts *o, bench_fn fn, void *arg,
		   struct bench_result *r)
{
	unsigned rounds = clamp_rounds(o);
	uint64_t n = size_batch(env, o, fn, arg);
	double ns[MAX_ROUNDS];

	for (unsigned i = 0; i < rounds; i++)
		ns[i] = bench_ticks_to_ns(env, (double)timed_batch(fn, arg, n)) / (double)n;
	summarise(ns, rounds, n, r);
}

void bench_measure_interleaved(const struct bench_env *env, const struct bench_opts *o, struct bench_case *cases,
			       size_t n, void (*progress)(unsigned k, unsigned rounds))
{
	unsigned rounds = clamp_rounds(o);
	double *ns = calloc(n * rounds, sizeof(*ns));
	uint64_t *iters = calloc(n, sizeof(*iters));

	if (!ns || !iters) {
		/* no memory for the interleaving: measure one case after the other */
		for (size_t c = 0; c < n; c++)
			bench_measure(env, o, cases[c].fn, cases[c].arg, &cases[c].r);
		goto out;
	}
	if (progress)
		progress(0, rounds);
	for (size_t c = 0; c < n; c++)
		iters[c] = size_batch(env, o, cases[c].fn, cases[c].arg);
	for (unsigned i = 0; i < rounds; i++) {
		if (progress)
			progress(i + 1, rounds);
		for (size_t c = 0; c < n; c++) {
			double t = (double)timed_batch(cases[c].fn, cases[c].arg, iters[c]);

			ns[c * rounds + i] = bench_ticks_to_ns(env, t) / (double)iters[c];
		}
	}
	for (size_t c = 0; c < n; c++)
		summarise(ns + c * rounds, rounds, iters[c], &cases[c].r);
out:
	free(ns);
	free(iters);
}

/* ---- JSON ---- */

static void json_indent(struct bench_json *j)
{
	fputc('\n', j->f);
	for (unsigned i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Start an item in the current container: comma, newline, indent, and the member name in an object. */
static void json_item(struct bench_json *j, const char *key)
{
	if (j->has_items & (1u << j->depth))
		fputc(',', j->f);
	j->has_items |= 1u << j->depth;
	json_indent(j);
	if (key) {
		json_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open_container(struct bench_json *j, const char *key, char c)
{
	json_item(j, key);
	fputc(c, j->f);
	if (j->depth < 15)
		j->depth++;
	j->has_items &= ~(1u << j->depth);
}

static void json_close_container(struct bench_json *j, char c)
{
	bool items = j->has_items & (1u << j->depth);

	if (j->depth)
		j->depth--;
	if (items)
		json_indent(j);
	fputc(c, j->f);
}

/* mkdir -p of path's directory part. */
static void make_parents(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0777);
		*p = '/';
	}
}

int bench_json_open(struct bench_json *j, const char *path)
{
	make_parents(path);
	*j = (struct bench_json){ .f = fopen(path, "w") };
	if (!j->f)
		return -errno;
	fputc('{', j->f);
	j->depth = 1;
	return 0;
}

int bench_json_close(struct bench_json *j)
{
	int err;

	if (!j->f)
		return -EBADF;
	j->depth = 1;
	json_close_container(j, '}');
	fputc('\n', j->f);
	err = ferror(j->f) ? -EIO : 0;
	if (fclose(j->f) != 0 && !err)
		err = -errno;
	j->f = NULL;
	return err;
}

void bench_json_obj_begin(struct bench_json *j, const char *key)
{
	json_open_container(j, key, '{');
}

void bench_json_obj_end(struct bench_json *j)
{
	json_close_container(j, '}');
}

void bench_json_arr_begin(struct bench_json *j, const char *key)
{
	json_open_container(j, key, '[');
}

void bench_json_arr_end(struct bench_json *j)
{
	json_close_container(j, ']');
}

void bench_json_str(struct bench_json *j, const char *key, const char *s)
{
	json_item(j, key);
	if (s)
		json_string(j->f, s);
	else
		fputs("null", j->f);
}

void bench_json_num(struct bench_json *j, const char *key, double v)
{
	json_item(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void bench_json_u64(struct bench_json *j, const char *key, uint64_t v)
{
	json_item(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void bench_json_bool(struct bench_json *j, const char *key, bool v)
{
	json_item(j, key);
	fputs(v ? "true" : "false", j->f);
}

void bench_json_machine(struct bench_json *j, const struct bench_env *env)
{
	char load[64] = "", date[32] = "", kernel[200] = "";
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fgets(load, sizeof(load), f))
			load[strcspn(load, "\n")] = 0;
		fclose(f);
	}
	if (gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (uname(&u) == 0)
		snprintf(kernel, sizeof(kernel), "%s %s %s", u.sysname, u.release, u.machine);
	bench_json_obj_begin(j, "machine");
	bench_json_str(j, "cpu_model", env->cpu_model);
	bench_json_num(j, "cpu", env->cpu);
	bench_json_num(j, "online_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	bench_json_num(j, "tsc_ghz", env->tsc_hz / 1e9);
	bench_json_bool(j, "tsc_invariant", env->tsc_invariant);
	bench_json_num(j, "call_overhead_ns", env->call_ns);
	bench_json_str(j, "kernel", kernel);
	bench_json_str(j, "compiler", __VERSION__);
	bench_json_str(j, "loadavg", load);
	bench_json_str(j, "date", date);
	bench_json_str(j, "revision", getenv("BENCH_REVISION"));
	bench_json_obj_end(j);
}

/* ---- table ---- */

void bench_table_head(FILE *f, const struct bench_col *cols, size_t n)
{
	int total = 0;

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%*s", i ? "  " : "", cols[i].left ? -cols[i].width : cols[i].width, cols[i].title);
		total += cols[i].width + (i ? 2 : 0);
	}
	fputc('\n', f);
	for (int i = 0; i < total; i++)
		fputc('-', f);
	fputc('\n', f);
}

void bench_table_row(FILE *f, const struct bench_col *cols, size_t n, const char *const cells[])
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%*s", i ? "  " : "", cols[i].left ? -cols[i].width : cols[i].width,
			cells[i] ? cells[i] : "");
	fputc('\n', f);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for sipwall's micro-benchmarks (bench_*): command-line options, CPU pinning, a TSC clock calibrated
 * against CLOCK_MONOTONIC, a median-of-rounds measurement loop, a tiny JSON writer and a fixed-width table printer.
 * Benchmarks are separate programs, never tests (as DPDK keeps its *_perf programs apart from app/test).
 *
 * A bench built on this, in outline:
 *
 *	struct bench_opts o;
 *	struct bench_env env;
 *	struct bench_result r;
 *
 *	if (bench_opts_parse(argc, argv, &o, "bench/results/foo.json") ...)   // --cpu --json --rounds --round-ms
 *	bench_env_init(&env, o.cpu);                                          // pin, calibrate
 *	bench_measure(&env, &o, op_foo, &ctx, &r);                            // op_foo: noinline, one operation
 *	  (or bench_measure_interleaved() over many rows: steadier on a shared machine, as bench_core does)
 *	... bench_table_row() per result; bench_json_*() for the file; bench_json_machine() describes the host.
 *
 * Conventions run.sh relies on: a bench accepts --json FILE, prints its table on stdout, and exits 0 when it ran
 * (a missed performance floor is a finding, not a failure); non-zero only when it could not measure.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* ---- clock ---- */

/*
 * A timestamp in TSC ticks. On x86 the reads are fenced with LFENCE on both sides, so the work being timed can
 * neither start before the first read nor be pending at the second (Intel SDM, RDTSC; AMD documents LFENCE as
 * dispatch-serialising when the kernel sets it so, as Linux does). Elsewhere, CLOCK_MONOTONIC in nanoseconds.
 * Costs some 20-40 cycles: read it around a loop of many operations, never around one.
 */
static inline uint64_t bench_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* The host a bench ran on, and its clock. */
struct bench_env {
	int cpu;               /* the CPU the process is pinned to, -1 when pinning failed */
	double tsc_hz;         /* bench_tsc() ticks per second, measured */
	bool tsc_invariant;    /* /proc/cpuinfo has constant_tsc and nonstop_tsc (or not x86: the clock is ns) */
	double call_ns;        /* bench_measure()'s own cost per operation (indirect call + loop), included in results */
	char cpu_model[128];   /* "model name" from /proc/cpuinfo */
};

/*
 * Pin the calling thread to cpu (cpu < 0: CPU 1 when the machine has more than one, else 0), calibrate bench_tsc()
 * against CLOCK_MONOTONIC (median of 5 windows of 20 ms), read the CPU model and measure call_ns.
 * Returns 0, or -errno when pinning failed (env is still usable: env->cpu is -1 and a warning was printed).
 */
int bench_env_init(struct bench_env *env, int cpu);

/* Pin the calling thread to one CPU. Returns 0 or -errno. */
int bench_pin_cpu(int cpu);

static inline double bench_ticks_to_ns(const struct bench_env *env, double ticks)
{
	return ticks * 1e9 / env->tsc_hz;
}

/* ---- options ---- */

struct bench_opts {
	int cpu;               /* --cpu N; -1 = default (see bench_env_init) */
	const char *json;      /* --json FILE; default given to bench_opts_parse */
	unsigned rounds;       /* --rounds N; timed rounds per row, default 11 (odd, so the median is a sample) */
	unsigned round_ms;     /* --round-ms N; target length of one round, default 50 */
	bool quiet;            /* --quiet: table only, no progress on stderr */
};

/*
 * Parse the common options (defaults: cpu -1, json = default_json, 11 rounds of 50 ms). Prints usage and returns 1
 * for --help, -EINVAL (after a message) on a bad option or an extra argument, else 0. A bench with options of its
 * own parses argv itself and fills a struct bench_opts the same way.
 */
int bench_opts_parse(int argc, char **argv, struct bench_opts *o, const char *default_json);

/* ---- measurement ---- */

/* One operation on arg. Make the function noinline and have it consume its result (see bench_core.c). */
typedef void (*bench_fn)(void *arg);

struct bench_result {
	double ns_median;      /* median over rounds of (round time / iterations) */
	double ns_min;         /* the fastest round */
	double mps;            /* operations per second at the median */
	uint64_t iters;        /* iterations per round */
	unsigned rounds;
};

/*
 * Time fn(arg): warm up for about one round, choose the iteration count so one round lasts o->round_ms, then run
 * o->rounds timed rounds and keep the median and the minimum per-operation time. The loop's own cost
 * (env->call_ns, one indirect call) is included, not subtracted: it is below the run-to-run noise.
 */
void bench_measure(const struct bench_env *env, const struct bench_opts *o, bench_fn fn, void *arg,
		   struct bench_result *r);

/* One row of an interleaved measurement: fn(arg) in, the result out. */
struct bench_case {
	bench_fn fn;
	void *arg;
	struct bench_result r; /* filled by bench_measure_interleaved() */
};

/*
 * Like bench_measure() for several operations at once, interleaved: each is warmed up and sized on its own, then
 * round k of every case runs before round k+1 of any. On a shared machine a burst of foreign load then lands on one
 * round of many rows (which the median discards) instead of on every round of one row (which it cannot).
 * progress, when not NULL, is told before each round (k = 0 for sizing, then 1..rounds).
 */
void bench_measure_interleaved(const struct bench_env *env, const struct bench_opts *o, struct bench_case *cases,
			       size_t n, void (*progress)(unsigned k, unsigned rounds));

/*
 * Where a message lies modulo 4 KiB, against the structures the code under test writes, decides whether the loads of
 * its bytes wait on unrelated stores ("4K aliasing", docs/bench.md): one fixed copy measures whichever placement the
 * link or the allocator happened to give. bench_copies_init() makes BENCH_PLACEMENTS copies of a message, copy j at
 * page offset j * 4096 / BENCH_PLACEMENTS and on pages of its own; a timed operation takes them in turn
 * (bench_copies_next()), as datagrams arrive at every offset on the dataplane.
 */
#define BENCH_PLACEMENTS 8
struct bench_copies {
	const char *buf[BENCH_PLACEMENTS];
	void *area; /* where they are, NULL when none */
	unsigned turn;
};

/* 0, or -ENOMEM with c empty. */
int bench_copies_init(struct bench_copies *c, const void *buf, size_t len);

/* Free the copies; c is empty afterwards. Safe on an empty (zeroed) c. */
void bench_copies_free(struct bench_copies *c);

/* The next copy, in turn. */
static inline const char *bench_copies_next(struct bench_copies *c)
{
	return c->buf[c->turn++ % BENCH_PLACEMENTS];
}

/* Sort v[0..n) ascending and return its median (the middle sample; the mean of the two middle ones when n is even). */
double bench_median(double *v, size_t n);

/* ---- JSON writer: objects and arrays nested up to 16 deep, pretty-printed, strings escaped ---- */

struct bench_json {
	FILE *f;
	unsigned depth;
	uint32_t has_items;    /* bit d: the container at depth d already holds an item (a comma comes next) */
};

/* Open path for writing (creating missing parent directories) and begin the top-level object. 0 or -errno. */
int bench_json_open(struct bench_json *j, const char *path);
/* End the top-level object and close. 0, or -errno when anything failed to write. */
int bench_json_close(struct bench_json *j);

/* key is the member name inside an object, NULL inside an array. */
void bench_json_obj_begin(struct bench_json *j, const char *key);
void bench_json_obj_end(struct bench_json *j);
void bench_json_arr_begin(struct bench_json *j, const char *key);
void bench_json_arr_end(struct bench_json *j);
void bench_json_str(struct bench_json *j, const char *key, const char *s); /* NULL writes null */
void bench_json_num(struct bench_json *j, const char *key, double v);     /* NaN/inf write null */
void bench_json_u64(struct bench_json *j, const char *key, uint64_t v);
void bench_json_bool(struct bench_json *j, const char *key, bool v);

/*
 * A "machine" object: CPU model, pinned CPU, online CPUs, TSC GHz and invariance, call overhead, kernel, compiler,
 * load average at the time, UTC date, and $BENCH_REVISION when set (run.sh puts the git revision there).
 */
void bench_json_machine(struct bench_json *j, const struct bench_env *env);

/* ---- table printer ---- */

struct bench_col {
	const char *title;
	int width;
	bool left;             /* left-aligned (text); numbers are right-aligned */
};

/* Header line and a rule under it. */
void bench_table_head(FILE *f, const struct bench_col *cols, size_t n);
/* One row; cells[i] is printed in cols[i]'s width (longer cells push the row, never truncate). */
void bench_table_row(FILE *f, const struct bench_col *cols, size_t n, const char *const cells[]);

#endif

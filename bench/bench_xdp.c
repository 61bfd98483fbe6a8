// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_xdp: nanoseconds per packet of the XDP prefilter on each of its paths (pass, redirect, every drop reason),
 * timed by the kernel with BPF_PROG_TEST_RUN and `repeat`, against an empty XDP program (return XDP_PASS) measured
 * in the same interleaved rounds. Floor (the issue's): every path at most 2x the empty program.
 *
 * Setup, as in production: the blocklist holds BLOCK_ENTRIES IPv4 /32s, a few hundred /24s and IPv6 /64s and a /48,
 * added through libswxdp as the CLI adds them, so every SIP path consults a populated blocklist: the presence
 * filter (IPv4: the /24 length, under which the /32s are filed; IPv6: /48 and /64), and the exact index when the
 * filter says "maybe" (the drop_blocklist rows). The sources of the other rows share no /24 or /64 with a blocked
 * prefix, as nearly all sources do when the blocked hosts are spread over the address space (10,000 hosts cover
 * 0.06 % of the IPv4 /24s; here they sit in 10/8, which is denser, not easier). Several loaded copies of the program
 * share the work: one with an AF_XDP socket in xsks_map (redirect), one without (pass_no_socket), one with a rate
 * limit, fragments off and max_payload 1400 (drop_rate, drop_fragment, drop_long, and redirect under a rate limit).
 * Before timing, each path is run once and its verdict and counter checked: a row measures the path its name says.
 *
 * Reference rows (not judged against the floor) say what the parts cost on this machine, each a two-to-six
 * instruction program timed like the rest: a BPF-to-BPF call, bpf_redirect_map() into an XSKMAP, an LPM trie lookup
 * in the populated IPv4 blocklist (a miss), an LRU hash lookup with a 20-byte key (a hit; what the rate limiter
 * used before its set-associative array), a plain hash lookup with a 4-byte key, bpf_ktime_get_ns(). On CPUs that
 * mitigate SRSO with "safe RET" every return is costly, and each of these is a call and a return or more, where the
 * empty program makes none; the rows show how much of a path's cost is calls it cannot do without.
 * Timer: the kernel's, whole ns per run. A finer one from user space is not to be had: with repeat > 1 each
 * test_run call swaps the XDP dispatcher in and out, which waits out RCU grace periods (16-32 ms a call here).
 * Fairness: one repeat for every row (the empty program's calibration to --round-ms), rounds interleaved (round k of
 * every row before round k + 1 of any), medians judged, the empty program run through the same test_run path.
 * Needs root (loading BPF). Options: bench/common.h (--cpu --json --rounds --round-ms --quiet).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "messages.h"
#include "pktgen.h"
#include "sw_xdp_lib.h" /* first: the skeleton needs struct sw_blkf (xdp_abi.h) */
#include "sw_xdp.skel.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define FLOOR_RATIO 2.0
#define BLOCK_ENTRIES 10000 /* IPv4 /32s in the blocklist, besides the /24s and /64s */
#define CALIB_REPEAT 2000

enum instance { INST_SOCKET, INST_NOSOCK, INST_STRICT, INST_MAX };

static const char *const inst_names[INST_MAX] = { "socket", "no socket", "strict" };

struct inst {
	struct sw_xdp *skel;
	struct sw_xdp_maps maps;
	int prog_fd;
	int xsk;            /* AF_XDP socket in xsks_map[0]; closing it would take it out of the map */
};

enum ref {
	REF_NONE,
	REF_CALL,     /* a BPF-to-BPF call to a function that returns */
	REF_REDIRECT, /* bpf_redirect_map(xsks_map, 0, XDP_PASS) */
	REF_LPM,      /* bpf_map_lookup_elem(sw_block4, 192.0.2.1/32): a miss in the populated trie */
	REF_LRU,      /* bpf_map_lookup_elem(an LRU_HASH map, a 20-byte key): a hit */
	REF_HASH,     /* bpf_map_lookup_elem(a HASH map, 4-byte key): a hit */
	REF_KTIME,    /* bpf_ktime_get_ns() */
	REF_MAX,
};

struct path {
	const char *name;
	enum instance inst;
	enum ref ref;       /* a reference row: a minimal program, not the prefilter */
	struct pkt_spec spec;
	uint32_t action;
	int counter;        /* enum sw_xdp_counter; -1 for the empty program */
	/* filled in: */
	uint8_t frame[2048];
	size_t len;
	int prog_fd;
	uint32_t repeat;
	double *samples;
	double ns_median, ns_min, ns_max, ratio, ratio_min;
};

static char not_sip[600];
static const char sip_short[] = "AB";
static char sip_long[1460];

#define MSG(s) .payload = (s), .plen = sizeof(s) - 1
#define BUF(b) .payload = (b), .plen = sizeof(b)

/* A row: name, which copy, verdict, counter, then the packet (struct pkt_spec fields). */
#define P(n, i, a, c, ...) { .name = (n), .inst = (i), .action = (a), .counter = (c), .spec = { __VA_ARGS__ } }

/* A reference row: the same frame as the empty program's, run by a minimal program (enum ref). */
#define R(n, r) { .name = (n), .inst = INST_STRICT, .ref = (r), .action = XDP_PASS, .counter = -1,                     \
		  .spec = { .family = 4, MSG(msg_invite) } }

/* The empty program first: every ratio is against it. */
static struct path paths[] = {
	P("empty (baseline)", INST_SOCKET, XDP_PASS, -1, .family = 4, MSG(msg_invite)),
	P("pass_other arp", INST_SOCKET, XDP_PASS, SW_XDP_C_PASS_OTHER, .family = 0),
	P("pass_other udp/53", INST_SOCKET, XDP_PASS, SW_XDP_C_PASS_OTHER, .family = 4, .dport = 53,
	  MSG("\x12\x34\x01\x00\x00\x01")),
	P("redirect v4", INST_SOCKET, XDP_REDIRECT, SW_XDP_C_REDIRECT, .family = 4, MSG(msg_invite)),
	P("redirect v6", INST_SOCKET, XDP_REDIRECT, SW_XDP_C_REDIRECT, .family = 6, MSG(msg_invite)),
	P("redirect qinq v4", INST_SOCKET, XDP_REDIRECT, SW_XDP_C_REDIRECT, .family = 4, .nvlan = 2,
	  .outer_tpid = ETH_P_8021AD, MSG(msg_invite)),
	P("redirect v4, rate on", INST_STRICT, XDP_REDIRECT, SW_XDP_C_REDIRECT, .family = 4, MSG(msg_invite)),
	P("pass_no_socket v4", INST_NOSOCK, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, .family = 4, MSG(msg_invite)),
	P("keepalive", INST_SOCKET, XDP_REDIRECT, SW_XDP_C_KEEPALIVE, .family = 4, MSG("\r\n\r\n")),
	P("drop_blocklist v4", INST_SOCKET, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, .family = 4, .src = "198.51.100.7",
	  MSG(msg_invite)),
	P("drop_blocklist v6", INST_SOCKET, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, .family = 6, .src = "2001:db8:bad::7",
	  MSG(msg_invite)),
	P("drop_rate", INST_STRICT, XDP_DROP, SW_XDP_C_DROP_RATE, .family = 4, .src = "203.0.113.9", MSG(msg_invite)),
	P("drop_short", INST_SOCKET, XDP_DROP, SW_XDP_C_DROP_SHORT, .family = 4, MSG(sip_short)),
	P("drop_long", INST_STRICT, XDP_DROP, SW_XDP_C_DROP_LONG, .family = 4, BUF(sip_long)),
	P("drop_not_sip", INST_SOCKET, XDP_DROP, SW_XDP_C_DROP_NOT_SIP, .family = 4, BUF(not_sip)),
	P("drop_fragment", INST_STRICT, XDP_DROP, SW_XDP_C_DROP_FRAGMENT, .family = 4, .frag = PKT_FRAG_HEAD,
	  .datagram_len = 3000, MSG(msg_invite)),
	P("drop_malformed", INST_SOCKET, XDP_DROP, SW_XDP_C_DROP_MALFORMED, .family = 4, .ip_len_delta = 10,
	  MSG(msg_invite)),
	R("ref: bpf-to-bpf call", REF_CALL),
	R("ref: redirect_map", REF_REDIRECT),
	R("ref: lpm lookup (miss)", REF_LPM),
	R("ref: lru lookup 20 B", REF_LRU),
	R("ref: hash lookup 4 B", REF_HASH),
	R("ref: ktime_get_ns", REF_KTIME),
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

/* Run prog once or `repeat` times on a frame; the kernel's average ns per run in *ns. Returns the XDP action. */
static int test_run(int prog_fd, const void *frame, size_t len, uint32_t repeat, uint32_t *action, double *ns)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*action = o.retval;
	if (ns)
		*ns = o.duration;
	return 0;
}

static int load_empty(void)
{
	/* r0 = XDP_PASS; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_empty", "Dual BSD/GPL", insns, 2, NULL);
}

/* A program being written: instructions appended in order. */
struct prog {
	struct bpf_insn insn[16];
	size_t n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	p->insn[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static void emit_ld_map(struct prog *p, uint8_t reg, int fd)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd);
	emit(p, 0, 0, 0, 0, 0); /* second half of the 64-bit immediate */
}

/* r2 = r10 + off: the key on the stack */
static void emit_key_ptr(struct prog *p, int16_t off)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, off);
}

static void emit_st32(struct prog *p, int16_t off, int32_t imm)
{
	emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off, imm);
}

static void emit_exit_pass(struct prog *p)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* A network-order IPv4 address as the 32-bit immediate that stores its bytes in order. */
static int32_t ip4_imm(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	int32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

/*
 * The reference programs (enum ref), on the maps of the copies loaded: the populated trie, the strict copy's
 * buckets.
 */
static int load_ref(enum ref r, const struct inst *in, int xsk_map, int hash_map, int lru_map)
{
	struct prog p = { .n = 0 };

	switch (r) {
	case REF_CALL: /* call the function two instructions on, which returns; then return */
		emit(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2);
		emit_exit_pass(&p);
		break;
	case REF_REDIRECT:
		emit_ld_map(&p, BPF_REG_1, xsk_map);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XDP_PASS);
		emit(&p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map);
		break;
	case REF_LPM: /* struct sw_block_key4 { 32, 192.0.2.1 } */
		emit_st32(&p, -8, 32);
		emit_st32(&p, -4, ip4_imm(192, 0, 2, 1));
		emit_key_ptr(&p, -8);
		emit_ld_map(&p, BPF_REG_1, in[INST_SOCKET].maps.block4);
		emit(&p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		break;
	case REF_LRU: /* a 20-byte key { 4, 32, 0, 0, 203.0.113.9, 0... }, as the rate limiter had before sw_rate */
		emit_st32(&p, -20, ip4_imm(4, 32, 0, 0));
		emit_st32(&p, -16, ip4_imm(203, 0, 113, 9));
		emit_st32(&p, -12, 0);
		emit_st32(&p, -8, 0);
		emit_st32(&p, -4, 0);
		emit_key_ptr(&p, -20);
		emit_ld_map(&p, BPF_REG_1, lru_map);
		emit(&p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		break;
	case REF_HASH:
		emit_st32(&p, -4, 1);
		emit_key_ptr(&p, -4);
		emit_ld_map(&p, BPF_REG_1, hash_map);
		emit(&p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		break;
	case REF_KTIME:
		emit(&p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns);
		break;
	default:
		return -EINVAL;
	}
	emit_exit_pass(&p); /* for REF_CALL, the called function */
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_ref", "Dual BSD/GPL", p.insn, p.n, NULL);
}

static int block_populate(const struct sw_xdp_maps *m)
{
	struct sw_prefix p = { .family = 4, .len = 32 };
	char text[64];
	int err = 0;

	/* 10.0.0.0/8 host routes spread over the space: a deep, realistic trie. */
	for (uint32_t i = 0; !err && i < BLOCK_ENTRIES; i++) {
		uint32_t a = 0x0a000000u | ((i * 2654435761u) & 0x00ffffffu);

		p.addr[0] = a >> 24;
		p.addr[1] = (a >> 16) & 0xff;
		p.addr[2] = (a >> 8) & 0xff;
		p.addr[3] = a & 0xff;
		err = sw_block_add(m, &p, 0, "bench");
	}
	for (uint32_t i = 0; !err && i < 256; i++) {
		snprintf(text, sizeof(text), "172.%u.%u.0/24", 16 + (i & 15), i);
		err = sw_prefix_parse(text, &p) ? -EINVAL : sw_block_add(m, &p, 3600, "bench /24");
		snprintf(text, sizeof(text), "2001:db8:%x::/64", 0x1000 + i);
		if (!err)
			err = sw_prefix_parse(text, &p) ? -EINVAL : sw_block_add(m, &p, 0, "bench /64");
	}
	if (!err)
		err = sw_prefix_parse("198.51.100.7", &p) ? -EINVAL : sw_block_add(m, &p, 0, "bench target");
	if (!err)
		err = sw_prefix_parse("2001:db8:bad::/48", &p) ? -EINVAL : sw_block_add(m, &p, 0, "bench target");
	return err;
}

static int inst_load(struct inst *in, enum instance which)
{
	struct sw_xdp_cfg cfg;
	uint32_t zero = 0;
	int err;

	in->xsk = -1;
	in->skel = sw_xdp__open_and_load();
	if (!in->skel)
		return -errno;
	in->prog_fd = bpf_program__fd(in->skel->progs.sw_xdp_filter);
	in->maps = (struct sw_xdp_maps){
		.cfg = bpf_map__fd(in->skel->maps.sw_cfg), .stats = bpf_map__fd(in->skel->maps.sw_stats),
		.block4 = bpf_map__fd(in->skel->maps.sw_block4), .block6 = bpf_map__fd(in->skel->maps.sw_block6),
		.rate = bpf_map__fd(in->skel->maps.sw_rate), .frag = bpf_map__fd(in->skel->maps.sw_frag),
		.blkf = bpf_map__fd(in->skel->maps.bss),
	};
	sw_xdp_cfg_defaults(&cfg);
	if (which == INST_STRICT) {
		cfg.rate_pps = 1000000000; /* 1 ns per packet: no source can send faster, so they stay under... */
		cfg.rate_burst = 1000000;
		cfg.flags &= ~SW_XDP_F_ALLOW_FRAGMENTS;
		cfg.max_payload = 1400;
	}
	err = sw_xdp_cfg_write(in->maps.cfg, &cfg);
	if (!err) /* as sw_xdp_attach() does: the filter is ready, then the entries are added through libswxdp */
		err = sw_block_filter_build(&in->maps, false);
	if (!err)
		err = block_populate(&in->maps);
	if (!err && which == INST_STRICT) {
		/* ...except this one, whose bucket is an hour in debt (placed where the program's hash looks). */
		static const uint8_t src[4] = { 203, 0, 113, 9 };
		struct sw_rate_set set = { 0 };
		struct timespec ts;
		uint32_t a, idx;
		uint64_t tag;

		memcpy(&a, src, 4);
		tag = sw_rate_tag4(a, 32);
		idx = sw_rate_set_of(tag, in->skel->bss->sw_blkf.hdr[SW_BLKF_W_SEED]);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		set.way[0].tag = tag;
		set.way[0].tat_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + 3600ULL * 1000000000ULL;
		if (bpf_map_update_elem(in->maps.rate, &idx, &set, BPF_ANY))
			err = -errno;
	}
	if (!err && which != INST_NOSOCK) {
		/* test_run does not carry out a redirect; a socket in the map makes bpf_redirect_map() return it. */
		in->xsk = socket(AF_XDP, SOCK_RAW, 0);
		if (in->xsk < 0 ||
		    bpf_map_update_elem(bpf_map__fd(in->skel->maps.xsks_map), &zero, &in->xsk, BPF_ANY))
			err = -errno;
	}
	return err;
}

/* Run each path once and check its verdict and the counter it bumps. */
static int verify(struct path *p, const struct inst *in)
{
	uint64_t before[SW_XDP_C_MAX], after[SW_XDP_C_MAX];
	uint32_t action = 0;
	int err;

	if (p->counter >= 0 && sw_xdp_counters_read(in->maps.stats, before))
		return -EIO;
	err = test_run(p->prog_fd, p->frame, p->len, 1, &action, NULL);
	if (err)
		return err;
	if (action != p->action) {
		fprintf(stderr, "bench_xdp: %s: action %u, expected %u\n", p->name, action, p->action);
		return -EINVAL;
	}
	if (p->counter < 0)
		return 0;
	if (sw_xdp_counters_read(in->maps.stats, after))
		return -EIO;
	for (int k = 0; k < SW_XDP_C_MAX; k++) {
		if (after[k] - before[k] != (uint64_t)(k == p->counter)) {
			fprintf(stderr, "bench_xdp: %s: counter %s moved by %llu\n", p->name, sw_xdp_counter_names[k],
				(unsigned long long)(after[k] - before[k]));
			return -EINVAL;
		}
	}
	return 0;
}

/* Choose repeat so that one round lasts about round_ms (the kernel checks for reschedule between runs). */
static int calibrate(struct path *p, unsigned round_ms)
{
	uint32_t action;
	double ns = 0, want;
	int err;

	for (int i = 0; i < 3; i++) { /* warm caches and the JIT's branch predictors */
		err = test_run(p->prog_fd, p->frame, p->len, CALIB_REPEAT, &action, &ns);
		if (err)
			return err;
	}
	want = round_ms * 1e6 / (ns > 1 ? ns : 1);
	p->repeat = want < CALIB_REPEAT ? CALIB_REPEAT : want > 50e6 ? 50000000u : (uint32_t)want;
	return 0;
}

static void progress(const struct bench_opts *o, unsigned k)
{
	if (!o->quiet)
		fprintf(stderr, "\rbench_xdp: round %u/%u", k, o->rounds);
}

/* Round k of every path before round k + 1 of any: foreign load lands on one round of many rows. */
static int measure(const struct bench_opts *o)
{
	uint32_t action;
	int err;

	for (size_t i = 0; i < NPATHS; i++) {
		paths[i].samples = calloc(o->rounds, sizeof(double));
		if (!paths[i].samples)
			return -ENOMEM;
		err = calibrate(&paths[i], o->round_ms);
		if (err)
			return err;
	}
	/*
	 * The same repeat for every row, the empty program's (the largest): test_run's fixed cost per call (copying the
	 * frame in and the context out) is then spread over as many runs on every row, so no row is flattered.
	 */
	for (size_t i = 1; i < NPATHS; i++)
		paths[i].repeat = paths[0].repeat;
	for (unsigned k = 0; k < o->rounds; k++) {
		progress(o, k + 1);
		for (size_t i = 0; i < NPATHS; i++) {
			err = test_run(paths[i].prog_fd, paths[i].frame, paths[i].len, paths[i].repeat, &action,
				       &paths[i].samples[k]);
			if (err)
				return err;
		}
	}
	if (!o->quiet)
		fprintf(stderr, "\n");
	for (size_t i = 0; i < NPATHS; i++) {
		paths[i].ns_median = bench_median(paths[i].samples, o->rounds); /* sorts: [0] is the minimum */
		paths[i].ns_min = paths[i].samples[0];
		paths[i].ns_max = paths[i].samples[o->rounds - 1];
	}
	for (size_t i = 0; i < NPATHS; i++) {
		paths[i].ratio = paths[0].ns_median > 0 ? paths[i].ns_median / paths[0].ns_median : NAN;
		paths[i].ratio_min = paths[0].ns_min > 0 ? paths[i].ns_min / paths[0].ns_min : NAN;
	}
	return 0;
}

static const char *action_name(uint32_t a)
{
	return a == XDP_PASS ? "PASS" : a == XDP_DROP ? "DROP" : a == XDP_REDIRECT ? "REDIRECT" : "?";
}

static bool print_table(void)
{
	static const struct bench_col cols[] = {
		{ "path", 22, true }, { "copy", 9, true },  { "verdict", 8, true },  { "bytes", 5, false },
		{ "ns/pkt", 8, false }, { "min", 7, false }, { "x empty", 7, false }, { "(min)", 6, false },
		{ "floor", 5, true },
	};
	enum { NCOLS = sizeof(cols) / sizeof(cols[0]) };
	char c[NCOLS][32];
	const char *cells[NCOLS];
	bool ok = true;

	bench_table_head(stdout, cols, NCOLS);
	for (size_t i = 0; i < NPATHS; i++) {
		const struct path *p = &paths[i];
		bool judged = i > 0 && !p->ref, within = !judged || p->ratio <= FLOOR_RATIO;

		ok &= within;
		snprintf(c[0], sizeof(c[0]), "%s", p->name);
		snprintf(c[1], sizeof(c[1]), "%s", judged ? inst_names[p->inst] : "-");
		snprintf(c[2], sizeof(c[2]), "%s", action_name(p->action));
		snprintf(c[3], sizeof(c[3]), "%zu", p->len);
		snprintf(c[4], sizeof(c[4]), "%.1f", p->ns_median);
		snprintf(c[5], sizeof(c[5]), "%.1f", p->ns_min);
		snprintf(c[6], sizeof(c[6]), "%.2f", p->ratio);
		snprintf(c[7], sizeof(c[7]), "%.2f", p->ratio_min);
		snprintf(c[8], sizeof(c[8]), "%s", !judged ? "-" : within ? "ok" : "MISS");
		for (int k = 0; k < NCOLS; k++)
			cells[k] = c[k];
		bench_table_row(stdout, cols, NCOLS, cells);
	}
	printf("\nfloor: every path <= %.1fx the empty program (%.1f ns), on the medians: %s\n"
	       "(min: the fastest round of each row, over the fastest of the empty program: less disturbed by a busy "
	       "machine)\n",
	       FLOOR_RATIO, paths[0].ns_median, ok ? "met" : "MISSED");
	printf("calibration: repeat %u on every row, interleaved rounds; the empty program min/median/max %.1f/%.1f/%.1f "
	       "ns (the kernel reports whole ns)\n",
	       paths[0].repeat, paths[0].ns_min, paths[0].ns_median, paths[0].ns_max);
	return ok;
}

static int write_json(const char *path, const struct bench_env *env, const struct bench_opts *o, bool ok)
{
	struct bench_json j;
	int err = bench_json_open(&j, path);

	if (err)
		return err;
	bench_json_str(&j, "bench", "xdp");
	bench_json_machine(&j, env);
	bench_json_obj_begin(&j, "config");
	bench_json_u64(&j, "rounds", o->rounds);
	bench_json_u64(&j, "round_ms", o->round_ms);
	bench_json_str(&j, "timer", "BPF_PROG_TEST_RUN duration (kernel, ns per run, averaged over repeat)");
	bench_json_u64(&j, "blocklist_v4_entries", BLOCK_ENTRIES + 256 + 1);
	bench_json_u64(&j, "blocklist_v6_entries", 256 + 1);
	bench_json_u64(&j, "repeat", paths[0].repeat);
	bench_json_str(&j, "repeat_rule", "the empty program's, calibrated to round_ms, on every row");
	bench_json_num(&j, "empty_ns_min", paths[0].ns_min);
	bench_json_num(&j, "empty_ns_max", paths[0].ns_max);
	bench_json_obj_end(&j);
	bench_json_num(&j, "empty_ns", paths[0].ns_median);
	bench_json_arr_begin(&j, "paths");
	for (size_t i = 0; i < NPATHS; i++) {
		const struct path *p = &paths[i];

		bench_json_obj_begin(&j, NULL);
		bench_json_str(&j, "path", p->name);
		bench_json_str(&j, "copy", i && !p->ref ? inst_names[p->inst] : NULL);
		bench_json_bool(&j, "reference", i > 0 && p->ref);
		bench_json_str(&j, "verdict", action_name(p->action));
		bench_json_str(&j, "counter", p->counter >= 0 ? sw_xdp_counter_names[p->counter] : NULL);
		bench_json_u64(&j, "frame_bytes", p->len);
		bench_json_u64(&j, "repeat", p->repeat);
		bench_json_num(&j, "ns_median", p->ns_median);
		bench_json_num(&j, "ns_min", p->ns_min);
		bench_json_num(&j, "ns_max", p->ns_max);
		bench_json_num(&j, "ratio_to_empty", p->ratio);
		bench_json_num(&j, "ratio_min_to_empty_min", p->ratio_min);
		if (i && !p->ref)
			bench_json_bool(&j, "within_floor", p->ratio <= FLOOR_RATIO);
		bench_json_obj_end(&j);
	}
	bench_json_arr_end(&j);
	bench_json_obj_begin(&j, "floor");
	bench_json_str(&j, "name", "every path ns / empty program ns");
	bench_json_str(&j, "cmp", "<=");
	bench_json_num(&j, "limit", FLOOR_RATIO);
	bench_json_obj_end(&j);
	bench_json_bool(&j, "floors_pass", ok);
	return bench_json_close(&j);
}

static void quiet_libbpf(void)
{
	libbpf_set_print(NULL);
}

int main(int argc, char **argv)
{
	struct inst inst[INST_MAX] = { [0 ... INST_MAX - 1] = { .xsk = -1 } };
	struct bench_opts o;
	struct bench_env env;
	int err, rc = 1, empty_fd = -1, ref_fd[REF_MAX], xsk_map = -1, hash_map = -1, lru_map = -1;
	static const uint8_t lru_key[20] = { 4, 32, 0, 0, 203, 0, 113, 9 };
	uint32_t one = 1;
	uint64_t val = 0;
	bool ok;

	err = bench_opts_parse(argc, argv, &o, "bench/results/xdp.json");
	if (err)
		return err > 0 ? 0 : 1;
	if (geteuid() != 0) {
		fprintf(stderr, "bench_xdp: needs root (BPF_PROG_TEST_RUN loads the program)\n");
		return 1;
	}
	quiet_libbpf();
	bench_env_init(&env, o.cpu);
	memset(not_sip, 0x16, sizeof(not_sip)); /* a TLS-looking record where SIP was expected */
	memcpy(sip_long, msg_invite, sizeof(msg_invite) - 1);
	memset(sip_long + sizeof(msg_invite) - 1, 'a', sizeof(sip_long) - (sizeof(msg_invite) - 1));
	for (int i = 0; i < INST_MAX; i++) {
		err = inst_load(&inst[i], (enum instance)i);
		if (err) {
			fprintf(stderr, "bench_xdp: loading copy '%s': %s\n", inst_names[i], strerror(-err));
			goto out;
		}
	}
	for (int r = 0; r < REF_MAX; r++)
		ref_fd[r] = -1;
	empty_fd = load_empty();
	if (empty_fd < 0) {
		fprintf(stderr, "bench_xdp: loading the empty program: %s\n", strerror(errno));
		goto out;
	}
	xsk_map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "ref_xsks", 4, 4, 1, NULL);
	hash_map = bpf_map_create(BPF_MAP_TYPE_HASH, "ref_hash", 4, 8, 1024, NULL);
	lru_map = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "ref_lru", 20, 8, 65536, NULL);
	if (xsk_map < 0 || hash_map < 0 || lru_map < 0 || bpf_map_update_elem(hash_map, &one, &val, BPF_ANY) ||
	    bpf_map_update_elem(lru_map, lru_key, &val, BPF_ANY)) {
		fprintf(stderr, "bench_xdp: creating the reference maps: %s\n", strerror(errno));
		goto out;
	}
	for (int r = REF_NONE + 1; r < REF_MAX; r++) {
		ref_fd[r] = load_ref((enum ref)r, inst, xsk_map, hash_map, lru_map);
		if (ref_fd[r] < 0) {
			fprintf(stderr, "bench_xdp: loading reference program %d: %s\n", r, strerror(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < NPATHS; i++) {
		paths[i].len = pkt_build(&paths[i].spec, paths[i].frame, sizeof(paths[i].frame));
		paths[i].prog_fd = i == 0 ? empty_fd : paths[i].ref ? ref_fd[paths[i].ref] : inst[paths[i].inst].prog_fd;
		err = paths[i].len ? verify(&paths[i], &inst[paths[i].inst]) : -EINVAL;
		if (err) {
			fprintf(stderr, "bench_xdp: %s: does not take its path (%s)\n", paths[i].name, strerror(-err));
			goto out;
		}
	}
	err = measure(&o);
	if (err) {
		fprintf(stderr, "bench_xdp: measuring: %s\n", strerror(-err));
		goto out;
	}
	ok = print_table();
	err = write_json(o.json, &env, &o, ok);
	if (err)
		fprintf(stderr, "bench_xdp: writing %s: %s\n", o.json, strerror(-err));
	else
		printf("results: %s\n", o.json);
	rc = err ? 1 : 0; /* a missed floor is a finding, not a failure (bench/common.h) */
out:
	for (size_t i = 0; i < NPATHS; i++)
		free(paths[i].samples);
	if (empty_fd >= 0)
		close(empty_fd);
	for (int r = REF_NONE + 1; r < REF_MAX; r++)
		if (ref_fd[r] >= 0)
			close(ref_fd[r]);
	if (xsk_map >= 0)
		close(xsk_map);
	if (hash_map >= 0)
		close(hash_map);
	if (lru_map >= 0)
		close(lru_map);
	for (int i = 0; i < INST_MAX; i++) {
		if (inst[i].xsk >= 0)
			close(inst[i].xsk);
		sw_xdp__destroy(inst[i].skel);
	}
	return rc;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl xdp block: add, delete, list and expire entries of the prefilter's blocklist (the LPM tries pinned
 * under the pin root). Works whoever loaded the program, and while it runs: each command is one map operation.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_block.h"
#include "xdp_common.h"

#ifndef SW_HAVE_XDP

int xdp_block_main(const char *cmd, int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: sipwallctl %s add|del|list|gc ...\n\nThe XDP prefilter's blocklist. This sipwallctl was "
		       "built without XDP support (needs clang, bpftool, libbpf and libxdp).\n", cmd);
		return 0;
	}
	fprintf(stderr, "sipwallctl %s: built without XDP support\n", cmd);
	return 1;
}

#else

struct block_subcommand {
	const char *name;
	int (*run)(const char *cmd, int argc, char **argv);
	const char *args;
	const char *summary;
};

/* How the user reached this group ("xdp block"), for usage; set by xdp_block_main(). */
static const char *block_group = "block";

static void block_usage(FILE *f);

/* "90", "90s", "15m", "2h", "7d" -> seconds; 0 for "0". Returns -EINVAL when malformed or absurdly large. */
static int parse_ttl(const char *s, uint64_t *out)
{
	static const struct {
		char suffix;
		uint64_t mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	uint64_t mult = 1;
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		bool known = false;

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (end[0] == units[i].suffix && !end[1]) {
				mult = units[i].mult;
				known = true;
			}
		if (!known)
			return -EINVAL;
	}
	if (v > 100ULL * 365 * 86400 / mult) /* a century: beyond it is a typo */
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_prefix_arg(const char *cmd, const char *arg, struct sw_prefix *p)
{
	if (!sw_prefix_parse(arg, p))
		return 0;
	fprintf(stderr, "sipwallctl %s: bad prefix '%s' (expected ADDRESS or ADDRESS/LENGTH, IPv4 or IPv6)\n", cmd,
		arg);
	return -EINVAL;
}

static int do_add(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	struct sw_xdp_maps m;
	struct sw_prefix p;
	char buf[64];
	uint64_t ttl = 0;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_ttl(optarg, &ttl)) {
				fprintf(stderr, "sipwallctl %s: bad --ttl '%s' (seconds, or N with s, m, h or d)\n", cmd,
					optarg);
				return 1;
			}
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			block_usage(stdout);
			return 0;
		default:
			block_usage(stderr);
			return 1;
		}
	}
	if (optind != argc - 1) {
		block_usage(stderr);
		return 1;
	}
	if (parse_prefix_arg(cmd, argv[optind], &p) || xdp_cli_need_root(cmd) || xdp_cli_open_maps(cmd, &m))
		return 1;
	if (reason && strlen(reason) >= SW_BLOCK_REASON_LEN)
		fprintf(stderr, "sipwallctl %s: reason truncated to %d bytes\n", cmd, SW_BLOCK_REASON_LEN - 1);
	err = sw_block_add(&m, &p, ttl, reason);
	sw_xdp_maps_close(&m);
	sw_prefix_format(&p, buf, sizeof(buf));
	if (err) {
		xdp_cli_error(cmd, buf, err);
		return 1;
	}
	if (ttl)
		printf("blocked %s for %" PRIu64 "s\n", buf, ttl);
	else
		printf("blocked %s\n", buf);
	return 0;
}

static int do_del(const char *cmd, int argc, char **argv)
{
	struct sw_xdp_maps m;
	struct sw_prefix p;
	char buf[64];
	int err;

	if (argc == 2 && xdp_cli_is_help(argv[1])) {
		block_usage(stdout);
		return 0;
	}
	if (argc != 2) {
		block_usage(stderr);
		return 1;
	}
	if (parse_prefix_arg(cmd, argv[1], &p) || xdp_cli_need_root(cmd) || xdp_cli_open_maps(cmd, &m))
		return 1;
	err = sw_block_del(&m, &p);
	sw_xdp_maps_close(&m);
	sw_prefix_format(&p, buf, sizeof(buf));
	if (err == -ENOENT) {
		fprintf(stderr, "sipwallctl %s: %s is not in the blocklist\n", cmd, buf);
		return 1;
	}
	if (err) {
		xdp_cli_error(cmd, buf, err);
		return 1;
	}
	printf("unblocked %s\n", buf);
	return 0;
}

struct list_state {
	bool json;
	bool first;
	uint64_t now;
};

static int print_entry(const struct sw_prefix *p, const struct sw_block_val *v, void *arg)
{
	struct list_state *st = arg;
	bool expired = sw_block_expired(v, st->now);
	char pfx[64], exp[32], reason[SW_BLOCK_REASON_LEN];

	sw_prefix_format(p, pfx, sizeof(pfx));
	memcpy(reason, v->reason, sizeof(reason));
	reason[sizeof(reason) - 1] = '\0'; /* the map is writable by anyone with access: do not trust the NUL */
	if (st->json) {
		printf("%s{\"prefix\":\"%s\",\"created_ns\":%llu,\"expires_ns\":%llu,", st->first ? "" : ",", pfx,
		       (unsigned long long)v->created_ns, (unsigned long long)v->expires_ns);
		if (v->expires_ns && !expired)
			printf("\"ttl_s\":%llu,", (unsigned long long)((v->expires_ns - st->now) / 1000000000ULL));
		else
			printf("\"ttl_s\":null,");
		printf("\"age_s\":%llu,", (unsigned long long)(st->now > v->created_ns ?
								 (st->now - v->created_ns) / 1000000000ULL : 0));
		printf("\"expired\":%s,\"hits\":%llu,\"reason\":", expired ? "true" : "false",
		       (unsigned long long)v->hits);
		json_print_string(stdout, reason);
		putchar('}');
	} else {
		if (!v->expires_ns)
			snprintf(exp, sizeof(exp), "never");
		else if (expired)
			snprintf(exp, sizeof(exp), "expired");
		else
			snprintf(exp, sizeof(exp), "in %llus",
				 (unsigned long long)((v->expires_ns - st->now + 999999999ULL) / 1000000000ULL));
		printf("%-43s %10llus %-12s %12llu  %s\n", pfx,
		       (unsigned long long)(st->now > v->created_ns ? (st->now - v->created_ns) / 1000000000ULL : 0), exp,
		       (unsigned long long)v->hits, reason);
	}
	st->first = false;
	return 0;
}

static int do_list(const char *cmd, int argc, char **argv)
{
	struct list_state st = { .first = true, .now = sw_xdp_now_ns() };
	struct sw_xdp_maps m;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			st.json = true;
		} else if (xdp_cli_is_help(argv[i])) {
			block_usage(stdout);
			return 0;
		} else {
			block_usage(stderr);
			return 1;
		}
	}
	if (xdp_cli_need_root(cmd) || xdp_cli_open_maps(cmd, &m))
		return 1;
	if (st.json)
		putchar('[');
	else
		printf("%-43s %11s %-12s %12s  %s\n", "PREFIX", "AGE", "EXPIRES", "HITS", "REASON");
	err = sw_block_foreach(&m, print_entry, &st);
	if (st.json)
		puts("]");
	sw_xdp_maps_close(&m);
	if (err) {
		xdp_cli_error(cmd, "reading the blocklist", err);
		return 1;
	}
	return 0;
}

static int do_gc(const char *cmd, int argc, char **argv)
{
	struct sw_xdp_maps m;
	unsigned int n = 0;
	int err;

	if (argc == 2 && xdp_cli_is_help(argv[1])) {
		block_usage(stdout);
		return 0;
	}
	if (argc != 1) {
		block_usage(stderr);
		return 1;
	}
	if (xdp_cli_need_root(cmd) || xdp_cli_open_maps(cmd, &m))
		return 1;
	err = sw_block_gc(&m, &n);
	sw_xdp_maps_close(&m);
	if (err) {
		xdp_cli_error(cmd, "deleting expired entries", err);
		return 1;
	}
	printf("deleted %u expired entr%s\n", n, n == 1 ? "y" : "ies");
	return 0;
}

static const struct block_subcommand block_cmds[] = {
	{ "add", do_add, "PREFIX [--ttl SECONDS] [--reason TEXT]", "drop UDP to SIP ports from PREFIX (replaces)" },
	{ "del", do_del, "PREFIX", "remove the entry for exactly PREFIX" },
	{ "list", do_list, "[-j|--json]", "entries with age, expiry, hits and reason" },
	{ "gc", do_gc, "", "delete expired entries (the program already ignores them)" },
};

static void block_usage(FILE *f)
{
	const char *cmd = block_group;

	for (size_t i = 0; i < sizeof(block_cmds) / sizeof(block_cmds[0]); i++)
		fprintf(f, "%s sipwallctl %s %s %s\n", i ? "      " : "Usage:", cmd, block_cmds[i].name,
			block_cmds[i].args);
	fprintf(f, "\n");
	for (size_t i = 0; i < sizeof(block_cmds) / sizeof(block_cmds[0]); i++)
		fprintf(f, "  %-5s %s\n", block_cmds[i].name, block_cmds[i].summary);
	fprintf(f, "\nPREFIX is ADDRESS or ADDRESS/LENGTH, IPv4 or IPv6; host bits are cleared. --ttl takes seconds\n"
		   "or N followed by s, m, h or d; without it the entry never expires. Maps: %s ($%s).\n",
		sw_xdp_pin_root(), SW_XDP_PIN_ROOT_ENV);
}

int xdp_block_main(const char *cmd, int argc, char **argv)
{
	char sub[64];

	block_group = cmd;
	xdp_cli_logging();
	if (argc < 2) {
		block_usage(stderr);
		return 1;
	}
	if (xdp_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		block_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(block_cmds) / sizeof(block_cmds[0]); i++) {
		if (strcmp(argv[1], block_cmds[i].name))
			continue;
		snprintf(sub, sizeof(sub), "%s %s", cmd, block_cmds[i].name);
		return block_cmds[i].run(sub, argc - 1, argv + 1);
	}
	fprintf(stderr, "sipwallctl %s: unknown subcommand '%s' (try 'sipwallctl %s --help')\n", cmd, argv[1], cmd);
	return 1;
}

#endif

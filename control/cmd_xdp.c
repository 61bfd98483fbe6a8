// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl xdp: attach the XDP prefilter to an interface on its own (libxdp, in front of a kernel SIP server or of
 * DPDK), detach it, adopt a copy DPDK loaded, show status and counters, change its configuration at run time, and
 * edit its blocklist (xdp_block.c). Everything goes through the maps pinned under the pin root (libswxdp).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sw_cli.h"
#include "xdp_block.h"
#include "xdp_common.h"

#ifndef SW_HAVE_XDP

int do_xdp(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "sipwallctl %s: built without XDP support (needs clang, bpftool, libbpf and libxdp)\n",
		argv[0]);
	return 1;
}

#else

#include "policy.h"

struct xdp_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *summary;
};

static void xdp_usage(FILE *f);

static int iface_index(const char *cmd, const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx)
		fprintf(stderr, "sipwallctl %s: interface '%s' not found\n", cmd, name);
	return (int)idx;
}

/* The prefilter configuration from a policy file's dataplane.sip_ports and prefilter section. */
static int cfg_from_policy_file(const char *cmd, const char *path, struct sw_xdp_cfg *cfg)
{
	struct policy_error perr = {};
	struct sw_policy *p = policy_load_file(path, &perr);
	char msg[1024];

	if (!p) {
		policy_error_format(&perr, msg, sizeof(msg));
		fprintf(stderr, "sipwallctl %s: %s\n", cmd, msg);
		return -EINVAL;
	}
	sw_xdp_cfg_from_policy(cfg, p);
	policy_free(p);
	if (sw_xdp_cfg_validate(cfg)) {
		fprintf(stderr, "sipwallctl %s: %s: prefilter settings out of range (min_payload > max_payload?)\n", cmd,
			path);
		return -EINVAL;
	}
	return 0;
}

static int do_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "xdp attach", *policy = NULL;
	struct sw_xdp_attach_opts ao = { .mode = SW_XDP_MODE_AUTO };
	struct sw_xdp_cfg *cfg = NULL;
	struct sw_xdp_iface info;
	int c, ifindex, err, rc = 1;

	optind = 0;
	while ((c = getopt_long(argc, argv, "m:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (sw_xdp_mode_parse(optarg, &ao.mode)) {
				fprintf(stderr, "sipwallctl %s: bad --mode '%s' (auto, native or skb)\n", cmd, optarg);
				return 1;
			}
			break;
		case 'p':
			policy = optarg;
			break;
		case 'h':
			xdp_usage(stdout);
			return 0;
		default:
			xdp_usage(stderr);
			return 1;
		}
	}
	if (optind != argc - 1) {
		xdp_usage(stderr);
		return 1;
	}
	if (xdp_cli_need_root(cmd))
		return 1;
	ifindex = iface_index(cmd, argv[optind]);
	if (!ifindex)
		return 1;
	if (policy) {
		cfg = malloc(sizeof(*cfg));
		if (!cfg || cfg_from_policy_file(cmd, policy, cfg))
			goto out;
		ao.cfg = cfg;
	}
	xdp_cli_log_hold();
	err = sw_xdp_attach(ifindex, &ao, &info);
	xdp_cli_log_release(err != 0);
	if (err == -EEXIST)
		fprintf(stderr, "sipwallctl %s: %s: sipwall's XDP program is already attached (detach it first)\n", cmd,
			argv[optind]);
	else if (err == -EBUSY)
		fprintf(stderr, "sipwallctl %s: %s: another XDP program is attached (see 'ip link show %s')\n", cmd,
			argv[optind], argv[optind]);
	else if (err == -ENOTSUP)
		fprintf(stderr, "sipwallctl %s: %s is not on a BPF filesystem (mount -t bpf bpf DIR)\n", cmd,
			sw_xdp_pin_root());
	else if (err)
		xdp_cli_error(cmd, argv[optind], err);
	if (err)
		goto out;
	printf("attached %s (prog id %u) to %s in %s mode; maps at %s\n", info.prog_name, info.prog_id, info.name,
	       sw_xdp_mode_name(info.mode), sw_xdp_pin_root());
	rc = 0;
out:
	free(cfg);
	return rc;
}

static int one_iface_arg(const char *cmd, int argc, char **argv)
{
	if (argc == 2 && xdp_cli_is_help(argv[1])) {
		xdp_usage(stdout);
		return 0;
	}
	if (argc != 2) {
		xdp_usage(stderr);
		return -1;
	}
	if (xdp_cli_need_root(cmd))
		return -1;
	return iface_index(cmd, argv[1]) ? 1 : -1;
}

static int do_detach(int argc, char **argv)
{
	const char *cmd = "xdp detach";
	int rc = one_iface_arg(cmd, argc, argv), err;

	if (rc <= 0)
		return rc ? 1 : 0;
	err = sw_xdp_detach((int)if_nametoindex(argv[1]));
	if (err == -ENOENT)
		fprintf(stderr, "sipwallctl %s: %s: no XDP program attached\n", cmd, argv[1]);
	else if (err == -EBUSY)
		fprintf(stderr, "sipwallctl %s: %s: the XDP program attached is not sipwall's; left alone\n", cmd,
			argv[1]);
	else if (err)
		xdp_cli_error(cmd, argv[1], err);
	if (err)
		return 1;
	printf("detached from %s (maps stay pinned at %s)\n", argv[1], sw_xdp_pin_root());
	return 0;
}

static int do_adopt(int argc, char **argv)
{
	const char *cmd = "xdp adopt";
	int rc = one_iface_arg(cmd, argc, argv), err;

	if (rc <= 0)
		return rc ? 1 : 0;
	err = sw_xdp_adopt((int)if_nametoindex(argv[1]), NULL, NULL);
	if (err == -ENOENT)
		fprintf(stderr, "sipwallctl %s: %s: no sipwall XDP program attached\n", cmd, argv[1]);
	else if (err)
		xdp_cli_error(cmd, argv[1], err);
	if (err)
		return 1;
	printf("pinned the maps of the program on %s at %s\n", argv[1], sw_xdp_pin_root());
	return 0;
}

static void print_ports(const struct sw_xdp_cfg *cfg, bool json)
{
	bool first = true;

	for (uint32_t p = 0; p < 65536; p++) {
		if (!sw_xdp_cfg_port_test(cfg, (uint16_t)p))
			continue;
		printf("%s%u", first ? "" : ",", p);
		first = false;
	}
	if (first && !json)
		printf("none");
}

static void print_cfg(const struct sw_xdp_cfg *cfg, bool json)
{
	if (json) {
		printf("{\"generation\":%u,\"sip_ports\":[", cfg->generation);
		print_ports(cfg, true);
		printf("],\"min_payload\":%u,\"max_payload\":%u,\"rate_pps\":%u,\"rate_burst\":%u,"
		       "\"rate_ipv4_prefix_len\":%u,\"rate_ipv6_prefix_len\":%u,\"allow_fragments\":%s}",
		       cfg->min_payload, cfg->max_payload, cfg->rate_pps, cfg->rate_burst, cfg->rate_v4_prefix,
		       cfg->rate_v6_prefix, cfg->flags & SW_XDP_F_ALLOW_FRAGMENTS ? "true" : "false");
		return;
	}
	printf("config (generation %u%s):\n  sip ports      ", cfg->generation,
	       cfg->generation ? "" : ", never written: the program uses its built-in defaults");
	print_ports(cfg, false);
	printf("\n  payload bytes  %u..%u\n", cfg->min_payload, cfg->max_payload);
	if (cfg->rate_pps)
		printf("  rate           %u pps, burst %u, per /%u (IPv4) and /%u (IPv6)\n", cfg->rate_pps,
		       cfg->rate_burst ? cfg->rate_burst : cfg->rate_pps, cfg->rate_v4_prefix, cfg->rate_v6_prefix);
	else
		printf("  rate           no limit\n");
	printf("  fragments      %s\n", cfg->flags & SW_XDP_F_ALLOW_FRAGMENTS ? "allowed" : "dropped");
}

/* Every interface of this network namespace with sipwall's program attached. */
static void print_ifaces(bool json)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct sw_xdp_iface q;
	bool first = true;

	if (json)
		printf("\"interfaces\":[");
	else
		printf("interfaces:\n");
	for (i = ifs; i && i->if_index; i++) {
		if (sw_xdp_query((int)i->if_index, sw_xdp_pin_root(), &q) || !q.ours)
			continue;
		if (json)
			printf("%s{\"name\":\"%s\",\"ifindex\":%d,\"prog_id\":%u,\"prog_name\":\"%s\",\"mode\":\"%s\","
			       "\"shared_maps\":%s}",
			       first ? "" : ",", q.name, q.ifindex, q.prog_id, q.prog_name, sw_xdp_mode_name(q.mode),
			       q.shared_maps ? "true" : "false");
		else
			printf("  %-16s ifindex %-4d prog %s id %u, %s mode, %s\n", q.name, q.ifindex, q.prog_name,
			       q.prog_id, sw_xdp_mode_name(q.mode),
			       q.shared_maps ? "pinned maps" : "own maps (not the pinned ones: 'xdp adopt' it)");
		first = false;
	}
	if (json)
		printf("]");
	else if (first)
		printf("  (none in this network namespace)\n");
	if (ifs)
		if_freenameindex(ifs);
}

struct block_count {
	uint64_t now;
	unsigned int v4, v6, expired;
};

static int count_entry(const struct sw_prefix *p, const struct sw_block_val *v, void *arg)
{
	struct block_count *bc = arg;

	if (p->family == 4)
		bc->v4++;
	else
		bc->v6++;
	bc->expired += sw_block_expired(v, bc->now);
	return 0;
}

static int print_maps(const struct sw_xdp_maps *m, bool json)
{
	struct block_count bc = { .now = sw_xdp_now_ns() };
	uint64_t counters[SW_XDP_C_MAX];
	struct sw_xdp_cfg *cfg = malloc(sizeof(*cfg));
	int err = cfg ? 0 : -ENOMEM;

	if (!err)
		err = sw_xdp_cfg_read(m->cfg, cfg);
	if (!err)
		err = sw_xdp_counters_read(m->stats, counters);
	if (!err)
		err = sw_block_foreach(m, count_entry, &bc);
	if (err)
		goto out;
	printf(json ? ",\"config\":" : "");
	print_cfg(cfg, json);
	printf(json ? ",\"counters\":{" : "counters (packets, all CPUs):\n");
	for (int k = 0; k < SW_XDP_C_MAX; k++) {
		if (json)
			printf("%s\"%s\":%" PRIu64, k ? "," : "", sw_xdp_counter_names[k], counters[k]);
		else
			printf("  %-16s %14" PRIu64 "  %s\n", sw_xdp_counter_names[k], counters[k],
			       sw_xdp_counter_help[k]);
	}
	if (json)
		printf("},\"blocklist\":{\"ipv4\":%u,\"ipv6\":%u,\"expired\":%u}", bc.v4, bc.v6, bc.expired);
	else
		printf("blocklist: %u IPv4 and %u IPv6 entries, %u of them expired\n", bc.v4, bc.v6, bc.expired);
out:
	free(cfg);
	return err;
}

static int do_status(int argc, char **argv)
{
	const char *cmd = "xdp status";
	struct sw_xdp_maps m;
	bool json = false, pinned;
	int err = 0, oerr;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (xdp_cli_is_help(argv[i])) {
			xdp_usage(stdout);
			return 0;
		} else {
			xdp_usage(stderr);
			return 1;
		}
	}
	if (xdp_cli_need_root(cmd))
		return 1;
	/* Not pinned is a state (nothing attached yet); unreadable pins are an error, reported after the rest. */
	oerr = sw_xdp_maps_open(NULL, &m);
	pinned = !oerr;
	if (json) {
		printf("{\"pin_root\":");
		json_print_string(stdout, sw_xdp_pin_root());
		printf(",\"maps_pinned\":%s,", pinned ? "true" : "false");
	} else {
		printf("maps: %s (%s)\n", sw_xdp_pin_root(), pinned ? "pinned" : "not pinned: nothing attached yet");
	}
	print_ifaces(json);
	if (pinned) {
		err = print_maps(&m, json);
		sw_xdp_maps_close(&m);
	}
	if (json)
		printf("}\n");
	if (oerr && oerr != -ENOENT) {
		xdp_cli_maps_error(cmd, oerr);
		return 1;
	}
	if (err) {
		xdp_cli_error(cmd, "reading the maps", err);
		return 1;
	}
	return 0;
}

/* A decimal in [min, max]. */
static int parse_u32(const char *cmd, const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (*s == '-' || sw_cli_parse_u32(s, max, &v) < 0 || v < min) {
		fprintf(stderr, "sipwallctl %s: bad --%s '%s' (%u..%u)\n", cmd, opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "5060,5061" -> the port bitmap, replacing the one in cfg. */
static int parse_ports(const char *cmd, const char *s, struct sw_xdp_cfg *cfg)
{
	char *dup = strdup(s), *save = NULL, *tok;
	uint32_t port;
	int err = dup ? 0 : -ENOMEM;

	if (!err) {
		memset(cfg->sip_ports, 0, sizeof(cfg->sip_ports));
		cfg->nports = 0;
	}
	for (tok = dup ? strtok_r(dup, ",", &save) : NULL; !err && tok; tok = strtok_r(NULL, ",", &save)) {
		err = parse_u32(cmd, "ports", tok, 1, 65535, &port);
		if (!err)
			sw_xdp_cfg_port_set(cfg, (uint16_t)port, true);
	}
	if (!err && !cfg->nports) {
		fprintf(stderr, "sipwallctl %s: --ports needs at least one port\n", cmd);
		err = -EINVAL;
	}
	free(dup);
	return err;
}

enum { OPT_MIN = 256, OPT_MAX, OPT_PPS, OPT_BURST, OPT_P4, OPT_P6, OPT_FRAG, OPT_PORTS };

/* One command-line setting on top of cfg. */
static int cfg_option(const char *cmd, int c, const char *arg, struct sw_xdp_cfg *cfg)
{
	uint32_t v;
	int err = 0;

	switch (c) {
	case OPT_PORTS:
		return parse_ports(cmd, arg, cfg);
	case OPT_MIN:
		err = parse_u32(cmd, "min-payload", arg, 0, 65507, &cfg->min_payload);
		break;
	case OPT_MAX:
		err = parse_u32(cmd, "max-payload", arg, 1, 65507, &cfg->max_payload);
		break;
	case OPT_PPS:
		err = parse_u32(cmd, "rate-pps", arg, 0, 100000000, &cfg->rate_pps);
		break;
	case OPT_BURST:
		err = parse_u32(cmd, "rate-burst", arg, 0, 100000000, &cfg->rate_burst);
		break;
	case OPT_P4:
		err = parse_u32(cmd, "rate-prefix4", arg, 0, 32, &v);
		if (!err)
			cfg->rate_v4_prefix = (uint8_t)v;
		break;
	case OPT_P6:
		err = parse_u32(cmd, "rate-prefix6", arg, 0, 128, &v);
		if (!err)
			cfg->rate_v6_prefix = (uint8_t)v;
		break;
	case OPT_FRAG:
		if (!strcmp(arg, "allow")) {
			cfg->flags |= SW_XDP_F_ALLOW_FRAGMENTS;
		} else if (!strcmp(arg, "drop")) {
			cfg->flags &= ~SW_XDP_F_ALLOW_FRAGMENTS;
		} else {
			fprintf(stderr, "sipwallctl %s: bad --fragments '%s' (allow or drop)\n", cmd, arg);
			err = -EINVAL;
		}
		break;
	}
	return err;
}

static int do_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "min-payload", required_argument, NULL, OPT_MIN },
		{ "max-payload", required_argument, NULL, OPT_MAX },
		{ "rate-pps", required_argument, NULL, OPT_PPS },
		{ "rate-burst", required_argument, NULL, OPT_BURST },
		{ "rate-prefix4", required_argument, NULL, OPT_P4 },
		{ "rate-prefix6", required_argument, NULL, OPT_P6 },
		{ "fragments", required_argument, NULL, OPT_FRAG },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "xdp config", *policy = NULL;
	struct sw_xdp_cfg *cfg = malloc(sizeof(*cfg));
	struct { int c; const char *arg; } set[16];
	struct sw_xdp_maps m = { .cfg = -1, .stats = -1, .block4 = -1, .block6 = -1, .rate = -1, .frag = -1 };
	int c, nset = 0, rc = 1, err;
	bool json = false;

	if (!cfg)
		return 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:jh", opts, NULL)) != -1) {
		if (c == 'p') {
			policy = optarg;
		} else if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			xdp_usage(stdout);
			rc = 0;
			goto out;
		} else if (c >= OPT_MIN && nset < (int)(sizeof(set) / sizeof(set[0]))) {
			set[nset].c = c;
			set[nset++].arg = optarg;
		} else {
			xdp_usage(stderr);
			goto out;
		}
	}
	if (optind != argc) {
		xdp_usage(stderr);
		goto out;
	}
	if (xdp_cli_need_root(cmd) || xdp_cli_open_maps(cmd, &m))
		goto out;
	err = policy ? cfg_from_policy_file(cmd, policy, cfg) : sw_xdp_cfg_read(m.cfg, cfg);
	if (err && !policy)
		xdp_cli_error(cmd, "reading the configuration", err);
	if (err)
		goto out;
	/* Options apply on top of the policy file, or of the configuration in force. */
	for (int i = 0; i < nset; i++)
		if (cfg_option(cmd, set[i].c, set[i].arg, cfg))
			goto out;
	if (policy || nset) {
		if (sw_xdp_cfg_validate(cfg)) {
			fprintf(stderr, "sipwallctl %s: min-payload must not exceed max-payload\n", cmd);
			goto out;
		}
		err = sw_xdp_cfg_write(m.cfg, cfg);
		if (err) {
			xdp_cli_error(cmd, "writing the configuration", err);
			goto out;
		}
	}
	print_cfg(cfg, json);
	if (json)
		putchar('\n');
	rc = 0;
out:
	sw_xdp_maps_close(&m);
	free(cfg);
	return rc;
}

static int do_xdp_block(int argc, char **argv)
{
	return xdp_block_main("xdp block", argc, argv);
}

static const struct xdp_subcommand xdp_cmds[] = {
	{ "attach", do_attach, "IFACE [--mode auto|native|skb] [--policy FILE]",
	  "load the prefilter and attach it to IFACE (maps shared through the pin root)" },
	{ "detach", do_detach, "IFACE", "detach it from IFACE (the pinned maps stay)" },
	{ "adopt", do_adopt, "IFACE", "pin the maps of a copy loaded by someone else (DPDK's net_af_xdp)" },
	{ "status", do_status, "[-j|--json]", "interfaces, configuration, counters, blocklist size" },
	{ "config", do_config,
	  "[--policy FILE] [--ports P,...] [--min-payload N] [--max-payload N] [--rate-pps N]\n"
	  "                          [--rate-burst N] [--rate-prefix4 N] [--rate-prefix6 N] [--fragments allow|drop] [-j]",
	  "show the configuration, or change it at run time" },
	{ "block", do_xdp_block, "add|del|list|gc ...", "the blocklist (sipwallctl xdp block --help)" },
};

static void xdp_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof(xdp_cmds) / sizeof(xdp_cmds[0]); i++)
		fprintf(f, "%s sipwallctl xdp %s %s\n", i ? "      " : "Usage:", xdp_cmds[i].name, xdp_cmds[i].args);
	fprintf(f, "\n");
	for (size_t i = 0; i < sizeof(xdp_cmds) / sizeof(xdp_cmds[0]); i++)
		fprintf(f, "  %-7s %s\n", xdp_cmds[i].name, xdp_cmds[i].summary);
	fprintf(f, "\nMaps are pinned at %s ($%s overrides). --mode auto is native where the driver\n"
		   "supports it, else skb. A policy file gives dataplane.sip_ports and the prefilter section.\n"
		   "$SIPWALL_DEBUG=1 shows libbpf's and libxdp's logs.\n",
		sw_xdp_pin_root(), SW_XDP_PIN_ROOT_ENV);
}

int do_xdp(int argc, char **argv)
{
	xdp_cli_logging();
	if (argc < 2) {
		xdp_usage(stderr);
		return 1;
	}
	if (xdp_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		xdp_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(xdp_cmds) / sizeof(xdp_cmds[0]); i++)
		if (!strcmp(argv[1], xdp_cmds[i].name))
			return xdp_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sipwallctl xdp: unknown subcommand '%s' (try 'sipwallctl xdp --help')\n", argv[1]);
	return 1;
}

#endif

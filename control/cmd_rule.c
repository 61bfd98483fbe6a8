// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl rule (add, del, list, stats) and limits (set): edit the running policy without a file. The daemon
 * builds each change as a new version of the running policy, compiles it off the packet path, commits it and
 * writes it back to its policy file (docs/control.md); these commands only shape the request and print the answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ctl_client.h"

/* "WHAT: policy version N (compile X ms, swap Y ms)" after a change; arg is WHAT. */
static void print_change(json_t *r, const void *arg)
{
	const char *what = arg;

	printf("%s: policy version %lld (compile %.3f ms, swap %.3f ms)\n", what, ctl_int(r, "version"),
	       ctl_num(r, "compile_ms"), ctl_num(r, "swap_ms"));
	if (!json_is_true(json_object_get(r, "saved")))
		fprintf(stderr, "sipwallctl: warning: running but not written back: %s\n",
			json_string_value(json_object_get(r, "save_error")));
}

static void add_usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl rule add ID --where WHERE (--literal TEXT | --regex RE)... [--caseless]\n"
		   "                          --action drop|reply|pass|count [--status N] [--reason TEXT]\n"
		   "                          [--before ID] [-j|--json]\n\n"
		   "Add a rule to the running policy (a new version). WHERE is 'header NAME', any-header, method,\n"
		   "request-uri, body or message; --literal and --regex repeat; --status 400..699 and --reason with\n"
		   "--action reply. The rule goes last, or before rule ID with --before. Checked exactly as a rule in a\n"
		   "policy file (docs/rules.md); a rule that does not load or compile changes nothing (exit 1).\n");
}

static int do_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "where", required_argument, NULL, 'w' },  { "literal", required_argument, NULL, 'l' },
		{ "regex", required_argument, NULL, 'r' },  { "caseless", no_argument, NULL, 'c' },
		{ "action", required_argument, NULL, 'a' }, { "status", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'R' }, { "before", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *rule = json_object(), *lits = json_array(), *res = json_array(), *req;
	const char *before = NULL;
	bool json = false;
	char *end, what[160];
	long status;
	int c, rc = 1;

	optind = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'w': json_object_set_new(rule, "where", json_string(optarg)); break;
		case 'l': json_array_append_new(lits, json_string(optarg)); break;
		case 'r': json_array_append_new(res, json_string(optarg)); break;
		case 'c': json_object_set_new(rule, "caseless", json_true()); break;
		case 'a': json_object_set_new(rule, "action", json_string(optarg)); break;
		case 'R': json_object_set_new(rule, "reason", json_string(optarg)); break;
		case 'b': before = optarg; break;
		case 'j': json = true; break;
		case 's':
			status = strtol(optarg, &end, 10);
			if (*end || end == optarg || status < 0 || status > 999) {
				fprintf(stderr, "sipwallctl rule add: bad --status '%s' (a number, 400..699)\n", optarg);
				goto out;
			}
			json_object_set_new(rule, "status", json_integer(status));
			break;
		case 'h':
			add_usage(stdout);
			rc = 0;
			goto out;
		default:
			add_usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sipwallctl rule add: %s\n", optind < argc ? "one ID only" : "missing ID");
		add_usage(stderr);
		goto out;
	}
	/* a NULL value (not UTF-8) makes json_object_set_new fail: check the fields made it */
	json_object_set_new(rule, "id", json_string(argv[optind]));
	if (!json_object_get(rule, "id") || json_array_size(lits) + json_array_size(res) == 0 ||
	    !json_object_get(rule, "where") || !json_object_get(rule, "action")) {
		fprintf(stderr, "sipwallctl rule add: needs ID, --where, --action and at least one --literal or "
				"--regex (UTF-8 text)\n");
		goto out;
	}
	if (json_array_size(lits))
		json_object_set(rule, "literal", lits);
	if (json_array_size(res))
		json_object_set(rule, "regex", res);
	req = json_pack("{s:s,s:O}", "cmd", "rule.add", "rule", rule);
	if (before)
		json_object_set_new(req, "before", json_string(before));
	snprintf(what, sizeof(what), "rule %s added", argv[optind]);
	rc = ctl_call_print("rule add", req, json, print_change, what);
out:
	json_decref(rule);
	json_decref(lits);
	json_decref(res);
	return rc;
}

/* [-j] and exactly nargs positional arguments into pos[]; the usage follows an error. As ctl_parse_args(). */
static int simple_args(int argc, char **argv, int nargs, const char **pos, bool *json, const char *usage)
{
	const struct ctl_args spec = { .usage = usage, .missing = "argument", .npos = nargs, .usage_on_error = true };

	return ctl_parse_args(argc, argv, &spec, pos, json);
}

static int do_del(int argc, char **argv)
{
	const char *id;
	bool json = false;
	char what[160];
	int rc = simple_args(argc, argv, 1, &id, &json,
			     "Usage: sipwallctl rule del ID [-j|--json]\n\n"
			     "Remove rule ID from the running policy (a new version).\n");

	if (rc)
		return rc > 0;
	snprintf(what, sizeof(what), "rule %.64s deleted", id);
	return ctl_call_print("rule del", json_pack("{s:s,s:s}", "cmd", "rule.del", "id", id), json, print_change, what);
}

static void print_patterns(json_t *rule, const char *key, const char *label)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(rule, key), i, v)
		printf(" %s \"%s\"", label, json_string_value(v));
}

/* index, id, action[ status], where, patterns: one line a rule */
static void print_rules(json_t *r, const void *unused)
{
	json_t *rule;
	size_t i;

	(void)unused;
	printf("policy version %lld, %zu rules\n", ctl_int(r, "version"), json_array_size(json_object_get(r, "rules")));
	json_array_foreach(json_object_get(r, "rules"), i, rule) {
		printf("%4lld  %-24s %-6s", ctl_int(rule, "index"), json_string_value(json_object_get(rule, "id")),
		       json_string_value(json_object_get(rule, "action")));
		if (json_object_get(rule, "status"))
			printf(" %lld", ctl_int(rule, "status"));
		printf("  where %s", json_string_value(json_object_get(rule, "where")));
		print_patterns(rule, "literal", "literal");
		print_patterns(rule, "regex", "regex");
		if (json_is_true(json_object_get(rule, "caseless")))
			printf(" caseless");
		putchar('\n');
	}
}

/* A query without arguments but [-j]: the request {"cmd": request}, its answer printed by print (or as JSON). */
static int query(int argc, char **argv, const char *cmd, const char *request, const char *usage,
		 void (*print)(json_t *r, const void *arg))
{
	bool json = false;
	int rc = simple_args(argc, argv, 0, NULL, &json, usage);

	if (rc)
		return rc > 0;
	return ctl_call_print(cmd, json_pack("{s:s}", "cmd", request), json, print, NULL);
}

static int do_list(int argc, char **argv)
{
	return query(argc, argv, "rule list", "rule.list",
		     "Usage: sipwallctl rule list [-j|--json]\n\n"
		     "The running policy's rules, in order (first match wins): index, id, action, where, patterns.\n"
		     "--json: {\"version\",\"rules\":[{\"index\",\"id\",\"where\",\"literal\",\"regex\",\"caseless\",\n"
		     "\"action\"[,\"status\",\"reason\"]}]}.\n",
		     print_rules);
}

/* a header line, then one line of hits a rule */
static void print_rule_stats(json_t *r, const void *unused)
{
	json_t *rule;
	size_t i;

	(void)unused;
	printf("policy version %lld\n%-24s %-6s %14s %14s %14s %14s %14s\n", ctl_int(r, "version"), "RULE", "ACTION",
	       "MATCHES", "DROPPED", "REPLIED", "PASSED", "COUNTED");
	json_array_foreach(json_object_get(r, "rules"), i, rule)
		printf("%-24s %-6s %14lld %14lld %14lld %14lld %14lld\n", json_string_value(json_object_get(rule, "id")),
		       json_string_value(json_object_get(rule, "action")), ctl_int(rule, "matches"),
		       ctl_int(rule, "dropped"), ctl_int(rule, "replied"), ctl_int(rule, "passed"),
		       ctl_int(rule, "counted"));
}

static int do_rule_stats(int argc, char **argv)
{
	return query(argc, argv, "rule stats", "rule.stats",
		     "Usage: sipwallctl rule stats [-j|--json]\n\n"
		     "Per-rule hits, summed over the workers, since each rule entered the running policy: matches (a\n"
		     "pattern matched), and how often it decided (dropped, replied, passed) or counted. Edits keep\n"
		     "them (carried by rule id). --json: {\"version\",\"rules\":[{\"index\",\"id\",\"action\",\n"
		     "\"matches\",\"dropped\",\"replied\",\"passed\",\"counted\"}]}.\n",
		     print_rule_stats);
}

static int run_table(const char *group, const struct ctl_subcommand *t, size_t n, int argc, char **argv)
{
	if (argc < 2 || ctl_is_help_flag(argv[1]) || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "Usage: sipwallctl %s SUBCOMMAND [ARGS...]\n       sipwallctl %s SUBCOMMAND --help\n\n"
			   "Subcommands (on the running sipwall, through its control socket %s):\n", group, group,
			ctl_socket());
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %-6s %-28s %s\n", t[i].name, t[i].args, t[i].summary);
		return argc < 2;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], t[i].name))
			return t[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sipwallctl %s: unknown subcommand '%s' (try 'sipwallctl %s --help')\n", group, argv[1], group);
	return 1;
}

int do_rule(int argc, char **argv)
{
	static const struct ctl_subcommand cmds[] = {
		{ "add", do_add, "ID --where W --literal X ...", "add a rule (last, or --before ID)" },
		{ "del", do_del, "ID", "remove a rule" },
		{ "list", do_list, "[-j]", "the running rules, in order" },
		{ "stats", do_rule_stats, "[-j]", "per-rule hits (kept across edits)" },
	};

	return run_table("rule", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

static int do_set(int argc, char **argv)
{
	const char *pos[2];
	bool json = false;
	char what[256];
	int rc = simple_args(argc, argv, 2, pos, &json,
			     "Usage: sipwallctl limits set KEY VALUE [-j|--json]\n\n"
			     "Set one key of the running policy (a new version). KEY is a key of the limits: section\n"
			     "(max_message_bytes, max_request_uri_bytes, retry_after_seconds), or SECTION.KEY for any other\n"
			     "(reply_budget.per_prefix_pps, dataplane.sip_ports ...). VALUE is written as in the policy\n"
			     "file ('[5060, 5070]' for a list) and checked by the same loader (docs/policy.md).\n");

	if (rc)
		return rc > 0;
	snprintf(what, sizeof(what), "%.100s = %.100s", pos[0], pos[1]);
	return ctl_call_print("limits set",
			      json_pack("{s:s,s:s,s:s}", "cmd", "limits.set", "key", pos[0], "value", pos[1]), json,
			      print_change, what);
}

int do_limits(int argc, char **argv)
{
	static const struct ctl_subcommand cmds[] = {
		{ "set", do_set, "KEY VALUE", "set a limit (or SECTION.KEY) in the running policy" },
	};

	return run_table("limits", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

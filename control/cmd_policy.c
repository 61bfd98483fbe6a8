// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl policy: validate a policy file (what the dataplane would load), print the defaults, print a file as
 * the loader understood it. Subcommands are a table, like the command groups in sipwallctl.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "policy.h"
#include "rules.h"

struct policy_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *summary;
};

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void report_json(const char *file, const struct sw_policy *p, const struct policy_error *err)
{
	fputs("{\"file\":", stdout);
	json_string(stdout, file);
	if (p) {
		printf(",\"ok\":true,\"rules\":%u}\n", p->nrules);
		return;
	}
	printf(",\"ok\":false,\"line\":%u,\"column\":%u,\"message\":", err->line, err->column);
	json_string(stdout, err->msg);
	fputs("}\n", stdout);
}

static void validate_usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl policy validate FILE [--json] [--no-compile]\n\n"
		   "Load FILE as the dataplane would, rules compiled. Prints 'FILE: ok (N rules)', or\n"
		   "'FILE:LINE:COLUMN: what is wrong' on stderr and exits 1 (a rule that does not compile: 'FILE: rule\n"
		   "\"ID\" (line N): ...'). --json prints one JSON object on stdout either way: {\"file\",\"ok\",\"rules\"}\n"
		   "or {\"file\",\"ok\",\"line\",\"column\",\"message\"} (line 0: no position). --no-compile checks\n"
		   "the file's structure only, not the patterns.\n");
}

/* Compile the rules as the dataplane would (one worker's scratch is enough to know they compile). */
static struct sw_policy *compile(struct sw_policy *p, struct policy_error *err)
{
	if (!p || !p->nrules || !rules_compile(p, 1, err->msg, sizeof(err->msg)))
		return p;
	err->line = err->column = 0;
	policy_free(p);
	return NULL;
}

static int do_validate(int argc, char **argv)
{
	const char *file = NULL;
	struct policy_error err;
	struct sw_policy *p;
	bool json = false, no_compile = false;
	char msg[1024];

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			validate_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--no-compile")) {
			no_compile = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sipwallctl policy validate: unknown option '%s'\n", argv[i]);
			return 1;
		} else if (file) {
			fprintf(stderr, "sipwallctl policy validate: one FILE only ('%s' and '%s')\n", file, argv[i]);
			return 1;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		fprintf(stderr, "sipwallctl policy validate: missing FILE\n");
		validate_usage(stderr);
		return 1;
	}
	p = policy_load_file(file, &err);
	if (!no_compile)
		p = compile(p, &err);
	if (json) {
		report_json(file, p, &err);
	} else if (p) {
		printf("%s: ok (%u rules)\n", file, p->nrules);
	} else {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	if (!p)
		return 1;
	policy_free(p);
	return 0;
}

static int write_policy(const struct sw_policy *p)
{
	int ret = policy_write(p, stdout);

	if (ret) {
		fprintf(stderr, "sipwallctl policy: cannot write the policy: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

static int do_show_defaults(int argc, char **argv)
{
	struct sw_policy p;

	if (argc > 1 && is_help(argv[1])) {
		printf("Usage: sipwallctl policy show-defaults\n\nPrint the default policy as YAML.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "sipwallctl policy show-defaults: unexpected argument '%s'\n", argv[1]);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	policy_defaults(&p);
	return write_policy(&p);
}

static int do_show(int argc, char **argv)
{
	struct policy_error err;
	struct sw_policy *p;
	char msg[1024];
	int ret;

	if (argc > 1 && is_help(argv[1])) {
		printf("Usage: sipwallctl policy show FILE\n\n"
		       "Print FILE as the loader read it: every key with its value, defaults filled in.\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "sipwallctl policy show: %s\n", argc < 2 ? "missing FILE" : "one FILE only");
		return 1;
	}
	p = policy_load_file(argv[1], &err);
	if (!p) {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	ret = write_policy(p);
	policy_free(p);
	return ret;
}

static const struct policy_subcommand subcommands[] = {
	{ "validate", do_validate, "FILE [OPTIONS]", "check a policy file; exit 0 when it loads and compiles" },
	{ "show", do_show, "FILE", "print a policy file as loaded, defaults filled in" },
	{ "show-defaults", do_show_defaults, "", "print the default policy as YAML" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl policy SUBCOMMAND [ARGS...]\n       sipwallctl policy SUBCOMMAND --help\n\n"
		   "Subcommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-14s %-15s %s\n", subcommands[i].name, subcommands[i].args, subcommands[i].summary);
}

int do_policy(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "sipwallctl policy: missing subcommand\n");
		usage(stderr);
		return 1;
	}
	if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sipwallctl policy: unknown subcommand '%s' (try 'sipwallctl policy --help')\n", argv[1]);
	return 1;
}

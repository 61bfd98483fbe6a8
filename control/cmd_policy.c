// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl policy: offline, validate a policy file (what the dataplane would load), print the defaults, print a
 * file as the loader understood it; live, through the daemon's control socket, load a file into the running
 * sipwall, show the running policy and diff a file against it. Subcommands are a table, like the command groups
 * in sipwallctl.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "ctl_client.h"
#include "json.h"
#include "policy.h"
#include "rules.h"

/* A JSON string: quotes, backslashes and control characters escaped. */
static void report_json(const char *file, const struct sw_policy *p, const struct policy_error *err)
{
	fputs("{\"file\":", stdout);
	json_print_string(stdout, file);
	if (p) {
		printf(",\"ok\":true,\"rules\":%u}\n", p->nrules);
		return;
	}
	printf(",\"ok\":false,\"line\":%u,\"column\":%u,\"message\":", err->line, err->column);
	json_print_string(stdout, err->msg);
	fputs("}\n", stdout);
}

static void validate_usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl policy validate FILE [-j|--json] [--no-compile]\n\n"
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
		if (ctl_is_help_flag(argv[i])) {
			validate_usage(stdout);
			return 0;
		} else if (ctl_is_json_flag(argv[i])) {
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

	if (argc > 1 && ctl_is_help_flag(argv[1])) {
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

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl policy show [-j|--json]\n"
		   "       sipwallctl policy show [--file] FILE\n\n"
		   "Without FILE: the policy the running sipwall uses (control socket), as YAML, after a comment with its\n"
		   "version, when it was loaded and by what. --json: {\"version\",\"loaded_at\",\"age_s\",\"source\",\n"
		   "\"file\",\"compile_ms\",\"swap_ms\",\"reloads\",\"reload_failures\",\"rules\",\"yaml\"}.\n"
		   "With FILE: print FILE as the loader read it, every key with its value, defaults filled in.\n");
}

/* The running policy as YAML, after a comment with its version, when it was loaded and by what. */
static void print_running(json_t *r, const void *unused)
{
	time_t t = (time_t)ctl_num(r, "loaded_at");
	char when[64];

	(void)unused;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("# version %lld, loaded %s (%.0f s ago) by %s; %lld rules\n", ctl_int(r, "version"), when,
	       ctl_num(r, "age_s"), json_string_value(json_object_get(r, "source")), ctl_int(r, "rules"));
	fputs(json_string_value(json_object_get(r, "yaml")), stdout);
}

struct sw_policy *ctl_policy_load(const char *file)
{
	struct policy_error err;
	struct sw_policy *p = policy_load_file(file, &err);
	char msg[1024];

	if (!p) {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	return p;
}

static int do_show(int argc, char **argv)
{
	struct sw_policy *p;
	const char *file = NULL;
	bool json = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (ctl_is_help_flag(argv[i])) {
			show_usage(stdout);
			return 0;
		} else if (ctl_is_json_flag(argv[i])) {
			json = true;
		} else if (!strcmp(argv[i], "--file") && i + 1 < argc && !file) {
			file = argv[++i];
		} else if ((argv[i][0] != '-' || !argv[i][1]) && !file) {
			file = argv[i];
		} else {
			fprintf(stderr, "sipwallctl policy show: unexpected argument '%s'\n", argv[i]);
			show_usage(stderr);
			return 1;
		}
	}
	if (!file)
		return ctl_call_print("policy show", json_pack("{s:s}", "cmd", "policy.show"), json, print_running, NULL);
	if (json) {
		fprintf(stderr, "sipwallctl policy show: --json is for the running policy (a FILE prints as YAML)\n");
		return 1;
	}
	p = ctl_policy_load(file);
	if (!p)
		return 1;
	ret = write_policy(p);
	policy_free(p);
	return ret;
}

/* The whole file, for the daemon: read with the caller's own permissions, not the daemon's. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			char *grown = realloc(buf, cap ? cap * 2 : 65536);

			if (!grown) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = grown;
			cap = cap ? cap * 2 : 65536;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int do_load(int argc, char **argv)
{
	static const struct ctl_args spec = {
		.cmd = "policy load",
		.missing = "FILE",
		.npos = 1,
		.usage = "Usage: sipwallctl policy load FILE [-j|--json]\n\n"
			 "Replace the running sipwall's policy with FILE: the daemon compiles it off the packet path,\n"
			 "commits it atomically, waits until every worker runs it, and writes it to its --policy file.\n"
			 "Prints the new version and how long compile and swap took. A policy that does not load or\n"
			 "compile changes nothing: the loader's or compiler's message, exit 1. --json: {\"version\",\n"
			 "\"compile_ms\",\"swap_ms\",\"save_ms\",\"saved\"[,\"save_error\"]}.\n",
	};
	const char *file;
	bool json = false;
	size_t len;
	char *text;
	json_t *r;
	int rc = ctl_parse_args(argc, argv, &spec, &file, &json);

	if (rc)
		return rc > 0;
	text = read_all(file, &len);
	if (!text) {
		fprintf(stderr, "sipwallctl policy load: %s: %s\n", file, strerror(errno));
		return 1;
	}
	r = json_pack("{s:s,s:s,s:s%}", "cmd", "policy.load", "name", file, "text", text, len);
	free(text);
	if (!r) {
		fprintf(stderr, "sipwallctl policy load: %s: not UTF-8 text (JSON carries the policy)\n", file);
		return 1;
	}
	r = ctl_call("policy load", r);
	if (!r)
		return 1;
	if (json)
		ctl_print_json(r);
	else
		printf("policy version %lld loaded from %s: compile %.3f ms, swap %.3f ms\n", ctl_int(r, "version"), file,
		       ctl_num(r, "compile_ms"), ctl_num(r, "swap_ms"));
	if (!json_is_true(json_object_get(r, "saved")))
		fprintf(stderr, "sipwallctl policy load: warning: running but not written back: %s\n",
			json_string_value(json_object_get(r, "save_error")));
	json_decref(r);
	return 0;
}

static const struct ctl_subcommand subcommands[] = {
	{ "validate", do_validate, "FILE [OPTIONS]", "check a policy file; exit 0 when it loads and compiles" },
	{ "load", do_load, "FILE [-j]", "replace the running policy with FILE (new version)" },
	{ "show", do_show, "[-j] | FILE", "the running policy, or a policy file as loaded" },
	{ "diff", do_policy_diff, "FILE [-j]", "what loading FILE would change in the running policy" },
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
	if (ctl_is_help_flag(argv[1]) || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sipwallctl policy: unknown subcommand '%s' (try 'sipwallctl policy --help')\n", argv[1]);
	return 1;
}

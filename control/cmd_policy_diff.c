// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl policy diff FILE: what loading FILE would change in the running policy. Both sides go through the
 * loader and the writer first, so the comparison is of meaning, not of spelling (comments, order of keys, flow or
 * block lists, defaults left out): keys compare as "section.key: value" lines of the writer's canonical YAML, rules
 * by id as their canonical blocks.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ctl_client.h"
#include "policy.h"

#define MAX_KEYS 128

struct canon {
	char *text;                  /* the writer's output, cut in place */
	const char *key[MAX_KEYS];   /* "section.key" ... */
	const char *val[MAX_KEYS];
	char keybuf[MAX_KEYS][128];
	unsigned nkeys;
	const char **rule_id;        /* rule blocks: id and the block's text */
	char **rule_text;
	unsigned nrules;
};

static void canon_free(struct canon *c)
{
	for (unsigned i = 0; i < c->nrules; i++)
		free(c->rule_text[i]);
	free(c->rule_id);
	free(c->rule_text);
	free(c->text);
}

/* Cut the writer's YAML: "section:" lines, "  key: value" lines, then "rules:" and "- id: X" blocks. */
static int canon_parse(struct canon *c, const struct sw_policy *p)
{
	const char *section = "";
	char *line, *save = NULL, *text;
	bool in_rules = false;

	memset(c, 0, sizeof(*c));
	c->text = policy_write_string(p, NULL);
	c->rule_id = calloc(p->nrules + 1, sizeof(*c->rule_id));
	c->rule_text = calloc(p->nrules + 1, sizeof(*c->rule_text));
	if (!c->text || !c->rule_id || !c->rule_text)
		return -1;
	text = strdup(c->text);
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (in_rules) {
			size_t old, add = strlen(line) + 1;

			if (!strncmp(line, "- id: ", 6) && c->nrules < p->nrules) {
				c->rule_id[c->nrules] = p->rules[c->nrules].id;
				c->rule_text[c->nrules++] = calloc(1, 1);
			}
			if (!c->nrules)
				continue;
			old = strlen(c->rule_text[c->nrules - 1]);
			c->rule_text[c->nrules - 1] = realloc(c->rule_text[c->nrules - 1], old + add + 1);
			snprintf(c->rule_text[c->nrules - 1] + old, add + 1, "%s\n", line);
		} else if (line[0] != ' ') {
			char *colon = strchr(line, ':');

			if (colon)
				*colon = '\0';
			section = line;
			in_rules = !strcmp(line, "rules");
		} else if (c->nkeys < MAX_KEYS) {
			char *colon = strchr(line, ':');

			if (!colon)
				continue;
			*colon = '\0';
			snprintf(c->keybuf[c->nkeys], sizeof(c->keybuf[0]), "%s.%s", section, line + 2);
			c->key[c->nkeys] = c->keybuf[c->nkeys];
			c->val[c->nkeys++] = colon[1] == ' ' ? colon + 2 : colon + 1;
		}
	}
	/* the key and value pointers point into text, which lives as long as c */
	free(c->text);
	c->text = text;
	return 0;
}

static int rule_index(const struct canon *c, const char *id)
{
	for (unsigned i = 0; i < c->nrules; i++)
		if (!strcmp(c->rule_id[i], id))
			return (int)i;
	return -1;
}

static void diff_print(const struct canon *a, const struct canon *b, bool json)
{
	json_t *keys = json_array(), *added = json_array(), *removed = json_array(), *changed = json_array(), *o;
	bool order = false;
	unsigned n = 0;

	for (unsigned i = 0; i < a->nkeys && i < b->nkeys; i++) {
		if (strcmp(a->key[i], b->key[i]) || !strcmp(a->val[i], b->val[i]))
			continue; /* same writer, same key order: a key is at the same line on both sides */
		json_array_append_new(keys, json_pack("{s:s,s:s,s:s}", "key", a->key[i], "running", a->val[i], "file",
						      b->val[i]));
		if (!json)
			printf("%s: %s -> %s\n", a->key[i], a->val[i], b->val[i]);
		n++;
	}
	for (unsigned i = 0; i < b->nrules; i++) {
		int k = rule_index(a, b->rule_id[i]);

		if (k < 0) {
			json_array_append_new(added, json_string(b->rule_id[i]));
			if (!json)
				printf("rule added: %s\n", b->rule_id[i]);
			n++;
		} else if (strcmp(a->rule_text[k], b->rule_text[i])) {
			json_array_append_new(changed, json_string(b->rule_id[i]));
			if (!json)
				printf("rule changed: %s\n", b->rule_id[i]);
			n++;
		}
	}
	for (unsigned i = 0; i < a->nrules; i++) {
		if (rule_index(b, a->rule_id[i]) < 0) {
			json_array_append_new(removed, json_string(a->rule_id[i]));
			if (!json)
				printf("rule removed: %s\n", a->rule_id[i]);
			n++;
		}
	}
	/* same rules, other order: first match wins, so order is meaning */
	if (!n && a->nrules == b->nrules)
		for (unsigned i = 0; i < a->nrules; i++)
			order |= strcmp(a->rule_id[i], b->rule_id[i]) != 0;
	if (order && !json)
		printf("rules reordered\n");
	if (json) {
		o = json_pack("{s:b,s:o,s:o,s:o,s:o,s:b}", "changes", n > 0 || order, "keys", keys, "rules_added", added,
			      "rules_removed", removed, "rules_changed", changed, "rules_reordered", order);
		ctl_print_json(o);
		json_decref(o);
		return;
	}
	if (!n && !order)
		printf("no changes\n");
	json_decref(keys);
	json_decref(added);
	json_decref(removed);
	json_decref(changed);
}

int do_policy_diff(int argc, char **argv)
{
	static const struct ctl_args spec = {
		.cmd = "policy diff",
		.missing = "FILE",
		.npos = 1,
		.usage = "Usage: sipwallctl policy diff FILE [-j|--json]\n\n"
			 "What loading FILE would change in the running policy: changed keys (\"section.key: running ->\n"
			 "file\"), rules added, removed or changed (by id), rules reordered; \"no changes\" when equal.\n"
			 "Exit 0 either way, 1 when FILE does not load or the daemon cannot be asked. --json:\n"
			 "{\"changes\",\"keys\":[{\"key\",\"running\",\"file\"}],\"rules_added\",\"rules_removed\",\n"
			 "\"rules_changed\",\"rules_reordered\"}.\n",
	};
	struct sw_policy *running = NULL, *file_p = NULL;
	struct canon a = { 0 }, b = { 0 };
	const char *file, *yaml;
	struct policy_error err;
	bool json = false;
	json_t *r = NULL;
	int rc = ctl_parse_args(argc, argv, &spec, &file, &json);

	if (rc)
		return rc > 0;
	rc = 1;
	file_p = ctl_policy_load(file);
	if (!file_p)
		return 1;
	r = ctl_call("policy diff", json_pack("{s:s}", "cmd", "policy.show"));
	if (!r)
		goto out;
	yaml = json_string_value(json_object_get(r, "yaml"));
	running = yaml ? policy_load_buffer(yaml, strlen(yaml), "running policy", &err) : NULL;
	if (!running) {
		fprintf(stderr, "sipwallctl policy diff: the running policy as sent does not load back\n");
		goto out;
	}
	if (canon_parse(&a, running) || canon_parse(&b, file_p)) {
		fprintf(stderr, "sipwallctl policy diff: out of memory\n");
		goto out;
	}
	diff_print(&a, &b, json);
	rc = 0;
out:
	canon_free(&a);
	canon_free(&b);
	policy_free(running);
	policy_free(file_p);
	json_decref(r);
	return rc;
}

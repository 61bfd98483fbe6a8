/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's control commands (see ctl_cmds.h, protocol in docs/control.md). They run on the main lcore, the
 * only thread that commits or frees a policy, so reading the current policy here needs no lock; every change goes
 * through dp_app_policy_apply(): a new version built from YAML text, compiled off the packet path, committed,
 * waited for, and written back to the --policy file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ctl_cmds.h"
#include "policy_keys.h"
#include "policy_store.h"
#include "rules.h"

#define ERR_MAX 1024

static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *fail(const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static const char *req_string(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static const struct sw_policy *current(const struct dp_app *app)
{
	return policy_store_current(app->store);
}

static json_t *apply_result(const struct dp_apply *r)
{
	json_t *o = json_pack("{s:I,s:f,s:f,s:f,s:f,s:b}", "version", (json_int_t)r->version, "compile_ms",
			      r->compile_ms, "swap_ms", r->swap_ms, "reclaim_ms", r->reclaim_ms, "save_ms", r->save_ms,
			      "saved", r->saved);

	if (o && r->save_error[0])
		json_object_set_new(o, "save_error", json_string(r->save_error));
	return o;
}

/* Apply YAML text as the new version, or say why not. */
static json_t *apply_text(struct dp_app *app, const char *text, size_t len, const char *name, const char *source)
{
	struct dp_apply r;
	char err[ERR_MAX];

	if (dp_app_policy_apply(app, text, len, name, source, true, &r, err, sizeof(err)) < 0)
		return fail("%s", err);
	return apply_result(&r);
}

/* Write p (a clone of the running policy with one change) and apply that text. Takes p. */
static json_t *apply_policy(struct dp_app *app, struct sw_policy *p, const char *name, const char *source)
{
	size_t len;
	char *text = policy_write_string(p, &len);
	json_t *resp;

	policy_free(p);
	if (!text)
		return fail("cannot write the new policy: %s", strerror(errno));
	resp = apply_text(app, text, len, name, source);
	free(text);
	return resp;
}

static struct sw_policy *clone_running(const struct dp_app *app, char *err, size_t errlen)
{
	struct policy_error perr;
	struct sw_policy *p = policy_clone(current(app), &perr);

	if (!p)
		policy_error_format(&perr, err, errlen);
	return p;
}

static json_t *cmd_hello(struct dp_app *app, json_t *req)
{
	(void)req;
	return json_pack("{s:s,s:I,s:i,s:s}", "daemon", "sipwall", "version", (json_int_t)policy_store_version(app->store),
			 "workers", (int)app->nworkers, "file", app->policy_path);
}

static json_t *cmd_policy_show(struct dp_app *app, json_t *req)
{
	const struct sw_policy *p = current(app);
	size_t len;
	char *yaml;
	json_t *o;

	(void)req;
	yaml = policy_write_string(p, &len);
	if (!yaml)
		return fail("cannot write the running policy: %s", strerror(errno));
	o = json_pack("{s:I,s:f,s:f,s:s,s:s,s:f,s:f,s:I,s:I,s:s,s:i,s:s#}", "version", (json_int_t)p->version,
		      "loaded_at", app->loaded_at, "age_s", dp_wall_s() - app->loaded_at, "source", app->source,
		      "file", app->policy_path, "compile_ms", app->compile_ms, "swap_ms", app->swap_ms,
		      "reloads", (json_int_t)app->reloads, "reload_failures", (json_int_t)app->reload_failures,
		      "last_error", app->last_error, "rules", (int)p->nrules, "yaml", yaml, len);
	free(yaml);
	return o;
}

static json_t *cmd_policy_load(struct dp_app *app, json_t *req)
{
	json_t *text = json_object_get(req, "text");
	const char *name = req_string(req, "name");
	char source[256];

	if (!json_is_string(text))
		return fail("policy.load: missing string \"text\" (the policy YAML)");
	if (!name || !*name)
		name = "policy";
	snprintf(source, sizeof(source), "sipwallctl policy load %.200s", name);
	return apply_text(app, json_string_value(text), json_string_length(text), name, source);
}

static json_t *strings_json(char **v, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *rule_json(const struct sw_policy *p, uint32_t i)
{
	const struct sw_rule_spec *r = &p->rules[i];
	char where[96];
	json_t *o;

	if (r->where == SW_WHERE_HEADER)
		snprintf(where, sizeof(where), "header %s", r->header);
	else
		snprintf(where, sizeof(where), "%s", policy_where_names[r->where]);
	o = json_pack("{s:i,s:s,s:s,s:o,s:o,s:b,s:s}", "index", (int)i, "id", r->id, "where", where,
		      "literal", strings_json(r->literals, r->nliterals), "regex", strings_json(r->regexes, r->nregexes),
		      "caseless", r->caseless, "action", policy_action_names[r->action]);
	if (o && r->action == SW_RULE_REPLY) {
		json_object_set_new(o, "status", json_integer(r->status));
		json_object_set_new(o, "reason", json_string(r->reason));
	}
	return o;
}

static json_t *cmd_rule_list(struct dp_app *app, json_t *req)
{
	const struct sw_policy *p = current(app);
	json_t *a = json_array();

	(void)req;
	for (uint32_t i = 0; a && i < p->nrules; i++)
		json_array_append_new(a, rule_json(p, i));
	return json_pack("{s:I,s:o}", "version", (json_int_t)p->version, "rules", a);
}

static json_t *rule_stats_json(const struct dp_app *app, const struct sw_policy *p)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && p->db && i < p->nrules; i++) {
		struct rules_stats st;

		dp_app_rule_stats(app, p, i, &st);
		json_array_append_new(a, json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "index", (int)i,
						   "id", p->rules[i].id, "action", policy_action_names[p->rules[i].action],
						   "matches", (json_int_t)st.matches, "dropped", (json_int_t)st.dropped,
						   "replied", (json_int_t)st.replied, "passed", (json_int_t)st.passed,
						   "counted", (json_int_t)st.counted));
	}
	return a;
}

static json_t *cmd_rule_stats(struct dp_app *app, json_t *req)
{
	const struct sw_policy *p = current(app);

	(void)req;
	return json_pack("{s:I,s:o}", "version", (json_int_t)p->version, "rules", rule_stats_json(app, p));
}

/*
 * The rule arrives as a JSON object with the keys of a rule in the policy file. JSON is YAML flow syntax, so it is
 * loaded by the policy loader as the only rule of a one-rule document: checked and reported exactly as in a file.
 */
static struct sw_policy *load_rule(json_t *rule, char *err, size_t errlen)
{
	/* UTF-8 as is: ASCII escapes would write characters outside the BMP as surrogate pairs, which YAML refuses */
	char *flow = json_dumps(rule, JSON_COMPACT);
	struct policy_error perr;
	struct sw_policy *one = NULL;
	char *doc = NULL;
	int n;

	if (!flow || (n = asprintf(&doc, "rules:\n- %s\n", flow)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	one = policy_load_buffer(doc, (size_t)n, "rule add", &perr);
	if (!one) /* a position in the one-rule document would mislead: the loader's message names the field */
		snprintf(err, errlen, "%s", perr.msg);
	else if (one->nrules != 1) {
		snprintf(err, errlen, "rule add: expected one rule");
		policy_free(one);
		one = NULL;
	} else {
		/*
		 * Its patterns compiled on their own, so that a bad one is reported by the rule's id: compiled in the new
		 * policy, the message would cite the rule's line in the serialised running policy, a text the user never
		 * saw (and that becomes the policy file only if the change is accepted).
		 */
		one->rules[0].line = 0;
		if (rules_compile(one, 1, err, errlen) != 0) {
			policy_free(one);
			one = NULL;
		}
	}
out:
	free(doc);
	free(flow);
	return one;
}

static json_t *cmd_rule_add(struct dp_app *app, json_t *req)
{
	json_t *rule = json_object_get(req, "rule");
	const char *before = req_string(req, "before");
	struct sw_policy *one, *p;
	char err[ERR_MAX], source[160];
	int at;

	if (!json_is_object(rule))
		return fail("rule.add: missing object \"rule\"");
	one = load_rule(rule, err, sizeof(err));
	if (!one)
		return fail("%s", err);
	p = clone_running(app, err, sizeof(err));
	if (!p) {
		policy_free(one);
		return fail("%s", err);
	}
	at = (int)p->nrules;
	if (policy_rule_find(p, one->rules[0].id) >= 0) {
		snprintf(err, sizeof(err), "rule '%s' exists (delete it first, or choose another id)", one->rules[0].id);
		goto fail;
	}
	if (before && (at = policy_rule_find(p, before)) < 0) {
		snprintf(err, sizeof(err), "--before: no rule '%.64s'", before);
		goto fail;
	}
	if (policy_rule_insert(p, &one->rules[0], (uint32_t)at) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	snprintf(source, sizeof(source), "sipwallctl rule add %s", p->rules[at].id);
	policy_free(one);
	return apply_policy(app, p, "rule add", source);
fail:
	policy_free(one);
	policy_free(p);
	return fail("%s", err);
}

static json_t *cmd_rule_del(struct dp_app *app, json_t *req)
{
	const char *id = req_string(req, "id");
	struct sw_policy *p;
	char err[ERR_MAX], source[160];
	int at;

	if (!id)
		return fail("rule.del: missing string \"id\"");
	p = clone_running(app, err, sizeof(err));
	if (!p)
		return fail("%s", err);
	at = policy_rule_find(p, id);
	if (at < 0) {
		policy_free(p);
		return fail("no rule '%.64s' in the running policy", id);
	}
	policy_rule_remove(p, (uint32_t)at);
	snprintf(source, sizeof(source), "sipwallctl rule del %.64s", id);
	return apply_policy(app, p, "rule del", source);
}

static json_t *cmd_limits_set(struct dp_app *app, json_t *req)
{
	const char *key = req_string(req, "key"), *value = req_string(req, "value"), *dot;
	char section[64], name[64], err[ERR_MAX], source[256];
	struct policy_error perr;
	struct sw_policy *p;

	if (!key || !value)
		return fail("limits.set: missing strings \"key\" and \"value\"");
	/* a bare KEY is one of the limits: section; SECTION.KEY reaches any other */
	dot = strchr(key, '.');
	if (dot)
		snprintf(section, sizeof(section), "%.*s", (int)(dot - key), key);
	else
		snprintf(section, sizeof(section), "limits");
	snprintf(name, sizeof(name), "%s", dot ? dot + 1 : key);
	p = clone_running(app, err, sizeof(err));
	if (!p)
		return fail("%s", err);
	if (policy_set_key(p, section, name, value, &perr) < 0) {
		policy_free(p);
		/* the loader's messages name the key; "unknown key" alone does not */
		policy_error_format(&perr, err, sizeof(err));
		return fail("%s", strstr(perr.msg, perr.file) ? perr.msg : err);
	}
	snprintf(source, sizeof(source), "sipwallctl limits set %s.%s %.100s", section, name, value);
	return apply_policy(app, p, "limits set", source);
}

static json_t *headline(const struct dp_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rx", (json_int_t)s->rx,
			 "tx_pass", (json_int_t)s->tx_pass, "tx_reply", (json_int_t)s->tx_reply,
			 "dropped", (json_int_t)dp_stats_dropped(s), "bad_l2l4", (json_int_t)dp_stats_bad_l2l4(s),
			 "pass_other", (json_int_t)s->pass_other, "pass_inside", (json_int_t)s->pass_inside,
			 "pass_frag", (json_int_t)s->pass_frag, "judged", (json_int_t)s->judged,
			 "frag_rx", (json_int_t)s->frag_rx, "frag_reassembled", (json_int_t)s->frag_reassembled);
}

static json_t *workers_json(const struct dp_app *app)
{
	uint64_t now = dp_mono_ns();
	json_t *a = json_array();

	for (unsigned i = 0; a && i < app->nworkers; i++) {
		const volatile struct dp_stats *s = &app->workers[i]->stats;

		json_array_append_new(a, json_pack("{s:i,s:I,s:I,s:f}", "id", (int)i, "rx", (json_int_t)s->rx,
						   "heartbeats", (json_int_t)app->heartbeats[i], "last_seen_ms",
						   app->hb_last_ns[i] ? (double)(now - app->hb_last_ns[i]) / 1e6 : -1.0));
	}
	return a;
}

static json_t *cmd_stats(struct dp_app *app, json_t *req)
{
	const struct sw_policy *p = current(app);
	json_t *drops = json_object(), *why = json_object(), *replies = json_object(), *o;
	struct dp_stats s;
	char key[8];

	dp_app_stats(app, &s);
	for (unsigned i = 0; i < DP_DROP__COUNT; i++)
		json_object_set_new(drops, dp_drop_name((enum dp_drop)i), json_integer((json_int_t)s.drop[i]));
	for (unsigned i = 0; i < SW_WHY__COUNT; i++)
		json_object_set_new(why, sw_why_name((enum sw_why)i), json_integer((json_int_t)s.why[i]));
	for (unsigned i = 0; i < DP_STATUS_SLOTS; i++) {
		if (!s.status[i])
			continue;
		snprintf(key, sizeof(key), "%u", DP_STATUS_MIN + i);
		json_object_set_new(replies, key, json_integer((json_int_t)s.status[i]));
	}
	o = json_pack("{s:I,s:f,s:i,s:o,s:o,s:o,s:o,s:o}", "version", (json_int_t)p->version, "time", dp_wall_s(),
		      "nworkers", (int)app->nworkers, "counters", headline(&s), "drops", drops, "verdicts", why,
		      "replies", replies, "workers", workers_json(app));
	if (o && json_is_true(json_object_get(req, "rules")))
		json_object_set_new(o, "rules", rule_stats_json(app, p));
	return o;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct dp_app *app, json_t *req);
} commands[] = {
	{ "hello", cmd_hello },
	{ "policy.show", cmd_policy_show },
	{ "policy.load", cmd_policy_load },
	{ "rule.list", cmd_rule_list },
	{ "rule.stats", cmd_rule_stats },
	{ "rule.add", cmd_rule_add },
	{ "rule.del", cmd_rule_del },
	{ "limits.set", cmd_limits_set },
	{ "stats", cmd_stats },
};

json_t *dp_ctl_handle(void *arg, json_t *req)
{
	const char *cmd = req_string(req, "cmd");

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(arg, req);
	return fail("unknown command '%.64s'", cmd);
}

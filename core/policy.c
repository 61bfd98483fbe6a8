/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy: the table of known keys, the documented defaults, freeing, and writing a policy back as YAML
 * (libyaml's emitter) in a form policy_load_buffer() reads back to an equal policy. Loading is in policy_yaml.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy.h"
#include "policy_keys.h"
#include "rules.h"

/*
 * offsetof() that also checks the field's type at compile time: _Generic has no default branch, so a field whose
 * type changes in policy.h breaks the build here instead of being written through the wrong width at run time.
 */
#define OFF_U32(f) _Generic(((struct sw_policy *)0)->f, uint32_t: offsetof(struct sw_policy, f))
#define OFF_BOOL(f) _Generic(((struct sw_policy *)0)->f, _Bool: offsetof(struct sw_policy, f))
#define OFF_CHARS(f) _Generic(((struct sw_policy *)0)->f, char *: offsetof(struct sw_policy, f))
#define OFF_PORTS(f) _Generic(((struct sw_policy *)0)->f, uint16_t *: offsetof(struct sw_policy, f))
#define OFF_FRAG(f) _Generic(((struct sw_policy *)0)->f, enum sw_frag_action: offsetof(struct sw_policy, f))
#define FIELD_SIZE(f) sizeof(((struct sw_policy *)0)->f)

#define U32(sec, k, f, lo, hi) { .section = sec, .key = k, .type = PK_UINT, .min = lo, .max = hi, .off = OFF_U32(f) }
#define BOOL(sec, k, f) { .section = sec, .key = k, .type = PK_BOOL, .off = OFF_BOOL(f) }
#define STRING(sec, k, f) { .section = sec, .key = k, .type = PK_STRING, .off = OFF_CHARS(f), .size = FIELD_SIZE(f) }

/* PK_ENUM fields are read and written as int. */
_Static_assert(sizeof(enum sw_frag_action) == sizeof(int), "enum fields are stored as int");

static const char *const frag_action_names[] = { "reassemble", "drop", "pass", NULL };

const char *const policy_where_names[] = { "header", "any-header", "method", "request-uri", "body", "message", NULL };
const char *const policy_action_names[] = { "drop", "reply", "pass", "count", NULL };

const struct policy_key policy_keys[] = {
	U32("limits", "max_message_bytes", max_message_bytes, 64, 65535),
	U32("limits", "max_request_uri_bytes", max_request_uri_bytes, 16, 65535),
	U32("limits", "retry_after_seconds", retry_after_seconds, 0, 86400),
	BOOL("headers", "require_max_forwards", require_max_forwards),
	{ .section = "extensions", .key = "supported", .type = PK_TOKEN_LIST, .off = OFF_CHARS(supported[0]),
	  .size = FIELD_SIZE(supported[0]), .count_off = OFF_U32(nsupported), .max_count = SW_MAX_SUPPORTED },
	BOOL("extensions", "check_require", check_require),
	STRING("response", "server", server),
	{ .section = "dataplane", .key = "sip_ports", .type = PK_PORT_LIST, .min = 1, .max = 65535,
	  .off = OFF_PORTS(sip_ports), .count_off = OFF_U32(nsip_ports), .min_count = 1,
	  .max_count = SW_MAX_SIP_PORTS },
	BOOL("dataplane", "judge_inside", judge_inside),
	{ .section = "fragments", .key = "action", .type = PK_ENUM, .off = OFF_FRAG(frag_action),
	  .names = frag_action_names },
	U32("fragments", "max_datagram_bytes", frag_max_datagram, 576, 65535),
	U32("fragments", "max_in_flight", frag_max_flows, 1, 1048576),
	U32("fragments", "timeout_ms", frag_timeout_ms, 1, 60000),
	U32("reply_budget", "per_prefix_pps", budget_prefix_pps, 1, 1000000),
	U32("reply_budget", "per_prefix_burst", budget_prefix_burst, 1, 10000000),
	U32("reply_budget", "ipv4_prefix_len", budget_v4_prefix, 0, 32),
	U32("reply_budget", "ipv6_prefix_len", budget_v6_prefix, 0, 128),
	U32("reply_budget", "global_pps", budget_global_pps, 1, 100000000),
	U32("reply_budget", "global_burst", budget_global_burst, 1, 100000000),
	U32("prefilter", "min_payload_bytes", xdp_min_payload, 0, 65507),
	U32("prefilter", "max_payload_bytes", xdp_max_payload, 1, 65507),
	U32("prefilter", "rate_pps", xdp_rate_pps, 0, 100000000),
	U32("prefilter", "rate_burst", xdp_rate_burst, 0, 100000000),
	U32("prefilter", "rate_ipv4_prefix_len", xdp_rate_v4_prefix, 0, 32),
	U32("prefilter", "rate_ipv6_prefix_len", xdp_rate_v6_prefix, 0, 128),
	BOOL("prefilter", "allow_fragments", xdp_allow_fragments),
};
const size_t policy_nkeys = sizeof(policy_keys) / sizeof(policy_keys[0]);

static const char *const default_supported[] = { "100rel", "timer", "replaces", "path", "gruu", "outbound" };

void policy_defaults(struct sw_policy *p)
{
	p->max_message_bytes = 4096;
	p->max_request_uri_bytes = 1024;
	p->retry_after_seconds = 0;
	p->require_max_forwards = false;
	p->nsupported = 0;
	for (size_t i = 0; i < sizeof(default_supported) / sizeof(default_supported[0]); i++)
		snprintf(p->supported[p->nsupported++], SW_OPTION_TAG_MAX, "%s", default_supported[i]);
	p->check_require = false;
	p->server[0] = '\0';
	p->sip_ports[0] = 5060;
	p->nsip_ports = 1;
	p->judge_inside = false;
	p->frag_action = SW_FRAG_REASSEMBLE;
	p->frag_max_datagram = 65535;
	p->frag_max_flows = 4096;
	p->frag_timeout_ms = 2000;
	p->budget_prefix_pps = 50;
	p->budget_prefix_burst = 100;
	p->budget_v4_prefix = 24;
	p->budget_v6_prefix = 64;
	p->budget_global_pps = 100000;
	p->budget_global_burst = 200000;
	p->xdp_min_payload = 4;
	p->xdp_max_payload = 65507;
	p->xdp_rate_pps = 0;
	p->xdp_rate_burst = 0;
	p->xdp_rate_v4_prefix = 32;
	p->xdp_rate_v6_prefix = 128;
	p->xdp_allow_fragments = true;
}

static void free_strings(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void policy_free(struct sw_policy *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nrules; i++) {
		free_strings(p->rules[i].literals, p->rules[i].nliterals);
		free_strings(p->rules[i].regexes, p->rules[i].nregexes);
	}
	free(p->rules);
	rules_db_free(p->db);
	free(p);
}

void policy_error_format(const struct policy_error *err, char *buf, size_t len)
{
	if (!len)
		return;
	if (err->line)
		snprintf(buf, len, "%s:%" PRIu32 ":%" PRIu32 ": %s", err->file, err->line, err->column, err->msg);
	else
		snprintf(buf, len, "%s: %s", err->file, err->msg);
}

/* ---- writer ---- */

/* Every emit_* returns false once the emitter has failed; the emitter keeps the reason. */

static bool emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style))
		return false;
	return yaml_emitter_emit(em, &ev);
}

/*
 * A string the loader reads as a string. Plain where libyaml allows it (it quotes "a: b", "*x", "-x" itself),
 * quoted when the plain form would read as a YAML null.
 */
static bool emit_string(yaml_emitter_t *em, const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(s, nulls[i]))
			return emit_scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return emit_scalar(em, s, YAML_ANY_SCALAR_STYLE);
}

static bool emit_u32(yaml_emitter_t *em, uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRIu32, v);
	return emit_scalar(em, buf, YAML_PLAIN_SCALAR_STYLE);
}

static bool emit_map_start(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
		return false;
	return yaml_emitter_emit(em, &ev);
}

static bool emit_map_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_mapping_end_event_initialize(&ev))
		return false;
	return yaml_emitter_emit(em, &ev);
}

static bool emit_seq_start(yaml_emitter_t *em, yaml_sequence_style_t style)
{
	yaml_event_t ev;

	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style))
		return false;
	return yaml_emitter_emit(em, &ev);
}

static bool emit_seq_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_sequence_end_event_initialize(&ev))
		return false;
	return yaml_emitter_emit(em, &ev);
}

static bool emit_key_value(yaml_emitter_t *em, const struct sw_policy *p, const struct policy_key *k)
{
	const char *field = (const char *)p + k->off;
	uint32_t count = 0;
	bool ok;

	if (!emit_string(em, k->key))
		return false;
	if (k->type == PK_TOKEN_LIST || k->type == PK_PORT_LIST)
		memcpy(&count, (const char *)p + k->count_off, sizeof(count));
	switch (k->type) {
	case PK_UINT: {
		uint32_t v;

		memcpy(&v, field, sizeof(v));
		return emit_u32(em, v);
	}
	case PK_BOOL:
		return emit_scalar(em, *(const bool *)field ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	case PK_STRING:
		return emit_scalar(em, field, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	case PK_ENUM: {
		int v;
		size_t n = 0;

		memcpy(&v, field, sizeof(v));
		while (k->names[n])
			n++;
		return v >= 0 && (size_t)v < n && emit_scalar(em, k->names[v], YAML_PLAIN_SCALAR_STYLE);
	}
	case PK_TOKEN_LIST:
		ok = emit_seq_start(em, YAML_FLOW_SEQUENCE_STYLE);
		for (uint32_t i = 0; ok && i < count && i < k->max_count; i++)
			ok = emit_string(em, field + i * k->size);
		return ok && emit_seq_end(em);
	case PK_PORT_LIST:
		ok = emit_seq_start(em, YAML_FLOW_SEQUENCE_STYLE);
		for (uint32_t i = 0; ok && i < count && i < k->max_count; i++)
			ok = emit_u32(em, ((const uint16_t *)field)[i]);
		return ok && emit_seq_end(em);
	}
	return false;
}

/* Sections in table order; rows of one section are adjacent (policy_keys.h). */
static bool emit_sections(yaml_emitter_t *em, const struct sw_policy *p)
{
	bool ok = true;

	for (size_t i = 0; ok && i < policy_nkeys; i++) {
		bool first = i == 0 || strcmp(policy_keys[i - 1].section, policy_keys[i].section);
		bool last = i + 1 == policy_nkeys || strcmp(policy_keys[i + 1].section, policy_keys[i].section);

		if (first)
			ok = emit_string(em, policy_keys[i].section) && emit_map_start(em);
		ok = ok && emit_key_value(em, p, &policy_keys[i]);
		if (last)
			ok = ok && emit_map_end(em);
	}
	return ok;
}

static bool emit_patterns(yaml_emitter_t *em, const char *key, char *const *v, uint32_t n)
{
	bool ok;

	if (!n)
		return true;
	ok = emit_string(em, key) && emit_seq_start(em, YAML_BLOCK_SEQUENCE_STYLE);
	for (uint32_t i = 0; ok && i < n; i++)
		ok = emit_scalar(em, v[i], YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return ok && emit_seq_end(em);
}

static bool emit_rule(yaml_emitter_t *em, const struct sw_rule_spec *r)
{
	char where[sizeof(r->header) + 8];
	bool ok;

	if ((unsigned)r->where > SW_WHERE_MESSAGE || (unsigned)r->action > SW_RULE_COUNT)
		return false;
	if (r->where == SW_WHERE_HEADER) {
		const char *name = r->header[0] ? r->header : sip_hdr_name(r->hdr_id);

		if (!name)
			return false;
		snprintf(where, sizeof(where), "header %s", name);
	} else {
		snprintf(where, sizeof(where), "%s", policy_where_names[r->where]);
	}
	ok = emit_map_start(em) && emit_string(em, "id") && emit_string(em, r->id);
	ok = ok && emit_string(em, "where") && emit_string(em, where);
	if (r->caseless)
		ok = ok && emit_string(em, "caseless") && emit_scalar(em, "true", YAML_PLAIN_SCALAR_STYLE);
	ok = ok && emit_patterns(em, "literal", r->literals, r->nliterals);
	ok = ok && emit_patterns(em, "regex", r->regexes, r->nregexes);
	ok = ok && emit_string(em, "action") && emit_string(em, policy_action_names[r->action]);
	if (r->action == SW_RULE_REPLY) {
		ok = ok && emit_string(em, "status") && emit_u32(em, r->status);
		ok = ok && emit_string(em, "reason") && emit_scalar(em, r->reason, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	}
	return ok && emit_map_end(em);
}

static bool emit_rules(yaml_emitter_t *em, const struct sw_policy *p)
{
	bool ok = emit_string(em, POLICY_RULES_SECTION);

	ok = ok && emit_seq_start(em, p->nrules ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
	for (uint32_t i = 0; ok && i < p->nrules; i++)
		ok = emit_rule(em, &p->rules[i]);
	return ok && emit_seq_end(em);
}

static bool emit_policy(yaml_emitter_t *em, const struct sw_policy *p)
{
	yaml_event_t ev;
	bool ok;

	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(em, &ev);
	ok = ok && yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(em, &ev);
	ok = ok && emit_map_start(em) && emit_sections(em, p) && emit_rules(em, p) && emit_map_end(em);
	ok = ok && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(em, &ev);
	ok = ok && yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	return ok && yaml_emitter_flush(em);
}

/*
 * Returns 0, -EINVAL when p holds something that cannot be written as a loadable policy (an enum out of range,
 * a string that is not UTF-8), -ENOMEM, or -EIO when f fails.
 */
int policy_write(const struct sw_policy *p, FILE *f)
{
	yaml_emitter_t em;
	int ret = 0;

	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output_file(&em, f);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1); /* no folding of long regexes */
	if (!emit_policy(&em, p)) {
		if (em.error == YAML_MEMORY_ERROR)
			ret = -ENOMEM;
		else if (em.error == YAML_WRITER_ERROR)
			ret = -EIO;
		else
			ret = -EINVAL;
	}
	yaml_emitter_delete(&em);
	if (!ret && (fflush(f) || ferror(f)))
		ret = -EIO;
	return ret;
}

/* ---- runtime edits (sipwallctl rule/limits through the daemon) ---- */

/* open_memstream can fail only on memory; a writer error there is ENOMEM too. */
char *policy_write_string(const struct sw_policy *p, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int ret;

	if (!f)
		return NULL;
	ret = policy_write(p, f);
	if (fclose(f) || ret) {
		free(buf);
		errno = ret ? -ret : EIO;
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

struct sw_policy *policy_clone(const struct sw_policy *p, struct policy_error *err)
{
	struct sw_policy *copy;
	size_t len;
	char *text = policy_write_string(p, &len);

	if (!text) {
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "clone");
		snprintf(err->msg, sizeof(err->msg), "cannot write the policy: %s", strerror(errno));
		return NULL;
	}
	copy = policy_load_buffer(text, len, "clone", err);
	free(text);
	return copy;
}

static int key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < policy_nkeys; i++)
		if (!strcmp(policy_keys[i].section, section) && !strcmp(policy_keys[i].key, key))
			return (int)i;
	return -1;
}

/* Bytes of one key's storage at its offset (lists: the array; their count is copied apart). */
static size_t key_bytes(const struct policy_key *k)
{
	switch (k->type) {
	case PK_UINT: return sizeof(uint32_t);
	case PK_BOOL: return sizeof(bool);
	case PK_STRING: return k->size;
	case PK_TOKEN_LIST: return (size_t)k->max_count * k->size;
	case PK_PORT_LIST: return (size_t)k->max_count * sizeof(uint16_t);
	case PK_ENUM: return sizeof(int);
	}
	return 0;
}

/*
 * The value goes through the loader, in a one-key document, so that it is checked exactly as in a file (range,
 * type, list rules) and the message is the loader's. Only the one field is then copied into p.
 */
int policy_set_key(struct sw_policy *p, const char *section, const char *key, const char *value,
		   struct policy_error *err)
{
	const struct policy_key *k;
	struct sw_policy *one;
	char *doc = NULL, name[160];
	int i, n;

	memset(err, 0, sizeof(*err));
	snprintf(name, sizeof(name), "%.64s.%.64s", section, key);
	snprintf(err->file, sizeof(err->file), "%s", name);
	i = key_find(section, key);
	if (i < 0) {
		snprintf(err->msg, sizeof(err->msg), "unknown key (see docs/policy.md)");
		return -ENOENT;
	}
	for (const char *c = value; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err->msg, sizeof(err->msg), "a value may not hold control characters");
			return -EINVAL;
		}
	}
	k = &policy_keys[i];
	n = asprintf(&doc, "%s:\n  %s: %s\n", section, key, value);
	if (n < 0) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	one = policy_load_buffer(doc, (size_t)n, name, err);
	free(doc);
	if (!one) {
		/* a position in the one-key document means nothing to the caller; the message names the key */
		err->line = err->column = 0;
		return -EINVAL;
	}
	memcpy((char *)p + k->off, (const char *)one + k->off, key_bytes(k));
	if (k->type == PK_TOKEN_LIST || k->type == PK_PORT_LIST)
		memcpy((char *)p + k->count_off, (const char *)one + k->count_off, sizeof(uint32_t));
	policy_free(one);
	return 0;
}

int policy_rule_find(const struct sw_policy *p, const char *id)
{
	for (uint32_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].id, id))
			return (int)i;
	return -1;
}

int policy_rule_insert(struct sw_policy *p, struct sw_rule_spec *r, uint32_t at)
{
	struct sw_rule_spec *grown;

	if (at > p->nrules)
		at = p->nrules;
	grown = realloc(p->rules, (p->nrules + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memmove(&grown[at + 1], &grown[at], (p->nrules - at) * sizeof(*grown));
	grown[at] = *r;
	memset(r, 0, sizeof(*r));
	p->rules = grown;
	p->nrules++;
	return 0;
}

void policy_rule_remove(struct sw_policy *p, uint32_t at)
{
	if (at >= p->nrules)
		return;
	free_strings(p->rules[at].literals, p->rules[at].nliterals);
	free_strings(p->rules[at].regexes, p->rules[at].nregexes);
	memmove(&p->rules[at], &p->rules[at + 1], (p->nrules - at - 1) * sizeof(p->rules[0]));
	p->nrules--;
}

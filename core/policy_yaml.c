/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy loader: libyaml's event parser walked against the key table (policy_keys[] in policy.c) and the rule
 * schema below. The schema is fixed and at most three levels deep, so the walk is a handful of small functions,
 * no tree is built, and the first error stops it with the position libyaml reports for the offending event.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy.h"
#include "policy_keys.h"

#define POLICY_FILE_MAX (64u << 20) /* bytes; a policy of 100000 rules fits many times over */
#define POLICY_MAX_KEYS 63           /* rows of policy_keys[]: one bit each in a uint64_t, plus one for rules */

/* Set of rule ids seen so far: open addressing over indices into pol->rules, for O(1) duplicate checks. */
struct id_set {
	uint32_t *slot; /* rule index + 1; 0 = empty */
	uint32_t cap;   /* power of two */
	uint32_t n;
};

struct loader {
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, valid while have_ev */
	bool have_ev;
	const char *buf;
	size_t len;
	struct sw_policy *pol;
	struct policy_error *err;
	uint32_t rules_cap;
	struct id_set ids;
	yaml_mark_t key_mark[POLICY_MAX_KEYS]; /* where each policy_keys[] row was set, for checks across keys */
	uint64_t key_set;                      /* bit i: policy_keys[i] was set in the file */
};

/* ---- errors ---- */

static int fail_at(struct loader *ld, size_t line, size_t column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct loader *ld, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;

	ld->err->line = (uint32_t)line;
	ld->err->column = (uint32_t)column;
	va_start(ap, fmt);
	vsnprintf(ld->err->msg, sizeof(ld->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* libyaml marks are 0-based; messages are 1-based. */
#define FAIL(ld, mark, ...) fail_at(ld, (mark).line + 1, (mark).column + 1, __VA_ARGS__)

/* The reader reports a byte offset only: count lines and columns up to it. */
static int fail_reader(struct loader *ld)
{
	size_t line = 1, col = 1, off = ld->parser.problem_offset;
	char what[32] = "";

	for (size_t i = 0; i < off && i < ld->len; i++) {
		if (ld->buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)ld->buf[i] & 0xc0) != 0x80) { /* count characters, not UTF-8 bytes */
			col++;
		}
	}
	if (ld->parser.problem_value >= 0)
		snprintf(what, sizeof(what), " (byte 0x%02x)", (unsigned)ld->parser.problem_value & 0xff);
	return fail_at(ld, line, col, "invalid YAML: %s%s", ld->parser.problem, what);
}

static int fail_yaml(struct loader *ld)
{
	const yaml_parser_t *p = &ld->parser;

	if (p->error == YAML_MEMORY_ERROR)
		return fail_at(ld, 1, 1, "out of memory");
	if (p->error == YAML_READER_ERROR)
		return fail_reader(ld);
	if (p->context)
		return FAIL(ld, p->problem_mark, "invalid YAML: %s (%s at line %zu, column %zu)", p->problem,
			    p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	return FAIL(ld, p->problem_mark, "invalid YAML: %s", p->problem ? p->problem : "unknown error");
}

/* ---- events ---- */

static int next(struct loader *ld)
{
	if (ld->have_ev)
		yaml_event_delete(&ld->ev);
	ld->have_ev = yaml_parser_parse(&ld->parser, &ld->ev);
	if (!ld->have_ev)
		return fail_yaml(ld);
	switch (ld->ev.type) {
	case YAML_ALIAS_EVENT:
		return FAIL(ld, ld->ev.start_mark, "YAML aliases are not supported in a policy");
	case YAML_SCALAR_EVENT:
		if (ld->ev.data.scalar.tag)
			return FAIL(ld, ld->ev.start_mark, "YAML tags are not supported in a policy ('%s')",
				    (const char *)ld->ev.data.scalar.tag);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ld->ev.data.sequence_start.tag)
			return FAIL(ld, ld->ev.start_mark, "YAML tags are not supported in a policy ('%s')",
				    (const char *)ld->ev.data.sequence_start.tag);
		break;
	case YAML_MAPPING_START_EVENT:
		if (ld->ev.data.mapping_start.tag)
			return FAIL(ld, ld->ev.start_mark, "YAML tags are not supported in a policy ('%s')",
				    (const char *)ld->ev.data.mapping_start.tag);
		break;
	default:
		break;
	}
	return 0;
}

static const char *scalar(const struct loader *ld)
{
	return (const char *)ld->ev.data.scalar.value;
}

static bool is_plain(const struct loader *ld)
{
	return ld->ev.type == YAML_SCALAR_EVENT && ld->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* The current event is a scalar equal to s (a scalar may hold a NUL from a "\0" escape: compare lengths). */
static bool scalar_is(const struct loader *ld, const char *s)
{
	return ld->ev.type == YAML_SCALAR_EVENT && ld->ev.data.scalar.length == strlen(s) && !strcmp(scalar(ld), s);
}

/* A plain scalar that YAML reads as null: an empty value, "~" or "null". */
static bool is_null(const struct loader *ld)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!is_plain(ld))
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (scalar_is(ld, nulls[i]))
			return true;
	return false;
}

/* What the current event is, for "expected X, got Y". */
static const char *got(const struct loader *ld, char *buf, size_t len)
{
	switch (ld->ev.type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		if (is_null(ld))
			return "nothing (null)";
		if (!is_plain(ld))
			snprintf(buf, len, "the quoted string \"%.40s\"", scalar(ld));
		else
			snprintf(buf, len, "'%.40s'", scalar(ld));
		return buf;
	default:
		return "something else";
	}
}

/* ---- scalars ---- */

/* An unsigned decimal in min..max, plain (unquoted), no sign, no leading zeros (YAML 1.1 reads those as octal). */
static int get_uint(struct loader *ld, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
	char buf[64];
	const char *s = scalar(ld);
	uint64_t v = 0;
	size_t n;

	if (!is_plain(ld) || is_null(ld))
		return FAIL(ld, ld->ev.start_mark, "%s: expected an unsigned integer, got %s", what,
			    got(ld, buf, sizeof(buf)));
	n = ld->ev.data.scalar.length;
	if (s[0] == '-' && n > 1 && s[1] >= '0' && s[1] <= '9')
		return FAIL(ld, ld->ev.start_mark, "%s: must not be negative (%s), range %u..%u", what, s, min, max);
	if (strspn(s, "0123456789") != n)
		return FAIL(ld, ld->ev.start_mark, "%s: expected an unsigned integer, got %s", what,
			    got(ld, buf, sizeof(buf)));
	if (n > 1 && s[0] == '0')
		return FAIL(ld, ld->ev.start_mark, "%s: '%s' has a leading zero (write it in decimal without one)",
			    what, s);
	for (size_t i = 0; i < n && v <= max; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v < min || v > max)
		return FAIL(ld, ld->ev.start_mark, "%s: %.20s%s is out of range %u..%u", what, s, n > 20 ? "..." : "",
			    min, max);
	*out = (uint32_t)v;
	return 0;
}

static int get_bool(struct loader *ld, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char buf[64];

	for (size_t i = 0; is_plain(ld) && i < 3; i++) {
		if (scalar_is(ld, yes[i]) || scalar_is(ld, no[i])) {
			*out = scalar_is(ld, yes[i]);
			return 0;
		}
	}
	return FAIL(ld, ld->ev.start_mark, "%s: expected true or false, got %s", what, got(ld, buf, sizeof(buf)));
}

/* Any non-null scalar without NUL; the value stays owned by the current event. */
static int get_string(struct loader *ld, const char *what, const char **out, size_t *len)
{
	char buf[64];

	if (ld->ev.type != YAML_SCALAR_EVENT || is_null(ld))
		return FAIL(ld, ld->ev.start_mark, "%s: expected a string, got %s", what, got(ld, buf, sizeof(buf)));
	if (memchr(scalar(ld), '\0', ld->ev.data.scalar.length))
		return FAIL(ld, ld->ev.start_mark, "%s: a string may not contain NUL", what);
	*out = scalar(ld);
	*len = ld->ev.data.scalar.length;
	return 0;
}

static bool printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static bool is_token(const char *s, size_t len)
{
	static const char punct[] = "-.!%*_+`'~";

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');

		if (!alnum && (!c || !strchr(punct, c)))
			return false;
	}
	return true;
}

static int get_enum(struct loader *ld, const char *what, const char *const *names, int *out)
{
	char buf[64], list[256] = "";
	size_t used = 0;

	for (int i = 0; names[i]; i++) {
		if (scalar_is(ld, names[i])) {
			*out = i;
			return 0;
		}
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
					 i ? ", " : "", names[i]);
	}
	return FAIL(ld, ld->ev.start_mark, "%s: expected one of %s, got %s", what, list, got(ld, buf, sizeof(buf)));
}

/* ---- sections of the key table ---- */

static void key_name(const struct policy_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", k->section, k->key);
}

static int get_token_list_entry(struct loader *ld, const struct policy_key *k, const char *what, char *field,
				uint32_t *count)
{
	const char *s;
	size_t len;

	if (get_string(ld, what, &s, &len))
		return -EINVAL;
	if (!is_token(s, len))
		return FAIL(ld, ld->ev.start_mark, "%s: '%.64s' is not an RFC 3261 option tag (a token)", what, s);
	if (len >= k->size)
		return FAIL(ld, ld->ev.start_mark, "%s: '%.64s' is longer than %zu characters", what, s, k->size - 1);
	for (uint32_t i = 0; i < *count; i++)
		if (!strcmp(field + i * k->size, s))
			return FAIL(ld, ld->ev.start_mark, "%s: '%s' is listed twice", what, s);
	if (*count >= k->max_count)
		return FAIL(ld, ld->ev.start_mark, "%s: too many entries (at most %u)", what, k->max_count);
	memcpy(field + *count * k->size, s, len + 1);
	(*count)++;
	return 0;
}

static int get_port_list_entry(struct loader *ld, const struct policy_key *k, const char *what, char *field,
			       uint32_t *count)
{
	uint16_t *ports = (uint16_t *)(void *)field;
	uint32_t v;

	if (get_uint(ld, what, k->min, k->max, &v))
		return -EINVAL;
	for (uint32_t i = 0; i < *count; i++)
		if (ports[i] == v)
			return FAIL(ld, ld->ev.start_mark, "%s: %u is listed twice", what, v);
	if (*count >= k->max_count)
		return FAIL(ld, ld->ev.start_mark, "%s: too many entries (at most %u)", what, k->max_count);
	ports[(*count)++] = (uint16_t)v;
	return 0;
}

/* The current event starts a list value; fill the field in place. A rejected file frees the policy anyway. */
static int get_list(struct loader *ld, const struct policy_key *k, const char *what)
{
	char *field = (char *)ld->pol + k->off, buf[64];
	yaml_mark_t start = ld->ev.start_mark;
	uint32_t count = 0;
	int ret;

	if (ld->ev.type != YAML_SEQUENCE_START_EVENT)
		return FAIL(ld, ld->ev.start_mark, "%s: expected a list, got %s", what, got(ld, buf, sizeof(buf)));
	for (;;) {
		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (k->type == PK_TOKEN_LIST)
			ret = get_token_list_entry(ld, k, what, field, &count);
		else
			ret = get_port_list_entry(ld, k, what, field, &count);
		if (ret)
			return ret;
	}
	if (count < k->min_count)
		return FAIL(ld, start, "%s: needs at least %u entr%s", what, k->min_count, k->min_count == 1 ? "y" : "ies");
	memcpy((char *)ld->pol + k->count_off, &count, sizeof(count));
	return 0;
}

/* The current event is the value of row k. */
static int get_value(struct loader *ld, const struct policy_key *k)
{
	char what[96], *field = (char *)ld->pol + k->off;
	const char *s;
	size_t len;
	uint32_t u;
	int e, ret = 0;

	key_name(k, what, sizeof(what));
	switch (k->type) {
	case PK_UINT:
		if (!(ret = get_uint(ld, what, k->min, k->max, &u)))
			memcpy(field, &u, sizeof(u));
		return ret;
	case PK_BOOL:
		return get_bool(ld, what, (bool *)(void *)field);
	case PK_ENUM:
		if (!(ret = get_enum(ld, what, k->names, &e)))
			memcpy(field, &e, sizeof(e));
		return ret;
	case PK_STRING:
		if (ld->ev.type == YAML_SCALAR_EVENT && !is_plain(ld) && !ld->ev.data.scalar.length) {
			field[0] = '\0'; /* "" is how a string is set to empty */
			return 0;
		}
		if ((ret = get_string(ld, what, &s, &len)))
			return ret;
		if (!printable_ascii(s, len))
			return FAIL(ld, ld->ev.start_mark, "%s: only printable ASCII is allowed (no control characters)",
				    what);
		if (len >= k->size)
			return FAIL(ld, ld->ev.start_mark, "%s: longer than %zu characters", what, k->size - 1);
		memcpy(field, s, len + 1);
		return 0;
	case PK_TOKEN_LIST:
	case PK_PORT_LIST:
		return get_list(ld, k, what);
	}
	return -EINVAL;
}

/* The current scalar as a section name: the index of its first row, or -1. */
static int section_index(const struct loader *ld)
{
	for (size_t i = 0; i < policy_nkeys; i++)
		if (scalar_is(ld, policy_keys[i].section))
			return (int)i;
	return -1;
}

static void list_keys(const char *section, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < policy_nkeys; i++)
		if (!strcmp(policy_keys[i].section, section) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", policy_keys[i].key);
}

static void list_sections(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < policy_nkeys; i++)
		if ((i == 0 || strcmp(policy_keys[i - 1].section, policy_keys[i].section)) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s, ", policy_keys[i].section);
	if (used < len)
		snprintf(buf + used, len - used, "%s", POLICY_RULES_SECTION);
}

/* The current event is the value of section name: a mapping of its keys, or null (all defaults). */
static int get_section(struct loader *ld, const char *name)
{
	char list[256];
	int ret;

	if (is_null(ld))
		return 0;
	if (ld->ev.type != YAML_MAPPING_START_EVENT)
		return FAIL(ld, ld->ev.start_mark, "section '%s' must be a mapping of keys, got %s", name,
			    got(ld, list, sizeof(list)));
	for (;;) {
		size_t i;

		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (ld->ev.type != YAML_SCALAR_EVENT)
			return FAIL(ld, ld->ev.start_mark, "section '%s': expected a key name, got %s", name,
				    got(ld, list, sizeof(list)));
		for (i = 0; i < policy_nkeys; i++)
			if (!strcmp(policy_keys[i].section, name) && scalar_is(ld, policy_keys[i].key))
				break;
		if (i == policy_nkeys) {
			list_keys(name, list, sizeof(list));
			return FAIL(ld, ld->ev.start_mark, "unknown key '%.64s' in section '%s' (known: %s)", scalar(ld),
				    name, list);
		}
		if (ld->key_set & (1ull << i))
			return FAIL(ld, ld->ev.start_mark, "duplicate key '%s.%s' (first at line %zu)", name,
				    policy_keys[i].key, ld->key_mark[i].line + 1);
		ld->key_set |= 1ull << i;
		ld->key_mark[i] = ld->ev.start_mark;
		if ((ret = next(ld)) || (ret = get_value(ld, &policy_keys[i])))
			return ret;
	}
}

/* ---- rules ---- */

static const struct {
	uint16_t status;
	const char *reason;
} default_reasons[] = {
	/* RFC 3261 21.4-21.6 and the extensions' codes an edge filter would answer with. */
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 410, "Gone" },
	{ 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" },
	{ 420, "Bad Extension" },
	{ 421, "Extension Required" },
	{ 429, "Too Many Requests" }, /* RFC 6585 as used by SIP deployments */
	{ 480, "Temporarily Unavailable" },
	{ 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" },
	{ 483, "Too Many Hops" },
	{ 484, "Address Incomplete" },
	{ 485, "Ambiguous" },
	{ 486, "Busy Here" },
	{ 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" },
	{ 491, "Request Pending" },
	{ 493, "Undecipherable" },
	{ 500, "Server Internal Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Server Time-out" },
	{ 505, "Version Not Supported" },
	{ 513, "Message Too Large" },
	{ 600, "Busy Everywhere" },
	{ 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
};

static const char *default_reason(uint16_t status)
{
	for (size_t i = 0; i < sizeof(default_reasons) / sizeof(default_reasons[0]); i++)
		if (default_reasons[i].status == status)
			return default_reasons[i].reason;
	return "Rejected";
}

static uint32_t id_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The rule index holding id, or -1; *slot is where it is or would go. */
static int64_t id_find(const struct loader *ld, const char *id, uint32_t *slot)
{
	uint32_t i = id_hash(id) & (ld->ids.cap - 1);

	while (ld->ids.slot[i]) {
		if (!strcmp(ld->pol->rules[ld->ids.slot[i] - 1].id, id))
			break;
		i = (i + 1) & (ld->ids.cap - 1);
	}
	*slot = i;
	return ld->ids.slot[i] ? (int64_t)ld->ids.slot[i] - 1 : -1;
}

/* Keep the table at most half full: rehash into twice the room. */
static int id_grow(struct loader *ld)
{
	struct id_set old = ld->ids;
	uint32_t cap = old.cap ? old.cap * 2 : 64, slot;

	ld->ids.slot = calloc(cap, sizeof(*ld->ids.slot));
	if (!ld->ids.slot) {
		ld->ids = old;
		return -ENOMEM;
	}
	ld->ids.cap = cap;
	for (uint32_t i = 0; i < old.cap; i++) {
		if (old.slot[i]) {
			id_find(ld, ld->pol->rules[old.slot[i] - 1].id, &slot);
			ld->ids.slot[slot] = old.slot[i];
		}
	}
	free(old.slot);
	return 0;
}

static bool id_char_ok(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '.' ||
	       c == '-';
}

/* Rows of rule_keys[] below, in order. */
enum { RK_ID, RK_WHERE, RK_LITERAL, RK_REGEX, RK_CASELESS, RK_ACTION, RK_STATUS, RK_REASON, RK__COUNT };

/* Per-rule state while its mapping is read; the checks across keys run at the end of the mapping. */
struct rule_ctx {
	struct sw_rule_spec *r;
	uint32_t index;       /* in pol->rules */
	yaml_mark_t start;    /* the rule's mapping */
	yaml_mark_t mark[RK__COUNT]; /* where each rule key was set */
	uint32_t seen;        /* bit per rule_keys[] row */
	bool has_status;
	bool has_reason;
};

static int rule_id(struct loader *ld, struct rule_ctx *c)
{
	const char *s;
	size_t len;
	uint32_t slot;
	int64_t other;
	int ret;

	if (get_string(ld, "rule id", &s, &len))
		return -EINVAL;
	if (!len)
		return FAIL(ld, ld->ev.start_mark, "rule id may not be empty");
	for (size_t i = 0; i < len; i++)
		if (!id_char_ok(s[i]))
			return FAIL(ld, ld->ev.start_mark, "rule id '%.64s': only letters, digits, '_', '.' and '-' "
				    "are allowed", s);
	if (len >= sizeof(c->r->id))
		return FAIL(ld, ld->ev.start_mark, "rule id '%.64s...' is longer than %zu characters", s,
			    sizeof(c->r->id) - 1);
	if (ld->ids.n * 2 >= ld->ids.cap && (ret = id_grow(ld)))
		return fail_at(ld, ld->ev.start_mark.line + 1, ld->ev.start_mark.column + 1, "out of memory");
	other = id_find(ld, s, &slot);
	if (other >= 0)
		return FAIL(ld, ld->ev.start_mark, "duplicate rule id '%s' (first at line %u)", s,
			    ld->pol->rules[other].line);
	memcpy(c->r->id, s, len + 1);
	ld->ids.slot[slot] = c->index + 1;
	ld->ids.n++;
	return 0;
}

static int rule_where(struct loader *ld, struct rule_ctx *c)
{
	const char *s, *name;
	size_t len, nlen;
	int i;

	if (get_string(ld, "where", &s, &len))
		return -EINVAL;
	if (!strncmp(s, "header", 6) && (s[6] == ' ' || s[6] == '\t' || !s[6])) {
		name = s + 6 + strspn(s + 6, " \t");
		nlen = strcspn(name, " \t");
		if (!nlen || name[nlen + strspn(name + nlen, " \t")])
			return FAIL(ld, ld->ev.start_mark, "where: 'header' takes one header name (where: header NAME)");
		if (!is_token(name, nlen))
			return FAIL(ld, ld->ev.start_mark, "where: '%.64s' is not a header name (a token)", name);
		if (nlen >= sizeof(c->r->header))
			return FAIL(ld, ld->ev.start_mark, "where: header name longer than %zu characters",
				    sizeof(c->r->header) - 1);
		c->r->where = SW_WHERE_HEADER;
		memcpy(c->r->header, name, nlen);
		c->r->header[nlen] = '\0';
		c->r->hdr_id = sip_hdr_lookup(name, (uint32_t)nlen);
		return 0;
	}
	for (i = 1; policy_where_names[i]; i++) {
		if (!strcmp(s, policy_where_names[i])) {
			c->r->where = (enum sw_rule_where)i;
			return 0;
		}
	}
	return FAIL(ld, ld->ev.start_mark, "where: unknown '%.64s' (expected header NAME, any-header, method, "
		    "request-uri, body or message)", s);
}

/* Append the current scalar to a pattern list. */
static int add_pattern(struct loader *ld, struct rule_ctx *c, const char *what, char ***v, uint32_t *n)
{
	const char *s;
	size_t len;
	char **grown;

	if (get_string(ld, what, &s, &len))
		return -EINVAL;
	if (!len)
		return FAIL(ld, ld->ev.start_mark, "%s: a pattern may not be empty", what);
	if (len > POLICY_PATTERN_MAX)
		return FAIL(ld, ld->ev.start_mark, "%s: pattern is %zu bytes, at most %u are allowed", what, len,
			    POLICY_PATTERN_MAX);
	if (c->r->nliterals + c->r->nregexes >= POLICY_MAX_PATTERNS)
		return FAIL(ld, ld->ev.start_mark, "rule '%s': too many patterns (at most %u per rule)", c->r->id,
			    POLICY_MAX_PATTERNS);
	if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4...: grow to the next power of two */
		grown = realloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
		if (!grown)
			return FAIL(ld, ld->ev.start_mark, "out of memory");
		*v = grown;
	}
	if (!((*v)[*n] = strndup(s, len)))
		return FAIL(ld, ld->ev.start_mark, "out of memory");
	(*n)++;
	return 0;
}

static int rule_patterns(struct loader *ld, struct rule_ctx *c, bool regex)
{
	const char *what = regex ? "regex" : "literal";
	char buf[64];
	int ret;

	if (ld->ev.type != YAML_SEQUENCE_START_EVENT)
		return FAIL(ld, ld->ev.start_mark, "%s: expected a list of strings, got %s", what,
			    got(ld, buf, sizeof(buf)));
	for (;;) {
		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (regex)
			ret = add_pattern(ld, c, what, &c->r->regexes, &c->r->nregexes);
		else
			ret = add_pattern(ld, c, what, &c->r->literals, &c->r->nliterals);
		if (ret)
			return ret;
	}
}

static int rule_literal(struct loader *ld, struct rule_ctx *c)
{
	return rule_patterns(ld, c, false);
}

static int rule_regex(struct loader *ld, struct rule_ctx *c)
{
	return rule_patterns(ld, c, true);
}

static int rule_caseless(struct loader *ld, struct rule_ctx *c)
{
	return get_bool(ld, "caseless", &c->r->caseless);
}

static int rule_action(struct loader *ld, struct rule_ctx *c)
{
	int a, ret;

	if (!(ret = get_enum(ld, "action", policy_action_names, &a)))
		c->r->action = (enum sw_rule_action)a;
	return ret;
}

static int rule_status(struct loader *ld, struct rule_ctx *c)
{
	uint32_t v;
	int ret;

	if (!(ret = get_uint(ld, "status", 400, 699, &v)))
		c->r->status = (uint16_t)v;
	c->has_status = true;
	return ret;
}

static int rule_reason(struct loader *ld, struct rule_ctx *c)
{
	const char *s;
	size_t len;

	if (get_string(ld, "reason", &s, &len))
		return -EINVAL;
	if (!printable_ascii(s, len))
		return FAIL(ld, ld->ev.start_mark, "reason: only printable ASCII is allowed (no CR, LF or controls)");
	if (len >= sizeof(c->r->reason))
		return FAIL(ld, ld->ev.start_mark, "reason: longer than %zu characters", sizeof(c->r->reason) - 1);
	memcpy(c->r->reason, s, len + 1);
	c->has_reason = true;
	return 0;
}

static const struct {
	const char *name;
	int (*parse)(struct loader *ld, struct rule_ctx *c);
} rule_keys[] = {
	{ "id", rule_id },
	{ "where", rule_where },
	{ "literal", rule_literal },
	{ "regex", rule_regex },
	{ "caseless", rule_caseless },
	{ "action", rule_action },
	{ "status", rule_status },
	{ "reason", rule_reason },
};
_Static_assert(RK__COUNT == sizeof(rule_keys) / sizeof(rule_keys[0]), "one RK_ per rule key, in order");

/* The checks that need the whole rule: required keys, and status/reason only with reply. */
static int rule_finish(struct loader *ld, struct rule_ctx *c)
{
	static const int required[] = { RK_ID, RK_WHERE, RK_ACTION };
	struct sw_rule_spec *r = c->r;
	const char *id = r->id[0] ? r->id : "?";

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(c->seen & (1u << required[i])))
			return FAIL(ld, c->start, "rule '%s': missing required key '%s'", id,
				    rule_keys[required[i]].name);
	if (!r->nliterals && !r->nregexes)
		return FAIL(ld, c->start, "rule '%s': needs at least one pattern (literal or regex)", id);
	if (r->action != SW_RULE_REPLY) {
		if (c->has_status)
			return FAIL(ld, c->mark[RK_STATUS], "rule '%s': status is only allowed with action reply", id);
		if (c->has_reason)
			return FAIL(ld, c->mark[RK_REASON], "rule '%s': reason is only allowed with action reply", id);
		return 0;
	}
	if (!c->has_status)
		return FAIL(ld, c->start, "rule '%s': action reply needs a status (400..699)", id);
	if (!c->has_reason)
		snprintf(r->reason, sizeof(r->reason), "%s", default_reason(r->status));
	return 0;
}

static int grow_rules(struct loader *ld)
{
	struct sw_policy *p = ld->pol;
	uint32_t cap = ld->rules_cap ? ld->rules_cap * 2 : 16;
	struct sw_rule_spec *grown;

	if (p->nrules < ld->rules_cap)
		return 0;
	grown = realloc(p->rules, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	p->rules = grown;
	ld->rules_cap = cap;
	return 0;
}

/* The current event starts one rule's mapping. */
static int get_rule(struct loader *ld)
{
	struct rule_ctx c = { .start = ld->ev.start_mark };
	char buf[64];
	size_t i;
	int ret;

	if (ld->pol->nrules >= POLICY_MAX_RULES)
		return FAIL(ld, c.start, "too many rules (at most %u)", POLICY_MAX_RULES);
	if (grow_rules(ld))
		return FAIL(ld, c.start, "out of memory");
	/* Counted at once, so that policy_free() frees what a half-read rule holds. */
	c.index = ld->pol->nrules++;
	c.r = &ld->pol->rules[c.index];
	memset(c.r, 0, sizeof(*c.r));
	c.r->hdr_id = SIP_HDR_OTHER;
	c.r->line = (uint32_t)c.start.line + 1;
	for (;;) {
		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_MAPPING_END_EVENT)
			return rule_finish(ld, &c);
		if (ld->ev.type != YAML_SCALAR_EVENT)
			return FAIL(ld, ld->ev.start_mark, "rule: expected a key name, got %s", got(ld, buf, sizeof(buf)));
		for (i = 0; i < RK__COUNT; i++)
			if (scalar_is(ld, rule_keys[i].name))
				break;
		if (i == RK__COUNT) {
			char list[128];
			size_t used = 0;

			for (size_t k = 0; k < RK__COUNT; k++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "",
							 rule_keys[k].name);
			return FAIL(ld, ld->ev.start_mark, "unknown key '%.64s' in a rule (known: %s)", scalar(ld), list);
		}
		if (c.seen & (1u << i))
			return FAIL(ld, ld->ev.start_mark, "duplicate key '%s' in a rule (first at line %zu)",
				    rule_keys[i].name, c.mark[i].line + 1);
		c.seen |= 1u << i;
		c.mark[i] = ld->ev.start_mark;
		if ((ret = next(ld)) || (ret = rule_keys[i].parse(ld, &c)))
			return ret;
	}
}

/* The current event is the value of rules: a list of rule mappings, or null (no rules). */
static int get_rules(struct loader *ld)
{
	char buf[64];
	int ret;

	if (is_null(ld))
		return 0;
	if (ld->ev.type != YAML_SEQUENCE_START_EVENT)
		return FAIL(ld, ld->ev.start_mark, "rules must be a list of rules, got %s", got(ld, buf, sizeof(buf)));
	for (;;) {
		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (ld->ev.type != YAML_MAPPING_START_EVENT)
			return FAIL(ld, ld->ev.start_mark, "rules: each rule must be a mapping, got %s",
				    got(ld, buf, sizeof(buf)));
		if ((ret = get_rule(ld)))
			return ret;
	}
}

/* ---- the document ---- */

static int key_index(const char *section, const char *key)
{
	for (size_t i = 0; i < policy_nkeys; i++)
		if (!strcmp(policy_keys[i].section, section) && !strcmp(policy_keys[i].key, key))
			return (int)i;
	return -1;
}

/* Checks across keys: lo must not exceed hi. Reported at whichever of the two the file set last. */
static int check_order(struct loader *ld, const char *section, const char *lo_key, const char *hi_key)
{
	int lo = key_index(section, lo_key), hi = key_index(section, hi_key), at;
	uint32_t vlo, vhi;

	memcpy(&vlo, (char *)ld->pol + policy_keys[lo].off, sizeof(vlo));
	memcpy(&vhi, (char *)ld->pol + policy_keys[hi].off, sizeof(vhi));
	if (vlo <= vhi)
		return 0;
	at = hi;
	if ((ld->key_set & (1ull << lo)) &&
	    (!(ld->key_set & (1ull << hi)) || ld->key_mark[lo].index > ld->key_mark[hi].index))
		at = lo;
	return FAIL(ld, ld->key_mark[at], "%s.%s (%u) must not exceed %s.%s (%u)", section, lo_key, vlo, section,
		    hi_key, vhi);
}

/* The current event is the top-level mapping. */
static int get_sections(struct loader *ld)
{
	yaml_mark_t seen_at[POLICY_MAX_KEYS + 1];
	uint64_t seen = 0;
	char buf[128];
	int ret;

	for (;;) {
		size_t idx;

		if ((ret = next(ld)))
			return ret;
		if (ld->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (ld->ev.type != YAML_SCALAR_EVENT)
			return FAIL(ld, ld->ev.start_mark, "expected a section name, got %s", got(ld, buf, sizeof(buf)));
		/* A section's slot in seen: the index of its first row, or policy_nkeys for rules. */
		if (scalar_is(ld, POLICY_RULES_SECTION)) {
			idx = policy_nkeys;
		} else if (section_index(ld) >= 0) {
			idx = (size_t)section_index(ld);
		} else {
			list_sections(buf, sizeof(buf));
			return FAIL(ld, ld->ev.start_mark, "unknown section '%.64s' (known: %s)", scalar(ld), buf);
		}
		if (seen & (1ull << idx))
			return FAIL(ld, ld->ev.start_mark, "duplicate section '%s' (first at line %zu)", scalar(ld),
				    seen_at[idx].line + 1);
		seen |= 1ull << idx;
		seen_at[idx] = ld->ev.start_mark;
		snprintf(buf, sizeof(buf), "%s", scalar(ld));
		if ((ret = next(ld)))
			return ret;
		ret = idx == policy_nkeys ? get_rules(ld) : get_section(ld, buf);
		if (ret)
			return ret;
	}
}

/*
 * A first pass over the whole stream, so that a YAML syntax error anywhere is reported as such: the walk below
 * stops at the first thing it dislikes, which for a broken line may be a half-scanned value ahead of the error.
 */
static int check_syntax(struct loader *ld)
{
	yaml_event_t ev;
	bool end;

	for (;;) {
		if (!yaml_parser_parse(&ld->parser, &ev))
			return fail_yaml(ld);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (end)
			return 0;
	}
}

static int get_document(struct loader *ld)
{
	char buf[64];
	int ret;

	if ((ret = next(ld))) /* STREAM-START */
		return ret;
	if ((ret = next(ld)))
		return ret;
	if (ld->ev.type == YAML_STREAM_END_EVENT) /* no document at all: an empty file or only comments */
		return 0;
	if ((ret = next(ld))) /* past DOCUMENT-START */
		return ret;
	if (ld->ev.type == YAML_MAPPING_START_EVENT)
		ret = get_sections(ld);
	else if (!is_null(ld)) /* "---" alone: an empty document */
		ret = FAIL(ld, ld->ev.start_mark, "the top level must be a mapping of sections, got %s",
			   got(ld, buf, sizeof(buf)));
	if (ret || (ret = next(ld)) || (ret = next(ld))) /* DOCUMENT-END, then STREAM-END */
		return ret;
	if (ld->ev.type != YAML_STREAM_END_EVENT)
		return FAIL(ld, ld->ev.start_mark, "only one YAML document is allowed in a policy file");
	return check_order(ld, "prefilter", "min_payload_bytes", "max_payload_bytes");
}

/* One pass of the parser over the buffer. */
static int parse_pass(struct loader *ld, int (*pass)(struct loader *ld))
{
	int ret;

	if (!yaml_parser_initialize(&ld->parser))
		return fail_at(ld, 0, 0, "out of memory");
	yaml_parser_set_input_string(&ld->parser, (const unsigned char *)ld->buf, ld->len);
	ret = pass(ld);
	if (ld->have_ev)
		yaml_event_delete(&ld->ev);
	ld->have_ev = false;
	yaml_parser_delete(&ld->parser);
	return ret;
}

static void error_init(struct policy_error *err, const char *name)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "<policy>");
}

struct sw_policy *policy_load_buffer(const char *buf, size_t len, const char *name, struct policy_error *err)
{
	struct policy_error local;
	struct loader ld = { .buf = buf, .len = len, .err = err ? err : &local };
	int ret;

	error_init(ld.err, name);
	if (policy_nkeys > POLICY_MAX_KEYS) { /* see key_set */
		fail_at(&ld, 0, 0, "internal: too many policy keys");
		return NULL;
	}
	ld.pol = calloc(1, sizeof(*ld.pol));
	if (!ld.pol) {
		fail_at(&ld, 0, 0, "out of memory");
		return NULL;
	}
	policy_defaults(ld.pol);
	ret = parse_pass(&ld, check_syntax);
	if (!ret)
		ret = parse_pass(&ld, get_document);
	free(ld.ids.slot);
	if (ret) {
		policy_free(ld.pol);
		return NULL;
	}
	return ld.pol;
}

/* Read a whole file; *len is its size. Returns NULL with err filled. */
static char *read_file(const char *path, size_t *len, struct policy_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0;

	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > POLICY_FILE_MAX + 1)
				cap = POLICY_FILE_MAX + 1;
			if (n == cap) {
				snprintf(err->msg, sizeof(err->msg), "file too large (over %u MiB)", POLICY_FILE_MAX >> 20);
				goto fail;
			}
			if (!(grown = realloc(buf, cap))) {
				snprintf(err->msg, sizeof(err->msg), "out of memory");
				goto fail;
			}
			buf = grown;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			snprintf(err->msg, sizeof(err->msg), "read error: %s", strerror(errno));
			goto fail;
		}
		if (feof(f))
			break;
	}
	fclose(f);
	*len = n;
	return buf ? buf : calloc(1, 1);
fail:
	free(buf);
	fclose(f);
	return NULL;
}

struct sw_policy *policy_load_file(const char *path, struct policy_error *err)
{
	struct policy_error local;
	struct sw_policy *p;
	size_t len = 0;
	char *buf;

	if (!err)
		err = &local;
	error_init(err, path);
	buf = read_file(path, &len, err);
	if (!buf)
		return NULL;
	p = policy_load_buffer(buf, len, path, err);
	free(buf);
	return p;
}

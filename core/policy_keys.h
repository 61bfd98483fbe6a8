/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to the policy code: the one table of known policy keys, shared by the loader (policy_yaml.c) and the
 * writer (policy.c) so that a new key is one row in policy.c (plus its default and its line in docs/policy.md).
 */
#ifndef SW_POLICY_KEYS_H
#define SW_POLICY_KEYS_H

#include <stddef.h>
#include <stdint.h>

enum policy_key_type {
	PK_UINT,       /* uint32_t, decimal, min..max */
	PK_BOOL,       /* bool, true | false */
	PK_STRING,     /* char[size], printable ASCII, at most size - 1 bytes */
	PK_TOKEN_LIST, /* char[max_count][size] + uint32_t count: RFC 3261 tokens, no duplicates */
	PK_PORT_LIST,  /* uint16_t[max_count] + uint32_t count: min..max each, no duplicates */
	PK_ENUM,       /* an enum stored as int; names[] in value order */
};

struct policy_key {
	const char *section;
	const char *key;
	enum policy_key_type type;
	uint32_t min, max;         /* PK_UINT, PK_PORT_LIST entries: inclusive range */
	size_t off;                /* offsetof(struct sw_policy, field) */
	size_t size;               /* PK_STRING, PK_TOKEN_LIST: bytes per string, NUL included */
	size_t count_off;          /* lists: offsetof the uint32_t count */
	uint32_t min_count;        /* lists: fewest entries */
	uint32_t max_count;        /* lists: capacity */
	const char *const *names;  /* PK_ENUM: NULL-terminated */
};

/*
 * Rows are grouped by section, sections in the order policy_write emits them. The rules section is not in the
 * table: it is a list of mappings, parsed by its own code.
 */
extern const struct policy_key policy_keys[];
extern const size_t policy_nkeys;

#define POLICY_RULES_SECTION "rules"

/* Limits of the rules section. */
#define POLICY_MAX_RULES 100000u
#define POLICY_MAX_PATTERNS 100000u /* literals + regexes of one rule */
#define POLICY_PATTERN_MAX 1024u    /* bytes per pattern */

extern const char *const policy_where_names[];  /* by enum sw_rule_where; "header" takes a NAME */
extern const char *const policy_action_names[]; /* by enum sw_rule_action */

#endif

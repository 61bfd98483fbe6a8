/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy: everything an operator sets in the YAML file, with documented defaults (policy_defaults()).
 * Built off the hot path by policy_load_file(); read-only once published to workers.
 */
#ifndef SW_POLICY_H
#define SW_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sip_msg.h"

#define SW_MAX_SUPPORTED 64
#define SW_OPTION_TAG_MAX 64
#define SW_MAX_SIP_PORTS 16
#define SW_RULE_ID_MAX 64
#define SW_REASON_MAX 96
#define SW_SERVER_MAX 96

enum sw_rule_where {
	SW_WHERE_HEADER,      /* header NAME: every line of that header, unfolded, any case or compact form */
	SW_WHERE_ANY_HEADER,  /* every header value */
	SW_WHERE_METHOD,
	SW_WHERE_REQUEST_URI,
	SW_WHERE_BODY,
	SW_WHERE_MESSAGE,     /* the whole datagram as received */
};

enum sw_rule_action {
	SW_RULE_DROP,
	SW_RULE_REPLY,
	SW_RULE_PASS,
	SW_RULE_COUNT,
};

/* One rule as written in the policy file (issue: rules). Compiled into the policy's rules database. */
struct sw_rule_spec {
	char id[SW_RULE_ID_MAX];
	enum sw_rule_where where;
	char header[64];         /* SW_WHERE_HEADER: the name as written */
	enum sip_hdr_id hdr_id;  /* SW_WHERE_HEADER: known id, or SIP_HDR_OTHER (matched by name) */
	char **literals;         /* NUL-terminated strings; a literal may not contain NUL */
	uint32_t nliterals;
	char **regexes;
	uint32_t nregexes;
	bool caseless;
	enum sw_rule_action action;
	uint16_t status;         /* SW_RULE_REPLY: 400..699 */
	char reason[SW_REASON_MAX];
	uint32_t line;           /* where in the file, for messages */
};

enum sw_frag_action {
	SW_FRAG_REASSEMBLE,
	SW_FRAG_DROP,
	SW_FRAG_PASS,
};

struct rules_db; /* compiled Hyperscan database + per-worker scratch (rules.h) */

struct sw_policy {
	/* limits: */
	uint32_t max_message_bytes;     /* default 4096, 64..65535 */
	uint32_t max_request_uri_bytes; /* default 1024, 16..65535 */
	uint32_t retry_after_seconds;   /* default 0 (no Retry-After in 413), 0..86400 */
	/* headers: */
	bool require_max_forwards;      /* default false (RFC 3261 16.3: a proxy adds it) */
	/* extensions: */
	char supported[SW_MAX_SUPPORTED][SW_OPTION_TAG_MAX];
	uint32_t nsupported;            /* default: 100rel timer replaces path gruu outbound */
	bool check_require;             /* default false */
	/* response: */
	char server[SW_SERVER_MAX];     /* Server header value in replies; empty (default) = none */
	/* dataplane: */
	uint16_t sip_ports[SW_MAX_SIP_PORTS];
	uint32_t nsip_ports;            /* default [5060] */
	bool judge_inside;              /* default false: traffic from the inside port is forwarded unjudged */
	/* fragments: */
	enum sw_frag_action frag_action; /* default reassemble */
	uint32_t frag_max_datagram;     /* default 65535 */
	uint32_t frag_max_flows;        /* default 4096 datagrams in flight */
	uint32_t frag_timeout_ms;       /* default 2000 */
	/* reply_budget: */
	uint32_t budget_prefix_pps;     /* default 50 replies/s per source prefix */
	uint32_t budget_prefix_burst;   /* default 100 */
	uint32_t budget_v4_prefix;      /* default 24 */
	uint32_t budget_v6_prefix;      /* default 64 */
	uint32_t budget_global_pps;     /* default 100000 */
	uint32_t budget_global_burst;   /* default 200000 */
	/* prefilter (XDP): */
	uint32_t xdp_min_payload;       /* default 4 ("\r\n\r\n" keepalives pass separately) */
	uint32_t xdp_max_payload;       /* default 65507 */
	uint32_t xdp_rate_pps;          /* default 0 = no per-source rate limit */
	uint32_t xdp_rate_burst;        /* default 0 = rate_pps */
	uint32_t xdp_rate_v4_prefix;    /* default 32 */
	uint32_t xdp_rate_v6_prefix;    /* default 128 */
	bool xdp_allow_fragments;       /* default true */

	/* rules: */
	struct sw_rule_spec *rules;
	uint32_t nrules;
	struct rules_db *db;            /* compiled rules, NULL when nrules == 0 or not compiled yet */

	uint64_t version;               /* set when committed */
};

/* Fill p with the documented defaults. p must be zeroed or freshly allocated; owns nothing afterwards. */
void policy_defaults(struct sw_policy *p);

/*
 * An error found while loading: file, line, column (1-based) and what is wrong.
 */
struct policy_error {
	char file[256];
	uint32_t line;
	uint32_t column;
	char msg[512];
};

/*
 * Load and validate a policy file. Returns a new policy (defaults for absent keys; rules parsed but not compiled)
 * or NULL with err filled. Nothing global changes either way.
 */
struct sw_policy *policy_load_file(const char *path, struct policy_error *err);
/* Same, from a buffer; name is used in messages. */
struct sw_policy *policy_load_buffer(const char *buf, size_t len, const char *name, struct policy_error *err);

/* Free a policy and everything it owns (rules, compiled db). NULL-safe. */
void policy_free(struct sw_policy *p);

/* Write a policy as YAML that policy_load_* reads back to an equal policy. Returns 0 or -errno. */
int policy_write(const struct sw_policy *p, FILE *f);

/* Format "file:line:col: msg" into buf. */
void policy_error_format(const struct policy_error *err, char *buf, size_t len);

/* ---- runtime edits: the daemon builds a new version from the running one (sipwallctl rule, limits) ---- */

/* The policy as YAML in a malloc'd buffer (policy_write), its length in *len. NULL with errno set. */
char *policy_write_string(const struct sw_policy *p, size_t *len);

/* A deep copy, through the writer and the loader (so it is also checked): rules parsed, not compiled, version 0.
 * NULL with err filled. */
struct sw_policy *policy_clone(const struct sw_policy *p, struct policy_error *err);

/*
 * Set one key of p (section "limits", key "max_message_bytes", value as it would be written in a file: "4096",
 * "[5060, 5070]", "true"), checked by the loader exactly as in a file. 0, or -ENOENT (no such key) / -EINVAL with
 * err filled; p is unchanged on failure. Cross-key checks happen when the result is loaded again.
 */
int policy_set_key(struct sw_policy *p, const char *section, const char *key, const char *value,
		   struct policy_error *err);

/* Index of the rule with this id, or -1. */
int policy_rule_find(const struct sw_policy *p, const char *id);

/* Insert *r at index at (clamped to nrules): p takes what r owns and *r is zeroed. 0 or -ENOMEM. p->db is left
 * as it was: the result must be compiled again. */
int policy_rule_insert(struct sw_policy *p, struct sw_rule_spec *r, uint32_t at);

/* Remove and free the rule at index at (nothing when out of range). */
void policy_rule_remove(struct sw_policy *p, uint32_t at);

#endif

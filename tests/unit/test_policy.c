// SPDX-License-Identifier: BSD-3-Clause
/*
 * Policy loader and writer (core/policy.c, core/policy_yaml.c): defaults, every key, every class of error with its
 * line, column and message, rules, the writer's round trip, the shipped policy files, and truncated or damaged
 * files (every prefix and many single-byte changes of policy/example.yaml must load or fail cleanly).
 * Fixtures are written inline; positions are 1-based, counted by hand from the YAML text next to them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define POLICY_DIR TEST_DATA_DIR "/../../policy"

/* ---- helpers ---- */

static struct sw_policy *load(const char *yaml, struct policy_error *err)
{
	return policy_load_buffer(yaml, strlen(yaml), "t.yaml", err);
}

/* Load a fixture that must be valid; fail the test with the loader's message if it is not. */
static struct sw_policy *load_ok(const char *yaml)
{
	struct policy_error err;
	struct sw_policy *p = load(yaml, &err);

	if (!p)
		fail_msg("expected to load, got %s:%u:%u: %s", err.file, err.line, err.column, err.msg);
	return p;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void assert_strings_equal(char *const *a, uint32_t na, char *const *b, uint32_t nb)
{
	assert_int_equal(na, nb);
	for (uint32_t i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

/* Equal as policies: every field, every rule. A rule's line is where it was written, so it is not compared. */
static void assert_policy_equal(const struct sw_policy *a, const struct sw_policy *b)
{
	assert_int_equal(a->max_message_bytes, b->max_message_bytes);
	assert_int_equal(a->max_request_uri_bytes, b->max_request_uri_bytes);
	assert_int_equal(a->retry_after_seconds, b->retry_after_seconds);
	assert_int_equal(a->require_max_forwards, b->require_max_forwards);
	assert_int_equal(a->nsupported, b->nsupported);
	for (uint32_t i = 0; i < a->nsupported; i++)
		assert_string_equal(a->supported[i], b->supported[i]);
	assert_int_equal(a->check_require, b->check_require);
	assert_string_equal(a->server, b->server);
	assert_int_equal(a->nsip_ports, b->nsip_ports);
	for (uint32_t i = 0; i < a->nsip_ports; i++)
		assert_int_equal(a->sip_ports[i], b->sip_ports[i]);
	assert_int_equal(a->judge_inside, b->judge_inside);
	assert_int_equal(a->frag_action, b->frag_action);
	assert_int_equal(a->frag_max_datagram, b->frag_max_datagram);
	assert_int_equal(a->frag_max_flows, b->frag_max_flows);
	assert_int_equal(a->frag_timeout_ms, b->frag_timeout_ms);
	assert_int_equal(a->budget_prefix_pps, b->budget_prefix_pps);
	assert_int_equal(a->budget_prefix_burst, b->budget_prefix_burst);
	assert_int_equal(a->budget_v4_prefix, b->budget_v4_prefix);
	assert_int_equal(a->budget_v6_prefix, b->budget_v6_prefix);
	assert_int_equal(a->budget_global_pps, b->budget_global_pps);
	assert_int_equal(a->budget_global_burst, b->budget_global_burst);
	assert_int_equal(a->xdp_min_payload, b->xdp_min_payload);
	assert_int_equal(a->xdp_max_payload, b->xdp_max_payload);
	assert_int_equal(a->xdp_rate_pps, b->xdp_rate_pps);
	assert_int_equal(a->xdp_rate_burst, b->xdp_rate_burst);
	assert_int_equal(a->xdp_rate_v4_prefix, b->xdp_rate_v4_prefix);
	assert_int_equal(a->xdp_rate_v6_prefix, b->xdp_rate_v6_prefix);
	assert_int_equal(a->xdp_allow_fragments, b->xdp_allow_fragments);
	assert_int_equal(a->nrules, b->nrules);
	for (uint32_t i = 0; i < a->nrules; i++) {
		const struct sw_rule_spec *x = &a->rules[i], *y = &b->rules[i];

		assert_string_equal(x->id, y->id);
		assert_int_equal(x->where, y->where);
		assert_string_equal(x->header, y->header);
		assert_int_equal(x->hdr_id, y->hdr_id);
		assert_strings_equal(x->literals, x->nliterals, y->literals, y->nliterals);
		assert_strings_equal(x->regexes, x->nregexes, y->regexes, y->nregexes);
		assert_int_equal(x->caseless, y->caseless);
		assert_int_equal(x->action, y->action);
		assert_int_equal(x->status, y->status);
		assert_string_equal(x->reason, y->reason);
	}
}

/* policy_write into memory. The caller frees the text. */
static char *write_to_string(const struct sw_policy *p, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert_non_null(f);
	assert_int_equal(policy_write(p, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Write p, load the text, assert the result equals p. */
static void assert_round_trip(const struct sw_policy *p)
{
	struct policy_error err;
	struct sw_policy *q;
	size_t len;
	char *text = write_to_string(p, &len);

	q = policy_load_buffer(text, len, "written", &err);
	if (!q)
		fail_msg("written policy does not load: %u:%u: %s\n%s", err.line, err.column, err.msg, text);
	assert_policy_equal(p, q);
	policy_free(q);
	free(text);
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct sw_policy d = { 0 };
	struct sw_policy *p;
	static const char *const tags[] = { "100rel", "timer", "replaces", "path", "gruu", "outbound" };

	(void)state;
	policy_defaults(&d);
	/* The values documented in policy.h and docs/policy.md. */
	assert_int_equal(d.max_message_bytes, 4096);
	assert_int_equal(d.max_request_uri_bytes, 1024);
	assert_int_equal(d.retry_after_seconds, 0);
	assert_false(d.require_max_forwards);
	assert_int_equal(d.nsupported, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(d.supported[i], tags[i]);
	assert_false(d.check_require);
	assert_string_equal(d.server, "");
	assert_int_equal(d.nsip_ports, 1);
	assert_int_equal(d.sip_ports[0], 5060);
	assert_false(d.judge_inside);
	assert_int_equal(d.frag_action, SW_FRAG_REASSEMBLE);
	assert_int_equal(d.frag_max_datagram, 65535);
	assert_int_equal(d.frag_max_flows, 4096);
	assert_int_equal(d.frag_timeout_ms, 2000);
	assert_int_equal(d.budget_prefix_pps, 50);
	assert_int_equal(d.budget_prefix_burst, 100);
	assert_int_equal(d.budget_v4_prefix, 24);
	assert_int_equal(d.budget_v6_prefix, 64);
	assert_int_equal(d.budget_global_pps, 100000);
	assert_int_equal(d.budget_global_burst, 200000);
	assert_int_equal(d.xdp_min_payload, 4);
	assert_int_equal(d.xdp_max_payload, 65507);
	assert_int_equal(d.xdp_rate_pps, 0);
	assert_int_equal(d.xdp_rate_burst, 0);
	assert_int_equal(d.xdp_rate_v4_prefix, 32);
	assert_int_equal(d.xdp_rate_v6_prefix, 128);
	assert_true(d.xdp_allow_fragments);
	assert_int_equal(d.nrules, 0);
	assert_null(d.rules);
	assert_null(d.db);

	/* Files with nothing in them are the defaults. */
	static const char *const empty[] = { "", "\n", "# only a comment\n", "---\n", "---\n...\n", "{}\n",
					     "limits:\nheaders: ~\nrules: null\n", "limits: {}\nrules: []\n" };
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		p = load_ok(empty[i]);
		assert_policy_equal(&d, p);
		assert_null(p->db);
		policy_free(p);
	}
	policy_free(NULL);
}

/* ---- every key ---- */

/* Every key set to something other than its default. */
static const char every_key[] =
	"limits:\n"
	"  max_message_bytes: 65535\n"
	"  max_request_uri_bytes: 16\n"
	"  retry_after_seconds: 86400\n"
	"headers:\n"
	"  require_max_forwards: true\n"
	"extensions:\n"
	"  supported:\n"
	"    - timer\n"
	"    - x.y-z!%*_+`'~\n"
	"  check_require: True\n"
	"response:\n"
	"  server: 'edge \"1\" : #2'\n"
	"dataplane:\n"
	"  sip_ports: [1, 5060, 65535]\n"
	"  judge_inside: TRUE\n"
	"fragments:\n"
	"  action: drop\n"
	"  max_datagram_bytes: 576\n"
	"  max_in_flight: 1048576\n"
	"  timeout_ms: 60000\n"
	"reply_budget:\n"
	"  per_prefix_pps: 1\n"
	"  per_prefix_burst: 10000000\n"
	"  ipv4_prefix_len: 0\n"
	"  ipv6_prefix_len: 128\n"
	"  global_pps: 100000000\n"
	"  global_burst: 1\n"
	"prefilter:\n"
	"  min_payload_bytes: 0\n"
	"  max_payload_bytes: 1\n"
	"  rate_pps: 100000000\n"
	"  rate_burst: 7\n"
	"  rate_ipv4_prefix_len: 0\n"
	"  rate_ipv6_prefix_len: 0\n"
	"  allow_fragments: false\n";

static void test_every_key(void **state)
{
	struct sw_policy *p = load_ok(every_key);

	(void)state;
	assert_int_equal(p->max_message_bytes, 65535);
	assert_int_equal(p->max_request_uri_bytes, 16);
	assert_int_equal(p->retry_after_seconds, 86400);
	assert_true(p->require_max_forwards);
	assert_int_equal(p->nsupported, 2);
	assert_string_equal(p->supported[0], "timer");
	assert_string_equal(p->supported[1], "x.y-z!%*_+`'~");
	assert_true(p->check_require);
	assert_string_equal(p->server, "edge \"1\" : #2");
	assert_int_equal(p->nsip_ports, 3);
	assert_int_equal(p->sip_ports[0], 1);
	assert_int_equal(p->sip_ports[1], 5060);
	assert_int_equal(p->sip_ports[2], 65535);
	assert_true(p->judge_inside);
	assert_int_equal(p->frag_action, SW_FRAG_DROP);
	assert_int_equal(p->frag_max_datagram, 576);
	assert_int_equal(p->frag_max_flows, 1048576);
	assert_int_equal(p->frag_timeout_ms, 60000);
	assert_int_equal(p->budget_prefix_pps, 1);
	assert_int_equal(p->budget_prefix_burst, 10000000);
	assert_int_equal(p->budget_v4_prefix, 0);
	assert_int_equal(p->budget_v6_prefix, 128);
	assert_int_equal(p->budget_global_pps, 100000000);
	assert_int_equal(p->budget_global_burst, 1);
	assert_int_equal(p->xdp_min_payload, 0);
	assert_int_equal(p->xdp_max_payload, 1);
	assert_int_equal(p->xdp_rate_pps, 100000000);
	assert_int_equal(p->xdp_rate_burst, 7);
	assert_int_equal(p->xdp_rate_v4_prefix, 0);
	assert_int_equal(p->xdp_rate_v6_prefix, 0);
	assert_false(p->xdp_allow_fragments);
	assert_int_equal(p->nrules, 0);
	assert_round_trip(p);
	policy_free(p);
}

/* Flow style, quoted keys, an empty tag list and the third enum value are the same policy as block style. */
static void test_styles(void **state)
{
	struct sw_policy *p;

	(void)state;
	p = load_ok("{\"limits\": {max_message_bytes: 100}, extensions: {supported: []}, fragments: {action: pass},"
		    " response: {server: \"\"}}");
	assert_int_equal(p->max_message_bytes, 100);
	assert_int_equal(p->nsupported, 0);
	assert_int_equal(p->frag_action, SW_FRAG_PASS);
	assert_string_equal(p->server, "");
	assert_round_trip(p);
	policy_free(p);
}

/* ---- errors ---- */

struct error_case {
	const char *name;
	const char *yaml;
	uint32_t line, column;
	const char *msg; /* a substring of the message */
};

static const struct error_case error_cases[] = {
	/* structure */
	{ "unknown section", "limitz:\n  a: 1\n", 1, 1, "unknown section 'limitz' (known: limits, headers," },
	{ "version is not a section", "version: 1\n", 1, 1, "unknown section 'version'" },
	{ "unknown key", "limits:\n  max_msg: 1\n", 2, 3,
	  "unknown key 'max_msg' in section 'limits' (known: max_message_bytes, max_request_uri_bytes," },
	{ "key of another section", "headers:\n  check_require: true\n", 2, 3,
	  "unknown key 'check_require' in section 'headers'" },
	{ "duplicate key", "limits:\n  retry_after_seconds: 1\n  retry_after_seconds: 2\n", 3, 3,
	  "duplicate key 'limits.retry_after_seconds' (first at line 2)" },
	{ "duplicate section", "headers: {}\nlimits: {}\nheaders: {}\n", 3, 1,
	  "duplicate section 'headers' (first at line 1)" },
	{ "duplicate rules section", "rules: []\nrules: []\n", 2, 1, "duplicate section 'rules' (first at line 1)" },
	{ "top level is a list", "- limits\n- headers\n", 1, 1, "the top level must be a mapping of sections, got a list" },
	{ "top level is a scalar", "hello\n", 1, 1, "the top level must be a mapping of sections, got 'hello'" },
	{ "two documents", "limits: {}\n---\nheaders: {}\n", 2, 1, "only one YAML document" },
	{ "section is a scalar", "limits: 5\n", 1, 9, "section 'limits' must be a mapping of keys, got '5'" },
	{ "section is a list", "headers:\n  - a\n", 2, 3, "section 'headers' must be a mapping of keys, got a list" },
	{ "section name is a list", "[a]: 1\n", 1, 1, "expected a section name, got a list" },
	{ "key is a mapping", "limits:\n  {a: 1}: 2\n", 2, 3, "section 'limits': expected a key name, got a mapping" },
	{ "alias", "limits: &a {}\nheaders: *a\n", 2, 10, "YAML aliases are not supported" },
	{ "tag", "limits:\n  max_message_bytes: !!int 5000\n", 2, 22, "YAML tags are not supported in a policy ('tag:yaml.org,2002:int')" },
	{ "NUL in a key", "\"limits\\0x\": {}\n", 1, 1, "unknown section" },

	/* numbers: "  max_message_bytes: " is 21 characters, so its value is at column 22 */
	{ "string for a number", "limits:\n  max_message_bytes: \"4096\"\n", 2, 22,
	  "limits.max_message_bytes: expected an unsigned integer, got the quoted string \"4096\"" },
	{ "number with letters", "limits:\n  max_message_bytes: 12abc\n", 2, 22,
	  "limits.max_message_bytes: expected an unsigned integer, got '12abc'" },
	{ "negative", "limits:\n  max_message_bytes: -5\n", 2, 22,
	  "limits.max_message_bytes: must not be negative (-5), range 64..65535" },
	{ "below range", "limits:\n  max_message_bytes: 63\n", 2, 22,
	  "limits.max_message_bytes: 63 is out of range 64..65535" },
	{ "above range", "limits:\n  max_message_bytes: 65536\n", 2, 22,
	  "limits.max_message_bytes: 65536 is out of range 64..65535" },
	{ "overflows 64 bits", "limits:\n  max_message_bytes: 340282366920938463463374607431768211456\n", 2, 22,
	  "is out of range 64..65535" },
	{ "leading zero", "limits:\n  retry_after_seconds: 010\n", 2, 24, "'010' has a leading zero" },
	{ "float", "limits:\n  max_message_bytes: 4096.0\n", 2, 22, "expected an unsigned integer, got '4096.0'" },
	{ "hex", "limits:\n  max_message_bytes: 0x1000\n", 2, 22, "expected an unsigned integer, got '0x1000'" },
	{ "plus sign", "limits:\n  max_message_bytes: +4096\n", 2, 22, "expected an unsigned integer, got '+4096'" },
	{ "list for a number", "limits:\n  max_message_bytes: [1]\n", 2, 22, "expected an unsigned integer, got a list" },
	{ "null for a number", "limits:\n  max_message_bytes: ~\n", 2, 22,
	  "expected an unsigned integer, got nothing (null)" },
	{ "missing value", "limits:\n  max_message_bytes:\n  retry_after_seconds: 1\n", 2, 21,
	  "limits.max_message_bytes: expected an unsigned integer, got nothing (null)" },
	{ "prefix length range", "reply_budget:\n  ipv4_prefix_len: 33\n", 2, 20,
	  "reply_budget.ipv4_prefix_len: 33 is out of range 0..32" },
	{ "min above max", "prefilter:\n  min_payload_bytes: 100\n  max_payload_bytes: 50\n", 3, 3,
	  "prefilter.min_payload_bytes (100) must not exceed prefilter.max_payload_bytes (50)" },
	{ "min above default max", "prefilter:\n  max_payload_bytes: 3\n", 2, 3,
	  "prefilter.min_payload_bytes (4) must not exceed prefilter.max_payload_bytes (3)" },

	/* bool, enum, string: "  require_max_forwards: " is 24 characters, "  action: " and "  server: " 10 */
	{ "yes is not a bool", "headers:\n  require_max_forwards: yes\n", 2, 25,
	  "headers.require_max_forwards: expected true or false, got 'yes'" },
	{ "quoted bool", "headers:\n  require_max_forwards: \"true\"\n", 2, 25,
	  "expected true or false, got the quoted string \"true\"" },
	{ "number for a bool", "dataplane:\n  judge_inside: 1\n", 2, 17, "dataplane.judge_inside: expected true or false" },
	{ "unknown enum", "fragments:\n  action: keep\n", 2, 11,
	  "fragments.action: expected one of reassemble, drop, pass, got 'keep'" },
	{ "control character in a string", "response:\n  server: \"a\\tb\"\n", 2, 11,
	  "response.server: only printable ASCII is allowed" },
	{ "non-ASCII string", "response:\n  server: \"caf\xc3\xa9\"\n", 2, 11, "only printable ASCII" },
	{ "string too long", "response:\n  server: "
			     "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456\"\n",
	  2, 11, "response.server: longer than 95 characters" },
	{ "null string", "response:\n  server:\n", 2, 10, "response.server: expected a string, got nothing (null)" },

	/* lists: "  supported: [" is 14 characters, "  sip_ports: [" too */
	{ "tag with a space", "extensions:\n  supported: [100rel, \"ti mer\"]\n", 2, 23,
	  "extensions.supported: 'ti mer' is not an RFC 3261 option tag (a token)" },
	{ "tag with a slash", "extensions:\n  supported: [a/b]\n", 2, 15, "'a/b' is not an RFC 3261 option tag" },
	{ "empty tag", "extensions:\n  supported: [\"\"]\n", 2, 15, "'' is not an RFC 3261 option tag" },
	{ "tag too long", "extensions:\n  supported: "
			  "[a123456789012345678901234567890123456789012345678901234567890123]\n",
	  2, 15, "is longer than 63 characters" },
	{ "tag twice", "extensions:\n  supported: [timer, path, timer]\n", 2, 28,
	  "extensions.supported: 'timer' is listed twice" },
	{ "tags not a list", "extensions:\n  supported: timer\n", 2, 14,
	  "extensions.supported: expected a list, got 'timer'" },
	{ "port twice", "dataplane:\n  sip_ports: [5060, 5060]\n", 2, 21, "dataplane.sip_ports: 5060 is listed twice" },
	{ "port 0", "dataplane:\n  sip_ports: [0]\n", 2, 15, "dataplane.sip_ports: 0 is out of range 1..65535" },
	{ "port too large", "dataplane:\n  sip_ports: [65536]\n", 2, 15, "65536 is out of range 1..65535" },
	{ "no port", "dataplane:\n  sip_ports: []\n", 2, 14, "dataplane.sip_ports: needs at least 1 entry" },
	{ "port list of lists", "dataplane:\n  sip_ports: [[5060]]\n", 2, 15, "expected an unsigned integer, got a list" },

	/* YAML syntax: libyaml's problem and position */
	{ "mapping in a plain value", "limits:\n  max_message_bytes: b: c\n", 2, 23, "invalid YAML: mapping values are not allowed in this context" },
	{ "tab indentation", "limits:\n\tmax_message_bytes: 100\n", 2, 1,
	  "invalid YAML: found character that cannot start any token (while scanning for the next token at line 2, column 1)" },
	{ "unclosed flow list", "dataplane:\n  sip_ports: [5060\n", 3, 1,
	  "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 14)" },
	{ "unclosed quote", "response:\n  server: \"abc\n", 3, 1,
	  "invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 2, column 11)" },
	{ "bad indentation", "limits:\n    max_message_bytes: 100\n  retry_after_seconds: 1\n", 3, 3,
	  "invalid YAML: did not find expected key (while parsing a block mapping at line 1, column 1)" },
	{ "invalid UTF-8", "limits:\n  \xff: 1\n", 2, 3, "invalid YAML: invalid leading UTF-8 octet (byte 0xff)" },
	/* columns count characters: the 0x0a is the 5th on its line (after '#', ' ', U+00E9 and the cut-off one) */
	{ "bad UTF-8 continuation", "# \xc3\xa9\xc3\xa9\n# \xc3\xa9\xe2\x82\n", 2, 5,
	  "invalid YAML: invalid trailing UTF-8 octet (byte 0x0a)" },
	{ "UTF-8 cut at the end", "# \xc3\xa9\xc3\xa9\n# \xc3\xa9\xe2\x82", 2, 4,
	  "invalid YAML: incomplete UTF-8 octet sequence" },

	/* rules: "  - " puts a rule's first key at column 5 */
	{ "rules is a mapping", "rules: {}\n", 1, 8, "rules must be a list of rules, got a mapping" },
	{ "rule is a scalar", "rules:\n  - drop\n", 2, 5, "rules: each rule must be a mapping, got 'drop'" },
	{ "rule without id", "rules:\n  - where: method\n    literal: [x]\n    action: drop\n", 2, 5,
	  "rule '?': missing required key 'id'" },
	{ "rule without where", "rules:\n  - id: a\n    literal: [x]\n    action: drop\n", 2, 5,
	  "rule 'a': missing required key 'where'" },
	{ "rule without action", "rules:\n  - id: a\n    where: method\n    literal: [x]\n", 2, 5,
	  "rule 'a': missing required key 'action'" },
	{ "rule without pattern", "rules:\n  - id: a\n    where: method\n    literal: []\n    action: drop\n", 2, 5,
	  "rule 'a': needs at least one pattern (literal or regex)" },
	{ "rule id characters", "rules:\n  - id: a/b\n", 2, 9,
	  "rule id 'a/b': only letters, digits, '_', '.' and '-' are allowed" },
	{ "rule id too long", "rules:\n  - id: "
			      "a123456789012345678901234567890123456789012345678901234567890123\n",
	  2, 9, "is longer than 63 characters" },
	{ "rule id empty", "rules:\n  - id: \"\"\n    where: method\n    literal: [x]\n    action: drop\n", 2, 9,
	  "rule id may not be empty" },
	{ "rule id twice", "rules:\n  - {id: a, where: method, literal: [x], action: drop}\n"
			   "  - {id: b, where: method, literal: [x], action: drop}\n"
			   "  - {id: a, where: method, literal: [x], action: drop}\n",
	  4, 10, "duplicate rule id 'a' (first at line 2)" },
	{ "unknown where", "rules:\n  - id: a\n    where: headers\n", 3, 12,
	  "where: unknown 'headers' (expected header NAME, any-header, method, request-uri, body or message)" },
	{ "header without name", "rules:\n  - id: a\n    where: header\n", 3, 12,
	  "where: 'header' takes one header name (where: header NAME)" },
	{ "header with two names", "rules:\n  - id: a\n    where: header From To\n", 3, 12,
	  "'header' takes one header name" },
	{ "header name not a token", "rules:\n  - id: a\n    where: \"header Fr:om\"\n", 3, 12,
	  "where: 'Fr:om' is not a header name (a token)" },
	{ "where is a list", "rules:\n  - id: a\n    where: [method]\n", 3, 12, "where: expected a string, got a list" },
	{ "empty literal", "rules:\n  - id: a\n    where: method\n    literal: [x, \"\"]\n", 4, 18,
	  "literal: a pattern may not be empty" },
	{ "NUL in a literal", "rules:\n  - id: a\n    where: method\n    literal: [\"a\\0b\"]\n", 4, 15,
	  "literal: a string may not contain NUL" },
	{ "literal not a list", "rules:\n  - id: a\n    where: method\n    literal: x\n", 4, 14,
	  "literal: expected a list of strings, got 'x'" },
	{ "regex of a mapping", "rules:\n  - id: a\n    where: method\n    regex: [{a: b}]\n", 4, 13,
	  "regex: expected a string, got a mapping" },
	{ "unknown action", "rules:\n  - id: a\n    where: method\n    literal: [x]\n    action: reject\n", 5, 13,
	  "action: expected one of drop, reply, pass, count, got 'reject'" },
	{ "status without reply", "rules:\n  - id: a\n    where: method\n    literal: [x]\n    status: 403\n"
				  "    action: drop\n",
	  5, 5, "rule 'a': status is only allowed with action reply" },
	{ "reason without reply", "rules:\n  - id: a\n    where: method\n    literal: [x]\n    action: count\n"
				  "    reason: Nope\n",
	  6, 5, "rule 'a': reason is only allowed with action reply" },
	{ "reply without status", "rules:\n  - id: a\n    where: method\n    literal: [x]\n    action: reply\n", 2, 5,
	  "rule 'a': action reply needs a status (400..699)" },
	{ "status below 400", "rules:\n  - id: a\n    status: 399\n", 3, 13, "status: 399 is out of range 400..699" },
	{ "status above 699", "rules:\n  - id: a\n    status: 700\n", 3, 13, "status: 700 is out of range 400..699" },
	{ "reason with CR", "rules:\n  - id: a\n    reason: \"No\\r\\nX: y\"\n", 3, 13,
	  "reason: only printable ASCII is allowed (no CR, LF or controls)" },
	{ "reason too long", "rules:\n  - id: a\n    reason: "
			     "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456\"\n",
	  3, 13, "reason: longer than 95 characters" },
	{ "caseless not a bool", "rules:\n  - id: a\n    caseless: 1\n", 3, 15, "caseless: expected true or false, got '1'" },
	{ "unknown rule key", "rules:\n  - id: a\n    prio: 1\n", 3, 5,
	  "unknown key 'prio' in a rule (known: id, where, literal, regex, caseless, action, status, reason)" },
	{ "rule key twice", "rules:\n  - id: a\n    action: drop\n    action: pass\n", 4, 5,
	  "duplicate key 'action' in a rule (first at line 3)" },
	{ "rule key is a list", "rules:\n  - [id]: a\n", 2, 5, "rule: expected a key name, got a list" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct policy_error err;
		struct sw_policy *p = load(c->yaml, &err);

		if (p) {
			policy_free(p);
			fail_msg("%s: loaded, expected %u:%u: %s", c->name, c->line, c->column, c->msg);
		}
		if (err.line != c->line || err.column != c->column || !strstr(err.msg, c->msg))
			fail_msg("%s: got %u:%u: %s\n  expected %u:%u: ...%s...", c->name, err.line, err.column, err.msg,
				 c->line, c->column, c->msg);
		assert_string_equal(err.file, "t.yaml");
	}
}

/* Lists one past their capacity, built here: 64 tags, 16 ports. */
static void test_list_limits(void **state)
{
	char yaml[4096];
	size_t n;
	struct policy_error err;
	struct sw_policy *p;

	(void)state;
	n = (size_t)snprintf(yaml, sizeof(yaml), "extensions:\n  supported:\n");
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "    - t%d\n", i);
	p = load_ok(yaml);
	assert_int_equal(p->nsupported, 64);
	assert_string_equal(p->supported[63], "t63");
	policy_free(p);
	snprintf(yaml + n, sizeof(yaml) - n, "    - t64\n");
	assert_null(load(yaml, &err));
	assert_int_equal(err.line, 67); /* line 3 holds t0 */
	assert_int_equal(err.column, 7);
	assert_string_equal(err.msg, "extensions.supported: too many entries (at most 64)");

	n = (size_t)snprintf(yaml, sizeof(yaml), "dataplane:\n  sip_ports: [");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%d, ", 5060 + i);
	snprintf(yaml + n, sizeof(yaml) - n, "]\n");
	p = load_ok(yaml);
	assert_int_equal(p->nsip_ports, 16);
	assert_int_equal(p->sip_ports[15], 5075);
	policy_free(p);
	snprintf(yaml + n, sizeof(yaml) - n, "6000]\n");
	assert_null(load(yaml, &err));
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 15 + 16 * 6); /* each "50xx, " is 6 characters */
	assert_string_equal(err.msg, "dataplane.sip_ports: too many entries (at most 16)");
}

/* 100000 rules, 100000 patterns per rule, 1024 bytes per pattern: accepted at the limit, refused past it. */
static void test_rule_limits(void **state)
{
	const uint32_t max = 100000;
	struct policy_error err;
	struct sw_policy *p;
	size_t cap = (size_t)max * 64 + 4096, n = 0;
	char *yaml = malloc(cap);

	(void)state;
	assert_non_null(yaml);
	n += (size_t)snprintf(yaml + n, cap - n, "rules:\n");
	for (uint32_t i = 0; i < max; i++)
		n += (size_t)snprintf(yaml + n, cap - n, "- {id: r%u, where: method, literal: [x], action: drop}\n", i);
	p = policy_load_buffer(yaml, n, "big", &err);
	if (!p)
		fail_msg("%u:%u: %s", err.line, err.column, err.msg);
	assert_int_equal(p->nrules, max);
	assert_string_equal(p->rules[max - 1].id, "r99999");
	assert_int_equal(p->rules[max - 1].line, max + 1);
	policy_free(p);
	n += (size_t)snprintf(yaml + n, cap - n, "- {id: one-more, where: method, literal: [x], action: drop}\n");
	assert_null(policy_load_buffer(yaml, n, "big", &err));
	assert_int_equal(err.line, max + 2);
	assert_int_equal(err.column, 3);
	assert_string_equal(err.msg, "too many rules (at most 100000)");

	n = (size_t)snprintf(yaml, cap, "rules:\n- id: many\n  where: body\n  action: count\n  literal: [");
	for (uint32_t i = 0; i < max / 2; i++)
		n += (size_t)snprintf(yaml + n, cap - n, "a,");
	n += (size_t)snprintf(yaml + n, cap - n, "]\n  regex: [");
	for (uint32_t i = 0; i < max / 2; i++)
		n += (size_t)snprintf(yaml + n, cap - n, "b,");
	size_t before_end = n;
	n += (size_t)snprintf(yaml + n, cap - n, "]\n");
	p = policy_load_buffer(yaml, n, "many", &err);
	if (!p)
		fail_msg("%u:%u: %s", err.line, err.column, err.msg);
	assert_int_equal(p->rules[0].nliterals, max / 2);
	assert_int_equal(p->rules[0].nregexes, max / 2);
	policy_free(p);
	n = before_end + (size_t)snprintf(yaml + before_end, cap - before_end, "c]\n");
	assert_null(policy_load_buffer(yaml, n, "many", &err));
	assert_int_equal(err.line, 6);
	assert_int_equal(err.column, 11 + 2 * (max / 2)); /* "  regex: [" is 10 characters */
	assert_string_equal(err.msg, "rule 'many': too many patterns (at most 100000 per rule)");

	n = (size_t)snprintf(yaml, cap, "rules:\n- id: long\n  where: body\n  action: drop\n  regex: [");
	memset(yaml + n, 'x', 1024);
	n += 1024;
	n += (size_t)snprintf(yaml + n, cap - n, "]\n");
	p = policy_load_buffer(yaml, n, "long", &err);
	if (!p)
		fail_msg("%u:%u: %s", err.line, err.column, err.msg);
	assert_int_equal(strlen(p->rules[0].regexes[0]), 1024);
	policy_free(p);
	memmove(yaml + n - 2, "x]\n", 3);
	assert_null(policy_load_buffer(yaml, n + 1, "long", &err));
	assert_int_equal(err.line, 5);
	assert_int_equal(err.column, 11);
	assert_string_equal(err.msg, "regex: pattern is 1025 bytes, at most 1024 are allowed");
	free(yaml);
}

/* ---- rules ---- */

static const char rules_yaml[] =
	"rules:\n"
	"  - id: ua\n"                                   /* line 2 */
	"    where: header User-Agent\n"
	"    caseless: true\n"
	"    literal: [friendly-scanner, sipvicious]\n"
	"    action: drop\n"
	"  - id: callid-compact\n"                       /* line 7 */
	"    where: header i\n"
	"    regex: [\"^x\"]\n"
	"    action: count\n"
	"  - {id: callid-lower, where: header call-id, literal: [a], action: count}\n"
	"  - {id: via-spaced, where: \"header   VIA  \", literal: [a], action: count}\n"
	"  - {id: from-compact, where: header f, regex: [\"union\\\\s+select\"], action: reply, status: 403}\n"
	"  - {id: contact-compact, where: header m, literal: [a], action: count}\n"
	"  - {id: custom, where: header X-Scan-Id, literal: [a], action: pass}\n"
	"  - {id: anyh, where: any-header, literal: [a], regex: [b, c], action: count}\n"
	"  - {id: meth, where: method, literal: [MESSAGE], action: reply, status: 405, reason: \"Go away\"}\n"
	"  - {id: ruri, where: request-uri, regex: [\"^sip:100@\"], action: reply, status: 404}\n"
	"  - {id: body, where: body, literal: [\"v=0\"], action: reply, status: 488}\n"
	"  - {id: msg, where: message, literal: [\"\\r\\n\\r\\n\"], action: reply, status: 499}\n"
	"  - {id: r400, where: message, literal: [a], action: reply, status: 400}\n"
	"  - {id: r480, where: message, literal: [a], action: reply, status: 480}\n"
	"  - {id: r486, where: message, literal: [a], action: reply, status: 486}\n"
	"  - {id: r503, where: message, literal: [a], action: reply, status: 503}\n"
	"  - {id: r603, where: message, literal: [a], action: reply, status: 603}\n"
	"  - {id: \"null\", where: message, literal: [\"é\", \"'\\\"\"], caseless: false, action: drop}\n";

static void test_rules(void **state)
{
	struct sw_policy *p = load_ok(rules_yaml);
	const struct sw_rule_spec *r = p->rules;

	(void)state;
	assert_int_equal(p->nrules, 18);
	assert_null(p->db); /* parsed, not compiled */

	assert_string_equal(r[0].id, "ua");
	assert_int_equal(r[0].line, 2);
	assert_int_equal(r[0].where, SW_WHERE_HEADER);
	assert_string_equal(r[0].header, "User-Agent");
	assert_int_equal(r[0].hdr_id, SIP_HDR_USER_AGENT);
	assert_true(r[0].caseless);
	assert_int_equal(r[0].nliterals, 2);
	assert_string_equal(r[0].literals[0], "friendly-scanner");
	assert_string_equal(r[0].literals[1], "sipvicious");
	assert_int_equal(r[0].nregexes, 0);
	assert_null(r[0].regexes);
	assert_int_equal(r[0].action, SW_RULE_DROP);
	assert_int_equal(r[0].status, 0);
	assert_string_equal(r[0].reason, "");

	/* Compact and any-case names map to the header's id; the name stays as written. */
	assert_int_equal(r[1].line, 7);
	assert_string_equal(r[1].header, "i");
	assert_int_equal(r[1].hdr_id, SIP_HDR_CALL_ID);
	assert_false(r[1].caseless);
	assert_int_equal(r[1].nregexes, 1);
	assert_string_equal(r[1].regexes[0], "^x");
	assert_int_equal(r[1].action, SW_RULE_COUNT);
	assert_string_equal(r[2].header, "call-id");
	assert_int_equal(r[2].hdr_id, SIP_HDR_CALL_ID);
	assert_int_equal(r[2].line, 11);
	assert_string_equal(r[3].header, "VIA");
	assert_int_equal(r[3].hdr_id, SIP_HDR_VIA);
	assert_string_equal(r[4].header, "f");
	assert_int_equal(r[4].hdr_id, SIP_HDR_FROM);
	assert_string_equal(r[4].regexes[0], "union\\s+select");
	assert_int_equal(r[4].action, SW_RULE_REPLY);
	assert_int_equal(r[4].status, 403);
	assert_string_equal(r[4].reason, "Forbidden");
	assert_int_equal(r[5].hdr_id, SIP_HDR_CONTACT);
	assert_string_equal(r[6].header, "X-Scan-Id");
	assert_int_equal(r[6].hdr_id, SIP_HDR_OTHER);
	assert_int_equal(r[6].action, SW_RULE_PASS);

	assert_int_equal(r[7].where, SW_WHERE_ANY_HEADER);
	assert_string_equal(r[7].header, "");
	assert_int_equal(r[7].hdr_id, SIP_HDR_OTHER);
	assert_int_equal(r[7].nliterals, 1);
	assert_int_equal(r[7].nregexes, 2);
	assert_string_equal(r[7].regexes[1], "c");
	assert_int_equal(r[8].where, SW_WHERE_METHOD);
	assert_int_equal(r[8].status, 405);
	assert_string_equal(r[8].reason, "Go away");
	assert_int_equal(r[9].where, SW_WHERE_REQUEST_URI);
	assert_string_equal(r[9].reason, "Not Found");
	assert_int_equal(r[10].where, SW_WHERE_BODY);
	assert_string_equal(r[10].reason, "Not Acceptable Here");
	assert_int_equal(r[11].where, SW_WHERE_MESSAGE);
	assert_string_equal(r[11].literals[0], "\r\n\r\n");
	assert_string_equal(r[11].reason, "Rejected"); /* 499 has no standard phrase */
	assert_string_equal(r[12].reason, "Bad Request");
	assert_string_equal(r[13].reason, "Temporarily Unavailable");
	assert_string_equal(r[14].reason, "Busy Here");
	assert_string_equal(r[15].reason, "Service Unavailable");
	assert_string_equal(r[16].reason, "Decline");
	assert_string_equal(r[17].id, "null");
	assert_string_equal(r[17].literals[0], "\xc3\xa9");
	assert_string_equal(r[17].literals[1], "'\"");

	assert_round_trip(p);
	policy_free(p);
}

/* ---- writer ---- */

/* Strings the writer must quote or escape to read back the same. */
static void test_round_trip_tricky(void **state)
{
	static const char yaml[] =
		"extensions:\n"
		"  supported: [\"~\", \"*\", \"'q\", \"`t`\", \"!b\", \"%p\", \"-\", \"null\", \"true\", \"123\"]\n"
		"response:\n"
		"  server: \"a \\\"q\\\" b: c # d \\\\ e\"\n"
		"rules:\n"
		"  - id: \"123\"\n"
		"    where: header Fr.om\n"
		"    literal: [\"- x\", \"a: b\", \"# c\", \"\\t\\u00e9\\U0001F600\", \"[{,}]\", \"&a *b !c\", \"'\", \"\\\\\"]\n"
		"    regex: [\"^(?:a|b)\\\\d{2,}$\", \"" /* a regex longer than one output line */
		"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"]\n"
		"    action: reply\n"
		"    status: 699\n"
		"    reason: \"  spaced: 'out'  \"\n"
		"  - {id: \"-\", where: body, literal: [\"~\"], action: count}\n"
		"  - {id: \"true\", where: any-header, literal: [\"null\", \"\\\" \"], action: count}\n";
	struct sw_policy *p;

	(void)state;
	p = load_ok(yaml);
	assert_string_equal(p->supported[0], "~");
	assert_string_equal(p->server, "a \"q\" b: c # d \\ e");
	assert_string_equal(p->rules[0].id, "123");
	assert_int_equal(p->rules[0].hdr_id, SIP_HDR_OTHER);
	assert_string_equal(p->rules[0].literals[3], "\t\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(p->rules[0].reason, "  spaced: 'out'  ");
	assert_string_equal(p->rules[2].literals[1], "\" ");
	assert_round_trip(p);
	policy_free(p);
}

static void test_round_trip_defaults(void **state)
{
	struct sw_policy d = { 0 };

	(void)state;
	policy_defaults(&d);
	assert_round_trip(&d);
	d.nsupported = 0;
	d.server[0] = 'x';
	d.server[1] = '\0';
	assert_round_trip(&d);
}

/* A policy built in code: a header given only by id is written under its canonical name. */
static void test_write_built(void **state)
{
	struct sw_policy d = { 0 };
	struct sw_rule_spec r = { .id = "built", .where = SW_WHERE_HEADER, .hdr_id = SIP_HDR_CALL_ID,
				  .action = SW_RULE_REPLY, .status = 480, .reason = "Later" };
	char *lit[] = { "abc" };
	struct sw_policy *q;
	size_t len;
	char *text;

	(void)state;
	policy_defaults(&d);
	r.literals = lit;
	r.nliterals = 1;
	d.rules = &r;
	d.nrules = 1;
	text = write_to_string(&d, &len);
	assert_non_null(strstr(text, "where: header Call-ID\n"));
	q = policy_load_buffer(text, len, "built", NULL);
	assert_non_null(q);
	assert_int_equal(q->rules[0].hdr_id, SIP_HDR_CALL_ID);
	assert_string_equal(q->rules[0].header, "Call-ID");
	assert_string_equal(q->rules[0].reason, "Later");
	policy_free(q);
	free(text);
}

static void test_write_invalid(void **state)
{
	struct sw_policy d = { 0 };
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(f);
	policy_defaults(&d);
	d.frag_action = (enum sw_frag_action)7;
	assert_int_equal(policy_write(&d, f), -EINVAL);
	policy_defaults(&d);
	snprintf(d.server, sizeof(d.server), "\xff\xfe"); /* not UTF-8: cannot be YAML */
	assert_int_equal(policy_write(&d, f), -EINVAL);
	fclose(f);
}

/* ---- files ---- */

static void test_default_file(void **state)
{
	struct sw_policy d = { 0 };
	struct policy_error err;
	struct sw_policy *p = policy_load_file(POLICY_DIR "/default.yaml", &err);

	(void)state;
	if (!p)
		fail_msg("%s:%u:%u: %s", err.file, err.line, err.column, err.msg);
	policy_defaults(&d);
	assert_policy_equal(&d, p);
	policy_free(p);
}

static void test_example_file(void **state)
{
	struct policy_error err;
	struct sw_policy *p = policy_load_file(POLICY_DIR "/example.yaml", &err);

	(void)state;
	if (!p)
		fail_msg("%s:%u:%u: %s", err.file, err.line, err.column, err.msg);
	assert_int_equal(p->nsip_ports, 2);
	assert_int_equal(p->sip_ports[1], 5080);
	assert_true(p->require_max_forwards);
	assert_string_equal(p->server, "sipwall edge");
	assert_int_equal(p->nrules, 5);
	assert_string_equal(p->rules[0].id, "scanner-user-agents");
	assert_int_equal(p->rules[0].hdr_id, SIP_HDR_USER_AGENT);
	assert_int_equal(p->rules[0].action, SW_RULE_DROP);
	assert_string_equal(p->rules[1].id, "from-sqli");
	assert_int_equal(p->rules[1].hdr_id, SIP_HDR_FROM);
	assert_int_equal(p->rules[1].nregexes, 3);
	assert_int_equal(p->rules[1].status, 403);
	assert_string_equal(p->rules[1].reason, "Forbidden");
	assert_int_equal(p->rules[2].action, SW_RULE_COUNT);
	assert_int_equal(p->rules[4].status, 405);
	assert_string_equal(p->rules[4].reason, "Method Not Allowed");
	assert_round_trip(p);
	policy_free(p);
}

static void test_file_errors(void **state)
{
	struct policy_error err;
	char buf[1024];

	(void)state;
	assert_null(policy_load_file(POLICY_DIR "/no-such-file.yaml", &err));
	assert_int_equal(err.line, 0);
	assert_string_equal(err.file, POLICY_DIR "/no-such-file.yaml");
	assert_string_equal(err.msg, "cannot open: No such file or directory");
	policy_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, POLICY_DIR "/no-such-file.yaml: cannot open: No such file or directory");
	assert_null(policy_load_file(POLICY_DIR, &err)); /* a directory: opens, cannot be read */
	assert_int_equal(err.line, 0);
	assert_null(policy_load_file(POLICY_DIR "/no-such-file.yaml", NULL));

	assert_null(load("limits:\n  max_message_bytes: 1\n", &err));
	policy_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "t.yaml:2:22: limits.max_message_bytes: 1 is out of range 64..65535");
	policy_error_format(&err, buf, 8);
	assert_string_equal(buf, "t.yaml:");
	assert_null(policy_load_buffer("x: 1", 4, NULL, NULL));
}

/* ---- damaged files ---- */

/* Load buf[0..len) from an exact-size copy (so ASan sees any read past the end); ok or a positioned error. */
static void load_damaged(const char *buf, size_t len, const char *what, size_t at)
{
	struct policy_error err;
	struct sw_policy *p;
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, buf, len);
	p = policy_load_buffer(copy, len, "damaged", &err);
	free(copy);
	if (p) {
		policy_free(p);
		return;
	}
	if (err.line < 1 || err.column < 1 || !err.msg[0])
		fail_msg("%s at %zu: error without a position or message: %u:%u: '%s'", what, at, err.line,
			 err.column, err.msg);
}

static void test_truncation(void **state)
{
	size_t len;
	char *buf = read_all(POLICY_DIR "/example.yaml", &len);

	(void)state;
	for (size_t n = 0; n <= len; n++)
		load_damaged(buf, n, "prefix", n);
	free(buf);
}

static void test_byte_flip(void **state)
{
	static const char repl[] = { '\0', '\n', ':', '-', '"', '[', '{', ' ', '#', '&', '*', '!', '\\', '\xff', '9' };
	size_t len;
	char *buf = read_all(POLICY_DIR "/example.yaml", &len);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		char orig = buf[i];

		for (size_t k = 0; k < sizeof(repl); k++) {
			buf[i] = repl[k];
			load_damaged(buf, len, "flip", i);
		}
		buf[i] = orig;
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_rule_limits),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_round_trip_tricky),
		cmocka_unit_test(test_round_trip_defaults),
		cmocka_unit_test(test_write_built),
		cmocka_unit_test(test_write_invalid),
		cmocka_unit_test(test_default_file),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_byte_flip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

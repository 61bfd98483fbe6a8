// SPDX-License-Identifier: BSD-3-Clause
/*
 * The parts of libswxdp that need no kernel: prefix parsing and formatting (what `sipwallctl xdp block` accepts),
 * the configuration built from a policy, and the promise that the program's built-in defaults are the policy's
 * defaults (core/policy.c), so a program nobody configured behaves like a configured one. Runs unprivileged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "sw_xdp_lib.h"

struct prefix_case {
	const char *in;
	int ok;
	const char *out; /* normalised text */
};

/* Forms from RFC 4632 (CIDR) and RFC 4291 2.3 (IPv6 prefixes); host bits are cleared as ip(8) would not. */
static const struct prefix_case prefixes[] = {
	{ "192.0.2.1", 1, "192.0.2.1/32" },
	{ "192.0.2.0/24", 1, "192.0.2.0/24" },
	{ "192.0.2.77/24", 1, "192.0.2.0/24" },
	{ "10.1.2.3/9", 1, "10.0.0.0/9" },
	{ "0.0.0.0/0", 1, "0.0.0.0/0" },
	{ "2001:db8::1", 1, "2001:db8::1/128" },
	{ "2001:db8:1:2::/64", 1, "2001:db8:1:2::/64" },
	{ "2001:db8:ffff::1/33", 1, "2001:db8:8000::/33" },
	{ "::/0", 1, "::/0" },
	{ "::ffff:192.0.2.1", 1, "::ffff:192.0.2.1/128" },
	{ "192.0.2.300", 0, NULL },
	{ "192.0.2.0/33", 0, NULL },
	{ "2001:db8::/129", 0, NULL },
	{ "192.0.2.0/", 0, NULL },
	{ "192.0.2.0/-1", 0, NULL },
	{ "192.0.2.0/+8", 0, NULL },
	{ "192.0.2.0/24x", 0, NULL },
	{ "/24", 0, NULL },
	{ "", 0, NULL },
	{ "example.com", 0, NULL },
	{ "1.2.3.4 ", 0, NULL },
};

static void test_prefix_parse(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct sw_prefix p;
		int err = sw_prefix_parse(prefixes[i].in, &p);

		if (!prefixes[i].ok) {
			if (err != -EINVAL)
				fail_msg("'%s' accepted", prefixes[i].in);
			continue;
		}
		if (err)
			fail_msg("'%s' rejected", prefixes[i].in);
		sw_prefix_format(&p, buf, sizeof(buf));
		assert_string_equal(buf, prefixes[i].out);
	}
}

static void test_defaults_match_policy(void **state)
{
	struct sw_policy *pol = calloc(1, sizeof(*pol));
	struct sw_xdp_cfg a, b;

	(void)state;
	assert_non_null(pol);
	policy_defaults(pol);
	sw_xdp_cfg_from_policy(&a, pol);
	sw_xdp_cfg_defaults(&b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(sw_xdp_cfg_port_test(&b, 5060));
	assert_int_equal(b.nports, 1);
	assert_int_equal(sw_xdp_cfg_validate(&b), 0);
	free(pol);
}

static void test_cfg_from_policy(void **state)
{
	struct sw_policy *pol = calloc(1, sizeof(*pol));
	struct sw_xdp_cfg c;

	(void)state;
	assert_non_null(pol);
	policy_defaults(pol);
	pol->sip_ports[0] = 5060;
	pol->sip_ports[1] = 5080;
	pol->sip_ports[2] = 5080; /* a duplicate counts once */
	pol->nsip_ports = 3;
	pol->xdp_min_payload = 12;
	pol->xdp_rate_pps = 100;
	pol->xdp_rate_burst = 300;
	pol->xdp_rate_v4_prefix = 24;
	pol->xdp_allow_fragments = false;
	sw_xdp_cfg_from_policy(&c, pol);
	assert_int_equal(c.nports, 2);
	assert_true(sw_xdp_cfg_port_test(&c, 5080));
	assert_false(sw_xdp_cfg_port_test(&c, 5081));
	assert_int_equal(c.min_payload, 12);
	assert_int_equal(c.rate_pps, 100);
	assert_int_equal(c.rate_burst, 300);
	assert_int_equal(c.rate_v4_prefix, 24);
	assert_int_equal(c.flags & SW_XDP_F_ALLOW_FRAGMENTS, 0);
	sw_xdp_cfg_port_set(&c, 5080, false);
	assert_int_equal(c.nports, 1);
	c.min_payload = c.max_payload + 1;
	assert_int_equal(sw_xdp_cfg_validate(&c), -EINVAL);
	free(pol);
}

static void test_modes(void **state)
{
	enum sw_xdp_mode m;

	(void)state;
	assert_int_equal(sw_xdp_mode_parse("native", &m), 0);
	assert_int_equal(m, SW_XDP_MODE_NATIVE);
	assert_int_equal(sw_xdp_mode_parse("skb", &m), 0);
	assert_string_equal(sw_xdp_mode_name(m), "skb");
	assert_int_equal(sw_xdp_mode_parse("hw", &m), -EINVAL); /* reported, never requested */
	assert_int_equal(sw_xdp_mode_parse("generic", &m), -EINVAL);
}

/* The counter table is complete: every counter has a distinct, non-empty name and a meaning. */
static void test_counter_names(void **state)
{
	(void)state;
	for (int i = 0; i < SW_XDP_C_MAX; i++) {
		assert_non_null(sw_xdp_counter_names[i]);
		assert_non_null(sw_xdp_counter_help[i]);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(sw_xdp_counter_names[i], sw_xdp_counter_names[j]);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),     cmocka_unit_test(test_defaults_match_policy),
		cmocka_unit_test(test_cfg_from_policy),  cmocka_unit_test(test_modes),
		cmocka_unit_test(test_counter_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

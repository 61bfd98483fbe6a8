/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the command lines of sipwall (dataplane/main.c) and sipwallctl (control/) parse alike. Header-only: neither
 * hot path nor the core library uses it.
 */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * An option's value as a decimal number no larger than max, read by strtoul() (which allows leading white space
 * and a sign) and filling the whole string. Returns 0, or -EINVAL (out untouched).
 */
static inline int sw_cli_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

#endif

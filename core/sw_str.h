/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy string views into a datagram, and the RFC 3261 character classes as 256-entry tables.
 * A view never owns its bytes: it is valid as long as the buffer it points into.
 */
#ifndef SW_STR_H
#define SW_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sw_str {
	const char *p;
	uint32_t len;
};

#define SW_STR_NULL ((struct sw_str){ NULL, 0 })
#define SW_STR_LIT(s) ((struct sw_str){ (s), sizeof(s) - 1 })

/* Character classes (RFC 3261 25.1). Bits of sw_cclass[]. */
enum {
	SW_C_TOKEN = 1u << 0, /* token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
	SW_C_DIGIT = 1u << 1,
	SW_C_WS = 1u << 2, /* SP / HTAB */
	SW_C_ALPHA = 1u << 3,
	SW_C_URIC = 1u << 4, /* any byte allowed in a Request-URI: visible ASCII except < > " and SP */
	SW_C_HOST = 1u << 5, /* hostname / IPv4 / bracketed IPv6 characters */
};

extern const uint8_t sw_cclass[256];
extern const uint8_t sw_lower[256];

static inline bool sw_is(uint8_t c, unsigned cls)
{
	return (sw_cclass[c] & cls) != 0;
}

static inline struct sw_str sw_str_make(const char *p, uint32_t len)
{
	return (struct sw_str){ p, len };
}

static inline bool sw_str_empty(struct sw_str s)
{
	return s.len == 0;
}

/* Exact, case-sensitive comparison. */
static inline bool sw_str_eq(struct sw_str a, struct sw_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ASCII case-insensitive comparison against a C string. */
bool sw_str_ieq_cstr(struct sw_str a, const char *s);
bool sw_str_ieq(struct sw_str a, struct sw_str b);

/* Trim SP, HTAB, CR and LF at both ends. */
struct sw_str sw_str_trim(struct sw_str s);

/*
 * Parse a decimal unsigned number filling the whole view (no sign, no space).
 * Returns false when empty, not all digits, or above max (overflow-safe for any length).
 */
bool sw_str_to_u64(struct sw_str s, uint64_t max, uint64_t *out);

#endif

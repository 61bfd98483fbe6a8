// SPDX-License-Identifier: BSD-3-Clause
/*
 * Character classes of RFC 3261 25.1 as 256-entry tables, and the few string-view helpers the core needs.
 * Range designators ([a ... b]) are a GNU C extension that gcc and clang both accept; they keep the tables readable.
 */
#include "sw_str.h"

#define TOK SW_C_TOKEN
#define URI SW_C_URIC
#define HST SW_C_HOST

const uint8_t sw_cclass[256] = {
	['\t'] = SW_C_WS,
	[' '] = SW_C_WS,
	['!'] = TOK | URI,
	['"'] = 0,
	['#'] = URI,
	['$'] = URI,
	['%'] = TOK | URI,
	['&'] = URI,
	['\''] = TOK | URI,
	['('] = URI,
	[')'] = URI,
	['*'] = TOK | URI,
	['+'] = TOK | URI,
	[','] = URI,
	['-'] = TOK | URI | HST,
	['.'] = TOK | URI | HST,
	['/'] = URI,
	['0' ... '9'] = TOK | URI | HST | SW_C_DIGIT,
	[':'] = URI | HST,
	[';'] = URI,
	['='] = URI,
	['?'] = URI,
	['@'] = URI,
	['A' ... 'Z'] = TOK | URI | HST | SW_C_ALPHA,
	['['] = URI | HST,
	['\\'] = URI,
	[']'] = URI | HST,
	['^'] = URI,
	['_'] = TOK | URI | HST,
	['`'] = TOK | URI,
	['a' ... 'z'] = TOK | URI | HST | SW_C_ALPHA,
	['{'] = URI,
	['|'] = URI,
	['}'] = URI,
	['~'] = TOK | URI,
};

const uint8_t sw_lower[256] = {
#define L4(i) [i] = i, [i + 1] = i + 1, [i + 2] = i + 2, [i + 3] = i + 3
#define L16(i) L4(i), L4(i + 4), L4(i + 8), L4(i + 12)
#define L64(i) L16(i), L16(i + 16), L16(i + 32), L16(i + 48)
	L64(0), ['@'] = '@',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
	['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
	['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
	['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
	[91] = 91, [92] = 92, [93] = 93, [94] = 94, [95] = 95, L16(96), L16(112), L64(128), L64(192),
#undef L64
#undef L16
#undef L4
};

void sw_cset_init(struct sw_cset *set, const uint8_t tab[256], uint8_t bit)
{
	memset(set->nib, 0, sizeof(set->nib));
	for (unsigned c = 0; c < 128; c++)
		if (tab[c] & bit)
			set->nib[c & 15] |= (uint8_t)(1u << (c >> 4));
	set->tab = tab;
	set->bit = bit;
}

bool sw_str_ieq(struct sw_str a, struct sw_str b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (sw_lower[(uint8_t)a.p[i]] != sw_lower[(uint8_t)b.p[i]])
			return false;
	return true;
}

bool sw_str_ieq_cstr(struct sw_str a, const char *s)
{
	return sw_str_ieq(a, sw_str_make(s, (uint32_t)strlen(s)));
}

static bool is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sw_str sw_str_trim(struct sw_str s)
{
	while (s.len && is_trim(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_trim(s.p[s.len - 1]))
		s.len--;
	return s;
}

bool sw_str_to_u64(struct sw_str s, uint64_t max, uint64_t *out)
{
	return sw_str_to_u64_inline(s, max, out);
}

#define SPLAT8(c) (c), (c), (c), (c), (c), (c), (c), (c)
#define SPLAT64(c) { SPLAT8(c), SPLAT8(c), SPLAT8(c), SPLAT8(c), SPLAT8(c), SPLAT8(c), SPLAT8(c), SPLAT8(c) }
__attribute__((aligned(64))) char sw_splat[SW_SPL__COUNT][64] = {
	[SW_SPL_LF] = SPLAT64('\n'), [SW_SPL_CR] = SPLAT64('\r'),	[SW_SPL_COLON] = SPLAT64(':'),
	[SW_SPL_EQ] = SPLAT64('='),  [SW_SPL_SEMI] = SPLAT64(';'),	[SW_SPL_LT] = SPLAT64('<'),
	[SW_SPL_DQ] = SPLAT64('"'),  [SW_SPL_AT] = SPLAT64('@'),	[SW_SPL_QM] = SPLAT64('?'),
	[SW_SPL_COMMA] = SPLAT64(','), [SW_SPL_LBRACKET] = SPLAT64('['), [SW_SPL_SP] = SPLAT64(' '),
	[SW_SPL_GT] = SPLAT64('>'), [SW_SPL_ZERO] = SPLAT64('0'),
	[SW_SPL_NIB_F] = SPLAT64(0x0f),
};
__attribute__((aligned(32))) char sw_nib_rows[32] = {
	1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0,
};

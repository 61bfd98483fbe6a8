/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every harness shares: checking a property (print what broke, then abort() so libFuzzer saves the input as a
 * crash), skipping named properties while exploring past a known finding, and printing bytes for a report.
 */
#ifndef SW_FUZZ_UTIL_H
#define SW_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * FUZZ_IGNORE=name,name,... skips those properties. It exists to explore past a finding that is reported but not
 * fixed yet; CI never sets it (docs/fuzzing.md).
 */
static inline bool fuzz_ignored(const char *name)
{
	static const char *list;
	static bool read;
	size_t n = strlen(name);

	if (!read) {
		list = getenv("FUZZ_IGNORE");
		read = true;
	}
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* Bytes as C-escaped text on stderr, at most 600 of them. */
static inline void fuzz_show(const char *what, const void *p, size_t len)
{
	const unsigned char *s = p;

	fprintf(stderr, "  %s (%zu bytes): \"", what, len);
	for (size_t i = 0; i < len && i < 600; i++) {
		if (s[i] == '\r')
			fputs("\\r", stderr);
		else if (s[i] == '\n')
			fputs("\\n", stderr);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(stderr, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			fprintf(stderr, "\\x%02x", s[i]);
		else
			fputc(s[i], stderr);
	}
	fputs(len > 600 ? "\"...\n" : "\"\n", stderr);
}

static inline void fuzz_fail(const char *harness, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static inline void fuzz_fail(const char *harness, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n%s: property '%s' violated: ", harness, name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#endif

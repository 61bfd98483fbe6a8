// SPDX-License-Identifier: BSD-3-Clause
/* JSON string output for sipwallctl (see json.h). */
#include "json.h"

#include <string.h>

void json_bytes(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_print_string(FILE *f, const char *s)
{
	json_bytes(f, s, strlen(s));
}

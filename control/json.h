/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON output shared by sipwallctl's commands: one string escaper, so every -j/--json output escapes alike. */
#ifndef SIPWALLCTL_JSON_H
#define SIPWALLCTL_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s[0..n) as a JSON string. Bytes outside printable ASCII become \u00XX (a datagram's octets, read as
 * Latin-1), so any input, NULs and invalid UTF-8 included, prints as valid JSON.
 */
void json_bytes(FILE *f, const char *s, size_t n);

/* The same for a NUL-terminated string. */
void json_print_string(FILE *f, const char *s);

#endif

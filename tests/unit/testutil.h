/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the SIP core unit tests: exact-size copies of datagrams (so ASan sees any over-read), the
 * fixture loader for tests/data, a pinned default policy, workers and peers, and reply inspection.
 */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sw_verdict.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must point to tests/data"
#endif

/* A datagram in a buffer of exactly len bytes (len 0: a 1-byte allocation that is never read). */
struct tu_dgram {
	char *p;
	uint32_t len;
};

/* Copy len bytes into a new buffer of exactly that size. */
struct tu_dgram tu_dup(const void *p, uint32_t len);
/* A C string with every "\n" not already preceded by "\r" turned into "\r\n" (fixtures are written with \n). */
struct tu_dgram tu_crlf(const char *s);
/* The file TEST_DATA_DIR/rel, byte-exact. Fails the test when it cannot be read. */
struct tu_dgram tu_load(const char *rel);
void tu_free(struct tu_dgram *d);

/*
 * Names of the regular files in TEST_DATA_DIR/rel whose name ends with suffix, sorted; *n gets the count.
 * Free with tu_free_names().
 */
char **tu_list(const char *rel, const char *suffix, size_t *n);
void tu_free_names(char **names, size_t n);

/*
 * calloc + policy_defaults(), then the fields the tests depend on pinned to the documented defaults, so a later
 * change of a default shows up in the policy tests, not as a mystery here.
 */
struct sw_policy *tu_policy(void);
void tu_policy_free(struct sw_policy *p);
/* Replace the supported option tags (NULL-terminated list). */
void tu_policy_supported(struct sw_policy *p, const char *const *tags);

/* A heap worker (struct sw_worker is large) initialised with id 0 and the given secret (NULL: the test secret). */
struct sw_worker *tu_worker(const uint8_t *secret);
void tu_worker_free(struct sw_worker *w);
extern const uint8_t tu_secret_a[16];
extern const uint8_t tu_secret_b[16];

/* Peers from text addresses; port in host byte order. */
struct sw_peer tu_peer4(const char *addr, uint16_t port);
struct sw_peer tu_peer6(const char *addr, uint16_t port);

/* Print a verdict for a failing assertion. */
void tu_print_verdict(const char *what, const struct sw_verdict *v);

/*
 * Reply inspection. tu_reply_header() finds the n-th (0-based) line of the reply whose name equals name exactly
 * (case-sensitive: the reply must use canonical names) and returns a pointer to its value (after ": ") and the
 * value length, or NULL.
 */
const char *tu_reply_header(const char *reply, uint32_t len, const char *name, unsigned n, uint32_t *vlen);
unsigned tu_reply_count(const char *reply, uint32_t len, const char *name);

/* Value of parameter pname in a ;-separated parameter list (e.g. a via-parm), or NULL; *plen = value length. */
const char *tu_param(const char *s, uint32_t len, const char *pname, uint32_t *plen, bool *present);

/* Printable copy (escapes CR, LF and non-printables) for messages; static buffer, not reentrant. */
const char *tu_show(const char *p, uint32_t len);

/* Assertion helper: two byte strings equal, printing both on failure. */
#define tu_assert_bytes(got, glen, want, wlen) tu_assert_bytes_(got, glen, want, wlen, __FILE__, __LINE__)
void tu_assert_bytes_(const char *got, uint32_t glen, const char *want, uint32_t wlen, const char *file, int line);

#endif

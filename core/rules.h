/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header pattern rules: the policy's rules compiled into one Hyperscan database, scanned once per message.
 * Compiled off the hot path (rules_compile), evaluated by sw_judge (rules_eval), swapped by the policy store.
 */
#ifndef SW_RULES_H
#define SW_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sw_verdict.h"

struct rules_db;

/*
 * Compile pol->rules into pol->db with scratch for nworkers workers. Returns 0, or -errno with a message naming the
 * rule id, the pattern and Hyperscan's text in err. On failure pol->db is left NULL and nothing else changes.
 */
int rules_compile(struct sw_policy *pol, unsigned nworkers, char *err, size_t errlen);

/* Free a compiled database and its scratch. NULL-safe. */
void rules_db_free(struct rules_db *db);

/*
 * Evaluate the rules on w->msg (already parsed). Returns the index of the first rule in file order that matched
 * with an action other than count, or -1. Every matching rule's counter in worker w->id is incremented.
 */
int32_t rules_eval(const struct rules_db *db, struct sw_worker *w);

#endif

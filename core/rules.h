/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header pattern rules: the policy's rules compiled into one Hyperscan database, scanned once per message.
 * Compiled off the hot path (rules_compile), evaluated by sw_judge (rules_eval), swapped by the policy store.
 */
#ifndef SW_RULES_H
#define SW_RULES_H

#include <stdbool.h>
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
 * with an action other than count, or -1. Counters of worker w->id: every matching rule's `matches`; its action
 * counter when it ran, i.e. count rules before the deciding rule and the deciding rule itself (rules after it
 * never ran: see docs/rules.md). No allocation, lock, syscall or log; w->id must be below the compiled nworkers
 * (else -1, nothing counted).
 */
int32_t rules_eval(const struct rules_db *db, struct sw_worker *w);

/*
 * Turn the prefilter in front of Hyperscan (docs/rules.md) off, or back on where rules_compile built one, so that
 * tests and fuzzers can judge with and without it and compare. Not while a worker scans with db. NULL-safe.
 */
void rules_prefilter_set(struct rules_db *db, bool on);

/* Limits on what rules_compile accepts (issue: "a compile that exceeds a time or size budget is refused"). */
struct rules_budget {
	uint32_t max_rules;    /* default 100000 */
	uint32_t max_patterns; /* literals + regexes, default 200000 */
	uint32_t time_ms;      /* wall time of the Hyperscan compile, default 10000 */
	uint64_t max_bytes;    /* hs_database_size + one scratch, default 256 MiB */
};

/* The defaults above. */
void rules_budget_defaults(struct rules_budget *b);

/*
 * rules_compile with an explicit budget (NULL = defaults). A compile that runs past b->time_ms is abandoned: this
 * returns -ETIMEDOUT at once and the compile thread frees its work when it ends (rules_compiles_running()).
 */
int rules_compile_ex(struct sw_policy *pol, unsigned nworkers, const struct rules_budget *b, char *err,
		     size_t errlen);

/* Abandoned compiles still running (for a clean shutdown: wait until 0). */
unsigned rules_compiles_running(void);

/* One rule's counters summed over every worker. Only the field of the rule's own action can be non-zero. */
struct rules_stats {
	uint64_t matches; /* messages on which a pattern of the rule matched in its place */
	uint64_t dropped; /* ... and the rule ran and decided: drop */
	uint64_t replied; /* ... reply */
	uint64_t passed;  /* ... pass */
	uint64_t counted; /* count rule that ran (matched before any deciding rule) */
};

/* Sum rule `rule`'s counters over all workers (relaxed reads: a snapshot, not a transaction). 0 or -EINVAL. */
int rules_stats(const struct rules_db *db, uint32_t rule, struct rules_stats *out);

/* What was compiled, for the CLI, logs and the benchmark. */
struct rules_db_info {
	uint32_t nrules;
	uint32_t nliterals;
	uint32_t nregexes;
	unsigned nworkers;
	bool literal_api;     /* compiled with hs_compile_lit_multi (no regex in the set) */
	bool prefilter;       /* short regions pass a 4-byte prefilter before Hyperscan (docs/rules.md) */
	size_t db_bytes;      /* hs_database_size */
	size_t scratch_bytes; /* per worker */
	uint64_t compile_ns;  /* wall time of the Hyperscan compile */
	uint64_t scan_errors; /* hs_scan failures, summed over workers (should stay 0) */
};

/* Fill info. NULL-safe on db (all zero). */
void rules_db_info(const struct rules_db *db, struct rules_db_info *info);

#endif

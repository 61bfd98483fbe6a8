// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pattern rules: every pattern of every rule compiled into ONE Hyperscan block-mode database per policy, and the
 * per-message evaluation that scans each region a rule looks at (method, Request-URI, header values unfolded,
 * body, whole message) once with that database. Design, order and costs: docs/rules.md.
 */
#include <errno.h>
#include <hs/hs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"
#include "sip_msg.h"
#include "sw_verdict.h"

#define RULES_MAX_WORKERS 1024
#define RULES_HIT_MAX 64 /* distinct rules listed per message; beyond, the bitset is walked instead */
#define CACHE_LINE 64

/* Where a scan of one region happens. A rule applies to a region when its class and key match the scan's. */
enum region {
	REGION_METHOD,
	REGION_RURI,
	REGION_HEADER,
	REGION_BODY,
	REGION_MESSAGE,
	REGION__COUNT
};

/*
 * Keys narrow a header scan: a known header id (1..SIP_HDR__COUNT-1), KEY_NAME_BASE + i for the i-th unknown header
 * name some rule names, KEY_NONE for a header line no named rule looks at; KEY_ANY on a rule matches every key.
 */
#define KEY_NAME_BASE 64u
#define KEY_NONE 0xfffeu
#define KEY_ANY 0xffffu
#define NAMES_MAX (KEY_NONE - KEY_NAME_BASE)

_Static_assert(SIP_HDR__COUNT <= 64, "hdr_mask holds one bit per known header id");
_Static_assert(SIP_HDR__COUNT <= KEY_NAME_BASE, "known header ids and name keys must not overlap");

/* What the match callback needs per rule: 8 bytes, so 10,000 rules stay within L2. */
struct rule_rt {
	uint8_t region; /* enum region */
	uint8_t action; /* enum sw_rule_action */
	uint16_t key;   /* KEY_ANY, a header id, or KEY_NAME_BASE + name index */
	uint32_t pad;
};

/* One rule's counters in one worker. Single writer (the worker); relaxed atomics so readers never tear. */
struct rule_ctr {
	_Atomic uint64_t matches;
	_Atomic uint64_t acted;
};

/* A worker's private part of a database: its scratch, its match set, its counters. Cache-line aligned. */
struct rules_worker {
	_Alignas(CACHE_LINE) hs_scratch_t *scratch;
	uint64_t *seen;       /* nrules bits, all zero between messages */
	uint32_t *hit;        /* RULES_HIT_MAX rules that matched in this message */
	struct rule_ctr *ctr; /* nrules */
	_Atomic uint64_t scan_errors;
	void *mem;            /* the block seen/hit/ctr live in */
};

struct rules_db {
	hs_database_t *hs;
	uint32_t nrules;
	unsigned nworkers;
	struct rule_rt *rt;
	uint64_t hdr_mask;              /* known header ids some header rule looks at */
	bool any_header;                /* some rule looks at every header line */
	bool scan[REGION__COUNT];       /* some rule looks at this region */
	uint32_t min_len[REGION__COUNT]; /* shortest pattern of the rules on the region: skip shorter regions */
	uint64_t *gram;                 /* the prefilter (gram_may_match()), or NULL: every region goes to Hyperscan */
	uint64_t *gram_built;           /* what build_gram() made (gram is it, or NULL when turned off), freed */
	uint32_t gram_shift;            /* 32 - log2 of its bits */
	char (*names)[64];              /* unknown header names named by rules */
	uint32_t *name_len;
	uint32_t nnames;
	struct rules_worker *w;         /* nworkers */
	struct rules_db_info info;
};

/* ---- evaluation: the hot path ---- */

struct scan_ctx {
	const struct rules_db *db;
	struct rules_worker *rw;
	uint32_t nhit;
	bool overflow;
	uint32_t decider; /* lowest-index matching rule whose action is not count; UINT32_MAX when none */
	uint8_t region;
	uint16_t key;
};

static inline void ctr_add(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
}

/*
 * Hyperscan match callback. Pattern ids are rule indexes and every pattern is HS_FLAG_SINGLEMATCH, so a rule
 * fires at most once per hs_scan whatever the number of its patterns. A rule fires here for any region (the
 * database is shared), and is kept only when it looks at the region being scanned.
 */
static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *arg)
{
	struct scan_ctx *c = arg;
	const struct rule_rt *r = &c->db->rt[id];
	uint64_t bit = 1ull << (id & 63);

	(void)from;
	(void)to;
	(void)flags;
	if (r->region != c->region || (r->key != KEY_ANY && r->key != c->key))
		return 0;
	if (c->rw->seen[id >> 6] & bit)
		return 0;
	c->rw->seen[id >> 6] |= bit;
	if (c->nhit < RULES_HIT_MAX)
		c->rw->hit[c->nhit++] = id;
	else
		c->overflow = true;
	if (r->action != SW_RULE_COUNT && id < c->decider)
		c->decider = id;
	return 0;
}

/*
 * The prefilter in front of Hyperscan, for short regions of a literal-only rule set. hs_scan() costs some 25 ns
 * however short the region and however few the literals (Rose's setup per call: bench_rules), which is most of
 * what a rule set costs on a message whose header values match nothing, the usual case. Every literal is at least
 * GRAM bytes, and where one matches, the GRAM bytes at its start are its first GRAM bytes, up to case. So the
 * region can match only if at some position where a literal of the place's rules would still end inside it (up to
 * len less their shortest literal) its GRAM bytes, each |0x20 (ASCII case folded, and some punctuation
 * with it: a coarser fold, never a finer one), hash to a bit set for some literal's first GRAM bytes folded the
 * same way. No bit: no rule can match, and Hyperscan is not called. A set bit decides nothing: Hyperscan scans as
 * before, so the match set is exactly Hyperscan's. A necessary condition, not a second matcher (test_rules checks
 * that every region it rules out has no match, on random literals and texts).
 */
#define GRAM 4u
/*
 * At most this many positions (a place of up to 31 bytes more than its shortest literal): the filter costs about
 * 1 ns a position, and past some 32 of them, with 1.5 % of the bitmap set, it lets a third of the places through
 * to Hyperscan anyway. A longer place goes straight to Hyperscan, whose cost grows slowly with the length (a
 * throwaway harness, 1,000 literals, User-Agents of 8 to 128 bytes: the filter won up to 32 bytes, lost from 40).
 */
#define GRAM_POSITIONS_MAX 32u
#define GRAM_MAX_LITERALS 2048u /* beyond, the bitmap (at most 2^GRAM_BITS_MAX bits) fills and rules out little */
#define GRAM_BITS_MIN 12u
#define GRAM_BITS_MAX 16u /* 8 KiB: the bitmap stays in L1 between messages */

static inline uint32_t gram_hash(uint32_t w, uint32_t shift)
{
	return ((w | 0x20202020u) * 0x9e3779b1u) >> shift;
}

static inline uint64_t gram_bit(const struct rules_db *db, const char *p)
{
	uint32_t w, h;

	memcpy(&w, p, GRAM);
	h = gram_hash(w, db->gram_shift);
	return db->gram[h >> 6] >> (h & 63);
}

/*
 * Can a literal of at least min bytes (min >= GRAM) begin somewhere in p[0..len), len >= min? Only at the
 * positions 0..len-min, where it would still end inside: four a step, their bits or-ed (no branch per position),
 * then the last three or fewer.
 */
static inline bool gram_may_match(const struct rules_db *db, const char *p, uint32_t len, uint32_t min)
{
	uint32_t n = len - min + 1, i = 0; /* positions */
	uint64_t any = 0;

	for (; i + 4 <= n; i += 4) {
		any |= gram_bit(db, p + i) | gram_bit(db, p + i + 1) | gram_bit(db, p + i + 2) | gram_bit(db, p + i + 3);
		if (any & 1)
			return true;
	}
	for (; i < n; i++)
		any |= gram_bit(db, p + i);
	return any & 1;
}

static void scan_region(struct scan_ctx *c, enum region region, uint16_t key, const char *p, uint32_t len)
{
	if (len == 0 || len < c->db->min_len[region])
		return;
	if (c->db->gram && len - c->db->min_len[region] < GRAM_POSITIONS_MAX &&
	    !gram_may_match(c->db, p, len, c->db->min_len[region]))
		return;
	c->region = (uint8_t)region;
	c->key = key;
	if (hs_scan(c->db->hs, p, len, 0, c->rw->scratch, on_match, c) != HS_SUCCESS)
		ctr_add(&c->rw->scan_errors);
}

/* The key of an unknown header's name: its index among the names rules use, or KEY_NONE. */
static uint16_t name_key(const struct rules_db *db, struct sw_str name)
{
	for (uint32_t i = 0; i < db->nnames; i++) {
		if (db->name_len[i] != name.len)
			continue;
		uint32_t k = 0;
		while (k < name.len && sw_lower[(uint8_t)name.p[k]] == sw_lower[(uint8_t)db->names[i][k]])
			k++;
		if (k == name.len)
			return (uint16_t)(KEY_NAME_BASE + i);
	}
	return KEY_NONE;
}

/* One header line's value, scanned as a SIP element reads it: unfolded when the parser saw a continuation line. */
static inline void scan_line(struct scan_ctx *c, struct sw_worker *w, const struct sip_hdr *h, uint16_t key)
{
	if (h->flags & SIP_HF_FOLDED) {
		uint32_t n = sip_hdr_unfold(h, w->unfold, sizeof(w->unfold));
		scan_region(c, REGION_HEADER, key, w->unfold, n);
	} else {
		scan_region(c, REGION_HEADER, key, h->value.p, h->value.len);
	}
}

/*
 * Every header line some rule looks at, whatever the case or compact form of the name (the parser's id). When the
 * rules name known headers only (no any-header rule, no unknown name), those lines are the parser's chains of their
 * ids: walked id by id, not the whole index line by line. The order of the scans changes nothing: the decider is the
 * lowest matching rule index, and the match set and counters do not depend on the order rules were found in.
 */
static void scan_headers(struct scan_ctx *c, struct sw_worker *w)
{
	const struct rules_db *db = c->db;
	const struct sip_msg *m = &w->msg;

	if (!db->any_header && !db->nnames) {
		for (uint64_t ids = db->hdr_mask; ids; ids &= ids - 1) {
			enum sip_hdr_id id = (enum sip_hdr_id)__builtin_ctzll(ids);

			for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h))
				scan_line(c, w, h, (uint16_t)id);
		}
		return;
	}
	for (uint32_t i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		uint16_t key;

		if (h->id != SIP_HDR_OTHER)
			key = (db->hdr_mask >> h->id) & 1 ? h->id : KEY_NONE;
		else
			key = db->nnames ? name_key(db, h->name) : KEY_NONE;
		if (key == KEY_NONE && !db->any_header)
			continue;
		scan_line(c, w, h, key);
	}
}

static void account(const struct scan_ctx *c, uint32_t id)
{
	struct rule_ctr *ctr = &c->rw->ctr[id];

	ctr_add(&ctr->matches);
	if (id <= c->decider) /* count rules before the decider, and the decider: they ran */
		ctr_add(&ctr->acted);
}

/* Count what matched and leave the match set empty for the next message. */
static void settle(struct scan_ctx *c)
{
	struct rules_worker *rw = c->rw;

	if (!c->overflow) {
		for (uint32_t i = 0; i < c->nhit; i++) {
			account(c, rw->hit[i]);
			rw->seen[rw->hit[i] >> 6] = 0;
		}
		return;
	}
	for (uint32_t wi = 0; wi < (c->db->nrules + 63) / 64; wi++) {
		uint64_t bits = rw->seen[wi];
		while (bits) {
			account(c, wi * 64 + (uint32_t)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
		rw->seen[wi] = 0;
	}
}

/*
 * The body a SIP element would read (RFC 3261 18.3): framed already when the caller ran sip_msg_frame; sw_judge
 * runs the rules before framing, so frame here by Content-Length, or take everything after the header section
 * when it is absent or unreadable (the framing check rejects that message later anyway).
 */
static struct sw_str rules_body(const struct sip_msg *m)
{
	const struct sip_hdr *cl = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	uint32_t avail;
	uint64_t n;

	if (m->body.p || m->hdr_end == 0 || m->hdr_end > m->len)
		return m->body;
	avail = m->len - m->hdr_end;
	if (cl && sw_str_to_u64(cl->value, avail, &n))
		avail = (uint32_t)n;
	return sw_str_make(m->buf + m->hdr_end, avail);
}

int32_t rules_eval(const struct rules_db *db, struct sw_worker *w)
{
	if (!db || w->id >= db->nworkers)
		return -1;

	const struct sip_msg *m = &w->msg;
	struct scan_ctx c = { .db = db, .rw = &db->w[w->id], .decider = UINT32_MAX };

	if (db->scan[REGION_METHOD])
		scan_region(&c, REGION_METHOD, KEY_ANY, m->method.p, m->method.len);
	if (db->scan[REGION_RURI])
		scan_region(&c, REGION_RURI, KEY_ANY, m->ruri.p, m->ruri.len);
	if (db->scan[REGION_HEADER])
		scan_headers(&c, w);
	if (db->scan[REGION_BODY]) {
		struct sw_str body = rules_body(m);
		scan_region(&c, REGION_BODY, KEY_ANY, body.p, body.len);
	}
	if (db->scan[REGION_MESSAGE])
		scan_region(&c, REGION_MESSAGE, KEY_ANY, m->buf, m->len);
	if (c.nhit == 0 && !c.overflow)
		return -1;
	settle(&c);
	return c.decider == UINT32_MAX ? -1 : (int32_t)c.decider;
}

/* ---- counters and introspection ---- */

int rules_stats(const struct rules_db *db, uint32_t rule, struct rules_stats *out)
{
	uint64_t matches = 0, acted = 0;

	memset(out, 0, sizeof(*out));
	if (!db || rule >= db->nrules)
		return -EINVAL;
	for (unsigned i = 0; i < db->nworkers; i++) {
		matches += atomic_load_explicit(&db->w[i].ctr[rule].matches, memory_order_relaxed);
		acted += atomic_load_explicit(&db->w[i].ctr[rule].acted, memory_order_relaxed);
	}
	out->matches = matches;
	switch ((enum sw_rule_action)db->rt[rule].action) {
	case SW_RULE_DROP: out->dropped = acted; break;
	case SW_RULE_REPLY: out->replied = acted; break;
	case SW_RULE_PASS: out->passed = acted; break;
	case SW_RULE_COUNT: out->counted = acted; break;
	}
	return 0;
}

void rules_db_info(const struct rules_db *db, struct rules_db_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!db)
		return;
	*info = db->info;
	info->prefilter = db->gram != NULL; /* as rules_prefilter_set() left it */
	for (unsigned i = 0; i < db->nworkers; i++)
		info->scan_errors += atomic_load_explicit(&db->w[i].scan_errors, memory_order_relaxed);
}

void rules_prefilter_set(struct rules_db *db, bool on)
{
	if (!db)
		return;
	db->gram = on ? db->gram_built : NULL;
}

void rules_budget_defaults(struct rules_budget *b)
{
	b->max_rules = 100000;
	b->max_patterns = 200000;
	b->time_ms = 10000;
	b->max_bytes = 256ull << 20;
}

/* ---- compile: off the hot path ---- */

void rules_db_free(struct rules_db *db)
{
	if (!db)
		return;
	if (db->w) {
		for (unsigned i = 0; i < db->nworkers; i++) {
			hs_free_scratch(db->w[i].scratch);
			free(db->w[i].mem);
		}
		free(db->w);
	}
	hs_free_database(db->hs);
	free(db->gram_built);
	free(db->rt);
	free(db->names);
	free(db->name_len);
	free(db);
}

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "rule "scanners" (line 12)" into buf: how every message about one rule starts. */
static const char *rule_name(const struct sw_rule_spec *r, char *buf, size_t len)
{
	if (r->line)
		snprintf(buf, len, "rule \"%s\" (line %u)", r->id, r->line);
	else
		snprintf(buf, len, "rule \"%s\"", r->id);
	return buf;
}

/* Check one rule as rules_compile sees it (the loader validates too; programmatic policies come here directly). */
static int check_rule(const struct sw_rule_spec *r, char *err, size_t errlen)
{
	char who[128];

	rule_name(r, who, sizeof(who));
	if (r->id[0] == '\0')
		return say(err, errlen, "%s: a rule needs an id", who), -EINVAL;
	if ((unsigned)r->where > SW_WHERE_MESSAGE)
		return say(err, errlen, "%s: unknown where (%d)", who, (int)r->where), -EINVAL;
	if ((unsigned)r->action > SW_RULE_COUNT)
		return say(err, errlen, "%s: unknown action (%d)", who, (int)r->action), -EINVAL;
	if (r->action == SW_RULE_REPLY && (r->status < 400 || r->status > 699))
		return say(err, errlen, "%s: reply status %u is not a final error status (400-699)", who, r->status),
		       -EINVAL;
	if (r->where == SW_WHERE_HEADER && r->header[0] == '\0')
		return say(err, errlen, "%s: where: header needs a header name", who), -EINVAL;
	if (r->nliterals + r->nregexes == 0)
		return say(err, errlen, "%s: no literal or regex to match", who), -EINVAL;
	for (uint32_t i = 0; i < r->nliterals; i++)
		if (!r->literals[i] || r->literals[i][0] == '\0')
			return say(err, errlen, "%s: literal %u is empty", who, i + 1), -EINVAL;
	for (uint32_t i = 0; i < r->nregexes; i++)
		if (!r->regexes[i] || r->regexes[i][0] == '\0')
			return say(err, errlen, "%s: regex %u is empty", who, i + 1), -EINVAL;
	return 0;
}

static enum region where_region(enum sw_rule_where where)
{
	switch (where) {
	case SW_WHERE_METHOD: return REGION_METHOD;
	case SW_WHERE_REQUEST_URI: return REGION_RURI;
	case SW_WHERE_BODY: return REGION_BODY;
	case SW_WHERE_MESSAGE: return REGION_MESSAGE;
	case SW_WHERE_HEADER:
	case SW_WHERE_ANY_HEADER: break;
	}
	return REGION_HEADER;
}

/* The key of a header rule: the parser's id for a known name (full or compact), else an index into db->names. */
static int header_key(struct rules_db *db, const struct sw_rule_spec *r, uint16_t *key, char *err, size_t errlen)
{
	size_t len = strlen(r->header);
	enum sip_hdr_id id = r->hdr_id != SIP_HDR_OTHER ? r->hdr_id : sip_hdr_lookup(r->header, (uint32_t)len);

	if (id != SIP_HDR_OTHER) {
		db->hdr_mask |= 1ull << id;
		*key = (uint16_t)id;
		return 0;
	}
	for (uint32_t i = 0; i < db->nnames; i++) {
		if (db->name_len[i] == len && strncasecmp(db->names[i], r->header, len) == 0) {
			*key = (uint16_t)(KEY_NAME_BASE + i);
			return 0;
		}
	}
	if (len >= sizeof(db->names[0]) || db->nnames >= NAMES_MAX) {
		char who[128];
		return say(err, errlen, "%s: header name too long or too many header names", rule_name(r, who, 128)),
		       -EINVAL;
	}
	memcpy(db->names[db->nnames], r->header, len + 1);
	db->name_len[db->nnames] = (uint32_t)len;
	*key = (uint16_t)(KEY_NAME_BASE + db->nnames++);
	return 0;
}

/* Fill db->rt, the region set, the header names and the per-region shortest literal. */
static int build_rt(struct rules_db *db, const struct sw_policy *pol, char *err, size_t errlen)
{
	uint32_t min_lit[REGION__COUNT];

	for (int g = 0; g < REGION__COUNT; g++)
		min_lit[g] = UINT32_MAX;
	for (uint32_t i = 0; i < pol->nrules; i++) {
		const struct sw_rule_spec *r = &pol->rules[i];
		struct rule_rt *rt = &db->rt[i];
		int rc;

		rt->region = (uint8_t)where_region(r->where);
		rt->action = (uint8_t)r->action;
		rt->key = KEY_ANY;
		if (r->where == SW_WHERE_HEADER && (rc = header_key(db, r, &rt->key, err, errlen)) < 0)
			return rc;
		if (r->where == SW_WHERE_ANY_HEADER)
			db->any_header = true;
		db->scan[rt->region] = true;
		for (uint32_t k = 0; k < r->nliterals; k++) {
			uint32_t n = (uint32_t)strlen(r->literals[k]);
			min_lit[rt->region] = n < min_lit[rt->region] ? n : min_lit[rt->region];
		}
		if (r->nregexes) /* a regex may match fewer bytes than any literal: scan every non-empty region */
			min_lit[rt->region] = 1;
	}
	for (int g = 0; g < REGION__COUNT; g++)
		db->min_len[g] = min_lit[g] == UINT32_MAX ? 1 : min_lit[g];
	return 0;
}

/*
 * The prefilter's bitmap (gram_may_match()): the first GRAM bytes of every literal, folded and hashed, in about 64
 * bits per literal (at least 2^GRAM_BITS_MIN, at most 2^GRAM_BITS_MAX bits: 1,000 literals, 8 KiB with 1.5 % of
 * its bits set). None for a rule set with a regex (a regex has no first bytes to take), a literal shorter than
 * GRAM, or more than GRAM_MAX_LITERALS literals. Returns 0, or -ENOMEM.
 */
static int build_gram(struct rules_db *db, const struct sw_policy *pol)
{
	uint32_t n = 0, bits = GRAM_BITS_MIN;

	for (uint32_t i = 0; i < pol->nrules; i++) {
		const struct sw_rule_spec *r = &pol->rules[i];

		if (r->nregexes)
			return 0;
		for (uint32_t k = 0; k < r->nliterals; k++)
			if (strlen(r->literals[k]) < GRAM)
				return 0;
		n += r->nliterals;
	}
	if (n == 0 || n > GRAM_MAX_LITERALS)
		return 0;
	while (bits < GRAM_BITS_MAX && (1u << bits) < n * 64u)
		bits++;
	db->gram = db->gram_built = calloc((1u << bits) / 64, sizeof(uint64_t));
	if (!db->gram)
		return -ENOMEM;
	db->gram_shift = 32 - bits;
	/* every literal has GRAM bytes or more: so does every place that can match (gram_may_match() relies on it) */
	for (int g = 0; g < REGION__COUNT; g++)
		db->min_len[g] = db->min_len[g] > GRAM ? db->min_len[g] : GRAM;
	for (uint32_t i = 0; i < pol->nrules; i++) {
		const struct sw_rule_spec *r = &pol->rules[i];

		for (uint32_t k = 0; k < r->nliterals; k++) {
			uint32_t w, h;

			memcpy(&w, r->literals[k], GRAM);
			h = gram_hash(w, db->gram_shift);
			db->gram[h >> 6] |= 1ull << (h & 63);
		}
	}
	return 0;
}

/*
 * The patterns as Hyperscan takes them, owned by one compile job so that an abandoned compile (time budget) can
 * finish and free them after the caller and its policy are gone.
 */
struct compile_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;  /* the caller and the thread */
	bool done;
	bool literal_api;
	unsigned n;
	char **expr;      /* into arena */
	size_t *len;
	unsigned *flags;
	unsigned *ids;    /* rule index of each pattern */
	uint32_t *pat;    /* index of each pattern within its rule's literals (then regexes) */
	char *arena;
	hs_error_t rc;
	hs_database_t *hs;
	hs_compile_error_t *cerr;
	uint64_t ns;
};

static atomic_uint compiles_running;

unsigned rules_compiles_running(void)
{
	return atomic_load(&compiles_running);
}

static void job_put(struct compile_job *j)
{
	pthread_mutex_lock(&j->mu);
	int refs = --j->refs;
	pthread_mutex_unlock(&j->mu);
	if (refs > 0)
		return;
	hs_free_database(j->hs);
	hs_free_compile_error(j->cerr);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->expr);
	free(j->len);
	free(j->flags);
	free(j->ids);
	free(j->pat);
	free(j->arena);
	free(j);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *compile_thread(void *arg)
{
	struct compile_job *j = arg;
	uint64_t t0 = now_ns();
	hs_database_t *hs = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_error_t rc;

	if (j->literal_api)
		rc = hs_compile_lit_multi((const char *const *)j->expr, j->flags, j->ids, j->len, j->n, HS_MODE_BLOCK,
					  NULL, &hs, &cerr);
	else
		rc = hs_compile_multi((const char *const *)j->expr, j->flags, j->ids, j->n, HS_MODE_BLOCK, NULL, &hs,
				      &cerr);
	pthread_mutex_lock(&j->mu);
	j->rc = rc;
	j->hs = hs;
	j->cerr = cerr;
	j->ns = now_ns() - t0;
	j->done = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	job_put(j);
	atomic_fetch_sub(&compiles_running, 1);
	return NULL;
}

/* Copy a literal into the arena: as is for the literal API, as an escaped regex (\xHH) for hs_compile_multi. */
static char *put_pattern(char *at, const char *s, bool escape)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!escape || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
			*at++ = (char)ch;
		} else {
			*at++ = '\\';
			*at++ = 'x';
			*at++ = hex[ch >> 4];
			*at++ = hex[ch & 15];
		}
	}
	*at++ = '\0';
	return at;
}

/* Lay out every pattern of every rule for one compile call. */
static struct compile_job *job_build(const struct sw_policy *pol, unsigned n, bool literal_api)
{
	struct compile_job *j = calloc(1, sizeof(*j));
	size_t bytes = 0;

	if (!j)
		return NULL;
	for (uint32_t i = 0; i < pol->nrules; i++) {
		for (uint32_t k = 0; k < pol->rules[i].nliterals; k++)
			bytes += strlen(pol->rules[i].literals[k]) * (literal_api ? 1 : 4) + 1;
		for (uint32_t k = 0; k < pol->rules[i].nregexes; k++)
			bytes += strlen(pol->rules[i].regexes[k]) + 1;
	}
	j->n = n;
	j->literal_api = literal_api;
	j->refs = 2;
	j->expr = calloc(n, sizeof(*j->expr));
	j->len = calloc(n, sizeof(*j->len));
	j->flags = calloc(n, sizeof(*j->flags));
	j->ids = calloc(n, sizeof(*j->ids));
	j->pat = calloc(n, sizeof(*j->pat));
	j->arena = malloc(bytes);
	pthread_condattr_t ca; /* job_run waits on the monotonic clock: a wall-clock step must not stretch a budget */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!j->expr || !j->len || !j->flags || !j->ids || !j->pat || !j->arena) {
		j->refs = 1;
		job_put(j);
		return NULL;
	}

	char *at = j->arena;
	unsigned e = 0;
	for (uint32_t i = 0; i < pol->nrules; i++) {
		const struct sw_rule_spec *r = &pol->rules[i];
		unsigned base = HS_FLAG_SINGLEMATCH | (r->caseless ? HS_FLAG_CASELESS : 0);
		/* ^ and $ at line ends where there are lines; a header value, method or URI has none (unfolded), and a
		 * pattern anchored at the start of its region is much cheaper to run everywhere else. */
		bool multiline = r->where == SW_WHERE_BODY || r->where == SW_WHERE_MESSAGE;
		for (uint32_t k = 0; k < r->nliterals + r->nregexes; k++, e++) {
			bool lit = k < r->nliterals;
			j->expr[e] = at;
			at = put_pattern(at, lit ? r->literals[k] : r->regexes[k - r->nliterals], lit && !literal_api);
			j->len[e] = (size_t)(at - j->expr[e] - 1);
			j->flags[e] = base | (lit || !multiline ? 0 : HS_FLAG_MULTILINE);
			j->ids[e] = i;
			j->pat[e] = k;
		}
	}
	return j;
}

/* Run the job on its own thread and wait at most time_ms. Returns 0 when it ended (j->rc says how), or -errno. */
static int job_run(struct compile_job *j, uint32_t time_ms)
{
	pthread_attr_t ta;
	pthread_t t;
	struct timespec dl;
	int rc = 0;

	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 8u << 20); /* the Hyperscan compiler recurses deeply on large sets */
	atomic_fetch_add(&compiles_running, 1);
	rc = pthread_create(&t, &ta, compile_thread, j);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		atomic_fetch_sub(&compiles_running, 1);
		j->refs--; /* the thread never took its reference */
		return -rc;
	}

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += time_ms / 1000;
	dl.tv_nsec += (long)(time_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	while (!j->done && rc == 0)
		rc = pthread_cond_timedwait(&j->cv, &j->mu, &dl);
	if (j->done)
		rc = 0;
	pthread_mutex_unlock(&j->mu);
	return rc == 0 ? 0 : -ETIMEDOUT;
}

/* Hyperscan's compile error, told in terms of the rule and pattern it came from. */
static void say_compile_error(const struct sw_policy *pol, const struct compile_job *j, char *err, size_t errlen)
{
	const char *msg = j->cerr ? j->cerr->message : "unknown error";
	char who[128];

	if (!j->cerr || j->cerr->expression < 0 || (unsigned)j->cerr->expression >= j->n) {
		say(err, errlen, "rules: Hyperscan could not compile the rule set: %s", msg);
		return;
	}

	const struct sw_rule_spec *r = &pol->rules[j->ids[j->cerr->expression]];
	uint32_t k = j->pat[j->cerr->expression];
	bool lit = k < r->nliterals;
	say(err, errlen, "%s: %s \"%s\": %s", rule_name(r, who, sizeof(who)), lit ? "literal" : "regex",
	    lit ? r->literals[k] : r->regexes[k - r->nliterals], msg);
}

/* One scratch per worker, cloned from the first, and each worker's match set and counters. */
static int alloc_workers(struct rules_db *db, char *err, size_t errlen)
{
	size_t words = (db->nrules + 63) / 64;
	size_t seen = words * 8, hit = RULES_HIT_MAX * 4, ctr = (size_t)db->nrules * sizeof(struct rule_ctr);
	size_t bytes = (seen + hit + ctr + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;

	db->w = aligned_alloc(CACHE_LINE, sizeof(*db->w) * db->nworkers);
	if (!db->w)
		return say(err, errlen, "rules: out of memory"), -ENOMEM;
	memset(db->w, 0, sizeof(*db->w) * db->nworkers);
	for (unsigned i = 0; i < db->nworkers; i++) {
		struct rules_worker *rw = &db->w[i];
		hs_error_t rc = i == 0 ? hs_alloc_scratch(db->hs, &rw->scratch)
				       : hs_clone_scratch(db->w[0].scratch, &rw->scratch);
		if (rc != HS_SUCCESS)
			return say(err, errlen, "rules: Hyperscan scratch allocation failed (%d)", rc), -ENOMEM;
		rw->mem = aligned_alloc(CACHE_LINE, bytes);
		if (!rw->mem)
			return say(err, errlen, "rules: out of memory"), -ENOMEM;
		memset(rw->mem, 0, bytes);
		rw->ctr = rw->mem; /* first: 16-byte aligned counters, then the bitset, then the hit list */
		rw->seen = (uint64_t *)((char *)rw->mem + ctr);
		rw->hit = (uint32_t *)((char *)rw->mem + ctr + seen);
	}
	hs_scratch_size(db->w[0].scratch, &db->info.scratch_bytes);
	return 0;
}

/* Validate every rule and the counts against the budget. Sets *npat and *nregex. */
static int check_rules(const struct sw_policy *pol, unsigned nworkers, const struct rules_budget *b, uint64_t *npat,
		       uint64_t *nregex, char *err, size_t errlen)
{
	int rc;

	if (nworkers == 0 || nworkers > RULES_MAX_WORKERS)
		return say(err, errlen, "rules: %u workers (1-%d)", nworkers, RULES_MAX_WORKERS), -EINVAL;
	if (pol->nrules > b->max_rules)
		return say(err, errlen, "rules: %u rules exceed the budget of %u; the policy is refused", pol->nrules,
			   b->max_rules), -E2BIG;
	*npat = *nregex = 0;
	for (uint32_t i = 0; i < pol->nrules; i++) {
		if ((rc = check_rule(&pol->rules[i], err, errlen)) < 0)
			return rc;
		*npat += (uint64_t)pol->rules[i].nliterals + pol->rules[i].nregexes;
		*nregex += pol->rules[i].nregexes;
	}
	if (*npat > b->max_patterns)
		return say(err, errlen, "rules: %llu patterns exceed the budget of %u; the policy is refused",
			   (unsigned long long)*npat, b->max_patterns), -E2BIG;
	return 0;
}

/* Compile the job into db->hs within the budget. */
static int compile_hs(struct rules_db *db, const struct sw_policy *pol, struct compile_job *j,
		      const struct rules_budget *b, char *err, size_t errlen)
{
	int rc = job_run(j, b->time_ms);

	if (rc == -ETIMEDOUT)
		return say(err, errlen,
			   "rules: compiling %u patterns took longer than the time budget of %u ms; the policy is "
			   "refused", j->n, b->time_ms), rc;
	if (rc < 0)
		return say(err, errlen, "rules: cannot start the compile thread: %s", strerror(-rc)), rc;
	if (j->rc != HS_SUCCESS)
		return say_compile_error(pol, j, err, errlen), -EINVAL;
	db->hs = j->hs;
	j->hs = NULL;
	db->info.compile_ns = j->ns;
	hs_database_size(db->hs, &db->info.db_bytes);
	return 0;
}

int rules_compile_ex(struct sw_policy *pol, unsigned nworkers, const struct rules_budget *b, char *err,
		     size_t errlen)
{
	struct rules_budget defaults;
	struct rules_db *db = NULL;
	struct compile_job *j = NULL;
	uint64_t npat, nregex;
	int rc;

	if (!b) {
		rules_budget_defaults(&defaults);
		b = &defaults;
	}
	if (pol->db)
		return say(err, errlen, "rules: the policy is already compiled"), -EALREADY;
	if ((rc = check_rules(pol, nworkers, b, &npat, &nregex, err, errlen)) < 0 || pol->nrules == 0)
		return rc;

	rc = -ENOMEM;
	db = calloc(1, sizeof(*db));
	if (!db)
		goto oom;
	db->nrules = pol->nrules;
	db->nworkers = nworkers;
	db->rt = calloc(pol->nrules, sizeof(*db->rt));
	db->names = calloc(pol->nrules, sizeof(*db->names));
	db->name_len = calloc(pol->nrules, sizeof(*db->name_len));
	if (!db->rt || !db->names || !db->name_len)
		goto oom;
	if ((rc = build_rt(db, pol, err, errlen)) < 0)
		goto fail;
	if ((rc = build_gram(db, pol)) < 0)
		goto oom;
	j = job_build(pol, (unsigned)npat, nregex == 0);
	if (!j) {
		rc = -ENOMEM;
		goto oom;
	}
	if ((rc = compile_hs(db, pol, j, b, err, errlen)) < 0)
		goto fail;
	/* Scratch is only allocated for a database within budget; the budget covers the database and one scratch. */
	if (db->info.db_bytes <= b->max_bytes && (rc = alloc_workers(db, err, errlen)) < 0)
		goto fail;
	if (db->info.db_bytes + db->info.scratch_bytes > b->max_bytes) {
		say(err, errlen, "rules: the compiled rules take %.1f MiB, over the budget of %.1f MiB; the policy is "
		    "refused", (double)(db->info.db_bytes + db->info.scratch_bytes) / 1048576.0,
		    (double)b->max_bytes / 1048576.0);
		rc = -E2BIG;
		goto fail;
	}
	db->info.nrules = pol->nrules;
	db->info.nliterals = (uint32_t)(npat - nregex);
	db->info.nregexes = (uint32_t)nregex;
	db->info.nworkers = nworkers;
	db->info.literal_api = nregex == 0;
	pol->db = db;
	job_put(j);
	return 0;
oom:
	say(err, errlen, "rules: out of memory");
fail:
	if (j)
		job_put(j);
	rules_db_free(db);
	return rc;
}

int rules_compile(struct sw_policy *pol, unsigned nworkers, char *err, size_t errlen)
{
	return rules_compile_ex(pol, nworkers, NULL, err, errlen);
}

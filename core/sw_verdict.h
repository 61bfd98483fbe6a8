/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The verdict: one function turns a datagram and a policy into pass, drop or reply (status + reason), and one
 * builds the reply. The dataplane workers, sipwallctl check, the tests, the fuzzers and the benchmarks all call
 * exactly these. No allocation, lock, syscall or log on this path.
 */
#ifndef SW_VERDICT_H
#define SW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "sip_msg.h"

#define SW_MAX_DATAGRAM 65535

enum sw_action {
	SW_ACT_PASS = 0,
	SW_ACT_DROP,
	SW_ACT_REPLY,
};

/*
 * Why a verdict was reached; one counter each in the dataplane, named by sw_why_name().
 * Keep in step with the name table in sw_verdict.c (a _Static_assert checks the count).
 */
enum sw_why {
	SW_WHY_VALID = 0,       /* pass: request passed every check */
	SW_WHY_RESPONSE,        /* pass: a SIP response (never answered) */
	SW_WHY_ACK,             /* pass: an ACK (never answered) */
	SW_WHY_RULE_PASS,       /* pass: a rule with action pass */
	SW_WHY_NOT_SIP,         /* drop: not a SIP message */
	SW_WHY_BAD_RESPONSE,    /* drop: a malformed or oversized response (cannot be answered) */
	SW_WHY_BAD_ACK,         /* drop: a malformed ACK (cannot be answered) */
	SW_WHY_NO_VIA,          /* drop: a bad request with no usable top Via: nowhere to send a reply */
	SW_WHY_RULE_DROP,       /* drop: a rule with action drop */
	SW_WHY_AMPLIFICATION,   /* drop: the reply would be longer than the request */
	SW_WHY_BUDGET,          /* drop: over the reply budget (dataplane) */
	SW_WHY_CHECK,           /* reply: a protocol check failed (status says which) */
	SW_WHY_RULE_REPLY,      /* reply: a rule with action reply */
	SW_WHY_KEEPALIVE,       /* pass: a CRLF keepalive (RFC 5626 3.5.1) */
	SW_WHY__COUNT
};

struct sw_verdict {
	enum sw_action action;
	enum sw_why why;
	uint16_t status;       /* SW_ACT_REPLY: the status code */
	const char *reason;    /* SW_ACT_REPLY: reason phrase (static or owned by the policy); else a short note */
	int32_t rule;          /* index of the deciding rule in policy->rules, -1 when none */
	uint32_t err_off;      /* for parse errors: byte offset of the fault */
	const char *unsupported_from; /* 420: which header's tags were refused ("Proxy-Require" / "Require") */
};

/* What sw_judge() learned about w->msg that sw_respond() needs again (sw_judged.have: which parts hold). */
enum {
	SW_JUDGED_VIA_OK = 1u << 0, /* a Via check found the top via-parm well formed (nothing kept) */
	SW_JUDGED_TO = 1u << 1,     /* to_tag: the tag sip_addr_parse_in() found in the To value, which parsed */
	SW_JUDGED_FROM = 1u << 2,   /* from_tag: the same for the From value */
};

/*
 * Results of the verdict's own parses, kept so that the reply does not parse the same bytes again. Each is exactly
 * what sw_respond() would compute from w->msg. Only meaningful after sw_judge() returned a reply verdict: `have` is
 * set then, and left alone on every other path (the pass path pays nothing for it; sw_respond() reads it only for a
 * reply). The top Via is only checked, never kept: a reply whose verdict did not check it (413, 414, 505, a parse
 * error's 400, a rule's reply) has it checked by never_answer(), and sw_respond() reads the usual form from byte
 * masks. Kept in the worker, not in struct sip_msg: it belongs to the verdict, and sip_msg_parse() knows nothing
 * of it.
 */
struct sw_judged {
	uint8_t have;            /* SW_JUDGED_* */
	struct sw_str to_tag;    /* empty when the To has no tag */
	struct sw_str from_tag;  /* empty when the From has no tag */
};

/* A worker's private state. One per thread; never shared. */
struct sw_worker {
	unsigned id;           /* this worker's index into every rules database's scratch array */
	uint8_t secret[16];    /* per-instance To-tag key; the same in every worker of one instance */
	struct sip_msg msg;    /* the message last judged (valid until the next call) */
	struct sw_judged judged; /* what judging msg parsed, for sw_respond() */
	char unfold[SW_MAX_DATAGRAM]; /* where folded header values are unfolded for rules */
};

/* The source of a datagram, where a reply goes. Port in host byte order. */
struct sw_peer {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

const char *sw_why_name(enum sw_why why);
const char *sw_action_name(enum sw_action a);

/*
 * Judge buf[0..len) under pol. The order of checks is fixed and documented in docs/verdict.md:
 *   not SIP (drop) -> response (pass; drop when malformed or oversized) -> size (413)
 *   -> Request-URI size (414) -> version (505) -> start line and header syntax (400) -> rules
 *   -> mandatory headers and their syntax (400) -> Max-Forwards (400/483) -> Content-Length framing (400)
 *   -> Proxy-Require / Require (420).
 * Then the never-answer rules: a reply to an ACK, or to a request with no usable top Via, becomes a silent drop.
 * w->msg holds the index afterwards. Always fills v.
 */
void sw_judge(const struct sw_policy *pol, struct sw_worker *w, const char *buf, uint32_t len,
	      struct sw_verdict *v);

/*
 * For a reply verdict, build the response into out (at most cap bytes; pass cap = request length to forbid
 * amplification). Returns the length, or 0 when no reply can be built, in which case v becomes a drop
 * (SW_WHY_AMPLIFICATION or SW_WHY_NO_VIA). src is where the request came from (received=/rport=). out[0..cap) is
 * scratch: bytes past the returned length, but within cap, may be written too (pieces are copied in whole 32-byte
 * moves when cap allows).
 */
uint32_t sw_respond(const struct sw_policy *pol, struct sw_worker *w, struct sw_verdict *v,
		    const struct sw_peer *src, char *out, uint32_t cap);

/*
 * Is a UDP datagram SIP for this policy? True when either port is one of dataplane.sip_ports: requests go to a SIP
 * port, responses come back from one. Everything else is not judged and passes untouched.
 */
bool sw_policy_is_sip_port(const struct sw_policy *pol, uint16_t sport, uint16_t dport);

/* Is this option tag in the policy's extensions.supported? (case-insensitive, RFC 3261 7.3.1) */
bool sw_policy_supports(const struct sw_policy *pol, struct sw_str tag);

/* Initialise a worker: id, secret (copied). */
void sw_worker_init(struct sw_worker *w, unsigned id, const uint8_t secret[16]);

#endif

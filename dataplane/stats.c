/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter names, sums and the final report (see stats.h). The names are the telemetry keys: stable, snake_case.
 */
#include <inttypes.h>
#include <string.h>

#include "stats.h"

static const char *const drop_names[DP_DROP__COUNT] = {
	[DP_DROP_BAD_L2] = "bad_l2",
	[DP_DROP_BAD_L3] = "bad_l3",
	[DP_DROP_BAD_LEN] = "bad_len",
	[DP_DROP_BAD_FRAG] = "bad_frag",
	[DP_DROP_BAD_IP_CKSUM] = "bad_ip_cksum",
	[DP_DROP_BAD_UDP_CKSUM] = "bad_udp_cksum",
	[DP_DROP_VERDICT] = "verdict",
	[DP_DROP_BUDGET_PREFIX] = "budget_prefix",
	[DP_DROP_BUDGET_GLOBAL] = "budget_global",
	[DP_DROP_BUDGET_FULL] = "budget_table_full",
	[DP_DROP_NO_REPLY] = "no_reply_address",
	[DP_DROP_NO_ROOM] = "no_room",
	[DP_DROP_FRAG_POLICY] = "frag_policy",
	[DP_DROP_FRAG_REASSEMBLY] = "frag_reassembly",
	[DP_DROP_FRAG_TOO_BIG] = "frag_too_big",
	[DP_DROP_FRAG_UNSUPPORTED] = "frag_unsupported",
	[DP_DROP_FRAG_ANSWERED] = "frag_answered",
	[DP_DROP_TX_FULL] = "tx_full",
};

const char *dp_drop_name(enum dp_drop d)
{
	return (unsigned)d < DP_DROP__COUNT && drop_names[d] ? drop_names[d] : "?";
}

uint64_t dp_stats_bad_l2l4(const struct dp_stats *s)
{
	uint64_t n = 0;

	for (unsigned i = DP_DROP_BAD_L2; i <= DP_DROP_BAD_UDP_CKSUM; i++)
		n += s->drop[i];
	return n;
}

uint64_t dp_stats_dropped(const struct dp_stats *s)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < DP_DROP__COUNT; i++)
		n += s->drop[i];
	return n;
}

void dp_stats_sum(struct dp_stats *sum, const struct dp_stats *const *blocks, unsigned n)
{
	uint64_t *dst = (uint64_t *)sum;

	_Static_assert(sizeof(struct dp_stats) % sizeof(uint64_t) == 0, "dp_stats is an array of uint64_t");
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < n; w++) {
		const volatile uint64_t *src = (const volatile uint64_t *)blocks[w];

		for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
			dst[i] += src[i];
	}
}

void dp_stats_print(FILE *f, const struct dp_stats *s)
{
	fprintf(f, "rx %" PRIu64 "\n", s->rx);
	fprintf(f, "tx_pass %" PRIu64 "\n", s->tx_pass);
	fprintf(f, "tx_reply %" PRIu64 "\n", s->tx_reply);
	fprintf(f, "dropped %" PRIu64 "\n", dp_stats_dropped(s));
	fprintf(f, "bad_l2l4 %" PRIu64 "\n", dp_stats_bad_l2l4(s));
	fprintf(f, "pass_other %" PRIu64 "\n", s->pass_other);
	fprintf(f, "pass_inside %" PRIu64 "\n", s->pass_inside);
	fprintf(f, "pass_frag %" PRIu64 "\n", s->pass_frag);
	fprintf(f, "judged %" PRIu64 "\n", s->judged);
	fprintf(f, "frag_rx %" PRIu64 "\n", s->frag_rx);
	fprintf(f, "frag_reassembled %" PRIu64 "\n", s->frag_reassembled);
	for (unsigned i = 0; i < DP_DROP__COUNT; i++)
		if (s->drop[i])
			fprintf(f, "drop.%s %" PRIu64 "\n", drop_names[i], s->drop[i]);
	for (unsigned i = 0; i < SW_WHY__COUNT; i++)
		if (s->why[i])
			fprintf(f, "verdict.%s %" PRIu64 "\n", sw_why_name((enum sw_why)i), s->why[i]);
	for (unsigned i = 0; i < DP_STATUS_SLOTS; i++)
		if (s->status[i])
			fprintf(f, "reply.%u %" PRIu64 "\n", DP_STATUS_MIN + i, s->status[i]);
}

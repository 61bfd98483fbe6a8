/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment reassembly and its undo (see frag.h). The table is sized at start from the policy; a later policy's
 * fragments.max_in_flight and timeout_ms take effect at the next start (DPDK cannot resize a table in place).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "frag.h"

#define FRAG_BUCKET_ENTRIES 16 /* associativity: the largest DPDK accepts (RTE_IP_FRAG_TBL_BUCKET_ENTRIES) */
#define IPV6_HDR_LEN 40
#define IPV6_NH_FRAGMENT 44

int dp_frag_init(struct dp_frag *f, uint32_t max_flows, uint32_t timeout_ms, int socket)
{
	/* twice the entries needed, so a full bucket is rare before the table holds max_flows datagrams */
	uint32_t buckets = rte_align32pow2(RTE_MAX((2 * max_flows + FRAG_BUCKET_ENTRIES - 1) / FRAG_BUCKET_ENTRIES,
						   1u));
	uint64_t cycles = (rte_get_tsc_hz() + 999) / 1000 * timeout_ms;

	memset(f, 0, sizeof(*f));
	f->tbl = rte_ip_frag_table_create(buckets, FRAG_BUCKET_ENTRIES, max_flows, cycles, socket);
	if (!f->tbl)
		return -(rte_errno ? rte_errno : ENOMEM);
	return 0;
}

void dp_frag_fini(struct dp_frag *f)
{
	if (!f->tbl)
		return;
	rte_ip_frag_table_destroy(f->tbl); /* frees the mbufs it holds */
	f->tbl = NULL;
	dp_frag_collect(f);
}

struct rte_mbuf *dp_frag_feed(struct dp_frag *f, struct rte_mbuf *m, const struct dp_l2l4 *d, uint64_t now,
			      uint32_t *v6_id)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, d->l2_len);
	struct rte_ipv6_fragment_ext *fh;

	m->l2_len = d->l2_len;
	m->l3_len = d->l3_len;
	if (d->ip_ver == 4)
		return rte_ipv4_frag_reassemble_packet(f->tbl, &f->dr, m, now, (struct rte_ipv4_hdr *)ip);
	fh = (struct rte_ipv6_fragment_ext *)(ip + IPV6_HDR_LEN);
	memcpy(v6_id, &fh->id, sizeof(*v6_id)); /* network order, written back as is */
	return rte_ipv6_frag_reassemble_packet(f->tbl, &f->dr, m, now, (struct rte_ipv6_hdr *)ip, fh);
}

/* The first fragment: undo what the reassembler did to its IP header. */
static void restore_head(struct rte_mbuf *m, const struct dp_l2l4 *d, uint32_t v6_id)
{
	uint8_t *frame, *ip;

	if (d->ip_ver == 4) {
		struct rte_ipv4_hdr *h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, d->l2_len);

		h->total_length = rte_cpu_to_be_16((uint16_t)(m->data_len - d->l2_len));
		/* the reassembler kept DF and cleared MF and the offset (0 for the first fragment anyway) */
		h->fragment_offset |= rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
		return;
	}
	/* IPv6: the reassembler moved L2 + the base header 8 bytes up over the fragment header; move them back */
	frame = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct rte_ipv6_fragment_ext));
	memmove(frame, frame + sizeof(struct rte_ipv6_fragment_ext), d->l2_len + IPV6_HDR_LEN);
	ip = frame + d->l2_len;
	{
		struct rte_ipv6_fragment_ext fh = {
			.next_header = ip[6],
			.reserved = 0,
			.frag_data = rte_cpu_to_be_16(1), /* offset 0, M set */
			.id = v6_id,
		};

		memcpy(ip + IPV6_HDR_LEN, &fh, sizeof(fh));
	}
	ip[6] = IPV6_NH_FRAGMENT;
	ip[4] = (uint8_t)((m->data_len - d->l2_len - IPV6_HDR_LEN) >> 8);
	ip[5] = (uint8_t)(m->data_len - d->l2_len - IPV6_HDR_LEN);
}

static bool splittable(const struct rte_mbuf *head, const struct dp_l2l4 *d, uint16_t max)
{
	if (head->nb_segs > max || head->l2_len != d->l2_len)
		return false;
	if (d->ip_ver == 6 && rte_pktmbuf_headroom(head) < sizeof(struct rte_ipv6_fragment_ext))
		return false;
	for (const struct rte_mbuf *s = head->next; s; s = s->next)
		if (s->l2_len == 0 || s->l3_len == 0 || s->l2_len + s->l3_len > rte_pktmbuf_headroom(s))
			return false;
	return true;
}

uint16_t dp_frag_split(struct rte_mbuf *head, const struct dp_l2l4 *d, uint32_t v6_id, struct rte_mbuf **out,
		       uint16_t max)
{
	struct rte_mbuf *s, *next;
	uint16_t n = 0;

	if (!splittable(head, d, max))
		return 0;
	s = head->next;
	head->next = NULL;
	head->nb_segs = 1;
	head->pkt_len = head->data_len;
	restore_head(head, d, v6_id);
	out[n++] = head;
	for (; s; s = next) {
		next = s->next;
		s->next = NULL;
		s->nb_segs = 1;
		s->pkt_len = s->data_len;
		/* the fragment's own L2 and L3 headers are still there, in front of its data */
		rte_pktmbuf_prepend(s, (uint16_t)(s->l2_len + s->l3_len));
		out[n++] = s;
	}
	return n;
}

void dp_frag_expire(struct dp_frag *f, uint64_t now)
{
	rte_ip_frag_table_del_expired_entries(f->tbl, &f->dr, now);
}

uint32_t dp_frag_collect(struct dp_frag *f)
{
	uint32_t n = f->dr.cnt;

	if (n)
		rte_ip_frag_free_death_row(&f->dr, 3);
	return n;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwall's XDP prefilter: the first code that sees a frame on the receiving interface. UDP datagrams to a SIP port
 * are judged (lengths, fragments, payload size, "does it start like SIP", blocklist, per-source rate) and either
 * dropped, with a counter per reason, or sent on: to the AF_XDP socket DPDK bound on the rx queue, or to the kernel
 * when there is none.
 * Everything else (ARP, ICMP, management, other services) passes untouched. Layouts: include/sipwall/xdp_abi.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sipwall/xdp_abi.h"
#include "sw_xdp_maps.bpf.h"
#include "sw_xdp_parse.bpf.h"

#define NSEC_PER_SEC 1000000000ULL

/* How many times the blocklist lookup steps past an expired longest match to a shorter prefix. */
#define SW_BLOCK_EXPIRED_SKIP 4

/*
 * Used while sw_cfg[0] was never written (generation 0), e.g. when DPDK loaded the object and nothing configured it
 * yet. Matches the policy defaults (core/policy.c): port 5060, payload 4..65507, no rate limit, fragments allowed.
 */
static const struct sw_xdp_cfg sw_cfg_default = {
	.flags = SW_XDP_F_ALLOW_FRAGMENTS,
	.min_payload = SW_XDP_DEFAULT_MIN_PAYLOAD,
	.max_payload = SW_XDP_DEFAULT_MAX_PAYLOAD,
	.rate_v4_prefix = SW_XDP_DEFAULT_V4_PREFIX,
	.rate_v6_prefix = SW_XDP_DEFAULT_V6_PREFIX,
	.nports = 1,
	.sip_ports[SW_XDP_DEFAULT_PORT >> 6] = 1ULL << (SW_XDP_DEFAULT_PORT & 63),
};

/* A verdict before it is carried out: XDP_DROP, or XDP_REDIRECT meaning "send on" (socket or kernel). */
struct fate {
	__u32 action;
	__u32 counter;
};

static __always_inline void count(__u32 counter)
{
	__u64 *c = bpf_map_lookup_elem(&sw_stats, &counter);

	if (c)
		*c += 1; /* per-CPU slot: no other writer */
}

/*
 * Carry out a fate and count it. Sending on is a redirect into xsks_map at this rx queue. With no socket bound there
 * (the prefilter in front of a kernel SIP server, or a queue DPDK does not serve) the kernel gets the packet: the
 * inlined map lookup says so before any helper call, and the call (some 7 ns where every return goes through a
 * thunk, docs/xdp.md) is left out. bpf_redirect_map() still falls back to XDP_PASS when the socket leaves between
 * the lookup and the call. Either way the action decides the counter: a SIP packet is counted as redirect or
 * pass_no_socket; keepalives keep their own counter.
 */
static __always_inline int finish(struct xdp_md *ctx, __u32 action, __u32 counter)
{
	__u32 q;
	long rc;

	if (action != XDP_REDIRECT) {
		count(counter);
		return action;
	}
	q = ctx->rx_queue_index;
	rc = XDP_PASS;
	if (bpf_map_lookup_elem(&xsks_map, &q))
		rc = bpf_redirect_map(&xsks_map, q, XDP_PASS);
	if (counter == SW_XDP_C_REDIRECT && rc != XDP_REDIRECT)
		counter = SW_XDP_C_PASS_NO_SOCKET;
	count(counter);
	return rc;
}

static __always_inline const struct sw_xdp_cfg *cfg_get(void)
{
	__u32 zero = 0;
	const struct sw_xdp_cfg *cfg = bpf_map_lookup_elem(&sw_cfg, &zero);

	if (!cfg || !cfg->generation)
		return &sw_cfg_default;
	return cfg;
}

static __always_inline bool port_is_sip(const struct sw_xdp_cfg *cfg, __u16 port)
{
	return (cfg->sip_ports[port >> 6] >> (port & 63)) & 1;
}

/* The clock cache (struct sw_clock in sw_blkf's header), refreshed on a new tick: the times first, then the tick. */
static __always_inline const struct sw_clock *clock_get(void)
{
	struct sw_clock *c = (struct sw_clock *)&sw_blkf.hdr[SW_BLKF_W_CLOCK];
	__u64 j = bpf_jiffies64();

	if (*(volatile __u64 *)&c->jiffies != j) {
		*(volatile __u64 *)&c->mono_ns = bpf_ktime_get_ns();
		*(volatile __u64 *)&c->boot_ns = bpf_ktime_get_boot_ns();
		*(volatile __u64 *)&c->jiffies = j;
	}
	return c;
}

/* Is this entry in force? Reads the clock only for entries that can expire. */
static __always_inline bool block_active(const struct sw_block_val *v)
{
	if (!v->expires_ns)
		return true;
	return v->expires_ns > clock_get()->boot_ns;
}

/*
 * Longest-prefix match of the source in the blocklist, skipping expired entries: an expired /32 must not hide an
 * active /24 behind it, so the lookup is repeated just below the expired entry's length (a bounded number of times).
 */
static __always_inline bool block_found(struct sw_block_val *v)
{
	__sync_fetch_and_add(&v->hits, 1);
	return true;
}

/*
 * Word loads from the packet. __builtin_memcpy() from a byte pointer compiles to one load per byte (clang's BPF
 * target assumes nothing about alignment); a cast loads the word at once. Packet addresses are 2-byte aligned
 * behind a 14-byte Ethernet header, and the verifier allows unaligned packet loads where the CPU does (x86,
 * arm64: CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS), as the SIP start check already relies on. The caller has
 * checked the bytes against data_end.
 */
static __always_inline __u32 pkt_load32(const __u8 *p)
{
	return *(const __u32 *)p;
}

static __always_inline __u64 pkt_load64(const __u8 *p)
{
	return *(const __u64 *)p;
}

/* Header word i of the presence filter: one load; volatile, as libswxdp changes it under us (N before LIST). */
static __always_inline __u64 blkf_word(__u32 i)
{
	return *(volatile __u64 *)&sw_blkf.hdr[i];
}

/* Is the filter's counter for this slot non-zero? slot < SW_BLKF_SLOTS by construction (a shift of a 64-bit hash). */
static __always_inline bool blkf_slot_set(__u32 slot)
{
	return *(volatile __u8 *)&sw_blkf.slots[slot & (SW_BLKF_SLOTS - 1)];
}

/*
 * The presence filter (xdp_abi.h): false when the source is in no blocked prefix of any length in use, true when it
 * may be (the trie decides). A family with an empty blocklist costs one inlined array load. Not built yet (a copy
 * DPDK loaded before anyone adopted it), or more lengths in use than SW_BLKF_PROBES: true, the trie decides.
 */
static __always_inline bool blkf_maybe4(const __u8 *saddr)
{
	__u64 n = blkf_word(SW_BLKF_W_N4);
	__u32 a;

	if (!n || n > SW_BLKF_PROBES + 1)
		return true;
	a = pkt_load32(saddr);
	for (__u32 i = 0; i < SW_BLKF_PROBES; i++) {
		if (i + 1 >= n)
			return false;
		if (blkf_slot_set(sw_blkf_slot4t(a, blkf_word(SW_BLKF_W_LIST4 + i))))
			return true;
	}
	return false;
}

static __always_inline bool blkf_maybe6(const __u8 *saddr)
{
	__u64 n = blkf_word(SW_BLKF_W_N6), hi;

	if (!n || n > SW_BLKF_PROBES + 1)
		return true;
	hi = pkt_load64(saddr); /* filed lengths are at most 64: the second half never counts */
	for (__u32 i = 0; i < SW_BLKF_PROBES; i++) {
		if (i + 1 >= n)
			return false;
		if (blkf_slot_set(sw_blkf_slot6t(hi, blkf_word(SW_BLKF_W_LIST6 + i))))
			return true;
	}
	return false;
}

/*
 * The longest active entry for key in one family's trie. Both key layouts start with the prefix length, which is
 * lowered past an expired entry to look behind it; more expired entries in a row than SW_BLOCK_EXPIRED_SKIP count as
 * not blocked.
 */
static __always_inline bool block_walk(void *trie, void *key)
{
	struct sw_block_val *v;

#pragma unroll
	for (int i = 0; i < SW_BLOCK_EXPIRED_SKIP; i++) {
		v = bpf_map_lookup_elem(trie, key);
		if (!v)
			return false;
		if (block_active(v))
			return block_found(v);
		if (!v->prefixlen)
			return false;
		*(__u32 *)key = v->prefixlen - 1;
	}
	return false;
}

/*
 * One exact length's probe of the exact index (xdp_abi.h): 1 when an entry in force matches (its hits counted),
 * -1 when the bucket overflowed (the trie decides), else 0 (no entry, or an expired one: look at shorter lengths).
 */
static __always_inline int blkx_probe(__u64 k0, __u64 k1, __u32 meta)
{
	struct sw_blkx_bucket *b = &sw_blkf.bkt[sw_blkx_bucket_of(k0, k1, meta) & (SW_BLKX_BUCKETS - 1)];
	__u64 exp;

	__u64 used = *(volatile __u64 *)&b->used;

	if (used & SW_BLKX_OVERFLOW)
		return -1;
	if (!used)
		return 0;
#pragma unroll
	for (int w = 0; w < SW_BLKX_WAYS; w++) {
		if (!(used & (1u << w)) || *(volatile __u32 *)&b->meta[w] != meta || b->k0[w] != k0 || b->k1[w] != k1)
			continue;
		exp = *(volatile __u64 *)&b->expires_ns[w];
		if (exp && exp <= clock_get()->boot_ns)
			return 0;
		__sync_fetch_and_add(&b->hits[w], 1);
		return 1;
	}
	return 0;
}

/* The exact index for an IPv4 source: 1 blocked, 0 not, -1 the trie decides (not built, too many lengths, overflow). */
static __always_inline int blkx_hit4(const __u8 *saddr)
{
	__u64 n = blkf_word(SW_BLKX_W_N4), k0, tmpl;
	__u32 a;
	int r;

	if (!n || n > SW_BLKF_PROBES + 1)
		return -1;
	a = pkt_load32(saddr);
	for (__u32 i = 0; i < SW_BLKF_PROBES; i++) {
		if (i + 1 >= n)
			return 0;
		tmpl = blkf_word(SW_BLKX_W_LIST4 + i);
		k0 = ((__u64)a | 0xffffffff00000000ULL) & tmpl; /* the address masked, with its length and family */
		r = blkx_probe(k0, 0, (__u32)(tmpl >> 32));     /* sw_blkx_meta(4, len), as tmpl holds it */
		if (r)
			return r;
	}
	return 0;
}

static __always_inline int blkx_hit6(const __u8 *saddr)
{
	__u64 n = blkf_word(SW_BLKX_W_N6), hi, lo;
	__u32 len;
	int r;

	if (!n || n > SW_BLKF_PROBES + 1)
		return -1;
	hi = pkt_load64(saddr);
	lo = pkt_load64(saddr + 8);
	for (__u32 i = 0; i < SW_BLKF_PROBES; i++) {
		if (i + 1 >= n)
			return 0;
		len = (__u32)blkf_word(SW_BLKX_W_LIST6 + i) & 0xff;
		if (len > 128)
			return -1;
		/* one mask per probe: a length of 64 or more keeps the first half whole */
		if (len >= 64)
			r = blkx_probe(hi, lo & sw_blkf_mask64(len - 64), sw_blkx_meta(6, len));
		else
			r = blkx_probe(hi & sw_blkf_mask64(len), 0, sw_blkx_meta(6, len));
		if (r)
			return r;
	}
	return 0;
}

/* Is the source blocked? The filter turns most sources away; the exact index, else the trie, decides the rest. */
static __always_inline bool block_hit(__u8 family, const __u8 *saddr)
{
	int r;

	if (family == 4) {
		if (!blkf_maybe4(saddr))
			return false;
		r = blkx_hit4(saddr);
		if (r >= 0)
			return r;
		struct sw_block_key4 k = { .prefixlen = 32 };

		*(__u32 *)k.addr = pkt_load32(saddr);
		return block_walk(&sw_block4, &k);
	} else {
		struct sw_block_key6 k = { .prefixlen = 128 };

		if (!blkf_maybe6(saddr))
			return false;
		r = blkx_hit6(saddr);
		if (r >= 0)
			return r;
#pragma unroll
		for (int i = 0; i < 4; i++) /* k.addr is at offset 4: 32-bit stores keep the stack aligned */
			((__u32 *)k.addr)[i] = pkt_load32(saddr + 4 * i);
		return block_walk(&sw_block6, &k);
	}
}

/*
 * The tag of the source's prefix in sw_rate (xdp_abi.h): the source masked to the configured length. v4_mask is
 * cfg->rate_v4_mask, or derived here when the writer left it to the program (derived).
 */
static __always_inline __u64 rate_tag(const struct sw_xdp_cfg *cfg, __u8 family, const __u8 *saddr, __u64 seed,
				      bool derived)
{
	__u64 hi, lo;
	__u32 plen, lh, mask;

	if (family == 4) {
		plen = cfg->rate_v4_prefix > 32 ? 32 : cfg->rate_v4_prefix;
		/* the mask of plen bits in one shift: 64-bit, so that plen 0 (a shift by 32) is defined */
		mask = derived ? cfg->rate_v4_mask : sw_be32((__u32)(~0ULL << (32 - plen)));
		return sw_rate_tag4(pkt_load32(saddr) & mask, plen);
	}
	plen = cfg->rate_v6_prefix > 128 ? 128 : cfg->rate_v6_prefix;
	lh = plen > 64 ? 64 : plen;
	hi = pkt_load64(saddr);
	lo = pkt_load64(saddr + 8);
	return sw_rate_tag6(hi & sw_blkf_mask64(lh), lo & sw_blkf_mask64(plen - lh), plen, seed);
}

/* Mark way k of a set most recently used; written only when it changes, so one busy source writes nothing. */
static __always_inline void rate_touch(struct sw_rate_set *set, __u64 k)
{
	if (set->mru != k)
		*(volatile __u64 *)&set->mru = k;
}

/*
 * This prefix's bucket in its set, or, if it has none, a bucket taken for it (the way used less recently, see
 * xdp_abi.h) and started full less this packet: then NULL, the packet conforms. Concurrency: CPUs racing to take
 * a bucket may each start one; the last wins (tat is written before tag, so a matching tag finds its tat).
 */
static __always_inline __u64 *rate_bucket(struct sw_rate_set *set, __u64 tag, __u64 now, __u64 interval)
{
	struct sw_rate_way *w;
	__u64 k;

	if (set->way[0].tag == tag) {
		rate_touch(set, 0);
		return &set->way[0].tat_ns;
	}
	if (set->way[1].tag == tag) {
		rate_touch(set, 1);
		return &set->way[1].tat_ns;
	}
	k = set->mru ? 0 : 1;
	w = k ? &set->way[1] : &set->way[0];
	*(volatile __u64 *)&w->tat_ns = now + interval;
	*(volatile __u64 *)&w->tag = tag;
	rate_touch(set, k);
	return NULL;
}

/*
 * Per-source token bucket in GCRA form (xdp_abi.h, sw_rate). Returns true when the packet is over the rate.
 * Clock: the per-CPU cache, so "now" is up to one tick old; a bucket should hold at least rate_pps / HZ packets of
 * burst for that not to matter. Concurrency: the test and the update are two steps, so CPUs racing on one source can
 * each let one packet through past the limit; the update itself is atomic, so no packet is forgotten.
 */
static __always_inline bool rate_exceeded(const struct sw_xdp_cfg *cfg, __u8 family, const __u8 *saddr)
{
	__u64 now, interval, tau, tat, tag, seed, *v;
	struct sw_rate_set *set;
	__u32 burst, idx;
	bool derived;

	now = clock_get()->mono_ns;
	interval = cfg->rate_interval_ns;
	tau = cfg->rate_tau_ns;
	derived = interval != 0;
	if (!derived) { /* a writer that did not derive them (sw_xdp_cfg_write() does) */
		interval = NSEC_PER_SEC / cfg->rate_pps;
		burst = cfg->rate_burst ? cfg->rate_burst : cfg->rate_pps;
		tau = (__u64)(burst - 1) * interval;
	}
	seed = *(volatile __u64 *)&sw_blkf.hdr[SW_BLKF_W_SEED];
	tag = rate_tag(cfg, family, saddr, seed, derived);
	idx = sw_rate_set_of(tag, seed);
	set = bpf_map_lookup_elem(&sw_rate, &idx);
	if (!set)
		return false;
	v = rate_bucket(set, tag, now, interval);
	if (!v)
		return false;
	tat = *(volatile __u64 *)v;
	if (tat > now + tau)
		return true;
	if (tat < now) {
		/* The bucket refilled completely: restart from now, unless another CPU moved it meanwhile. */
		if (__sync_val_compare_and_swap(v, tat, now + interval) == tat)
			return false;
	}
	__sync_fetch_and_add(v, interval);
	return false;
}

/*
 * A fragmented datagram's identity (family, source, destination, identification) hashed to 64 bits: the top
 * SW_FRAG_SLOT_BITS pick its slot in sw_frag, the low 48 are its tag there. Written by hand, as the map is an array
 * (see xdp_abi.h); addresses as loaded from the packet, the same for every fragment.
 */
static __always_inline __u64 frag_hash(const struct sw_l3 *l3, __u8 family, const __u8 *saddr, const __u8 *daddr)
{
	__u64 h = (__u64)l3->frag_id << 8 | family, w[4];
	__u32 s, d;

	if (family == 4) {
		s = pkt_load32(saddr);
		d = pkt_load32(daddr);
		h ^= ((__u64)s << 32 | d) * 0x9e3779b97f4a7c15ULL;
	} else {
		w[0] = pkt_load64(saddr);
		w[1] = pkt_load64(saddr + 8);
		w[2] = pkt_load64(daddr);
		w[3] = pkt_load64(daddr + 8);
		h ^= sw_mix64(w[0] ^ sw_mix64(w[1] ^ sw_mix64(w[2] ^ sw_mix64(w[3]))));
	}
	return sw_mix64(h);
}

/* The datagram's slot in sw_frag (an inlined array lookup; never NULL for an index below SW_XDP_FRAG_SLOTS). */
static __always_inline __u64 *frag_slot(__u64 h)
{
	__u32 i = h >> (64 - SW_FRAG_SLOT_BITS);

	return bpf_map_lookup_elem(&sw_frag, &i);
}

static __always_inline __u64 frag_tag(__u64 h)
{
	return (h & SW_FRAG_TAG_MASK) | 1; /* never 0: a zero word is an empty slot */
}

/*
 * A later fragment of a UDP datagram: if its first fragment was a judged SIP datagram, same fate; otherwise it is
 * not ours (another service's, or it overtook its first fragment, or its slot was taken). The last fragment
 * forgets the datagram, unless another one took the slot meanwhile.
 */
static __always_inline int frag_follow(struct xdp_md *ctx, const struct sw_l3 *l3, __u8 family, const __u8 *saddr,
				       const __u8 *daddr)
{
	__u64 h = frag_hash(l3, family, saddr, daddr), *slot = frag_slot(h), w;

	if (!slot)
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
	w = *(volatile __u64 *)slot;
	if (!w || SW_FRAG_W_TAG(w) != frag_tag(h))
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
	if (l3->frag_last)
		__sync_val_compare_and_swap(slot, w, 0);
	return finish(ctx, SW_FRAG_W_ACTION(w), SW_FRAG_W_COUNTER(w));
}

/*
 * A first fragment was judged: its later fragments will share the fate. A repeated first fragment (a retransmission,
 * or a flood replaying one) finds its word in place and writes nothing, so the cache line stays shared.
 */
static __always_inline void frag_record(const struct sw_l3 *l3, __u8 family, const __u8 *saddr,
					const __u8 *daddr, const struct fate *f)
{
	__u64 h = frag_hash(l3, family, saddr, daddr), *slot = frag_slot(h);
	__u64 w = SW_FRAG_WORD(frag_tag(h), f->action, f->counter);

	if (slot && *(volatile __u64 *)slot != w)
		*(volatile __u64 *)slot = w;
}

/*
 * Judge a UDP datagram to a SIP port. The checks that need no map run first, so garbage is dropped without a trie
 * walk; a packet that fails several checks is counted under the first: malformed, fragment, short, long, not SIP,
 * blocklist, rate. A keepalive skips the size and SIP checks but not the blocklist or the rate limit.
 * udp is bounds-checked for its 8 bytes; the payload reads check end themselves.
 */
static __always_inline void judge(const struct sw_xdp_cfg *cfg, const struct sw_l3 *l3, __u8 family,
				  const __u8 *saddr, const struct udphdr *udp, const void *end, struct fate *f)
{
	const __u8 *payload = (const __u8 *)(udp + 1);
	__u32 ulen = bpf_ntohs(udp->len), plen;
	bool keepalive;

	f->action = XDP_DROP;
	/* A whole datagram must fit its IP payload; a first fragment's UDP length covers the datagram, not the fragment. */
	if (l3->malformed || ulen < sizeof(*udp) ||
	    (l3->frag == PKT_FRAG_NONE ? ulen > l3->l4_len : ulen < l3->l4_len)) {
		f->counter = SW_XDP_C_DROP_MALFORMED;
		return;
	}
	if (l3->frag == PKT_FRAG_FIRST && !(cfg->flags & SW_XDP_F_ALLOW_FRAGMENTS)) {
		f->counter = SW_XDP_C_DROP_FRAGMENT;
		return;
	}
	plen = ulen - sizeof(*udp);
	keepalive = plen <= 4 && sip_is_keepalive(payload, end, plen); /* one compare for every other datagram */
	if (!keepalive) {
		if (plen < cfg->min_payload) {
			f->counter = SW_XDP_C_DROP_SHORT;
			return;
		}
		if (plen > cfg->max_payload) {
			f->counter = SW_XDP_C_DROP_LONG;
			return;
		}
		if (!sip_starts_like_sip(payload, end, plen)) {
			f->counter = SW_XDP_C_DROP_NOT_SIP;
			return;
		}
	}
	if (block_hit(family, saddr)) {
		f->counter = SW_XDP_C_DROP_BLOCKLIST;
		return;
	}
	if (cfg->rate_pps && rate_exceeded(cfg, family, saddr)) {
		f->counter = SW_XDP_C_DROP_RATE;
		return;
	}
	f->action = XDP_REDIRECT;
	f->counter = keepalive ? SW_XDP_C_KEEPALIVE : SW_XDP_C_REDIRECT;
}

/*
 * IPv6 is parsed by a global (non-static, noinline) function: the verifier checks it once, on its own, and the
 * caller sees its results as unknown values. Inlined, each combination of extension headers would be a separate
 * path through everything after it, and the verifier gave up at a million instructions. The price is one call on
 * IPv6 packets with extension headers (plain IPv6/UDP is parsed inline first, parse_ipv6_udp()); IPv4 (options are
 * one variable offset, not a path each) stays inline.
 */
__attribute__((noinline)) int sw_parse_ip6(struct xdp_md *ctx, struct sw_l3 *l3)
{
	if (!l3)
		return PARSE_OTHER;
	return parse_ipv6((void *)(long)ctx->data, (void *)(long)ctx->data_end, l3);
}

/*
 * Everything after the IP header: a later fragment follows its first, a UDP datagram to a SIP port is judged, the
 * rest passes. Inlined once per family with family a constant, so each copy holds only its own family's branches
 * (rate tag, blocklist, fragment hash) and keeps fewer values live across them.
 */
static __always_inline int sip_path(struct xdp_md *ctx, const void *data, const void *end, struct sw_l3 *l3,
				    enum parse_result pr, __u8 family, const __u8 *saddr, const __u8 *daddr)
{
	const struct sw_xdp_cfg *cfg;
	const struct udphdr *udp;
	struct fate f;
	__u32 l4off;

	if (pr == PARSE_LATER_FRAG)
		return frag_follow(ctx, l3, family, saddr, daddr);
	if (pr != PARSE_UDP)
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);

	l4off = l3->l4off;
	if (l4off > SW_L4_OFF_MAX)
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
	udp = data + l4off;
	if ((const void *)(udp + 1) > end)
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
	cfg = cfg_get();
	if (!port_is_sip(cfg, bpf_ntohs(udp->dest)))
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);

	judge(cfg, l3, family, saddr, udp, end, &f);
	if (l3->frag == PKT_FRAG_FIRST)
		frag_record(l3, family, saddr, daddr, &f);
	return finish(ctx, f.action, f.counter);
}

SEC("xdp")
int sw_xdp_filter(struct xdp_md *ctx)
{
	const void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct sw_l3 l3 = {};
	enum parse_result pr;
	const __u8 *ip;
	__be16 proto;
	__u32 off;

	if (parse_eth(data, end, &off, &proto))
		return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
	l3.l3off = off;
	ip = data + off;
	if (proto == bpf_htons(ETH_P_IP)) {
		pr = parse_ipv4(data, end, &l3); /* on PARSE_UDP/LATER_FRAG the 20-byte header was checked */
		return sip_path(ctx, data, end, &l3, pr, 4, ip + offsetof(struct iphdr, saddr),
				ip + offsetof(struct iphdr, daddr));
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		pr = parse_ipv6_udp(data, end, &l3);
		if (pr != PARSE_UDP) {
			pr = sw_parse_ip6(ctx, &l3);
			/* The callee's bounds checks are invisible here: check the fixed header again. */
			if ((const void *)(ip + sizeof(struct ipv6hdr)) > end)
				pr = PARSE_OTHER;
		}
		return sip_path(ctx, data, end, &l3, pr, 6, ip + offsetof(struct ipv6hdr, saddr),
				ip + offsetof(struct ipv6hdr, daddr));
	}
	return finish(ctx, XDP_PASS, SW_XDP_C_PASS_OTHER);
}

/* The kernel wants a license string; GPL-compatible so every helper is usable. The source is BSD-3-Clause. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

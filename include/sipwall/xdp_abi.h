/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP prefilter's ABI: map names, pin root, key and value layouts and the counter table, shared by the BPF
 * program (bpf/sw_xdp.bpf.c), the dataplane and sipwallctl. Types and constants only: no map definitions (those are
 * BPF-only, bpf/sw_xdp_maps.bpf.h) and no libbpf. Every layout that crosses the kernel/user boundary is asserted.
 *
 * Byte order: configuration fields are host order (both sides run on the same host); addresses in map keys are
 * network order, as on the wire (an LPM trie compares key bytes most significant first).
 * Clock: every *_ns field is CLOCK_BOOTTIME, bpf_ktime_get_boot_ns() in the program, so a TTL keeps counting across
 * suspend and the CLI computes expiries with clock_gettime(CLOCK_BOOTTIME).
 */
#ifndef SIPWALL_XDP_ABI_H
#define SIPWALL_XDP_ABI_H

#include <linux/types.h>

/* Where the shared maps are pinned, one file per map named after it. SW_XDP_PIN_ROOT_ENV overrides it (tests). */
#define SW_XDP_PIN_ROOT "/sys/fs/bpf/sipwall"
#define SW_XDP_PIN_ROOT_ENV "SIPWALL_PIN_ROOT"

/* The program's function name, as bpftool and `sipwallctl xdp status` show it (kernel keeps 15 characters). */
#define SW_XDP_PROG_NAME "sw_xdp_filter"

/* Map names: at most 15 characters (BPF_OBJ_NAME_LEN - 1). xsks_map is the name DPDK's net_af_xdp looks up. */
#define SW_XDP_MAP_XSKS "xsks_map"     /* XSKMAP, rx queue index -> AF_XDP socket (filled by DPDK); not pinned */
#define SW_XDP_MAP_CFG "sw_cfg"        /* ARRAY[1] of struct sw_xdp_cfg */
#define SW_XDP_MAP_STATS "sw_stats"    /* PERCPU_ARRAY[SW_XDP_C_MAX] of __u64 packets */
#define SW_XDP_MAP_BLOCK4 "sw_block4"  /* LPM_TRIE struct sw_block_key4 -> struct sw_block_val */
#define SW_XDP_MAP_BLOCK6 "sw_block6"  /* LPM_TRIE struct sw_block_key6 -> struct sw_block_val */
#define SW_XDP_MAP_RATE "sw_rate"      /* ARRAY[SW_RATE_SETS] of struct sw_rate_set: token buckets */
#define SW_XDP_MAP_FRAG "sw_frag"      /* ARRAY[SW_XDP_FRAG_SLOTS] of __u64: fragmented datagrams (SW_FRAG_WORD) */
#define SW_XDP_MAP_BLKF "sw_blkf"      /* pin of the program's .bss: struct sw_blkf, the blocklist's presence filter */

#define SW_XDP_XSKS_MAX 256     /* rx queues */
#define SW_XDP_BLOCK_MAX 65536  /* entries per address family */

/*
 * Counters, one per fate, exclusive: every packet the program sees bumps exactly one, so their sum is the number of
 * packets. X(enum suffix, name printed by the CLI and the dataplane, meaning).
 */
#define SW_XDP_COUNTERS(X)                                                                                            \
	X(PASS_OTHER, "pass_other", "not UDP to a SIP port (ARP, ICMP, management, other services, unparsable)")      \
	X(REDIRECT, "redirect", "SIP handed to the AF_XDP socket of its rx queue")                                     \
	X(PASS_NO_SOCKET, "pass_no_socket", "SIP with no AF_XDP socket on its rx queue: given to the kernel")        \
	X(KEEPALIVE, "keepalive", "CRLF keepalive (RFC 5626 3.5.1), sent on like SIP")                                 \
	X(DROP_BLOCKLIST, "drop_blocklist", "source in the blocklist")                                                 \
	X(DROP_RATE, "drop_rate", "source or source prefix over its packet rate")                                      \
	X(DROP_SHORT, "drop_short", "UDP payload shorter than min_payload")                                            \
	X(DROP_LONG, "drop_long", "UDP payload longer than max_payload")                                               \
	X(DROP_NOT_SIP, "drop_not_sip", "payload does not start with a method token and SP, or SIP/2.0 SP")            \
	X(DROP_FRAGMENT, "drop_fragment", "IP fragment of a SIP datagram while fragments are not allowed")            \
	X(DROP_MALFORMED, "drop_malformed", "IP or UDP lengths disagree with the frame")

#define SW_XDP_COUNTER_ENUM(id, name, help) SW_XDP_C_##id,
enum sw_xdp_counter { SW_XDP_COUNTERS(SW_XDP_COUNTER_ENUM) SW_XDP_C_MAX };
#undef SW_XDP_COUNTER_ENUM

#ifndef __bpf__
/* Counter names and meanings indexed by enum sw_xdp_counter. */
#define SW_XDP_COUNTER_NAME(id, name, help) [SW_XDP_C_##id] = name,
#define SW_XDP_COUNTER_HELP(id, name, help) [SW_XDP_C_##id] = help,
static const char *const sw_xdp_counter_names[SW_XDP_C_MAX] = { SW_XDP_COUNTERS(SW_XDP_COUNTER_NAME) };
static const char *const sw_xdp_counter_help[SW_XDP_C_MAX] = { SW_XDP_COUNTERS(SW_XDP_COUNTER_HELP) };
#undef SW_XDP_COUNTER_NAME
#undef SW_XDP_COUNTER_HELP
#endif

/* struct sw_xdp_cfg.flags */
#define SW_XDP_F_ALLOW_FRAGMENTS (1u << 0) /* fragments of SIP datagrams go on; without it they are dropped */

#define SW_XDP_PORT_WORDS (65536 / 64)

/*
 * The configuration: sw_cfg[0]. Written by sipwallctl (policy prefilter section) or the dataplane, read by the
 * program on every packet. A writer fills the whole value and updates it with one bpf_map_update_elem(); the
 * program may see the old or the new value for a packet in flight, never a mix within one field.
 * generation == 0 means never written: the program then uses its built-in defaults (SW_XDP_DEFAULT_*), so a program
 * loaded by DPDK with nobody configuring it still filters port 5060 sensibly.
 */
struct sw_xdp_cfg {
	__u32 generation;   /* bumped by every writer; 0 = unconfigured */
	__u32 flags;        /* SW_XDP_F_* */
	__u32 min_payload;  /* bytes of UDP payload; shorter is dropped (CRLF keepalives excepted) */
	__u32 max_payload;  /* bytes of UDP payload (the whole datagram's, from the UDP header); longer is dropped */
	__u32 rate_pps;     /* packets per second per source prefix; 0 = no rate limit */
	__u32 rate_burst;   /* bucket depth in packets; 0 = rate_pps */
	__u8 rate_v4_prefix; /* source prefix length a bucket covers: 0..32 */
	__u8 rate_v6_prefix; /* 0..128 */
	__u16 nports;       /* ports set in sip_ports (informational, for the CLI) */
	/* Derived by sw_xdp_cfg_write() from the fields above, so that the program divides and shifts nothing per
	 * packet; rate_interval_ns 0 makes the program derive all three itself. */
	__u32 rate_v4_mask;     /* network order: the first rate_v4_prefix bits set */
	__u64 rate_interval_ns; /* 1e9 / rate_pps: what one packet costs */
	__u64 rate_tau_ns;      /* (burst - 1) * interval: how far ahead of now a bucket may run */
	__u64 sip_ports[SW_XDP_PORT_WORDS]; /* bitmap by host-order UDP destination port: bit (p & 63) of word p >> 6 */
};
_Static_assert(sizeof(struct sw_xdp_cfg) == 48 + 8 * SW_XDP_PORT_WORDS, "sw_xdp_cfg layout is ABI");
_Static_assert(__builtin_offsetof(struct sw_xdp_cfg, sip_ports) == 48, "sw_xdp_cfg layout is ABI");

#define SW_XDP_DEFAULT_PORT 5060
#define SW_XDP_DEFAULT_MIN_PAYLOAD 4
#define SW_XDP_DEFAULT_MAX_PAYLOAD 65507
#define SW_XDP_DEFAULT_V4_PREFIX 32
#define SW_XDP_DEFAULT_V6_PREFIX 128

/* Blocklist keys: the kernel's LPM trie key layout (struct bpf_lpm_trie_key): host-order length, network-order bytes. */
struct sw_block_key4 {
	__u32 prefixlen; /* 0..32 */
	__u8 addr[4];
};
_Static_assert(sizeof(struct sw_block_key4) == 8, "sw_block_key4 layout is ABI");

struct sw_block_key6 {
	__u32 prefixlen; /* 0..128 */
	__u8 addr[16];
};
_Static_assert(sizeof(struct sw_block_key6) == 20, "sw_block_key6 layout is ABI");

#define SW_BLOCK_REASON_LEN 32

/*
 * A blocklist entry. An entry with expires_ns != 0 and expires_ns <= now is treated as absent by the program (and the
 * longest match behind it is tried instead); `sipwallctl xdp block gc` deletes such entries.
 */
struct sw_block_val {
	__u64 created_ns; /* CLOCK_BOOTTIME when added */
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = never */
	__u64 hits;       /* packets dropped by this entry; the program adds atomically */
	__u8 prefixlen;   /* copy of the key's prefix length: lets the program look past an expired entry */
	__u8 reserved[7];
	char reason[SW_BLOCK_REASON_LEN]; /* NUL-terminated text */
};
_Static_assert(sizeof(struct sw_block_val) == 64, "sw_block_val layout is ABI");

/*
 * Fragmented SIP datagrams in flight, sw_frag: what happened to each first fragment, which its later fragments (no
 * UDP header, no port) share. A direct-mapped table, ARRAY[SW_XDP_FRAG_SLOTS] of __u64, indexed by a hash of the
 * datagram's identity (family, source, destination, identification: RFC 791, RFC 8200) that the program computes;
 * each word holds a 48-bit tag from the same hash (never 0), the counter and the action (SW_FRAG_WORD). 0 = empty.
 * Why not a hash map keyed by the identity: its lookup is a call into the kernel, some 25 ns on the development VM
 * (bench_xdp's reference rows); an array's lookup is inlined by the verifier. A datagram whose slot another one
 * takes is forgotten, as an LRU forgets under load: its later fragments then pass as unknown. One word, so a
 * packet on another CPU reads an entry whole.
 */
#define SW_FRAG_SLOT_BITS 14
#define SW_XDP_FRAG_SLOTS (1u << SW_FRAG_SLOT_BITS)
#define SW_FRAG_TAG_MASK 0xffffffffffffULL
#define SW_FRAG_WORD(tag, action, counter) ((__u64)(tag) << 16 | (__u64)(counter) << 8 | (__u64)(action))
#define SW_FRAG_W_TAG(w) ((w) >> 16)
#define SW_FRAG_W_COUNTER(w) (((w) >> 8) & 0xff)
#define SW_FRAG_W_ACTION(w) ((w) & 0xff) /* XDP_DROP, or XDP_REDIRECT for "send on like SIP" */

/*
 * The blocklist's presence filter, sw_blkf: a counting filter in front of the LPM tries, so that the common case -- a
 * source in no blocked prefix -- is decided without a trie lookup. A trie lookup is a call into the kernel (about
 * 11 ns on the development VM, whose SRSO "safe RET" mitigation makes every return costly); the filter is read with
 * array lookups, which the verifier inlines, and arithmetic.
 *
 * For each entry (family, length, prefix), one 8-bit counter in a table of SW_BLKF_SLOTS, chosen by
 * sw_blkf_slot4/6(); for each family, the list of prefix lengths in use. A packet probes, for each listed length,
 * the slot of its source masked to that length: all zero means "in no blocked prefix" (no false negatives); any
 * non-zero means "maybe", and the trie decides (longest match, expiry, hits: the trie stays the truth).
 *
 * Long prefixes are filed under a shorter length: IPv4 /24../32 under /24, IPv6 /64../128 under /64 (an entry's
 * slot is that of its prefix cut to SW_BLKF_GROUP4/6 bits). The usual blocklist -- host addresses, /24s, /64s,
 * a few wider prefixes -- then takes one probe per family plus one per wider length in use, at the price of a
 * trie lookup for sources that share a /24 (or /64) with a blocked host.
 *
 * It is the program's only global variable, so its .bss map (one element, mmapable, pinned as SW_XDP_MAP_BLKF):
 * the program reads it with direct loads, not even an inlined map lookup. Layout of struct sw_blkf, in words:
 *   word 0 (STATE)        0 never built, SW_BLKF_READY once built (read by libswxdp only)
 *   word 5                libswxdp's writers' lock
 *   word 6 (SEED)         the rate limiter's hash seed (sw_rate_tag6, sw_rate_set_of), written once by libswxdp
 *   word 8 (N4)           0: not built, the program asks the trie; else 1 + the number of IPv4 lengths in use;
 *                         more than SW_BLKF_PROBES lengths also send every source to the trie
 *   words 9..16 (LIST4)   one per IPv4 length in use: sw_blkf_tmpl4(len), what the hash of a probe starts from
 *   word 24 (N6)          the same for IPv6
 *   words 25..32 (LIST6)  one per IPv6 length in use: sw_blkf_tmpl6(len)
 *   bytes 512..1159       __u32 entries per length, IPv4 /0../32 then IPv6 /0../128 (libswxdp's bookkeeping)
 *   words 152..154 (CLOCK)  the program's clock cache (struct sw_clock, bpf/sw_xdp_maps.bpf.h), written by the
 *                         program only, on a cache line of its own (words 152..159)
 *   word 160 (NX4)        the exact index's lists (below): 0 or 1 + the number of exact IPv4 lengths in use
 *   words 161..168 (LISTX4)  one per exact IPv4 length in use, longest first: sw_blkf_tmpl4(len)
 *   word 170 (NX6)        the same for IPv6
 *   words 171..178 (LISTX6)  one per exact IPv6 length in use, longest first: the length
 *   bytes 1600..2247      __u32 entries per exact length, as at byte 512 (libswxdp's bookkeeping)
 *   words SW_BLKF_HDR_WORDS..  __u8 entries per slot, saturating at 255 (a saturated slot stays set for good)
 *   then bkt[]            the exact index: SW_BLKX_BUCKETS buckets of SW_BLKX_WAYS entries (struct sw_blkx_bucket)
 * Only libswxdp writes it (bpf/sw_xdp_lib.c: every blocklist writer, serialised, counting an entry in before it
 * enters a trie and out after it left); an entry written into a trie behind its back may be missed by the program.
 * Lists change one word at a time, so the program reads a list that is whole, old or new.
 *
 * The exact index: where the filter says "maybe", the program looks the source up here, not in the trie. Each
 * entry of the tries has a copy here, keyed by (family, exact length, prefix), holding its expiry and its hits, in
 * the bucket sw_blkx_bucket_of() picks. For each exact length in use (longest first) the program masks the source,
 * compares the bucket's SW_BLKX_WAYS keys, and the first entry in force decides: longest match, an expired entry
 * looked past, as the trie would; no match at any length: not blocked. The lists stay sorted while they change:
 * a length is shifted in or out one word at a time behind a count that covers every word in use, so a reader sees
 * each length in use, in order, perhaps one of them twice. The index stands aside (the program asks the
 * trie) for a family with more than SW_BLKF_PROBES exact lengths in use, or not built (NX 0), and for a bucket
 * that once had no free way (overflow; until the next rebuild). Why by hand: an LPM trie lookup is a call into the
 * kernel (13 ns on the development VM, against 21 ns for a whole empty XDP program); this is loads and compares.
 * A way is filled key first, then meta, then its bit in used; emptied in the reverse order. So a reader, which reads
 * used first (an empty bucket is one load), sees a way whole or empty, except when a way is emptied and refilled
 * while one packet reads it (a verdict on the old or new entry, or a miss).
 */
#define SW_BLKF_SLOT_BITS 20
#define SW_BLKF_SLOTS (1u << SW_BLKF_SLOT_BITS)
#define SW_BLKF_HDR_WORDS 512
#define SW_BLKF_W_STATE 0
#define SW_BLKF_W_SEED 6 /* random, written by libswxdp at attach/adopt: keys the rate limiter's hash */
#define SW_BLKF_W_N4 8
#define SW_BLKF_W_LIST4 9
#define SW_BLKF_W_N6 24
#define SW_BLKF_W_LIST6 25
#define SW_BLKF_LENCNT_OFF 512 /* bytes */
#define SW_BLKF_W_CLOCK 152    /* 3 words: the program's clock cache; 152..159 are one cache line */
#define SW_BLKF_PROBES 8       /* lengths probed per packet at most; more lengths in use: straight to the trie */
#define SW_BLKF_READY 0x5357424c4b460004ULL /* "SWBLKF" + layout version 4 */
#define SW_BLKF_GROUP4 24
#define SW_BLKF_GROUP6 64
_Static_assert(SW_BLKF_W_LIST4 + SW_BLKF_PROBES <= SW_BLKF_W_N6, "sw_blkf header layout");
_Static_assert(SW_BLKF_W_LIST6 + SW_BLKF_PROBES <= SW_BLKF_LENCNT_OFF / 8, "sw_blkf header layout");
_Static_assert(SW_BLKF_LENCNT_OFF + (33 + 129) * 4 <= SW_BLKF_HDR_WORDS * 8, "sw_blkf header layout");

#define SW_BLKX_W_N4 160
#define SW_BLKX_W_LIST4 161
#define SW_BLKX_W_N6 170
#define SW_BLKX_W_LIST6 171
#define SW_BLKX_LENCNT_OFF 1600 /* bytes */
#define SW_BLKX_BUCKET_BITS 14
#define SW_BLKX_BUCKETS (1u << SW_BLKX_BUCKET_BITS)
#define SW_BLKX_WAYS 4
_Static_assert(SW_BLKF_LENCNT_OFF + (33 + 129) * 4 <= SW_BLKX_W_N4 * 8, "sw_blkf header layout");
_Static_assert(SW_BLKF_LENCNT_OFF + (33 + 129) * 4 <= SW_BLKF_W_CLOCK * 8 && SW_BLKF_W_CLOCK % 8 == 0 &&
		       SW_BLKF_W_CLOCK + 8 <= SW_BLKX_W_N4, "sw_blkf header layout: the clock's cache line");
_Static_assert(SW_BLKX_W_LIST4 + SW_BLKF_PROBES <= SW_BLKX_W_N6, "sw_blkf header layout");
_Static_assert(SW_BLKX_W_LIST6 + SW_BLKF_PROBES <= SW_BLKX_LENCNT_OFF / 8, "sw_blkf header layout");
_Static_assert(SW_BLKX_LENCNT_OFF + (33 + 129) * 4 <= SW_BLKF_HDR_WORDS * 8, "sw_blkf header layout");

/*
 * One bucket of the exact index. meta[w] is 0 for an empty way, else sw_blkx_meta(family, len); the key is k0 (IPv4:
 * sw_blkf_tmpl4-masked address with its length, as the filter's probe builds it; IPv6: bytes 0..7 masked) and k1
 * (IPv6: bytes 8..15 masked; IPv4: 0). expires_ns as in struct sw_block_val; hits counted by the program here.
 */
struct sw_blkx_bucket {
	__u64 k0[SW_BLKX_WAYS];
	__u64 k1[SW_BLKX_WAYS];
	__u64 expires_ns[SW_BLKX_WAYS];
	__u64 hits[SW_BLKX_WAYS];
	__u32 meta[SW_BLKX_WAYS];
	__u64 used;     /* bit w: way w holds an entry; SW_BLKX_OVERFLOW: an entry of this bucket is in the trie only */
	__u64 reserved;
};
#define SW_BLKX_OVERFLOW (1ULL << 63)
_Static_assert(sizeof(struct sw_blkx_bucket) == 160, "sw_blkx_bucket layout is ABI");

struct sw_blkf {
	__u64 hdr[SW_BLKF_HDR_WORDS];
	__u8 slots[SW_BLKF_SLOTS];
	struct sw_blkx_bucket bkt[SW_BLKX_BUCKETS];
};
_Static_assert(sizeof(struct sw_blkf) == SW_BLKF_HDR_WORDS * 8 + SW_BLKF_SLOTS + 160 * SW_BLKX_BUCKETS,
	       "sw_blkf layout is ABI");
_Static_assert(sizeof(struct sw_blkf) <= 4u << 20, "an array map's value is at most KMALLOC_MAX_SIZE (4 MiB)");

/* Byte order helpers usable on both sides (the BPF side has no libc). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define sw_be32(x) __builtin_bswap32(x)
#define sw_be64(x) __builtin_bswap64(x)
#else
#define sw_be32(x) (x)
#define sw_be64(x) (x)
#endif

/*
 * Network-order masks of the first n bits, as a 32-bit (0 <= n <= 32) or 64-bit (0 <= n <= 64) load of the address
 * bytes would hold them. Two shifts of at most half the width each: a shift by the full width is undefined in C
 * (and masked to 0 in BPF), and a branch on n would multiply the verifier's paths.
 */
static inline __u32 sw_blkf_mask32(__u32 n)
{
	return sw_be32(~((0xffffffffu >> (n >> 1)) >> ((n + 1) >> 1)));
}

static inline __u64 sw_blkf_mask64(__u32 n)
{
	return sw_be64(~((~0ULL >> (n >> 1)) >> ((n + 1) >> 1)));
}

/* The length a prefix of length len is filed under in the filter (user space only; the program probes the lists). */
static inline __u32 sw_blkf_filed_len(__u8 family, __u32 len)
{
	__u32 group = family == 4 ? SW_BLKF_GROUP4 : SW_BLKF_GROUP6;

	return len > group ? group : len;
}

/* LIST4's word for length len: the network-order mask in the low 32 bits, what identifies the length above. */
static inline __u64 sw_blkf_tmpl4(__u32 len)
{
	return (__u64)sw_blkf_mask32(len) | (__u64)len << 32 | 4ULL << 40;
}

/*
 * The filter slot of the IPv4 address a (a 32-bit load of its network-order bytes: the same on both sides of one
 * host) under the length whose LIST4 word is tmpl: one AND applies the mask and adds the length, then multiplicative
 * (Fibonacci) hashing, a multiply and a shift.
 */
static inline __u32 sw_blkf_slot4t(__u32 a, __u64 tmpl)
{
	return (__u32)((((__u64)a | 0xffffffff00000000ULL) & tmpl) * 0x9e3779b97f4a7c15ULL >> (64 - SW_BLKF_SLOT_BITS));
}

static inline __u32 sw_blkf_slot4(__u32 a, __u32 len)
{
	return sw_blkf_slot4t(a, sw_blkf_tmpl4(len));
}

/*
 * LIST6's word for length len: its mask over the address's first 64 bits. Every IPv6 length is filed under at most
 * SW_BLKF_GROUP6 = 64, so the second half never counts, and the mask alone tells the lengths apart.
 */
_Static_assert(SW_BLKF_GROUP6 <= 64, "IPv6 filter slots hash the first 64 bits only");
static inline __u64 sw_blkf_tmpl6(__u32 len)
{
	return sw_blkf_mask64(len);
}

/* The filter slot of the IPv6 address whose bytes 0..7, as a 64-bit load, are hi, under tmpl (a mask). */
static inline __u32 sw_blkf_slot6t(__u64 hi, __u64 tmpl)
{
	__u64 h = ((hi & tmpl) ^ tmpl) * 0x9e3779b97f4a7c15ULL;

	h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
	return (__u32)(h >> (64 - SW_BLKF_SLOT_BITS));
}

/* len: a filed length, 0..SW_BLKF_GROUP6. */
static inline __u32 sw_blkf_slot6(__u64 hi, __u32 len)
{
	return sw_blkf_slot6t(hi, sw_blkf_tmpl6(len));
}

/* An exact-index entry's meta word: never 0. */
static inline __u32 sw_blkx_meta(__u32 family, __u32 len)
{
	return family << 8 | len;
}

/*
 * The bucket of an exact-index key: one multiply (Fibonacci hashing) of the words folded together, k1 rotated so
 * that it does not cancel k0, meta in the top bits (the two halves of an address end up in the low bits of each word).
 */
static inline __u32 sw_blkx_bucket_of(__u64 k0, __u64 k1, __u32 meta)
{
	__u64 x = k0 ^ (k1 << 32 | k1 >> 32) ^ (__u64)meta << 48;

	return (__u32)((x * 0x9e3779b97f4a7c15ULL) >> (64 - SW_BLKX_BUCKET_BITS));
}

/* The exact index's key of an IPv6 prefix of length len (0..128): hi and lo are 64-bit loads of bytes 0..7, 8..15. */
static inline __u64 sw_blkx_k0_6(__u64 hi, __u32 len)
{
	return hi & sw_blkf_mask64(len > 64 ? 64 : len);
}

static inline __u64 sw_blkx_k1_6(__u64 lo, __u32 len)
{
	return lo & sw_blkf_mask64(len > 64 ? len - 64 : 0);
}

/* murmur3's 64-bit finaliser: every input bit reaches every output bit. */
static inline __u64 sw_mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/*
 * The rate limiter's token buckets, sw_rate: ARRAY[SW_RATE_SETS] of struct sw_rate_set, two-way set associative.
 * A source prefix (the source masked to rate_v4_prefix / rate_v6_prefix bits) has a 64-bit tag (IPv4: the prefix
 * itself; IPv6: a hash under the seed, SW_BLKF_W_SEED); the tag hashed with the seed picks the set
 * (sw_rate_set_of()), and the bucket is the way holding the tag. A prefix not in its set takes the way used less
 * recently (the set remembers its most recently used way: LRU within the set) and starts with a full bucket: a
 * flood of new sources cannot fill the table, and a source that keeps sending keeps its bucket unless two others of
 * its set come between its packets. The seed keeps senders from choosing prefixes that share a set.
 * Why not a hash map keyed by the prefix: its lookup is a call into the kernel, some 25 ns on the development VM
 * (bench_xdp's reference rows); an array's lookup is inlined by the verifier.
 *
 * Each bucket is a token bucket in its one-word form (GCRA, the "virtual scheduling" token bucket): tat_ns is the
 * time at which the bucket would be full again. A packet conforms when tat_ns - now <= (burst - 1) * interval and
 * then pushes tat_ns by one interval (1e9 / rate_pps ns): one atomic add. Clock: CLOCK_MONOTONIC (only differences
 * matter), from the program's per-CPU cache of bpf_ktime_get_ns().
 */
#define SW_RATE_SET_BITS 15
#define SW_RATE_SETS (1u << SW_RATE_SET_BITS)
#define SW_RATE_WAYS 2

struct sw_rate_way {
	__u64 tag;    /* sw_rate_tag4/6() of the prefix; 0 = empty */
	__u64 tat_ns; /* GCRA theoretical arrival time */
};

struct sw_rate_set {
	struct sw_rate_way way[SW_RATE_WAYS];
	__u64 mru;      /* the way used last: the other one is taken by a new prefix */
	__u64 reserved;
};
_Static_assert(sizeof(struct sw_rate_set) == 48, "sw_rate_set layout is ABI");

/*
 * The tag of an IPv4 prefix: the prefix itself (a, the masked address as a 32-bit load of its network-order bytes,
 * its length and the family), so a way matches its prefix exactly. Never 0.
 */
static inline __u64 sw_rate_tag4(__u32 a, __u32 plen)
{
	return (__u64)a | (__u64)plen << 32 | 4ULL << 40;
}

/*
 * The tag of an IPv6 prefix: hi and lo are 64-bit loads of the masked address's bytes 0..7 and 8..15, mixed under
 * the seed into 64 bits (two prefixes share a tag with odds of 2^-64). Never 0.
 */
static inline __u64 sw_rate_tag6(__u64 hi, __u64 lo, __u32 plen, __u64 seed)
{
	return sw_mix64(sw_mix64(hi ^ seed) ^ lo ^ ((__u64)plen << 8 | 6)) | 1;
}

/*
 * The set of a tag: multiply-shift hashing (Dietzfelbinger et al.) with the seed, made odd, as the multiplier: one
 * multiply, and which prefixes share a set depends on the seed, which senders do not know.
 */
static inline __u32 sw_rate_set_of(__u64 tag, __u64 seed)
{
	return (__u32)((tag * (seed | 1)) >> (64 - SW_RATE_SET_BITS));
}

#endif

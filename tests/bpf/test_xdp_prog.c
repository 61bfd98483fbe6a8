// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP prefilter run on crafted packets with BPF_PROG_TEST_RUN (no NIC): a fixture table with the expected XDP
 * action and the one counter each packet must bump, then loops over truncations, byte flips and every byte value
 * in a method token. Packets come from pktgen.h (provenance there). Needs root to load BPF: exits 77 (skip) when it
 * cannot load the program for lack of privilege, and fails when the verifier rejects it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktgen.h"
#include "sw_xdp_lib.h" /* first: the skeleton needs struct sw_blkf (xdp_abi.h) */
#include "sw_xdp.skel.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define SIP_INVITE "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\n\r\n"
#define SIP_200 "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\n\r\n"
#define STR(s) .payload = (s), .plen = sizeof(s) - 1

static struct sw_xdp *skel;
static struct sw_xdp_maps maps;
static int prog_fd, ncpus;

/* --- map helpers ------------------------------------------------------------------------------------------- */

static void clear_map(int fd, size_t key_size)
{
	uint8_t key[64], next[64];

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	}
}

/* sw_frag and sw_rate are arrays: every element back to 0 (empty), in one batch. */
static void array_zero(int fd, uint32_t entries, size_t value_size)
{
	uint32_t *keys = calloc(entries, sizeof(*keys)), n = entries;
	void *zeros = calloc(entries, value_size);

	assert_non_null(keys);
	assert_non_null(zeros);
	for (uint32_t i = 0; i < n; i++)
		keys[i] = i;
	assert_int_equal(bpf_map_update_batch(fd, keys, zeros, &n, NULL), 0);
	assert_int_equal(n, entries);
	free(keys);
	free(zeros);
}

static void counters_zero(void)
{
	uint64_t *zero = calloc(ncpus, sizeof(*zero));

	assert_non_null(zero);
	for (uint32_t k = 0; k < SW_XDP_C_MAX; k++)
		assert_int_equal(bpf_map_update_elem(maps.stats, &k, zero, BPF_ANY), 0);
	free(zero);
}

static void cfg_set(void (*edit)(struct sw_xdp_cfg *))
{
	struct sw_xdp_cfg cfg;

	sw_xdp_cfg_defaults(&cfg);
	if (edit)
		edit(&cfg);
	assert_int_equal(sw_xdp_cfg_write(maps.cfg, &cfg), 0);
}

/* Fresh state before every case: default configuration, no counters, empty tables, no socket. */
static void reset(void)
{
	uint32_t zero = 0;

	cfg_set(NULL);
	counters_zero();
	clear_map(maps.block4, sizeof(struct sw_block_key4));
	clear_map(maps.block6, sizeof(struct sw_block_key6));
	assert_int_equal(sw_block_filter_build(&maps, true), 0); /* the tries were emptied behind its back */
	array_zero(maps.rate, SW_RATE_SETS, sizeof(struct sw_rate_set));
	array_zero(maps.frag, SW_XDP_FRAG_SLOTS, sizeof(uint64_t));
	bpf_map_delete_elem(bpf_map__fd(skel->maps.xsks_map), &zero);
}

static void block(const char *prefix, int64_t expires_in_s, const char *reason)
{
	struct sw_prefix p;

	assert_int_equal(sw_prefix_parse(prefix, &p), 0);
	if (expires_in_s >= 0) {
		assert_int_equal(sw_block_add(&maps, &p, (uint64_t)expires_in_s, reason), 0);
		return;
	}
	/* Already expired: write the entry by hand with expires_ns in the past. */
	struct sw_block_val v = { .prefixlen = p.len };
	struct sw_block_key6 k6 = { .prefixlen = p.len };
	struct sw_block_key4 k4 = { .prefixlen = p.len };

	v.created_ns = sw_xdp_now_ns() - 10000000000ULL;
	v.expires_ns = sw_xdp_now_ns() + (uint64_t)(expires_in_s * 1000000000LL);
	snprintf(v.reason, sizeof(v.reason), "%s", reason);
	memcpy(k4.addr, p.addr, 4);
	memcpy(k6.addr, p.addr, 16);
	if (p.family == 4)
		assert_int_equal(bpf_map_update_elem(maps.block4, &k4, &v, BPF_ANY), 0);
	else
		assert_int_equal(bpf_map_update_elem(maps.block6, &k6, &v, BPF_ANY), 0);
}

static void counters(uint64_t out[SW_XDP_C_MAX])
{
	assert_int_equal(sw_xdp_counters_read(maps.stats, out), 0);
}

/* Run the program once on a frame; returns the XDP action. */
static uint32_t run(const void *frame, size_t len)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return o.retval;
}

/* Run a frame and check the action and that exactly one counter, the expected one, moved by one. */
static void expect(const void *frame, size_t len, uint32_t action, enum sw_xdp_counter counter, const char *what)
{
	uint64_t before[SW_XDP_C_MAX], after[SW_XDP_C_MAX];
	uint32_t got;

	counters(before);
	got = run(frame, len);
	counters(after);
	if (got != action)
		fail_msg("%s (%zu bytes): action %u, expected %u", what, len, got, action);
	for (int k = 0; k < SW_XDP_C_MAX; k++) {
		uint64_t want = before[k] + (k == (int)counter);

		if (after[k] != want)
			fail_msg("%s (%zu bytes): counter %s moved by %lld, expected %d", what, len,
				 sw_xdp_counter_names[k], (long long)(after[k] - before[k]), k == (int)counter);
	}
}

/* --- the fixture table --------------------------------------------------------------------------------------- */

static void cfg_max100(struct sw_xdp_cfg *c) { c->max_payload = 100; }
static void cfg_no_frags(struct sw_xdp_cfg *c) { c->flags &= ~SW_XDP_F_ALLOW_FRAGMENTS; }
static void cfg_port_5080(struct sw_xdp_cfg *c)
{
	sw_xdp_cfg_port_set(c, 5060, false);
	sw_xdp_cfg_port_set(c, 5080, true);
}

static void setup_block_v4(void) { block("192.0.2.1", 0, "scanner"); }
static void setup_block_v4_net(void) { block("192.0.2.0/24", 0, "bad net"); }
static void setup_block_v4_ttl(void) { block("192.0.2.1", 3600, "ttl"); }
static void setup_block_v4_expired(void) { block("192.0.2.1", -5, "expired"); }
static void setup_block_v4_expired_over_net(void)
{
	block("192.0.2.0/24", 0, "net");
	block("192.0.2.1", -5, "expired host");
}
static void setup_block_v4_other(void) { block("198.51.100.0/24", 0, "other"); }
static void setup_block_v6(void) { block("2001:db8::1", 0, "v6 host"); }
static void setup_block_v6_net(void) { block("2001:db8::/64", 0, "v6 net"); }
static void setup_block_v6_expired(void) { block("2001:db8::/64", -1, "v6 expired"); }
static void setup_port_5080(void) { cfg_set(cfg_port_5080); }
static void setup_no_frags(void) { cfg_set(cfg_no_frags); }
static void setup_max100(void) { cfg_set(cfg_max100); }

static const char bin_payload[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS ClientHello, not SIP";
static const char long_payload[] = "OPTIONS sip:x SIP/2.0\r\n"
				   "X: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
static const char method32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef sip:x SIP/2.0\r\n\r\n";   /* 32-char method */
static const char method33[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg sip:x SIP/2.0\r\n\r\n";  /* 33: too long */

struct fixture {
	const char *name;
	const char *why;             /* provenance: what the packet is and which rule it exercises */
	struct pkt_spec spec;
	void (*setup)(void);
	uint32_t action;
	enum sw_xdp_counter counter;
};

static const struct fixture fixtures[] = {
	/* Sent on: no AF_XDP socket is bound in test_run, so bpf_redirect_map() falls back to XDP_PASS. */
	{ "v4_invite", "RFC 3261 request line over IPv4", { .family = 4, STR(SIP_INVITE) }, NULL, XDP_PASS,
	  SW_XDP_C_PASS_NO_SOCKET },
	{ "v4_response", "RFC 3261 status line", { .family = 4, STR(SIP_200) }, NULL, XDP_PASS,
	  SW_XDP_C_PASS_NO_SOCKET },
	{ "v4_options_hdr", "IPv4 with 8 bytes of NOP options (IHL 7)", { .family = 4, .ip_opt_words = 2,
	  STR(SIP_INVITE) }, NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "vlan", "802.1Q tag", { .family = 4, .nvlan = 1, STR(SIP_INVITE) }, NULL, XDP_PASS,
	  SW_XDP_C_PASS_NO_SOCKET },
	{ "qinq", "802.1ad outer + 802.1Q inner", { .family = 4, .nvlan = 2, .outer_tpid = ETH_P_8021AD,
	  STR(SIP_INVITE) }, NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "qinq_8100", "two 802.1Q tags (old-style QinQ)", { .family = 6, .nvlan = 2, STR(SIP_INVITE) }, NULL,
	  XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "v6_invite", "IPv6", { .family = 6, STR(SIP_INVITE) }, NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "v6_ext", "IPv6 with two destination-options headers", { .family = 6, .v6_dstopts = 2, STR(SIP_INVITE) },
	  NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "v6_vlan_ext", "802.1Q + IPv6 + destination options", { .family = 6, .nvlan = 1, .v6_dstopts = 1,
	  STR(SIP_200) }, NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "method32", "a 32-character extension method token", { .family = 4, STR(method32) }, NULL, XDP_PASS,
	  SW_XDP_C_PASS_NO_SOCKET },
	{ "other_port", "SIP port set to 5080 only", { .family = 4, .dport = 5080, STR(SIP_INVITE) }, setup_port_5080,
	  XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "keepalive_ping", "RFC 5626 3.5.1 double-CRLF ping", { .family = 4, STR("\r\n\r\n") }, NULL, XDP_PASS,
	  SW_XDP_C_KEEPALIVE },
	{ "keepalive_pong", "RFC 5626 3.5.1 single-CRLF pong", { .family = 6, STR("\r\n") }, NULL, XDP_PASS,
	  SW_XDP_C_KEEPALIVE },

	/* Not ours: passed untouched. */
	{ "arp", "ARP request", { .family = 0 }, NULL, XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "arp_vlan", "ARP in 802.1Q", { .family = 0, .nvlan = 1 }, NULL, XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "dns", "UDP to 53", { .family = 4, .dport = 53, STR("\x12\x34\x01\x00") }, NULL, XDP_PASS,
	  SW_XDP_C_PASS_OTHER },
	{ "tcp_5060", "TCP to 5060 (SIP over TCP is not the prefilter's)", { .family = 4, .proto = IPPROTO_TCP,
	  STR(SIP_INVITE) }, NULL, XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "old_port", "5060 after the SIP port moved to 5080", { .family = 4, STR(SIP_INVITE) }, setup_port_5080,
	  XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "three_tags", "three VLAN tags: deeper than parsed", { .family = 4, .nvlan = 3, STR(SIP_INVITE) }, NULL,
	  XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "v6_blocked_other_port", "blocked source to a non-SIP port", { .family = 6, .dport = 22, STR("SSH-2.0") },
	  setup_block_v6, XDP_PASS, SW_XDP_C_PASS_OTHER },

	/* Dropped, one reason each. */
	{ "block_v4", "source /32 in the blocklist", { .family = 4, STR(SIP_INVITE) }, setup_block_v4, XDP_DROP,
	  SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v4_net", "source inside a blocked /24", { .family = 4, STR(SIP_INVITE) }, setup_block_v4_net,
	  XDP_DROP, SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v4_ttl", "entry with an expiry an hour away", { .family = 4, .nvlan = 2, STR(SIP_200) },
	  setup_block_v4_ttl, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v4_expired", "expired entry: treated as absent", { .family = 4, STR(SIP_INVITE) },
	  setup_block_v4_expired, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "block_v4_expired_shadow", "expired /32 must not hide an active /24", { .family = 4, STR(SIP_INVITE) },
	  setup_block_v4_expired_over_net, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v4_miss", "blocklist holds another network", { .family = 4, STR(SIP_INVITE) }, setup_block_v4_other,
	  XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "block_v6", "IPv6 source /128 in the blocklist", { .family = 6, STR(SIP_INVITE) }, setup_block_v6, XDP_DROP,
	  SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v6_net", "IPv6 source inside a blocked /64", { .family = 6, .v6_dstopts = 1, STR(SIP_INVITE) },
	  setup_block_v6_net, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST },
	{ "block_v6_expired", "expired IPv6 entry", { .family = 6, STR(SIP_INVITE) }, setup_block_v6_expired,
	  XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "block_keepalive", "keepalive from a blocked source", { .family = 4, STR("\r\n\r\n") }, setup_block_v4,
	  XDP_DROP, SW_XDP_C_DROP_BLOCKLIST },
	{ "not_sip_from_blocked", "garbage from a blocked source: the map-free checks run first and count it",
	  { .family = 4, STR(bin_payload) }, setup_block_v4, XDP_DROP, SW_XDP_C_DROP_NOT_SIP },
	{ "short_2", "2 bytes, not CRLF", { .family = 4, STR("AB") }, NULL, XDP_DROP, SW_XDP_C_DROP_SHORT },
	{ "short_3", "3 bytes", { .family = 6, STR("\r\n\r") }, NULL, XDP_DROP, SW_XDP_C_DROP_SHORT },
	{ "empty", "UDP with no payload", { .family = 4, .payload = "", .plen = 0 }, NULL, XDP_DROP,
	  SW_XDP_C_DROP_SHORT },
	{ "long", "max_payload 100, payload longer", { .family = 4, STR(long_payload) }, setup_max100, XDP_DROP,
	  SW_XDP_C_DROP_LONG },
	{ "not_sip_binary", "TLS record to 5060", { .family = 4, STR(bin_payload) }, NULL, XDP_DROP,
	  SW_XDP_C_DROP_NOT_SIP },
	{ "not_sip_space", "leading SP: empty method", { .family = 4, STR(" INVITE sip:x SIP/2.0\r\n") }, NULL,
	  XDP_DROP, SW_XDP_C_DROP_NOT_SIP },
	{ "not_sip_nosp", "token then '/': SIP/2.0 without its SP", { .family = 6, STR("SIP/2.0\r\n200 OK\r\n") },
	  NULL, XDP_DROP, SW_XDP_C_DROP_NOT_SIP },
	{ "not_sip_method33", "33-character token: longer than any method", { .family = 4, STR(method33) }, NULL,
	  XDP_DROP, SW_XDP_C_DROP_NOT_SIP },
	{ "not_sip_token_only", "a token that fills the payload, no SP", { .family = 4, STR("REGISTER") }, NULL,
	  XDP_DROP, SW_XDP_C_DROP_NOT_SIP },
	{ "malformed_ip_len", "IPv4 total length 10 bytes past the frame", { .family = 4, .ip_len_delta = 10,
	  STR(SIP_INVITE) }, NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "malformed_ip_short", "IPv4 total length shorter than its header", { .family = 4,
	  .ip_len_delta = -(int)(sizeof(SIP_INVITE) + 8),
	  STR(SIP_INVITE) }, NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "malformed_udp_long", "UDP length past the IP payload", { .family = 4, .udp_len_delta = 4,
	  STR(SIP_INVITE) }, NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "malformed_udp_tiny", "UDP length 7 (< header)", { .family = 6, .udp_len_delta = -(int)sizeof(SIP_INVITE) },
	  NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "malformed_v6_len", "IPv6 payload length past the frame", { .family = 6, .ip_len_delta = 1,
	  STR(SIP_INVITE) }, NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "malformed_v6_zero", "IPv6 payload length 0 (jumbogram)", { .family = 6,
	  .ip_len_delta = -(int)(sizeof(SIP_INVITE) + 7), STR(SIP_INVITE) }, NULL, XDP_DROP, SW_XDP_C_DROP_MALFORMED },
	{ "frag_head_allowed", "first fragment, fragments allowed", { .family = 4, .frag = PKT_FRAG_HEAD,
	  .datagram_len = 3000, STR(SIP_INVITE) }, NULL, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET },
	{ "frag_tail_unknown", "a later fragment whose head was never seen: not ours", { .family = 4,
	  .frag = PKT_FRAG_TAIL, STR("tail bytes") }, NULL, XDP_PASS, SW_XDP_C_PASS_OTHER },
	{ "frag_head_v6_dropped", "IPv6 first fragment with fragments off", { .family = 6, .frag = PKT_FRAG_HEAD,
	  .datagram_len = 3000, STR(SIP_INVITE) }, setup_no_frags, XDP_DROP, SW_XDP_C_DROP_FRAGMENT },
	{ "frag_head_dropped", "IPv4 first fragment with fragments off", { .family = 4, .frag = PKT_FRAG_HEAD,
	  .datagram_len = 3000, STR(SIP_INVITE) }, setup_no_frags, XDP_DROP, SW_XDP_C_DROP_FRAGMENT },
};

static void test_fixture(void **state)
{
	const struct fixture *f = *state;
	uint8_t frame[2048];
	size_t len;

	reset();
	if (f->setup)
		f->setup();
	len = pkt_build(&f->spec, frame, sizeof(frame));
	assert_true(len > 0);
	expect(frame, len, f->action, f->counter, f->name);
}

/* --- behaviour over several packets ---------------------------------------------------------------------------- */

/* An entry as sw_block_foreach() lists it (hits: the trie's plus the exact index's), found by its text. */
struct listed {
	struct sw_prefix want;
	struct sw_block_val v;
	int found;
};

static int listed_one(const struct sw_prefix *p, const struct sw_block_val *v, void *arg)
{
	struct listed *l = arg;

	if (p->family == l->want.family && p->len == l->want.len && !memcmp(p->addr, l->want.addr, 16)) {
		l->v = *v;
		l->found++;
	}
	return 0;
}

static struct sw_block_val listed(const char *prefix)
{
	struct listed l = { 0 };

	assert_int_equal(sw_prefix_parse(prefix, &l.want), 0);
	assert_int_equal(sw_block_foreach(&maps, listed_one, &l), 0);
	assert_int_equal(l.found, 1);
	return l.v;
}

static void test_block_hits(void **state)
{
	struct pkt_spec s = { .family = 4, .src = "192.0.2.77", STR(SIP_INVITE) };
	struct sw_block_key4 k = { .prefixlen = 24, .addr = { 192, 0, 2, 0 } };
	struct sw_block_val v;
	uint8_t frame[512];
	size_t len = pkt_build(&s, frame, sizeof(frame));

	(void)state;
	reset();
	block("192.0.2.0/24", 0, "counted");
	for (int i = 0; i < 5; i++)
		expect(frame, len, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, "blocked /24");
	v = listed("192.0.2.0/24");
	assert_int_equal(v.hits, 5);
	assert_string_equal(v.reason, "counted");
	assert_int_equal(v.expires_ns, 0);
	/* The exact index counted them; a rebuild moves its counts into the trie entry, and counting goes on. */
	assert_int_equal(bpf_map_lookup_elem(maps.block4, &k, &v), 0);
	assert_int_equal(v.hits, 0);
	assert_int_equal(sw_block_filter_build(&maps, true), 0);
	assert_int_equal(bpf_map_lookup_elem(maps.block4, &k, &v), 0);
	assert_int_equal(v.hits, 5);
	expect(frame, len, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, "blocked /24 after a rebuild");
	assert_int_equal(listed("192.0.2.0/24").hits, 6);
	/* Replaced: its hits start again, as the trie's did. */
	block("192.0.2.0/24", 3600, "again");
	assert_int_equal(listed("192.0.2.0/24").hits, 0);
	expect(frame, len, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, "replaced /24");
	assert_int_equal(listed("192.0.2.0/24").hits, 1);
	/* Unblock: passes again. */
	struct sw_prefix p;

	assert_int_equal(sw_prefix_parse("192.0.2.0/24", &p), 0);
	assert_int_equal(sw_block_del(&maps, &p), 0);
	expect(frame, len, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "unblocked");
}

/* --- the blocklist's presence filter (xdp_abi.h) -------------------------------------------------------------- */

/* Send one SIP datagram from src; expect a drop as blocklisted or a pass (no socket). */
static void expect_src(const char *src, bool blocked, const char *what)
{
	struct pkt_spec s = { .family = strchr(src, ':') ? 6 : 4, .src = src, STR(SIP_INVITE) };
	uint8_t frame[512];
	size_t len = pkt_build(&s, frame, sizeof(frame));

	assert_true(len > 0);
	expect(frame, len, blocked ? XDP_DROP : XDP_PASS, blocked ? SW_XDP_C_DROP_BLOCKLIST : SW_XDP_C_PASS_NO_SOCKET,
	       what);
}

static void unblock(const char *prefix)
{
	struct sw_prefix p;

	assert_int_equal(sw_prefix_parse(prefix, &p), 0);
	assert_int_equal(sw_block_del(&maps, &p), 0);
}

/*
 * The filter as libswxdp maintained it through adds and deletes must equal one built afresh from the tries:
 * per-length counts, slot counters, and each family's list (as a set: deletes reorder it).
 */
static void filter_check_consistent(void)
{
	struct sw_blkf *live = &skel->bss->sw_blkf, *kept = malloc(sizeof(*kept));
	const size_t cnt_off = SW_BLKF_LENCNT_OFF;

	const size_t bkt_off = offsetof(struct sw_blkf, bkt);

	assert_non_null(kept);
	memcpy(kept, live, sizeof(*kept));
	assert_int_equal(sw_block_filter_build(&maps, true), 0);
	/* counts and slots; the exact lists, kept sorted (longest first) on both paths, word for word up to their count */
	assert_memory_equal((uint8_t *)kept + cnt_off, (uint8_t *)live + cnt_off, SW_BLKX_W_N4 * 8 - cnt_off);
	assert_memory_equal((uint8_t *)kept + SW_BLKX_LENCNT_OFF, (uint8_t *)live + SW_BLKX_LENCNT_OFF,
			    bkt_off - SW_BLKX_LENCNT_OFF);
	for (unsigned int wn = SW_BLKX_W_N4; wn <= SW_BLKX_W_N6; wn += SW_BLKX_W_N6 - SW_BLKX_W_N4) {
		assert_int_equal(kept->hdr[wn], live->hdr[wn]);
		for (uint64_t i = 0; i + 1 < live->hdr[wn] && i < SW_BLKF_PROBES; i++)
			assert_int_equal(kept->hdr[wn + 1 + i], live->hdr[wn + 1 + i]);
	}
	/* the exact index: the same entries in each bucket, perhaps in other ways (hits moved into the tries) */
	for (uint32_t b = 0; b < SW_BLKX_BUCKETS; b++) {
		const struct sw_blkx_bucket *x = &kept->bkt[b], *y = &live->bkt[b];
		int nx = 0, ny = 0;

		assert_int_equal(x->used & SW_BLKX_OVERFLOW, y->used & SW_BLKX_OVERFLOW);
		assert_int_equal(__builtin_popcountll(x->used & ~SW_BLKX_OVERFLOW),
				 __builtin_popcountll(y->used & ~SW_BLKX_OVERFLOW));
		for (int i = 0; i < SW_BLKX_WAYS; i++) {
			bool found = false;

			nx += x->meta[i] != 0;
			ny += y->meta[i] != 0;
			for (int j = 0; j < SW_BLKX_WAYS && x->meta[i]; j++)
				found |= x->meta[i] == y->meta[j] && x->k0[i] == y->k0[j] && x->k1[i] == y->k1[j] &&
					 x->expires_ns[i] == y->expires_ns[j];
			assert_true(!x->meta[i] || found);
		}
		assert_int_equal(nx, ny);
		assert_int_equal(nx, __builtin_popcountll(x->used & ~SW_BLKX_OVERFLOW));
	}
	for (unsigned int wn = SW_BLKF_W_N4; wn <= SW_BLKF_W_N6; wn += SW_BLKF_W_N6 - SW_BLKF_W_N4) {
		uint64_t n = live->hdr[wn] - 1;

		assert_int_equal(kept->hdr[wn], live->hdr[wn]);
		for (uint64_t i = 0; i < n && i < SW_BLKF_PROBES; i++) {
			bool found = false;

			for (uint64_t j = 0; j < n && j < SW_BLKF_PROBES; j++)
				found |= kept->hdr[wn + 1 + i] == live->hdr[wn + 1 + j];
			assert_true(found);
		}
	}
	free(kept);
}

/* /24 to /32 share one probe (filed under /24); wider lengths each get one; the filter stays exact through deletes. */
static void test_filter_lengths_v4(void **state)
{
	(void)state;
	reset();
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N4], 1); /* built, no IPv4 length in use */
	block("198.51.100.7", 0, "host");
	block("198.51.100.128/25", 0, "half");
	block("203.0.113.0/24", 0, "net");
	block("10.20.0.0/16", 0, "wide");
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N4], 1 + 2); /* /24 (for /24../32) and /16 */
	expect_src("198.51.100.7", true, "host");
	expect_src("198.51.100.200", true, "/25");
	expect_src("198.51.100.8", false, "same /24 as a blocked host: the trie says no");
	expect_src("203.0.113.99", true, "/24");
	expect_src("10.20.30.40", true, "/16");
	expect_src("10.21.0.1", false, "next /16");
	filter_check_consistent();
	unblock("10.20.0.0/16");
	expect_src("10.20.30.40", false, "/16 gone");
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N4], 1 + 1);
	unblock("198.51.100.7");
	expect_src("198.51.100.7", false, "host gone");
	expect_src("198.51.100.200", true, "/25 still there");
	filter_check_consistent();
}

/* Five hosts whose /32 entries share one bucket of the exact index (it has SW_BLKX_WAYS = 4 ways). */
static void hosts_in_one_bucket(char out[][32], int n)
{
	uint32_t want = UINT32_MAX;
	int k = 0;

	for (uint32_t i = 1; i && k < n; i++) {
		uint8_t b[4] = { 100, 96 + (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		uint32_t a;
		uint64_t k0;

		memcpy(&a, b, 4);
		k0 = ((uint64_t)a | 0xffffffff00000000ULL) & sw_blkf_tmpl4(32);
		if (want == UINT32_MAX)
			want = sw_blkx_bucket_of(k0, 0, sw_blkx_meta(4, 32));
		if (sw_blkx_bucket_of(k0, 0, sw_blkx_meta(4, 32)) == want)
			snprintf(out[k++], 32, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	}
	assert_int_equal(k, n);
}

/* A bucket with no free way: the entry that did not fit stays in the trie, which the program then asks. */
static void test_blkx_overflow(void **state)
{
	char host[SW_BLKX_WAYS + 2][32];

	(void)state;
	reset();
	hosts_in_one_bucket(host, SW_BLKX_WAYS + 2);
	for (int i = 0; i < SW_BLKX_WAYS; i++)
		block(host[i], 0, "fits");
	expect_src(host[0], true, "in the index");
	expect_src(host[SW_BLKX_WAYS + 1], false, "same bucket, not blocked: the index says no");
	block(host[SW_BLKX_WAYS], 0, "overflows");
	for (int i = 0; i <= SW_BLKX_WAYS; i++)
		expect_src(host[i], true, "blocked, bucket overflowed (the trie decides)");
	expect_src(host[SW_BLKX_WAYS + 1], false, "same bucket, not blocked: the trie says no");
	assert_int_equal(listed(host[SW_BLKX_WAYS]).hits, 1); /* counted in the trie */
	assert_int_equal(listed(host[0]).hits, 2);            /* in the index, then in the trie */
	filter_check_consistent();                           /* the rebuild overflows the same bucket again */
	unblock(host[SW_BLKX_WAYS]);
	expect_src(host[SW_BLKX_WAYS], false, "unblocked, bucket still marked");
	expect_src(host[1], true, "still blocked");
}

/* An expired entry in the exact index is looked past: the longest active entry behind it decides. */
static void test_blkx_expired_longest(void **state)
{
	(void)state;
	reset();
	block("198.51.100.0/24", 0, "net");
	block("198.51.100.7", 3600, "host");
	expect_src("198.51.100.7", true, "host");
	assert_int_equal(listed("198.51.100.7").hits, 1);
	assert_int_equal(listed("198.51.100.0/24").hits, 0);
	block("198.51.100.9", -5, "expired host");
	assert_int_equal(sw_block_filter_build(&maps, true), 0); /* it was written behind libswxdp's back */
	expect_src("198.51.100.9", true, "expired /32, active /24 behind it");
	assert_int_equal(listed("198.51.100.0/24").hits, 1);
	assert_int_equal(listed("198.51.100.9").hits, 0);
	unblock("198.51.100.0/24");
	expect_src("198.51.100.9", false, "expired /32 alone");
	expect_src("198.51.100.7", true, "host still");
}

/* More lengths in use than the program probes: every source goes to the trie, and back to the list below it. */
static void test_filter_many_lengths(void **state)
{
	char text[32];

	(void)state;
	reset();
	for (int len = 8; len < 8 + SW_BLKF_PROBES + 2; len++) { /* /8../17: ten lengths, none filed together */
		snprintf(text, sizeof(text), "%d.0.0.0/%d", 40 + len, len);
		block(text, 0, "wide");
	}
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N4], 1 + SW_BLKF_PROBES + 2);
	expect_src("57.0.1.2", true, "57.0.0.0/17 with ten lengths in use");
	expect_src("58.1.2.3", false, "not blocked, ten lengths in use");
	unblock("48.0.0.0/8");
	unblock("49.0.0.0/9");
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N4], 1 + SW_BLKF_PROBES); /* the list, rewritten */
	expect_src("57.0.1.2", true, "/17, eight lengths listed");
	expect_src("50.0.1.1", true, "/10, eight lengths listed");
	expect_src("48.1.2.3", false, "unblocked /8");
	filter_check_consistent();
}

static void test_filter_lengths_v6(void **state)
{
	(void)state;
	reset();
	block("2001:db8:1::1", 0, "host");
	block("2001:db8:2::/96", 0, "/96");
	block("2001:db8:3::/64", 0, "/64");
	block("2001:db8:4::/47", 0, "/47");
	block("2001:db8:5:6:7:8:9:a/127", 0, "/127");
	assert_int_equal(skel->bss->sw_blkf.hdr[SW_BLKF_W_N6], 1 + 2); /* /64 (for /64../128) and /47 */
	expect_src("2001:db8:1::1", true, "/128");
	expect_src("2001:db8:1::2", false, "next to /128");
	expect_src("2001:db8:2::ffff:1", true, "/96");
	expect_src("2001:db8:3::99", true, "/64");
	expect_src("2001:db8:5:1::1", true, "/47");
	expect_src("2001:db8:5:6:7:8:9:b", true, "/127");
	expect_src("2001:db8:6::1", false, "outside /47");
	filter_check_consistent();
	unblock("2001:db8:4::/47");
	expect_src("2001:db8:5:1::1", false, "/47 gone");
	filter_check_consistent();
}

/* A filter never built (a copy DPDK loaded, before adoption): the program asks the trie for every source. */
static void test_filter_not_built(void **state)
{
	(void)state;
	reset();
	block("192.0.2.1", 0, "host");
	block("2001:db8::1", 0, "host");
	skel->bss->sw_blkf.hdr[SW_BLKF_W_N4] = 0;
	skel->bss->sw_blkf.hdr[SW_BLKF_W_N6] = 0;
	memset(skel->bss->sw_blkf.slots, 0, sizeof(skel->bss->sw_blkf.slots));
	expect_src("192.0.2.1", true, "v4, filter not built");
	expect_src("2001:db8::1", true, "v6, filter not built");
	expect_src("192.0.2.2", false, "v4 not blocked, filter not built");
}

static void rate_1pps_burst3(struct sw_xdp_cfg *c)
{
	c->rate_pps = 1;
	c->rate_burst = 3;
	c->rate_v4_prefix = 24;
}

/* 1 packet/s with a burst of 3, per /24: three pass at once, then drops; another /24 has its own bucket. */
static void test_rate_limit(void **state)
{
	struct pkt_spec a = { .family = 4, .src = "203.0.113.1", STR(SIP_INVITE) };
	struct pkt_spec a2 = { .family = 4, .src = "203.0.113.200", STR(SIP_INVITE) };
	struct pkt_spec b = { .family = 4, .src = "198.51.100.1", STR(SIP_INVITE) };
	uint8_t fa[512], fa2[512], fb[512];
	size_t la = pkt_build(&a, fa, sizeof(fa)), la2 = pkt_build(&a2, fa2, sizeof(fa2));
	size_t lb = pkt_build(&b, fb, sizeof(fb));

	(void)state;
	reset();
	cfg_set(rate_1pps_burst3);
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "rate 1/3");
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "rate 2/3");
	expect(fa2, la2, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "rate 3/3, same /24");
	expect(fa, la, XDP_DROP, SW_XDP_C_DROP_RATE, "rate exceeded");
	expect(fa2, la2, XDP_DROP, SW_XDP_C_DROP_RATE, "rate exceeded, same /24");
	expect(fb, lb, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "other /24");
}

static void rate_v6_1pps(struct sw_xdp_cfg *c)
{
	c->rate_pps = 1;
	c->rate_burst = 1;
	c->rate_v6_prefix = 64;
}

static void test_rate_limit_v6(void **state)
{
	struct pkt_spec a = { .family = 6, .src = "2001:db8:1::1", STR(SIP_INVITE) };
	struct pkt_spec a2 = { .family = 6, .src = "2001:db8:1::ffff", STR("\r\n\r\n") };
	uint8_t fa[512], fa2[512];
	size_t la = pkt_build(&a, fa, sizeof(fa)), la2 = pkt_build(&a2, fa2, sizeof(fa2));

	(void)state;
	reset();
	cfg_set(rate_v6_1pps);
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "v6 first");
	expect(fa2, la2, XDP_DROP, SW_XDP_C_DROP_RATE, "v6 same /64, keepalive counts too");
}

/*
 * A writer that fills only rate_pps/rate_burst/rate_v4_prefix (not the derived fields: interval, tau, the /24 mask):
 * the program derives them itself, and the /24 is still one bucket.
 */
static void test_rate_limit_underived(void **state)
{
	struct pkt_spec a = { .family = 4, .src = "203.0.113.5", STR(SIP_INVITE) };
	struct pkt_spec a2 = { .family = 4, .src = "203.0.113.77", STR(SIP_INVITE) };
	struct pkt_spec b = { .family = 4, .src = "198.51.100.5", STR(SIP_INVITE) };
	struct sw_xdp_cfg cfg;
	uint8_t fa[512], fa2[512], fb[512];
	size_t la = pkt_build(&a, fa, sizeof(fa)), la2 = pkt_build(&a2, fa2, sizeof(fa2));
	size_t lb = pkt_build(&b, fb, sizeof(fb));
	uint32_t zero = 0;

	(void)state;
	reset();
	sw_xdp_cfg_defaults(&cfg);
	cfg.generation = 7;
	cfg.rate_pps = 1;
	cfg.rate_burst = 2;
	cfg.rate_v4_prefix = 24;
	assert_int_equal(cfg.rate_interval_ns, 0);
	assert_int_equal(cfg.rate_v4_mask, 0);
	assert_int_equal(bpf_map_update_elem(maps.cfg, &zero, &cfg, BPF_ANY), 0);
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "underived 1/2");
	expect(fa2, la2, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "underived 2/2, same /24");
	expect(fa, la, XDP_DROP, SW_XDP_C_DROP_RATE, "underived over");
	expect(fb, lb, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "underived, other /24");
}

static void rate_1pps_burst1_host(struct sw_xdp_cfg *c)
{
	c->rate_pps = 1;
	c->rate_burst = 1;
	c->rate_v4_prefix = 32;
}

/* An IPv4 host address (a.b.c.d with d varying) whose bucket falls in set `set` of sw_rate. */
static void rate_host_in_set(uint32_t set, int skip, char *out, size_t len)
{
	uint64_t seed = skel->bss->sw_blkf.hdr[SW_BLKF_W_SEED];

	for (uint32_t i = 1; i; i++) {
		uint8_t b[4] = { 100, 64 + (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		uint32_t a;

		memcpy(&a, b, 4);
		if (sw_rate_set_of(sw_rate_tag4(a, 32), seed) == set && skip-- == 0) {
			snprintf(out, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
			return;
		}
	}
	fail_msg("no host found in set %u", set);
}

/* Two ways per set, LRU within it: a source that keeps sending keeps its bucket while new sources of its set take
 * the other way in turn; two others between its packets evict it. */
static void test_rate_set_eviction(void **state)
{
	struct pkt_spec a = { .family = 4, .src = "203.0.113.1", STR(SIP_INVITE) }, o = a;
	uint64_t seed = skel->bss->sw_blkf.hdr[SW_BLKF_W_SEED];
	uint8_t fa[512], fo[512];
	char other[3][32];
	size_t la, lo;
	uint32_t addr;

	(void)state;
	reset();
	cfg_set(rate_1pps_burst1_host);
	assert_int_not_equal(seed, 0);
	memcpy(&addr, (uint8_t[4]){ 203, 0, 113, 1 }, 4);
	for (int k = 0; k < 3; k++)
		rate_host_in_set(sw_rate_set_of(sw_rate_tag4(addr, 32), seed), k, other[k], sizeof(other[k]));
	la = pkt_build(&a, fa, sizeof(fa));
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "first packet");
	expect(fa, la, XDP_DROP, SW_XDP_C_DROP_RATE, "over 1/s");
	expect(fa, la, XDP_DROP, SW_XDP_C_DROP_RATE, "still over");
	for (int k = 0; k < 3; k++) {
		o.src = other[k];
		lo = pkt_build(&o, fo, sizeof(fo));
		expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "another source of the same set");
		expect(fa, la, XDP_DROP, SW_XDP_C_DROP_RATE, "the busy source keeps its bucket");
	}
	o.src = other[0];
	lo = pkt_build(&o, fo, sizeof(fo));
	expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "a third source takes the other way");
	o.src = other[1];
	lo = pkt_build(&o, fo, sizeof(fo));
	expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "and a fourth the least recently used: the busy one");
	expect(fa, la, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "evicted, it starts afresh");
}

/* A later fragment whose slot another datagram took (its tag differs) is unknown: it passes. */
static void test_fragments_slot_taken(void **state)
{
	struct pkt_spec head = { .family = 4, .frag = PKT_FRAG_HEAD, .frag_id = 91, .datagram_len = 3000,
				 STR(SIP_INVITE) };
	struct pkt_spec tail = { .family = 4, .frag = PKT_FRAG_TAIL, .frag_id = 91, STR("tail bytes") };
	uint64_t other = SW_FRAG_WORD(0x123456789aULL, XDP_DROP, SW_XDP_C_DROP_FRAGMENT);
	uint32_t *keys = calloc(SW_XDP_FRAG_SLOTS, sizeof(*keys)), n = SW_XDP_FRAG_SLOTS;
	uint64_t *words = calloc(SW_XDP_FRAG_SLOTS, sizeof(*words));
	uint8_t fh[512], ft[512];
	size_t lh = pkt_build(&head, fh, sizeof(fh)), lt = pkt_build(&tail, ft, sizeof(ft));

	(void)state;
	assert_non_null(keys);
	assert_non_null(words);
	reset();
	setup_no_frags();
	expect(fh, lh, XDP_DROP, SW_XDP_C_DROP_FRAGMENT, "first fragment, fragments off");
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = i;
		words[i] = other;
	}
	assert_int_equal(bpf_map_update_batch(maps.frag, keys, words, &n, NULL), 0);
	expect(ft, lt, XDP_PASS, SW_XDP_C_PASS_OTHER, "its slot taken by another datagram");
	free(keys);
	free(words);
}

/* Later fragments share the fate of their first fragment; the last one forgets the datagram. */
static void test_fragments_follow(void **state)
{
	struct pkt_spec head = { .family = 4, .frag = PKT_FRAG_HEAD, .frag_id = 77, .datagram_len = 3000,
				 STR(SIP_INVITE) };
	struct pkt_spec mid = { .family = 4, .frag = PKT_FRAG_MID, .frag_id = 77, STR("middle bytes") };
	struct pkt_spec tail = { .family = 4, .frag = PKT_FRAG_TAIL, .frag_id = 77, STR("tail bytes") };
	struct pkt_spec other = { .family = 4, .frag = PKT_FRAG_TAIL, .frag_id = 78, STR("tail bytes") };
	uint8_t fh[512], fm[512], ft[512], fo[512];
	size_t lh = pkt_build(&head, fh, sizeof(fh)), lm = pkt_build(&mid, fm, sizeof(fm));
	size_t lt = pkt_build(&tail, ft, sizeof(ft)), lo = pkt_build(&other, fo, sizeof(fo));

	(void)state;
	reset();
	expect(fh, lh, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "head, allowed");
	expect(fm, lm, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "middle follows head");
	expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_OTHER, "another datagram's tail");
	expect(ft, lt, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "tail follows head");
	expect(ft, lt, XDP_PASS, SW_XDP_C_PASS_OTHER, "tail again: datagram forgotten");

	/* Fragments off: the whole datagram is dropped, each fragment counted. */
	reset();
	cfg_set(cfg_no_frags);
	expect(fh, lh, XDP_DROP, SW_XDP_C_DROP_FRAGMENT, "head, fragments off");
	expect(fm, lm, XDP_DROP, SW_XDP_C_DROP_FRAGMENT, "middle, fragments off");
	expect(ft, lt, XDP_DROP, SW_XDP_C_DROP_FRAGMENT, "tail, fragments off");

	/* A blocked source's fragments are counted as blocklist drops. */
	reset();
	block("192.0.2.1", 0, "frag");
	expect(fh, lh, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, "head, blocked");
	expect(ft, lt, XDP_DROP, SW_XDP_C_DROP_BLOCKLIST, "tail, blocked");
}

static void test_fragments_v6(void **state)
{
	struct pkt_spec head = { .family = 6, .frag = PKT_FRAG_HEAD, .frag_id = 0xabcdef, .datagram_len = 3000,
				 .v6_dstopts = 1, STR(SIP_INVITE) };
	struct pkt_spec tail = { .family = 6, .frag = PKT_FRAG_TAIL, .frag_id = 0xabcdef, STR("tail bytes") };
	uint8_t fh[512], ft[512];
	size_t lh = pkt_build(&head, fh, sizeof(fh)), lt = pkt_build(&tail, ft, sizeof(ft));

	(void)state;
	reset();
	expect(fh, lh, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "v6 head");
	expect(ft, lt, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "v6 tail follows");
	reset();
	expect(ft, lt, XDP_PASS, SW_XDP_C_PASS_OTHER, "v6 tail alone");
}

/*
 * With an AF_XDP socket in xsks_map at the rx queue (0 in test_run), bpf_redirect_map() returns XDP_REDIRECT. The
 * socket need not be bound: test_run does not carry out the redirect, only the map lookup decides the return value.
 */
static void test_redirect_with_socket(void **state)
{
	struct pkt_spec s = { .family = 4, STR(SIP_INVITE) };
	struct pkt_spec k = { .family = 4, STR("\r\n\r\n") };
	struct pkt_spec o = { .family = 4, .dport = 53, STR("dns?") };
	uint8_t f[512], fk[512], fo[512];
	size_t len = pkt_build(&s, f, sizeof(f)), lk = pkt_build(&k, fk, sizeof(fk)), lo = pkt_build(&o, fo, sizeof(fo));
	int xsk = socket(AF_XDP, SOCK_RAW, 0);
	uint32_t zero = 0;

	(void)state;
	if (xsk < 0)
		skip();
	reset();
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks_map), &zero, &xsk, BPF_ANY)) {
		close(xsk);
		skip();
	}
	expect(f, len, XDP_REDIRECT, SW_XDP_C_REDIRECT, "SIP with a socket");
	expect(fk, lk, XDP_REDIRECT, SW_XDP_C_KEEPALIVE, "keepalive with a socket");
	expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_OTHER, "non-SIP with a socket");
	bpf_map_delete_elem(bpf_map__fd(skel->maps.xsks_map), &zero);
	close(xsk);
}

/* A configuration map never written (generation 0): the built-in defaults apply (port 5060, min 4). */
static void test_unconfigured_defaults(void **state)
{
	struct sw_xdp_cfg cfg = {};
	struct pkt_spec s = { .family = 4, STR(SIP_INVITE) };
	struct pkt_spec s2 = { .family = 4, STR("AB") };
	struct pkt_spec o = { .family = 4, .dport = 5080, STR(SIP_INVITE) };
	uint8_t f[512], f2[512], fo[512];
	size_t len = pkt_build(&s, f, sizeof(f)), l2 = pkt_build(&s2, f2, sizeof(f2)), lo = pkt_build(&o, fo, sizeof(fo));
	uint32_t zero = 0;

	(void)state;
	reset();
	assert_int_equal(bpf_map_update_elem(maps.cfg, &zero, &cfg, BPF_ANY), 0);
	expect(f, len, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "default port");
	expect(f2, l2, XDP_DROP, SW_XDP_C_DROP_SHORT, "default min payload");
	expect(fo, lo, XDP_PASS, SW_XDP_C_PASS_OTHER, "not a default port");
}

/* --- loops ------------------------------------------------------------------------------------------------------ */

/*
 * Truncate frames at every length test_run accepts (it refuses fewer than 14 bytes, ETH_HLEN): until the whole UDP
 * header is in the frame the packet is not ours (the kernel judges it); from then on the IP length claims bytes the
 * frame does not have: malformed.
 */
static void test_truncation(void **state)
{
	static const struct pkt_spec specs[] = {
		{ .family = 4, STR(SIP_INVITE) },
		{ .family = 4, .nvlan = 1, .ip_opt_words = 1, STR(SIP_INVITE) },
		{ .family = 4, .nvlan = 2, .outer_tpid = ETH_P_8021AD, STR(SIP_200) },
		{ .family = 6, STR(SIP_INVITE) },
		{ .family = 6, .nvlan = 2, .outer_tpid = ETH_P_8021AD, .v6_dstopts = 2, STR(SIP_INVITE) },
	};
	uint8_t frame[512];

	(void)state;
	reset();
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t full = pkt_build(&specs[i], frame, sizeof(frame)), l4 = pkt_l4_offset(&specs[i]);
		char what[64];

		for (size_t len = ETH_HLEN; len < full; len++) {
			snprintf(what, sizeof(what), "spec %zu cut at %zu of %zu", i, len, full);
			if (len < l4 + 8)
				expect(frame, len, XDP_PASS, SW_XDP_C_PASS_OTHER, what);
			else
				expect(frame, len, XDP_DROP, SW_XDP_C_DROP_MALFORMED, what);
		}
		expect(frame, full, XDP_PASS, SW_XDP_C_PASS_NO_SOCKET, "whole");
	}
}

static bool is_pass_counter(int k)
{
	return k == SW_XDP_C_PASS_OTHER || k == SW_XDP_C_PASS_NO_SOCKET || k == SW_XDP_C_KEEPALIVE ||
	       k == SW_XDP_C_REDIRECT;
}

/*
 * Flip every byte of a few frames: whatever the program makes of it, it must return PASS or DROP, bump exactly one
 * counter, and that counter must agree with the action.
 */
static void test_byte_flips(void **state)
{
	static const struct pkt_spec specs[] = {
		{ .family = 4, .nvlan = 1, STR(SIP_INVITE) },
		{ .family = 6, .v6_dstopts = 1, STR(SIP_200) },
		{ .family = 4, .frag = PKT_FRAG_HEAD, .datagram_len = 2000, STR(SIP_INVITE) },
	};
	uint64_t before[SW_XDP_C_MAX], after[SW_XDP_C_MAX];
	uint8_t frame[512];

	(void)state;
	reset();
	block("192.0.2.0/24", 0, "flip");
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t full = pkt_build(&specs[i], frame, sizeof(frame));

		for (size_t pos = 0; pos < full; pos++) {
			for (int bit = 0; bit < 8; bit++) {
				int moved = -1, n = 0, mask = 1 << bit;
				uint32_t act;

				frame[pos] ^= (uint8_t)mask;
				counters(before);
				act = run(frame, full);
				counters(after);
				frame[pos] ^= (uint8_t)mask;
				for (int k = 0; k < SW_XDP_C_MAX; k++)
					if (after[k] != before[k]) {
						moved = k;
						n += (int)(after[k] - before[k]);
					}
				if (n != 1 || (act != XDP_PASS && act != XDP_DROP) ||
				    is_pass_counter(moved) != (act == XDP_PASS))
					fail_msg("spec %zu byte %zu ^ 0x%02x: action %u, %d counts, last %s", i, pos,
						 mask, act, n, moved >= 0 ? sw_xdp_counter_names[moved] : "-");
			}
		}
	}
}

/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static bool rfc_token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

/* Every byte value inside a method token: token characters keep it SIP, SP ends the method early, others drop. */
static void test_token_chars(void **state)
{
	char payload[] = "IN?VITE sip:x SIP/2.0\r\n\r\n";
	struct pkt_spec s = { .family = 4, .payload = payload, .plen = sizeof(payload) - 1 };
	uint8_t frame[512];

	(void)state;
	reset();
	for (int c = 0; c < 256; c++) {
		char what[32];
		bool ok = rfc_token_char(c) || c == ' ';
		size_t len;

		payload[2] = (char)c;
		len = pkt_build(&s, frame, sizeof(frame));
		snprintf(what, sizeof(what), "byte 0x%02x in method", c);
		expect(frame, len, ok ? XDP_PASS : XDP_DROP, ok ? SW_XDP_C_PASS_NO_SOCKET : SW_XDP_C_DROP_NOT_SIP, what);
	}
}

/* --- main ------------------------------------------------------------------------------------------------------- */

static int load(void)
{
	int err;

	skel = sw_xdp__open();
	if (!skel)
		return -errno;
	err = sw_xdp__load(skel);
	if (err)
		return err;
	prog_fd = bpf_program__fd(skel->progs.sw_xdp_filter);
	maps = (struct sw_xdp_maps){
		.cfg = bpf_map__fd(skel->maps.sw_cfg),
		.stats = bpf_map__fd(skel->maps.sw_stats),
		.block4 = bpf_map__fd(skel->maps.sw_block4),
		.block6 = bpf_map__fd(skel->maps.sw_block6),
		.rate = bpf_map__fd(skel->maps.sw_rate),
		.frag = bpf_map__fd(skel->maps.sw_frag),
		.blkf = bpf_map__fd(skel->maps.bss),
	};
	ncpus = libbpf_num_possible_cpus();
	return ncpus > 0 ? 0 : -EINVAL;
}

int main(void)
{
	static const struct CMUnitTest loops[] = {
		cmocka_unit_test(test_block_hits),
		cmocka_unit_test(test_filter_lengths_v4),
		cmocka_unit_test(test_filter_many_lengths),
		cmocka_unit_test(test_blkx_overflow),
		cmocka_unit_test(test_blkx_expired_longest),
		cmocka_unit_test(test_filter_lengths_v6),
		cmocka_unit_test(test_filter_not_built),
		cmocka_unit_test(test_rate_set_eviction),
		cmocka_unit_test(test_fragments_slot_taken),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_rate_limit_v6),
		cmocka_unit_test(test_rate_limit_underived),
		cmocka_unit_test(test_fragments_follow),
		cmocka_unit_test(test_fragments_v6),
		cmocka_unit_test(test_redirect_with_socket),
		cmocka_unit_test(test_unconfigured_defaults),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_token_chars),
	};
	enum { NFIX = sizeof(fixtures) / sizeof(fixtures[0]) };
	struct CMUnitTest table[NFIX];
	int err, failed;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: loading BPF needs root\n");
		return 77;
	}
	err = load();
	if (err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP) {
		fprintf(stderr, "SKIP: cannot load BPF here: %s\n", strerror(-err));
		sw_xdp__destroy(skel);
		return 77;
	}
	if (err) {
		fprintf(stderr, "FAIL: loading the XDP program: %s\n", strerror(-err));
		sw_xdp__destroy(skel);
		return 1;
	}
	for (int i = 0; i < NFIX; i++)
		table[i] = (struct CMUnitTest){ .name = fixtures[i].name, .test_func = test_fixture,
						.initial_state = (void *)&fixtures[i] };
	failed = _cmocka_run_group_tests("xdp_fixtures", table, NFIX, NULL, NULL);
	failed += cmocka_run_group_tests_name("xdp_sequences_and_loops", loops, NULL, NULL);
	sw_xdp__destroy(skel);
	return failed ? 1 : 0;
}

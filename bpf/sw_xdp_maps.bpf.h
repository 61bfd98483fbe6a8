/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prefilter's maps, BPF side only: one definition each, with its purpose. Names, keys and values come from
 * include/sipwall/xdp_abi.h, which user space includes too. No map carries a pinning attribute: DPDK loads this
 * object with libbpf's defaults, which would pin in /sys/fs/bpf itself; pinning under SW_XDP_PIN_ROOT is done by
 * whoever loads or adopts the program (bpf/sw_xdp_lib.c).
 */
#ifndef SW_XDP_MAPS_BPF_H
#define SW_XDP_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sipwall/xdp_abi.h"

/* rx queue index -> AF_XDP socket. DPDK's net_af_xdp finds it by this exact name and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SW_XDP_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* The configuration, one element; see struct sw_xdp_cfg. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_xdp_cfg);
} sw_cfg SEC(".maps");

/* Packets per fate (enum sw_xdp_counter), per CPU: no atomics on the hot path; readers sum over CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_XDP_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sw_stats SEC(".maps");

/* Blocked IPv4 sources by prefix. BPF_F_NO_PREALLOC is mandatory for LPM tries. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SW_XDP_BLOCK_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sw_block_key4);
	__type(value, struct sw_block_val);
} sw_block4 SEC(".maps");

/* Blocked IPv6 sources by prefix. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SW_XDP_BLOCK_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sw_block_key6);
	__type(value, struct sw_block_val);
} sw_block6 SEC(".maps");

/*
 * The blocklist's presence filter (xdp_abi.h, "presence filter"): decides "in no blocked prefix" without a trie
 * lookup. A global variable, the object's only one: libbpf makes .bss an mmapable one-element array, which the
 * program reads with direct loads and libswxdp pins as SW_XDP_MAP_BLKF and updates with atomic instructions.
 */
struct sw_blkf sw_blkf;

/* Token buckets per source prefix, a two-way set-associative table (struct sw_rate_set, xdp_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_RATE_SETS);
	__type(key, __u32);
	__type(value, struct sw_rate_set);
} sw_rate SEC(".maps");

/* The fate of each fragmented SIP datagram's first fragment, applied to its later fragments (which carry no ports). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_XDP_FRAG_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sw_frag SEC(".maps");

/*
 * The clock cache, refreshed when jiffies move (clock_get()): bpf_ktime_get_ns() and _boot_ns() read the
 * clocksource and cost some 30-40 ns each in a VM, bpf_jiffies64() a load. Times read from it are up to one tick
 * (1/HZ) old. It lives in sw_blkf's header (SW_BLKF_W_CLOCK, a cache line of its own), read with direct loads: a map
 * lookup was some ten instructions more on every rate-limited packet. One for all CPUs: the first CPU to see a new
 * tick writes it, once per tick; CPUs racing on a tick write nearly the same times, and a reader that mixes two
 * writers' words is still within the tick, which is all the rate limiter and the blocklist's expiry ask.
 */
struct sw_clock {
	__u64 jiffies;
	__u64 mono_ns; /* CLOCK_MONOTONIC at the last refresh: the rate limiter's clock */
	__u64 boot_ns; /* CLOCK_BOOTTIME at the last refresh: the blocklist's clock */
};

#endif

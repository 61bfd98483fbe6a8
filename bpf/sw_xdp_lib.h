/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libswxdp: the user-space side of the XDP prefilter, shared by sipwallctl and the dataplane. Loads and attaches the
 * embedded program with libxdp, pins its maps under a pin root (SW_XDP_PIN_ROOT) or adopts the maps of a copy that
 * DPDK's net_af_xdp loaded, and reads or edits the pinned maps (configuration, counters, blocklist).
 * Functions return 0 or a negative errno unless stated; none prints anything (libbpf/libxdp may log at WARN level).
 */
#ifndef SW_XDP_LIB_H
#define SW_XDP_LIB_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipwall/xdp_abi.h"

struct sw_policy;

enum sw_xdp_mode {
	SW_XDP_MODE_AUTO,   /* native where the driver supports it, else skb (libxdp decides) */
	SW_XDP_MODE_NATIVE, /* in the driver */
	SW_XDP_MODE_SKB,    /* generic XDP, after the skb is built: slower, works everywhere */
	SW_XDP_MODE_HW,     /* offloaded (reported by queries only) */
};

/* "auto", "native", "skb", "hw". */
const char *sw_xdp_mode_name(enum sw_xdp_mode mode);
/* Parse a mode name; returns 0 or -EINVAL. */
int sw_xdp_mode_parse(const char *s, enum sw_xdp_mode *mode);

/* The pin root in force: $SIPWALL_PIN_ROOT if set and not empty, else SW_XDP_PIN_ROOT. Never NULL. */
const char *sw_xdp_pin_root(void);

/*
 * Make pin_root a directory on a BPF filesystem. When its parent is not a bpffs and the parent is /sys/fs/bpf (the
 * usual place, left unmounted on some systems), a bpffs is mounted there first, as bpftool does.
 */
int sw_xdp_pin_root_prepare(const char *pin_root);

/* What is attached to one interface. */
struct sw_xdp_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	uint32_t prog_id;       /* 0: no XDP program at all */
	char prog_name[16];     /* the attached program's name (ours is SW_XDP_PROG_NAME) */
	enum sw_xdp_mode mode;
	bool ours;              /* the attached program, or one behind libxdp's dispatcher, is sipwall's */
	bool shared_maps;       /* ours, and its counters map is the one pinned under the pin root */
};

/*
 * Query ifindex. Returns 0 with out->prog_id == 0 when no program is attached; -ENODEV when there is no such
 * interface. pin_root may be NULL (shared_maps is then false).
 */
int sw_xdp_query(int ifindex, const char *pin_root, struct sw_xdp_iface *out);

struct sw_xdp_attach_opts {
	enum sw_xdp_mode mode;
	const char *pin_root;        /* NULL: sw_xdp_pin_root() */
	const struct sw_xdp_cfg *cfg; /* written after load when not NULL; otherwise an unconfigured map gets defaults */
};

/*
 * Load the program embedded in this binary, reusing the maps already pinned under the pin root (so a second
 * interface, or a re-attach, shares blocklist, configuration and counters) and pinning those that are not, then
 * attach it to ifindex with libxdp. -EEXIST if sipwall's program is already attached there, -EBUSY if another XDP
 * program is, -ENODEV for no such interface. *out is filled on success (may be NULL).
 */
int sw_xdp_attach(int ifindex, const struct sw_xdp_attach_opts *opts, struct sw_xdp_iface *out);

/* Detach sipwall's program from ifindex. -ENOENT when nothing is attached, -EBUSY when it is not ours. Pins stay. */
int sw_xdp_detach(int ifindex);

/*
 * The dataplane's half of "pinned whoever loaded it": DPDK's net_af_xdp loads sw_xdp.bpf.o itself with libbpf's
 * defaults, so its maps are new and unpinned. Given the interface, pin that program's maps under pin_root. Where a
 * pin of the same name already points at another map (an earlier run, or the CLI), the blocklist entries and a
 * written configuration are copied into the new maps first, then the pins are replaced, so the CLI keeps seeing the
 * live maps and the blocklist survives a dataplane restart. cfg, if not NULL, is written afterwards.
 * -ENOENT when no sipwall program is attached to ifindex.
 */
int sw_xdp_adopt(int ifindex, const char *pin_root, const struct sw_xdp_cfg *cfg);

/*
 * File descriptors of the pinned maps. blkf, the blocklist's presence filter, is -1 (or 0 in a zeroed struct) when
 * absent: the blocklist writers then edit the tries alone, as a program of a version without the filter expects.
 */
struct sw_xdp_maps {
	int cfg, stats, block4, block6, rate, frag;
	int blkf;
};

/*
 * Open the maps pinned under pin_root (NULL: sw_xdp_pin_root()). -ENOENT when they are not pinned there, -EPROTO
 * when a pin has another layout than this build's (another sipwall version pinned it).
 */
int sw_xdp_maps_open(const char *pin_root, struct sw_xdp_maps *m);
/* Close what sw_xdp_maps_open() opened; safe on a zeroed or half-opened struct (fds <= 0 are skipped). */
void sw_xdp_maps_close(struct sw_xdp_maps *m);

/* The documented defaults (policy defaults, core/policy.c): port 5060, payload 4..65507, no rate, fragments on. */
void sw_xdp_cfg_defaults(struct sw_xdp_cfg *cfg);
/* The prefilter part of a policy: dataplane.sip_ports and the prefilter section. */
void sw_xdp_cfg_from_policy(struct sw_xdp_cfg *cfg, const struct sw_policy *p);
void sw_xdp_cfg_port_set(struct sw_xdp_cfg *cfg, uint16_t port, bool on);
bool sw_xdp_cfg_port_test(const struct sw_xdp_cfg *cfg, uint16_t port);
/* Check ranges (prefix lengths, min <= max); returns 0 or -EINVAL. */
int sw_xdp_cfg_validate(const struct sw_xdp_cfg *cfg);

int sw_xdp_cfg_read(int cfg_fd, struct sw_xdp_cfg *cfg);
/*
 * Validate cfg, derive rate_interval_ns and rate_tau_ns, and write it with generation = the stored generation + 1
 * (never 0); cfg is updated to what was written. The one way configuration should reach the map.
 */
int sw_xdp_cfg_write(int cfg_fd, struct sw_xdp_cfg *cfg);

/* Sum each counter over the possible CPUs. */
int sw_xdp_counters_read(int stats_fd, uint64_t out[SW_XDP_C_MAX]);

/* CLOCK_BOOTTIME in ns: the clock of sw_block_val's created_ns and expires_ns. */
uint64_t sw_xdp_now_ns(void);

/* An IPv4 or IPv6 prefix; addr is network order, bits past len are zero. */
struct sw_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t addr[16];
};

/* "192.0.2.1", "192.0.2.0/24", "2001:db8::/32"; host bits past the length are cleared. -EINVAL when malformed. */
int sw_prefix_parse(const char *s, struct sw_prefix *p);
/* "192.0.2.0/24". buf should hold INET6_ADDRSTRLEN + 4 bytes. */
void sw_prefix_format(const struct sw_prefix *p, char *buf, size_t len);

/*
 * Add or replace a blocklist entry. ttl_s 0 = no expiry. reason may be NULL; longer reasons are truncated to
 * SW_BLOCK_REASON_LEN - 1 bytes. hits restarts at 0 when an entry is replaced.
 */
int sw_block_add(const struct sw_xdp_maps *m, const struct sw_prefix *p, uint64_t ttl_s, const char *reason);
/* -ENOENT when there is no such entry. */
int sw_block_del(const struct sw_xdp_maps *m, const struct sw_prefix *p);

/*
 * Build the blocklist's presence filter (m->blkf) from the tries' contents, unless it is built already and rebuild
 * is false, and mark it ready for the program; until then the program looks every source up in the tries. Called
 * by sw_xdp_attach() and sw_xdp_adopt(); needed only by code that writes the tries by other means (tests). Blocklist
 * writers (sw_block_add/del/gc, this) serialise on a lock word in the filter; one held for more than 10 s by a
 * process that died is taken over. 0 when m->blkf is absent.
 */
int sw_block_filter_build(const struct sw_xdp_maps *m, bool rebuild);

/* Called for each entry, IPv4 first; a non-zero return stops the walk and is returned. */
typedef int (*sw_block_fn)(const struct sw_prefix *p, const struct sw_block_val *v, void *arg);
int sw_block_foreach(const struct sw_xdp_maps *m, sw_block_fn fn, void *arg);
/* An entry is expired when expires_ns != 0 and expires_ns <= now_ns. */
bool sw_block_expired(const struct sw_block_val *v, uint64_t now_ns);
/* Delete expired entries; *deleted (may be NULL) gets their number. */
int sw_block_gc(const struct sw_xdp_maps *m, unsigned int *deleted);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP prefilter in front of net_af_xdp ports (docs/xdp.md). DPDK's net_af_xdp loads bpf/sw_xdp.bpf.o itself
 * (devarg xdp_prog=), with libbpf's defaults: its maps are new, unpinned and unconfigured. At start the daemon adopts
 * them (libswxdp's sw_xdp_adopt: pinned under the pin root, a blocklist pinned by an earlier run carried over), so
 * that sipwallctl reaches them, and writes the policy's prefilter section (dataplane.sip_ports, prefilter:) into
 * them; every later policy version writes it again. Control side only: never on the packet path.
 */
#ifndef DP_PREFILTER_H
#define DP_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

struct sw_policy;

struct dp_prefilter {
	int cfg_fd;       /* the adopted configuration map (0 or less: none adopted) */
	unsigned nadopted; /* ports whose program was adopted */
};

/*
 * If port is a net_af_xdp port with sipwall's program attached to its interface, adopt the program's maps under the
 * pin root (sw_xdp_pin_root(): $SIPWALL_PIN_ROOT or /sys/fs/bpf/sipwall) and write pol's prefilter section.
 * Returns 1 when adopted, 0 when there is nothing to adopt (another PMD, DPDK's default program, a build without
 * the XDP prefilter), or -errno with a message in err.
 */
int dp_prefilter_adopt(struct dp_prefilter *pf, uint16_t port, const struct sw_policy *pol, char *err, size_t errlen);

/* Write pol's prefilter section into the adopted maps (nothing when none was adopted). 0 or -errno. */
int dp_prefilter_apply(struct dp_prefilter *pf, const struct sw_policy *pol);

void dp_prefilter_close(struct dp_prefilter *pf);

#endif

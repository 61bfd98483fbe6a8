/* SPDX-License-Identifier: BSD-3-Clause */
/* Adopting the XDP prefilter that net_af_xdp loaded (see prefilter.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "prefilter.h"

#ifdef SW_HAVE_XDP
#include "sw_xdp_lib.h"

int dp_prefilter_adopt(struct dp_prefilter *pf, uint16_t port, const struct sw_policy *pol, char *err, size_t errlen)
{
	const char *root = sw_xdp_pin_root();
	struct rte_eth_dev_info info;
	struct sw_xdp_iface iface;
	struct sw_xdp_maps m;
	struct sw_xdp_cfg cfg;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: %s", port, strerror(-rc));
		return rc;
	}
	if (!info.driver_name || strcmp(info.driver_name, "net_af_xdp") != 0 || info.if_index == 0)
		return 0;
	rc = sw_xdp_query((int)info.if_index, NULL, &iface);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: interface %u: %s", port, info.if_index, strerror(-rc));
		return rc;
	}
	if (!iface.ours) /* DPDK's default program (no xdp_prog=) or someone else's: nothing of ours to adopt */
		return 0;
	sw_xdp_cfg_from_policy(&cfg, pol);
	rc = sw_xdp_pin_root_prepare(root);
	if (rc == 0)
		rc = sw_xdp_adopt((int)info.if_index, root, &cfg);
	if (rc == 0)
		rc = sw_xdp_maps_open(root, &m);
	if (rc < 0) {
		snprintf(err, errlen, "port %u (%s): adopting the XDP prefilter under %s: %s", port, iface.name, root,
			 strerror(-rc));
		return rc;
	}
	/* keep the configuration map only: later policy versions are written there */
	if (pf->cfg_fd > 0)
		close(pf->cfg_fd);
	pf->cfg_fd = dup(m.cfg);
	sw_xdp_maps_close(&m);
	if (pf->cfg_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "port %u: %s", port, strerror(errno));
		return rc;
	}
	pf->nadopted++;
	return 1;
}

int dp_prefilter_apply(struct dp_prefilter *pf, const struct sw_policy *pol)
{
	struct sw_xdp_cfg cfg;

	if (pf->cfg_fd <= 0)
		return 0;
	sw_xdp_cfg_from_policy(&cfg, pol);
	return sw_xdp_cfg_write(pf->cfg_fd, &cfg);
}

void dp_prefilter_close(struct dp_prefilter *pf)
{
	if (pf->cfg_fd > 0)
		close(pf->cfg_fd);
	pf->cfg_fd = -1;
}

#else /* built without the XDP prefilter (-Dbpf=disabled, or clang/libbpf/libxdp missing): nothing to adopt */

int dp_prefilter_adopt(struct dp_prefilter *pf, uint16_t port, const struct sw_policy *pol, char *err, size_t errlen)
{
	(void)pf, (void)port, (void)pol, (void)err, (void)errlen;
	return 0;
}

int dp_prefilter_apply(struct dp_prefilter *pf, const struct sw_policy *pol)
{
	(void)pf, (void)pol;
	return 0;
}

void dp_prefilter_close(struct dp_prefilter *pf)
{
	pf->cfg_fd = -1;
}

#endif

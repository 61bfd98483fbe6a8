// SPDX-License-Identifier: BSD-3-Clause
/*
 * Helpers shared by sipwallctl's XDP commands: privilege check, opening the pinned maps with a message that says
 * what to do, JSON strings. Contract in xdp_common.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdp_common.h"

bool xdp_cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

#ifdef SW_HAVE_XDP
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

/*
 * Logs held back while an operation that is expected to log runs: libxdp probes its multi-program dispatcher on
 * every attach, and on kernels that fail the probe libbpf warns about the dispatcher object before libxdp falls back
 * to a single program. Shown only if the attach fails (or with $SIPWALL_DEBUG).
 */
static char held[8192];
static size_t held_len;
static bool holding;

static bool debug_logs(void)
{
	const char *v = getenv("SIPWALL_DEBUG");

	return v && *v && strcmp(v, "0");
}

static int log_out(bool warn, const char *fmt, va_list ap)
{
	int n;

	if (debug_logs())
		return vfprintf(stderr, fmt, ap);
	if (!warn)
		return 0;
	if (!holding)
		return vfprintf(stderr, fmt, ap);
	n = vsnprintf(held + held_len, sizeof(held) - held_len, fmt, ap);
	if (n > 0)
		held_len = held_len + (size_t)n < sizeof(held) ? held_len + (size_t)n : sizeof(held) - 1;
	return n;
}

static int bpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return log_out(level == LIBBPF_WARN, fmt, ap);
}

static int xdp_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return log_out(level == LIBXDP_WARN, fmt, ap);
}

void xdp_cli_log_hold(void)
{
	holding = !debug_logs();
	held_len = 0;
	held[0] = '\0';
}

void xdp_cli_log_release(bool print)
{
	if (print && held_len)
		fputs(held, stderr);
	holding = false;
	held_len = 0;
}

void xdp_cli_logging(void)
{
	libbpf_set_print(bpf_log);
	libxdp_set_print(xdp_log);
}

int xdp_cli_need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "sipwallctl %s: must be run as root (loading BPF and editing pinned maps needs CAP_BPF, "
			"CAP_NET_ADMIN and access to %s)\n",
		cmd, sw_xdp_pin_root());
	return -EPERM;
}

void xdp_cli_error(const char *cmd, const char *what, int err)
{
	const char *hint = "";

	if (err == -EPERM || err == -EACCES)
		hint = " (run as root)";
	fprintf(stderr, "sipwallctl %s: %s: %s%s\n", cmd, what, strerror(-err), hint);
}

int xdp_cli_open_maps(const char *cmd, struct sw_xdp_maps *m)
{
	int err = sw_xdp_maps_open(NULL, m);

	if (err)
		xdp_cli_maps_error(cmd, err);
	return err;
}

void xdp_cli_maps_error(const char *cmd, int err)
{
	if (err == -ENOENT)
		fprintf(stderr,
			"sipwallctl %s: maps not pinned at %s (attach first: sipwallctl xdp attach IFACE; or set %s)\n",
			cmd, sw_xdp_pin_root(), SW_XDP_PIN_ROOT_ENV);
	else if (err == -EPROTO)
		fprintf(stderr,
			"sipwallctl %s: the maps pinned at %s have another layout (another sipwall version?): "
			"detach it and remove them\n",
			cmd, sw_xdp_pin_root());
	else
		xdp_cli_error(cmd, sw_xdp_pin_root(), err);
}
#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading inputs for sipwallctl check: a raw datagram file, or a capture (pcap or pcapng through libpcap) whose UDP
 * packets are each one input. L2-L4 decoding here is for offline files only; the dataplane has its own, on mbufs.
 */
#ifndef SIPWALLCTL_PCAP_INPUT_H
#define SIPWALLCTL_PCAP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_verdict.h"

struct udp_input {
	const char *payload;
	uint32_t len;
	struct sw_peer src;
	struct sw_peer dst;
	uint32_t index; /* 1-based packet number in the capture */
};

/* Called per UDP packet; a non-zero return stops the walk and is returned. */
typedef int (*udp_input_cb)(void *ctx, const struct udp_input *in);

/* Does the file start with a pcap or pcapng magic number? Returns 1, 0, or -errno when it cannot be read. */
int input_is_capture(const char *path);

/*
 * Walk a capture's UDP packets (Ethernet with 802.1Q/QinQ, Linux cooked, raw IP; IPv4 with options, IPv6 with
 * extension headers). Non-UDP packets and IP fragments are counted in *skipped. Returns 0, or -1 with err set.
 */
int capture_for_each_udp(const char *path, udp_input_cb cb, void *ctx, uint32_t *skipped, char *err, size_t errlen);

#endif

# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Sourced (not run) by the shell tests that put the XDP prefilter on a veth pair between two network namespaces
# (tests/bpf/netns_xdp.sh, tests/control/test_block.sh): the skip checks, a private mount namespace, the two
# namespaces with their veth ends up and addressed, a private bpffs for the pins, and removal of all of it on exit.
#
#   if netns_first_pass; then
#           netns_require TOOL...      # root, ip, unshare and each TOOL (a name or a path), or exit 77
#           ...further checks...
#           netns_private_mnt "$@"     # run this script again, from the top, in a private mount namespace
#   fi
#   netns_setup TAG IFTAG              # T, A, B, IFA, IFB as below; 192.0.2.1/24 on IFA, 192.0.2.2/24 on IFB
#
# netns_setup names namespaces TAG-PID-a and -b, interfaces IFTAGPIDa and b (IFNAMSIZ: keep IFTAG short), makes
# the temporary directory T (/tmp/TAG-test.XXXXXX) and exports SIPWALL_PIN_ROOT and LIBXDP_BPFFS into T/bpffs.
# Processes whose ids the caller adds to NETNS_KILL are killed on exit, before the namespaces go.

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# True in the first run of the script, false in the one netns_private_mnt started.
netns_first_pass() {
	[ -z "${SW_NETNS_PRIVATE_MNT:-}" ]
}

netns_require() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	for tool in ip unshare "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"
	done
	ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
}

# A private mount namespace: the bpffs mounted for the pins is this test's alone and vanishes with it.
netns_private_mnt() {
	unshare --mount --propagation private true 2>/dev/null || skip "cannot create a mount namespace"
	SW_NETNS_PRIVATE_MNT=1 exec unshare --mount --propagation private sh "$0" "$@"
}

netns_cleanup() {
	# shellcheck disable=SC2086 # a list of process ids
	[ -n "$NETNS_KILL" ] && kill $NETNS_KILL 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	umount "$T/bpffs" 2>/dev/null
	rm -rf "$T"
}

netns_setup() {
	# not inherited by what the test runs: a script started from here makes its own private mount namespace
	unset SW_NETNS_PRIVATE_MNT
	T=$(mktemp -d "/tmp/$1-test.XXXXXX")
	A=$1-$$-a
	B=$1-$$-b
	IFA=$2$$a
	IFB=$2$$b
	NETNS_KILL=
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM

	mkdir "$T/bpffs"
	mount -t bpf bpf "$T/bpffs" || skip "cannot mount a bpffs"
	export SIPWALL_PIN_ROOT="$T/bpffs/sipwall" LIBXDP_BPFFS="$T/bpffs"

	ip netns add "$A"
	ip netns add "$B"
	ip link add "$IFA" netns "$A" type veth peer name "$IFB" netns "$B"
	for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
	ip -n "$A" link set "$IFA" up
	ip -n "$B" link set "$IFB" up
	ip -n "$A" addr add 192.0.2.1/24 dev "$IFA"
	ip -n "$B" addr add 192.0.2.2/24 dev "$IFB"
}

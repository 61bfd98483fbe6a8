#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install everything sipwall needs to build, test and run its lab, from Debian 12 packages. Idempotent: packages
# already present are left alone, and apt-get runs only when something is missing. As root it also creates the
# system group sipwall, whose members may use the daemon's control socket.
set -eu

# libsystemd-dev: the static link of DPDK (meson option dpdk_static, the default) names -lsystemd, which
# libdpdk-dev does not bring.
PKGS="build-essential meson ninja-build pkg-config clang llvm lld libclang-rt-14-dev
      libdpdk-dev dpdk libsystemd-dev libxdp-dev libbpf-dev xdp-tools bpftool linux-libc-dev libelf-dev zlib1g-dev
      libhyperscan-dev libcmocka-dev libyaml-dev libpcap-dev libsodium-dev libosip2-dev libjansson-dev
      iproute2 ethtool sip-tester kamailio python3 tcpdump python3-matplotlib lua5.4"

# The control socket's group (docs/control.md): root and the members of `sipwall` may change the running policy.
if [ "$(id -u)" -eq 0 ] && ! getent group sipwall >/dev/null; then
	groupadd --system sipwall
	echo "install-deps: created the system group sipwall (members may use sipwall's control socket)"
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

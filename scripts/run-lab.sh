#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The README's main command: install what is needed, build, and run the lab (lab/lab.py, docs/lab.md): real sipp
# calls and an attack mix from an `outside` network namespace through sipwall (the XDP prefilter in front of the
# DPDK dataplane on net_af_xdp) to a SIP server in an `inside` namespace, a blocklisted source, a flood and a
# policy change under traffic, then a summary. Exit status: the lab's (0 all expectations met, 1 not, 77 this
# machine cannot run it). Arguments go to lab.py (--calls N, --rate CPS, --flood N, --short, --workdir DIR).
# BUILD_DIR=dir picks the meson build directory (default: build).
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

./scripts/install-deps.sh
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" >/dev/null
else
	meson setup "$build" --buildtype=release -Ddataplane=enabled -Dbpf=enabled >/dev/null
fi
ninja -C "$build"

# the offline view first: what the core says about one message of every traffic class (scripts/run-demo.sh)
mkdir -p "$build/demo"
/usr/bin/python3 bench/traffic/sipgen.py --mix all -o "$build/demo/all.pcap"
echo "== offline: sipwallctl check --policy lab/policy.yaml (one message of each traffic class)"
"./$build/control/sipwallctl" check --policy lab/policy.yaml "$build/demo/all.pcap"

echo "== the lab"
exec /usr/bin/python3 lab/lab.py --build "$build" "$@"

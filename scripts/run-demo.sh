#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The README's main command: install what is needed, build, and run sipwall's main job on its built-in default:
# sipwallctl check over a bundled sample of SIP traffic (one message of every class, plus the RFC 4475 torture
# messages) under the example policy, printing what sipwall would do with each message and a summary per verdict.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build --buildtype=release >/dev/null
fi
ninja -C build

mkdir -p build/demo
python3 bench/traffic/sipgen.py --mix demo -o build/demo/demo.pcap
echo "== sipwallctl check --policy policy/example.yaml build/demo/demo.pcap tests/data/torture/rfc4475/*.dat"
./build/control/sipwallctl check --policy policy/example.yaml build/demo/demo.pcap tests/data/torture/rfc4475/*.dat

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A longer fuzzing campaign than CI's minute per harness (docs/fuzzing.md):
#   scripts/fuzz-campaign.sh [SECONDS [HARNESS...]]     default: 3600 seconds each, every harness, one at a time
# HARNESS is sip, policy or l2l4. Same build directory (build-fuzz) and runner as scripts/run-tests.sh: the corpus each
# harness grows is kept in build-fuzz/tests/fuzz/fuzz_<harness>.work/corpus for the next run, crashes are saved in
# build-fuzz/tests/fuzz/fuzz_<harness>.work/artifacts/. FUZZ_EXTRA_ARGS passes more libFuzzer options (-fork=2 to
# use two cores, -only_ascii=1, ...). Exits non-zero when any harness crashed.
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-3600}
[ $# -gt 0 ] && shift
names=""
for h in "${@:-}"; do
	[ -n "$h" ] && names="$names fuzz_$h fuzz_${h}_replay"
done

if [ -f build-fuzz/build.ninja ]; then
	CC=clang meson setup --reconfigure build-fuzz -Dtests=enabled -Dfuzz=enabled >/dev/null
else
	CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dtests=enabled -Dfuzz=enabled -Dbench=false \
		-Dbpf=disabled >/dev/null
fi
ninja -C build-fuzz fuzzers
# shellcheck disable=SC2086
FUZZ_SECONDS=$seconds meson test -C build-fuzz --no-rebuild --print-errorlogs --num-processes 1 --suite fuzz $names

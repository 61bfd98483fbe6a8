#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The README's test command: install what is needed, build with warnings as errors, run every test suite, then the
# unit and integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer, then each fuzzer for a
# bounded time. Tests that need root, hugepages or BPF and cannot get them exit 77 and are reported as skipped.
# Ends with "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

setup() { # setup DIR ARGS...: configure DIR afresh when its options changed, else reuse it
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

setup build --buildtype=release --werror -Dtests=enabled -Dfuzz=disabled
ninja -C build
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=1

# Sanitizers: the unit and integration tests again under ASan + UBSan: the core, the CLI, the dataplane on pcap
# and netns ports, the live control commands (the daemon runs with --no-huge). Leaks inside Debian's libraries that
# sipwall cannot free are listed, with why, in tests/lsan.supp. The BPF suites and the lab are not repeated.
setup build-asan --buildtype=debug --werror -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbpf=disabled -Dfuzz=disabled -Dbench=false
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	meson test -C build-asan --print-errorlogs --num-processes 1 \
	--suite unit --suite cli --suite control --suite dataplane --suite integration || status=1

# Fuzzers (tests/fuzz, docs/fuzzing.md): clang + libFuzzer in their own build directory. Each harness replays its
# regressions and seeds, then fuzzes for FUZZ_SECONDS (default 60) seconds; any crash or sanitizer report fails.
(CC=clang && export CC && setup build-fuzz --buildtype=debugoptimized -Dtests=enabled -Dfuzz=enabled -Dbench=false \
	-Dbpf=disabled)
ninja -C build-fuzz fuzzers
meson test -C build-fuzz --no-rebuild --print-errorlogs --num-processes 2 --suite fuzz || status=1

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status

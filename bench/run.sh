#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run every micro-benchmark that is built (bench_core, bench_rules, bench_xdp, bench_dataplane, bench_swap), skipping the ones
# that are not, each writing bench/results/<name>.json and printing its table. Builds nothing: build first, e.g.
#   meson setup build && ninja -C build
# Usage: bench/run.sh [BUILD_DIR] [-- BENCH_ARGS...]   BUILD_DIR defaults to $BUILD_DIR, else "build".
# BENCH_ARGS go to every bench (they share --cpu, --rounds, --round-ms, --quiet: see bench/common.h).
# A missed performance floor is reported by the bench, not an error here; exit 1 only when a bench failed to run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD_DIR:-build}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	build=$1
	shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
results=${BENCH_RESULTS:-$here/results}

if [ ! -d "$build/bench" ]; then
	echo "run.sh: no benchmarks under $build/bench (build first: meson setup build && ninja -C build)" >&2
	exit 1
fi
mkdir -p "$results" || exit 1
# recorded in each JSON file's "machine" object (bench_json_machine)
BENCH_REVISION=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
export BENCH_REVISION

ran=0
failed=""
for name in bench_core bench_rules bench_xdp bench_dataplane; do
	exe=$build/bench/$name
	out=$results/${name#bench_}.json
	if [ ! -x "$exe" ]; then
		echo "== $name: skipped (not built: $exe)"
		continue
	fi
	echo "== $name (revision $BENCH_REVISION) -> $out"
	if "$exe" --json "$out" "$@"; then
		ran=$((ran + 1))
	else
		echo "== $name: FAILED (exit $?)"
		failed="$failed $name"
	fi
	echo
done

# bench_swap: policy swap latency on a running sipwall (a python driver of the daemon's control socket).
sipwall=$build/dataplane/sipwall
if [ -x "$sipwall" ]; then
	echo "== bench_swap (revision $BENCH_REVISION) -> $results/swap.json"
	/usr/bin/python3 "$here/bench_swap.py" --sipwall "$sipwall" --json "$results/swap.json" "$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		ran=$((ran + 1))
	elif [ $rc -eq 77 ]; then
		echo "== bench_swap: skipped (the EAL cannot start here)"
	else
		echo "== bench_swap: FAILED (exit $rc)"
		failed="$failed bench_swap"
	fi
	echo
else
	echo "== bench_swap: skipped (not built: $sipwall)"
fi

echo "== ran $ran benchmark(s); results in $results"
if [ -n "$failed" ]; then
	echo "== failed:$failed"
	exit 1
fi

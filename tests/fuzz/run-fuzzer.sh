#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs one libFuzzer harness for the meson suite 'fuzz' (tests/fuzz/meson.build) and for scripts/fuzz-campaign.sh.
#   run-fuzzer.sh replay FUZZER DIR...                       every file under the DIRs once (regressions, seeds)
#   run-fuzzer.sh fuzz FUZZER WORKDIR DICT MAXLEN SEEDDIR... fuzz for $FUZZ_SECONDS (default 60) seconds
# New inputs go to WORKDIR/corpus (never into the seed directories), crashes to WORKDIR/artifacts/.
# Exits 0, or 1 on any crash, sanitizer report, leak, timeout or out-of-memory (never 77, which meson reads as
# "skipped": libFuzzer's own default error exit code).
set -u
mode=$1
fuzzer=$2
shift 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common="-error_exitcode=1 -timeout_exitcode=1 -timeout=25 -rss_limit_mb=4096"

case $mode in
replay)
	# libFuzzer runs each file named on its command line once (a directory would start a fuzzing session).
	# Regressions (the first DIR) one process each, so that every one that fails is named; seeds in one batch.
	rc=0
	log=${TMPDIR:-/tmp}/replay.$$
	regressions=$1
	shift
	for f in $(find "$regressions" -type f ! -name '*.md' ! -name '.*' 2>/dev/null | sort); do
		# shellcheck disable=SC2086
		if "$fuzzer" $common "$f" >"$log" 2>&1; then
			echo "ok      $f"
		else
			echo "FAILED  $f"
			grep -v '^INFO: \|^Running: \|^Executed \|^\*\*\*\|^    #' "$log" | sed 's/^/        /'
			rc=1
		fi
	done
	files=$(find "$@" -type f ! -name '*.md' ! -name '.*' 2>/dev/null | sort)
	if [ -n "$files" ]; then
		# shellcheck disable=SC2086
		if echo "$files" | tr '\n' '\0' | xargs -0 "$fuzzer" $common >"$log" 2>&1; then
			echo "ok      $(echo "$files" | wc -l) seed inputs"
		else
			echo "FAILED  a seed input:"
			awk '/^Running: /{last=$0; next} /^Executed /{next} {if (last) {print last; last=""} print}' "$log"
			rc=1
		fi
	fi
	rm -f "$log"
	exit $rc
	;;
fuzz)
	workdir=$1
	dict=$2
	maxlen=$3
	shift 3
	mkdir -p "$workdir/corpus" "$workdir/artifacts"
	seconds=${FUZZ_SECONDS:-60}
	# shellcheck disable=SC2086
	"$fuzzer" $common -max_total_time="$seconds" -max_len="$maxlen" -dict="$dict" -print_final_stats=1 \
		-artifact_prefix="$workdir/artifacts/" ${FUZZ_EXTRA_ARGS:-} "$workdir/corpus" "$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "run-fuzzer: FAILED (exit $rc). What it saved:"
		ls -l "$workdir/artifacts/"
		echo "Minimise: $fuzzer -minimize_crash=1 -runs=100000 ARTIFACT; then add the result under"
		echo "tests/fuzz/regressions/<harness>/ (docs/fuzzing.md) and report the diagnosis."
		exit 1
	fi
	exit 0
	;;
*)
	echo "usage: run-fuzzer.sh replay FUZZER DIR... | fuzz FUZZER WORKDIR DICT MAXLEN SEEDDIR..." >&2
	exit 2
	;;
esac

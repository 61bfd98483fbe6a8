#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `sipwallctl block` and the XDP half of `sipwallctl stats` against the prefilter's pinned maps: the program is
# attached with `sipwallctl xdp attach` to one end of a veth pair between two network namespaces, its maps pinned
# in a private bpffs; SIP from a blocked source is dropped and counted as the entry's hits, an entry with --ttl
# stops matching once it expires, and bad arguments exit 1. Everything stays inside the namespaces; removed on exit.
# Usage: test_block.sh SIPWALLCTL          Exit 77 (skip) without root, ip netns, unshare, a bpffs or XDP support.
set -eu

CTL=${1:?usage: test_block.sh SIPWALLCTL}
PY=/usr/bin/python3

# shellcheck source-path=SCRIPTDIR source=../bpf/netns_lib.sh
. "$(dirname "$0")/../bpf/netns_lib.sh"
if netns_first_pass; then
	netns_require "$PY"
	"$CTL" xdp --help >/dev/null 2>&1 || skip "sipwallctl built without XDP support"
	netns_private_mnt "$@"
fi

failures=0
netns_setup swblk swb
ip -n "$B" addr add 192.0.2.3/24 dev "$IFB"

ip netns exec "$A" "$CTL" xdp attach "$IFA" >/dev/null || skip "cannot attach XDP here"

ctl() { "$CTL" -s "$T/no-daemon.sock" "$@"; }
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
# send SRC COUNT: SIP OPTIONS from SRC (namespace B) to 192.0.2.1:5060 (A)
send() {
	ip netns exec "$B" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[2])):
    s.sendto(b"OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx\r\n\r\n", ("192.0.2.1", 5060))
' "$1" "$2"
	sleep 0.2
}
# jq-less JSON probe: field PREFIX KEY from `block list -j`
entry() {
	ctl block list -j | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    if e["prefix"] == sys.argv[1]:
        print(e[sys.argv[2]]); break
else:
    print("absent")' "$1" "$2"
}
xdp_counter() {
	ctl stats -j 2>/dev/null | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["xdp"][sys.argv[1]])' "$1"
}

echo "== block add / list"
ctl block add 192.0.2.2 --ttl 2 --reason 'scanner from B' >/dev/null || fail "block add --ttl"
ctl block add 198.51.100.0/24 --reason forever >/dev/null || fail "block add"
ctl block add 2001:db8::/64 >/dev/null || fail "block add IPv6"
out=$(ctl block list)
echo "$out"
echo "$out" | grep -q "AGE" || fail "block list: no AGE column"
echo "$out" | grep -q "198.51.100.0/24 .* never .* forever" || fail "block list: the entry without ttl"
echo "$out" | grep -q "192.0.2.2/32 .* in [12]s .* scanner from B" || fail "block list: the entry with ttl"
[ "$(entry 192.0.2.2/32 expired)" = False ] || fail "fresh entry not expired"

echo "== hits and the prefilter's counters"
before=$(xdp_counter drop_blocklist)
send 192.0.2.2 5
send 192.0.2.3 3
[ "$(entry 192.0.2.2/32 hits)" = 5 ] || fail "hits of 192.0.2.2/32: $(entry 192.0.2.2/32 hits), want 5"
after=$(xdp_counter drop_blocklist)
[ $((after - before)) -eq 5 ] || fail "drop_blocklist moved by $((after - before)), want 5"
out=$(ctl stats 2>&1) && fail "stats without a daemon exits 0"
echo "$out" | grep -q "dataplane: not reachable" || fail "stats: says the dataplane is not reachable"
echo "$out" | grep -q "XDP prefilter" || fail "stats: XDP counters shown"
echo "$out" | grep -q "drop_blocklist" || fail "stats: drop_blocklist listed"

echo "== expiry honoured"
sleep 2.2
[ "$(entry 192.0.2.2/32 expired)" = True ] || fail "entry with --ttl 2 not expired after 2.2 s"
ctl block list | grep -q "192.0.2.2/32 .* expired" || fail "block list: expired shown"
before=$(xdp_counter drop_blocklist)
send 192.0.2.2 4
[ "$(xdp_counter drop_blocklist)" = "$before" ] || fail "an expired entry still drops"
[ "$(entry 192.0.2.2/32 hits)" = 5 ] || fail "an expired entry still counts hits"
out=$(ctl block gc) || fail "block gc"
echo "$out" | grep -q "deleted 1 expired entry" || fail "block gc: $out"
[ "$(entry 192.0.2.2/32 hits)" = absent ] || fail "gc left the expired entry"

echo "== del and bad arguments"
ctl block del 198.51.100.0/24 >/dev/null || fail "block del"
ctl block del 198.51.100.0/24 2>"$T/err" && fail "block del of a missing entry exits 0"
grep -q "not in the blocklist" "$T/err" || fail "block del: message"
for args in "add" "add 300.1.1.1" "add 192.0.2.9 --ttl 5x" "del" "list extra" "nonsense"; do
	# shellcheck disable=SC2086 # word splitting wanted
	if ctl block $args 2>"$T/err" >/dev/null; then
		fail "block $args exits 0"
	elif [ ! -s "$T/err" ]; then
		fail "block $args: no message on stderr"
	fi
done
ctl block --help | grep -q "Usage" || fail "block --help"

ip netns exec "$A" "$CTL" xdp detach "$IFA" >/dev/null || fail "detach"
echo "test_block: $failures failures"
[ "$failures" -eq 0 ]

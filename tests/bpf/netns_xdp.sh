#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The XDP prefilter on a real interface: two network namespaces joined by a veth pair, the program attached with
# `sipwallctl xdp attach` on the receiving end, SIP and non-SIP UDP sent from the other end. Checks what a UDP
# listener received against what was sent, and the counters in `sipwallctl xdp status -j` against both; then skb
# mode (maps shared across re-attach), adoption of a copy loaded by another loader (as DPDK's net_af_xdp does), and
# the CLI's error exits. Everything stays inside the namespaces and a private bpffs; removed on exit.
# Usage: netns_xdp.sh SIPWALLCTL SW_XDP_BPF_O        Exit 77 (skip) without root, ip netns, unshare or python3.
set -eu

CTL=${1:?usage: netns_xdp.sh SIPWALLCTL SW_XDP_BPF_O}
OBJ=${2:?usage: netns_xdp.sh SIPWALLCTL SW_XDP_BPF_O}

# shellcheck source-path=SCRIPTDIR source=netns_lib.sh
. "$(dirname "$0")/netns_lib.sh"
if netns_first_pass; then
	netns_require python3 bpftool
	netns_private_mnt "$@"
fi

failures=0
netns_setup swxdp swx
ip -n "$A" addr add 192.0.2.3/24 dev "$IFA"
ip -n "$A" addr add 2001:db8::1/64 dev "$IFA" nodad
ip -n "$B" addr add 2001:db8::2/64 dev "$IFB" nodad

# One helper for the listener, the sender and the checks.
cat >"$T/swx.py" <<'EOF'
import json, os, select, socket, sys

def listen(out):
    socks = []
    for fam, addr, port in ((socket.AF_INET, "0.0.0.0", 5060), (socket.AF_INET6, "::", 5060),
                            (socket.AF_INET, "0.0.0.0", 9999)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        socks.append(s)
    got = {}
    def dump():
        with open(out + ".tmp", "w") as f:
            json.dump(got, f)
        os.rename(out + ".tmp", out)
    dump()
    while True:
        for s in select.select(socks, [], [])[0]:
            data, peer = s.recvfrom(65535)
            key = "%s:%d" % (peer[0], s.getsockname()[1])
            got[key] = got.get(key, 0) + 1
            dump()

def send(src, dst, port, count, payload):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    data = payload.encode().decode("unicode_escape").encode("latin-1")
    for _ in range(int(count)):
        s.sendto(data, (dst, int(port)))

def check(status_file, recv_file, *expect):
    """expect: counter=N, counter>=N, recv:SRC:PORT=N, iface.KEY=VALUE, blocklist.KEY=N, config.KEY=JSON"""
    st = json.load(open(status_file))
    rc = json.load(open(recv_file)) if recv_file != "-" else {}
    bad = 0
    for e in expect:
        op = ">=" if ">=" in e else "="
        k, v = e.split(op, 1)
        if k.startswith("recv:"):
            have = rc.get(k[5:], 0)
        elif k.startswith("iface."):
            ifs = st["interfaces"]
            have = str(ifs[0][k[6:]]).lower() if ifs else "none"
        elif k.startswith("blocklist."):
            have = st["blocklist"][k[10:]]
        elif k.startswith("config."):
            have = json.dumps(st["config"][k[7:]], separators=(",", ":"))
        else:
            have = st["counters"][k]
        ok = (int(have) >= int(v)) if op == ">=" else (str(have) == v)
        print("  %-4s %-28s expected %s%s, got %s" % ("ok" if ok else "FAIL", k, op, v, have))
        bad += not ok
    sys.exit(1 if bad else 0)

{"listen": listen, "send": send, "check": check}[sys.argv[1]](*sys.argv[2:])
EOF

inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }
send() { inA python3 "$T/swx.py" send "$@"; }
ctl() { inB "$CTL" "$@"; }

# check NAME EXPECT... : status and receptions against expectations (after the last packets settle).
check() {
	name=$1
	shift
	sleep 0.3
	ctl xdp status -j >"$T/status.json"
	echo "== $name"
	if ! python3 "$T/swx.py" check "$T/status.json" "$T/recv.json" "$@"; then
		failures=$((failures + 1))
		cat "$T/status.json"
	fi
}

# expect_fail WHAT CMD... : the command must exit 1 with a message on stderr.
expect_fail() {
	what=$1
	shift
	if "$@" >"$T/out" 2>"$T/err"; then
		echo "  FAIL $what: exited 0"
		failures=$((failures + 1))
	elif [ ! -s "$T/err" ]; then
		echo "  FAIL $what: no message on stderr"
		failures=$((failures + 1))
	else
		echo "  ok   $what: $(head -n1 "$T/err")"
	fi
}

SIP='OPTIONS sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1\r\nMax-Forwards: 70\r\n\r\n'

# Not through inB: a function in the background is a subshell, and killing it would orphan the listener.
ip netns exec "$B" python3 "$T/swx.py" listen "$T/recv.json" &
NETNS_KILL=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/recv.json" ] && break; sleep 0.2; done
[ -s "$T/recv.json" ] || { echo "listener did not start"; exit 1; }

echo "== attach (native)"
ctl xdp attach "$IFB" --mode native

# Allowed and dropped traffic, each kind a known number of times.
send 192.0.2.1 192.0.2.2 5060 10 "$SIP"
send 192.0.2.1 192.0.2.2 9999 5 'hello, not SIP'
send 192.0.2.1 192.0.2.2 5060 3 '\x16\x03\x01\x00\x05binary'
send 192.0.2.1 192.0.2.2 5060 2 'AB'
send 192.0.2.1 192.0.2.2 5060 2 '\r\n\r\n'
send 2001:db8::1 2001:db8::2 5060 3 "$SIP"
check "native: SIP delivered, garbage dropped" \
	iface.mode=native iface.shared_maps=true \
	pass_no_socket=13 keepalive=2 drop_not_sip=3 drop_short=2 drop_blocklist=0 drop_malformed=0 \
	'pass_other>=5' recv:192.0.2.1:5060=12 recv:192.0.2.1:9999=5 recv:2001:db8::1:5060=3

echo "== block"
ctl xdp block add 192.0.2.1 --reason 'netns test' --ttl 1h
ctl xdp block add 2001:db8::1/128
send 192.0.2.1 192.0.2.2 5060 4 "$SIP"
send 2001:db8::1 2001:db8::2 5060 4 "$SIP"
send 192.0.2.1 192.0.2.2 9999 2 'blocked source, other service'
check "blocked sources dropped, other services still reached" \
	drop_blocklist=8 pass_no_socket=13 blocklist.ipv4=1 blocklist.ipv6=1 \
	recv:192.0.2.1:5060=12 recv:2001:db8::1:5060=3 recv:192.0.2.1:9999=7
ctl xdp block list

echo "== rate limit"
ctl xdp config --rate-pps 1 --rate-burst 5 >/dev/null
send 192.0.2.3 192.0.2.2 5060 20 "$SIP"
ctl xdp config --rate-pps 0 >/dev/null
check "1 pps, burst 5: five of twenty pass" drop_rate=15 pass_no_socket=18 recv:192.0.2.3:5060=5

echo "== re-attach in skb mode with a policy: same pinned maps, the policy's prefilter settings"
printf 'dataplane:\n  sip_ports: [5060, 5080]\nprefilter:\n  min_payload_bytes: 8\n  allow_fragments: false\n' \
	>"$T/policy.yaml"
ctl xdp detach "$IFB"
ctl xdp attach "$IFB" --mode skb --policy "$T/policy.yaml"
send 192.0.2.3 192.0.2.2 5060 2 "$SIP"
send 192.0.2.3 192.0.2.2 5080 1 "$SIP"
send 192.0.2.3 192.0.2.2 5060 1 'SHORT!'
send 192.0.2.1 192.0.2.2 5060 1 "$SIP"
check "skb mode shares counters and blocklist; policy applied" \
	iface.mode=skb iface.shared_maps=true config.sip_ports=[5060,5080] config.min_payload=8 \
	config.allow_fragments=false pass_no_socket=21 drop_short=3 drop_blocklist=9 recv:192.0.2.3:5060=7
ctl xdp detach "$IFB"

echo "== adopt a copy loaded by another loader (bpftool here, DPDK's net_af_xdp in production)"
bpftool prog load "$OBJ" "$T/bpffs/foreign" type xdp
inB bpftool net attach xdpgeneric pinned "$T/bpffs/foreign" dev "$IFB"
rm -f "$T/bpffs/foreign"
check "foreign load: own, unpinned maps" iface.shared_maps=false drop_blocklist=9
ctl xdp adopt "$IFB"
send 192.0.2.1 192.0.2.2 5060 2 "$SIP"
send 192.0.2.3 192.0.2.2 5060 1 "$SIP"
check "adopted: pins point at the live maps, blocklist and configuration carried over" \
	iface.shared_maps=true blocklist.ipv4=1 blocklist.ipv6=1 config.min_payload=8 drop_blocklist=2 \
	pass_no_socket=1 \
	recv:192.0.2.3:5060=8
ctl xdp block add 198.51.100.0/24 --ttl 1 --reason 'expires in 1s'
ctl xdp block del 2001:db8::1/128
sleep 1.1
ctl xdp block list
ctl xdp block gc
check "block del and gc" blocklist.ipv4=1 blocklist.ipv6=0 blocklist.expired=0
ctl xdp detach "$IFB"
if inB ip link show "$IFB" | grep -q 'prog/xdp'; then
	echo "  FAIL detach left a program on $IFB"
	failures=$((failures + 1))
fi

echo "== errors exit 1 with a message"
expect_fail "bad prefix" ctl xdp block add 192.0.2.300
expect_fail "bad prefix length" ctl xdp block add 2001:db8::/129
expect_fail "unknown interface" ctl xdp attach swxnosuch0
expect_fail "detach with nothing attached" ctl xdp detach "$IFB"
expect_fail "maps not pinned" env SIPWALL_PIN_ROOT="$T/bpffs/nothing" "$CTL" xdp block list
mkdir "$T/bpffs/other"
bpftool map create "$T/bpffs/other/sw_cfg" type array key 4 value 8 entries 1 name sw_cfg
expect_fail "pins of another layout" env SIPWALL_PIN_ROOT="$T/bpffs/other" "$CTL" xdp status
expect_fail "unblock what is not blocked" ctl xdp block del 192.0.2.99
if command -v setpriv >/dev/null 2>&1; then
	expect_fail "not root" setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" xdp status
fi

if [ "$failures" -ne 0 ]; then
	echo "FAILED: $failures check(s)"
	exit 1
fi
echo "PASS"

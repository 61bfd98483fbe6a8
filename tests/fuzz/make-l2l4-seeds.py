#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed frames of fuzz_l2l4 into corpus/l2l4/ (run from anywhere; the output is committed). Each frame is
# Ethernet (+ VLAN tags) / IPv4 or IPv6 (+ options or extension headers) / UDP with a correct checksum, carrying a
# SIP request the default policy answers (Max-Forwards: 0 -> 483) or passes, plus the shapes the decoder refuses.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "l2l4")

DST_MAC = bytes.fromhex("020000000001")
SRC_MAC = bytes.fromhex("020000000002")
V4_SRC, V4_DST = bytes([192, 0, 2, 20]), bytes([198, 51, 100, 1])
V6_SRC = bytes.fromhex("20010db8000000000000000000000020")
V6_DST = bytes.fromhex("20010db8000000000000000000000001")


def sip(mf="0", host="192.0.2.20"):
    return ("OPTIONS sip:bob@example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:5060;rport;branch=z9hG4bKl2l4\r\n"
            f"Max-Forwards: {mf}\r\n"
            "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=l2\r\n"
            "Call-ID: l2l4@example.com\r\nCSeq: 1 OPTIONS\r\nUser-Agent: seed-generator/1.0 padding padding\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp(payload, pseudo, sport=5060, dport=5060):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    c = csum(pseudo + struct.pack("!xBH", 17, 8 + len(payload)) + hdr + payload) or 0xffff
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), c) + payload


def ipv4(l4, opts=b"", frag=0, proto=17):
    ihl = (20 + len(opts)) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4), 0x1234, frag, 64, proto, 0,
                      V4_SRC, V4_DST) + opts
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + l4


def ipv6(l4, ext=b"", nh=17):
    return struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(l4), nh, 64, V6_SRC, V6_DST) + ext + l4


def eth(l3, ethertype, vlans=()):
    tags = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in vlans)
    return DST_MAC + SRC_MAC + tags + struct.pack("!H", ethertype) + l3


def main():
    os.makedirs(OUT, exist_ok=True)
    v4u = udp(sip(), V4_SRC + V4_DST)
    v6u = udp(sip(host="[2001:db8::20]"), V6_SRC + V6_DST)
    hop = struct.pack("!BB6x", 60, 0)      # hop-by-hop -> destination options
    dst = struct.pack("!BB6x", 17, 0)      # destination options -> UDP
    frames = {
        "v4-udp-sip.bin": eth(ipv4(v4u), 0x0800),
        "v4-udp-pass.bin": eth(ipv4(udp(sip(mf="70"), V4_SRC + V4_DST)), 0x0800),
        "v4-vlan.bin": eth(ipv4(v4u), 0x0800, [(0x8100, 100)]),
        "v4-qinq.bin": eth(ipv4(v4u), 0x0800, [(0x88a8, 10), (0x8100, 20)]),
        "v4-options.bin": eth(ipv4(v4u, opts=b"\x07\x07\x04" + b"\0" * 4 + b"\x01"), 0x0800),
        "v4-padding.bin": eth(ipv4(udp(b"\r\n\r\n", V4_SRC + V4_DST)), 0x0800) + b"\0" * 14,
        "v4-frag-first.bin": eth(ipv4(v4u[:64], frag=0x2000), 0x0800),
        "v4-frag-later.bin": eth(ipv4(v4u[64:128], frag=8), 0x0800),
        "v4-tcp.bin": eth(ipv4(b"\0" * 20, proto=6), 0x0800),
        "v6-udp-sip.bin": eth(ipv6(v6u), 0x86dd),
        "v6-ext.bin": eth(ipv6(v6u, ext=hop + dst, nh=0), 0x86dd),
        "v6-frag.bin": eth(ipv6(v6u[:64], ext=struct.pack("!BxHI", 17, 1, 0xabcd), nh=44), 0x86dd),
        "v6-atomic-frag.bin": eth(ipv6(v6u, ext=struct.pack("!BxHI", 17, 0, 0xabce), nh=44), 0x86dd),
        "arp.bin": eth(b"\0\1\x08\0\6\4\0\1" + SRC_MAC + V4_SRC + b"\0" * 6 + V4_DST, 0x0806),
    }
    for name, frame in frames.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()

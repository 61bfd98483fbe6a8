#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write classic pcap files of SIP traffic, one class per file or a mix with stated proportions.

pktgen-dpdk reads classic pcap (not pcapng), so that is what this writes: Ethernet II, optional 802.1Q tag, IPv4,
UDP with correct IPv4 and UDP checksums. Every message is built here from a template; provenance is in each
template's comment. MAC and IP addresses can be set to fit a bench. Standard library only.

  sipgen.py --class invite -o invite.pcap              one class
  sipgen.py --mix demo -o demo.pcap                    one of each class (the README's demo; --mix all: every one)
  sipgen.py --mix realistic --mtu 1500 ...             the 5000-byte MESSAGE as IPv4 fragments, as a link carries it
  sipgen.py --mix realistic --count 10000 -o mix.pcap  a realistic edge mix (proportions in MIXES below)
  sipgen.py --list                                     the classes and mixes
"""
import argparse
import random
import struct
import sys

SDP = ("v=0\r\no=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\ns=call\r\nc=IN IP4 198.51.100.7\r\n"
       "t=0 0\r\nm=audio 49170 RTP/AVP 0 8 97 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n"
       "a=sendrecv\r\n")


def request(method, uri, src, n, extra="", body="", max_forwards="70", cseq_method=None, ua="sipwall-gen/1.0",
            call_id=True):
    """A well-formed RFC 3261 8.1.1 request from src (ip, port); n makes Call-ID/branch/tag unique."""
    ip, port = src
    hdrs = [f"Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK{n:08x}a;rport"]
    if max_forwards is not None:
        hdrs.append(f"Max-Forwards: {max_forwards}")
    hdrs += [f"From: \"Alice\" <sip:alice@example.com>;tag={n:06x}1f",
             "To: <sip:bob@example.net>"]
    if call_id:
        hdrs.append(f"Call-ID: {n:08x}-3c2d@{ip}")
    hdrs += [f"CSeq: {n % 100000 + 1} {cseq_method or method}",
             f"Contact: <sip:alice@{ip}:{port}>", f"User-Agent: {ua}"]
    if extra:
        hdrs += extra.split("\n")
    if body:
        hdrs.append("Content-Type: application/sdp")
    hdrs.append(f"Content-Length: {len(body)}")
    return (f"{method} {uri} SIP/2.0\r\n" + "\r\n".join(hdrs) + "\r\n\r\n" + body).encode()


def response(src, n):
    ip, port = src
    return (f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK{n:08x}r\r\n"
            f"From: <sip:bob@example.net>;tag={n:06x}2\r\nTo: <sip:alice@example.com>;tag={n:06x}3\r\n"
            f"Call-ID: {n:08x}-9a@203.0.113.10\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


# class -> (description, builder(src, n) -> (payload bytes, udp dport), expected sipwall action under defaults)
CLASSES = {
    "invite": ("valid INVITE with SDP (~600 bytes)", lambda s, n: request(
        "INVITE", "sip:bob@example.net", s, n, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\nSupported: timer, 100rel",
        SDP), "pass"),
    "register": ("valid REGISTER", lambda s, n: request(
        "REGISTER", "sip:example.com", s, n, "Expires: 3600"), "pass"),
    "options": ("valid OPTIONS", lambda s, n: request("OPTIONS", "sip:bob@example.net", s, n), "pass"),
    "ack": ("ACK (never answered)", lambda s, n: request("ACK", "sip:bob@example.net", s, n), "pass"),
    "response": ("200 OK response (never answered)", lambda s, n: response(s, n), "pass"),
    "bad400": ("INVITE without Call-ID: 400", lambda s, n: request(
        "INVITE", "sip:bob@example.net", s, n, "", SDP, call_id=False), "reply 400"),
    "cseq400": ("CSeq method mismatch: 400", lambda s, n: request(
        "INVITE", "sip:bob@example.net", s, n, "", SDP, cseq_method="BYE"), "reply 400"),
    "big413": ("5000-byte MESSAGE: 413", lambda s, n: request(
        "MESSAGE", "sip:bob@example.net", s, n, "Content-Type: text/plain".replace("Content-Type: text/plain", ""),
        "x" * 4800).replace(b"\r\n\r\n\r\n", b"\r\n\r\n"), "reply 413"),
    "long414": ("1100-byte Request-URI: 414", lambda s, n: request(
        "INVITE", "sip:" + "a" * 1100 + "@example.net", s, n), "reply 414"),
    "ext420": ("unknown Proxy-Require: 420", lambda s, n: request(
        "INVITE", "sip:bob@example.net", s, n, "Proxy-Require: com.example.secret, 100rel"), "reply 420"),
    "hops483": ("Max-Forwards 0: 483", lambda s, n: request(
        "OPTIONS", "sip:bob@example.net", s, n, max_forwards="0"), "reply 483"),
    "ver505": ("SIP/3.0 request line: 505", lambda s, n: request(
        "OPTIONS", "sip:bob@example.net", s, n).replace(b" SIP/2.0\r\n", b" SIP/3.0\r\n", 1), "reply 505"),
    "lf400": ("a header line ended by a bare LF: 400", lambda s, n: request(
        "REGISTER", "sip:example.com", s, n, "Expires: 3600").replace(b"\r\nTo: ", b"\nTo: ", 1), "reply 400"),
    "mf400": ("Max-Forwards not a number: 400", lambda s, n: request(
        "OPTIONS", "sip:bob@example.net", s, n, max_forwards="ten"), "reply 400"),
    "scanner": ("friendly-scanner OPTIONS (dropped by a scanner rule)", lambda s, n: request(
        "OPTIONS", "sip:100@203.0.113.10", s, n, ua="friendly-scanner"), "pass"),
    "sipvicious": ("sipvicious REGISTER (dropped by a scanner rule)", lambda s, n: request(
        "REGISTER", "sip:203.0.113.10", s, n, ua="sipvicious"), "pass"),
    "junk": ("random bytes to the SIP port", lambda s, n: bytes(random.Random(n).getrandbits(8)
                                                                 for _ in range(64 + n % 200)), "drop"),
    "nonsip": ("a DNS-like datagram to port 53 (not SIP: not judged)", lambda s, n: b"\x12\x34\x01\x00" + b"\0" * 40,
               "not judged"),
}
DPORT = {"nonsip": 53}

# mix -> list of (class, weight). 'realistic' approximates an edge under scanning: most traffic good, some hostile.
MIXES = {
    # demo: one of each of the first fifteen classes (the README's demo and tests/cli count on exactly these)
    "demo": [(c, 1) for c in CLASSES if c not in ("ver505", "lf400", "mf400")],
    "all": [(c, 1) for c in CLASSES],
    "realistic": [("invite", 15), ("register", 25), ("options", 20), ("ack", 10), ("response", 10),
                  ("scanner", 8), ("sipvicious", 4), ("bad400", 1), ("cseq400", 1), ("big413", 1),
                  ("long414", 1), ("ext420", 1), ("hops483", 1), ("ver505", 1), ("junk", 1), ("nonsip", 1)],
}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frames(args, payload, src_ip, sport, dport, ident):
    """The Ethernet frames of one UDP datagram: one, or IPv4 fragments of at most --mtu bytes of IP each (a
    datagram larger than the link's MTU arrives fragmented; pktgen and NICs send no frame above the MTU)."""
    sip, dip = bytes(map(int, src_ip.split("."))), bytes(map(int, args.dst_ip.split(".")))
    udp_len = 8 + len(payload)
    pseudo = sip + dip + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    uc = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", uc) + udp[8:]
    l2 = bytes.fromhex(args.dst_mac.replace(":", "")) + bytes.fromhex(args.src_mac.replace(":", ""))
    if args.vlan is not None:
        l2 += struct.pack("!HH", 0x8100, args.vlan)
    chunk = (args.mtu - 20) // 8 * 8  # fragment offsets count 8-byte units
    out = []
    for off in range(0, len(udp), chunk):
        part = udp[off:off + chunk]
        more = 0x2000 if off + chunk < len(udp) else 0
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), ident & 0xffff, more | off // 8, 64, 17, 0,
                         sip, dip)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        out.append(l2 + struct.pack("!H", 0x0800) + ip + part)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--class", dest="cls", action="append", choices=sorted(CLASSES), help="a traffic class")
    ap.add_argument("--mix", choices=sorted(MIXES), help="a mix of classes")
    ap.add_argument("--count", type=int, default=0, help="packets (default: one per class, or 1000 for a mix)")
    ap.add_argument("-o", "--output", help="classic pcap file to write")
    ap.add_argument("--src-mac", default="02:00:00:00:00:01")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:02")
    ap.add_argument("--src-net", default="198.51.100", help="sources are SRC_NET.1 .. SRC_NET.250")
    ap.add_argument("--dst-ip", default="203.0.113.10")
    ap.add_argument("--vlan", type=int, help="802.1Q VLAN id")
    ap.add_argument("--mtu", type=int, default=65535,
                    help="largest IP packet; larger datagrams are written as IPv4 fragments (default 65535: never; "
                         "give the link's, e.g. 1500, for pktgen and NICs)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true", help="list classes and mixes")
    args = ap.parse_args()
    if args.list:
        for c, (d, _, exp) in CLASSES.items():
            print(f"{c:12} {d}  [default policy: {exp}]")
        for m, w in MIXES.items():
            total = sum(n for _, n in w)
            print(f"mix {m}: " + ", ".join(f"{c} {100 * n / total:.3g}%" for c, n in w))
        return 0
    if not args.output or bool(args.cls) == bool(args.mix):
        ap.error("give -o FILE and either --class (repeatable) or --mix")
    rnd = random.Random(args.seed)
    if args.mix in ("demo", "all") and not args.count:
        seq = [c for c, _ in MIXES[args.mix]]
    elif args.mix:
        classes, weights = zip(*MIXES[args.mix])
        seq = rnd.choices(classes, weights, k=args.count or 1000)
    else:
        seq = [args.cls[i % len(args.cls)] for i in range(args.count or len(args.cls))]
    written = 0
    with open(args.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for n, c in enumerate(seq):
            src = (f"{args.src_net}.{1 + n % 250}", 5060 + n % 7)
            payload = CLASSES[c][1](src, n)
            sport = 40000 + n % 20000 if c in DPORT else src[1]  # a non-SIP flow uses no SIP port at all
            for pkt in frames(args, payload, src[0], sport, DPORT.get(c, 5060), n):
                f.write(struct.pack("<IIII", 1700000000 + n // 1000, (n % 1000) * 1000, len(pkt), len(pkt)))
                f.write(pkt)
                written += 1
    print(f"sipgen: wrote {len(seq)} datagrams ({written} frames) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

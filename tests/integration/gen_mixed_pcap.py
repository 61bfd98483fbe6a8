#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the mixed captures of the pcap integration test and what sipwall must do with every frame.

  gen_mixed_pcap.py DIR      writes DIR/out_in.pcap (frames arriving on the outside port), DIR/in_in.pcap
                             (arriving on the inside port) and DIR/expect.json

Every case states how its frames are made and what must come out, under tests/integration/policy.yaml:
  pass   the frames leave by the other port, byte for byte (fragments: reassembled, judged, and re-emitted as the
         very fragments that came in, in offset order)
  reply  one reply leaves by the same port: a valid frame to the request's source with the given status
  drop   nothing leaves
Each client case uses its own source /24 (IPv6: /64) so that the reply budget only bites where a case floods.
"""
import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib as P  # noqa: E402

SERVER4 = ipaddress.ip_address("203.0.113.10").packed
SERVER6 = ipaddress.ip_address("2001:db8:ffff::10").packed
SDP = ("v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.7\r\ns=-\r\nc=IN IP4 198.18.0.7\r\nt=0 0\r\n"
       "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def sip_request(method, branch, host, port, uri="sip:bob@example.net", extra=(), body="", max_forwards="70",
                call_id=True, cseq_method=None, version="SIP/2.0", ua="integration/1.0"):
    """An RFC 3261 8.1.1 request; `branch` makes it unique and is how the checker finds its reply."""
    via_host = f"[{host}]" if ":" in host else host
    h = [f"Via: SIP/2.0/UDP {via_host}:{port};branch=z9hG4bK{branch};rport"]
    if max_forwards is not None:
        h.append(f"Max-Forwards: {max_forwards}")
    h += [f"From: <sip:alice@example.com>;tag=f{branch}", "To: <sip:bob@example.net>"]
    if call_id:
        h.append(f"Call-ID: {branch}@integration")
    h += [f"CSeq: 1 {cseq_method or method}", f"Contact: <sip:alice@{via_host}:{port}>", f"User-Agent: {ua}"]
    h += list(extra)
    if body:
        h.append("Content-Type: application/sdp")
    h.append(f"Content-Length: {len(body.encode())}")
    return (f"{method} {uri} {version}\r\n" + "\r\n".join(h) + "\r\n\r\n" + body).encode()


def sip_response(branch, host, port):
    return (f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{branch}\r\n"
            f"From: <sip:bob@example.net>;tag=r{branch}\r\nTo: <sip:alice@example.com>;tag=t{branch}\r\n"
            f"Call-ID: {branch}@integration\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


class Gen:
    def __init__(self):
        self.frames = {"outside": [], "inside": []}
        self.cases = []
        self.n = 0

    def client(self, v6=False, host=7):
        """A fresh source prefix per case."""
        self.n += 1
        if v6:
            return ipaddress.ip_address(f"2001:db8:0:{self.n:x}::{host:x}")
        return ipaddress.ip_address(f"198.18.{self.n}.{host}")

    def add(self, name, frames, expect, side="outside", status=None, branch=None, src=None, sport=None,
            vlans=()):
        first = len(self.frames[side])
        self.frames[side] += frames
        self.cases.append({"name": name, "side": side, "frames": list(range(first, first + len(frames))),
                           "expect": expect, "status": status, "branch": branch,
                           "src": str(src) if src else None, "sport": sport,
                           "vlans": [v.hex() for v in vlans]})

    # -- builders --

    def udp_frame(self, src, payload, sport=5062, dport=5060, vlans=(), checksum="ok", ip_opts=b"",
                  v6_ext=False, ip_bad=False, to_server=True):
        dst = SERVER6 if src.version == 6 else SERVER4
        s = src.packed
        u = P.udp(s, dst, sport, dport, payload, checksum=checksum)
        if src.version == 4:
            ip = P.ipv4(s, dst, u, options=ip_opts, bad_checksum=ip_bad)
            return P.ether(vlans=vlans) + ip
        ext = P.dstopts(P.PROTO_UDP) if v6_ext else b""
        return P.ether(vlans=vlans, ethertype=P.ETH_IPV6) + P.ipv6(s, dst, u, ext=ext, first_nh=60)

    def request_case(self, name, expect, status=None, v6=False, vlans=(), sport=5062, dport=5060, **kw):
        frame_kw = {k: kw.pop(k) for k in ("checksum", "ip_opts", "v6_ext", "ip_bad") if k in kw}
        method = kw.pop("method", "OPTIONS")
        src = self.client(v6)
        branch = f"{len(self.cases):04d}" + "".join(ch for ch in name if ch.isalnum())[:12]
        payload = sip_request(method, branch, str(src), sport, **kw)
        tags = [P.struct.pack("!HH", t, v) for t, v in vlans]
        self.add(name, [self.udp_frame(src, payload, sport, dport, vlans, **frame_kw)], expect, status=status,
                 branch=branch, src=src, sport=sport, vlans=tags)
        return payload


def build():
    g = Gen()
    q1 = [(P.TPID_8021Q, 100)]
    qinq = [(P.TPID_8021AD, 200), (P.TPID_8021Q, 300)]

    # valid requests, answers that are never answered (RFC 3261 8.2, 17.1.1.3)
    g.request_case("valid INVITE with SDP", "pass", method="INVITE", body=SDP)
    g.request_case("valid REGISTER", "pass", method="REGISTER", uri="sip:example.net", extra=["Expires: 3600"])
    g.request_case("valid OPTIONS", "pass")
    g.request_case("ACK", "pass", method="ACK")
    src = g.client()
    g.add("200 OK response", [g.udp_frame(src, sip_response("resp1", str(src), 5060), sport=5060)], "pass")
    # every reply class
    g.request_case("400 no Call-ID", "reply", 400, method="INVITE", body=SDP, call_id=False)
    g.request_case("400 CSeq method mismatch", "reply", 400, method="INVITE", cseq_method="BYE")
    g.request_case("413 over max_message_bytes (jumbo frame)", "reply", 413, method="MESSAGE",
                   extra=["Content-Type: text/plain"], body="x" * 4200)
    g.request_case("414 Request-URI over 256 bytes", "reply", 414, uri="sip:" + "a" * 300 + "@example.net")
    g.request_case("420 unknown Proxy-Require", "reply", 420, extra=["Proxy-Require: com.example.nothing"])
    g.request_case("483 Max-Forwards 0", "reply", 483, max_forwards="0")
    g.request_case("505 SIP/3.0", "reply", 505, version="SIP/3.0")
    g.request_case("400 on the second SIP port", "reply", 400, dport=5070, call_id=False)
    # scanners (the policy's rule), junk to the SIP port
    g.request_case("friendly-scanner", "drop", ua="friendly-scanner")
    g.request_case("sipvicious", "drop", method="REGISTER", ua="sipvicious")
    src = g.client()
    g.add("junk to 5060", [g.udp_frame(src, bytes(range(256)) * 2)], "drop")
    # L2 variants; the reply keeps the tags
    g.request_case("802.1Q valid INVITE", "pass", vlans=q1, method="INVITE", body=SDP)
    g.request_case("802.1Q 483", "reply", 483, vlans=q1, max_forwards="0")
    g.request_case("QinQ valid OPTIONS", "pass", vlans=qinq)
    g.request_case("QinQ 400", "reply", 400, vlans=qinq, call_id=False)
    # IPv6; extension headers (the reply has a plain header); IPv4 options (the reply has none)
    g.request_case("IPv6 valid OPTIONS", "pass", v6=True)
    g.request_case("IPv6 400", "reply", 400, v6=True, call_id=False)
    g.request_case("IPv6 + Destination Options 483", "reply", 483, v6=True, v6_ext=True, max_forwards="0")
    g.request_case("IPv6 QinQ 420", "reply", 420, v6=True, vlans=qinq, extra=["Proxy-Require: x-none"])
    g.request_case("IPv4 options 400", "reply", 400, ip_opts=b"\x01\x01\x01\x00", call_id=False)
    # checksums
    g.request_case("UDP checksum 0 over IPv4 (legal)", "pass", checksum="zero")
    g.request_case("UDP checksum 0 over IPv6 (illegal)", "drop", v6=True, checksum="zero")
    g.request_case("bad UDP checksum", "drop", checksum="bad", call_id=False)
    g.request_case("bad IPv4 header checksum", "drop", ip_bad=True, call_id=False)
    # not ours: passes untouched whatever it looks like
    src = g.client()
    g.add("DNS query", [g.udp_frame(src, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",
                                    sport=33000, dport=53)], "pass")
    g.add("UDP to 9999 with a bad checksum", [g.udp_frame(src, b"hello", dport=9999, checksum="bad")], "pass")
    tcp = P.struct.pack("!HHIIBBHHH", 40000, 5060, 1, 0, 0x50, 0x02, 65535, 0, 0)
    g.add("TCP SYN to 5060", [P.ether() + P.ipv4(src.packed, SERVER4, tcp, proto=P.PROTO_TCP)], "pass")
    arp = P.struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, P.MAC_CLIENT, src.packed, b"\0" * 6, SERVER4)
    g.add("ARP request", [b"\xff" * 6 + P.MAC_CLIENT + P.struct.pack("!H", P.ETH_ARP) + arp + b"\0" * 18], "pass")
    # frames that lie about their lengths, truncated frames
    src = g.client()
    ok = g.udp_frame(src, sip_request("OPTIONS", "lie1", str(src), 5062))
    g.add("truncated in the SIP payload", [ok[:len(ok) - 40]], "drop")
    g.add("truncated in the IPv4 header", [ok[:14 + 12]], "drop")
    g.add("truncated Ethernet header", [ok[:10]], "drop")
    lying_ip = bytearray(ok)
    lying_ip[16:18] = P.struct.pack("!H", len(ok) - 14 + 100)
    g.add("IPv4 total length beyond the frame", [bytes(lying_ip)], "drop")
    lying_udp = bytearray(ok)
    lying_udp[14 + 20 + 4:14 + 20 + 6] = P.struct.pack("!H", len(ok) - 34 + 9)
    g.add("UDP length beyond the datagram", [bytes(lying_udp)], "drop")
    # a reply is never sent to a multicast source
    src = ipaddress.ip_address("224.0.1.75")
    g.add("400 from a multicast source", [g.udp_frame(src, sip_request("OPTIONS", "mcast", "198.18.250.1", 5062,
                                                                       call_id=False))], "drop")
    # fragments: reassembled, judged, and passed as the fragments that came in
    big_sdp = SDP + "".join(f"a=x-filler-{i}:{'y' * 60}\r\n" for i in range(30))
    for name, v6, order, vl in (("IPv4 fragments of a valid INVITE", False, None, ()),
                                ("IPv4 fragments out of order", False, [2, 0, 1], ()),
                                ("IPv4 fragments in 802.1Q", False, None, q1),
                                ("IPv6 fragments of a valid INVITE", True, [1, 2, 0], ())):
        src = g.client(v6)
        branch = f"frag{len(g.cases)}"
        payload = sip_request("INVITE", branch, str(src), 5062, body=big_sdp)
        tags = [P.struct.pack("!HH", t, v) for t, v in vl]
        frame = g.udp_frame(src, payload, vlans=vl)
        l2 = 14 + 4 * len(vl)
        frags = (P.fragments_v6(frame[:l2], frame[l2:], 1232, 0x10000 + len(g.cases)) if v6
                 else P.fragments_v4(frame[:l2], frame[l2:], 1000))
        assert len(frags) == 3, len(frags)
        if order:
            frags = [frags[i] for i in order]
        g.add(name, frags, "pass", branch=branch, src=src, vlans=tags)
    src = g.client()
    branch = f"frag{len(g.cases)}"
    payload = sip_request("MESSAGE", branch, str(src), 5062, extra=["Content-Type: text/plain"], body="z" * 5000)
    frame = g.udp_frame(src, payload)
    g.add("IPv4 fragments of a 5 kB MESSAGE: 413", P.fragments_v4(frame[:14], frame[14:], 1480), "reply", status=413,
          branch=branch, src=src, sport=5062)
    src = g.client()
    frame = g.udp_frame(src, b"D" * 1800, sport=33001, dport=53)
    g.add("IPv4 fragments of non-SIP UDP", P.fragments_v4(frame[:14], frame[14:], 1000), "pass")
    # the reply budget: 25 bad requests from one /24 with a burst of 20 (policy.yaml): 20 answered, 5 dropped
    for i in range(25):
        src = ipaddress.ip_address(f"198.18.222.{i + 1}")
        branch = f"budget{i:02d}"
        payload = sip_request("OPTIONS", branch, str(src), 5062, max_forwards="0")
        g.add(f"budget flood {i}", [g.udp_frame(src, payload)], "reply" if i < 20 else "drop",
              status=483 if i < 20 else None, branch=branch, src=src, sport=5062)
    # from the inside: forwarded to the outside unjudged (dataplane.judge_inside: false)
    srv = ipaddress.ip_address("203.0.113.10")
    resp = sip_response("in1", "203.0.113.10", 5060)
    client = ipaddress.ip_address("198.18.1.7").packed
    g.add("inside: 200 OK to a client", [P.ether(dst=P.MAC_CLIENT, src=P.MAC_SERVER) + P.ipv4(
        srv.packed, client, P.udp(srv.packed, client, 5060, 5062, resp))], "pass", side="inside")
    g.add("inside: malformed request (not judged)", [P.ether(dst=P.MAC_CLIENT, src=P.MAC_SERVER) + P.ipv4(
        srv.packed, client, P.udp(srv.packed, client, 5060, 5062, b"INVITE x\r\n\r\n"))], "pass", side="inside")
    g.add("inside: truncated frame (not judged)", [P.ether(dst=P.MAC_CLIENT, src=P.MAC_SERVER)[:13]], "pass",
          side="inside")
    return g


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    g = build()
    P.write_pcap(os.path.join(out, "out_in.pcap"), g.frames["outside"])
    P.write_pcap(os.path.join(out, "in_in.pcap"), g.frames["inside"])
    with open(os.path.join(out, "expect.json"), "w") as f:
        json.dump({"cases": g.cases}, f, indent=1)
    print(f"gen_mixed_pcap: {len(g.frames['outside'])} outside + {len(g.frames['inside'])} inside frames, "
          f"{len(g.cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())

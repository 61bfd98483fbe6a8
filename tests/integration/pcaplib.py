# SPDX-License-Identifier: BSD-3-Clause
"""Frames, classic pcap files and reference checksums for the dataplane's integration tests.

Standard library only. Every frame is built field by field from its RFC layout (Ethernet II, IEEE 802.1Q and
802.1ad, RFC 791 IPv4 with options, RFC 8200 IPv6 with extension headers and fragments, RFC 768 UDP) and every
checksum here is an RFC 1071 one's-complement sum written for the tests: nothing is shared with the C code under
test, so the checker recomputes what sipwall wrote independently.
"""
import struct

MAC_CLIENT = bytes.fromhex("020000000001")  # the outside host's side of the wire
MAC_SERVER = bytes.fromhex("020000000002")  # the inside host's side
ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
TPID_8021Q, TPID_8021AD = 0x8100, 0x88A8
PROTO_TCP, PROTO_UDP = 6, 17


def csum(data, start=0):
    """RFC 1071: the 16-bit one's-complement of the one's-complement sum (start: a partial sum)."""
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo_sum(src, dst, length):
    """Partial sum of the UDP pseudo-header (RFC 768 / RFC 8200 8.1): addresses, protocol, length."""
    data = src + dst
    s = sum(struct.unpack(f"!{len(data) // 2}H", data)) + PROTO_UDP + length
    return s


def udp_checksum(src, dst, udp):
    c = csum(udp, pseudo_sum(src, dst, len(udp)))
    return c or 0xFFFF


def ether(dst=MAC_SERVER, src=MAC_CLIENT, vlans=(), ethertype=ETH_IPV4):
    """Ethernet II with tags outer first: vlans is a list of (tpid, vid)."""
    h = dst + src
    for tpid, vid in vlans:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", ethertype)


def ipv4(src, dst, payload, proto=PROTO_UDP, ident=0x4242, flags_off=0, ttl=64, tos=0, options=b"",
         bad_checksum=False, total_length=None):
    ihl = 5 + len(options) // 4
    tl = total_length if total_length is not None else ihl * 4 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, tl, ident, flags_off, ttl, proto, 0, src, dst) + options
    c = csum(h) ^ (0x1111 if bad_checksum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, payload, nh=PROTO_UDP, hlim=64, ext=b"", first_nh=None, payload_length=None):
    """ext: already-built extension headers; first_nh: the base header's Next Header when ext is given."""
    pl = payload_length if payload_length is not None else len(ext) + len(payload)
    return struct.pack("!IHBB16s16s", 6 << 28, pl, first_nh if ext else nh, hlim, src, dst) + ext + payload


def dstopts(next_header):
    """An 8-byte Destination Options header carrying one PadN option."""
    return struct.pack("!BBBB4s", next_header, 0, 1, 4, b"\0" * 4)


def udp(src_ip, dst_ip, sport, dport, payload, checksum="ok", length=None):
    ln = length if length is not None else 8 + len(payload)
    u = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    if checksum == "zero":
        return u
    c = udp_checksum(src_ip, dst_ip, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)
    if checksum == "bad":
        c ^= 0x5A5A
    return u[:6] + struct.pack("!H", c) + u[8:]


def fragments_v4(frame_l2, ip_packet, chunk):
    """Split an IPv4 packet (no options) into fragments of `chunk` payload bytes, as a host does (RFC 791 3.2)."""
    hdr, data = ip_packet[:20], ip_packet[20:]
    ident = struct.unpack("!H", hdr[4:6])[0]
    src, dst, proto = hdr[12:16], hdr[16:20], hdr[9]
    out = []
    for off in range(0, len(data), chunk):
        piece = data[off:off + chunk]
        more = off + chunk < len(data)
        out.append(frame_l2 + ipv4(src, dst, piece, proto=proto, ident=ident,
                                   flags_off=(0x2000 if more else 0) | (off // 8)))
    return out


def fragments_v6(frame_l2, ip_packet, chunk, ident):
    """Split an IPv6 packet (no extension headers) with a Fragment header (RFC 8200 4.5)."""
    src, dst, nh = ip_packet[8:24], ip_packet[24:40], ip_packet[6]
    data = ip_packet[40:]
    out = []
    for off in range(0, len(data), chunk):
        piece = data[off:off + chunk]
        more = off + chunk < len(data)
        fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        out.append(frame_l2 + ipv6(src, dst, piece, ext=fh, first_nh=44))
    return out


# ---- classic pcap ----

def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)) + fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


# ---- parsing a frame (for the checker) ----

class Frame:
    """Ethernet / VLAN / IP / UDP fields of a frame, with every length checked; .error says what is wrong."""

    def __init__(self, raw):
        self.raw, self.error = raw, None
        self.vlans, self.ip_ver, self.udp = [], 0, None
        try:
            self._parse()
        except (struct.error, IndexError, ValueError) as e:
            self.error = f"unparsable: {e}"

    def _parse(self):
        r = self.raw
        self.dst_mac, self.src_mac = r[0:6], r[6:12]
        off = 12
        et = struct.unpack("!H", r[off:off + 2])[0]
        while et in (TPID_8021Q, TPID_8021AD, 0x9100):
            self.vlans.append(r[off:off + 4])
            off += 4
            et = struct.unpack("!H", r[off:off + 2])[0]
        self.l2_len = off + 2
        self.ethertype = et
        ip = r[self.l2_len:]
        if et == ETH_IPV4:
            self._ipv4(ip)
        elif et == ETH_IPV6:
            self._ipv6(ip)

    def _ipv4(self, ip):
        self.ip_ver = 4
        ihl = (ip[0] & 15) * 4
        self.ihl, self.tos, tl = ihl, ip[1], struct.unpack("!H", ip[2:4])[0]
        self.ident, self.flags_off = struct.unpack("!HH", ip[4:8])
        self.ttl, self.proto = ip[8], ip[9]
        self.src, self.dst = ip[12:16], ip[16:20]
        self.ip_hdr_ok = csum(ip[:ihl]) == 0
        if tl != len(ip):
            self.error = f"IPv4 total length {tl} but {len(ip)} bytes after L2"
            return
        if self.proto == PROTO_UDP and not (self.flags_off & 0x3FFF):
            self._udp(ip[ihl:tl])

    def _ipv6(self, ip):
        self.ip_ver = 6
        pl, self.proto, self.ttl = struct.unpack("!HBB", ip[4:8])
        self.tos = (struct.unpack("!I", ip[0:4])[0] >> 20) & 0xFF
        self.src, self.dst = ip[8:24], ip[24:40]
        self.ip_hdr_ok = True
        if pl + 40 != len(ip):
            self.error = f"IPv6 payload length {pl} but {len(ip) - 40} bytes after the header"
            return
        off, nh = 40, self.proto
        while nh in (0, 43, 60):  # Hop-by-Hop, Routing, Destination Options (RFC 8200 4.3-4.6)
            nh, off = ip[off], off + (ip[off + 1] + 1) * 8
        self.l4_proto = nh
        if nh == PROTO_UDP:
            self._udp(ip[off:])

    def _udp(self, seg):
        sport, dport, ln, ck = struct.unpack("!HHHH", seg[:8])
        if ln != len(seg):
            self.error = f"UDP length {ln} but {len(seg)} bytes"
            return
        self.udp = (sport, dport)
        self.udp_cksum = ck
        if ck == 0:
            self.udp_ok = self.ip_ver == 4
        else:
            self.udp_ok = csum(seg, pseudo_sum(self.src, self.dst, len(seg))) == 0
        self.payload = seg[8:]

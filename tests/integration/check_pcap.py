#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check what sipwall sent against what gen_mixed_pcap.py expects. Every output frame is accounted for.

  check_pcap.py DIR     reads DIR/expect.json, DIR/{out,in}_in.pcap (what went in), DIR/{out,in}_out.pcap
                        (what the outside and inside ports sent); exit 0 when everything matches

On each port, output frames are either passes or replies:
  - passes must be byte-identical to the expected frames, in order (a fragmented datagram's fragments in offset
    order, where its last fragment arrived);
  - replies are valid frames (IPv4 header and UDP checksums recomputed here), to the request's source address
    and port, from its destination, MACs swapped and VLAN tags kept, with the expected status, the request's Via
    branch, and no longer than the request (no amplification);
  - anything else is an error, and so is an expected frame that never came.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib as P  # noqa: E402

OTHER = {"outside": "inside", "inside": "outside"}


def frag_offset(raw):
    """Fragment offset of an IPv4 / IPv6 fragment frame (for the expected re-emission order)."""
    f = P.Frame(raw)
    ip = raw[f.l2_len:]
    if f.ip_ver == 4:
        return (struct.unpack("!H", ip[6:8])[0] & 0x1FFF) * 8
    return struct.unpack("!H", ip[42:44])[0] & 0xFFF8


def expectations(exp, inputs):
    passes = {"outside": [], "inside": []}
    replies = {"outside": [], "inside": []}
    for c in exp["cases"]:
        frames = [inputs[c["side"]][i] for i in c["frames"]]
        if c["expect"] == "pass":
            if len(frames) > 1:
                frames = sorted(frames, key=frag_offset)
            passes[OTHER[c["side"]]] += [(c, fr) for fr in frames]
        elif c["expect"] == "reply":
            first = min(frames, key=frag_offset) if len(frames) > 1 else frames[0]
            replies[c["side"]].append((c, first, frames))
    return passes, replies


def request_payload_len(frames):
    """UDP payload length of the request (reassembled: the sum of the fragments' IP payloads, minus UDP)."""
    if len(frames) == 1:
        return len(P.Frame(frames[0]).payload)
    total = 0
    for raw in frames:
        f = P.Frame(raw)
        ip = raw[f.l2_len:]
        total += len(ip) - (f.ihl if f.ip_ver == 4 else 48)
    return total - 8


def request_ports(raw):
    """UDP ports of a request frame, or of the first fragment of one (its UDP header follows the IP header)."""
    f = P.Frame(raw)
    if f.udp is not None:
        return f.udp
    ip = raw[f.l2_len:]
    hl = f.ihl if f.ip_ver == 4 else 48
    return struct.unpack("!HH", ip[hl:hl + 4])


def check_reply(c, req_raw, req_frames, out):
    """Errors of reply frame `out` for case c (request's first frame req_raw)."""
    err = []
    req, rep = P.Frame(req_raw), P.Frame(out)
    if rep.error or rep.udp is None:
        return [f"not a whole UDP frame: {rep.error}"]
    if rep.dst_mac != req.src_mac or rep.src_mac != req.dst_mac:
        err.append("MAC addresses not swapped")
    if rep.vlans != req.vlans:
        err.append(f"VLAN tags {[v.hex() for v in rep.vlans]} != request's {[v.hex() for v in req.vlans]}")
    if rep.ip_ver != req.ip_ver or rep.src != req.dst or rep.dst != req.src:
        err.append("IP addresses not swapped")
    if rep.ip_ver == 4:
        if rep.ihl != 20 or not rep.ip_hdr_ok:
            err.append(f"IPv4 header: IHL {rep.ihl}, checksum ok {rep.ip_hdr_ok}")
        if rep.flags_off != 0x4000 or rep.ttl != 64:
            err.append(f"IPv4 flags/offset {rep.flags_off:#x} TTL {rep.ttl}")
    elif rep.proto != P.PROTO_UDP or rep.ttl != 64:
        err.append(f"IPv6 next header {rep.proto} hop limit {rep.ttl}")
    req_ports = request_ports(req_raw)
    if rep.udp != (req_ports[1], req_ports[0]):
        err.append(f"UDP ports {rep.udp} for a request {req_ports}")
    if not rep.udp_ok or rep.udp_cksum == 0:
        err.append(f"UDP checksum {rep.udp_cksum:#06x} wrong")
    text = rep.payload.decode("latin-1")
    if not text.startswith(f"SIP/2.0 {c['status']} "):
        err.append(f"status line {text.splitlines()[0] if text else ''!r}, want {c['status']}")
    if f"branch=z9hG4bK{c['branch']}" not in text:
        err.append("the request's Via branch is missing")
    if len(rep.payload) > request_payload_len(req_frames):
        err.append(f"reply of {len(rep.payload)} bytes is longer than its request")
    return err


def reply_key(raw):
    f = P.Frame(raw)
    if f.error or f.udp is None:
        return None
    text = f.payload.decode("latin-1")
    i = text.find("branch=z9hG4bK")
    if i < 0:
        return None
    j = i + len("branch=z9hG4bK")
    k = j
    while k < len(text) and text[k] not in ";,\r\n ":
        k += 1
    return text[j:k]


def check(d):
    with open(os.path.join(d, "expect.json")) as f:
        exp = json.load(f)
    inputs = {"outside": P.read_pcap(os.path.join(d, "out_in.pcap")),
              "inside": P.read_pcap(os.path.join(d, "in_in.pcap"))}
    outputs = {"outside": P.read_pcap(os.path.join(d, "out_out.pcap")),
               "inside": P.read_pcap(os.path.join(d, "in_out.pcap"))}
    passes, replies = expectations(exp, inputs)
    errors, stats = [], {"pass": 0, "reply": 0}
    for port in ("outside", "inside"):
        want_pass, pi, skipped = passes[port], 0, []
        want_reply = {c["branch"]: (c, first, frames) for c, first, frames in replies[port]}
        for n, out in enumerate(outputs[port]):
            if pi < len(want_pass) and out == want_pass[pi][1]:
                pi += 1
                stats["pass"] += 1
                continue
            later = next((j for j in range(pi + 1, len(want_pass)) if want_pass[j][1] == out), None)
            if later is not None:  # the ones in between are late or missing: decided at the end
                skipped += want_pass[pi:later]
                pi = later + 1
                stats["pass"] += 1
                continue
            late = next((j for j, (_, fr) in enumerate(skipped) if fr == out), None)
            if late is not None:
                errors.append(f"{port} frame {n}: pass of '{skipped[late][0]['name']}' out of order")
                del skipped[late]
                continue
            key = reply_key(out)
            if key in want_reply:
                c, first, frames = want_reply.pop(key)
                for e in check_reply(c, first, frames, out):
                    errors.append(f"{port} frame {n}: reply to '{c['name']}': {e}")
                stats["reply"] += 1
                continue
            nxt = want_pass[pi][0]["name"] if pi < len(want_pass) else "nothing"
            errors.append(f"{port} frame {n} ({len(out)} bytes) is unexpected (next pass expected: {nxt})")
        for c, _ in skipped + want_pass[pi:]:
            errors.append(f"{port}: pass of '{c['name']}' never came out")
        for c, _, _ in want_reply.values():
            errors.append(f"{port}: reply {c['status']} to '{c['name']}' never came out")
    return errors, stats


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors, stats = check(sys.argv[1])
    for e in errors:
        print("FAIL:", e)
    print(f"check_pcap: {stats['pass']} passes and {stats['reply']} replies as expected, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

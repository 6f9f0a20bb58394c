#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes fragmented traffic as a pcap (Ethernet, microseconds) and, on
stdout, the frames' labels one a line in pcap order.

   frag.py OUT.pcap [LABEL-PREFIX...]

With prefixes, only the frames whose label starts with one of them.

The guest (10.0.2.15 / fd00::f) sends, IPv4 and IPv6: a UDP datagram to
port 53 split in two fragments (as its kernel does for any datagram over its
MTU), a TCP SYN to port 22 whose first fragment holds only 8 bytes of TCP
(RFC 1858's tiny fragment), an ICMP echo whose first fragment holds 4 bytes,
and a UDP datagram to port 5353 split in two. Unfragmented UDP to 53 and TCP
to 22 go first as controls. Every checksum is right."""
import struct
import sys

from pkt import csum

GUEST_MAC = bytes.fromhex("02000000020f")
ROUTER_MAC = bytes.fromhex("020000000202")
G4, R4 = bytes([10, 0, 2, 15]), bytes([203, 0, 113, 5])
G6 = bytes.fromhex("fd00000000000000000000000000000f")
R6 = bytes.fromhex("20010db8000000000000000000000005")


def pseudo(v6, proto, n):
    if v6:
        return G6 + R6 + struct.pack("!IxxxB", n, proto)
    return G4 + R4 + struct.pack("!BBH", 0, proto, n)


def udp(v6, sp, dp, data):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    c = csum(pseudo(v6, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(v6, sp, dp, flags):
    seg = struct.pack("!HHIIBBHHH", sp, dp, 1000, 0, 5 << 4, flags, 29200, 0, 0)
    return seg[:16] + struct.pack("!H", csum(pseudo(v6, 6, len(seg)) + seg)) + seg[18:]


def icmp(v6, data):
    m = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x1234, 1) + data
    if v6:
        c = csum(pseudo(True, 58, len(m)) + m)
    else:
        c = csum(m)
    return m[:2] + struct.pack("!H", c) + m[4:]


def ip4(proto, payload, ident=0, off=0, mf=False):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    (0x2000 if mf else 0) | (off // 8), 64, proto, 0, G4, R4)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return b"\x08\x00" + h + payload


def ip6(proto, payload, ident=None, off=0, mf=False):
    if ident is not None:
        payload = struct.pack("!BBHI", proto, 0, off | (1 if mf else 0), ident) + payload
        proto = 44
    h = struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, G6, R6)
    return b"\x86\xdd" + h + payload


frames = []


def out(label, l3):
    frames.append((label, ROUTER_MAC + GUEST_MAC + l3))


def split(v6, proto, seg, cut, ident, name):
    """seg in two fragments, the first holding seg[:cut] (cut a multiple of 8)."""
    ip = ip6 if v6 else ip4
    out(name + "-first", ip(proto, seg[:cut], ident, 0, True))
    out(name + "-last", ip(proto, seg[cut:], ident, cut, False))


def main():
    for v6 in (False, True):
        f = "6" if v6 else "4"
        ip = ip6 if v6 else ip4
        icmp_p = 58 if v6 else 1
        out("udp53-whole-v" + f, ip(17, udp(v6, 50000, 53, b"q" * 20)))
        out("tcp22-whole-v" + f, ip(6, tcp(v6, 40000, 22, 2)))
        split(v6, 17, udp(v6, 50001, 53, b"d" * 200), 104, 0x101, "udp53-frag-v" + f)
        split(v6, 6, tcp(v6, 40001, 22, 2), 8, 0x102, "tcp22-tiny-v" + f)
        split(v6, icmp_p, icmp(v6, b"p" * 60), 8, 0x103, "icmp-frag-v" + f)
        # a first fragment with 4 bytes of ICMP: no identifier
        out("icmp-tiny-v" + f, ip(icmp_p, icmp(v6, b"p" * 60)[:4], 0x104, 0, True))
        split(v6, 17, udp(v6, 50002, 5353, b"m" * 200), 104, 0x105, "udp5353-frag-v" + f)
    only = sys.argv[2:]
    keep = [(l, fr) for l, fr in frames if not only or any(l.startswith(o) for o in only)]
    with open(sys.argv[1], "wb") as fo:
        fo.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (label, fr) in enumerate(keep):
            fo.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)
            print(label)


main()

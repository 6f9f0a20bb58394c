#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the differential test's traffic as a pcap (Ethernet, microseconds).

   gen.py OUT.pcap

The guest (10.0.2.15, MAC GUEST_MAC) talks through the router's guest port
(ROUTER_G_MAC) to hosts behind its host port (ROUTER_H_MAC), which stand
behind HOST_MAC: TCP handshakes, data and closes to allowed and denied
ports, UDP with replies, ICMP echo both ways, ICMP errors about tracked and
untracked flows, unsolicited inbound connections, a spoofed source, a
mid-stream ACK, an out-of-window segment. Then the same over IPv6 (the guest
fd00::f, the host side's router fd64::1, remote hosts in 2001:db8::/32):
TCP sessions, UDP with replies, ICMPv6 echo both ways and errors, neighbour
solicitations and advertisements between global addresses (link-scope ones
never cross a router), a hop-by-hop options header, a destination options
header, an atomic fragment (a fragment header with offset 0 and no more
fragments), unsolicited inbound connections. Every checksum is right
(Linux's conntrack calls a bad one invalid).""" 
import socket
import struct
import sys

from pkt import csum

GUEST_MAC = bytes.fromhex("02000000020f")
ROUTER_G_MAC = bytes.fromhex("020000000202")
ROUTER_H_MAC = bytes.fromhex("020000006402")
HOST_MAC = bytes.fromhex("020000006401")
G = "10.0.2.15"
H = "192.168.100.1"
R = "203.0.113.5"
R2 = "203.0.113.77"
G6 = "fd00::f"
H6 = "fd64::1"
R6 = "2001:db8::5"
R6B = "2001:db8:0:1::77"


def ip4(s):
    if ":" in s:
        return socket.inet_pton(socket.AF_INET6, s)
    return bytes(int(x) for x in s.split("."))


ip_id = [1000]


def ipv6(src, dst, proto, payload, hop=64, ext=()):
    """ext: (header type, body after its next-header byte) pairs, outermost
    first; proto is the L4 protocol after them."""
    for typ, body in reversed(ext):
        payload = bytes([proto]) + body + payload
        proto = typ
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, hop, ip4(src),
                       ip4(dst)) + payload


HBH_PADN = (0, b"\x00\x01\x04\x00\x00\x00\x00")  # hop-by-hop: one PadN option
DST_PADN = (60, b"\x00\x01\x04\x00\x00\x00\x00")  # destination options: the same
ATOMIC_FRAG = (44, b"\x00\x00\x00\x00\x00\xbe\xef")  # offset 0, no more fragments


def ipv4(src, dst, proto, payload, ttl=64, ext=()):
    if ":" in src:
        return ipv6(src, dst, proto, payload, ext=ext)
    ip_id[0] += 1
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ip_id[0], 0x4000, ttl, proto, 0,
                    ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(src, dst, proto, seg):
    if ":" in src:
        pseudo = ip4(src) + ip4(dst) + struct.pack("!IxxxB", len(seg), proto)
    else:
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def tcp(src, dst, sp, dp, seq, ack, flags, data=b"", win=29200, ext=()):
    fl = 0
    for ch, bit in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16)):
        if ch in flags:
            fl |= bit
    seg = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, fl, win,
                      0, 0) + data
    seg = seg[:16] + struct.pack("!H", l4sum(src, dst, 6, seg)) + seg[18:]
    return ipv4(src, dst, 6, seg, ext=ext)


def udp(src, dst, sp, dp, data, ext=()):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    c = l4sum(src, dst, 17, seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return ipv4(src, dst, 17, seg, ext=ext)


def icmp6(src, dst, typ, code, rest, data=b"", hop=64, ext=()):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    m = m[:2] + struct.pack("!H", l4sum(src, dst, 58, m)) + m[4:]
    return ipv6(src, dst, 58, m, hop, ext)


def icmp(src, dst, typ, code, rest, data=b""):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return ipv4(src, dst, 1, m)


frames = []


def ethertype(pkt):
    return b"\x86\xdd" if pkt[0] >> 4 == 6 else b"\x08\x00"


def from_guest(pkt):
    frames.append(ROUTER_G_MAC + GUEST_MAC + ethertype(pkt) + pkt)


def from_host(pkt):
    frames.append(ROUTER_H_MAC + HOST_MAC + ethertype(pkt) + pkt)


def tcp_session(c, s, sp, dp, isn_c, isn_s, out=from_guest, back=from_host):
    """A whole TCP session, client c to server s."""
    out(tcp(c, s, sp, dp, isn_c, 0, "S"))
    back(tcp(s, c, dp, sp, isn_s, isn_c + 1, "SA"))
    out(tcp(c, s, sp, dp, isn_c + 1, isn_s + 1, "A"))
    out(tcp(c, s, sp, dp, isn_c + 1, isn_s + 1, "PA", b"hello\n"))
    back(tcp(s, c, dp, sp, isn_s + 1, isn_c + 7, "PA", b"world!\n"))
    out(tcp(c, s, sp, dp, isn_c + 7, isn_s + 8, "FA"))
    back(tcp(s, c, dp, sp, isn_s + 8, isn_c + 8, "FA"))
    out(tcp(c, s, sp, dp, isn_c + 8, isn_s + 9, "A"))


def udp_exchange(c, s, sp, dp):
    from_guest(udp(c, s, sp, dp, b"query"))
    from_host(udp(s, c, dp, sp, b"answer"))
    from_guest(udp(c, s, sp, dp, b"again"))


def v6_traffic():
    # TCP from the guest to allowed and denied ports
    for i, dp in enumerate((22, 80, 443, 23, 8080)):
        tcp_session(G6, R6, 41000 + i, dp, 2000 * (i + 1), 600000 * (i + 1))
    tcp_session(G6, H6, 41100, 443, 17000, 990000)
    tcp_session(G6, R6B, 41101, 22, 18000, 991000)
    # UDP
    for i, dp in enumerate((53, 123, 9999)):
        udp_exchange(G6, R6, 51000 + i, dp)
    # ICMPv6 echo, both ways, and a reply nobody asked for
    from_guest(icmp6(G6, R6, 128, 0, struct.pack("!HH", 0x2345, 1), b"ping"))
    from_host(icmp6(R6, G6, 129, 0, struct.pack("!HH", 0x2345, 1), b"ping"))
    from_host(icmp6(R6, G6, 128, 0, struct.pack("!HH", 0x5432, 1), b"ping"))
    from_guest(icmp6(G6, R6, 129, 0, struct.pack("!HH", 0x5432, 1), b"ping"))
    from_host(icmp6(R6, G6, 129, 0, struct.pack("!HH", 0x7778, 9), b"pong"))
    # ICMPv6 errors: port unreachable about the guest's DNS flow (tracked) and
    # about a flow never seen, packet too big about a tracked TCP session
    q = udp(G6, R6, 51000, 53, b"query")
    from_host(icmp6(R6, G6, 1, 4, b"\0\0\0\0", q[:48]))
    q = udp(G6, R6, 51999, 7, b"x")
    from_host(icmp6(R6, G6, 1, 4, b"\0\0\0\0", q[:48]))
    from_guest(tcp(G6, R6, 41200, 80, 70000, 0, "S"))
    from_host(tcp(R6, G6, 80, 41200, 80000, 70001, "SA"))
    from_guest(tcp(G6, R6, 41200, 80, 70001, 80001, "A"))
    q = tcp(G6, R6, 41200, 80, 70001, 80001, "PA", b"x" * 40)
    from_guest(q)
    from_host(icmp6(R6, G6, 2, 0, struct.pack("!I", 1280), q[:88]))
    # neighbour discovery between global addresses (hop limit 255 as sent)
    from_guest(icmp6(G6, R6, 135, 0, b"\0" * 4, ip4(R6) + b"\x01\x01" + GUEST_MAC, 255))
    from_host(icmp6(R6, G6, 136, 0, struct.pack("!I", 0x60000000),
                    ip4(R6) + b"\x02\x01" + HOST_MAC, 255))
    from_host(icmp6(R6, G6, 135, 0, b"\0" * 4, ip4(G6) + b"\x01\x01" + HOST_MAC, 255))
    # extension headers: hop-by-hop, destination options, an atomic fragment
    from_guest(tcp(G6, R6, 41300, 22, 90000, 0, "S", ext=(HBH_PADN,)))
    from_guest(tcp(G6, R6, 41301, 23, 91000, 0, "S", ext=(HBH_PADN,)))
    from_guest(udp(G6, R6, 51100, 53, b"hbh", ext=(HBH_PADN, DST_PADN)))
    from_guest(udp(G6, R6, 51101, 9999, b"dst", ext=(DST_PADN,)))
    from_guest(udp(G6, R6, 51102, 53, b"atomic", ext=(ATOMIC_FRAG,)))
    from_guest(udp(G6, R6, 51103, 9999, b"atomic", ext=(ATOMIC_FRAG,)))
    from_guest(icmp6(G6, R6, 128, 0, struct.pack("!HH", 0x3456, 1), b"hbh", ext=(HBH_PADN,)))
    # unsolicited inbound connections
    for sp, dp in ((34000, 22), (34001, 8080)):
        from_host(tcp(R6, G6, sp, dp, 223456, 0, "S"))
        from_guest(tcp(G6, R6, dp, sp, 877, 223457, "SA"))
    # a spoofed source from the guest
    from_guest(tcp("fd64::50", R6, 41500, 22, 1, 0, "S"))
    from_guest(udp("2001:db8:1::9", R6, 41501, 53, b"spoof"))


def main():
    # TCP from the guest to allowed and denied ports
    for i, dp in enumerate((22, 80, 443, 23, 25, 8080, 3306)):
        tcp_session(G, R, 40000 + i, dp, 1000 * (i + 1), 500000 * (i + 1))
    tcp_session(G, H, 40100, 443, 7000, 900000)
    tcp_session(G, R2, 40101, 22, 8000, 910000)
    # UDP
    for i, dp in enumerate((53, 123, 1500, 9999, 5353)):
        udp_exchange(G, R, 50000 + i, dp)
    # ICMP echo, both ways
    from_guest(icmp(G, R, 8, 0, struct.pack("!HH", 0x1234, 1), b"ping"))
    from_host(icmp(R, G, 0, 0, struct.pack("!HH", 0x1234, 1), b"ping"))
    from_host(icmp(R, G, 8, 0, struct.pack("!HH", 0x4321, 1), b"ping"))
    from_guest(icmp(G, R, 0, 0, struct.pack("!HH", 0x4321, 1), b"ping"))
    # an echo reply nobody asked for
    from_host(icmp(R, G, 0, 0, struct.pack("!HH", 0x7777, 9), b"pong"))
    # ICMP errors: about the guest's DNS flow (tracked) and about a flow never seen
    q = udp(G, R, 50000, 53, b"query")
    from_host(icmp(R, G, 3, 3, b"\0\0\0\0", q[:28]))
    q = udp(G, R, 50999, 7, b"x")
    from_host(icmp(R, G, 3, 3, b"\0\0\0\0", q[:28]))
    # unsolicited inbound connections
    for sp, dp in ((33000, 22), (33001, 8080), (33002, 80)):
        from_host(tcp(R, G, sp, dp, 123456, 0, "S"))
        from_guest(tcp(G, R, dp, sp, 777, 123457, "SA"))
    # a spoofed source from the guest
    from_guest(tcp("192.168.100.50", R, 40500, 22, 1, 0, "S"))
    from_guest(udp("198.51.100.9", R, 40501, 53, b"spoof"))
    # a mid-stream ACK (conntrack picks it up) and a SYN-ACK out of nowhere
    from_guest(tcp(G, R, 40600, 22, 5555, 6666, "A", b"mid"))
    from_host(tcp(R, G, 22, 40600, 6666, 5558, "A", b"stream"))
    from_host(tcp(R, G, 22, 40601, 999, 1000, "SA"))
    # a session, then a segment far outside its window
    tcp_session(G, R, 40700, 80, 100000, 200000)
    from_guest(tcp(G, R, 40701, 80, 300000, 0, "S"))
    from_host(tcp(R, G, 80, 40701, 400000, 300001, "SA"))
    from_guest(tcp(G, R, 40701, 80, 300001, 400001, "A"))
    from_guest(tcp(G, R, 40701, 80, 300001 + 2000000000, 400001, "PA", b"far"))
    from_host(tcp(R, G, 80, 40701, 400001, 300001, "PA", b"ok"))
    from_guest(tcp(G, R, 40701, 80, 300001, 400003, "R"))
    v6_traffic()

    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            ts = 1700000000 * 1000000 + i * 1000
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()

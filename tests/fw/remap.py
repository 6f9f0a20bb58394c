#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rewrites a capture from elsewhere so that the differential test's router
can forward it: the same packets between the guest and remote hosts.

   remap.py IN.pcap OUT.pcap

Reads pcaps in both byte orders, micro- or nanosecond, with link types
Ethernet, Linux SLL and SLL2, BSD loopback and raw IP. The source of the
first IP packet (its address, and its port where both ends share one
address, as over loopback) becomes the guest (10.0.2.15, fd00::f; its frames from
GUEST_MAC to the router's guest port), every other address a remote host
(203.0.113.10 and on, 2001:db8::10 and on; its frames from HOST_MAC to the
router's host port). TTL and hop limit become 64 (a captured TTL of 1 would
expire in the router), every checksum is computed afresh (the captures have
offloaded ones), the timestamps 1 ms apart (the router's clock is the
replay's). Left out, and counted on stderr: packets that are not IPv4 or
IPv6, IPv4 fragments and IPv6 packets with extension headers (the kernel
reassembles; per-frame verdicts differ by design), packets over 1500 bytes
(the veth MTU), packets between two remote hosts."""
import socket
import struct
import sys

from pkt import csum

GUEST_MAC = bytes.fromhex("02000000020f")
ROUTER_G_MAC = bytes.fromhex("020000000202")
ROUTER_H_MAC = bytes.fromhex("020000006402")
HOST_MAC = bytes.fromhex("020000006401")
MTU = 1500


def records(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit("remap.py: not a pcap")
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        yield link, e, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_of(link, e, rec):
    """The IP packet a record holds, or None."""
    if link == 1:
        et, off = struct.unpack("!H", rec[12:14])[0], 14
        while et in (0x8100, 0x88A8) and len(rec) >= off + 4:
            et, off = struct.unpack("!H", rec[off + 2:off + 4])[0], off + 4
        return rec[off:] if et in (0x0800, 0x86DD) else None
    if link == 113:
        return rec[16:] if struct.unpack("!H", rec[14:16])[0] in (0x0800, 0x86DD) else None
    if link == 276:
        return rec[20:] if struct.unpack("!H", rec[0:2])[0] in (0x0800, 0x86DD) else None
    if link in (0, 108):
        fam = struct.unpack((e if link == 0 else "!") + "I", rec[:4])[0]
        return rec[4:] if fam in (2, 24, 28, 30) else None
    if link in (12, 14, 101):
        return rec
    return None


class Mapper:
    """The guest is the first packet's source endpoint: its address, and its
    port where a capture (over loopback) has both ends on one address."""

    def __init__(self):
        self.guest = None
        self.remote = {}

    def from_guest(self, s, d, sport):
        """True from the guest, False to it, None between remote hosts."""
        if self.guest is None:
            self.guest = (s, sport)
        if s == d == self.guest[0]:
            return sport == self.guest[1]
        if s == self.guest[0]:
            return True
        return False if d == self.guest[0] else None

    def remote_addr(self, a):
        if a not in self.remote:
            self.remote[a] = 10 + len(self.remote)
        n = self.remote[a]
        if len(a) == 16:
            return socket.inet_pton(socket.AF_INET6, "2001:db8::%x" % n)
        return bytes([203, 0, 113, n & 0xFF])

    def addrs(self, s, d, sport, why):
        """The new source and destination, and whether from the guest."""
        g = self.from_guest(s, d, sport)
        if g is None:
            why["remote to remote"] = why.get("remote to remote", 0) + 1
            return None
        guest = socket.inet_pton(socket.AF_INET6, "fd00::f") if len(s) == 16 else bytes(
            [10, 0, 2, 15])
        return (guest, self.remote_addr(d), True) if g else (self.remote_addr(s), guest, False)


def port(proto, seg):
    return seg[0:2] if proto in (6, 17) and len(seg) >= 2 else None


def l4_fix(proto, seg, pseudo):
    seg = bytearray(seg)
    at = {6: 16, 17: 6, 1: 2, 58: 2}.get(proto)
    if at is None or len(seg) < at + 2:
        return bytes(seg)
    seg[at:at + 2] = b"\0\0"
    c = csum((pseudo if proto != 1 else b"") + bytes(seg))
    if proto == 17 and c == 0:
        c = 0xFFFF
    seg[at:at + 2] = struct.pack("!H", c)
    return bytes(seg)


def remap(ip, m, why):
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        if hl < 20 or tot < hl or tot > len(ip):
            why["malformed"] = why.get("malformed", 0) + 1
            return None
        ip = bytearray(ip[:tot])
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            why["fragment"] = why.get("fragment", 0) + 1
            return None
        a = m.addrs(bytes(ip[12:16]), bytes(ip[16:20]), port(ip[9], ip[hl:]), why)
        if a is None:
            return None
        s, d, g = a
        ip[12:16], ip[16:20], ip[8] = s, d, 64
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip[:hl])))
        seg = bytes(ip[hl:])
        pseudo = s + d + struct.pack("!BBH", 0, ip[9], len(seg))
        return bytes(ip[:hl]) + l4_fix(ip[9], seg, pseudo), g
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        plen = struct.unpack("!H", ip[4:6])[0]
        if 40 + plen > len(ip):
            why["malformed"] = why.get("malformed", 0) + 1
            return None
        ip = bytearray(ip[:40 + plen])
        if ip[6] not in (6, 17, 58):
            why["ipv6 extension"] = why.get("ipv6 extension", 0) + 1
            return None
        a = m.addrs(bytes(ip[8:24]), bytes(ip[24:40]), port(ip[6], ip[40:]), why)
        if a is None:
            return None
        s, d, g = a
        ip[8:24], ip[24:40], ip[7] = s, d, 64
        pseudo = s + d + struct.pack("!IxxxB", plen, ip[6])
        return bytes(ip[:40]) + l4_fix(ip[6], bytes(ip[40:]), pseudo), g
    why["not ip"] = why.get("not ip", 0) + 1
    return None


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    m, why, out = Mapper(), {}, []
    for link, e, rec in records(data):
        ip = ip_of(link, e, rec)
        if ip is None:
            why["not ip"] = why.get("not ip", 0) + 1
            continue
        r = remap(ip, m, why)
        if r is None:
            continue
        pkt, guest = r
        if len(pkt) > MTU:
            why["over mtu"] = why.get("over mtu", 0) + 1
            continue
        et = b"\x86\xdd" if pkt[0] >> 4 == 6 else b"\x08\x00"
        out.append((ROUTER_G_MAC + GUEST_MAC if guest else ROUTER_H_MAC + HOST_MAC) + et + pkt)
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(out):
            ts = 1700000000 * 1000000 + i * 1000
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)
    print("%d frames%s" % (len(out), "".join("; %d %s" % (n, w) for w, n in sorted(why.items()))),
          file=sys.stderr)


if __name__ == "__main__":
    main()

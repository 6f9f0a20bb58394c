#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The firewall benchmark's inputs (bench/fw.sh; docs/benchmarks-fw.md).

   fw-gen.py rules N PROTO BASE OUT.nft   N rules `PROTO dport P accept`,
                                          P = BASE .. BASE+N-1, policy drop
   fw-gen.py set N PROTO BASE OUT.nft     one rule `PROTO dport @ports accept`
                                          over a set of those N ports
   fw-gen.py pcap FRAMES FLOWS BASE SPAN SEED OUT.pcap
                                          FRAMES frames (Ethernet,
                                          microseconds) of FLOWS flows, half
                                          TCP, half UDP, half from the guest
                                          (10.0.2.15), half to it, each to a
                                          port drawn from BASE .. BASE+SPAN-1

A layer's tail (the io test guest's own rules, tests/layers/fw/io.nft) may
follow the N rules: `--tail FILE` after the other arguments puts FILE's
lines in the chain after them. Every checksum is right. The flows are fewer
than conntrack's table holds (16384), so no frame is dropped for a full
table; each flow's frames are the same bytes, in a shuffled order."""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fw"))
from pkt import csum  # noqa: E402

GUEST_MAC = bytes.fromhex("02000000020f")
ROUTER_MAC = bytes.fromhex("020000000202")
G = bytes([10, 0, 2, 15])
PAYLOAD = 64


def frame(tcp, from_guest, remote, sport, dport):
    src, dst = (G, remote) if from_guest else (remote, G)
    smac, dmac = (GUEST_MAC, ROUTER_MAC) if from_guest else (ROUTER_MAC, GUEST_MAC)
    data = bytes(PAYLOAD)
    if tcp:
        proto = 6
        # a SYN: a flow's first frame, and every later copy a retransmission
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 0x50, 0x02, 65535, 0, 0)
        data = b""
    else:
        proto = 17
        l4 = struct.pack("!HHHH", sport, dport, 8 + PAYLOAD, 0)
    seg = l4 + data
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    if tcp:
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    else:
        seg = seg[:6] + struct.pack("!H", c or 0xFFFF) + seg[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + seg


def pcap(frames, flows, base, span, seed, out):
    rnd = random.Random(seed)
    tuples, seen = [], set()
    while len(tuples) < flows:
        t = (rnd.random() < 0.5, rnd.random() < 0.5,
             bytes([192, 0, 2, rnd.randrange(1, 255)]), rnd.randrange(32768, 61000),
             base + rnd.randrange(span))
        if t not in seen:
            seen.add(t)
            tuples.append(t)
    bodies = [frame(*t) for t in tuples]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(frames):
            b = bodies[n % flows] if n < flows else bodies[rnd.randrange(flows)]
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(b), len(b)))
            f.write(b)


def policy(kind, n, proto, base, out, tail):
    with open(out, "w") as f:
        f.write("table inet bench {\n")
        if kind == "set":
            f.write("\tset ports {\n\t\ttype inet_service\n\t\telements = { ")
            f.write(", ".join(str(base + i) for i in range(n)))
            f.write(" }\n\t}\n")
        f.write("\tchain forward {\n\t\ttype filter hook forward priority 0; policy drop;\n")
        if kind == "set":
            f.write("\t\t%s dport @ports accept\n" % proto)
        else:
            for i in range(n):
                f.write("\t\t%s dport %d accept\n" % (proto, base + i))
        for line in tail:
            f.write("\t\t%s\n" % line)
        f.write("\t}\n}\n")


def main(a):
    tail = []
    if len(a) > 2 and a[-2] == "--tail":
        tail = [l.strip() for l in open(a[-1]) if l.strip()]
        a = a[:-2]
    if len(a) == 6 and a[1] in ("rules", "set"):
        policy(a[1], int(a[2]), a[3], int(a[4]), a[5], tail)
    elif len(a) == 8 and a[1] == "pcap":
        pcap(int(a[2]), int(a[3]), int(a[4]), int(a[5]), int(a[6]), a[7])
    else:
        sys.exit(__doc__)


main(sys.argv)

#!/usr/bin/env python3
"""The io guest's UDP frames as a pcap, for the offline mode (tests/layers/ids.sh).

  pcap.py DISK N OUT

Frame i (0 <= i < N) is what the io guest sends in its UDP mode
(src/layer/iotest.c): from 10.0.2.15:4000 to 10.0.2.2:(5000 + i % 4), its
payload the 4-byte number i (big-endian) and DISK's bytes
[i * 1024, (i + 1) * 1024). One frame a millisecond. Checksums are 0 (no
UDP checksum; the offline mode verifies none).
"""
import struct
import sys


def ip_sum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    disk = open(sys.argv[1], "rb").read()
    n = int(sys.argv[2])
    out = open(sys.argv[3], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        pay = struct.pack("!I", i) + disk[i * 1024:(i + 1) * 1024]
        udp = struct.pack("!HHHH", 4000, 5000 + i % 4, 8 + len(pay), 0) + pay
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2]))
        ip = ip[:10] + struct.pack("!H", ip_sum(ip)) + ip[12:]
        eth = bytes.fromhex("525400123502") + bytes.fromhex("525400123456") + b"\x08\x00"
        frame = eth + ip + udp
        out.write(struct.pack("<IIII", 1700000000, i * 1000, len(frame), len(frame)))
        out.write(frame)


main()

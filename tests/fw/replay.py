#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sends a pcap's frames one at a time through the router under test and
says, per frame, whether it came out on the other side.

   replay.py PCAP GUEST_IF HOST_IF GUEST_MAC WAIT_S

A frame whose source MAC is GUEST_MAC is sent on GUEST_IF, the rest on
HOST_IF (raw AF_PACKET sockets). It counts as arrived when an IP packet
equal to it (but for what the router changes: IPv4's TTL and header
checksum, IPv6's hop limit) comes out of the other interface within WAIT_S
seconds. An IPv6 atomic fragment (a fragment header with offset 0 and no
more fragments) also counts as arrived without its fragment header: Linux's
nf_defrag_ipv6, loaded with conntrack, reassembles it into a packet without
one before forwarding. Prints "N accept" or
"N drop", N counted from 1, as the offline mode does."""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        sys.exit("replay.py: only little-endian microsecond pcaps (gen.py's)")
    off = 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def norm(frame):
    ip = bytearray(frame[14:])
    if frame[12:14] == b"\x86\xdd" and len(ip) >= 40:
        ip[7] = 0
        return b"6" + bytes(ip)
    if len(ip) < 20:
        return bytes(ip)
    ip[8] = 0
    ip[10] = ip[11] = 0
    return bytes(ip)


def unfrag6(ip):
    """ip (normalised IPv6) without an atomic fragment header, or None."""
    nh_at, off = 6, 40
    while off + 8 <= len(ip):
        nh = ip[nh_at]
        if nh == 44:
            if struct.unpack("!H", ip[off + 2:off + 4])[0] & 0xFFF9:
                return None
            out = bytearray(ip[:off] + ip[off + 8:])
            out[nh_at] = ip[off]
            out[4:6] = struct.pack("!H", len(out) - 40)
            return bytes(out)
        if nh not in (0, 43, 60):
            return None
        nh_at, off = off, off + (ip[off + 1] + 1) * 8
    return None


def main():
    path, gif, hif, gmac, wait = sys.argv[1:6]
    gmac = bytes.fromhex(gmac.replace(":", ""))
    wait = float(wait)
    socks = {}
    for name in (gif, hif):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setblocking(False)
        socks[name] = s
    for n, fr in enumerate(frames(path), 1):
        out, back = (gif, hif) if fr[6:12] == gmac else (hif, gif)
        for s in socks.values():  # what is left of the last frame's noise
            try:
                while s.recv(65536):
                    pass
            except BlockingIOError:
                pass
        want = norm(fr)
        alt = None
        if fr[12:14] == b"\x86\xdd":
            u = unfrag6(norm(fr)[1:])
            alt = b"6" + u if u else None
        socks[out].send(fr)
        seen = False
        end = time.monotonic() + wait
        while not seen:
            left = end - time.monotonic()
            if left <= 0 or not select.select([socks[back]], [], [], left)[0]:
                break
            try:
                while True:
                    data, addr = socks[back].recvfrom(65536)
                    if addr[2] != PACKET_OUTGOING and norm(data) in (want, alt):
                        seen = True
                        break
            except BlockingIOError:
                pass
        print(n, "accept" if seen else "drop", flush=True)


if __name__ == "__main__":
    main()

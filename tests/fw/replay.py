#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sends a pcap's frames one at a time through the router under test and
says, per frame, whether it came out on the other side.

   replay.py PCAP GUEST_IF HOST_IF GUEST_MAC WAIT_S

A frame whose source MAC is GUEST_MAC is sent on GUEST_IF, the rest on
HOST_IF (raw AF_PACKET sockets). It counts as arrived when an IPv4 packet
equal to it (but for the TTL and header checksum the router changes) comes
out of the other interface within WAIT_S seconds. Prints "N accept" or
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
    if len(ip) < 20:
        return bytes(ip)
    ip[8] = 0
    ip[10] = ip[11] = 0
    return bytes(ip)


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
                    if addr[2] != PACKET_OUTGOING and norm(data) == want:
                        seen = True
                        break
            except BlockingIOError:
                pass
        print(n, "accept" if seen else "drop", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/ids-pcap.py OUT SESSIONS SEED: a pcap of HTTP/1.1 sessions.

Each session: a handshake from a client in 10.0.0.0/8 ($HOME_NET) to a
server outside it on port 80, one GET (a varied path, Host and
User-Agent), a 200 response of 8 to 40 KiB of text in 1,460-byte segments,
ACKs, and the FINs. Checksums are left zero (both engines run with
checksums off). Deterministic for one SEED: the scan benchmark's input
(bench/ids.sh, part a).
"""
import random, struct, sys

out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
MSS = 1460
WORDS = ('index news login search images api v2 static js css download update cart '
         'account product item page view user data report files blog docs').split()
UAS = ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
       'Chrome/120.0 Safari/537.36', 'curl/8.4.0', 'Wget/1.21.3',
       'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')
f = open(out, 'wb')
f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
ts = [1700000000.0]


def frame(src, dst, sport, dport, seq, ack, flags, data=b''):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      5 << 4, flags, 65535, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(data), 0, 0x4000, 64, 6, 0,
                     bytes(src), bytes(dst))
    eth = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00'
    pkt = eth + ip + tcp + data
    ts[0] += 0.0001
    sec = int(ts[0])
    f.write(struct.pack('<IIII', sec, int((ts[0] - sec) * 1e6), len(pkt), len(pkt)) + pkt)


for i in range(n):
    c = [10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)]
    s = [93, 184, rng.randrange(256), rng.randrange(1, 255)]
    cp = 1024 + i % 60000
    cs, ss = rng.randrange(1 << 32), rng.randrange(1 << 32)
    frame(c, s, cp, 80, cs, 0, 0x02)
    frame(s, c, 80, cp, ss, cs + 1, 0x12)
    cs += 1
    ss += 1
    frame(c, s, cp, 80, cs, ss, 0x10)
    path = '/' + '/'.join(rng.choice(WORDS) for _ in range(rng.randrange(1, 5)))
    path += '?id=%d&q=%s' % (rng.randrange(100000), rng.choice(WORDS))
    req = ('GET %s HTTP/1.1\r\nHost: www.%s%d.example\r\nUser-Agent: %s\r\n'
           'Accept: */*\r\nConnection: close\r\n\r\n'
           % (path, rng.choice(WORDS), i % 1000, rng.choice(UAS))).encode()
    frame(c, s, cp, 80, cs, ss, 0x18, req)
    cs += len(req)
    body = ' '.join(rng.choice(WORDS) for _ in range(rng.randrange(1400, 7000))).encode()
    resp = ('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n'
            'Content-Length: %d\r\nConnection: close\r\n\r\n' % len(body)).encode() + body
    for off in range(0, len(resp), MSS):
        seg = resp[off:off + MSS]
        frame(s, c, 80, cp, ss, cs, 0x18 if off + MSS >= len(resp) else 0x10, seg)
        ss += len(seg)
        if (off // MSS) % 2:
            frame(c, s, cp, 80, cs, ss, 0x10)
    frame(s, c, 80, cp, ss, cs, 0x11)
    frame(c, s, cp, 80, cs, ss + 1, 0x11)
    frame(s, c, 80, cp, ss + 1, cs + 1, 0x10)
f.close()

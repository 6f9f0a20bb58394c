#!/usr/bin/env python3
"""Suricata over many pcaps with one rule load: tests/ids/diff-suricata.sh.

usage: suricata-run.py YAML RULES LIST WORKDIR [SURICATA ARG...]

LIST has one "PCAP<TAB>OUTDIR" a line. Suricata starts in unix-socket mode
(rules parsed and grouped once: 20 s to minutes for ET Open), each pcap is
handed to it as `pcap-file PCAP OUTDIR` (Suricata resets its flows between
files; OUTDIR/eve.json gets that pcap's alerts), and it is shut down when
the queue is empty. Writes WORKDIR/failed.sids: the sid of every rule
Suricata refused (from its log). Exit 0 when every pcap was run.
"""
import json, os, re, socket, subprocess, sys, time

# Suricata's start with all of ET Open takes 20 s on an idle core and over
# two minutes on a busy one; past this the run is taken as hung.
START_LIMIT_S = 900 * float(os.environ.get('RAMPART_TIME_SCALE', '1'))
RUN_LIMIT_S = 600 * float(os.environ.get('RAMPART_TIME_SCALE', '1'))


def call(sock, cmd, args=None):
    msg = {'command': cmd}
    if args:
        msg['arguments'] = args
    sock.sendall((json.dumps(msg) + "\n").encode())
    buf = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError('suricata closed its socket after ' + cmd)
        buf += chunk
        try:
            if buf.endswith(b"\n"):
                return json.loads(buf.decode())
        except ValueError:
            continue


def main():
    yaml, rules, lst, work = sys.argv[1:5]
    extra = sys.argv[5:]
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, 'sock')
    log = open(os.path.join(work, 'console.log'), 'w')
    p = subprocess.Popen(['suricata', '-c', yaml, '-l', work, '-S', rules,
                          '--unix-socket=' + path] + extra, stdout=log, stderr=log)
    t0 = time.time()
    sock = None
    while sock is None:
        if p.poll() is not None:
            sys.exit('suricata ended at start (%d): see %s/console.log' % (p.returncode, work))
        if time.time() - t0 > START_LIMIT_S:
            p.kill()
            sys.exit('suricata not ready after %d s' % START_LIMIT_S)
        if os.path.exists(path):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                sock = s
                break
            except OSError:
                pass
        time.sleep(0.2)
    sock.sendall(json.dumps({'version': '0.2'}).encode())
    if json.loads(sock.recv(4096).decode()).get('return') != 'OK':
        sys.exit('suricata refused the socket protocol')
    # The socket answers before the rules are loaded; pcap-file waits for them.
    n = 0
    for line in open(lst):
        pcap, out = line.rstrip('\n').split('\t')
        os.makedirs(out, exist_ok=True)
        r = call(sock, 'pcap-file', {'filename': os.path.abspath(pcap),
                                     'output-dir': os.path.abspath(out)})
        if r.get('return') != 'OK':
            sys.exit('pcap-file %s: %s' % (pcap, r))
        n += 1
    t1 = time.time()
    while True:
        left = call(sock, 'pcap-file-number').get('message')
        cur = call(sock, 'pcap-current').get('message')
        if left == 0 and cur in ('None', None, ''):
            break
        if time.time() - t1 > RUN_LIMIT_S:
            p.kill()
            sys.exit('suricata still running pcaps after %d s' % RUN_LIMIT_S)
        time.sleep(0.2)
    try:
        call(sock, 'shutdown')
    except (RuntimeError, OSError):
        pass
    p.wait(timeout=120)
    failed = set()
    for l in open(os.path.join(work, 'suricata.log'), errors='replace'):
        if 'error parsing signature' in l:
            m = re.search(r'[;(\s]sid\s*:\s*(\d+)', l)
            if m:
                failed.add(m.group(1))
    with open(os.path.join(work, 'failed.sids'), 'w') as f:
        for s in sorted(failed, key=int):
            f.write(s + '\n')
    print('suricata: %d pcaps in %.1f s after a start of %.1f s' % (n, time.time() - t1, t1 - t0))


main()

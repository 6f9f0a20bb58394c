#!/usr/bin/env python3
"""bench/ids-fp.py RULES SIDS [MAX] > OUT: one content-only rule per loaded rule.

For each rule of RULES whose sid is in SIDS (the rules the engine loads,
`rampart ids check --sids`), the content it hands the prefilter (the one
marked fast_pattern, else its longest) as `alert ip any any -> any any
(content:...; [nocase;] sid:N;)`: a rule the in-line layer loads, so that
its blob's Hyperscan database is the set's prefilter, scanned in the layer
and on the host (bench/ids.sh, part b).
"""
import re, sys

ok = set(open(sys.argv[2]).read().split())
left = int(sys.argv[3]) if len(sys.argv) > 3 else -1  # at most MAX rules
CONTENT = re.compile(r'content\s*:\s*(!?)\s*"((?:[^"\\]|\\.)*)"([^;]*);((?:\s*(?:nocase|fast_pattern(?::only)?|depth\s*:[^;]*|offset\s*:[^;]*|distance\s*:[^;]*|within\s*:[^;]*|rawbytes|http_\w+)\s*;)*)')


def length(s):
    # bytes of a content: |hex| runs count their bytes
    n, i = 0, 0
    while i < len(s):
        if s[i] == '|':
            j = s.index('|', i + 1)
            n += len(s[i + 1:j].split())
            i = j + 1
        else:
            n += 1
            i += 1 + (s[i] == '\\')
    return n


for line in open(sys.argv[1], errors='replace'):
    if line.lstrip().startswith('#'):
        continue
    m = re.search(r'[;(\s]sid\s*:\s*(\d+)', line)
    if not m or m.group(1) not in ok:
        continue
    best = None
    for c in CONTENT.finditer(line):
        if c.group(1):
            continue
        mods = c.group(3) + c.group(4)
        fp = 'fast_pattern' in mods
        cand = (fp, length(c.group(2)), c.group(2), 'nocase' in mods)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None or best[1] < 1:
        continue
    if left == 0:
        break
    left -= 1
    print('alert ip any any -> any any (content:"%s";%s sid:%s;)'
          % (best[2], ' nocase;' if best[3] else '', m.group(1)))

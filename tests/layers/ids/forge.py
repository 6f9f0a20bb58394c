#!/usr/bin/env python3
"""A blob whose table is shorter than its database (tests/layers/ids.sh).

  forge.py A.blob B.blob OUT

A and B are ids blobs the compiler wrote (src/ids/blob.h) from the same
rules, B's with one more rule after them, of one content. OUT is A's header,
rules and patterns with B's Hyperscan database: the database holds a
pattern (id = A's npatterns) that OUT's table does not name. It passes
ids_blob_check (the check cannot see inside Hyperscan's database); the ids
layer must count a match of it as a failed scan and drop the frame.
"""
import struct
import sys

# magic version size nrules npatterns rule_off pattern_off not_loaded npcre
# pcre_off pcre_code_off pcre_code_size naddrs addr_off nports port_off nfbs
# fb_off nitems item_off bytes_off bytes_size nhix hix_off nhall hall_off,
# then each buffer's database (off, size); the rules here are on the
# payload alone: its database, the first, comes after the address, port,
# flowbits, walked contents' tables, their bytes and the header-only
# rules' tables
HDR = struct.Struct("<70I")
DB = 26  # dbs[0].off; dbs[0].size is DB + 1


def load(path):
    b = open(path, "rb").read()
    return b, list(HDR.unpack_from(b))


def pad8(out):
    out += b"\0" * (-len(out) % 8)


def main():
    a, ha = load(sys.argv[1])
    b, hb = load(sys.argv[2])
    nra, npa, roa, poa, dba = ha[3], ha[4], ha[5], ha[6], ha[DB]
    nrb, npb, rob, dbb, dbsb = hb[3], hb[4], hb[5], hb[DB], hb[DB + 1]
    npcre, pco, pcco, pccs = ha[8], ha[9], ha[10], ha[11]
    if nrb != nra + 1 or npb != npa + 1 or b[rob:rob + (poa - roa)] != a[roa:poa]:
        sys.exit("forge.py: B is not A with one more rule of one content after them")
    if any(ha[DB + 2 * k + 1] for k in range(1, 22)):
        sys.exit("forge.py: A has a database of another buffer than the payload's")
    out = bytearray(a[:dba]) + b[dbb:dbb + dbsb]
    pad8(out)
    hdr = ha[:]
    hdr[DB + 1] = dbsb  # dbs[0].size
    hdr[9] = len(out)  # pcre_off
    out += a[pco:pco + npcre * 16]
    pad8(out)
    if npcre:
        hdr[10] = len(out)  # pcre_code_off
        out += a[pcco:pcco + pccs]
        pad8(out)
    hdr[2] = len(out)  # size
    HDR.pack_into(out, 0, *hdr)
    open(sys.argv[3], "wb").write(out)


main()

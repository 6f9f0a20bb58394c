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

# magic version size nrules npatterns rule_off pattern_off db_off db_size
# not_loaded npcre pcre_off pcre_code_off pcre_code_size naddrs addr_off
# nports port_off nfbs fb_off nitems item_off bytes_off bytes_size (the
# address, port, flowbits, walked contents' tables and their bytes lie
# before db_off)
HDR = struct.Struct("<24I")


def load(path):
    b = open(path, "rb").read()
    return b, list(HDR.unpack_from(b))


def pad8(out):
    out += b"\0" * (-len(out) % 8)


def main():
    a, ha = load(sys.argv[1])
    b, hb = load(sys.argv[2])
    nra, npa, roa, poa, dba = ha[3], ha[4], ha[5], ha[6], ha[7]
    nrb, npb, rob, dbb, dbsb = hb[3], hb[4], hb[5], hb[7], hb[8]
    npcre, pco, pcco, pccs = ha[10], ha[11], ha[12], ha[13]
    if nrb != nra + 1 or npb != npa + 1 or b[rob:rob + (poa - roa)] != a[roa:poa]:
        sys.exit("forge.py: B is not A with one more rule of one content after them")
    out = bytearray(a[:dba]) + b[dbb:dbb + dbsb]
    pad8(out)
    hdr = ha[:]
    hdr[8] = dbsb  # db_size
    hdr[11] = len(out)  # pcre_off
    out += a[pco:pco + npcre * 16]
    pad8(out)
    if npcre:
        hdr[12] = len(out)  # pcre_code_off
        out += a[pcco:pcco + pccs]
        pad8(out)
    hdr[2] = len(out)  # size
    HDR.pack_into(out, 0, *hdr)
    open(sys.argv[3], "wb").write(out)


main()

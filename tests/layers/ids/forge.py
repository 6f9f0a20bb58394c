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

HDR = struct.Struct("<10I")  # magic version size nrules npatterns rule_off pattern_off db_off db_size not_loaded


def load(path):
    b = open(path, "rb").read()
    return b, list(HDR.unpack_from(b))


def main():
    a, ha = load(sys.argv[1])
    b, hb = load(sys.argv[2])
    _, _, _, nra, npa, roa, poa, dba, _, _ = ha
    _, _, _, nrb, npb, rob, pob, dbb, dbsb, _ = hb
    if nrb != nra + 1 or npb != npa + 1 or b[rob:rob + (poa - roa)] != a[roa:poa]:
        sys.exit("forge.py: B is not A with one more rule of one content after them")
    out = bytearray(a[:dba]) + b[dbb:dbb + dbsb]
    out += b"\0" * (-len(out) % 8)
    hdr = ha[:]
    hdr[2] = len(out)  # size
    hdr[8] = dbsb      # db_size
    HDR.pack_into(out, 0, *hdr)
    open(sys.argv[3], "wb").write(out)


main()

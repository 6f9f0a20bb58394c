#!/usr/bin/env python3
# The function order of one variant of the layer kernel, as a linker-script
# fragment that src/layer/layer.ld includes in its .text output section.
#
#   scripts/layer-order.py SEED VARIANT OUT OBJECT...
#
# Every object is built with -ffunction-sections, so each function is its own
# input section (.text.NAME; the entry, in start.S, is .text.start). Their
# order is a keyed shuffle: sorted by SHA-256(SEED:VARIANT:NAME); before each
# one goes a pad of 0..15 blocks of 16 bytes, from the same digest (the
# linker fills it with int3). The same seed and objects give the same image;
# another seed or variant moves every function, the entry included. SEED is
# a word of letters and digits (build/layer-seed).
import hashlib
import re
import struct
import sys

SHF_EXECINSTR = 0x4
SHT_PROGBITS = 1
PAD_UNIT = 16
PAD_MAX = 15


def text_sections(path):
    """Names of the executable .text.* sections of one ELF64 object."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"layer-order: {path}: not a little-endian ELF64 object")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]
    for name_off, kind, flags, _, _, _ in headers:
        end = data.index(b"\0", strtab + name_off)
        name = data[strtab + name_off:end].decode("ascii", "replace")
        if kind == SHT_PROGBITS and flags & SHF_EXECINSTR and name.startswith(".text."):
            yield name


def main(argv):
    if len(argv) < 5:
        sys.exit("usage: layer-order.py SEED VARIANT OUT OBJECT...")
    seed, variant, out, objects = argv[1], argv[2], argv[3], argv[4:]
    if not re.fullmatch(r"[A-Za-z0-9]{1,64}", seed):
        sys.exit(f"layer-order: seed '{seed}': use 1..64 letters and digits")
    names = set()
    for o in objects:
        names.update(text_sections(o))
    # A name the linker script would read as a pattern or a token is refused.
    for n in names:
        if not re.fullmatch(r"[A-Za-z0-9_.]+", n):
            sys.exit(f"layer-order: section '{n}': unexpected characters")

    def key(n):
        return hashlib.sha256(f"{seed}:{variant}:{n}".encode()).digest()

    lines = [f"/* Function order of the {variant} variant, seed {seed} (scripts/layer-order.py). */"]
    for n in sorted(names, key=key):
        pad = key(n)[-1] % (PAD_MAX + 1) * PAD_UNIT
        lines.append(f". += {pad}; *({n})")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv)

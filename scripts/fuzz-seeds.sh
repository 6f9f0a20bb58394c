#!/bin/sh
# Seeds for the loader fuzzer, made from this build's own images (none is
# committed): the head of the guest bzImage and both variants of the layer
# image, each behind the selector byte fuzz/fuzz_loader.c reads first.
set -eu
cd "$(dirname "$0")/.."
out=build/seeds/fuzz_loader
mkdir -p "$out"
if [ -f build/images/vmlinuz ]; then
	{ printf '\001'; head -c 65536 build/images/vmlinuz; } >"$out/bzimage-head"
fi
for v in gcc clang; do
	if [ -f build/layer-$v.elf ]; then
		{ printf '\000'; cat build/layer-$v.elf; } >"$out/layer-$v-elf"
	fi
done

# The firewall fuzzer: the differential test's traffic, in its input format
# (len16 iif8 dt8 frame), one seed of all frames.
out=build/seeds/fuzz_fw_frame
mkdir -p "$out"
if command -v python3 >/dev/null; then
	python3 tests/fw/gen.py build/seeds/fw-traffic.pcap && python3 - build/seeds/fw-traffic.pcap "$out/traffic" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
out, off = b"", 24
while off < len(data):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    fr = data[off + 16:off + 16 + caplen]
    guest = fr[6:12] == bytes.fromhex("02000000020f")
    out += struct.pack("<HBB", len(fr), 1 if guest else 0, 1) + fr
    off += 16 + caplen
open(sys.argv[2], "wb").write(out)
PY
fi

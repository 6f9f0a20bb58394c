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

# The hypercall fuzzer: a few step sequences in fuzz/fuzz_ln_hc.c's input
# format (op, caller, then the op's bytes; values as value() reads them),
# each a start towards an attack the unit tests make once.
out=build/seeds/fuzz_ln_hc
mkdir -p "$out"
if command -v python3 >/dev/null; then
	python3 - "$out" <<'PY'
import os, sys
out = sys.argv[1]
def raw(v): return bytes([0xe0]) + (v % 2**64).to_bytes(8, "little")
def small(v): return bytes([v])
def sp(i): return bytes([0x20 | i])  # value()'s special[i]
def vcpu(vm, i): return bytes([0x80 | vm, i])
def hc(who, nr, *a): return bytes([0, who, nr]) + b"".join(a + (small(0),) * (5 - len(a)))
def write(who, gpa, v): return bytes([4, who]) + raw(gpa) + raw(v)
def child(who, gpa, run): return bytes([5, who]) + gpa + bytes([1, run])
FREE, PT, EXIT, A, A1 = sp(14), 0x10000, sp(1), 0x400000, 0x400000
# Callers, as runnable() lists them: 0 layer 1's idle vCPU, 1 A1, 2 B.
seeds = {
    "tables-loop": child(0, FREE, 0) + write(0, 0x1000000 + PT + 8 * 511, PT | 7) +
                   hc(0, 6, vcpu(3, 0), EXIT),
    "tables-wide": child(0, FREE, 0) + b"".join(write(0, 0x1000000 + PT + 8 * i, 0x11007)
                                                for i in range(1, 6)) + hc(0, 6, vcpu(3, 0), EXIT),
    "map-sealed": hc(0, 2, small(2), raw(0x800000), raw(A + A1 + PT), sp(18), small(3)),
    "map-a1-ro": hc(0, 2, small(2), raw(0x800000), raw(A + A1 + 0x300000), sp(18), small(1)),
    "map-wrap": hc(1, 1) + hc(1, 2, small(1), sp(22), sp(0), sp(19), small(1)),
    "exit-destroy": hc(1, 12, small(7)) + hc(1, 8, small(1)) + hc(0, 8, small(1)),
    "run-set": child(0, FREE, 1) + hc(2, 5, vcpu(1, 0), sp(0)),
    "kvm-fails": bytes([7, 0, 2]) + hc(0, 2, small(2), raw(0x800000), raw(0x1000000), sp(18),
                                       small(1)),
    "irqchip": hc(0, 1, small(1)) + hc(0, 2, small(3), small(0), sp(0), sp(18), small(7)) +
               hc(0, 7, small(3), small(5), small(1)) + hc(0, 14, small(3), sp(18), sp(0), small(5)),
    # RP_HC_VCPU_CTL: layer 1 reads A1's vCPU through A; A1 and B try theirs and others'.
    "vcpu-ctl": hc(0, 16, small(1), vcpu(1, 0), sp(0)) + hc(1, 16, small(1), vcpu(1, 0), sp(0)) +
                hc(2, 16, small(1), vcpu(1, 0), sp(0)) + hc(0, 16, small(2), vcpu(1, 0), sp(0)),
}
for name, data in seeds.items():
    open(os.path.join(out, name), "wb").write(data)
PY
fi

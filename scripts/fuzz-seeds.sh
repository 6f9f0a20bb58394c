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

#!/bin/sh
# The layer images as built, checked without KVM: the gcc and clang
# variants put the same functions at other addresses (order and padding
# shuffled by the build's seed), each is W^X (one PT_LOAD per protection,
# none W and X), and the seed alone decides the order. Run from the
# repository root after `make all`.
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
. tests/count.sh

# Diversity: the two variants of the layer kernel are two images, with the
# same functions at other addresses (order and padding shuffled by the
# build's seed), each still W^X: one PT_LOAD per protection, none W and X.
G=build/layer-gcc.elf C=build/layer-clang.elf
addr() { nm "$1" | awk -v f="$2" '$3 == f { print $1 }'; }
same='' missing=''
for f in _start layer_main pass_main child_start child_start_devs vdev_dispatch ring3_build \
	spin_main abuse_main vmm_main sha256_update __stack_chk_fail; do
	a=$(addr $G $f) b=$(addr $C $f)
	if [ -z "$a" ] || [ -z "$b" ]; then missing="$missing $f"
	elif [ "$a" = "$b" ]; then same="$same $f@$a"; fi
done
hg=$(sha256sum <$G | cut -d' ' -f1) hc=$(sha256sum <$C | cut -d' ' -f1)
if [ -z "$same$missing" ] && [ "$hg" != "$hc" ]; then
	ok "variants: 12 functions at other addresses in gcc and clang, two hashes"
else
	notok "variants" "same address:$same; missing:$missing; hashes $hg $hc"
fi
for v in $G $C; do
	# The flags of each PT_LOAD, between its sizes and its alignment: "RE R RW".
	flags=$(readelf -lW $v | awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i; print f }' |
		tr '\n' ' ')
	[ "$flags" = "RE R RW " ] && ok "W^X $v (PT_LOAD flags $flags)" ||
		notok "W^X $v" "PT_LOAD flags '$flags', want 'RE R RW '"
done
# The seed decides the order: the build's seed gives the build's order, another another.
objs=$(ls src/layer/*.c src/layer/*.S src/lib/*.c src/boot/*.c src/virtio/*.c src/fw/*.c src/ids/*.c |
	sed 's|^\(.*\)\.[cS]$|build/layerobj-gcc/\1.o|')
# shellcheck disable=SC2086
scripts/layer-order.py "$(cat build/layer-seed)" gcc "$T/order1" $objs &&
	scripts/layer-order.py "x$(cat build/layer-seed)" gcc "$T/order2" $objs &&
	cmp -s "$T/order1" build/layerobj-gcc/layer-order.ld &&
	! cmp -s "$T/order1" "$T/order2" && [ "$(wc -l <"$T/order1")" -ge 100 ] &&
	ok "variants: the seed $(cat build/layer-seed) gives the build's order, another seed another" ||
	notok "variants: seed" "order files: $(wc -l <"$T/order1") lines, build's $(wc -l <build/layerobj-gcc/layer-order.ld)"

summary images

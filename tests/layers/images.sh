#!/bin/sh
# The layer images as built, checked without KVM: the gcc and clang
# variants put the same functions at other addresses (order and padding
# shuffled by the build's seed), each is W^X (one PT_LOAD per protection,
# none W and X), and the seed alone decides the order; the production
# images and root (build/layer-*.elf, what `rampart manifest` approves, and
# build/rampart) hold none of the test personalities, which the test build
# (build/test/) does hold, and the test root shares the production root's
# jail and checks. Run from the repository root after `make all`.
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
	fwl_start idsl_start vmm_main sha256_update __stack_chk_fail; do
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
# The production image's objects: the Makefile's LAYER_SRC less LAYER_TEST_SRC.
TEST_SRC='abuse|badring|churn|flood|hog|iotest|mapinfo|sealfill|spin|testkinds|vmmhide'
objs=$(ls src/layer/*.c src/layer/*.S src/lib/*.c src/boot/*.c src/virtio/*.c src/fw/*.c src/ids/*.c |
	grep -Ev "^src/layer/($TEST_SRC)\.c$" | sed 's|^\(.*\)\.[cS]$|build/layerobj-gcc/\1.o|')
# shellcheck disable=SC2086
scripts/layer-order.py "$(cat build/layer-seed)" gcc "$T/order1" $objs &&
	scripts/layer-order.py "x$(cat build/layer-seed)" gcc "$T/order2" $objs &&
	cmp -s "$T/order1" build/layerobj-gcc/layer-order.ld &&
	! cmp -s "$T/order1" "$T/order2" && [ "$(wc -l <"$T/order1")" -ge 100 ] &&
	ok "variants: the seed $(cat build/layer-seed) gives the build's order, another seed another" ||
	notok "variants: seed" "order files: $(wc -l <"$T/order1") lines, build's $(wc -l <build/layerobj-gcc/layer-order.ld)"

# No test code in what operators approve: the test personalities' entry
# points and hooks (include/rampart/kinds.h, src/layer/testkinds.c) are in
# no production image, and all of them in each test image (else this check
# could not fail); the root's test device and its jail self-test are in
# rampart-test, not rampart.
TEST_SYMS="tk_main tk_pass_setup tk_pass_built tk_pass_start tk_pass_exit spin_main abuse_main
	churn_main sealfill_main flood_main io_main badring_main hog_fill mapinfo_check guard_report
	overrun_main child_built_hook child_split_sys vmmhide_main"
# has FILE: the TEST_SYMS that FILE defines
has() { nm "$1" 2>/dev/null | awk '{ print $NF }' | grep -xF "$(echo $TEST_SYMS ln_test_device jail_selftest | tr ' ' '\n')" | tr '\n' ' '; }
n=$(echo $TEST_SYMS | wc -w)
for v in $G $C build/layer.elf build/rampart; do
	found=$(has $v)
	[ -z "$found" ] && [ -s $v ] && ok "no test personality in $v ($n symbols looked for)" ||
		notok "test personalities in $v" "${found:-$v missing}"
done
for v in build/test/layer-gcc.elf build/test/layer-clang.elf; do
	found=$(has $v)
	[ "$(echo $found | wc -w)" = "$n" ] && ok "the test image $v has all $n" ||
		notok "test image $v" "has only: $found"
done
[ "$(has build/test/rampart)" = "jail_selftest ln_test_device " ] &&
	ok "the root's test device and --jail-selftest in rampart-test only" ||
	notok "rampart-test" "test device symbols: '$(has build/test/rampart)'"
# The test root runs the production root's jail, seals and checks: each
# function of those objects has the same size in both binaries.
size() { nm -S "$1" | awk '$3 ~ /^[Tt]$/ { print $4, $2 }' | sort; }
size build/rampart >"$T/prod" && size build/test/rampart >"$T/test"
diff=0 fns=0
for o in jail seal ln_hc ln_seal ln_tree ln_chain layer measure cgroup sigsys; do
	[ -f build/obj/src/root/$o.o ] || continue
	for f in $(nm build/obj/src/root/$o.o | awk '$2 == "T" { print $3 }'); do
		fns=$((fns + 1))
		[ "$(grep "^$f " "$T/prod")" = "$(grep "^$f " "$T/test")" ] &&
			[ -n "$(grep "^$f " "$T/prod")" ] || diff="$diff $f"
	done
done
[ "$diff" = 0 ] && [ $fns -ge 50 ] &&
	ok "rampart-test's jail, seals and checks: $fns functions as in rampart" ||
	notok "rampart-test's shared objects" "$fns functions; differ or missing:${diff#0}"

summary images

#!/bin/sh
# Bad input from the operator: each case must end rampart with exit 1 and one
# line naming the cause and the value, and leave nothing behind (no tap, no
# disk file). Runs directly on this host's /dev/kvm: no guest boots here.
set -u
cd "$(dirname "$0")/../.."
R=build/rampart
K=build/images/vmlinuz
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# expect NAME EXIT PATTERN -- command...
expect() {
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" = "$want" ] && grep -q -- "$pat" "$T/err"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "not ok $name: exit $got (want $want), stderr: $(head -c 300 "$T/err")"
		fail=$((fail + 1))
	fi
}

head -c 100000 "$K" >"$T/truncated"
head -c 4096 /dev/urandom >"$T/random"
printf '{"guest":{"kernel":"k"},"disks":[{"path":"d","readonly":"no"}]}' >"$T/bad.json"
printf '{"guest":{"kernel":"k"},"typo":1}' >"$T/typo.json"
printf '{"guest":{"kernel":' >"$T/broken.json"

expect no-args 1 "usage" -- $R
expect unknown-command 1 "unknown command 'fly'" -- $R fly
expect unknown-flag 1 "usage" -- $R run --kernel $K --bogus
expect no-kernel 1 "no kernel" -- $R run
expect missing-kernel 1 "kernel /nonexistent: No such file" -- $R run --kernel /nonexistent
expect truncated-kernel 1 "kernel $T/truncated: truncated" -- $R run --kernel "$T/truncated"
expect not-bzimage 1 "kernel $T/random: not a bzImage" -- $R run --kernel "$T/random"
expect dir-kernel 1 "not a regular file" -- $R run --kernel /tmp
expect small-mem 1 "memory 32 MiB: below the minimum" -- $R run --kernel $K --mem 32M
expect bad-mem 1 "--mem lots: not a size" -- $R run --kernel $K --mem lots
expect bad-cpus 1 "--cpus 0: must be" -- $R run --kernel $K --cpus 0
expect missing-initrd 1 "initrd /nonexistent: No such file" -- $R run --kernel $K --initrd /nonexistent
expect bad-tap-name 1 "bad tap name" -- $R run --kernel $K --net "tap:no/slash"
expect long-tap-name 1 "bad tap name" -- $R run --kernel $K --net tap:abcdefghijklmnop
expect tap-not-tap 1 "tap lo:" -- $R run --kernel $K --net tap:lo
expect missing-disk 1 "disk $T/none.img: No such file" -- $R run --kernel $K --disk "$T/none.img"
expect disk-option 1 "unknown option 'rx'" -- $R run --kernel $K --disk "$T/d,rx"
expect stack-missing 1 "stack file $T/none.json" -- $R run "$T/none.json"
expect stack-type 1 "disks\[0\].readonly: wrong type" -- $R run "$T/bad.json"
expect stack-typo 1 "stack.typo: unknown field" -- $R check "$T/typo.json"
expect stack-syntax 1 "line 1" -- $R check "$T/broken.json"
expect no-kvm 1 "/dev/kvm: no such device" -- unshare -m sh -c "mount -t tmpfs none /dev && exec $R run --kernel $K"
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	cp "$K" "$T/k" && chmod 755 "$T" && chmod 644 "$T/k"
	expect kvm-permission 1 "/dev/kvm: permission denied" -- setpriv --reuid=nobody --regid=nogroup --clear-groups $R run --kernel "$T/k"
fi

# Measured launch: a manifest from `rampart manifest` approves both variants of
# the layer image, and a stack measures each layer's own; one flipped byte in a
# copy of one variant is refused, naming the layer, its variant and both hashes.
$R manifest >"$T/manifest" 2>"$T/err" || { echo "not ok manifest: $(cat "$T/err")"; fail=$((fail + 1)); }
GCC_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-gcc\.elf$|\1|p' "$T/manifest")
CLANG_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-clang\.elf$|\1|p' "$T/manifest")
HASH=$GCC_HASH
if [ "$(wc -l <"$T/manifest")" = 2 ] && [ ${#GCC_HASH} = 64 ] && [ ${#CLANG_HASH} = 64 ] &&
	[ "$GCC_HASH" != "$CLANG_HASH" ]; then
	echo "ok manifest-every-variant"; pass=$((pass + 1))
else
	echo "not ok manifest-every-variant: $(cat "$T/manifest")"; fail=$((fail + 1))
fi
expect manifest-approved 0 "powered off" -- $R run --layers pass,spin --layer-args 2,1000 --manifest "$T/manifest"
if grep -q '"event":"measured","layer":1,.*"variant":"gcc",.*"sha256":"'"$GCC_HASH"'","approved":true' "$T/err" &&
	grep -q '"event":"measured","layer":2,.*"variant":"clang",.*"sha256":"'"$CLANG_HASH"'","approved":true' "$T/err"; then
	echo "ok manifest-measured-event"; pass=$((pass + 1))
else
	echo "not ok manifest-measured-event: $(head -c 300 "$T/err")"; fail=$((fail + 1))
fi
mkdir -p "$T/flip" && cp build/layer-gcc.elf build/layer-clang.elf "$T/flip/"
SIZE=$(wc -c <"$T/flip/layer-clang.elf")
OLD=$(od -An -tu1 -j $((SIZE / 2)) -N1 "$T/flip/layer-clang.elf" | tr -d ' ')
printf "\\$(printf %o $((OLD ^ 1)))" | dd of="$T/flip/layer-clang.elf" bs=1 seek=$((SIZE / 2)) conv=notrunc 2>/dev/null
FLIP=$(sha256sum "$T/flip/layer-clang.elf" | cut -d' ' -f1)
expect manifest-flipped 1 "layer 2 (spin, clang): image $T/flip/layer-clang.elf has sha256 $FLIP, not approved .*the manifest has $CLANG_HASH for layer-clang.elf" -- $R run --layers pass,spin --layer-args 2,1000 --layer-image "$T/flip" --manifest "$T/manifest"
expect manifest-flipped-one-line 1 "" -- $R run --layers pass,spin --layer-args 2,1000 --layer-image "$T/flip" --manifest "$T/manifest"
if [ "$(wc -l <"$T/err")" = 1 ]; then
	echo "ok manifest-refusal-one-line"; pass=$((pass + 1))
else
	echo "not ok manifest-refusal-one-line: $(head -c 300 "$T/err")"; fail=$((fail + 1))
fi
expect manifest-flipped-gcc-ok 0 "powered off" -- $R run --layers spin@gcc --layer-image "$T/flip" --manifest "$T/manifest"
mkdir -p "$T/novariant" && cp build/layer-gcc.elf "$T/novariant/"
expect manifest-variant-missing 1 "layer image $T/novariant/layer-clang.elf: No such file" -- $R manifest --layer-image "$T/novariant"
printf '# approved\n\n%s  layer.elf\n%s layer.elf\n' "$HASH" "$HASH" >"$T/bad.manifest"
expect manifest-malformed 1 "manifest $T/bad.manifest: line 4:" -- $R run --layers spin --manifest "$T/bad.manifest"
expect manifest-missing 1 "manifest $T/none.manifest: No such file" -- $R run --layers spin --manifest "$T/none.manifest"
printf '{"layers":[{"kind":"spin"}],"manifest":"none.manifest"}' >"$T/measured.json"
expect manifest-stack-file 1 "manifest $T/none.manifest: No such file" -- $R run "$T/measured.json"
expect manifest-no-layers 1 "give --layers" -- $R run --kernel $K --manifest "$T/manifest"
expect policy-bad 1 "on_violation 'later': halt or restart" -- $R run --layers spin --on-violation later
expect policy-no-layers 1 "on_violation restart: a policy for layers" -- $R run --kernel $K --on-violation restart

# Layered stacks.
expect layer-kind 1 "layer 'nope': unknown kind" -- $R run --layers pass,nope
expect layer-variant 1 "layer 'pass': unknown variant 'icc' (gcc, clang)" -- $R run --layers pass@icc,spin
expect layer-variant-empty 1 "layer 'spin': unknown variant '' (gcc, clang)" -- $R run --layers pass,spin@
printf '{"layers":[{"kind":"pass","variant":"icc"},{"kind":"spin"}]}' >"$T/variant.json"
expect layer-variant-file 1 "layers\[0\]: layer 'pass': unknown variant 'icc'" -- $R check "$T/variant.json"
printf '{"layers":[{"kind":"pass","variant":1},{"kind":"spin"}]}' >"$T/variant-type.json"
expect layer-variant-type 1 "layers\[0\].variant: wrong type" -- $R run "$T/variant-type.json"
expect layer-variant-one-image 1 "layer 2 'spin@clang': --layer-image build/layer.elf is one image for every layer" -- $R run --layers pass,spin@clang --layer-image build/layer.elf
expect layer-top 1 "the top layer 'pass' needs a child" -- $R run --layers pass,pass
expect layer-vmm-kernel 1 "the vmm layer boots a Linux guest: give --kernel" -- $R run --layers pass,vmm
expect layer-vmm-middle 1 "only the top layer can be the vmm" -- $R run --layers vmm,spin --kernel $K
expect layer-image-missing 1 "image /nonexistent/layer.elf: No such file" -- $R run --layers spin --layer-image /nonexistent/layer.elf
expect layer-image-garbage 1 "layer image $T/random: " -- $R run --layers spin --layer-image "$T/random"
expect layer-disk-top 1 "a disk or network goes through the layers to a vmm (or io) top only" -- $R run --layers pass,spin --disk "$T/d.img"
# A disk or network at any depth below the vmm is tests/system/t_layers_disk.sh's and
# t_layers_net.sh's (pass,vmm; pass x4,vmm); below the io test guest, tests/layers/io.sh's.
expect layer-disk-middle 1 "layer 1 'test' does not hand devices on" -- $R run --layers test,vmm --kernel $K --disk "$T/d.img"
expect layer-disk-two 1 "one disk at most with layers" -- $R run --layers vmm --kernel $K --disk "$T/d.img" --disk "$T/e.img"
expect layer-disk-missing 1 "disk $T/none.img: No such file" -- $R run --layers vmm --kernel $K --disk "$T/none.img"
expect layer-net-top 1 "a disk or network goes through the layers to a vmm (or io) top only" -- $R run --layers pass,spin --net tap:rt9
expect layer-net-two 1 "one network at most with layers (2 given)" -- $R run --layers vmm --kernel $K --net tap:rt9 --net tap:rt8
expect layer-mem 1 "layer memory 4 MiB" -- $R run --layers spin --layer-mem 4M
expect layer-args 1 "--layer-args 1,x: not a list of numbers" -- $R run --layers spin --layer-args 1,x

# Nothing left half-created.
if [ -e "$T/none.img" ]; then
	echo "not ok nothing-created: a missing disk was created"; fail=$((fail + 1))
else
	echo "ok nothing-created-disk"; pass=$((pass + 1))
fi
# A failing start after the tap opened must not leave it behind.
truncate -s 200M "$T/big.initrd"
expect initrd-too-big 1 "initrd too large" -- $R run --kernel $K --mem 128M --initrd "$T/big.initrd" --net tap:rperr0
if ip link show rperr0 >/dev/null 2>&1; then
	echo "not ok nothing-created-tap: tap rperr0 left behind"; fail=$((fail + 1))
	ip link del rperr0 2>/dev/null
else
	echo "ok nothing-created-tap"; pass=$((pass + 1))
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]

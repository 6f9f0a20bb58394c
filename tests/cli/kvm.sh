#!/bin/sh
# The operator's commands that start a stack, where KVM is real (directly on
# /dev/kvm, or inside the test host: tests/run.sh decides): an approved
# manifest lets a stack run and names each layer's hash, a manifest that
# approves only what runs lets a stack with a tampered unused variant run,
# /dev/kvm that the user may not open is named with what to do, and a
# production layer image refuses a test kind even when the test root asks.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
L=$(dirname "$(readlink -f "$R")") # its layer images: build/test
K=build/images/vmlinuz
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# expect NAME EXIT PATTERN -- command...: the exit status and a line of stderr
expect() {
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" = "$want" ] && grep -q -- "$pat" "$T/err"; then
		ok "$name"
	else
		notok "$name" "exit $got (want $want), stderr: $(head -c 300 "$T/err")"
	fi
}

$R manifest >"$T/manifest" 2>"$T/err" || notok manifest "$(cat "$T/err")"
GCC_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-gcc\.elf$|\1|p' "$T/manifest")
CLANG_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-clang\.elf$|\1|p' "$T/manifest")
expect manifest-approved 0 "powered off" -- $R run --layers pass,spin --layer-args 2,1000 --manifest "$T/manifest"
if grep -q '"event":"measured","layer":1,.*"variant":"gcc",.*"sha256":"'"$GCC_HASH"'","approved":true' "$T/err" &&
	grep -q '"event":"measured","layer":2,.*"variant":"clang",.*"sha256":"'"$CLANG_HASH"'","approved":true' "$T/err"; then
	ok manifest-measured-event
else
	notok manifest-measured-event "$(head -c 300 "$T/err")"
fi
# One flipped byte in the clang variant: a stack of gcc layers alone still runs.
mkdir -p "$T/flip" && cp "$L/layer-gcc.elf" "$L/layer-clang.elf" "$T/flip/"
SIZE=$(wc -c <"$T/flip/layer-clang.elf")
OLD=$(od -An -tu1 -j $((SIZE / 2)) -N1 "$T/flip/layer-clang.elf" | tr -d ' ')
printf "\\$(printf %o $((OLD ^ 1)))" | dd of="$T/flip/layer-clang.elf" bs=1 seek=$((SIZE / 2)) conv=notrunc 2>/dev/null
expect manifest-flipped-gcc-ok 0 "powered off" -- $R run --layers spin@gcc --layer-image "$T/flip" --manifest "$T/manifest"
# A production image run by the test root still refuses a test kind itself (0xbad).
expect prod-image-test-kind 0 'layer: a test personality: only the test images run it' -- $R run --layers spin --layer-image build/layer.elf
grep -q '"event":"end".*"code":2989' "$T/err" && ok prod-image-test-kind-code ||
	notok prod-image-test-kind-code "$(grep '"event":"end"' "$T/err" | head -c 300)"
# Sizes as people type them reach the stack: --layer-mem 16 is 16 MiB.
expect layer-mem-mib 0 '"layer_mem_mib":16' -- $R run --layers pass,spin --layer-args 2,1000 --layer-mem 16

# /dev/kvm the user may not open: named, with what to do, at depth 1 and with layers.
if ! id nobody >/dev/null 2>&1; then
	skip kvm-permission "no user 'nobody' on this host"
	skip kvm-permission-layers "no user 'nobody' on this host"
elif ! setpriv --help 2>&1 | grep -q -- --reuid; then
	skip kvm-permission "no setpriv with --reuid (util-linux) on this host"
	skip kvm-permission-layers "no setpriv with --reuid (util-linux) on this host"
else
	cp "$K" "$T/k" && cp "$L/layer-gcc.elf" "$L/layer-clang.elf" "$T/" &&
		chmod 755 "$T" && chmod 644 "$T/k" "$T"/layer-*.elf
	as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	expect kvm-permission 1 "/dev/kvm: permission denied (run as root or join the kvm group)" -- as_nobody $R run --kernel "$T/k"
	expect kvm-permission-layers 1 "/dev/kvm: permission denied (run as root or join the kvm group)" -- as_nobody $R run --layers pass,spin --layer-image "$T"
fi

summary cli-kvm

#!/bin/sh
# Bad input from the operator: each case must end rampart with exit 1 and one
# line naming the cause and the value, and leave nothing behind (no tap, no
# disk file). Needs no KVM: every case runs twice, as given and with /dev/kvm
# hidden (a mount namespace whose /dev has no kvm node), and must give the
# same answer both times, so that a mistake is reported as that mistake on
# any host, KVM or not. The checks that start a stack are tests/cli/kvm.sh's.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
# The test build (its kinds: spin, io, ...; include/rampart/kinds.h) and its
# images; PR, the production root, for what only it must do.
R=build/rampart-test L=build/test PR=build/rampart
K=build/images/vmlinuz
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# hide_kvm COMMAND...: COMMAND in a mount namespace whose /dev holds only null
hide_kvm() {
	unshare -m sh -c 'mount -t tmpfs -o mode=755 none /dev && mknod -m 666 /dev/null c 1 3 &&
		exec "$@"' hide_kvm "$@"
}

# matches FILE PATTERN: FILE has a line matching PATTERN (an empty PATTERN: any file)
matches() { [ -z "$2" ] || grep -q -- "$2" "$1"; }

# expect NAME EXIT PATTERN -- command...: as given, then with /dev/kvm hidden
expect() {
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" != "$want" ] || ! matches "$T/err" "$pat"; then
		notok "$name" "exit $got (want $want), stderr: $(head -c 300 "$T/err")"
		return
	fi
	hide_kvm "$@" >"$T/out" 2>"$T/err.nokvm" </dev/null
	got=$?
	if [ "$got" = "$want" ] && matches "$T/err.nokvm" "$pat"; then
		ok "$name"
	else
		notok "$name" "without /dev/kvm: exit $got (want $want), stderr: $(head -c 300 "$T/err.nokvm")"
	fi
}

head -c 100000 "$K" >"$T/truncated"
head -c 4096 /dev/urandom >"$T/random"
truncate -s 200M "$T/big.initrd"
printf '{"guest":{"kernel":"k"},"disks":[{"path":"d","readonly":"no"}]}' >"$T/bad.json"
printf '{"guest":{"kernel":"k"},"typo":1}' >"$T/typo.json"
printf '{"guest":{"kernel":' >"$T/broken.json"
printf '{"guest":{"kernel":"%s"},"limits":{"cpus":-1}}' "$PWD/$K" >"$T/lim-cpus-neg.json"
printf '{"guest":{"kernel":"%s"},"limits":{"cpus":"many"}}' "$PWD/$K" >"$T/lim-cpus-str.json"
printf '{"guest":{"kernel":"%s"},"limits":{"memory":0}}' "$PWD/$K" >"$T/lim-mem-zero.json"
printf '{"guest":{"kernel":"%s"},"limits":{"memory":"lots"}}' "$PWD/$K" >"$T/lim-mem-bad.json"
printf '{"guest":{"kernel":"%s","mem":"512M"},"limits":{"memory":"256M"}}' "$PWD/$K" >"$T/lim-mem-low.json"
printf '{"guest":{"kernel":"%s"},"limits":{"cpu":1}}' "$PWD/$K" >"$T/lim-typo.json"

expect no-args 1 "usage" -- $R
expect unknown-command 1 "unknown command 'fly'" -- $R fly
expect unknown-flag 1 "usage" -- $R run --kernel $K --bogus
expect jail-user-root 1 "--jail-user 0: must be UID or UID:GID" -- $R run --kernel $K --jail-user 0
expect jail-user-bad 1 "--jail-user 5:x: must be UID or UID:GID" -- $R run --kernel $K --jail-user 5:x
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
expect tap-not-tap 1 "tap lo: the name is taken by a device that is not a tap" -- $R run --kernel $K --net tap:lo
expect missing-disk 1 "disk $T/none.img: No such file" -- $R run --kernel $K --disk "$T/none.img"
expect disk-option 1 "unknown option 'rx'" -- $R run --kernel $K --disk "$T/d,rx"
expect stack-missing 1 "stack file $T/none.json" -- $R run "$T/none.json"
expect stack-type 1 "disks\[0\].readonly: wrong type" -- $R run "$T/bad.json"
expect stack-typo 1 "stack.typo: unknown field" -- $R check "$T/typo.json"
expect stack-syntax 1 "line 1" -- $R check "$T/broken.json"
# Limits (cgroup v2): refused by name before anything starts, on any host.
expect cpus-limit-zero 1 "--cpus-limit 0: must be a number of CPUs" -- $R run --kernel $K --cpus-limit 0
expect cpus-limit-neg 1 "--cpus-limit -1: must be a number of CPUs" -- $R run --kernel $K --cpus-limit -1
expect cpus-limit-junk 1 "--cpus-limit 1.5x: must be a number of CPUs" -- $R run --kernel $K --cpus-limit 1.5x
expect cpus-limit-tiny 1 "--cpus-limit 0.001: must be a number of CPUs" -- $R run --kernel $K --cpus-limit 0.001
expect cpus-limit-huge 1 "--cpus-limit 150000: must be a number of CPUs" -- $R run --kernel $K --cpus-limit 150000
expect memory-limit-zero 1 "--memory-limit 0: not a size" -- $R run --kernel $K --memory-limit 0
expect memory-limit-junk 1 "--memory-limit lots: not a size" -- $R run --kernel $K --memory-limit lots
expect memory-limit-low 1 "limits.memory (--memory-limit) 100 MiB: below what the stack needs, 320 MiB" -- \
	$R run --kernel $K --memory-limit 100M
expect memory-limit-layers 1 "limits.memory (--memory-limit) 70 MiB: below what the stack needs, 80 MiB" -- \
	$R check --layers pass,spin --memory-limit 70M
expect stack-limit-cpus-neg 1 "limits.cpus: must be a number of CPUs" -- $R run "$T/lim-cpus-neg.json"
expect stack-limit-cpus-str 1 "limits.cpus: must be a number of CPUs" -- $R run "$T/lim-cpus-str.json"
expect stack-limit-mem-zero 1 "limits.memory: not a size" -- $R run "$T/lim-mem-zero.json"
expect stack-limit-mem-bad 1 "limits.memory: not a size" -- $R check "$T/lim-mem-bad.json"
expect stack-limit-mem-low 1 "limits.memory (--memory-limit) 256 MiB: below what the stack needs, 576 MiB" -- \
	$R check "$T/lim-mem-low.json"
expect stack-limit-typo 1 "limits.cpu: unknown field" -- $R check "$T/lim-typo.json"
# Without /dev/kvm (or without the right to open it), every path names it and says what to do.
expect_nokvm() {
	name=$1; shift
	hide_kvm "$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" = 1 ] && grep -q "/dev/kvm: no such device (load kvm_intel or kvm_amd" "$T/err"; then
		ok "$name"
	else
		notok "$name" "exit $got, stderr: $(head -c 300 "$T/err")"
	fi
}
expect_nokvm no-kvm $R run --kernel $K
expect_nokvm no-kvm-layers $R run --layers pass,spin

# Sizes as people type them: a bare number is MiB (as QEMU's -m), in flags and stack files.
expect mem-mib 0 "" -- $R check --kernel $K --mem 256
if grep -q "256 MiB" "$T/out"; then ok "mem-mib-says-256"; else notok "mem-mib-says-256" "$(cat "$T/out")"; fi
expect mem-mib-small 1 "memory 32 MiB: below the minimum" -- $R check --kernel $K --mem 32
expect mem-units 0 "" -- $R check --kernel $K --mem 1GiB --layers spin --layer-mem 16
expect mem-fraction 1 "--mem 1.5G: not a size" -- $R run --kernel $K --mem 1.5G
expect layer-mem-bad 1 "--layer-mem 8X: not a size" -- $R run --layers spin --layer-mem 8X
printf '{"guest":{"kernel":"%s","mem":512}}' "$(pwd)/$K" >"$T/mem.json"
expect mem-stack-file 0 "" -- $R check "$T/mem.json"
if grep -q "512 MiB" "$T/out"; then ok "mem-stack-file-says-512"; else notok "mem-stack-file-says-512" "$(cat "$T/out")"; fi
if $R help | grep -q "a bare number is MiB"; then ok "help-says-units"; else notok "help-says-units" "rampart help does not say"; fi

# `rampart check` checks what run checks, short of creating VMs.
expect check-missing-disk 1 "disk $T/none.img: No such file" -- $R check --kernel $K --disk "$T/none.img"
expect check-tap-not-tap 1 "tap lo: the name is taken by a device that is not a tap" -- $R check --kernel $K --net tap:lo
expect check-initrd-too-big 1 "initrd too large for 128 MiB guest" -- $R check --kernel $K --mem 128 --initrd "$T/big.initrd"
expect check-layers-ok 0 "" -- $R check --layers pass,vmm --kernel $K

# Measured launch: a manifest from `rampart manifest` approves both variants of
# the layer image, and a stack measures each layer's own; one flipped byte in a
# copy of one variant is refused, naming the layer, its variant and both hashes.
$R manifest >"$T/manifest" 2>"$T/err" || notok manifest "$(cat "$T/err")"
GCC_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-gcc\.elf$|\1|p' "$T/manifest")
CLANG_HASH=$(sed -n 's|^\([0-9a-f]*\)  .*/layer-clang\.elf$|\1|p' "$T/manifest")
HASH=$GCC_HASH
if [ "$(wc -l <"$T/manifest")" = 2 ] && [ ${#GCC_HASH} = 64 ] && [ ${#CLANG_HASH} = 64 ] &&
	[ "$GCC_HASH" != "$CLANG_HASH" ]; then
	ok manifest-every-variant
else
	notok manifest-every-variant "$(cat "$T/manifest")"
fi
expect manifest-check-approved 0 "" -- $R check --layers pass,spin --manifest "$T/manifest"
mkdir -p "$T/flip" && cp $L/layer-gcc.elf $L/layer-clang.elf "$T/flip/"
SIZE=$(wc -c <"$T/flip/layer-clang.elf")
OLD=$(od -An -tu1 -j $((SIZE / 2)) -N1 "$T/flip/layer-clang.elf" | tr -d ' ')
printf "\\$(printf %o $((OLD ^ 1)))" | dd of="$T/flip/layer-clang.elf" bs=1 seek=$((SIZE / 2)) conv=notrunc 2>/dev/null
FLIP=$(sha256sum "$T/flip/layer-clang.elf" | cut -d' ' -f1)
expect manifest-flipped 1 "layer 2 (spin, clang): image $T/flip/layer-clang.elf has sha256 $FLIP, not approved .*the manifest has $CLANG_HASH for layer-clang.elf" -- $R run --layers pass,spin --layer-args 2,1000 --layer-image "$T/flip" --manifest "$T/manifest"
expect manifest-flipped-one-line 1 "" -- $R run --layers pass,spin --layer-args 2,1000 --layer-image "$T/flip" --manifest "$T/manifest"
if [ "$(wc -l <"$T/err")" = 1 ]; then
	ok manifest-refusal-one-line
else
	notok manifest-refusal-one-line "$(head -c 300 "$T/err")"
fi
expect manifest-check-flipped 1 "layer 2 (spin, clang): image $T/flip/layer-clang.elf has sha256 $FLIP, not approved" -- $R check --layers pass,spin --layer-image "$T/flip" --manifest "$T/manifest"
expect manifest-check-flipped-gcc-ok 0 "" -- $R check --layers spin@gcc --layer-image "$T/flip" --manifest "$T/manifest"
mkdir -p "$T/novariant" && cp $L/layer-gcc.elf "$T/novariant/"
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
expect layer-variant-one-image 1 "layer 2 'spin@clang': --layer-image $L/layer.elf is one image for every layer" -- $R run --layers pass,spin@clang --layer-image $L/layer.elf
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
# Several vCPUs above layers (tests/system/t_layers_smp.sh runs them): a vmm's guest only.
expect layer-cpus-top 1 "cpus 2: only a vmm at the top boots a guest with several vCPUs ('spin' is at the top)" -- $R run --layers pass,spin --cpus 2
expect layer-cpus-many 1 "cpus 9: must be 1..8" -- $R run --layers pass,vmm --kernel $K --cpus 9
printf '{"guest":{"kernel":"%s","cpus":4},"layers":[{"kind":"vmm"}]}' "$(pwd)/$K" >"$T/cpus.json"
expect layer-cpus-file 0 "" -- $R check "$T/cpus.json"
expect layer-mem 1 "layer memory 4 MiB" -- $R run --layers spin --layer-mem 4M
expect layer-args 1 "--layer-args 1,x: not a list of numbers" -- $R run --layers spin --layer-args 1,x

# The firewall's offline mode and the rule check (handed to rampart-policy).
printf 'table inet t {\n chain f {\n  type filter hook forward priority 0; policy drop;\n  tcp dport 22 accept\n }\n}\n' >"$T/ok.nft"
printf 'table inet t {\n chain f {\n  type filter hook forward priority 0;\n  meta mark 1 accept\n }\n}\n' >"$T/mark.nft"
printf 'table ip t {\n}\n' >"$T/family.nft"
python3 tests/fw/gen.py "$T/traffic.pcap"
head -c 1000 "$T/traffic.pcap" >"$T/cut.pcap"
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\151\000\000\000' >"$T/wifi.pcap"
expect fw-bad-keyword 1 "mark.nft:4: unsupported keyword 'meta mark'" -- $R rules check "$T/mark.nft"
expect fw-bad-family 1 "family.nft:1: unsupported table family 'ip'" -- $R firewall --rules "$T/family.nft" --pcap "$T/traffic.pcap" --guest 10.0.2.0/24
expect fw-truncated-pcap 1 "truncated pcap: record 14" -- $R firewall --rules "$T/ok.nft" --pcap "$T/cut.pcap" --guest 10.0.2.0/24
expect fw-not-pcap 1 "not a pcap file" -- $R firewall --rules "$T/ok.nft" --pcap "$T/ok.nft" --guest 10.0.2.0/24
expect fw-linktype 1 "link type 105 is not read" -- $R firewall --rules "$T/ok.nft" --pcap "$T/wifi.pcap" --guest 10.0.2.0/24
expect fw-bad-guest 1 "--guest '10.0.2.0/40': bad prefix length" -- $R firewall --rules "$T/ok.nft" --pcap "$T/traffic.pcap" --guest 10.0.2.0/40
expect fw-no-guest 1 "firewall needs --rules FILE, --pcap FILE and --guest" -- $R firewall --rules "$T/ok.nft" --pcap "$T/traffic.pcap"
if $R firewall --rules "$T/ok.nft" --pcap "$T/traffic.pcap" --guest 10.0.2.0/24 >"$T/v" 2>&1 &&
	[ "$(wc -l <"$T/v")" = "$(grep -c '^[0-9]* \(accept\|drop\|reject\)$' "$T/v")" ] &&
	grep -q '^1 accept$' "$T/v" && grep -q ' drop$' "$T/v"; then
	ok fw-offline "$(wc -l <"$T/v") verdicts"
else
	notok fw-offline "$(head -c 300 "$T/v")"
fi
# Compiled blobs are cached by content: the second compile is a copy.
P=build/rampart-policy
if a=$($P compile "$T/ok.nft" -o "$T/a.blob" --cache "$T/cache") &&
	b=$($P compile "$T/ok.nft" -o "$T/b.blob" --cache "$T/cache") &&
	[ "${a% compiled}" = "${b% cached}" ] && [ "$a" != "$b" ] && cmp -s "$T/a.blob" "$T/b.blob"; then
	ok fw-blob-cache "${b% cached}"
else
	notok fw-blob-cache "first '$a', second '$b'"
fi

# A firewall layer's rules: compiled by rampart-policy before KVM, refused
# with FILE:LINE and the keyword; every mistake about them named.
printf 'table inet t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy drop;\n\t\tudp dport 53 log accept\n\t}\n}\n' >"$T/bad.nft"
FWL="--layers firewall,io --layer-args 2,1,0"
expect rules-refused 1 "$T/bad.nft:4: unsupported keyword 'log'" -- $R run $FWL --rules firewall="$T/bad.nft"
expect rules-refused-layer 1 "layer 1 (firewall): rules $T/bad.nft refused" -- $R run $FWL --rules firewall="$T/bad.nft"
expect rules-refused-check 1 "$T/bad.nft:4: unsupported keyword 'log'" -- $R check $FWL --rules 1="$T/bad.nft"
expect rules-missing 1 "layer 1 (firewall): rules $T/none.nft: No such file" -- $R run $FWL --rules firewall="$T/none.nft"
expect rules-none 1 "layer 1 'firewall' needs its rules: give --rules firewall=FILE" -- $R run $FWL
expect rules-not-firewall 1 "layer 1 'pass' takes no rules" -- $R run --layers pass,io --rules pass="$T/ok.nft"
expect rules-no-such-layer 1 "--rules 5=$T/ok.nft: no layer 5" -- $R run $FWL --rules firewall="$T/ok.nft" --rules 5="$T/ok.nft"
expect rules-no-layers 1 "--rules firewall=$T/ok.nft: rules are for firewall layers" -- $R run --kernel $K --rules firewall="$T/ok.nft"
expect rules-bad-spec 1 "--rules $T/ok.nft: give KIND=FILE" -- $R run $FWL --rules "$T/ok.nft"
expect firewall-on-top 1 "the top layer 'firewall' needs a child" -- $R run --layers pass,firewall --rules firewall="$T/ok.nft"
mkdir -p "$T/stack"
cp "$T/bad.nft" "$T/stack/guest.nft"
printf '{"layers":[{"kind":"firewall","rules":"guest.nft"},{"kind":"io"}]}' >"$T/stack/fw.json"
expect rules-stack-file 1 "$T/stack/guest.nft:4: unsupported keyword 'log'" -- $R run "$T/stack/fw.json" --layer-args 2,1,0
# The blob is measured like an image: a manifest that lists the layer
# images but not the policy refuses it, one that lists it too approves it.
$R manifest >"$T/fw.manifest" 2>/dev/null
$P compile "$T/ok.nft" -o "$T/fw.blob" >/dev/null
FWHASH=$(sha256sum "$T/fw.blob" | cut -d' ' -f1)
expect policy-unapproved 1 "layer 1 (firewall): the policy blob of $T/ok.nft has sha256 $FWHASH, not approved by manifest" -- $R run $FWL --rules firewall="$T/ok.nft" --manifest "$T/fw.manifest"
expect policy-unapproved-check 1 "has sha256 $FWHASH, not approved" -- $R check $FWL --rules firewall="$T/ok.nft" --manifest "$T/fw.manifest"
sha256sum "$T/fw.blob" >>"$T/fw.manifest"
expect policy-approved-check 0 "" -- $R check $FWL --rules firewall="$T/ok.nft" --manifest "$T/fw.manifest"

# An ids layer's rules: Snort 3 / Suricata, compiled by rampart-policy
# before KVM; a rule the parser refuses stops the run, named by FILE:LINE;
# a file of which no rule can be enforced in-line is refused as a whole.
IDSL="--layers ids,io --layer-args 2,1,0"
printf 'alert udp any any -> any any (msg:"ok"; content:"abc"; sid:1;)\ndrop udp any any -> any (msg:"short header"; content:"x"; sid:2;)\n' >"$T/bad.rules"
printf 'alert udp any any -> any any (msg:"p"; pcre:"/a+b/"; sid:3;)\n' >"$T/none.rules"
printf 'drop udp any any -> any 53 (msg:"m"; content:"evil"; nocase; sid:4;)\n' >"$T/ok.rules"
expect ids-rules-refused 1 "$T/bad.rules:2: sid 2: header: too short" -- $R run $IDSL --rules ids="$T/bad.rules"
expect ids-rules-refused-layer 1 "layer 1 (ids): rules $T/bad.rules refused" -- $R run $IDSL --rules ids="$T/bad.rules"
expect ids-rules-none-inline 1 "$T/none.rules:1: sid 3: not loaded in-line: pcre" -- $R check $IDSL --rules ids="$T/none.rules"
expect ids-rules-missing 1 "layer 1 'ids' needs its rules: give --rules ids=FILE (Snort 3 / Suricata rules)" -- $R run $IDSL
expect ids-rules-ok-check 0 "" -- $R check $IDSL --rules ids="$T/ok.rules"
# A stack file's ids vars reach the compiler: a rule on a variable only
# they define loads with them and is refused without; vars on another kind
# of layer, or not a variable's name, are refused.
printf 'alert udp $LAB_NET any -> any any (msg:"v"; content:"abc"; sid:5;)\n' >"$T/var.rules"
printf '{"layers":[{"kind":"ids","rules":"var.rules","vars":{"LAB_NET":"[192.0.2.0/24,!192.0.2.1]"}},{"kind":"io"}]}' >"$T/var.json"
printf '{"layers":[{"kind":"ids","rules":"var.rules"},{"kind":"io"}]}' >"$T/novar.json"
printf '{"layers":[{"kind":"pass","vars":{"A":"1"}},{"kind":"io"}]}' >"$T/passvar.json"
printf '{"layers":[{"kind":"ids","rules":"var.rules","vars":{"$A":"1"}},{"kind":"io"}]}' >"$T/badvar.json"
expect ids-vars-check 0 "" -- $R check "$T/var.json"
expect ids-vars-missing 1 "var.rules:1: sid 5: .*undefined variable" -- $R check "$T/novar.json"
expect ids-vars-other-kind 1 "layers\[0\].vars: only an ids layer takes vars" -- $R check "$T/passvar.json"
expect ids-vars-bad-name 1 "layers\[0\].vars: '\$A' is not a variable name" -- $R check "$T/badvar.json"

# A wrapper layer's policy: JSON, compiled by rampart-policy before KVM like
# a firewall's (docs/wrapper.md); each language only for its own kind.
WRL="--layers wrapper,io --layer-args 2,1,0"
printf '{"disk": {"read_only": [[0, 8]], "max_request": 100}}\n' >"$T/bad.json"
printf '{"devices": ["disk", "net"], "disk": {"read_only": [[0, 8]]}}\n' >"$T/ok.json"
expect wrap-refused 1 "$T/bad.json: disk.max_request: less than a sector" -- $R run $WRL --rules wrapper="$T/bad.json"
expect wrap-refused-layer 1 "layer 1 (wrapper): rules $T/bad.json refused" -- $R check $WRL --rules wrapper="$T/bad.json"
expect wrap-none 1 "layer 1 'wrapper' needs its rules: give --rules wrapper=FILE (a JSON policy)" -- $R run $WRL
expect wrap-nft 1 "$T/ok.nft: not a JSON object: a wrapper layer's policy is JSON" -- $R run $WRL --rules wrapper="$T/ok.nft"
expect wrap-json-for-firewall 1 "$T/ok.json: a JSON (wrapper) policy for a firewall layer" -- $R run $FWL --rules firewall="$T/ok.json"
printf '{"layers":[{"kind":"wrapper","policy":{"disk":{"deny":[[9,3]]}}},{"kind":"io"}]}' >"$T/stack/wr.json"
expect wrap-inline-refused 1 "policy.json: disk.deny\\[0\\]: the end must lie past the first sector" -- $R check "$T/stack/wr.json" --layer-args 2,1,0
printf '{"layers":[{"kind":"wrapper","rules":"x.json","policy":{}},{"kind":"io"}]}' >"$T/stack/wr2.json"
expect wrap-inline-and-file 1 "layers\[0\].policy: give rules (a file) or policy (inline), not both" -- $R check "$T/stack/wr2.json" --layer-args 2,1,0
printf '{"layers":[{"kind":"pass","policy":{}},{"kind":"io"}]}' >"$T/stack/wr3.json"
expect wrap-inline-not-wrapper 1 "layer 1 'pass' takes no rules" -- $R check "$T/stack/wr3.json" --layer-args 2,1,0
# A watch layer: its rules are the guest kernel's System.map (read, not
# parsed, by the root), it sits right below a vmm, its timing is bounded
# (docs/watch.md).
WTL="--kernel $K --layers watch,vmm"
printf 'ffffffff81000000 T _text\n' >"$T/System.map"
: >"$T/empty.map"
expect watch-none 1 "layer 1 'watch' needs its rules: give --rules watch=FILE (the guest kernel's System.map)" -- $R run $WTL
expect watch-not-below-vmm 1 "layer 1 'watch': it watches the guest of the vmm just above it" -- $R check --kernel $K --layers watch,pass,vmm --rules watch="$T/System.map"
expect watch-missing-map 1 "watch layer's System.map $T/none.map: No such file" -- $R check $WTL --rules watch="$T/none.map"
expect watch-empty-map 1 "layer 1 (watch): System.map $T/empty.map: System.map length does not match" -- $R check $WTL --rules watch="$T/empty.map"
expect watch-interval-short 1 "--watch: interval 50 ms: must be 100..3600000 ms" -- $R check $WTL --rules watch="$T/System.map" --watch 1000,50
expect watch-start-long 1 "--watch: start 86400001 ms: at most" -- $R check $WTL --rules watch="$T/System.map" --watch 86400001,1000
expect watch-garbage 1 "--watch 10,x: give START_MS,INTERVAL_MS" -- $R check $WTL --rules watch="$T/System.map" --watch 10,x
expect watch-negative 1 "--watch -1,1000: give START_MS,INTERVAL_MS" -- $R check $WTL --rules watch="$T/System.map" --watch -1,1000
printf '{"guest":{"kernel":"%s"},"layers":[{"kind":"watch","rules":"%s","interval_ms":10},{"kind":"vmm"}]}' "$(pwd)/$K" "$T/System.map" >"$T/stack/wt.json"
expect watch-stack-interval 1 "layers\[0\]: interval 10 ms: must be 100..3600000 ms" -- $R check "$T/stack/wt.json"
printf '{"guest":{"kernel":"%s"},"layers":[{"kind":"pass","start_after_ms":10},{"kind":"vmm"}]}' "$(pwd)/$K" >"$T/stack/wt2.json"
expect watch-stack-not-watch 1 "layers\[0\]: start_after_ms and interval_ms are a watch layer's" -- $R check "$T/stack/wt2.json"
printf '{"guest":{"kernel":"%s"},"layers":[{"kind":"watch","policy":{}},{"kind":"vmm"}]}' "$(pwd)/$K" >"$T/stack/wt3.json"
expect watch-inline 1 "layer 1 'watch': its rules are the guest kernel's System.map, a file" -- $R check "$T/stack/wt3.json"

# The child's exit limit: a whole number from 1 (0, negative, garbage refused).
WRX="--layers wrapper,spin --layer-args 1,1"
for c in 'zero {"per_s": 0}' 'burst-zero {"per_s": 10, "burst": 0}' 'negative {"per_s": -5}' \
	'garbage {"per_s": "fast"}' 'huge {"per_s": 4294967297}' 'typo {"per_sec": 10}' 'no-object 1000'; do
	printf '{"exits": %s}\n' "${c#* }" >"$T/exits-${c%% *}.json"
done
expect wrap-exits-zero 1 "exits-zero.json: exits.per_s: 0 lets the child never run" -- $R run $WRX --rules wrapper="$T/exits-zero.json"
expect wrap-exits-burst-zero 1 "exits.burst: 0 lets the child never run" -- $R check $WRX --rules wrapper="$T/exits-burst-zero.json"
expect wrap-exits-negative 1 "exits.per_s: want a whole number from 1 to 4294967296" -- $R run $WRX --rules wrapper="$T/exits-negative.json"
expect wrap-exits-garbage 1 "exits.per_s: want a whole number" -- $R check $WRX --rules wrapper="$T/exits-garbage.json"
expect wrap-exits-huge 1 "exits.per_s: want a whole number from 1 to 4294967296" -- $R check $WRX --rules wrapper="$T/exits-huge.json"
expect wrap-exits-typo 1 "exits.per_sec: unknown key (per_s, burst)" -- $R check $WRX --rules wrapper="$T/exits-typo.json"
expect wrap-exits-no-object 1 "exits: want an object" -- $R check $WRX --rules wrapper="$T/exits-no-object.json"
printf '{"layers":[{"kind":"wrapper","policy":{"exits":{"per_s":-1}}},{"kind":"spin"}]}' >"$T/stack/wrx.json"
expect wrap-exits-inline 1 "policy.json: exits.per_s: want a whole number" -- $R check "$T/stack/wrx.json" --layer-args 1,1
printf '{"devices": [], "exits": {"per_s": 1000}}\n' >"$T/exits-ok.json"
expect wrap-exits-ok 0 "" -- $R check $WRX --rules wrapper="$T/exits-ok.json"
$P compile "$T/ok.json" -o "$T/wr.blob" >/dev/null
WRHASH=$(sha256sum "$T/wr.blob" | cut -d' ' -f1)
expect wrap-unapproved 1 "layer 1 (wrapper): the policy blob of $T/ok.json has sha256 $WRHASH, not approved" -- $R check $WRL --rules wrapper="$T/ok.json" --manifest "$T/fw.manifest"
sha256sum "$T/wr.blob" >>"$T/fw.manifest"
expect wrap-approved-check 0 "" -- $R check $WRL --rules wrapper="$T/ok.json" --manifest "$T/fw.manifest"

# Nothing left half-created.
if [ -e "$T/none.img" ]; then
	notok nothing-created "a missing disk was created"
else
	ok nothing-created-disk
fi
# A start refused for its initrd must not leave the tap it named behind.
expect initrd-too-big 1 "initrd too large" -- $R run --kernel $K --mem 128M --initrd "$T/big.initrd" --net tap:rperr0
if ip link show rperr0 >/dev/null 2>&1; then
	notok nothing-created-tap "tap rperr0 left behind"
	ip link del rperr0 2>/dev/null
else
	ok nothing-created-tap
fi

# ---- the production root: no test personality (include/rampart/kinds.h) ----
for k in abuse spin scribble flood test io; do
	expect prod-test-kind-$k 1 "layer kind '$k' is a test personality: only rampart-test runs it" -- $PR run --layers pass,$k
done
printf '{"layers":[{"kind":"pass"},{"kind":"smash"},{"kind":"vmm"}]}' >"$T/testkind.json"
expect prod-test-kind-file 1 "layers\[1\]: layer kind 'smash' is a test personality" -- $PR check "$T/testkind.json"
expect prod-kinds-ok 0 "" -- $PR check --layers pass,firewall,vmm --kernel $K --rules firewall="$T/ok.nft"
expect prod-top 1 "the top layer 'pass' needs a child: put vmm on top" -- $PR run --layers pass,pass
expect prod-no-echo 1 "echo" -- $PR run --layers pass,vmm --kernel $K --echo 5
expect prod-no-jail-selftest 1 "jail-selftest" -- $PR run --layers pass,vmm --kernel $K --jail-selftest main
expect test-echo-ok 0 "" -- $R check --layers pass,spin --echo 5
# What an operator approves: the production images beside rampart, not the test build's.
$PR manifest >"$T/prod.manifest" 2>"$T/err"
if [ "$(sed -n 's|^\([0-9a-f]*\)  \(.*\)$|\2 \1|p' "$T/prod.manifest")" = \
	"$(for v in gcc clang; do echo "$(readlink -f build/layer-$v.elf) $(sha256sum <build/layer-$v.elf | cut -d' ' -f1)"; done)" ] &&
	! grep -q "$(sha256sum <$L/layer-gcc.elf | cut -d' ' -f1)" "$T/prod.manifest"; then
	ok prod-manifest-images
else
	notok prod-manifest-images "$(cat "$T/prod.manifest" "$T/err")"
fi

summary cli

#!/bin/sh
# Build build/images/testhost.cpio.gz: the initramfs of the test host, a QEMU
# TCG VM with emulated SVM in which /dev/kvm is real KVM (kvm_amd), so an
# unmodified Linux guest can run under build/rampart (or QEMU) in CI.
# Rebuilt only when an input is newer than the archive. Run scripts/images.sh first.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
IMG=$ROOT/build/images
OUT=$IMG/testhost.cpio.gz
KVER=$(cat "$IMG/KVER")
MODDIR=$IMG/kernel/lib/modules/$KVER
. scripts/imglib.sh

QEMU=$(command -v qemu-system-x86_64)
IP=$(command -v ip)
TIMEOUT=$(command -v timeout)
RAMPART=$ROOT/build/rampart
QEMU_FW="bios-microvm.bin linuxboot_dma.bin kvmvapic.bin pvh.bin"

inputs="scripts/testhost-build.sh scripts/testhost-init.sh scripts/imglib.sh scripts/hostkind.sh tests
	$IMG/vmlinuz $IMG/guest-initrd.cpio.gz $IMG/triplefault.bin $IMG/busybox/bin/busybox $QEMU $IP"
[ -x "$RAMPART" ] && inputs="$inputs $RAMPART"
TIMELINE=$ROOT/build/timeline
[ -x "$TIMELINE" ] && inputs="$inputs $TIMELINE"
[ -s "$IMG/bench-initrd.cpio.gz" ] && inputs="$inputs $IMG/bench-initrd.cpio.gz"
[ -s "$IMG/System.map" ] && inputs="$inputs $IMG/System.map"
TAPIO=$ROOT/build/tapio
[ -x "$TAPIO" ] && inputs="$inputs $TAPIO"
# The policy compiler the root runs for a firewall layer's rules.
POLICY=$ROOT/build/rampart-policy
[ -x "$POLICY" ] && inputs="$inputs $POLICY"
HSBENCH=$ROOT/build/ids-hsbench
[ -x "$HSBENCH" ] && inputs="$inputs $HSBENCH"
IDSTOOL=$ROOT/build/idstool
[ -x "$IDSTOOL" ] && inputs="$inputs $IDSTOOL"
# Every layer image of the build (layer.elf and its variants).
LAYERS=$(ls "$ROOT"/build/layer*.elf 2>/dev/null || true)
[ -n "$LAYERS" ] && inputs="$inputs $LAYERS"
# The test build (the test kinds' root and images: the layer suites run it).
TESTB=$(ls "$ROOT"/build/test/rampart "$ROOT"/build/test/layer*.elf 2>/dev/null || true)
[ -n "$TESTB" ] && inputs="$inputs $TESTB"
[ -d bench ] && inputs="$inputs bench"
# suricata-verify's pcaps and rules (the replay suite), where ../shared has them.
VERIFY=$ROOT/../shared/data/ids/verify
[ -f "$VERIFY/manifest.tsv" ] && inputs="$inputs $VERIFY"
# A root binary that appeared or vanished since the last build also counts.
stamp=$IMG/testhost.rampart
have=absent; [ -x "$RAMPART" ] && have=present
# shellcheck disable=SC2086
if ! newer_than "$OUT" $inputs && [ "$(cat "$stamp" 2>/dev/null)" = "$have" ]; then
	exit 0
fi

st=$IMG/testhost-root
rm -rf "$st"
mkdir -p "$st/bin" "$st/sbin" "$st/dev" "$st/proc" "$st/sys" "$st/tmp" "$st/run" "$st/etc" \
	"$st/lib/modules" "$st/rampart/build/images" "$st/rampart/tests" "$st/usr/share/qemu"
cp "$IMG/busybox/bin/busybox" "$st/bin/busybox"
ln -s busybox "$st/bin/sh"
cp scripts/testhost-init.sh "$st/init"
chmod 755 "$st/init"

# Kernel modules: KVM on (emulated) AMD-V, tun for the guest's tap.
: >"$st/lib/modules/order"
for p in $(mod_order irqbypass kvm kvm-amd tun); do
	n=$(basename "$p" .ko)
	cp "$p" "$st/lib/modules/$n.ko"
	echo "$n" >>"$st/lib/modules/order"
done

# Dynamic binaries with their libraries; GNU timeout for its exit status 124;
# util-linux's setpriv (busybox's cannot change uid) for the CLI's permission checks.
copy_bin "$st" "$QEMU" "$IP" "$TIMEOUT" "$(command -v setpriv)"
# iperf3, the host side of the network benchmark (bench/iperf_all.sh).
IPERF=$(command -v iperf3 || true)
[ -n "$IPERF" ] && copy_bin "$st" "$IPERF"
for f in $QEMU_FW; do cp "/usr/share/qemu/$f" "$st/usr/share/qemu/"; done
if [ -x "$RAMPART" ]; then
	mkdir -p "$st/rampart/build"
	copy_bin "$st" "$RAMPART"
	mkdir -p "$st/rampart/build"
	cp "$RAMPART" "$st/rampart/build/rampart"
fi
[ -x "$TIMELINE" ] && cp "$TIMELINE" "$st/rampart/build/timeline"
[ -x "$TAPIO" ] && copy_bin "$st" "$TAPIO" && cp "$TAPIO" "$st/rampart/build/tapio"
[ -x "$POLICY" ] && copy_bin "$st" "$POLICY" && cp "$POLICY" "$st/rampart/build/rampart-policy"
[ -x "$HSBENCH" ] && copy_bin "$st" "$HSBENCH" && cp "$HSBENCH" "$st/rampart/build/ids-hsbench"
[ -x "$IDSTOOL" ] && copy_bin "$st" "$IDSTOOL" && cp "$IDSTOOL" "$st/rampart/build/idstool"
for f in $LAYERS; do cp "$f" "$st/rampart/build/"; done
if [ -n "$TESTB" ]; then
	mkdir -p "$st/rampart/build/test"
	for f in $TESTB; do cp "$f" "$st/rampart/build/test/"; done
	[ -x "$POLICY" ] && ln -sf ../rampart-policy "$st/rampart/build/test/rampart-policy"
	ln -sf test/rampart "$st/rampart/build/rampart-test"
fi
echo "$have" >"$stamp.new"

# The guest images and the test scripts, laid out like the repository.
cp "$IMG/vmlinuz" "$IMG/guest-initrd.cpio.gz" "$IMG/triplefault.bin" "$IMG/KVER" "$st/rampart/build/images/"
[ -s "$IMG/bench-initrd.cpio.gz" ] && cp "$IMG/bench-initrd.cpio.gz" "$st/rampart/build/images/"
[ -s "$IMG/System.map" ] && cp "$IMG/System.map" "$st/rampart/build/images/"
rmdir "$st/rampart/tests"
cp -r tests "$st/rampart/tests"
mkdir -p "$st/rampart/scripts" && cp scripts/hostkind.sh "$st/rampart/scripts/"
[ -d bench ] && cp -r bench "$st/rampart/bench"
if [ -f "$VERIFY/manifest.tsv" ]; then
	mkdir -p "$st/shared/data/ids"
	cp -r "$VERIFY" "$st/shared/data/ids/verify"
fi
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$st/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null || true

(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
mv "$stamp.new" "$stamp"
echo "testhost: testhost.cpio.gz $(du -m "$OUT" | cut -f1) MiB ($(du -sm "$st" | cut -f1) MiB unpacked; rampart $have)"

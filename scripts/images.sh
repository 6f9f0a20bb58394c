#!/bin/sh
# Build the guest images under build/images/ from Debian packages:
#   vmlinuz               the kernel that linux-image-cloud-amd64 depends on
#   System.map            its symbols, from the kernel's -dbg package (the watch layer's)
#   KVER                  its version string (modules live under lib/modules/KVER)
#   guest-initrd.cpio.gz  busybox + virtio modules + guest/init + guest/work/*.sh
#   bench-initrd.cpio.gz  the guest initramfs with iperf3 (and its libraries)
#                         appended: the benchmarks' bulk TCP stream
#   triplefault.bin       a tiny fake bzImage whose every entry point triple faults
# Packages are downloaded with `apt-get download` and unpacked with dpkg-deb -x
# (never installed). Idempotent; quiet when everything is up to date.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
IMG=$ROOT/build/images
mkdir -p "$IMG"

say() { echo "images: $*"; }

# apt-get download PKG into directory $2; runs `apt-get update` once when
# the package lists are missing or stale.
fetch() {
	( cd "$2" && apt-get download "$1" >/dev/null 2>&1 ) && return 0
	say "apt-get download $1 failed; running apt-get update"
	apt-get update -qq >/dev/null 2>&1 || true
	( cd "$2" && apt-get download "$1" >/dev/null 2>&1 )
}

# ---- the kernel ---------------------------------------------------------------
KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$KPKG" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
fi
if [ -z "$KPKG" ]; then
	# No package lists at all: fall back to what is already unpacked.
	[ -s "$IMG/KVER" ] || { say "cannot resolve linux-image-cloud-amd64's kernel package" >&2; exit 1; }
	KPKG=linux-image-$(cat "$IMG/KVER")
fi
KVER=${KPKG#linux-image-}
KDIR=$IMG/kernel

if [ ! -s "$IMG/vmlinuz" ] || [ "$(cat "$IMG/KVER" 2>/dev/null)" != "$KVER" ] ||
	[ ! -d "$KDIR/lib/modules/$KVER" ]; then
	say "fetching $KPKG"
	tmp=$(mktemp -d "$IMG/dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# A pre-downloaded copy (e.g. /tmp/k) saves the download.
	pre=$(ls /tmp/k/"${KPKG}"_*_amd64.deb 2>/dev/null | head -n1 || true)
	if [ -n "$pre" ]; then cp "$pre" "$tmp/"; else fetch "$KPKG" "$tmp"; fi
	rm -rf "$KDIR"
	mkdir -p "$KDIR"
	dpkg-deb -x "$tmp"/"${KPKG}"_*.deb "$KDIR"
	cp "$KDIR/boot/vmlinuz-$KVER" "$IMG/vmlinuz"
	echo "$KVER" >"$IMG/KVER"
	rm -rf "$tmp"
	trap - EXIT
fi
MODDIR=$KDIR/lib/modules/$KVER

# ---- the kernel's System.map (the watch layer's symbols) ------------------------
# The image package's /boot/System.map is a stub; the real one is in
# linux-image-VER-dbg (about 280 MB): only System.map is kept, here and in
# the user's cache (RAMPART_CACHE, default ~/.cache/rampart), so that a
# fresh checkout does not fetch the package again. Without it (no network)
# the watch layer's system test skips; nothing else needs it.
MAP=$IMG/System.map
CACHE=${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}
if [ ! -s "$MAP" ] || [ "$(cat "$MAP.kver" 2>/dev/null)" != "$KVER" ]; then
	if [ -s "$CACHE/System.map-$KVER" ]; then
		cp "$CACHE/System.map-$KVER" "$MAP.tmp" && mv "$MAP.tmp" "$MAP" && echo "$KVER" >"$MAP.kver"
	else
		say "fetching System.map from $KPKG-dbg"
		tmp=$(mktemp -d "$IMG/dl.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		fetch "$KPKG-dbg" "$tmp" || true
		if ls "$tmp"/*-dbg_*.deb >/dev/null 2>&1 &&
			dpkg-deb --fsys-tarfile "$tmp"/*-dbg_*.deb |
			tar -xO "./usr/lib/debug/boot/System.map-$KVER" >"$MAP.tmp" && [ -s "$MAP.tmp" ]; then
			mv "$MAP.tmp" "$MAP"
			echo "$KVER" >"$MAP.kver"
			mkdir -p "$CACHE" && cp "$MAP" "$CACHE/System.map-$KVER.tmp" &&
				mv "$CACHE/System.map-$KVER.tmp" "$CACHE/System.map-$KVER"
		else
			rm -f "$MAP.tmp"
			say "no System.map for $KVER (the watch layer's system test will skip)"
		fi
		rm -rf "$tmp"
		trap - EXIT
	fi
fi

# ---- busybox ------------------------------------------------------------------
if [ ! -x "$IMG/busybox/bin/busybox" ]; then
	say "fetching busybox-static"
	tmp=$(mktemp -d "$IMG/dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	fetch busybox-static "$tmp"
	rm -rf "$IMG/busybox"
	mkdir -p "$IMG/busybox"
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$IMG/busybox"
	rm -rf "$tmp"
	trap - EXIT
fi
BUSYBOX=$IMG/busybox/bin/busybox

. scripts/imglib.sh

# ---- the guest initramfs --------------------------------------------------------
GUEST_MODS="virtio virtio_ring virtio_mmio virtio_blk failover net_failover virtio_net virtio_console virtio-rng"
OUT=$IMG/guest-initrd.cpio.gz
if newer_than "$OUT" guest scripts/images.sh "$IMG/KVER" "$BUSYBOX"; then
	st=$IMG/guest-root
	rm -rf "$st"
	mkdir -p "$st/bin" "$st/dev" "$st/proc" "$st/sys" "$st/tmp" "$st/mnt" "$st/lib/modules" "$st/work"
	cp "$BUSYBOX" "$st/bin/busybox"
	ln -s busybox "$st/bin/sh"
	cp guest/init "$st/init"
	cp guest/work/*.sh "$st/work/"
	chmod 755 "$st/init" "$st"/work/*.sh
	: >"$st/lib/modules/order"
	for p in $(mod_order $GUEST_MODS); do
		n=$(basename "$p" .ko)
		cp "$p" "$st/lib/modules/$n.ko"
		echo "$n" >>"$st/lib/modules/order"
	done
	[ "$(id -u)" = 0 ] && mknod -m 600 "$st/dev/console" c 5 1
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	say "guest-initrd.cpio.gz: $(du -k "$OUT" | cut -f1) KiB (modules: $(tr '\n' ' ' <"$st/lib/modules/order"))"
fi

# ---- the benchmarks' initramfs: the guest's plus iperf3 ---------------------------
# Linux unpacks concatenated cpio archives in order, so the overlay (iperf3,
# its libraries and the ELF interpreter, copied from the Debian package
# scripts/deps.sh installs) is appended to the guest's archive as it is.
BENCH=$IMG/bench-initrd.cpio.gz
IPERF=$(command -v iperf3 || true)
if [ -n "$IPERF" ] && newer_than "$BENCH" "$OUT" "$IPERF" scripts/images.sh; then
	st=$IMG/bench-root
	rm -rf "$st"
	mkdir -p "$st"
	copy_bin "$st" "$IPERF"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$BENCH.tmp"
	cat "$OUT" "$BENCH.tmp" >"$BENCH"
	rm -f "$BENCH.tmp"
	say "bench-initrd.cpio.gz: $(du -k "$BENCH" | cut -f1) KiB (the guest's and iperf3)"
fi

# ---- a fake kernel that triple faults -------------------------------------------
# A minimal bzImage (boot protocol 2.15, 64-bit, relocatable). Each entry point
# loads an empty IDT and executes int3, so the CPU shuts down (triple fault):
#   real mode  (setup + 0x200, jumps to setup + 0x280): cli; lidt [0x2f0]; int3
#   32-bit     (kernel + 0):     push 0; push 0; lidt [esp]; int3
#   64-bit     (kernel + 0x200): push 0; push 0; lidt [rsp]; int3
TF=$IMG/triplefault.bin
if newer_than "$TF" scripts/images.sh; then
	python3 - "$TF" <<'PY'
import struct, sys
setup_sects = 1
setup = bytearray(512 * (setup_sects + 1))
def put(off, fmt, v): struct.pack_into("<" + fmt, setup, off, v)
pm = bytearray(0x1000)
body = bytes([0x6a, 0x00, 0x6a, 0x00, 0x0f, 0x01, 0x1c, 0x24, 0xcc, 0xf4, 0xeb, 0xfd])
pm[0:len(body)] = body
pm[0x200:0x200 + len(body)] = body
put(0x1f1, "B", setup_sects)
put(0x1f4, "I", len(pm) // 16)      # syssize
put(0x1fe, "H", 0xAA55)
setup[0x200:0x202] = bytes([0xeb, 0x7e])  # jmp short 0x280
setup[0x202:0x206] = b"HdrS"
put(0x206, "H", 0x020f)
put(0x211, "B", 0x01)               # loadflags: LOADED_HIGH
put(0x214, "I", 0x100000)           # code32_start
put(0x22c, "I", 0x7fffffff)         # initrd_addr_max
put(0x230, "I", 0x200000)           # kernel_alignment
put(0x234, "B", 1)                  # relocatable_kernel
put(0x235, "B", 21)                 # min_alignment
put(0x236, "H", 0x3)                # xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
put(0x238, "I", 2047)               # cmdline_size
put(0x258, "Q", 0x1000000)          # pref_address
put(0x260, "I", 0x100000)           # init_size
rm = bytes([0xfa, 0x0f, 0x01, 0x1e, 0xf0, 0x02, 0xcc, 0xf4, 0xeb, 0xfd])
setup[0x280:0x280 + len(rm)] = rm   # 0x2f0..0x2f5 stay zero: the empty IDT
open(sys.argv[1], "wb").write(bytes(setup) + bytes(pm))
PY
fi
exit 0

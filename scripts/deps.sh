#!/bin/sh
# Install what Rampart needs to build, test and benchmark, from Debian's
# packages. Idempotent and quiet when everything is already there.
set -eu

PKGS="build-essential clang libclang-rt-14-dev llvm libjansson-dev libcmocka-dev
libseccomp-dev qemu-system-x86 qemu-utils busybox-static cpio iproute2 kmod
xz-utils zstd e2fsprogs ca-certificates python3 nftables"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "rampart: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
echo "rampart: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

#!/bin/sh
# Install what Rampart needs to build, test and benchmark, from Debian's
# packages. Idempotent and quiet when everything is already there.
set -eu

PKGS="build-essential clang libclang-rt-14-dev llvm libjansson-dev libcmocka-dev
libseccomp-dev qemu-system-x86 qemu-utils busybox-static cpio iproute2 kmod
xz-utils zstd e2fsprogs ca-certificates python3 nftables libhyperscan-dev
libpcre2-dev zlib1g-dev iperf3 time"

# Suricata is the ids engine's reference (tests/ids): Debian 12 has it only in
# bookworm-backports. The suite is added the way debian.sources names its own
# (deb822, same URIs and keyring); installed from there when missing.
BACKPORTS=/etc/apt/sources.list.d/rampart-backports.sources
need_suricata=0
dpkg-query -W -f='${Status}' suricata 2>/dev/null | grep -q "install ok installed" ||
	need_suricata=1

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && [ "$need_suricata" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "rampart: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$need_suricata" = 1 ] && [ ! -e "$BACKPORTS" ]; then
	cat >"$BACKPORTS" <<'EOS'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi
apt-get update -qq
if [ -n "$missing" ]; then
	echo "rampart: installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "$need_suricata" = 1 ]; then
	echo "rampart: installing: suricata (bookworm-backports)"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		suricata >/dev/null
fi

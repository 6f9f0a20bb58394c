# Sourced by bench/fw.sh and bench/ids.sh: a network namespace $NS with a
# tap $TAP (up, IPv6 off) for the io test guest and build/tapio, removed on
# exit. tapns_setup NS TAP NEEDS...: LAYER is "yes", or why the layer is
# not measured (not root, no /dev/kvm, a NEEDS file missing, no namespace
# or tap).
tapns_setup() {
	NS=$1
	TAP=$2
	shift 2
	LAYER=yes
	for f in "$@"; do
		[ -x "$f" ] || LAYER="needs root, /dev/kvm and $*"
	done
	if [ "$(id -u)" != 0 ] || [ ! -w /dev/kvm ]; then
		LAYER="needs root, /dev/kvm and $*"
	fi
	[ "$LAYER" = yes ] || return 0
	trap 'ip netns del $NS 2>/dev/null' EXIT
	if ! ip netns add $NS || ! ip netns exec $NS ip tuntap add dev $TAP mode tap ||
		! ip netns exec $NS ip link set $TAP up; then
		LAYER="no network namespace or tap"
	fi
	ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	return 0
}

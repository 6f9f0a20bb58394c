#!/bin/sh
# The firewall engine against nftables itself: every policy under
# tests/fw/policies is loaded into Linux's nft (in network namespaces) and
# into the offline mode (build/rampart-policy firewall), the same frames
# (tests/fw/gen.py) go through both, and the per-frame verdicts must agree
# (reject counts as drop: the frame does not cross).
#
# The kernel side is routed, not bridged: under br_netfilter the inet
# forward hook sees the bridge itself as iifname and oifname (br0), never the
# ports, so `iifname "guest"` could not match. A router namespace holds two
# veth ends named guest and host, the ruleset on its forward hook, static
# neighbours and no rp_filter; replay.py sends each frame from the outer
# ends (raw sockets) and watches the other side. Needs root, nft and
# python3; no KVM.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
P=build/rampart-policy
GMAC=02:00:00:00:02:0f
WAIT=$(awk "BEGIN { print 0.1 * $TIME_SCALE }")
T=$(mktemp -d)
NS_R=rpfw-r-$$
NS_O=rpfw-o-$$

cleanup() {
	ip netns del "$NS_R" 2>/dev/null
	ip netns del "$NS_O" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# router: a fresh router namespace with POLICY on its forward hook
router() {
	ip netns del "$NS_R" 2>/dev/null
	ip netns add "$NS_R" || return 1
	for side in guest host; do
		o=g0
		[ $side = host ] && o=h0
		ip -n "$NS_O" link del $o 2>/dev/null
		ip -n "$NS_O" link add $o type veth peer name $side netns "$NS_R" || return 1
		ip netns exec "$NS_O" sysctl -qw net.ipv6.conf.$o.disable_ipv6=1
		ip -n "$NS_O" link set $o up
	done
	ip netns exec "$NS_R" sh -e -c '
		for k in all default guest host; do
			sysctl -qw net.ipv4.conf.$k.rp_filter=0
			sysctl -qw net.ipv6.conf.$k.disable_ipv6=0
			sysctl -qw net.ipv6.conf.$k.accept_dad=0
			sysctl -qw net.ipv6.conf.$k.accept_ra=0
		done
		sysctl -qw net.ipv4.ip_forward=1
		sysctl -qw net.ipv6.conf.all.forwarding=1
		ip link set guest address 02:00:00:00:02:02 up
		ip link set host address 02:00:00:00:64:02 up
		ip addr add 10.0.2.2/24 dev guest
		ip addr add 192.168.100.2/24 dev host
		ip neigh replace 10.0.2.15 lladdr 02:00:00:00:02:0f dev guest nud permanent
		ip neigh replace 192.168.100.1 lladdr 02:00:00:00:64:01 dev host nud permanent
		ip route add 203.0.113.0/24 via 192.168.100.1 dev host
		ip route add 198.51.100.0/24 via 192.168.100.1 dev host
		ip route add 192.168.0.0/16 via 192.168.100.1 dev host
		ip addr add fd00::2/64 dev guest nodad
		ip addr add fd64::2/64 dev host nodad
		ip -6 neigh replace fd00::f lladdr 02:00:00:00:02:0f dev guest nud permanent
		ip -6 neigh replace fd64::1 lladdr 02:00:00:00:64:01 dev host nud permanent
		ip -6 route add 2001:db8::/32 via fd64::1 dev host'
}

if [ "$(id -u)" != 0 ]; then
	skip "fw-diff" "needs root (network namespaces)"
elif ! command -v nft >/dev/null || ! command -v python3 >/dev/null; then
	skip "fw-diff" "nft or python3 missing (scripts/deps.sh installs nftables)"
elif [ ! -x "$P" ]; then
	notok "fw-diff" "$P not built (make all)"
elif ! python3 tests/fw/gen.py "$T/traffic.pcap"; then
	notok "fw-gen" "tests/fw/gen.py failed"
elif ! ip netns add "$NS_O"; then
	skip "fw-diff" "cannot create network namespaces here"
else
	ok "fw-gen" "$(wc -c <"$T/traffic.pcap") bytes"
	for pol in tests/fw/policies/*.nft; do
		name=fw-diff-$(basename "$pol" .nft)
		if ! "$P" firewall --rules "$pol" --pcap "$T/traffic.pcap" --guest 10.0.2.0/24 \
			--guest-mac $GMAC | sed 's/ reject$/ drop/' >"$T/offline"; then
			notok "$name" "the offline mode failed"
			continue
		fi
		if ! router || ! ip netns exec "$NS_R" nft -f "$pol" 2>"$T/nft.err"; then
			notok "$name" "the kernel side did not come up: $(head -c 300 "$T/nft.err")"
			continue
		fi
		ip netns exec "$NS_O" python3 tests/fw/replay.py "$T/traffic.pcap" g0 h0 $GMAC \
			"$WAIT" >"$T/kernel"
		total=$(wc -l <"$T/offline")
		acc=$(grep -c ' accept$' "$T/kernel")
		if [ "$total" -gt 0 ] && cmp -s "$T/offline" "$T/kernel"; then
			ok "$name" "$total frames, $acc crossed, same verdicts"
		else
			notok "$name" "verdicts differ (frame offline kernel): $(diff "$T/offline" "$T/kernel" |
				awk '/^</ { o[$2] = $3 } /^>/ { k[$2] = $3 } END { for (n in o) printf "%s %s %s; ", n, o[n], k[n] }' |
				head -c 600)"
		fi
	done
fi
# Fragments to denied ports under a deny-list (tests/fw/frag.py, IPv4 and
# IPv6). The policy uses conntrack, so the kernel
# reassembles before its rules (nf_defrag) and drops the datagram: every
# piece must be a drop here too. (Without a ct rule nft does not reassemble
# and passes later fragments alone, which cannot reassemble without their
# first.) Fragments that pass are left out: the kernel forwards a datagram
# only once it is whole, so its per-frame verdicts differ by design.
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null && [ -x "$P" ] &&
	ip netns list 2>/dev/null | grep -q "^$NS_O"; then
	cat >"$T/deny.nft" <<'NFT'
table inet rampart {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state established,related accept
		udp dport 53 drop
		tcp dport 22 drop
	}
}
NFT
	if ! python3 tests/fw/frag.py "$T/frag.pcap" udp53-frag-v tcp22-tiny-v >/dev/null; then
		notok fw-diff-frag "tests/fw/frag.py failed"
	elif ! "$P" firewall --rules "$T/deny.nft" --pcap "$T/frag.pcap" --guest 10.0.2.0/24 \
		--guest-mac $GMAC >"$T/offline"; then
		notok fw-diff-frag "the offline mode failed"
	elif ! router || ! ip netns exec "$NS_R" nft -f "$T/deny.nft" 2>"$T/nft.err"; then
		notok fw-diff-frag "the kernel side did not come up: $(head -c 300 "$T/nft.err")"
	else
		ip netns exec "$NS_O" python3 tests/fw/replay.py "$T/frag.pcap" g0 h0 $GMAC \
			"$WAIT" >"$T/kernel"
		if [ -s "$T/offline" ] && cmp -s "$T/offline" "$T/kernel" &&
			! grep -q accept "$T/offline"; then
			ok fw-diff-frag "$(wc -l <"$T/offline") fragments, all dropped by both"
		else
			notok fw-diff-frag "offline: $(tr '\n' ' ' <"$T/offline") kernel: $(tr '\n' ' ' <"$T/kernel")"
		fi
	fi
fi
# The suricata-verify pcaps (../shared/data, 39 % of them not Ethernet):
# every one is read to its end, with no frame invalid once checksums are
# not checked (their captures have offloaded ones, as Suricata's -k none).
V=../shared/data/ids/verify/tests
if [ -d "$V" ]; then
	n=0 bad=""
	for pcap in $(find "$V" -name '*.pcap' | sort); do
		n=$((n + 1))
		if ! "$P" firewall --rules tests/fw/policies/04-ctstate.nft --pcap "$pcap" \
			--guest 10.0.0.0/8 --guest 192.168.0.0/16 --guest 127.0.0.0/8 --no-checksum \
			--stats >/dev/null 2>"$T/stats" || ! grep -q '"invalid":0,' "$T/stats"; then
			bad="$bad $(basename "$(dirname "$pcap")"): $(head -c 200 "$T/stats");"
		fi
	done
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		ok fw-verify-pcaps "$n pcaps read, no frame invalid"
	else
		notok fw-verify-pcaps "of $n:$bad"
	fi
else
	skip fw-verify-pcaps "$V missing (../shared/data/README.md)"
fi
# The same pcaps through both sides: tests/fw/remap.py makes each one the
# guest's traffic with remote hosts (the first packet's source becomes the
# guest, every checksum computed afresh), a fresh router per pcap, per-frame
# verdicts compared as above, under three policies.
if [ -d "$V" ] && [ "$(id -u)" = 0 ] && command -v nft >/dev/null && [ -x "$P" ] &&
	ip netns list 2>/dev/null | grep -q "^$NS_O"; then
	for pol in 01-ports 04-ctstate 10-tenant; do
		n=0 frames=0 acc=0 bad=""
		for pcap in $(find "$V" -name '*.pcap' | sort); do
			t=$(basename "$(dirname "$pcap")")
			if ! python3 tests/fw/remap.py "$pcap" "$T/v.pcap" 2>/dev/null; then
				bad="$bad $t: remap.py failed;"
				continue
			fi
			n=$((n + 1))
			"$P" firewall --rules tests/fw/policies/$pol.nft --pcap "$T/v.pcap" \
				--guest 10.0.2.0/24 --guest-mac $GMAC | sed 's/ reject$/ drop/' >"$T/offline"
			if ! router || ! ip netns exec "$NS_R" nft -f tests/fw/policies/$pol.nft; then
				bad="$bad $t: the kernel side did not come up;"
				continue
			fi
			ip netns exec "$NS_O" python3 tests/fw/replay.py "$T/v.pcap" g0 h0 $GMAC \
				"$WAIT" >"$T/kernel"
			frames=$((frames + $(wc -l <"$T/kernel")))
			acc=$((acc + $(grep -c ' accept$' "$T/kernel")))
			cmp -s "$T/offline" "$T/kernel" ||
				bad="$bad $t: $(diff "$T/offline" "$T/kernel" | grep '^[<>]' | tr '\n' ' ' | head -c 120);"
		done
		if [ "$n" -gt 0 ] && [ "$frames" -gt 0 ] && [ -z "$bad" ]; then
			ok fw-diff-verify-$pol "$n pcaps, $frames frames, $acc crossed, same verdicts"
		else
			notok fw-diff-verify-$pol "of $n:$bad"
		fi
	done
fi
summary fw-diff

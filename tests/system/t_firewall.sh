#!/bin/sh
# The Linux guest behind a firewall layer (docs/firewall.md), over a tap in
# a netns, with the "net" workload (the guest connects to the host's TCP
# ports 5001, to send, and 5002, to receive):
#  allow   --layers firewall,vmm: a policy that lets the guest open 5001 and
#          5002 and the host only answer (ct state established): both
#          transfers complete byte for byte (the replies pass), while the host
#          tries to open connections to the guest, which are dropped (their
#          rule counts them, and the guest never answers one);
#  deny    --layers pass,firewall,vmm: 5002 rejected with a TCP reset: the
#          send completes, the receive fails at once, the firewall counts
#          the reject and the host's listener on 5002 sees no connection;
#  probe   --layers firewall,vmm and firewall,pass,vmm, the "fwprobe"
#          workload: UDP to an allowed port reaches the host and its ICMP
#          port unreachable comes back (related), UDP to a dropped port does
#          not, over IPv4 and IPv6, and the same from the host to the guest's
#          ports; ICMP and ICMPv6 echo and a TCP stream over IPv6 pass where
#          allowed (with neighbour discovery); a ping from an address that is
#          not the guest's is dropped by the policy's anti-spoofing rule,
#          though the host has a route back to it and would answer; every
#          rule's packet count is the traffic's.
. "$(dirname "$0")/lib.sh"
T=firewall
need_layers $T
MIB=1
net_setup || { notok $T "cannot create the namespace and tap"; exit 1; }
pattern h2g "$MIB" >"$SCRATCH/h2g"
want_h2g=$(sha <"$SCRATCH/h2g")
want_g2h=$(pattern net-g2h "$MIB" | sha)

cat >"$SCRATCH/allow.nft" <<EOF
table inet guest {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "guest" ip daddr $HOST_IP tcp dport { 5001, 5002 } ct state new counter accept
		iifname "host" tcp dport 23 counter drop
	}
}
EOF
sed 's/tcp dport { 5001, 5002 } ct state new counter accept/tcp dport 5001 ct state new counter accept\
		iifname "guest" tcp dport 5002 counter reject with tcp reset/' "$SCRATCH/allow.nft" >"$SCRATCH/deny.nft"

# fwfield LOG NAME: a number of the run's last firewall event
fwfield() { grep '"event":"firewall"' "$1" | tail -1 | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
# fwrule LOG LINE: the packets of the rule on LINE
fwrule() { grep '"event":"firewall"' "$1" | tail -1 | sed -n "s/.*{\"rule\":[0-9]*,\"line\":$2,\"packets\":\([0-9]*\).*/\1/p"; }

# allow: both ways through the firewall, and the host knocking meanwhile
log=$SCRATCH/allow.log
rm -f "$SCRATCH/g2h" "$SCRATCH/hold"
net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
(
	i=0
	while [ $i -lt 60 ]; do
		$NSEXEC busybox nc -w 1 "$GUEST_IP" 23 </dev/null >>"$SCRATCH/knock" 2>&1
		i=$((i + 1))
		sleep 1
	done
) &
knock=$!
t0=$(date +%s)
guest "$log" net "$MIB" --layers firewall,vmm --net "tap:$TAP" --rules firewall="$SCRATCH/allow.nft"
rc=$?
t1=$(date +%s)
kill $knock 2>/dev/null
wait $knock 2>/dev/null
net_wait 5
got_g2h=$(sha <"$SCRATCH/g2h")
why=""
[ $rc = 0 ] || why="exit status $rc"
[ "$(res "$log" net_send_sha256)" = "$want_g2h" ] && [ "$got_g2h" = "$want_g2h" ] ||
	why="$why; guest->host: host got $got_g2h, want $want_g2h"
[ "$(res "$log" net_recv_sha256)" = "$want_h2g" ] || why="$why; host->guest: not the bytes sent"
[ "$(fwrule "$log" 5)" -ge 2 ] 2>/dev/null ||
	why="$why; the guest's new connections counted '$(fwrule "$log" 5)', want 2 or more (SYNs)"
knocks=$(fwrule "$log" 6)
[ -n "$knocks" ] && [ "$knocks" -gt 0 ] || why="$why; no connection attempt of the host reached the firewall"
! grep -q refused "$SCRATCH/knock" || why="$why; the guest answered the host's connection attempt"
[ "$(fwfield "$log" spoofed)" = 0 ] || why="$why; the guest's frames were taken for spoofed"
if [ -z "$why" ]; then
	ok "$T allow (firewall,vmm: $MIB MiB each way on the guest's connections, replies pass; $knocks unsolicited SYNs of the host dropped; $((t1 - t0))s)"
else
	notok "$T allow" "$why"
	tail_log "$log"
fi

# deny: 5002 rejected with a reset, one layer further up
log=$SCRATCH/deny.log
rm -f "$SCRATCH/g2h" "$SCRATCH/hold"
net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
t0=$(date +%s)
guest "$log" net "$MIB" --layers pass,firewall,vmm --net "tap:$TAP" --rules firewall="$SCRATCH/deny.nft"
rc=$?
t1=$(date +%s)
# the listener on 5002 never got its connection: it is still there
still=0
for p in $NC_PIDS; do last=$p; done
kill -0 "$last" 2>/dev/null && still=1
net_wait 5
got_g2h=$(sha <"$SCRATCH/g2h")
why=""
[ $rc = 0 ] || why="exit status $rc"
[ "$got_g2h" = "$want_g2h" ] || why="$why; guest->host on the allowed port: host got $got_g2h"
[ -z "$(res "$log" net_recv_sha256)" ] || why="$why; the guest received on the rejected port"
has "$log" "rampart-work: receive failed" || why="$why; the guest's receive did not fail"
[ "$(fwfield "$log" rejected)" -ge 1 ] 2>/dev/null || why="$why; no reject counted"
[ "$(fwrule "$log" 6)" -ge 1 ] 2>/dev/null || why="$why; the reject rule counted nothing"
[ $still = 1 ] || why="$why; the host's listener on 5002 got a connection"
if [ -z "$why" ]; then
	ok "$T deny (pass,firewall,vmm: port 5001 works, 5002 gets a TCP reset at once: $(fwrule "$log" 6) rejected; $((t1 - t0))s)"
else
	notok "$T deny" "$why"
	tail_log "$log"
fi

# probe: UDP both ways, ICMP, IPv6 and a spoofed source through the firewall,
# at depth 1 under a vmm and under a pass and a vmm
KIB=64
cat >"$SCRATCH/probe.nft" <<EOF
table inet guest {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		iifname "guest" ip saddr != $GUEST_IP counter drop
		iifname "guest" udp dport 5003 counter accept
		iifname "guest" udp dport 5004 counter drop
		iifname "guest" ip6 daddr fd00:72::1 icmpv6 type echo-request counter accept
		iifname "guest" ip6 daddr fd00:72::1 tcp dport 5001 ct state new counter accept
		iifname "host" udp dport 5005 counter accept
		iifname "host" udp dport 5006 counter drop
		iifname "guest" icmp type echo-request counter accept
		iifname "host" tcp dport 5009 counter accept
	}
}
EOF
$NSEXEC $IP -6 addr add fd00:72::1/64 dev "$TAP" nodad
$NSEXEC $IP route add 172.30.0.5/32 dev "$TAP"
want6=$(pattern net6-g2h 1 | head -c $((KIB * 1024)) | sha)
# host_udp PORT: yes when one UDP probe from the host to the guest's PORT was
# answered (the guest's port unreachable, back through the firewall)
host_udp() {
	if $NSEXEC busybox traceroute -n -q 1 -w 3 -m 1 -p $(($1 - 1)) "$GUEST_IP" 2>&1 |
		grep -q "^ *1  *$GUEST_IP  *[0-9.]* ms"; then echo yes; else echo no; fi
}
# the host's side of a probe run: once the guest waits, its UDP ports
host_side() {
	i=0
	while ! grep -qs "probe_waiting=yes" "$log" && [ $i -lt $((120 * ${RAMPART_TIME_SCALE:-1})) ]; do sleep 0.5; i=$((i + 1)); done
	echo "$(host_udp 5005) $(host_udp 5006)" >"$SCRATCH/host_udp"
	$NSEXEC busybox nc -w 5 "$GUEST_IP" 5009 </dev/null >/dev/null 2>&1
}
probe() {
	name=$1 L=$2
	log=$SCRATCH/probe-$name.log
	rm -f "$SCRATCH/g2h" "$SCRATCH/hold" "$SCRATCH/host_udp"
	net_listen "$SCRATCH/g2h" ""
	host_side &
	hs=$!
	t0=$(date +%s)
	guest "$log" fwprobe "$KIB" --layers "$L" --net "tap:$TAP" --rules firewall="$SCRATCH/probe.nft"
	rc=$?
	t1=$(date +%s)
	kill $hs 2>/dev/null
	wait $hs 2>/dev/null
	net_wait 5
	got6=$(sha <"$SCRATCH/g2h")
	set -- $(cat "$SCRATCH/host_udp" 2>/dev/null)
	in_ok=${1:-?} in_drop=${2:-?}
	why=""
	[ $rc = 0 ] || why="exit status $rc"
	[ "$(res "$log" probe_udp_5003)" = yes ] || why="$why; UDP to the allowed port 5003 got no port unreachable back"
	[ "$(res "$log" probe_udp_5004)" = no ] || why="$why; UDP to the dropped port 5004 reached the host"
	[ "$(res "$log" probe_udp6_5003)" = yes ] || why="$why; UDP over IPv6 to 5003 got no port unreachable back"
	[ "$(res "$log" probe_udp6_5004)" = no ] || why="$why; UDP over IPv6 to the dropped port 5004 reached the host"
	[ "$(res "$log" probe_ping)" = yes ] || why="$why; the IPv4 ping got no answer"
	[ "$(res "$log" probe_ping6)" = yes ] || why="$why; the IPv6 ping got no answer"
	[ "$(res "$log" probe_tcp6_sha256)" = "$want6" ] && [ "$got6" = "$want6" ] ||
		why="$why; TCP over IPv6: host got $got6, want $want6"
	[ "$(res "$log" probe_spoof_ping)" = no ] || why="$why; the ping from 172.30.0.5 was answered"
	[ "$in_ok" = yes ] || why="$why; the host's UDP to the guest's allowed port 5005: '$in_ok', want an answer"
	[ "$in_drop" = no ] || why="$why; the host's UDP to the guest's dropped port 5006: '$in_drop', want none"
	[ "$(res "$log" probe_host_done)" = 0 ] || why="$why; the host's connection to the guest's port 5009 did not come"
	# the rules' packets, by line: exact where the traffic is known
	spoof=$(fwrule "$log" 6) udp=$(fwrule "$log" 7) udpd=$(fwrule "$log" 8) ping6=$(fwrule "$log" 9)
	tcp6=$(fwrule "$log" 10) uin=$(fwrule "$log" 11) uind=$(fwrule "$log" 12) ping=$(fwrule "$log" 13)
	[ "$spoof" = 2 ] || why="$why; the anti-spoofing rule counted '$spoof', want 2 (the two pings)"
	[ "$udp" = 2 ] || why="$why; udp 5003 counted '$udp', want 2 (IPv4, IPv6)"
	[ "$udpd" = 2 ] || why="$why; udp 5004 counted '$udpd', want 2 (IPv4, IPv6)"
	# the second echo request of each ping belongs to the first one's flow (established)
	[ "$ping6" = 1 ] || why="$why; the IPv6 echo rule counted '$ping6', want 1"
	[ "$ping" = 1 ] || why="$why; the IPv4 echo rule counted '$ping', want 1"
	[ "${tcp6:-0}" -ge 1 ] || why="$why; the IPv6 TCP rule counted '$tcp6'"
	[ "$uin" = 1 ] || why="$why; the host's udp 5005 counted '$uin', want 1"
	[ "$uind" = 1 ] || why="$why; the host's udp 5006 counted '$uind', want 1"
	if [ -z "$why" ]; then
		ok "$T probe $name ($L: UDP both ways, allowed answered (related) and dropped silent; ICMP and ICMPv6 echo; $KIB KiB of TCP over IPv6; the spoofed source dropped; rule counters exact; $((t1 - t0))s)"
	else
		notok "$T probe $name" "$why"
		tail_log "$log" 25
	fi
}
probe d1 firewall,vmm
probe d1-under-pass firewall,pass,vmm

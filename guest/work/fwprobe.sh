# Probes for a firewall layer's policy (tests/system/t_firewall.sh, "probe"):
# UDP to two ports (traceroute's probes at TTL 1: the host answers a probe
# that reaches it with an ICMP port unreachable), ICMPv6 echo and a TCP
# stream of $1 KiB (at most 1024) over IPv6, and a ping from an address that is not the
# guest's; then it waits while the host probes its UDP ports. One RESULT
# line per probe.
. /work/_lib.sh
GUEST_IP6=fd00:72::2
HOST_IP6=fd00:72::1
kib=${1:-64}
wait_for /sys/class/net/eth0 10 || exit 1
# no duplicate address detection: the addresses are usable at once
sysctl -qw net.ipv6.conf.eth0.accept_dad=0
net_up || exit 1
ip -6 addr add $GUEST_IP6/64 dev eth0

# udp_probe TRACEROUTE HOST PORT: yes when one UDP probe to HOST:PORT drew
# an answer from HOST (traceroute sends its first probe to -p's port + 1)
udp_probe() {
	if $1 -n -q 1 -w 3 -m 1 -p $(($3 - 1)) "$2" 2>&1 | grep -q "^ *1  *$2  *[0-9.]* ms"; then
		echo yes
	else
		echo no
	fi
}

result "probe_udp_5003=$(udp_probe traceroute $HOST_IP 5003)"
result "probe_udp_5004=$(udp_probe traceroute $HOST_IP 5004)"
result "probe_udp6_5003=$(udp_probe traceroute6 $HOST_IP6 5003)"
result "probe_udp6_5004=$(udp_probe traceroute6 $HOST_IP6 5004)"
if ping -c 2 -W 3 $HOST_IP >/dev/null 2>&1; then r=yes; else r=no; fi
result "probe_ping=$r"

if ping -6 -c 2 -W 3 $HOST_IP6 >/dev/null 2>&1; then r=yes; else r=no; fi
result "probe_ping6=$r"

pattern net6-g2h 1 | head -c $((kib * 1024)) >/tmp/send6
s=$(sha </tmp/send6)
_i=0
while ! nc -w 10 $HOST_IP6 5001 </tmp/send6; do
	_i=$((_i + 1)); [ $_i -ge 10 ] && break; usleep 250000
done
result "probe_tcp6_sha256=$s"

# a source address that is not the guest's; the host has a route back to it
ip addr add 172.30.0.5/32 dev eth0
if ping -c 2 -W 3 -I 172.30.0.5 $HOST_IP >/dev/null 2>&1; then r=yes; else r=no; fi
result "probe_spoof_ping=$r"

# The host probes this guest's UDP ports meanwhile; it says when it is done
# by connecting to our port 5009 (a TCP connection it opens: the policy
# lets the host open it), or we leave after 30 s.
result "probe_waiting=yes"
timeout 30 nc -l -p 5009 >/dev/null 2>&1
result "probe_host_done=$?"

# A bulk TCP stream with iperf3 (bench-initrd.cpio.gz only): $1 is DIR:SECONDS,
# DIR tx (guest -> host) or rx (host -> guest, iperf3 -R); the host runs
# `iperf3 -s` on 172.30.0.1. Then a round trip: ping, 20 small packets.
. /work/_lib.sh
dir=${1%%:*} secs=${1#*:}
[ -x /usr/bin/iperf3 ] || { echo "rampart-work: no iperf3 (boot bench-initrd.cpio.gz)"; exit 1; }
case $dir in tx) rev= ;; rx) rev=-R ;; *) echo "rampart-work: iperf: tx or rx, not $dir"; exit 1 ;; esac
net_up || exit 1
i=0
while ! ping -c 1 -W 1 $HOST_IP >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -ge 20 ] && { echo "rampart-work: host unreachable"; exit 1; }
done
# -f M: MBytes/sec; the receiver's line is what arrived.
/usr/bin/iperf3 -c $HOST_IP -t "$secs" -f M $rev >/tmp/iperf.out 2>&1 || { cat /tmp/iperf.out; exit 1; }
cat /tmp/iperf.out
mbps=$(awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "MBytes/sec") v = $(i - 1) } END { print v }' /tmp/iperf.out)
[ -n "$mbps" ] || exit 1
# busybox ping: "round-trip min/avg/max = 0.123/0.456/0.789 ms"
rtt=$(ping -c 20 -i 0.05 $HOST_IP 2>/dev/null | sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p')
result "bench=iperf dir=$dir secs=$secs MBps=$mbps rtt_ms=${rtt:-none}"

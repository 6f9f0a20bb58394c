# Host -> guest: whatever the host sends on PORT_H2G, counted; timed in the guest.
. /work/_lib.sh
net_up || exit 1
t0=$(now_cs)
b=$(recv_from_host | wc -c)
t1=$(now_cs)
result "bench=net-rx bytes=$b cs=$((t1 - t0)) MBps=$(rate "$b" $((t1 - t0)))"

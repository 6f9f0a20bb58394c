# Guest -> host: $1 MiB (default 64) of zeros through nc; timed in the guest.
. /work/_lib.sh
mib=${1:-64}
net_up || exit 1
t0=$(now_cs)
dd if=/dev/zero bs=1M count="$mib" 2>/dev/null | send_to_host || exit 1
t1=$(now_cs)
b=$((mib * 1048576))
result "bench=net-tx bytes=$b cs=$((t1 - t0)) MBps=$(rate $b $((t1 - t0)))"

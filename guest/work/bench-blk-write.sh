# O_DIRECT sequential write of $1 MiB (default 64) to /dev/vda.
. /work/_lib.sh
mib=${1:-64}
wait_for /dev/vda 10 || exit 1
t0=$(now_cs)
dd if=/dev/zero of=/dev/vda bs=1M count="$mib" oflag=direct conv=fsync 2>/dev/null || exit 1
t1=$(now_cs)
b=$((mib * 1048576))
result "bench=blk-write bytes=$b cs=$((t1 - t0)) MBps=$(rate $b $((t1 - t0)))"

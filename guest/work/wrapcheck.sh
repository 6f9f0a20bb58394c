# What a wrapper layer's policy does to the guest (tests/system/t_wrapper.sh):
# a 4 KiB O_DIRECT write into sectors [0, 2048) (read-only there), then an
# O_DIRECT write and a read of $1 MiB (default 30) past it, timed, the
# hardware RNGs the kernel has (/dev/hwrng exists whenever the kernel's
# hw_random core is built in; with no RNG device behind it, reading it fails)
# and a receive from the host, timed. One RESULT line each.
. /work/_lib.sh
mib=${1:-30}
wait_for /dev/vda 10 || exit 1

if dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct conv=fsync 2>/tmp/ro.err; then
	r=written
elif grep -q "Input/output error" /tmp/ro.err; then
	r=eio
else
	r="other:$(tr ' ' _ </tmp/ro.err | head -c 80)"
fi
result "wrap_ro=$r"

b=$((mib * 1048576))
t0=$(now_cs)
dd if=/dev/zero of=/dev/vda bs=1M seek=8 count="$mib" oflag=direct conv=fsync 2>/dev/null || exit 1
t1=$(now_cs)
result "wrap_write_MBps=$(rate $b $((t1 - t0)))"
t0=$(now_cs)
dd if=/dev/vda of=/dev/null bs=1M skip=8 count="$mib" iflag=direct 2>/dev/null || exit 1
t1=$(now_cs)
result "wrap_read_MBps=$(rate $b $((t1 - t0)))"

a=$(cat /sys/class/misc/hw_random/rng_available 2>/dev/null | tr ' ' ,)
if dd if=/dev/hwrng of=/dev/null bs=16 count=1 2>/dev/null; then h=yes; else h=no; fi
result "wrap_rng_available=${a:-none} wrap_hwrng_reads=$h"

net_up || exit 1
t0=$(now_cs)
recv_from_host >/tmp/recv || { echo "rampart-work: receive failed"; exit 1; }
t1=$(now_cs)
n=$(wc -c </tmp/recv)
result "wrap_recv_MBps=$(rate "$n" $((t1 - t0))) net_recv_sha256=$(sha </tmp/recv) bytes=$n"

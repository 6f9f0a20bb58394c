# Read 4096 bytes from /dev/hwrng; check they are not all zero and that the
# virtio rng is the current source.
. /work/_lib.sh
wait_for /dev/hwrng 10 || exit 1
cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
dd if=/dev/hwrng of=/tmp/rng bs=4096 count=1 iflag=fullblock 2>/dev/null
n=$(wc -c </tmp/rng)
nz=$(tr -d '\000' </tmp/rng | wc -c)
result "rng_bytes=$n rng_nonzero_bytes=$nz rng_current=$cur"
[ "$n" -eq 4096 ] && [ "$nz" -gt 0 ] && case $cur in *virtio*) true ;; *) false ;; esac

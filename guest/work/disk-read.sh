# Read back the first 4 MiB of /dev/vda (bypassing the page cache); print sha256.
. /work/_lib.sh
wait_for /dev/vda 10 || exit 1
echo 3 >/proc/sys/vm/drop_caches
result "disk_read_sha256=$(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | sha) bytes=4194304"

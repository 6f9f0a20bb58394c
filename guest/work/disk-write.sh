# Write 4 MiB of pattern(seed=$1) at the start of /dev/vda; print its sha256.
. /work/_lib.sh
seed=${1:-1}
wait_for /dev/vda 10 || exit 1
pattern "$seed" 4 | dd of=/dev/vda bs=1M iflag=fullblock oflag=direct conv=fsync 2>/dev/null || exit 1
sync
result "disk_write_sha256=$(pattern "$seed" 4 | sha) bytes=4194304 seed=$seed"

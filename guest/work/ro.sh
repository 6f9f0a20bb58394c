# The disk /dev/vda is read-only: a write must be refused.
. /work/_lib.sh
wait_for /dev/vda 10 || exit 1
result "ro_sysfs=$(cat /sys/block/vda/ro)"
if dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct conv=notrunc,fsync 2>/tmp/err; then
	echo "RAMPART-RO-WRITTEN"
	exit 1
fi
echo "rampart-work: write refused: $(cat /tmp/err)"
echo "RAMPART-RO-REFUSED"

#!/bin/sh
# A read-only disk (--disk PATH,ro): the guest's write is refused and the file
# is unchanged.
. "$(dirname "$0")/lib.sh"
T=ro
need_vmm $T
pattern ro 1 >"$SCRATCH/disk.img"
truncate -s 16M "$SCRATCH/disk.img"
before=$(sha <"$SCRATCH/disk.img")
guest "$SCRATCH/log" ro "" --disk "$SCRATCH/disk.img,ro"
rc=$?
after=$(sha <"$SCRATCH/disk.img")
if [ "$before" != "$after" ]; then notok $T "the read-only disk file changed"; tail_log "$SCRATCH/log"
elif ! has "$SCRATCH/log" RAMPART-RO-REFUSED; then notok $T "the guest's write was not refused (exit $rc)"; tail_log "$SCRATCH/log"
elif [ $rc != 0 ]; then notok $T "exit status $rc, want 0"; tail_log "$SCRATCH/log"
else ok "$T (write refused, guest saw ro=$(res "$SCRATCH/log" ro_sysfs), file unchanged)"; fi

#!/bin/sh
# virtio-rng: /dev/hwrng gives 4096 bytes, not all zero, from the virtio source.
. "$(dirname "$0")/lib.sh"
T=rng
need_vmm $T
guest "$SCRATCH/log" rng ""
rc=$?
n=$(res "$SCRATCH/log" rng_bytes)
nz=$(res "$SCRATCH/log" rng_nonzero_bytes)
cur=$(res "$SCRATCH/log" rng_current)
if [ $rc != 0 ]; then notok $T "exit status $rc, want 0"; tail_log "$SCRATCH/log"
elif [ "$(work_rc "$SCRATCH/log" rng)" != 0 ]; then
	notok $T "rng workload failed: bytes=$n nonzero=$nz current=$cur"; tail_log "$SCRATCH/log"
else ok "$T ($n bytes, $nz non-zero, source $cur)"; fi

#!/bin/sh
# Boot the guest to its init, run nothing, power off: exit status 0.
. "$(dirname "$0")/lib.sh"
T=boot
need_vmm $T
guest "$SCRATCH/log" idle ""
rc=$?
if ! has "$SCRATCH/log" RAMPART-INIT-OK; then notok $T "no RAMPART-INIT-OK (exit $rc)"; tail_log "$SCRATCH/log"
elif [ "$(work_rc "$SCRATCH/log" idle)" != 0 ]; then notok $T "workload did not end (exit $rc)"; tail_log "$SCRATCH/log"
elif [ $rc != 0 ]; then notok $T "exit status $rc after power-off, want 0"; tail_log "$SCRATCH/log"
else ok "$T (guest init at $(res "$SCRATCH/log" boot_uptime_s) s guest uptime)"; fi

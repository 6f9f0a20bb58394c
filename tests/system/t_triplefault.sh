#!/bin/sh
# A "kernel" that triple faults at once (build/images/triplefault.bin, a fake
# bzImage whose entry points load an empty IDT and execute int3) ends the VMM
# with exit status 3. QEMU reports a triple fault as a reset; its trace tells
# them apart (see qemu_run in lib.sh).
. "$(dirname "$0")/lib.sh"
T=triplefault
need_vmm $T
[ -s "$IMG/triplefault.bin" ] || { notok $T "missing $IMG/triplefault.bin (run make images)"; exit 1; }
vmm "$SCRATCH/log" --kernel "$IMG/triplefault.bin" --initrd "$INITRD" --cmdline "console=ttyS0" --mem "$GUEST_MEM"
rc=$?
if [ $rc != 3 ]; then notok $T "exit status $rc, want 3 (triple fault)"; tail_log "$SCRATCH/log"
else ok "$T (exit 3)"; fi

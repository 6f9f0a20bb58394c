#!/bin/sh
# A real disk above a layer: with --layers vmm --disk FILE the root gives the
# vmm layer a virtio-blk window, the vmm drives it (src/virtio/driver.c) as
# the backend of the virtio-blk device its Linux guest finds. Boot 1 writes
# pattern(seed), boot 2 reads it back; both sha256 must equal the host's, and
# so must the file's.
. "$(dirname "$0")/lib.sh"
T=layers_disk
need_vmm $T
if [ "$VMM" != rampart ]; then ok "$T # skip: layers need rampart"; exit 0; fi
LAYER_ELF=$(dirname "$RAMPART")/layer.elf
[ -s "$LAYER_ELF" ] || { notok $T "missing $LAYER_ELF (run make)"; exit 1; }
seed=$$
want=$(pattern "$seed" 4 | sha)
truncate -s 64M "$SCRATCH/disk.img"
guest "$SCRATCH/w.log" disk-write "$seed" --layers vmm --disk "$SCRATCH/disk.img"
rc1=$?
guest "$SCRATCH/r.log" disk-read "" --layers vmm --disk "$SCRATCH/disk.img"
rc2=$?
w=$(res "$SCRATCH/w.log" disk_write_sha256)
r=$(res "$SCRATCH/r.log" disk_read_sha256)
f=$(head -c 4194304 "$SCRATCH/disk.img" | sha)
if [ $rc1 != 0 ] || [ $rc2 != 0 ]; then
	notok $T "exit status $rc1 (write boot) / $rc2 (read boot), want 0"
	tail_log "$SCRATCH/w.log"; tail_log "$SCRATCH/r.log"
elif ! grep -q "vmm: disk of " "$SCRATCH/w.log"; then notok $T "the vmm did not report its parent's disk"; tail_log "$SCRATCH/w.log"
elif [ "$w" != "$want" ]; then notok $T "guest wrote sha256 '$w', want $want"; tail_log "$SCRATCH/w.log"
elif [ "$f" != "$want" ]; then notok $T "disk file holds sha256 $f, want $want"; tail_log "$SCRATCH/w.log"
elif [ "$r" != "$want" ]; then notok $T "second boot read sha256 '$r', want $want"; tail_log "$SCRATCH/r.log"
else
	sectors=$(sed -n 's/.*vmm: disk of \([0-9]*\) sectors.*/\1/p' "$SCRATCH/w.log" | head -n1)
	[ "$sectors" = 131072 ] || { notok $T "the vmm saw $sectors sectors, want 131072 (64 MiB)"; exit 0; }
	ok "$T (--layers vmm: 4 MiB written, read back after reboot, file checked: ${want%"${want#????????????}"}...)"; fi

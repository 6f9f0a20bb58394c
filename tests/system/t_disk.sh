#!/bin/sh
# Disk persistence: boot 1 writes pattern(seed) to a raw disk file, boot 2
# reads it back; both sha256 must equal the host's, and so must the file's.
. "$(dirname "$0")/lib.sh"
T=disk
need_vmm $T
seed=$$
want=$(pattern "$seed" 4 | sha)
truncate -s 64M "$SCRATCH/disk.img"
guest "$SCRATCH/w.log" disk-write "$seed" --disk "$SCRATCH/disk.img"
rc1=$?
guest "$SCRATCH/r.log" disk-read "" --disk "$SCRATCH/disk.img"
rc2=$?
w=$(res "$SCRATCH/w.log" disk_write_sha256)
r=$(res "$SCRATCH/r.log" disk_read_sha256)
f=$(head -c 4194304 "$SCRATCH/disk.img" | sha)
if [ $rc1 != 0 ] || [ $rc2 != 0 ]; then
	notok $T "exit status $rc1 (write boot) / $rc2 (read boot), want 0"
	tail_log "$SCRATCH/w.log"; tail_log "$SCRATCH/r.log"
elif [ "$w" != "$want" ]; then notok $T "guest wrote sha256 '$w', want $want"; tail_log "$SCRATCH/w.log"
elif [ "$f" != "$want" ]; then notok $T "disk file holds sha256 $f, want $want"
elif [ "$r" != "$want" ]; then notok $T "second boot read sha256 '$r', want $want"; tail_log "$SCRATCH/r.log"
else ok "$T (4 MiB written, read back after reboot, file checked: ${want%"${want#????????????}"}...)"; fi

#!/bin/sh
# A real disk through the layers: with --layers [pass,...,]vmm --disk FILE the
# root gives layer 1 a virtio-blk window; every pass layer drives its parent's
# device (src/virtio/driver.c) as the backend of the one it gives its child
# (src/layer/vdisk.c), and the vmm does the same for its Linux guest. Boot 1
# writes pattern(seed), boot 2 reads it back; both sha256 must equal the
# host's, and so must the file's. Depths 2 (vmm), 3 (pass,vmm) and 6
# (pass x4,vmm), one "ok layers_disk ..." line each.
. "$(dirname "$0")/lib.sh"
T=layers_disk
need_layers $T

# one_depth NAME LAYERS NPASS
one_depth() {
	n=$1 L=$2 np=$3
	seed=$$$np
	want=$(pattern "$seed" 4 | sha)
	img=$SCRATCH/disk-$n.img
	truncate -s 64M "$img"
	t0=$(date +%s)
	guest_tolerant "$SCRATCH/w-$n.log" disk-write "$seed" --layers "$L" --disk "$img"
	rc1=$?
	t1=$(date +%s)
	guest_tolerant "$SCRATCH/r-$n.log" disk-read "" --layers "$L" --disk "$img"
	rc2=$?
	t2=$(date +%s)
	w=$(res "$SCRATCH/w-$n.log" disk_write_sha256)
	r=$(res "$SCRATCH/r-$n.log" disk_read_sha256)
	f=$(head -c 4194304 "$img" | sha)
	passes=$(grep -c "pass: disk of " "$SCRATCH/w-$n.log")
	if [ $rc1 != 0 ] || [ $rc2 != 0 ]; then
		notok "$T $n" "exit status $rc1 (write boot) / $rc2 (read boot), want 0"
		tail_log "$SCRATCH/w-$n.log"; tail_log "$SCRATCH/r-$n.log"; return
	fi
	if ! grep -q "vmm: disk of " "$SCRATCH/w-$n.log"; then notok "$T $n" "the vmm did not report its parent's disk"; tail_log "$SCRATCH/w-$n.log"; return; fi
	if [ "$passes" != "$np" ]; then notok "$T $n" "$passes pass layers reported the disk, want $np"; tail_log "$SCRATCH/w-$n.log"; return; fi
	if [ "$w" != "$want" ]; then notok "$T $n" "guest wrote sha256 '$w', want $want"; tail_log "$SCRATCH/w-$n.log"; return; fi
	if [ "$f" != "$want" ]; then notok "$T $n" "disk file holds sha256 $f, want $want"; tail_log "$SCRATCH/w-$n.log"; return; fi
	if [ "$r" != "$want" ]; then notok "$T $n" "second boot read sha256 '$r', want $want"; tail_log "$SCRATCH/r-$n.log"; return; fi
	sectors=$(sed -n 's/.*vmm: disk of \([0-9]*\) sectors.*/\1/p' "$SCRATCH/w-$n.log" | head -n1)
	if [ "$sectors" != 131072 ]; then notok "$T $n" "the vmm saw $sectors sectors, want 131072 (64 MiB)"; return; fi
	ok "$T $n (--layers $L: 4 MiB written, read back after reboot, file checked: ${want%"${want#????????????}"}...; boots $((t1 - t0))s + $((t2 - t1))s)"
}

one_depth depth2 vmm 0
one_depth depth3 pass,vmm 1
one_depth depth6 pass,pass,pass,pass,vmm 4

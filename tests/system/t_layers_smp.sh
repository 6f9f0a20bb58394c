#!/bin/sh
# A Linux guest with several vCPUs above layers: the vmm gives its guest
# --cpus N (the MADT lists them; vCPUs 1..N-1 run on threads of the root's
# own, RP_HC_VCPU_START, their exits handed to the vmm one at a time). The
# guest must bring up all N, run a CPU-bound job on each at once (all busy,
# every hash the host's), and write and read its disk through the layers
# meanwhile (sha256 as the host's, and the file's). 2 vCPUs behind pass,vmm
# and pass x4,vmm; 4 behind pass,vmm.
. "$(dirname "$0")/lib.sh"
T=layers_smp
need_layers $T

# one NAME CPUS LAYERS
one() {
	n=$1 c=$2 L=$3
	seed=$$$c
	img=$SCRATCH/disk-$n.img
	truncate -s 64M "$img"
	want=$(pattern "$seed" 24 | sha)
	wantd=$(pattern "$seed" 4 | sha)
	guest_tolerant "$SCRATCH/$n.log" smp "$seed" --layers "$L" --cpus "$c" --disk "$img"
	rc=$?
	f=$(head -c 4194304 "$img" | sha)
	cpus=$(res "$SCRATCH/$n.log" cpus) busy=$(res "$SCRATCH/$n.log" busy_cpus)
	if [ $rc != 0 ]; then notok "$T $n" "exit status $rc, want 0 (--cpus $c --layers $L)"; tail_log "$SCRATCH/$n.log"
	elif [ "$cpus" != "$c" ]; then notok "$T $n" "the guest has $cpus CPUs, want $c"; tail_log "$SCRATCH/$n.log"
	elif [ "$busy" != "$c" ]; then notok "$T $n" "$busy CPUs did work during the jobs, want $c"; tail_log "$SCRATCH/$n.log"
	elif [ "$(res "$SCRATCH/$n.log" distinct_hashes)" != 1 ] || [ "$(res "$SCRATCH/$n.log" hash)" != "$want" ]; then
		notok "$T $n" "the jobs' hashes differ or are not the host's"; tail_log "$SCRATCH/$n.log"
	elif [ "$(res "$SCRATCH/$n.log" disk_write_sha256)" != "$wantd" ] || [ "$(res "$SCRATCH/$n.log" disk_read_sha256)" != "$wantd" ] || [ "$f" != "$wantd" ]; then
		notok "$T $n" "the disk's bytes are not the pattern (guest wrote, read back, the file)"; tail_log "$SCRATCH/$n.log"
	else ok "$T $n (--cpus $c --layers $L: $cpus CPUs online $(res "$SCRATCH/$n.log" online), all busy, hashes and disk as the host's)"; fi
}

one cpus2-depth3 2 pass,vmm
one cpus4-depth3 4 pass,vmm
one cpus2-depth6 2 pass,pass,pass,pass,vmm

#!/bin/sh
# Randomness through the layers: the root always gives layer 1 a virtio-rng
# (getrandom); every pass layer drives its parent's (src/virtio/driver.c) as
# the backend of the one it gives its child (src/layer/vrng.c), and the vmm
# does the same for its Linux guest, which reads 4096 bytes from /dev/hwrng
# (the rng workload) with virtio-rng as its current source. Depths 2 (vmm),
# 3 (pass,vmm) and 6 (pass x4,vmm), one "ok layers_rng ..." line each.
. "$(dirname "$0")/lib.sh"
T=layers_rng
need_layers $T

# one_depth NAME LAYERS NPASS
one_depth() {
	n=$1 L=$2 np=$3 log=$SCRATCH/rng-$1.log
	t0=$(date +%s)
	guest_tolerant "$log" rng "" --layers "$L"
	rc=$?
	t1=$(date +%s)
	passes=$(grep -c "pass: rng for the " "$log")
	bytes=$(res "$log" rng_bytes) nz=$(res "$log" rng_nonzero_bytes) cur=$(res "$log" rng_current)
	if [ $rc != 0 ]; then notok "$T $n" "exit status $rc, want 0 (--layers $L)"; tail_log "$log"; return; fi
	if ! grep -q "vmm: rng for the guest" "$log"; then notok "$T $n" "the vmm did not report its parent's rng"; tail_log "$log"; return; fi
	if [ "$passes" != "$np" ]; then notok "$T $n" "$passes pass layers reported the rng, want $np"; tail_log "$log"; return; fi
	if [ "$(work_rc "$log" rng)" != 0 ]; then notok "$T $n" "workload failed: rng_bytes=$bytes rng_nonzero_bytes=$nz rng_current=$cur"; tail_log "$log"; return; fi
	ok "$T $n (--layers $L: $bytes bytes from /dev/hwrng, $nz non-zero, rng_current=$cur; boot $((t1 - t0))s)"
}

one_depth depth2 vmm 0
one_depth depth3 pass,vmm 1
one_depth depth6 pass,pass,pass,pass,vmm 4

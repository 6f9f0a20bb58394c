#!/bin/sh
# The device benchmarks, run where Linux guests run (directly on a vmx/svm
# host, or inside the test host): rampart and QEMU microvm (the baseline:
# userspace virtio-net without vhost, virtio-blk) on the same kernel, initrd
# and memory, RUNS rounds with the order of the VMMs alternating, and one
# line per measurement:
#   BENCH vmm=V round=N metric=M value=X
# bench/run.sh turns these into the table of medians and ratios.
RAMPART_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$RAMPART_ROOT/tests/system/lib.sh"
MIB=${1:-32}
RUNS=${BENCH_RUNS:-3}
TL=$R/build/timeline
export RAMPART_QEMU_TRACE_EXITS=0
[ -x "$TL" ] || { echo "bench: missing $TL (run make)"; exit 1; }
net_setup || { echo "bench: cannot create the namespace and tap"; exit 1; }
dd if=/dev/zero of="$SCRATCH/zeros" bs=1M count="$MIB" 2>/dev/null
BASE_TIMEOUT=$TIMEOUT
fail=0

out() { echo "BENCH vmm=$VMM round=$round metric=$1 value=$2"; }

# timeline's line: TIMELINE marker_s=.. exit_s=.. maxrss_kib=.. rc=..
tl() { tr -d '\r' <"$SCRATCH/log" | sed -n "s/^TIMELINE.* $1=\([0-9.-]*\).*/\1/p" | tail -n1; }

boot() {
	TIMEOUT="$TL RAMPART-INIT-OK -- $BASE_TIMEOUT"
	guest "$SCRATCH/log" idle ""
	rc=$?
	TIMEOUT=$BASE_TIMEOUT
	[ $rc = 0 ] || { fail=1; tail_log "$SCRATCH/log" 10; return; }
	out boot_to_init_s "$(tl marker_s)"
	out boot_to_exit_s "$(tl exit_s)"
	out maxrss_mib "$(awk -v k="$(tl maxrss_kib)" 'BEGIN { printf "%.1f", k / 1024 }')"
}

# The same guest booted above layers (rampart only): depth = layers + 1.
boot_layers() {
	for layers in vmm pass,vmm pass,pass,pass,pass,vmm; do
		depth=$(($(echo "$layers" | tr ',' '\n' | wc -l) + 1))
		TIMEOUT="$TL RAMPART-INIT-OK -- $BASE_TIMEOUT"
		guest "$SCRATCH/log" idle "" --layers "$layers"
		rc=$?
		TIMEOUT=$BASE_TIMEOUT
		[ $rc = 0 ] || { fail=1; tail_log "$SCRATCH/log" 10; continue; }
		out "boot_to_init_s_depth$depth" "$(tl marker_s)"
		# The disk through the layers: a fresh file, write then read.
		rm -f "$SCRATCH/ldisk.img"
		truncate -s $((MIB + 16))M "$SCRATCH/ldisk.img"
		work "blk_write_MBps_depth$depth" bench-blk-write --layers "$layers" --disk "$SCRATCH/ldisk.img"
		work "blk_read_MBps_depth$depth" bench-blk-read --layers "$layers" --disk "$SCRATCH/ldisk.img"
		# The network through the layers, both ways.
		net_listen /dev/null ""
		work "net_tx_MBps_depth$depth" bench-net-tx --layers "$layers" --net "tap:$TAP"
		net_wait 5
		rm -f "$SCRATCH/hold"
		net_listen "" "$SCRATCH/zeros"
		work "net_rx_MBps_depth$depth" bench-net-rx --layers "$layers" --net "tap:$TAP"
		net_wait 5
	done
}

work() {
	metric=$1 w=$2
	shift 2
	guest "$SCRATCH/log" "$w" "$MIB" "$@"
	rc=$?
	[ $rc = 0 ] || { fail=1; tail_log "$SCRATCH/log" 10; return; }
	out "$metric" "$(res "$SCRATCH/log" MBps)"
}

round=1
while [ $round -le "$RUNS" ]; do
	order="rampart qemu"
	[ $((round % 2)) = 0 ] && order="qemu rampart"
	for VMM in $order; do
		boot
		[ "$VMM" = rampart ] && boot_layers
		# A fresh, unallocated disk file for each VMM, so neither writes
		# into blocks the other already allocated.
		rm -f "$SCRATCH/disk.img"
		truncate -s $((MIB + 16))M "$SCRATCH/disk.img"
		work blk_write_MBps bench-blk-write --disk "$SCRATCH/disk.img"
		work blk_read_MBps bench-blk-read --disk "$SCRATCH/disk.img"
		net_listen /dev/null ""
		work net_tx_MBps bench-net-tx --net "tap:$TAP"
		net_wait 5
		rm -f "$SCRATCH/hold"
		net_listen "" "$SCRATCH/zeros"
		work net_rx_MBps bench-net-rx --net "tap:$TAP"
		net_wait 5
	done
	round=$((round + 1))
done
exit $fail

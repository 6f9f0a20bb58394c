#!/bin/sh
# Device throughput of the guest under each VMM (for bench/): the bench-*
# workloads of guest/work with MIB MiB (default 64), under every VMM in
# $BENCH_VMMS (default "rampart qemu"; QEMU microvm is the baseline).
# Prints one line per run:
#   BENCH vmm=V work=W bytes=N MBps=X boot_s=S wall_s=T rc=RC
# Run it here on a vmx/svm host, or: scripts/testhost.sh bench_vmm "" 64
. "$(dirname "$0")/lib.sh"
MIB=${1:-64}
export RAMPART_QEMU_TRACE_EXITS=0
net_setup || { echo "bench: cannot create the namespace and tap"; exit 1; }
dd if=/dev/zero of="$SCRATCH/zeros" bs=1M count="$MIB" 2>/dev/null
fail=0
for VMM in ${BENCH_VMMS:-rampart qemu}; do
	if [ "$VMM" = rampart ] && [ ! -x "$RAMPART" ]; then echo "BENCH vmm=rampart missing"; fail=1; continue; fi
	truncate -s $((MIB + 16))M "$SCRATCH/disk.img"
	for w in bench-blk-write bench-blk-read bench-net-tx bench-net-rx; do
		case $w in
		bench-blk-*) set -- --disk "$SCRATCH/disk.img" ;;
		bench-net-tx) net_listen /dev/null ""; set -- --net "tap:$TAP" ;;
		bench-net-rx) net_listen "" "$SCRATCH/zeros"; set -- --net "tap:$TAP" ;;
		esac
		t0=$(cut -d' ' -f1 /proc/uptime)
		guest "$SCRATCH/log" "$w" "$MIB" "$@"
		rc=$?
		t1=$(cut -d' ' -f1 /proc/uptime)
		net_wait 5
		[ $rc = 0 ] || fail=1
		echo "BENCH vmm=$VMM work=${w#bench-} bytes=$(res "$SCRATCH/log" bytes) MBps=$(res "$SCRATCH/log" MBps)" \
			"boot_s=$(res "$SCRATCH/log" boot_uptime_s) wall_s=$(echo "$t1 $t0" | awk '{ printf "%.1f", $1 - $2 }') rc=$rc"
		[ $rc = 0 ] || tail_log "$SCRATCH/log" 10
	done
done
exit $fail

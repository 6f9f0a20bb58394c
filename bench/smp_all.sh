#!/bin/sh
# The CPU-bound benchmark of a guest with several vCPUs, run where Linux
# guests run (directly on a vmx/svm host, or inside the test host): the
# smp workload (guest/work/smp.sh: one job per vCPU, 24 MiB hashed each, at
# once; no disk, no network) with --cpus CPUS at depth 1 (no layers, the
# baseline) and at depth 6 (pass x4, vmm), the depths alternating, RUNS
# rounds. One line per measurement:
#   BENCH vmm=rampart round=N metric=jobs_s_dD value=X
# and the stack's exits per second of the jobs (the root's end event, the
# whole boot's, over its wall time) as exits_dD.
RAMPART_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$RAMPART_ROOT/tests/system/lib.sh"
CPUS=${1:-4}
RUNS=${BENCH_RUNS:-2}
fail=0
out() { echo "BENCH vmm=rampart round=$round metric=$1 value=$2"; }
exits() { tr -d '\r' <"$SCRATCH/log" | sed -n 's/.*"event":"end".*"exits":\([0-9]*\).*/\1/p' | tail -n1; }

round=1
while [ "$round" -le "$RUNS" ]; do
	for layers in "" pass,pass,pass,pass,vmm; do
		if [ -z "$layers" ]; then d=1; set --; else d=6; set -- --layers "$layers"; fi
		guest "$SCRATCH/log" smp "$round" --cpus "$CPUS" "$@"
		rc=$?
		cpus=$(res "$SCRATCH/log" cpus) cs=$(res "$SCRATCH/log" jobs_cs)
		if [ $rc != 0 ] || [ "$cpus" != "$CPUS" ] || [ -z "$cs" ]; then
			echo "bench: depth $d: exit $rc, $cpus CPUs, jobs ${cs:-?} cs"; tail_log "$SCRATCH/log" 10; fail=1; continue
		fi
		out "jobs_s_d$d" "$(awk -v c="$cs" 'BEGIN { printf "%.2f", c / 100 }')"
		out "exits_d$d" "$(exits)"
	done
	round=$((round + 1))
done
exit $fail

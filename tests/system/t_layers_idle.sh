#!/bin/sh
# An idle guest behind five layers (pass x4, vmm) costs the host almost no
# CPU: the guest halts in KVM (its irqchip's timer wakes it there), the
# layers wait in their pending runs, nothing polls. The guest has 2 vCPUs:
# its second, on a thread of the root's own (RP_HC_VCPU_START), halts in
# KVM too, and neither thread spins on the other. The root's CPU time
# (utime + stime of the whole process, every thread) over IDLE_S seconds
# of the guest's sleep must stay under IDLE_MAX_PCT of one core: a
# generous bound for a count of CPU time, not a throughput (measured: see
# docs/benchmarks-layers.md), so a layer or thread that starts polling
# fails.
. "$(dirname "$0")/lib.sh"
T=layers_idle
need_layers $T
IDLE_S=20
IDLE_MAX_PCT=5
L=pass,pass,pass,pass,vmm
log=$SCRATCH/idle.log

# ticks PID: utime + stime of PID in clock ticks
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

guest "$log" sleep $((IDLE_S + 15)) --layers "$L" --cpus 2 &
bg=$!
pid='' i=0
while [ $i -lt 600 ]; do
	grep -q "rampart-work: sleeping" "$log" 2>/dev/null && pid=$(pidof rampart | cut -d' ' -f1) && break
	i=$((i + 1)); sleep 0.5
done
if [ -z "$pid" ]; then
	notok $T "the guest never started its sleep (--layers $L)"; tail_log "$log"; wait $bg; exit 1
fi
sleep 3 # the guest settles into its sleep
t0=$(ticks "$pid") s0=$(cut -d' ' -f1 /proc/uptime)
sleep $IDLE_S
t1=$(ticks "$pid") s1=$(cut -d' ' -f1 /proc/uptime)
wait $bg
rc=$?
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
pct=$(echo "$t0 $t1 $s0 $s1 $hz" | awk '{ printf "%.2f", 100 * ($2 - $1) / $5 / ($4 - $3) }')
if [ -z "$t0" ] || [ -z "$t1" ]; then
	notok $T "could not read /proc/$pid/stat"
elif [ $rc != 0 ]; then
	notok $T "exit status $rc, want 0 (--layers $L)"; tail_log "$log"
elif awk -v p="$pct" -v m=$IDLE_MAX_PCT 'BEGIN { exit !(p < m) }'; then
	ok "$T (--layers $L --cpus 2: the root used $pct % of a core over $IDLE_S s of an idle guest, under $IDLE_MAX_PCT %)"
else
	notok $T "the root used $pct % of a core over $IDLE_S s of an idle guest (want under $IDLE_MAX_PCT %, --layers $L)"
fi

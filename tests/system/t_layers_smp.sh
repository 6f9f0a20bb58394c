#!/bin/sh
# A Linux guest with several vCPUs above layers: the vmm gives its guest
# --cpus N (the MADT lists them; vCPUs 1..N-1 run on threads of the root's
# own, RP_HC_VCPU_START, their exits handed to the vmm one at a time). The
# guest must bring up all N, run a CPU-bound job on each at once (all busy,
# every hash the host's), and write and read its disk through the layers
# meanwhile (sha256 as the host's, and the file's). 4 vCPUs behind pass,vmm,
# 2 behind pass x4,vmm, and 2 behind pass,vmm with the network as well. Then 2 behind watch,vmm: the watch
# reads both vCPUs' IDT register and LSTAR (RP_HC_VCPU_CTL, which parks a
# started vCPU's thread out of KVM_RUN for the read) at every check and
# verifies them against System.map, with no alert.
. "$(dirname "$0")/lib.sh"
T=layers_smp
need_layers $T

# one NAME CPUS LAYERS [rampart options...]
one() {
	n=$1 c=$2 L=$3
	shift 3
	seed=$$$c
	img=$SCRATCH/disk-$n.img
	truncate -s 64M "$img"
	want=$(pattern "$seed" 24 | sha)
	wantd=$(pattern "$seed" 4 | sha)
	guest_tolerant "$SCRATCH/$n.log" smp "$seed" --layers "$L" --cpus "$c" --disk "$img" "$@"
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

one cpus4-depth3 4 pass,vmm
one cpus2-depth6 2 pass,pass,pass,pass,vmm

# The network too, at once: 2 vCPUs behind pass,vmm, jobs, disk and 1 MiB
# each way over a tap (as t_layers_net.sh), every sha256 compared.
if net_setup; then
	pattern h2g 1 >"$SCRATCH/h2g"
	rm -f "$SCRATCH/g2h" "$SCRATCH/hold"
	net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
	one cpus2-net 2 pass,vmm --net "tap:$TAP"
	net_wait 5
	log=$SCRATCH/cpus2-net.log
	wg=$(pattern net-g2h 1 | sha) wh=$(sha <"$SCRATCH/h2g")
	if [ "$(res "$log" net_rc)" != 0 ]; then notok "$T cpus2-net network" "the guest's net.sh failed (rc $(res "$log" net_rc))"; tail_log "$log"
	elif [ "$(res "$log" net_send_sha256)" != "$wg" ] || [ "$(sha <"$SCRATCH/g2h")" != "$wg" ]; then notok "$T cpus2-net network" "guest->host bytes differ"; tail_log "$log"
	elif [ "$(res "$log" net_recv_sha256)" != "$wh" ]; then notok "$T cpus2-net network" "host->guest bytes differ"; tail_log "$log"
	else ok "$T cpus2-net network (1 MiB each way over a tap while the jobs and the disk ran, sha256 equal on both sides)"; fi
else
	notok "$T cpus2-net" "cannot create the namespace and tap"
fi

# The watch below a guest with 2 vCPUs (needs System.map, as t_layers_watch.sh),
# and a check on demand: SIGUSR1 to the root once the baseline is taken.
MAP=$IMG/System.map
if [ ! -s "$MAP" ]; then ok "$T watch # skip: no $MAP (make images fetches it from the kernel's -dbg package)"; exit 0; fi
S=${RAMPART_TIME_SCALE:-1}
log=$SCRATCH/watch.log
ev() { grep "\"event\":\"$1\"" "$log"; }
$NSEXEC $TIMEOUT "$VMM_TIMEOUT" "$RAMPART" run --kernel "$KERNEL" --initrd "$INITRD" --mem "$GUEST_MEM" \
	--cmdline "console=ttyS0 reboot=k panic=-1 quiet rampart.work=sleep rampart.arg=$((16 * S))" \
	--layers watch,vmm --cpus 2 --rules "watch=$MAP" --watch "$((5000 * S)),$((500 * S))" >"$log" 2>&1 </dev/null &
bg=$!
n=0
while ! ev layer_log | grep -q 'guest vCPU(s), idtr' && [ $n -lt $((600 * S)) ] && kill -0 $bg 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
done
# the first rampart of this run (lowest pid): the jail's supervisor, which hands the signal on
sup=$(for p in /proc/[0-9]*; do
	case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
	"$RAMPART run "*"watch=$MAP"*) echo "${p#/proc/}" ;; # not timeout's, which USR1 would end
	esac
done | sort -n | head -n1)
[ -n "$sup" ] && kill -USR1 "$sup"
wait $bg
rc=$?
ctl=$(ev layer_log | grep -o 'watch: [0-9]* guest vCPU(s), idtr [^"]*' | tail -n1)
vcpus=$(ev watch | sed -n 's/.*"vcpus":\([0-9]*\).*/\1/p' | tail -n1)
checks=$(ev watch | sed -n 's/.*"checks":\([0-9]*\).*/\1/p' | tail -n1)
reads=$(ev watch | sed -n 's/.*"ctl_reads":\([0-9]*\).*/\1/p' | tail -n1)
if [ $rc != 0 ]; then notok "$T watch" "exit status $rc, want 0"; tail_log "$log"
elif [ "$(res "$log" slept_s)" = "" ]; then notok "$T watch" "the guest did not finish its sleep"; tail_log "$log"
elif ev watch_alert | grep -q .; then notok "$T watch" "alerts in an untouched guest"; ev watch_alert | head -n 3 | sed 's/^/#   /'
elif [ "$vcpus" != 2 ]; then notok "$T watch" "the watch read ${vcpus:-no} vCPUs at its last check, want 2 (${ctl:-no vCPU line})"; grep watch "$log" | tail -n 5 | sed 's/^/#   /'
elif [ "${reads:-0}" -lt $((2 * ${checks:-1})) ]; then notok "$T watch" "$reads vCPU reads over $checks checks, want 2 each"
else ok "$T watch (--cpus 2 --layers watch,vmm: $checks checks, $reads vCPU reads, no alert; $ctl)"; fi
if ev layer_log | grep -q 'watch: a check on demand'; then ok "$T watch on demand (SIGUSR1: the watch checked at once, no alert)"
else notok "$T watch on demand" "no check on demand after SIGUSR1"; grep -o '"text":"watch[^"]*' "$log" | tail -n 5 | sed 's/^/#   /'; fi

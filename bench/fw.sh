#!/bin/sh
# The firewall engine's filtering cost (make bench-fw; docs/benchmarks-fw.md)
# for N single-port rules (`tcp dport P accept` in a chain with policy drop,
# N = 10, 100, 1000, 10000) and for one rule over a set of 10000 ports:
#  (a) offline: `rampart-policy firewall --stats` over a pcap of FW_FRAMES
#      frames (bench/fw-gen.py: 4096 flows, half TCP SYNs, half UDP, half
#      from the guest, to ports spread over the rules' 10000), pinned to one
#      core; its loop_cpu_ns counter (the frame loop's CPU time: reading the
#      pcap, the engine, writing the verdicts; compile and load left out)
#      gives frames per second, the median of FW_RUNS runs;
#  (b) in the layer: the io test guest in UDP mode behind `firewall`,
#      exchanging frames with build/tapio over a tap (as tests/layers/fw.sh
#      does); the layer's filter_cycles and filtered counters (the TSC
#      cycles spent in fw_filter, the frames it judged) give cycles per
#      frame. The same N rules, over UDP ports the guest's frames never use
#      (`udp dport P accept`, so that every frame walks all of them: the
#      worst case), then io.nft's rules; the set likewise. Needs root (a
#      network namespace and a tap) and /dev/kvm; skipped otherwise.
# Results: build/bench/fw/ (raw), the table on stdout and in
# docs/benchmarks-fw.md.
set -u
cd "$(dirname "$0")/.." || exit 1
P=build/rampart-policy
R=build/test/rampart
O=build/bench/fw
FRAMES=${FW_FRAMES:-200000}
RUNS=${FW_RUNS:-3}
BASE=1000
SPAN=10000
mkdir -p $O
rm -f $O/*.stats $O/*.run
PIN=
command -v taskset >/dev/null && PIN="taskset -c 0"

POLICIES="rules-10 rules-100 rules-1000 rules-10000 set-10000"
# gen POLICY PROTO BASE OUT [--tail FILE]
gen() {
	kind=${1%-*} n=${1#*-}
	o=$4
	shift 4
	python3 bench/fw-gen.py "$kind" "$n" "$PROTO" "$BASE_P" "$o" "$@"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | tail -1; }

python3 bench/fw-gen.py pcap "$FRAMES" 4096 $BASE $SPAN 1 $O/frames.pcap

# ---- (a) offline
for p in $POLICIES; do
	PROTO=tcp BASE_P=$BASE gen $p x x $O/$p.nft
	for i in $(seq "$RUNS"); do
		$PIN $P firewall --rules $O/$p.nft --pcap $O/frames.pcap --guest 10.0.2.0/24 \
			--stats >/dev/null 2>$O/$p.$i.stats || echo "bench-fw: $p: $(head -c 200 $O/$p.$i.stats)" >&2
		f=$(field frames $O/$p.$i.stats)
		ns=$(field loop_cpu_ns $O/$p.$i.stats)
		[ -n "$f" ] && [ -n "$ns" ] && echo "$f $ns" | awk '{ printf "%.0f\n", $1 * 1e9 / $2 }' >>$O/$p.fps
		echo "$p run $i: $(cat $O/$p.$i.stats)" >&2
	done
done

# ---- (b) in the layer
# the io guest's limits: SEND <= SECT / 2, SECT <= 1024, RECVT / 2 <= 256
SECT=1024 SEND=${FW_LAYER_SEND:-512} RECVT=${FW_LAYER_RECV:-512}
LAYER=yes
if [ "$(id -u)" != 0 ] || [ ! -w /dev/kvm ] || [ ! -x build/tapio ]; then
	LAYER="not measured: needs root, /dev/kvm and build/tapio"
fi
NS=rpfwb$$
TAP=rpfwb0
if [ "$LAYER" = yes ]; then
	trap 'ip netns del $NS 2>/dev/null' EXIT
	if ! ip netns add $NS || ! ip netns exec $NS ip tuntap add dev $TAP mode tap ||
		! ip netns exec $NS ip link set $TAP up; then
		LAYER="not measured: no network namespace or tap"
	fi
	ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
fi
# io.nft's rules, after the benchmark's
grep -E '^\s+(iifname|counter)' tests/layers/fw/io.nft >$O/io.tail
for p in $POLICIES; do
	[ "$LAYER" = yes ] || break
	PROTO=udp BASE_P=10000 gen $p x x $O/$p.layer.nft --tail $O/io.tail
	for i in $(seq "$RUNS"); do
		head -c $((4 << 20)) /dev/urandom >$O/disk.img
		head -c $((RECVT * 1024)) /dev/urandom >$O/in.bin
		rm -f $O/out.bin
		ip netns exec $NS build/tapio $TAP $SEND $O/out.bin $O/in.bin 60 udp >$O/tapio 2>&1 &
		tp=$!
		k=0
		while ! grep -qs ready $O/tapio && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
		ip netns exec $NS timeout 120 $R run --layers firewall,io \
			--rules firewall=$O/$p.layer.nft --layer-args $SECT,$SEND,$((RECVT / 2)),1 \
			--disk $O/disk.img --net tap:$TAP 2>$O/$p.$i.run
		rc=$?
		[ $rc = 0 ] || kill $tp 2>/dev/null
		wait $tp
		[ $rc = 0 ] || echo "bench-fw: $p in the layer: rampart exit $rc, $(tail -1 $O/tapio)" >&2
		ev=$(grep '"event":"firewall"' $O/$p.$i.run | tail -1)
		echo "$ev" >$O/$p.$i.event
		c=$(field filter_cycles $O/$p.$i.event)
		n=$(field filtered $O/$p.$i.event)
		[ $rc = 0 ] && [ -n "$c" ] && [ "${n:-0}" -gt 0 ] && echo $((c / n)) >>$O/$p.cpf
		echo "$p in the layer, run $i: $n frames, $c cycles" >&2
	done
done

# ---- the table
HOST=$(hostname)
CPU=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
T=$O/table.md
{
	echo "| policy | rules | elements | frames/s offline (one core) | ratio to rules-10 | cycles/frame in the layer | ratio to rules-10 |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for p in $POLICIES; do
		fps=$(median <$O/$p.fps 2>/dev/null)
		cpf=$(median <$O/$p.cpf 2>/dev/null)
		[ $p = rules-10 ] && { f0=$fps c0=$cpf; }
		case $p in
		set-*) rules=1 el=${p#*-} ;;
		*) rules=${p#*-} el=0 ;;
		esac
		rf=$(echo "$f0 $fps" | awk 'NF == 2 && $2 { printf "%.2f", $1 / $2 }')
		rc=$(echo "$c0 $cpf" | awk 'NF == 2 && $1 { printf "%.2f", $2 / $1 }')
		echo "| $p | $rules | $el | ${fps:-failed} | ${rf:--} | ${cpf:--} | ${rc:--} |"
	done
} >$T
cat $T
{
	echo "# Firewall benchmark: filtering cost by policy size"
	echo
	echo "Generated by \`make bench-fw\` (bench/fw.sh) on $(date -u +%Y-%m-%d), host \`$HOST\` ($CPU, $(nproc) CPUs)."
	echo "Offline: $FRAMES frames (bench/fw-gen.py: 4096 flows, half TCP SYNs, half UDP, half"
	echo "from the guest, to ports spread over 1000-10999), \`rampart-policy firewall --stats\`"
	echo "pinned to one core, frames per second from its \`loop_cpu_ns\` (the frame loop's CPU"
	echo "time: reading the pcap, the engine, writing the verdicts), median of $RUNS runs. The"
	echo "policies: N rules \`tcp dport P accept\` (P = 1000 .. 999+N) in a chain with"
	echo "\`policy drop\`, or one rule \`tcp dport @ports accept\` over a set of 10000 ports."
	echo "Ratio offline: the time per frame against rules-10's (rules-10's frames/s over this one's)."
	echo
	if [ "$LAYER" = yes ]; then
		echo "In the layer: the io test guest in UDP mode behind \`firewall\`, $SEND frames from it"
		echo "and $RECVT to it through build/tapio on a tap, plus tapio's copies to group addresses;"
		echo "TSC cycles spent in \`fw_filter\` over the frames it judged (the layer's"
		echo "\`filter_cycles\` and \`filtered\` counters, the root's \`firewall\` event), median of"
		echo "$RUNS runs. The same rules over UDP ports the frames never use (\`udp dport P accept\`,"
		echo "P = 10000 ..), so that every frame walks all of them (the worst case), then"
		echo "tests/layers/fw/io.nft's rules; the set likewise. Ratio: cycles against rules-10's."
	else
		echo "In the layer: $LAYER."
	fi
	echo
	cat $T
	echo
	# the sentence: the set against rules-10, the step from 1000 to 10000 rules
	# (on a log-log scale: 1 is linear, below 1 sub-linear)
	for p in rules-10 rules-1000 rules-10000 set-10000; do median <$O/$p.fps 2>/dev/null || echo; done |
		awk 'NF { v[NR] = $1 } END {
		if (!v[1] || !v[2] || !v[3] || !v[4]) { print "Some runs failed: no conclusion."; exit }
		s = v[1] / v[4]; e = log(v[2] / v[3]) / log(10)
		printf "As measured offline: the 10000-element set costs %.2f times the time per frame of 10 single-port rules, %s; ", s, (s < 1.5 ? "so set lookups are flat" : "so set lookups are not flat against 10 rules, though 1000 times the ports")
		printf "from 1000 to 10000 single-port rules the time per frame grows %.1f times (10 times the rules; exponent %.2f on a log-log scale), %s.\n", v[2] / v[3], e, (e > 0.9 ? "so the cost of separate rules is linear in their number (each frame walks the chain), not sub-linear: the set is how a policy gets a flat cost" : "so rule cost is sub-linear")
	}'
} >$O/report.md
cp $O/report.md docs/benchmarks-fw.md
